//! The paragraph splitter: no panic, and nothing but white space and
//! bullet marks (`-`, `•`, `*`) is lost.
#![no_main]

use libfuzzer_sys::fuzz_target;

fn visible(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '•' | '*'))
        .collect()
}

fuzz_target!(|text: &str| {
    let paragraphs = dossier::fuzzing::paragraphs(text);
    assert_eq!(visible(&paragraphs.concat()), visible(text));
    for p in &paragraphs {
        assert!(!p.is_empty() && p.trim() == p, "{p:?}");
    }
});
