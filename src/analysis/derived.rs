//! Derived copies: which sources rewrite which, and how.
//!
//! [`prepare`] reduces each source to its sentences, each sentence's
//! content-word stems and a MinHash signature; [`detect`] aligns the
//! sentences of every candidate pair (LSH buckets, plus every pair a
//! sidecar declares); [`is_rewrite`] decides. [`describe`] turns a
//! rewrite into what the compare page shows: which side is the original,
//! the aligned rows with their word diffs, and the sentences left over.

use std::ops::Range;

use rayon::prelude::*;

use super::align::{self, Alignment, Group};
use super::diff::{self, Document, RowDiff, Term};
use super::minhash::{self, Signature};
use super::sentences::{self, Place};
use super::words::{self, Stems};
use crate::parse::paragraphs::Paragraph;

/// Aligned groups a rewrite needs at least.
pub(crate) const MIN_GROUPS: usize = 3;
/// Share of one side's counted sentences a rewrite aligns at least.
pub(crate) const MIN_SHARE: f64 = 0.5;
/// Share of shingles a candidate pair must have in common (exact Jaccard
/// similarity) to be aligned. Among 2,000 generated texts, rewrites share
/// 9 % or more, and unrelated texts at most 5 %, even when drawn from one
/// small vocabulary.
pub(crate) const MIN_JACCARD: f64 = 0.07;

/// A text reduced to what detection compares.
pub(crate) struct Prepared {
    pub places: Vec<Place>,
    /// Per sentence: the hashed stems of its content words, sorted, unique.
    pub stems: Vec<Vec<u64>>,
    /// Hashed runs of content-word stems, sorted, unique (see [`minhash::shingles`]).
    pub shingles: Vec<u64>,
    pub signature: Option<Box<Signature>>,
}

/// Splits a text into sentences and computes its stems and signature.
pub(crate) fn prepare(paragraphs: &[Paragraph], stemmer: &Stems) -> Prepared {
    let places = sentences::split(paragraphs);
    let mut ordered = Vec::new();
    let stems = places
        .iter()
        .map(|place| {
            let sentence = &paragraphs[place.paragraph].text[place.range.clone()];
            let start = ordered.len();
            ordered.extend(
                words::spans(sentence)
                    .into_iter()
                    .filter_map(|r| stemmer.of(&sentence[r])),
            );
            let mut set = ordered[start..].to_vec();
            set.sort_unstable();
            set.dedup();
            set
        })
        .collect();
    let shingles = minhash::shingles(&ordered);
    let signature = minhash::signature(&shingles);
    Prepared {
        places,
        stems,
        shingles,
        signature,
    }
}

/// The alignment of a pair of texts `a < b`.
pub(crate) struct Verified {
    pub a: usize,
    pub b: usize,
    pub alignment: Alignment,
}

/// Aligns every candidate pair (and every pair in `also`), in parallel;
/// sorted by pair.
pub(crate) fn detect(texts: &[Prepared], also: &[(usize, usize)]) -> Vec<Verified> {
    let signatures: Vec<Option<&Signature>> =
        texts.iter().map(|t| t.signature.as_deref()).collect();
    // The signature's estimate is coarse; the exact overlap of shingles is
    // cheap next to aligning sentences, and keeps texts that merely share a
    // vocabulary from reaching the alignment. Texts of one kind (one beat,
    // one wire service) make many candidates: they are checked in parallel.
    let mut pairs: Vec<(usize, usize)> = minhash::candidates(&signatures)
        .into_par_iter()
        .with_max_len(crate::PIECE)
        .filter(|&(a, b)| minhash::jaccard(&texts[a].shingles, &texts[b].shingles) >= MIN_JACCARD)
        .collect();
    pairs.extend(
        also.iter()
            .filter(|(a, b)| a != b)
            .map(|&(a, b)| (a.min(b), a.max(b))),
    );
    pairs.sort_unstable();
    pairs.dedup();
    pairs
        .into_par_iter()
        .with_max_len(1)
        .map(|(a, b)| Verified {
            a,
            b,
            alignment: align::align(&texts[a].stems, &texts[b].stems),
        })
        .collect()
}

/// Whether an alignment shows one text to be a rewrite of the other.
pub(crate) fn is_rewrite(alignment: &Alignment) -> bool {
    let (a, b) = alignment.coverage();
    alignment.groups.len() >= MIN_GROUPS && a.max(b) >= MIN_SHARE
}

