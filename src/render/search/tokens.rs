//! Splitting text into the runs of alphanumeric characters the index is
//! made of: the inner loop of the search index, over every word of every
//! topic, paragraph and passage (twelve million of them at 10,000 topics).
//!
//! Text is read in blocks of 64 bytes. A block of ASCII, nearly every block
//! of most texts, is classified in a few vector instructions into three
//! bit masks (letters and digits, upper-case letters, bytes outside ASCII),
//! and its words are read off the first mask with bit counts: no test and
//! no branch per byte, and only one per word. A block holding a character
//! outside ASCII is read character by character ([`Scan::step`]), which
//! decodes what it must. Both ways give the same tokens; the tests hold
//! them to the plain character-by-character split.

use std::ops::Range;

/// One block: what [`masks`] classifies at once.
const BLOCK: usize = 64;

/// A block's bytes as bit masks, bit `k` for byte `k`.
#[derive(Clone, Copy)]
struct Masks {
    /// ASCII letters and digits.
    word: u64,
    /// ASCII upper-case letters.
    upper: u64,
    /// Bytes of characters outside ASCII.
    other: u64,
}

/// What takes the tokens: a closure, or the index's counter, whose
/// [`token`](Sink::token) is then inlined into the loop over a block's
/// words (a closure called from the scanner's several places is not).
pub(super) trait Sink<'t> {
    /// One run of alphanumeric characters, whether it is all ASCII, and
    /// whether it holds an upper-case ASCII letter.
    fn token(&mut self, raw: &'t str, ascii: bool, upper: bool);
}

impl<'t, F: FnMut(&'t str, bool, bool)> Sink<'t> for F {
    #[inline(always)]
    fn token(&mut self, raw: &'t str, ascii: bool, upper: bool) {
        self(raw, ascii, upper);
    }
}

/// Hands `sink` each run of alphanumeric characters of `text`, in order,
/// and whether it is all ASCII and whether it holds an upper-case ASCII
/// letter; the words of the index are made from these.
pub(super) fn each_token<'t>(text: &'t str, sink: &mut impl Sink<'t>) {
    each_token_in(text, 0..text.len(), sink);
}

/// [`each_token`] over `text[range]`: words end where the range does. A
/// block is read from `text` past the end of the range where `text` has
/// the bytes, its bits past the range cleared, so the many short pieces of
/// text between the tags of a page cost no copy; only a block at the very
/// end of `text` is copied, padded with NUL (a separator).
pub(super) fn each_token_in<'t>(text: &'t str, range: Range<usize>, sink: &mut impl Sink<'t>) {
    let bytes = text.as_bytes();
    let mut scan = Scan {
        text,
        open: None,
        sink,
    };
    let Range { start: mut at, end } = range;
    while at < end {
        let stop = (at + BLOCK).min(end);
        let mut masks = if at + BLOCK <= bytes.len() {
            masks(&bytes[at..at + BLOCK])
        } else {
            let mut padded = [0u8; BLOCK];
            padded[..bytes.len() - at].copy_from_slice(&bytes[at..]);
            masks(&padded)
        };
        let inside = below(stop - at);
        masks.word &= inside;
        masks.upper &= inside;
        masks.other &= inside;
        if masks.other == 0 {
            scan.block(at, masks);
            at = stop;
        } else {
            // May stop a few bytes past the block, inside the character
            // that straddles its end; `at` stays on a character boundary.
            // The range ends on one, so this never passes `end`.
            while at < stop {
                at = scan.step(at);
            }
        }
    }
    scan.close(end);
}

