//! Quote verification: normalising text and finding a quoted passage.
//!
//! A quotation in a note and the words in a capture differ in ways that do
//! not change what was said: line wraps, runs of spaces, curly against
//! straight quotes, en and em dashes against hyphens, `…` against `...`.
//! [`normalise`] maps both sides to one form; everything else (case,
//! spelling, punctuation) must match exactly, and a match must start and
//! end on word boundaries, so "ident Joe" does not verify "President Joe".
//!
//! Each source's normalised paragraphs are built once into a
//! [`SourceIndex`] and searched with `memchr::memmem`; quotes with `...`
//! are matched piece by piece, in order, inside one paragraph.

use std::collections::HashSet;
use std::ops::Range;

use memchr::memmem;

use crate::parse::paragraphs::Paragraph;

/// Separates paragraphs in the index: never produced by [`normalise`], so no
/// match crosses a paragraph boundary.
const PARAGRAPH_BREAK: char = '\n';

/// Normalises text for comparison; also returns, for each output byte, the
/// byte offset in `text` it came from (plus one final entry for the end).
pub(crate) fn normalise_mapped(text: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() + 1);
    let mut pending_space: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if !out.is_empty() && pending_space.is_none() {
                pending_space = Some(i);
            }
            continue;
        }
        let replacement: &str = match c {
            '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' => {
                continue;
            }
            '“' | '”' | '„' | '‟' | '″' | '＂' => "\"",
            '‘' | '’' | '‚' | '‛' | '′' | '＇' => "'",
            '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' => "-",
            '…' => "...",
            _ => "",
        };
        if let Some(at) = pending_space.take() {
            out.push(' ');
            map.push(at);
        }
        if replacement.is_empty() {
            let start = out.len();
            out.push(c);
            map.extend(std::iter::repeat_n(i, out.len() - start));
        } else {
            out.push_str(replacement);
            map.extend(std::iter::repeat_n(i, replacement.len()));
        }
    }
    let end = text.trim_end().len();
    map.push(end);
    (out, map)
}

/// Normalises text for comparison.
pub(crate) fn normalise(text: &str) -> String {
    normalise_mapped(text).0
}

/// The pieces of a quotation: its words split at `...` (or `…`), each
/// normalised; empty pieces (a leading or trailing ellipsis) dropped.
pub(crate) fn pieces(words: &str) -> Vec<String> {
    words
        .split("...")
        .flat_map(|p| p.split('…'))
        .map(normalise)
        .filter(|p| !p.is_empty())
        .collect()
}

/// A verified quotation: the paragraph and the byte ranges of each piece in
/// that paragraph's text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct QuoteMatch {
    /// Index of the paragraph (0-based; its anchor is `p-{index+1}`).
    pub paragraph: usize,
    /// Byte ranges in the paragraph's text, in order.
    pub ranges: Vec<Range<usize>>,
}

impl QuoteMatch {
    fn key(&self) -> (usize, Vec<(usize, usize)>) {
        (
            self.paragraph,
            self.ranges.iter().map(|r| (r.start, r.end)).collect(),
        )
    }
}

/// Text order: by paragraph, then by position.
impl Ord for QuoteMatch {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for QuoteMatch {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A source's paragraphs, normalised once, ready to be searched.
#[derive(Debug)]
pub(crate) struct SourceIndex {
    haystack: String,
    /// Start of each paragraph in `haystack`.
    starts: Vec<usize>,
}

impl SourceIndex {
    /// Builds the index of a source's paragraphs.
    pub(crate) fn new(paragraphs: &[Paragraph]) -> SourceIndex {
        let mut haystack = String::new();
        let mut starts = Vec::with_capacity(paragraphs.len());
        for p in paragraphs {
            starts.push(haystack.len());
            haystack.push_str(&normalise(&p.text));
            haystack.push(PARAGRAPH_BREAK);
        }
        SourceIndex { haystack, starts }
    }

    fn paragraph_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset) - 1
    }

