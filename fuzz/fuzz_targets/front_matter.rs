//! A topic file's front matter: the `---` splitter, then the YAML parsed as
//! a topic's fields. Any input, no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = dossier::fuzzing::topic_front_matter(text);
});
