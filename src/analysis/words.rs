//! Words: where they are, the key they are compared by, and their stem.
//!
//! A word is a run of letters and digits; an apostrophe, hyphen or period
//! between two of them stays inside it (`Putin's`, `Kremlin-backed`, `2.4`,
//! `U.S`), and so does a comma between two digits (`40,000`). Its *key* is what a diff compares: lowercased, curly apostrophes
//! straightened, except acronyms (`US`, `U.S.` → `US`), which keep their
//! case so that "US" never equals the pronoun "us". Its *stem* (Snowball
//! English, the stemmer the search index uses) is what sentence alignment
//! compares, and only for content words: those not in a short stopword list.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;

use rust_stemmers::{Algorithm, Stemmer};

/// Byte ranges of the words of `text`, in order.
///
/// A word is a run of alphanumeric characters; an apostrophe, hyphen or
/// period between a word and a letter or digit joins them ("don't",
/// "U.S"), as does a comma between digits ("1,500"). ASCII bytes are
/// classified without decoding a character: this runs over every sentence
/// of every source.
pub(crate) fn spans(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(text.len() / 6);
    let mut start: Option<usize> = None;
    let mut previous = ' ';
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_alphanumeric() {
            // Most of a text: a run of ASCII letters and digits, taken in
            // one loop.
            start.get_or_insert(i);
            i = ascii_run_end(bytes, i);
            previous = char::from(bytes[i - 1]);
            continue;
        }
        let (c, len) = char_at(text, i);
        let before = std::mem::replace(&mut previous, c);
        let alphanumeric = if c.is_ascii() {
            c.is_ascii_alphanumeric()
        } else {
            c.is_alphanumeric()
        };
        if alphanumeric {
            start.get_or_insert(i);
            i += len;
            continue;
        }
        let next = || char_at(text, i + len).0;
        let joins = start.is_some()
            && match c {
                '\'' | '’' | '-' | '.' => next().is_alphanumeric(),
                ',' => before.is_ascii_digit() && next().is_ascii_digit(),
                _ => false,
            };
        if !joins && let Some(s) = start.take() {
            out.push(s..i);
        }
        i += len;
    }
    if let Some(s) = start {
        out.push(s..text.len());
    }
    out
}

/// The end of the run of ASCII letters and digits at `i`, found eight
/// bytes at a time: each byte's top bit is set when it is a letter or a
/// digit (by adding to each byte, kept under 0x80 so that no addition
/// carries into the next, what takes the bounds of a range to 0x80), and
/// the run ends at the lowest byte whose bit is clear. The run's words
/// average six bytes; a loop over the bytes took some five instructions
/// for each.
fn ascii_run_end(bytes: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    // Each byte of `v` (all under 0x80) from `low` to `high`, as its top bit.
    let within = |v: u64, low: u8, high: u8| {
        (v + ONES * u64::from(0x80 - low)) & !(v + ONES * u64::from(0x7f - high)) & HIGH
    };
    while let Some(chunk) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let low = x & !HIGH;
        let word = (within(low | (ONES * 0x20), b'a', b'z') | within(low, b'0', b'9')) & !x;
        let stop = !word & HIGH;
        if stop != 0 {
            return i + stop.trailing_zeros() as usize / 8;
        }
        i += 8;
    }
    while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
        i += 1;
    }
    i
}

/// The character at byte `i` of `text` (a character boundary) and its
/// length; a space past the end.
fn char_at(text: &str, i: usize) -> (char, usize) {
    match text.as_bytes().get(i) {
        None => (' ', 1),
        Some(&b) if b.is_ascii() => (char::from(b), 1),
        Some(_) => text[i..]
            .chars()
            .next()
            .map_or((' ', 1), |c| (c, c.len_utf8())),
    }
}

/// The key a word is compared by in diffs and alias matching.
pub(crate) fn key(word: &str) -> String {
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    let acronym = letters >= 2
        && word
            .chars()
            .all(|c| c.is_uppercase() || c == '.' || c.is_ascii_digit());
    if acronym {
        return word.chars().filter(|&c| c != '.').collect();
    }
    word.chars()
        .map(|c| if c == '’' { '\'' } else { c })
        .flat_map(char::to_lowercase)
        .collect()
}

/// A word folded for case-insensitive matching: lowercased, apostrophes
/// straightened, acronyms included (aliases match "New START" and "new
/// start" alike).
pub(crate) fn folded(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    fold_into(word, &mut out);
    out
}

/// [`folded`], into `out` (cleared first): a loop over many words reuses
/// one buffer.
pub(crate) fn fold_into(word: &str, out: &mut String) {
    out.clear();
    if word.is_ascii() {
        out.push_str(word);
        out.make_ascii_lowercase();
        return;
    }
    out.extend(
        word.chars()
            .map(|c| if c == '’' { '\'' } else { c })
            .flat_map(char::to_lowercase),
    );
}

/// Whether a key is a function word: compared in diffs, but not a sign of
/// shared content.
pub(crate) fn is_stopword(key: &str) -> bool {
    STOPWORDS.binary_search(&key).is_ok()
}

/// Whether a key negates ("not", "never", "didn't").
pub(crate) fn is_negation(key: &str) -> bool {
    matches!(
        key,
        "not" | "no" | "never" | "nor" | "neither" | "none" | "nothing" | "nobody" | "without"
    ) || key.ends_with("n't")
}