/// [`each_token`] over text with markup in it: at each `<` or `&`,
/// `skip` gives the length of the markup that starts there (given the rest
/// of the text, at least 1), or `None` when it ends at the next `>` (or
/// with the text), as a plain tag does. The markup's bytes are neither
/// words nor part of one.
///
/// The blocks of the text are classified once each, and the markup found
/// in a block's classification too: a topic's page has a tag for every
/// seven words or so, and reading the text between two tags as a range of
/// its own classified the block around each tag again.
pub(super) fn each_marked_token<'t>(
    text: &'t str,
    sink: &mut impl Sink<'t>,
    skip: impl Fn(&str) -> Option<usize>,
) {
    let bytes = text.as_bytes();
    let end = bytes.len();
    let mut scan = Scan {
        text,
        open: None,
        sink,
    };
    // The bytes to the next `>`, itself included, from `from`.
    let to_tag_end =
        |from: usize| memchr::memchr(b'>', &bytes[from..]).map_or(end - from, |i| i + 1);
    let mut at = 0;
    'blocks: while at < end {
        let stop = (at + BLOCK).min(end);
        let (mut masks, (mut markup, tag_ends)) = if at + BLOCK <= end {
            let block = &bytes[at..at + BLOCK];
            (masks(block), markup_mask(block))
        } else {
            let mut padded = [0u8; BLOCK];
            padded[..end - at].copy_from_slice(&bytes[at..]);
            (masks(&padded), markup_mask(&padded))
        };
        if masks.other != 0 {
            // Character by character, as far as the block's end or the
            // first markup in it.
            while at < stop {
                if matches!(bytes[at], b'<' | b'&') {
                    scan.close(at);
                    at += skip(&text[at..]).unwrap_or_else(|| to_tag_end(at));
                    continue 'blocks;
                }
                at = scan.step(at);
            }
            continue;
        }
        let inside = below(stop - at);
        masks.word &= inside;
        masks.upper &= inside;
        markup &= inside;
        while markup != 0 {
            // The words before the markup; the markup ends an open word.
            let first = markup.trailing_zeros() as usize;
            let before = below(first);
            scan.block(
                at,
                Masks {
                    word: masks.word & before,
                    upper: masks.upper & before,
                    other: 0,
                },
            );
            let length = skip(&text[at + first..]).unwrap_or_else(|| {
                // A tag's end is most often in the same block.
                match tag_ends & !below(first + 1) {
                    0 => to_tag_end(at + first),
                    later => later.trailing_zeros() as usize + 1 - first,
                }
            });
            let after = at + first + length;
            if after >= stop {
                at = after;
                continue 'blocks;
            }
            // The markup ends in this block: the rest of it is read from
            // the same classification.
            let rest = !below(after - at);
            masks.word &= rest;
            masks.upper &= rest;
            markup &= rest;
        }
        scan.block(at, masks);
        at = stop;
    }
    scan.close(end);
}

/// Where [`each_token_in`] is: the word it is reading, and what it hands
/// words to.
struct Scan<'t, 's, S> {
    text: &'t str,
    /// The word being read: where it starts, whether it is all ASCII so
    /// far, and whether it has an upper-case ASCII letter so far.
    open: Option<(usize, bool, bool)>,
    sink: &'s mut S,
}

impl<'t, S: Sink<'t>> Scan<'t, '_, S> {
    /// Reads the ASCII block at `at`, classified as `masks`.
    fn block(&mut self, at: usize, masks: Masks) {
        let Masks { word, upper, .. } = masks;
        // Bits below `from` are read.
        let mut from = 0;
        if let Some((start, ascii, up)) = self.open {
            // The open word goes on through the block's leading word bytes.
            let run = (!word).trailing_zeros() as usize;
            let up = up || upper & below(run) != 0;
            if run == BLOCK {
                self.open = Some((start, ascii, up));
                return;
            }
            self.sink.token(&self.text[start..at + run], ascii, up);
            self.open = None;
            from = run;
        }
        let mut rest = word & !below(from);
        while rest != 0 {
            // The lowest run of set bits: adding the lowest bit carries
            // through the run and clears it. Only these few steps depend on
            // the word before; the run's bounds come from it.
            let next = rest & rest.wrapping_add(rest & rest.wrapping_neg());
            let run = rest ^ next;
            let start = run.trailing_zeros() as usize;
            let end = BLOCK - run.leading_zeros() as usize;
            let up = upper & run != 0;
            if end == BLOCK {
                self.open = Some((at + start, true, up));
                return;
            }
            debug_assert!(self.text.is_char_boundary(at + end));
            // SAFETY: the run's bits are bytes of the text (bits past the
            // range or the text are cleared), and the block is all ASCII
            // (its `other` mask is empty), so both ends of the run are
            // character boundaries within the text.
            let raw = unsafe { self.text.get_unchecked(at + start..at + end) };
            self.sink.token(raw, true, up);
            rest = next;
        }
    }

