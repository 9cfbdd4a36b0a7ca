//! The inside of a citation's brackets. A label that parses must parse the
//! same again once formatted back into the syntax.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|label: &str| {
    let Some(items) = dossier::fuzzing::citation(label) else {
        return;
    };
    let again = items
        .iter()
        .map(|(id, words)| match words {
            Some(w) => format!("@{id} \"{}\"", w.replace('\\', "\\\\").replace('"', "\\\"")),
            None => format!("@{id}"),
        })
        .collect::<Vec<_>>()
        .join("; ");
    assert_eq!(dossier::fuzzing::citation(&again), Some(items));
});