    fn paragraph_end(&self, index: usize) -> usize {
        self.starts
            .get(index + 1)
            .map_or(self.haystack.len(), |&s| s)
            - 1
    }

    /// Finds the pieces of a quote, in order, inside one paragraph, each on
    /// word boundaries; the earliest such match. Ranges are in the
    /// normalised haystack.
    fn find_normalised(&self, pieces: &[String]) -> Option<(usize, Vec<Range<usize>>)> {
        let first = pieces.first()?;
        let hay = self.haystack.as_bytes();
        for start in memmem::find_iter(hay, first.as_bytes()) {
            if !on_word_boundaries(hay, start..start + first.len()) {
                continue;
            }
            let paragraph = self.paragraph_of(start);
            let limit = self.paragraph_end(paragraph);
            let mut ranges = Vec::with_capacity(pieces.len());
            ranges.push(start..start + first.len());
            let mut from = start + first.len();
            for piece in &pieces[1..] {
                match find_bounded(hay, piece.as_bytes(), from, limit) {
                    Some(at) => {
                        ranges.push(at..at + piece.len());
                        from = at + piece.len();
                    }
                    None => break,
                }
            }
            if ranges.len() == pieces.len() {
                return Some((paragraph, ranges));
            }
        }
        None
    }

    /// Finds a quote and maps the match back to byte ranges of the
    /// paragraph's own text.
    pub(crate) fn find(&self, paragraphs: &[Paragraph], pieces: &[String]) -> Option<QuoteMatch> {
        let (paragraph, ranges) = self.find_normalised(pieces)?;
        let base = self.starts[paragraph];
        let (_, map) = normalise_mapped(&paragraphs[paragraph].text);
        let ranges = ranges
            .into_iter()
            .map(|r| map[r.start - base]..map_end(&map, r.end - base, &paragraphs[paragraph].text))
            .collect();
        Some(QuoteMatch { paragraph, ranges })
    }

    /// The passage most like a quote that was not found: the window of the
    /// same number of words sharing the most words with it.
    pub(crate) fn closest(&self, pieces: &[String]) -> Option<(usize, String)> {
        let quote: Vec<String> = pieces.iter().flat_map(|p| comparable_words(p)).collect();
        if quote.is_empty() {
            return None;
        }
        let wanted: HashSet<&str> = quote.iter().map(String::as_str).collect();
        // Best window: most shared words, then most words in the same
        // position as in the quote, then the earliest.
        let mut best: Option<((usize, usize), usize, usize, usize)> = None;
        for (index, &start) in self.starts.iter().enumerate() {
            let text = &self.haystack[start..self.paragraph_end(index)];
            let words: Vec<&str> = text.split(' ').collect();
            let keys: Vec<String> = words.iter().map(|w| comparable(w)).collect();
            let n = quote.len().min(words.len());
            for from in 0..=words.len().saturating_sub(n) {
                let window = &keys[from..from + n];
                let shared = window
                    .iter()
                    .filter(|k| wanted.contains(k.as_str()))
                    .count();
                let aligned = window.iter().zip(&quote).filter(|(a, b)| a == b).count();
                if best.is_none_or(|b| (shared, aligned) > b.0) {
                    best = Some(((shared, aligned), index, from, from + n));
                }
            }
        }
        let ((score, _), index, from, to) = best?;
        if score == 0 {
            return None;
        }
        let start = self.starts[index];
        let text = &self.haystack[start..self.paragraph_end(index)];
        let words: Vec<&str> = text.split(' ').collect();
        Some((index, words[from..to].join(" ")))
    }
}

/// The byte after a match that ends at normalised offset `end`: just past
/// the source character that produced the match's last byte.
fn map_end(map: &[usize], end: usize, text: &str) -> usize {
    let last = map[end - 1];
    last + text[last..].chars().next().map_or(1, char::len_utf8)
}

