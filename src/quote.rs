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
//! [`SourceIndex`] and searched with `memchr`; quotes with `...`
//! are matched piece by piece, in order, inside one paragraph.

use std::cell::OnceCell;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::LazyLock;

use memchr::memmem;

use crate::parse::paragraphs::Paragraph;

/// Separates paragraphs in the index: never produced by [`normalise`], so no
/// match crosses a paragraph boundary.
const PARAGRAPH_BREAK: char = '\n';

/// Walks `text` as [`normalise`] rewrites it: calls `emit` with each piece
/// of the normalised text, in order, and the byte offset in `text` that
/// piece comes from.
fn normalise_with(text: &str, mut emit: impl FnMut(&str, usize)) {
    let mut started = false;
    let mut pending_space: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if started && pending_space.is_none() {
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
            _ => &text[i..i + c.len_utf8()],
        };
        if let Some(at) = pending_space.take() {
            emit(" ", at);
        }
        started = true;
        emit(replacement, i);
    }
}

/// Whether [`normalise`] leaves `text` as it is, and so maps each byte to
/// itself: every character ASCII (all it rewrites is not) and every white
/// space a single space between words. Most paragraphs of most captures
/// are, and the check is one pass over the bytes: blocks of 32 are tested
/// without a branch for each byte, which the compiler makes a few vector
/// compares, and a double space is looked for with `memmem`.
fn is_normal(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ') {
        return false;
    }
    // Not ASCII, or a white space other than the space (tab to carriage
    // return).
    let odd = |b: u8| (b >= 0x80) | (b.wrapping_sub(b'\t') <= b'\r' - b'\t');
    let plain = bytes
        .chunks(32)
        .all(|block| !block.iter().fold(false, |any, &b| any | odd(b)));
    static DOUBLE_SPACE: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(b"  "));
    plain && DOUBLE_SPACE.find(bytes).is_none()
}

/// Normalises text for comparison; also returns, for each output byte, the
/// byte offset in `text` it came from (plus one final entry for the end).
/// The whole map, which the tests check [`raw_offsets`] against.
#[cfg(test)]
fn normalise_mapped(text: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() + 1);
    normalise_with(text, |piece, raw| {
        out.push_str(piece);
        map.extend(std::iter::repeat_n(raw, piece.len()));
    });
    map.push(text.trim_end().len());
    (out, map)
}

/// Normalises text for comparison.
pub(crate) fn normalise(text: &str) -> String {
    if is_normal(text) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    normalise_with(text, |piece, _| out.push_str(piece));
    out
}

/// What `normalise_mapped(text).1[p]` is for each of `positions`, which
/// must be ascending and inside the normalised text, without building the
/// whole map: resolving a quote needs two entries of it, not one per byte.
fn raw_offsets(text: &str, positions: &[usize]) -> Vec<usize> {
    if is_normal(text) {
        return positions.to_vec();
    }
    let mut found = Vec::with_capacity(positions.len());
    let mut at = 0;
    normalise_with(text, |piece, raw| {
        at += piece.len();
        while found.len() < positions.len() && positions[found.len()] < at {
            found.push(raw);
        }
    });
    found
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

/// Text order: by paragraph, then by position (the ranges compared in
/// turn, each by start, then end). Passages are sorted by it on every
/// source page, so nothing is allocated to compare.
impl Ord for QuoteMatch {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.paragraph.cmp(&other.paragraph).then_with(|| {
            let key = |r: &Range<usize>| (r.start, r.end);
            self.ranges
                .iter()
                .map(key)
                .cmp(other.ranges.iter().map(key))
        })
    }
}

