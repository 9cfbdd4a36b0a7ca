//! Property tests over the parsers of untrusted text (front matter,
//! citations, the quote normaliser and matcher, the paragraph splitter,
//! topic Markdown), through `dossier::fuzzing`: no panic on any input, the
//! invariants the build relies on, and no worse than linear-ish time on
//! 1 MiB inputs of adversarial shapes.
//!
//! The fuzz targets under `fuzz/` drive the same entry points; a crash they
//! find becomes a case in [`regressions`].

use std::time::{Duration, Instant};

use dossier::fuzzing;
use proptest::prelude::*;

/// Fragments that matter to the parsers, mixed with arbitrary text.
fn hostile_text() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        3 => any::<String>(),
        2 => "[a-zA-Z0-9]{1,8}",
        1 => "[ \t\r\n]{1,3}",
        4 => prop::sample::select(vec![
            "[@", "[@a", "[@a \"", "]", ";", "@", "\"", "\\", "\\\"", "---", "---\n", "\n", "\r\n",
            "\n\n", "...", "…", "“", "”", "‘", "’", "–", "—", "-", "- ", " - ", "•", "• ", "*",
            "* ", ". ", "A", "é", "日本", "\u{200B}", "\u{00AD}", "\u{FEFF}", "\u{00A0}", "\t",
            "\0", "\u{1b}", "[^x]", "[^x]: y\n", "https://", "`", "```rust\n", "<script>", "&",
            "title: x\n", "summary: y\n", "tags: [", "{", "}", ":", "#", "> ", "|", "!", "?",
        ]).prop_map(str::to_owned),
    ];
    prop::collection::vec(fragment, 0..48).prop_map(|parts| parts.concat())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn no_entry_point_panics(text in hostile_text(), words in hostile_text()) {
        let _ = fuzzing::topic_front_matter(&text);
        let _ = fuzzing::citation(&text);
        let _ = fuzzing::markdown(&text);
        let _ = fuzzing::normalise(&text);
        let _ = fuzzing::paragraphs(&text);
        let _ = fuzzing::find_quote(&text, &words);
        let _ = fuzzing::closest(&text, &words);
    }

    #[test]
    fn no_entry_point_panics_on_any_string(text in any::<String>(), words in any::<String>()) {
        let _ = fuzzing::topic_front_matter(&text);
        let _ = fuzzing::citation(&text);
        let _ = fuzzing::markdown(&text);
        let _ = fuzzing::paragraphs(&text);
        let _ = fuzzing::find_quote(&text, &words);
        let _ = fuzzing::closest(&text, &words);
    }

    #[test]
    fn front_matter_documents_parse_without_panic(
        body in hostile_text(),
        close in prop::bool::ANY,
    ) {
        let text = format!("---\n{body}\n{}after\n", if close { "---\n" } else { "" });
        let _ = fuzzing::topic_front_matter(&text);
        let _ = fuzzing::markdown(&text);
    }

    #[test]
    fn normalise_is_idempotent(text in hostile_text()) {
        let once = fuzzing::normalise(&text);
        prop_assert_eq!(fuzzing::normalise(&once), once);
    }

    #[test]
    fn paragraphs_lose_nothing_but_white_space_and_bullet_markers(text in hostile_text()) {
        let paragraphs = fuzzing::paragraphs(&text);
        let (kept_in, markers_in) = visible(&text);
        let (kept_out, markers_out) = visible(&paragraphs.concat());
        prop_assert_eq!(kept_out, kept_in);
        for (marker, (before, after)) in ['-', '•', '*']
            .iter()
            .zip(markers_in.iter().zip(&markers_out))
        {
            prop_assert!(after <= before, "more {marker:?} after splitting");
        }
        for p in &paragraphs {
            prop_assert!(!p.is_empty() && p.trim() == p, "{p:?}");
        }
    }

    #[test]
    fn any_run_of_words_from_a_paragraph_is_found(
        source in generated_source(),
        picks in (any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<prop::sample::Index>()),
    ) {
        let paragraphs = fuzzing::paragraphs(&source);
        prop_assume!(!paragraphs.is_empty());
        let paragraph = picks.0.get(&paragraphs);
        let words: Vec<&str> = paragraph.split_whitespace().collect();
        let (a, b) = (picks.1.index(words.len()), picks.2.index(words.len()));
        let quote = words[a.min(b)..=a.max(b)].join(" ");
        prop_assume!(!fuzzing::normalise(&quote).is_empty());
        let found = fuzzing::find_quote(&source, &quote);
        prop_assert!(found.is_some(), "{quote:?} not found in {source:?}");
        let found = found.unwrap_or_default();
        prop_assert_eq!(found.len(), 1);
        prop_assert_eq!(fuzzing::normalise(&found[0]), fuzzing::normalise(&quote));
    }

    #[test]
    fn two_runs_with_an_elision_between_are_found(
        source in generated_source(),
        picks in (any::<prop::sample::Index>(), prop::collection::vec(any::<prop::sample::Index>(), 5)),
    ) {
        let paragraphs = fuzzing::paragraphs(&source);
        prop_assume!(!paragraphs.is_empty());
        let paragraph = picks.0.get(&paragraphs);
        let words: Vec<&str> = paragraph.split_whitespace().collect();
        prop_assume!(words.len() >= 2);
        // Two runs of words, the first before the second.
        let (before, after) = words.split_at(1 + picks.1[0].index(words.len() - 1));
        let run = |words: &[&str], a: &prop::sample::Index, b: &prop::sample::Index| {
            let (a, b) = (a.index(words.len()), b.index(words.len()));
            words[a.min(b)..=a.max(b)].join(" ")
        };
        let first = run(before, &picks.1[1], &picks.1[2]);
        let second = run(after, &picks.1[3], &picks.1[4]);
        prop_assume!(!fuzzing::normalise(&first).is_empty());
        prop_assume!(!fuzzing::normalise(&second).is_empty());
        let quote = format!("{first} ... {second}");
        let found = fuzzing::find_quote(&source, &quote);
        prop_assert!(found.is_some(), "{quote:?} not found in {source:?}");
        let found = found.unwrap_or_default();
        let normalised: Vec<String> = found.iter().map(|p| fuzzing::normalise(p)).collect();
        prop_assert_eq!(normalised, [fuzzing::normalise(&first), fuzzing::normalise(&second)]);
    }

    #[test]
    fn citations_round_trip(items in prop::collection::vec(citation_item(), 1..5)) {
        let label = items
            .iter()
            .map(|(id, words)| match words {
                Some(w) => format!("@{id} \"{}\"", w.replace('\\', "\\\\").replace('"', "\\\"")),
                None => format!("@{id}"),
            })
            .collect::<Vec<_>>()
            .join("; ");
        prop_assert_eq!(fuzzing::citation(&label), Some(items), "{}", label);
    }
}