    /// Reads the byte or character at `at`; returns where the next one
    /// starts.
    fn step(&mut self, at: usize) -> usize {
        let b = self.text.as_bytes()[at];
        if b.is_ascii() {
            if b.is_ascii_alphanumeric() {
                let up = b.is_ascii_uppercase();
                match &mut self.open {
                    Some((_, _, upper)) => *upper |= up,
                    None => self.open = Some((at, true, up)),
                }
            } else {
                self.close(at);
            }
            return at + 1;
        }
        let c = self.text[at..].chars().next().unwrap_or(' ');
        if c.is_alphanumeric() {
            match &mut self.open {
                Some((_, ascii, _)) => *ascii = false,
                None => self.open = Some((at, false, false)),
            }
        } else {
            self.close(at);
        }
        at + c.len_utf8()
    }

    /// Hands on the open word, if any, as ending at `at`.
    fn close(&mut self, at: usize) {
        if let Some((start, ascii, upper)) = self.open.take() {
            self.sink.token(&self.text[start..at], ascii, upper);
        }
    }
}

/// The `n` lowest bits (all 64 when `n` is 64), without a branch: it is
/// taken for every word.
fn below(n: usize) -> u64 {
    debug_assert!(n <= 64);
    u64::MAX.checked_shr(64 - n as u32).unwrap_or(0)
}

/// The bytes of a block that start markup, `<` and `&`, and those that end
/// a tag, `>`: bit `k` for byte `k`.
#[cfg(target_arch = "x86_64")]
fn markup_mask(block: &[u8]) -> (u64, u64) {
    // SAFETY: SSE2 is part of x86-64 itself (see `masks`).
    unsafe { markup_mask_sse2(block) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn markup_mask_sse2(block: &[u8]) -> (u64, u64) {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x, _mm_set1_epi8,
    };
    let half = |bytes: &[u8]| i64::from_le_bytes(bytes.try_into().unwrap_or_default());
    let (mut starts, mut ends) = (0, 0);
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        let v = _mm_set_epi64x(half(&chunk[8..]), half(&chunk[..8]));
        let found = _mm_or_si128(
            _mm_cmpeq_epi8(v, _mm_set1_epi8(b'<' as i8)),
            _mm_cmpeq_epi8(v, _mm_set1_epi8(b'&' as i8)),
        );
        starts |= u64::from(_mm_movemask_epi8(found) as u16) << (16 * k);
        let closing = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'>' as i8));
        ends |= u64::from(_mm_movemask_epi8(closing) as u16) << (16 * k);
    }
    (starts, ends)
}

/// [`markup_mask`] byte by byte, where there is no SSE2.
#[cfg(not(target_arch = "x86_64"))]
fn markup_mask(block: &[u8]) -> (u64, u64) {
    let (mut starts, mut ends) = (0, 0);
    for (k, &b) in block.iter().enumerate() {
        starts |= u64::from(matches!(b, b'<' | b'&')) << k;
        ends |= u64::from(b == b'>') << k;
    }
    (starts, ends)
}

/// Classifies a block (see [`masks_sse2`]).
#[cfg(target_arch = "x86_64")]
fn masks(block: &[u8]) -> Masks {
    // SAFETY: SSE2 is part of x86-64 itself: every processor that runs
    // this code has it (the standard library assumes it too).
    unsafe { masks_sse2(block) }
}

/// Classifies a block sixteen bytes at a time. Compared as signed bytes,
/// every byte outside ASCII is negative, so it falls outside each range of
/// letters and digits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn masks_sse2(block: &[u8]) -> Masks {
    use std::arch::x86_64::{_mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x, _mm_set1_epi8};
    let mut masks = Masks {
        word: 0,
        upper: 0,
        other: 0,
    };
    let half = |bytes: &[u8]| i64::from_le_bytes(bytes.try_into().unwrap_or_default());
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        let v = _mm_set_epi64x(half(&chunk[8..]), half(&chunk[..8]));
        // Setting bit 5 turns upper-case letters into lower-case ones and
        // leaves the lower-case letters as they are.
        let letters = within(_mm_or_si128(v, _mm_set1_epi8(0x20)), b'a', b'z');
        let word = _mm_or_si128(letters, within(v, b'0', b'9'));
        let shift = 16 * k;
        masks.word |= u64::from(_mm_movemask_epi8(word) as u16) << shift;
        masks.upper |= u64::from(_mm_movemask_epi8(within(v, b'A', b'Z')) as u16) << shift;
        masks.other |= u64::from(_mm_movemask_epi8(v) as u16) << shift;
    }
    masks
}