/// Whether a word is written with a capital first letter.
pub(crate) fn is_capitalised(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

/// Whether a word is a number: it holds a digit, or is a number word.
pub(crate) fn is_number(word: &str) -> bool {
    word.chars().any(|c| c.is_ascii_digit()) || NUMBER_WORDS.contains(&key(word).as_str())
}

const NUMBER_WORDS: &[&str] = &[
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
    "thousand",
    "million",
    "billion",
    "trillion",
    "dozen",
    "half",
    "quarter",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "tenth",
    "once",
    "twice",
    "thrice",
];

/// Stems content words; one per thread of work. It remembers the words it
/// has stemmed, as written: prose repeats its words, and stemming is most
/// of the cost of preparing a text.
pub(crate) struct Stems {
    stemmer: Stemmer,
    seen: RefCell<HashMap<Box<str>, Option<u64>, foldhash::fast::RandomState>>,
}

/// Words remembered at most, so memory stays bounded on huge inputs (and
/// in a long `serve`, since each thread keeps its table).
const REMEMBERED: usize = 1 << 16;

thread_local! {
    static STEMS: Stems = Stems::new();
}

impl Stems {
    pub(crate) fn new() -> Stems {
        Stems {
            stemmer: Stemmer::create(Algorithm::English),
            seen: RefCell::default(),
        }
    }

    /// Runs `f` with this thread's stemmer, whose memory of stemmed words
    /// outlives the call.
    pub(crate) fn with<R>(f: impl FnOnce(&Stems) -> R) -> R {
        STEMS.with(f)
    }

    /// The stem of a content word, hashed; `None` for a stopword.
    pub(crate) fn of(&self, word: &str) -> Option<u64> {
        if let Some(&stem) = self.seen.borrow().get(word) {
            return stem;
        }
        let stem = self.compute(word);
        let mut seen = self.seen.borrow_mut();
        if seen.len() < REMEMBERED {
            seen.insert(word.into(), stem);
        }
        stem
    }

    fn compute(&self, word: &str) -> Option<u64> {
        let key = key(word);
        if is_stopword(&key) {
            return None;
        }
        let base = key
            .strip_suffix("'s")
            .or_else(|| key.strip_suffix('\''))
            .unwrap_or(&key);
        if base.chars().any(|c| c.is_uppercase() || c.is_ascii_digit()) {
            return Some(hash(base.as_bytes()));
        }
        Some(hash(self.stemmer.stem(base).as_bytes()))
    }
}

/// FNV-1a, then a finaliser that spreads the bits (splitmix64): a fixed,
/// seedless hash, so that signatures and every ordering derived from them
/// are the same on every run and machine.
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix(h)
}

/// splitmix64's finaliser.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Function words, sorted (checked by a test) for binary search.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "among",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "during",
    "each",
    "even",
    "ever",
    "every",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "it's",
    "its",
    "itself",
    "just",
    "may",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "said",
    "same",
    "say",
    "says",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        spans(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn spans_table() {
        let cases: &[(&str, &[&str])] = &[
            ("Putin's critic.", &["Putin's", "critic"]),
            (
                "Kremlin-backed, 2.4 million",
                &["Kremlin-backed", "2.4", "million"],
            ),
            ("the U.S. said", &["the", "U.S", "said"]),
            ("40,000 pounds, 3, 4", &["40,000", "pounds", "3", "4"]),
            ("“quoted” - dash", &["quoted", "dash"]),
            ("Putin’s end.", &["Putin’s", "end"]),
            ("trailing-", &["trailing"]),
            ("", &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(words(text), *expected, "{text:?}");
        }
    }

    proptest::proptest! {
        /// The fast loop over ASCII runs changes nothing: the spans are
        /// those of the rule applied one character at a time.
        #[test]
        fn spans_follow_the_rule_character_by_character(
            text in "([a-zA-Z0-9]{0,3}[0-9]?[',.’é“ -]?[0-9]?[a-zA-Z0-9@\\[`{/:]{0,11}){0,12}",
        ) {
            proptest::prop_assert_eq!(spans(&text), spans_by_character(&text));
        }
    }

    /// [`spans`] as its rule reads: each character in turn.
    fn spans_by_character(text: &str) -> Vec<Range<usize>> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let mut out = Vec::new();
        let mut start: Option<usize> = None;
        for (k, &(i, c)) in chars.iter().enumerate() {
            if c.is_alphanumeric() {
                start.get_or_insert(i);
                continue;
            }
            let before = k.checked_sub(1).map_or(' ', |p| chars[p].1);
            let next = chars.get(k + 1).map_or(' ', |n| n.1);
            let joins = start.is_some()
                && match c {
                    '\'' | '’' | '-' | '.' => next.is_alphanumeric(),
                    ',' => before.is_ascii_digit() && next.is_ascii_digit(),
                    _ => false,
                };
            if !joins && let Some(s) = start.take() {
                out.push(s..i);
            }
        }
        if let Some(s) = start {
            out.push(s..text.len());
        }
        out
    }

    #[test]
    fn keys_keep_acronyms_apart_from_words() {
        assert_eq!(key("US"), "US");
        assert_eq!(key("U.S"), "US");
        assert_eq!(key("us"), "us");
        assert_eq!(key("Us"), "us");
        assert_eq!(key("Putin’s"), "putin's");
        assert_eq!(key("2020"), "2020");
        assert_eq!(key("A"), "a");
    }

    #[test]
    fn stopwords_are_sorted_and_stems_ignore_them() {
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]));
        let stems = Stems::new();
        assert_eq!(stems.of("The"), None);
        assert_eq!(stems.of("bounties"), stems.of("bounty"));
        assert_eq!(stems.of("Putin's"), stems.of("Putin"));
        assert_ne!(stems.of("impeached"), stems.of("arrested"));
        assert_ne!(stems.of("US"), None);
    }

    #[test]
    fn numbers() {
        assert!(is_number("2019"));
        assert!(is_number("Two"));
        assert!(!is_number("twofold"));
    }

    #[test]
    fn negations() {
        assert!(is_negation("not"));
        assert!(is_negation("didn't"));
        assert!(!is_negation("note"));
    }
}