/// A text's non-white-space characters other than bullet marks, and how
/// many `-`, `•` and `*` it has.
fn visible(text: &str) -> (String, [usize; 3]) {
    let mut kept = String::new();
    let mut markers = [0; 3];
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        match c {
            '-' => markers[0] += 1,
            '•' => markers[1] += 1,
            '*' => markers[2] += 1,
            _ => kept.push(c),
        }
    }
    (kept, markers)
}

/// Words as captures have them: plain, capitalised, with punctuation, curly
/// quotes, dashes, non-ASCII letters, bullets and sentence ends; never an
/// ellipsis, which a quote would read as an elision.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z]{1,6}",
        // Few letters, so that words repeat and overlap ("a a" in "ba a a").
        4 => "[ab]{1,2}",
        2 => "[A-Z][a-z]{0,5}[.!?]?",
        1 => "[a-z]{1,4}[,;:]",
        1 => "[“\"‘'(]?[a-zé]{1,4}[”\"’')]?",
        1 => "[a-z]{1,3}[–—-][a-z]{1,3}",
        1 => prop::sample::select(vec!["-", "•", "*", "–", "a", "a", "ba", "日本", "\u{00AD}x", "1.", "https://x.org/a"]).prop_map(str::to_owned),
    ]
}

/// A source text: words separated by spaces, line wraps and blank lines.
fn generated_source() -> impl Strategy<Value = String> {
    let separator = prop_oneof![
        8 => Just(" "),
        2 => Just("\n"),
        1 => Just("\n\n"),
        1 => Just("  "),
        1 => Just("\r\n"),
        1 => Just("\u{00A0}"),
    ];
    prop::collection::vec((word(), separator), 1..40).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(w, s)| format!("{w}{s}"))
            .collect::<String>()
    })
}

/// A cited source id and, sometimes, quoted words (which must have a word
/// in them: an empty quote is an error).
fn citation_item() -> impl Strategy<Value = (String, Option<String>)> {
    let words = prop::option::of(
        hostile_text().prop_filter("an empty quote is an error", |w| {
            !fuzzing::normalise(&w.replace('…', "...").replace("...", "")).is_empty()
        }),
    );
    ("[a-z0-9][a-z0-9-]{0,12}", words)
}