/// How the original of a pair was told from the copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// A sidecar's `derived_from`.
    Declared,
    /// The earlier `published` date.
    Dates,
    /// Neither: "rewrites of each other"; `original` is the smaller id.
    Unknown,
}

/// A source found to be a rewrite of another.
#[derive(Debug)]
pub(crate) struct DerivedPair {
    /// Index of the original source (see [`Direction`]).
    pub original: usize,
    /// Index of the copy.
    pub copy: usize,
    pub direction: Direction,
    /// Counted sentences: original, copy.
    pub counted: (usize, usize),
    /// Aligned sentences: original, copy.
    pub aligned: (usize, usize),
    /// Aligned sentences, in the original's order.
    pub rows: Vec<Row>,
    /// Counted sentences of the original that are not aligned.
    pub original_only: Vec<Place>,
    /// Counted sentences of the copy that are not aligned.
    pub copy_only: Vec<Place>,
}

impl DerivedPair {
    /// The share shown for the pair: of the copy's sentences, or of the
    /// better-covered side when neither is known to be the copy.
    pub(crate) fn share(&self) -> f64 {
        let of = |a: usize, n: usize| if n == 0 { 0.0 } else { a as f64 / n as f64 };
        let copy = of(self.aligned.1, self.counted.1);
        match self.direction {
            Direction::Unknown => copy.max(of(self.aligned.0, self.counted.0)),
            _ => copy,
        }
    }

    /// The share as a whole percentage.
    pub(crate) fn percent(&self) -> u32 {
        // A share is in 0..=1, so the rounded percentage fits.
        (self.share() * 100.0).round() as u32
    }
}

/// One aligned row: a run of sentences on each side and their diff.
#[derive(Debug)]
pub(crate) struct Row {
    /// The original's sentences.
    pub original: Vec<Place>,
    /// The copy's sentences.
    pub copy: Vec<Place>,
    /// Dice coefficient of the two runs' stems.
    pub score: f64,
    pub diff: RowDiff,
}

/// The two texts of a pair, original first.
pub(crate) struct Sides<'a> {
    pub original: (usize, &'a [Paragraph], &'a Prepared),
    pub copy: (usize, &'a [Paragraph], &'a Prepared),
    pub direction: Direction,
}

/// The compare view of a verified rewrite. `alignment` is oriented with
/// the original on the left.
pub(crate) fn describe(sides: Sides<'_>, alignment: &Alignment, terms: &[Term]) -> DerivedPair {
    let (o_index, o_paras, o_text) = sides.original;
    let (c_index, c_paras, c_text) = sides.copy;
    let o_doc = Document::new(o_paras, &o_text.places);
    let c_doc = Document::new(c_paras, &c_text.places);
    let stems = Stems::new();
    let rows = alignment
        .groups
        .iter()
        .map(|g| Row {
            original: o_text.places[g.left.clone()].to_vec(),
            copy: c_text.places[g.right.clone()].to_vec(),
            score: g.score,
            diff: diff::diff(
                &o_doc.side(g.left.clone()),
                &c_doc.side(g.right.clone()),
                terms,
                &stems,
            ),
        })
        .collect();
    let left_over = |text: &Prepared, runs: Vec<Range<usize>>| -> Vec<Place> {
        let mut taken = vec![false; text.places.len()];
        for run in runs {
            taken[run].iter_mut().for_each(|t| *t = true);
        }
        text.places
            .iter()
            .zip(&text.stems)
            .zip(taken)
            .filter(|((_, stems), taken)| !taken && Alignment::counts(stems))
            .map(|((place, _), _)| place.clone())
            .collect()
    };
    DerivedPair {
        original: o_index,
        copy: c_index,
        direction: sides.direction,
        counted: alignment.counted,
        aligned: alignment.aligned,
        rows,
        original_only: left_over(
            o_text,
            alignment.groups.iter().map(|g| g.left.clone()).collect(),
        ),
        copy_only: left_over(
            c_text,
            alignment.groups.iter().map(|g| g.right.clone()).collect(),
        ),
    }
}