impl PartialOrd for QuoteMatch {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A source's paragraphs, normalised once, ready to be searched. The
/// default is the index of no paragraphs.
#[derive(Debug, Default)]
pub(crate) struct SourceIndex {
    haystack: String,
    /// Start of each paragraph in `haystack`.
    starts: Vec<usize>,
    /// Whether each paragraph is its own normal form ([`is_normal`]), so
    /// that a match's offsets are already the paragraph's: decided once,
    /// rather than for each quote found in it.
    normal: Vec<bool>,
}

impl SourceIndex {
    /// Builds the index of a source's paragraphs.
    pub(crate) fn new(paragraphs: &[Paragraph]) -> SourceIndex {
        let mut haystack = String::new();
        let mut starts = Vec::with_capacity(paragraphs.len());
        let mut normal = Vec::with_capacity(paragraphs.len());
        for p in paragraphs {
            starts.push(haystack.len());
            let is = is_normal(&p.text);
            if is {
                haystack.push_str(&p.text);
            } else {
                normalise_with(&p.text, |piece, _| haystack.push_str(piece));
            }
            normal.push(is);
            haystack.push(PARAGRAPH_BREAK);
        }
        SourceIndex {
            haystack,
            starts,
            normal,
        }
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
    ///
    /// Each piece is placed at its first fitting occurrence after the one
    /// before (greedy). Greedy placement only moves later when the first
    /// piece does, so once the rest fails to fit after one start, it fails
    /// after every later start in the paragraph too: the search moves on to
    /// the next paragraph, and each paragraph is scanned about once per
    /// piece, whatever the quote.
    fn find_normalised(&self, pieces: &[String]) -> Option<(usize, Vec<Range<usize>>)> {
        let needles: Vec<Needle<'_>> = pieces.iter().map(|p| Needle::new(p.as_bytes())).collect();
        let (first, rest) = needles.split_first()?;
        let hay = self.haystack.as_bytes();
        let mut from = 0;
        while let Some(start) = first.find(hay, from, hay.len()) {
            let paragraph = self.paragraph_of(start);
            let limit = self.paragraph_end(paragraph);
            let mut ranges = Vec::with_capacity(needles.len());
            ranges.push(start..start + first.len());
            let mut at = start + first.len();
            for needle in rest {
                let Some(found) = needle.find(hay, at, limit) else {
                    break;
                };
                ranges.push(found..found + needle.len());
                at = found + needle.len();
            }
            if ranges.len() == needles.len() {
                return Some((paragraph, ranges));
            }
            from = limit + 1;
        }
        None
    }

    /// Finds a quote and maps the match back to byte ranges of the
    /// paragraph's own text.
    pub(crate) fn find(&self, paragraphs: &[Paragraph], pieces: &[String]) -> Option<QuoteMatch> {
        let (paragraph, ranges) = self.find_normalised(pieces)?;
        let base = self.starts[paragraph];
        let text = &paragraphs[paragraph].text;
        // Each range needs the offsets of its first and last bytes.
        let wanted: Vec<usize> = ranges
            .iter()
            .flat_map(|r| [r.start - base, r.end - 1 - base])
            .collect();
        let raw = if self.normal[paragraph] {
            wanted
        } else {
            raw_offsets(text, &wanted)
        };
        let ranges = raw
            .chunks_exact(2)
            .map(|pair| pair[0]..char_end(text, pair[1]))
            .collect();
        Some(QuoteMatch { paragraph, ranges })
    }

    /// The passage most like a quote that was not found: the window of the
    /// same number of words sharing the most words with it.
    ///
    /// The count of shared words slides along each paragraph in constant
    /// time per word. Ties are broken by the words in the same position as
    /// in the quote, which costs the quote's length per window; that work
    /// has a budget, after which a tie keeps the earlier window, so a long
    /// quote against a 50 MB source still answers in time proportional to
    /// the source.
    pub(crate) fn closest(&self, pieces: &[String]) -> Option<(usize, String)> {
        let quote: Vec<String> = pieces.iter().flat_map(|p| comparable_words(p)).collect();
        if quote.is_empty() {
            return None;
        }
        let wanted: HashSet<&str> = quote.iter().map(String::as_str).collect();
        let mut budget = ALIGNMENT_BUDGET;
        // Best window: most shared words, then most words in the same
        // position as in the quote, then the earliest.
        let mut best: Option<((usize, usize), usize, usize, usize)> = None;
        for (index, &start) in self.starts.iter().enumerate() {
            let text = &self.haystack[start..self.paragraph_end(index)];
            let keys: Vec<String> = text.split(' ').map(comparable).collect();
            let hits: Vec<bool> = keys.iter().map(|k| wanted.contains(k.as_str())).collect();
            let n = quote.len().min(keys.len());
            let mut shared = hits[..n].iter().filter(|&&h| h).count();
            for from in 0..=keys.len() - n {
                if from > 0 {
                    shared = shared + usize::from(hits[from + n - 1]) - usize::from(hits[from - 1]);
                }
                let best_shared = best.map_or(0, |b| b.0.0);
                let better = best.is_none() || shared > best_shared;
                if !better && (shared < best_shared || budget < n) {
                    continue;
                }
                let aligned = if budget >= n {
                    budget -= n;
                    let window = &keys[from..from + n];
                    window.iter().zip(&quote).filter(|(a, b)| a == b).count()
                } else {
                    0
                };
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

/// Word comparisons [`SourceIndex::closest`] may spend breaking ties
/// between windows that share as many words with a quote: ample for any
/// real quote against a real source, and a few milliseconds at worst.
const ALIGNMENT_BUDGET: usize = 1 << 20;

/// The byte after a match that ends at normalised offset `end`: just past
/// the source character that produced the match's last byte.
/// The end of the character that starts at `last`.
fn char_end(text: &str, last: usize) -> usize {
    last + text[last..].chars().next().map_or(1, char::len_utf8)
}

/// A quoted piece, ready to be found on word boundaries.
///
/// `memmem` finds occurrences that do not overlap, but the one on word
/// boundaries may overlap one that is not (`a a` in `ba a a`); restarting
/// the search one byte later would find it, in time proportional to the
/// haystack times the piece when occurrences pile up (`aa aa … aa a` in
/// `aa aa aa …`). Knowing the piece's shortest period instead, each
/// overlapping occurrence costs only the bytes it adds (Galil's rule), and
/// a search never re-reads more than it moved forward.
struct Needle<'a> {
    bytes: &'a [u8],
    finder: Finder<'a>,
    /// The shortest `p > 0` with `bytes[i] == bytes[i + p]` for every `i`;
    /// found when first needed, as nearly every quote's first occurrence
    /// is on word boundaries.
    period: OnceCell<usize>,
}

impl<'a> Needle<'a> {
    fn new(bytes: &'a [u8]) -> Needle<'a> {
        Needle {
            bytes,
            finder: Finder::new(bytes),
            period: OnceCell::new(),
        }
    }

    fn period(&self) -> usize {
        *self.period.get_or_init(|| shortest_period(self.bytes))
    }

    fn len(&self) -> usize {
        self.bytes.len()
    }

    /// The first occurrence in `hay[from..limit]` that starts and ends on
    /// word boundaries (which are judged against the whole of `hay`).
    fn find(&self, hay: &[u8], from: usize, limit: usize) -> Option<usize> {
        let m = self.bytes.len();
        if m == 0 {
            return None;
        }
        let mut pos = from;
        while pos + m <= limit {
            let mut at = pos + self.finder.find(&hay[pos..limit], self.bytes)?;
            loop {
                if on_word_boundaries(hay, at..at + m) {
                    return Some(at);
                }
                let p = self.period();
                // `at + p` is an occurrence too when the `p` bytes past this
                // one repeat the piece's last `p` bytes.
                let next = at + p;
                if next + m <= limit && hay[at + m..next + m] == self.bytes[m - p..] {
                    at = next;
                } else {
                    break;
                }
            }
            // With `at + p` ruled out, no occurrence starts before
            // `at + max(p, m - p) + 1`: one that overlapped `at` by `p`
            // bytes or more would be a whole number of periods away
            // (Fine and Wilf), so `at + p` would be one.
            let p = self.period();
            pos = at + p.max(m - p) + 1;
        }
        None
    }
}

/// Finds a piece's occurrences, overlapping or not.
///
/// Most pieces are a few words, searched for once in a source of a few
/// thousand bytes: building `memmem`'s searcher (its two-way factorisation
/// and its choice of method) took longer than the search. A short piece is
/// found instead by the vector search for a pair of its rarer bytes that
/// `memmem` uses as its first filter, each candidate checked by comparing
/// the whole piece. That check makes a search's worst case the haystack
/// times the piece, so it is kept to pieces of at most [`PAIR_MAX`] bytes.
enum Finder<'a> {
    #[cfg(target_arch = "x86_64")]
    Pair(memchr::arch::x86_64::avx2::packedpair::Finder),
    Memmem(memmem::Finder<'a>),
}

/// The longest piece searched for by its pair of bytes.
const PAIR_MAX: usize = 64;

impl<'a> Finder<'a> {
    fn new(bytes: &'a [u8]) -> Finder<'a> {
        #[cfg(target_arch = "x86_64")]
        if bytes.len() <= PAIR_MAX
            && let Some(pair) = memchr::arch::x86_64::avx2::packedpair::Finder::new(bytes)
        {
            return Finder::Pair(pair);
        }
        Finder::Memmem(memmem::Finder::new(bytes))
    }

    /// The first occurrence of `bytes`, the piece this was made for.
    fn find(&self, hay: &[u8], bytes: &[u8]) -> Option<usize> {
        match self {
            #[cfg(target_arch = "x86_64")]
            Finder::Pair(pair) if hay.len() >= pair.min_haystack_len() => pair.find(hay, bytes),
            #[cfg(target_arch = "x86_64")]
            Finder::Pair(_) => memmem::find(hay, bytes),
            Finder::Memmem(finder) => finder.find(hay),
        }
    }
}

/// The shortest period of `bytes` (its length when it has none shorter),
/// from the Knuth–Morris–Pratt failure function.
fn shortest_period(bytes: &[u8]) -> usize {
    let mut border = vec![0usize; bytes.len()];
    let mut k = 0;
    for i in 1..bytes.len() {
        while k > 0 && bytes[i] != bytes[k] {
            k = border[k - 1];
        }
        if bytes[i] == bytes[k] {
            k += 1;
        }
        border[i] = k;
    }
    bytes.len() - border.last().copied().unwrap_or(0)
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
    fn matches_sort_in_text_order() {
        let m = |paragraph: usize, ranges: &[(usize, usize)]| QuoteMatch {
            paragraph,
            ranges: ranges.iter().map(|&(a, b)| a..b).collect(),
        };
        let mut all = vec![
            m(2, &[(0, 5)]),
            m(1, &[(4, 9), (20, 30)]),
            m(1, &[(4, 9)]),
            m(1, &[(4, 8), (40, 50)]),
            m(0, &[(90, 99)]),
        ];
        all.sort();
        assert_eq!(
            all,
            [
                m(0, &[(90, 99)]),
                m(1, &[(4, 8), (40, 50)]),
                m(1, &[(4, 9)]),
                m(1, &[(4, 9), (20, 30)]),
                m(2, &[(0, 5)]),
            ]
        );
    }

    #[test]
    fn raw_offsets_agree_with_the_whole_map() {
        for text in [
            "plain words, one space apart",
            "two  spaces",
            " leading",
            "trailing ",
            "tab\there",
            "a  b\n c",
            "  lead “curly” — wait… end  ",
            "soft\u{00AD}hyphen and Навальный’s",
            "",
        ] {
            let (out, map) = normalise_mapped(text);
            assert_eq!(normalise(text), out, "{text:?}");
            let every: Vec<usize> = (0..out.len()).collect();
            assert_eq!(raw_offsets(text, &every), map[..out.len()], "{text:?}");
            let some: Vec<usize> = (0..out.len()).step_by(3).collect();
            let want: Vec<usize> = some.iter().map(|&p| map[p]).collect();
            assert_eq!(raw_offsets(text, &some), want, "{text:?}");
        }
    }

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

    /// The first occurrence of `needle` in `hay[from..]` on word
    /// boundaries, by trying every position.
    fn naive_find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
        (from..=hay.len().checked_sub(needle.len())?).find(|&at| {
            &hay[at..at + needle.len()] == needle && on_word_boundaries(hay, at..at + needle.len())
        })
    }

    #[test]
    fn overlapping_occurrences_on_word_boundaries_are_found() {
        // The occurrence at 1 is inside "ba"; the one on word boundaries
        // overlaps it.
        let hay = b"ba a a";
        assert_eq!(Needle::new(b"a a").find(hay, 0, hay.len()), Some(3));
        // Long enough for the vector search, and a piece longer than it
        // takes (the `memmem` searcher).
        let hay = format!("{}x", "aa ".repeat(60));
        let short = "aa aa x";
        let long = format!("{}x", "aa ".repeat(30));
        for piece in [short, long.as_str()] {
            let want = naive_find(hay.as_bytes(), piece.as_bytes(), 0);
            assert!(want.is_some(), "{piece}");
            let needle = Needle::new(piece.as_bytes());
            assert_eq!(needle.find(hay.as_bytes(), 0, hay.len()), want, "{piece}");
        }
    }

    /// [`is_normal`] byte by byte, as it was first written.
    fn is_normal_bytewise(text: &str) -> bool {
        let bytes = text.as_bytes();
        if bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ') {
            return false;
        }
        let mut previous = 0u8;
        for &b in bytes {
            if b >= 0x80 || (b'\t'..=b'\r').contains(&b) || (b == b' ' && previous == b' ') {
                return false;
            }
            previous = b;
        }
        true
    }

    proptest::proptest! {
        /// Texts of every length around the block size, mostly normal,
        /// with the odd tab, line break, double space or accented letter.
        #[test]
        fn is_normal_agrees_with_the_bytewise_check(
            text in "([a-z,.]{1,9} ){0,40}[a-z]{0,3}( |  |\t|\n|\r|é|…|\x0b|\x0c|\x1f)?[a-z ]{0,40}",
        ) {
            proptest::prop_assert_eq!(is_normal(&text), is_normal_bytewise(&text));
            if is_normal(&text) {
                proptest::prop_assert_eq!(normalise_mapped(&text).0, text);
            }
        }

        /// Pieces of every length and haystacks of every size (below and
        /// above what the vector search needs), made of few letters so
        /// that occurrences overlap and pile up.
        #[test]
        fn needles_find_what_trying_every_position_finds(
            hay in "[ab ]{0,300}",
            needle in "[ab ]{1,8}",
            cut in (0usize..300, 1usize..100),
            from in 0usize..40,
        ) {
            let hay = hay.as_bytes();
            let from = from.min(hay.len());
            // A piece of the haystack itself, of up to 100 bytes: longer
            // pieces than random ones ever match.
            let start = cut.0.min(hay.len().saturating_sub(1));
            let taken = &hay[start..(start + cut.1).min(hay.len())];
            for needle in [needle.as_bytes(), taken] {
                if needle.is_empty() {
                    continue;
                }
                proptest::prop_assert_eq!(
                    Needle::new(needle).find(hay, from, hay.len()),
                    naive_find(hay, needle, from),
                    "{:?}", std::str::from_utf8(needle)
                );
            }
        }
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