/// Each byte of `v` from `low` to `high` (both ASCII) as all ones, the
/// others as zeros.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn within(v: std::arch::x86_64::__m128i, low: u8, high: u8) -> std::arch::x86_64::__m128i {
    use std::arch::x86_64::{_mm_and_si128, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_set1_epi8};
    _mm_and_si128(
        _mm_cmpgt_epi8(v, _mm_set1_epi8(low as i8 - 1)),
        _mm_cmplt_epi8(v, _mm_set1_epi8(high as i8 + 1)),
    )
}

/// Classifies a block byte by byte, where there is no SSE2.
#[cfg(not(target_arch = "x86_64"))]
fn masks(block: &[u8]) -> Masks {
    let mut masks = Masks {
        word: 0,
        upper: 0,
        other: 0,
    };
    for (k, &b) in block.iter().enumerate() {
        masks.word |= u64::from(b.is_ascii_alphanumeric()) << k;
        masks.upper |= u64::from(b.is_ascii_uppercase()) << k;
        masks.other |= u64::from(!b.is_ascii()) << k;
    }
    masks
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The plain split the tokenizer must agree with: character by
    /// character.
    fn plain(text: &str) -> Vec<(String, bool, bool)> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let upper = w.bytes().any(|b| b.is_ascii_uppercase());
                (w.to_owned(), w.is_ascii(), upper)
            })
            .collect()
    }

    fn tokens_in(text: &str, range: Range<usize>) -> Vec<(String, bool, bool)> {
        let mut out = Vec::new();
        each_token_in(text, range, &mut |w: &str, ascii, upper| {
            out.push((w.to_owned(), ascii, upper))
        });
        out
    }

    fn tokens(text: &str) -> Vec<(String, bool, bool)> {
        tokens_in(text, 0..text.len())
    }

    #[test]
    fn masks_mark_words_capitals_and_other_bytes() {
        let mut block = [b' '; BLOCK];
        block[..12].copy_from_slice(b"Az09 @[`{/:\xc3");
        block[63] = b'Z';
        let m = masks(&block);
        assert_eq!(m.word, 0b1111 | 1 << 63);
        assert_eq!(m.upper, 0b1 | 1 << 63);
        assert_eq!(m.other, 1 << 11);
    }

    #[test]
    fn words_cross_blocks_and_end_with_the_text() {
        // Words that end exactly at a block's end, run across one or two
        // blocks, fill a whole block, and end the text.
        let long = "x".repeat(150);
        let text = format!(
            "{} Ab{} {long} Zé{}ñ end",
            "a".repeat(61),
            "c".repeat(70),
            "q".repeat(64)
        );
        assert_eq!(tokens(&text), plain(&text));
        for cut in 0..text.len() {
            if text.is_char_boundary(cut) {
                assert_eq!(tokens(&text[cut..]), plain(&text[cut..]), "from {cut}");
            }
        }
    }

    #[test]
    fn a_range_ends_its_words_where_it_ends() {
        let text = format!("{}é <b>Word</b>{}", "ab ".repeat(30), "z".repeat(70));
        for start in 0..text.len() {
            for end in start..=text.len() {
                if text.is_char_boundary(start) && text.is_char_boundary(end) {
                    let got = tokens_in(&text, start..end);
                    assert_eq!(got, plain(&text[start..end]), "{start}..{end}");
                }
            }
        }
    }

    proptest! {
        #[test]
        fn tokens_match_a_plain_split(
            text in "([a-zA-Z0-9]{0,70}[ .,<>&\u{a0}é’—ß中😀]{0,3}){0,12}|\\PC{0,200}"
        ) {
            prop_assert_eq!(tokens(&text), plain(&text));
        }
    }
}