fn find_bounded(hay: &[u8], needle: &[u8], from: usize, limit: usize) -> Option<usize> {
    let window = hay.get(from..limit)?;
    memmem::find_iter(window, needle)
        .map(|i| from + i)
        .find(|&at| on_word_boundaries(hay, at..at + needle.len()))
}

/// A match must not start or end in the middle of a word.
fn on_word_boundaries(hay: &[u8], range: Range<usize>) -> bool {
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b >= 0x80;
    let starts_ok =
        range.start == 0 || !is_word(hay[range.start]) || !is_word(hay[range.start - 1]);
    let ends_ok =
        range.end >= hay.len() || !is_word(hay[range.end - 1]) || !is_word(hay[range.end]);
    starts_ok && ends_ok
}

fn comparable(word: &str) -> String {
    word.trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

fn comparable_words(text: &str) -> Vec<String> {
    text.split(' ')
        .map(comparable)
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::paragraphs::split;

    #[test]
    fn normalise_table() {
        let cases = [
            ("a  b\n c", "a b c"),
            ("  lead and trail  ", "lead and trail"),
            ("“curly” ‘single’", "\"curly\" 'single'"),
            ("Kremlin–backed — x", "Kremlin-backed - x"),
            ("wait…", "wait..."),
            ("soft\u{00AD}hyphen", "softhyphen"),
            ("non\u{00A0}breaking", "non breaking"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalise(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn map_points_back_to_the_input() {
        let (out, map) = normalise_mapped("a “b”\n  c");
        assert_eq!(out, "a \"b\" c");
        assert_eq!(map.len(), out.len() + 1);
        assert_eq!(map[2], 2); // the opening quote
        assert_eq!(map[6], 12); // 'c', after three bytes of quote, the wrap and two spaces
    }

    #[test]
    fn pieces_split_on_ellipses() {
        assert_eq!(pieces("a b ... c"), ["a b", "c"]);
        assert_eq!(pieces("... a … b..."), ["a", "b"]);
        assert!(pieces(" ... ").is_empty());
    }

    fn find(text: &str, quote: &str) -> Option<(usize, Vec<String>)> {
        let paras = split(text, 0);
        let index = SourceIndex::new(&paras);
        index.find(&paras, &pieces(quote)).map(|m| {
            let t = &paras[m.paragraph].text;
            (
                m.paragraph,
                m.ranges.iter().map(|r| t[r.clone()].to_owned()).collect(),
            )
        })
    }

    #[test]
    fn matching_table() {
        let text = "The president pressed Putin on “the SolarWinds\nhack, reports” of bounties.\n\nSecond paragraph – with dash.\n";
        assert_eq!(
            find(text, "pressed Putin on \"the SolarWinds hack"),
            Some((
                0,
                vec!["pressed Putin on “the SolarWinds\nhack".replace('\n', " ")]
            ))
        );
        assert_eq!(find(text, "with dash"), Some((1, vec!["with dash".into()])));
        assert_eq!(
            find(text, "paragraph - with"),
            Some((1, vec!["paragraph – with".into()]))
        );
        assert_eq!(
            find(text, "The president ... of bounties"),
            Some((0, vec!["The president".into(), "of bounties".into()]))
        );
        // Case, word boundaries, order and paragraph bounds all matter.
        assert_eq!(find(text, "the president pressed"), None);
        assert_eq!(find(text, "resident pressed"), None);
        assert_eq!(find(text, "of bounties ... The president"), None);
        assert_eq!(find(text, "bounties ... Second paragraph"), None);
    }

    #[test]
    fn closest_passage_names_the_likely_words() {
        let paras = split(
            "Alpha beta gamma delta.\n\nBiden pressed Putin on the hack.\n",
            0,
        );
        let index = SourceIndex::new(&paras);
        let (p, words) = index
            .closest(&pieces("Biden pushed Putin on the hack"))
            .unwrap();
        assert_eq!((p, words.as_str()), (1, "Biden pressed Putin on the hack."));
    }
}
