//! A whole topic file's Markdown, citations and footnotes included.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = dossier::fuzzing::markdown(text);
});