/// Inputs that once crashed, hung or misbehaved.
#[test]
fn regressions() {
    // A quoted word's first occurrence is inside a longer word ("ba a"):
    // the match that starts on a word boundary overlaps it and was skipped.
    assert_eq!(
        fuzzing::find_quote("ba a a\n", "a a"),
        Some(vec!["a a".to_owned()])
    );
}

/// How long `run` takes on its best of `tries`.
fn best_time(tries: usize, mut run: impl FnMut()) -> Duration {
    (0..tries)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Times `run` on input made for size `n` and `8 n`; linear time gives a
/// ratio near 8, quadratic near 64. The test binary runs other tests
/// alongside, on a shared machine: the small input takes its best of three
/// runs, and a ratio that looks super-linear is measured once more before
/// it fails the test.
fn assert_linear<T>(name: &str, make: impl Fn(usize) -> T, run: impl Fn(&T)) {
    const N: usize = 128 * 1024;
    let (small, large) = (make(N), make(8 * N));
    let measure = || {
        let t_small = best_time(3, || run(&small));
        let t_large = best_time(1, || run(&large));
        // A floor keeps timer noise on tiny durations from passing for growth.
        let ratio = t_large.as_secs_f64() / t_small.as_secs_f64().max(0.005);
        eprintln!("{name}: {t_small:?} for 128 KiB, {t_large:?} for 1 MiB, ratio {ratio:.1}");
        (t_small, t_large, ratio)
    };
    let (mut t_small, mut t_large, mut ratio) = measure();
    if ratio >= 30.0 {
        (t_small, t_large, ratio) = measure();
    }
    assert!(
        ratio < 30.0,
        "{name}: {t_small:?} for 128 KiB but {t_large:?} for 1 MiB (ratio {ratio:.1}): super-linear"
    );
}

/// `unit` repeated to about `n` bytes.
fn repeat(unit: &str, n: usize) -> String {
    unit.repeat(n / unit.len().max(1))
}

/// Each parser on inputs of 128 KiB and 1 MiB, in the shapes most likely to
/// make it slow. Sizes are the same in debug and release builds; the shapes
/// are chosen so the whole test takes seconds unoptimised.
#[test]
fn parsers_take_linear_time_on_adversarial_input() {
    assert_linear(
        "front matter, many lines and never closed",
        |n| {
            format!(
                "---\n{}",
                repeat("--- -------------------------------\n", n)
            )
        },
        |t| {
            fuzzing::topic_front_matter(t);
        },
    );
    assert_linear(
        "front matter, one long line",
        |n| format!("---\ntitle: x\nsummary: {}\n---\n", repeat("y ", n)),
        |t| {
            fuzzing::topic_front_matter(t);
        },
    );
    assert_linear(
        "citation, many items, escapes and [@",
        |n| repeat("@a-b \"w \\\" x \\\\ [@\"; ", n) + "@a",
        |t| {
            fuzzing::citation(t);
        },
    );
    assert_linear(
        "normalise, quotes, dashes and spaces",
        |n| repeat("“a” — \u{200B}  \n…\"", n),
        |t| {
            fuzzing::normalise(t);
        },
    );
    for (name, unit) in [
        (
            "paragraphs, many short lines",
            "One line.\nAnd two\n- three\n",
        ),
        ("paragraphs, one long line", "word "),
        ("paragraphs, inline bullets on one line", "A word. • "),
    ] {
        assert_linear(
            name,
            |n| repeat(unit, n),
            |t| {
                fuzzing::paragraphs(t);
            },
        );
    }
    // A quote that almost matches everywhere.
    assert_linear(
        "find_quote, almost everywhere",
        |n| (repeat("a ", n), format!("{}b", repeat("a ", n / 16))),
        |(s, q)| {
            fuzzing::find_quote(s, q);
        },
    );
    // Found everywhere, overlapping, but never on a word boundary.
    assert_linear(
        "find_quote, never on a boundary",
        |n| (repeat("aa ", n), format!("{}a", repeat("aa ", n / 16))),
        |(s, q)| {
            fuzzing::find_quote(s, q);
        },
    );
    // The first piece everywhere, the last nowhere.
    assert_linear(
        "find_quote, many elisions that fail",
        |n| (repeat("a ", n), format!("{}b", repeat("a ... ", 200))),
        |(s, q)| {
            fuzzing::find_quote(s, q);
        },
    );
    // `closest` runs only when a quote fails; a long quote over a long
    // source must still take time in proportion to the source.
    assert_linear(
        "closest, a long quote",
        |n| {
            (
                repeat("aaaaaaa ", n),
                format!("{}b", repeat("aaaaaaa ", n / 64)),
            )
        },
        |(s, q)| {
            fuzzing::closest(s, q);
        },
    );
}