/// The same alignment seen from the other side.
pub(crate) fn flipped(alignment: &Alignment) -> Alignment {
    let mut groups: Vec<Group> = alignment
        .groups
        .iter()
        .map(|g| Group {
            left: g.right.clone(),
            right: g.left.clone(),
            score: g.score,
        })
        .collect();
    groups.sort_by_key(|g| (g.left.start, g.right.start));
    Alignment {
        groups,
        counted: (alignment.counted.1, alignment.counted.0),
        aligned: (alignment.aligned.1, alignment.aligned.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::paragraphs::split;

    const ORIGINAL: &str = "The harbour bridge will close to traffic for two weeks from 2 May, the council said on Friday.
Engineers found that the bearings under the northern span had worn faster than expected.
The problem was first noticed during the winter storms, when the deck began to shake.
Shops on Quay Road fear a loss of trade while the bridge is closed.
The traders' association asked the council to delay the work until after the summer fair.
";

    const REWRITE: &str = "The harbour bridge is to close to traffic for three weeks from 9 May, the council announced on Monday.
Engineers discovered that the bearings beneath the northern span had worn out faster than expected.
Shops on Harbour Road worry about a loss of trade while the bridge stays closed.
The problem was first spotted during the winter storms, when the deck started to shake.
The traders' association urged the council to postpone the work until after the summer fair.
";

    const OTHER: &str = "Councillors approved the roads budget on Tuesday after a long debate.
The treasurer said 2.4 million pounds had been spent on resurfacing and lighting.
Residents asked why the footpath by the school is still closed.
The chair promised an answer at the next meeting in the spring.
";

    fn prepared(texts: &[&str]) -> (Vec<Vec<Paragraph>>, Vec<Prepared>) {
        let paras: Vec<Vec<Paragraph>> = texts.iter().map(|t| split(t, 0)).collect();
        let stems = Stems::new();
        let prepared = paras.iter().map(|p| prepare(p, &stems)).collect();
        (paras, prepared)
    }

    #[test]
    fn a_shuffled_paraphrase_is_found_and_an_unrelated_text_is_not() {
        let (_, texts) = prepared(&[ORIGINAL, REWRITE, OTHER]);
        let found: Vec<(usize, usize)> = detect(&texts, &[])
            .into_iter()
            .filter(|v| is_rewrite(&v.alignment))
            .map(|v| (v.a, v.b))
            .collect();
        assert_eq!(found, [(0, 1)]);
        // A declared pair is always verified, even if no bucket proposes it.
        let declared = detect(&texts, &[(2, 0)]);
        let v = declared.iter().find(|v| (v.a, v.b) == (0, 2)).unwrap();
        assert!(!is_rewrite(&v.alignment));
    }

    #[test]
    fn the_description_lists_changed_numbers_and_names() {
        let (paras, texts) = prepared(&[ORIGINAL, REWRITE]);
        let alignment = align::align(&texts[0].stems, &texts[1].stems);
        assert_eq!(alignment.aligned, (5, 5));
        let pair = describe(
            Sides {
                original: (0, &paras[0], &texts[0]),
                copy: (1, &paras[1], &texts[1]),
                direction: Direction::Unknown,
            },
            &alignment,
            &[],
        );
        assert_eq!(pair.percent(), 100);
        let major: Vec<(String, String)> = pair
            .rows
            .iter()
            .flat_map(|r| &r.diff.changes)
            .filter(|c| c.weight == diff::Weight::Major)
            .map(|c| (c.old.clone(), c.new.clone()))
            .collect();
        for expected in [
            ("two", "three"),
            ("2", "9"),
            ("Friday", "Monday"),
            ("Quay", "Harbour"),
        ] {
            assert!(
                major.contains(&(expected.0.into(), expected.1.into())),
                "{expected:?} not in {major:?}"
            );
        }
        // Rows follow the original; the copy's third and fourth sentences swapped.
        let copy_order: Vec<usize> = pair.rows.iter().map(|r| r.copy[0].paragraph).collect();
        assert_eq!(copy_order, [0, 1, 3, 2, 4]);
    }

    #[test]
    fn flipping_swaps_the_sides() {
        let (_, texts) = prepared(&[ORIGINAL, REWRITE]);
        let alignment = align::align(&texts[0].stems, &texts[1].stems);
        let back = flipped(&flipped(&alignment));
        assert_eq!(back, alignment);
    }
}
