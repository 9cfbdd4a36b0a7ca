//! The quote normaliser and matcher. The input is split at its first NUL
//! into a source text and quoted words: normalising is idempotent, a match
//! has one piece per piece of the quote, each normalising to it, and a
//! failed quote's closest passage never panics.
#![no_main]

use dossier::fuzzing::{closest, find_quote, normalise};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let (source, words) = input.split_once('\0').unwrap_or((input, ""));
    let once = normalise(source);
    assert_eq!(normalise(&once), once);
    match find_quote(source, words) {
        Some(found) => {
            let pieces: Vec<String> = words
                .split("...")
                .flat_map(|p| p.split('…'))
                .map(normalise)
                .filter(|p| !p.is_empty())
                .collect();
            let got: Vec<String> = found.iter().map(|p| normalise(p)).collect();
            assert_eq!(got, pieces);
        }
        None => {
            let _ = closest(source, words);
        }
    }
});
