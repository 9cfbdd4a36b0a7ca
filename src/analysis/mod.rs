//! Cross-source analysis: derived copies and coverage. Read-only over the
//! resolved dossier.
//!
//! In: a [`Dossier`]. Out: an [`Analysis`] — the pairs of sources where one
//! is a rewrite of the other, with their aligned sentences and word diffs;
//! for each topic, the paragraphs that mention its aliases without being
//! cited by it; and warnings about `derived_from`.
//!
//! **Derived copies**, in four steps:
//!
//! 1. *Sentences* ([`sentences`]): each paragraph is cut into sentences;
//!    each sentence becomes the set of its content-word stems ([`words`]).
//! 2. *Candidates* ([`minhash`]): a MinHash signature of each source's
//!    shingles (pairs of consecutive content-word stems) and LSH banding
//!    propose the pairs worth aligning. Sources are never compared all
//!    against all: the cost grows with the number of sources times the
//!    bands, plus the pairs that share a bucket. A proposed pair is kept
//!    when its exact share of shingles reaches [`derived::MIN_JACCARD`]
//!    (a linear merge of two sorted lists). Pairs a sidecar declares
//!    (`derived_from`) are always aligned too, so they can be checked.
//! 3. *Alignment* ([`align`]): sentences are linked one to one by the
//!    overlap of their stems, best first, in any order; left-over sentences
//!    may join a neighbour's link (a sentence split in two). A pair is a
//!    rewrite when at least [`derived::MIN_GROUPS`] links cover at least
//!    half of one side's sentences. Two reports of the same event share
//!    names and a few phrases, but rarely a sentence's worth of words.
//! 4. *Diff* ([`diff`]): the words of each aligned row are compared, and
//!    each change is weighed: changes to numbers, names, negations,
//!    quotations or a topic's terms are *major*.
//!
//! Which text is the copy: the sidecar's `derived_from` when one declares
//! it, else the later `published` date, else neither ("rewrites of each
//! other").
//!
//! **Coverage** ([`coverage`]): aliases matched as whole words.
//!
//! Everything is ordered by source and sentence index, never by a hash
//! map's iteration order, and hashing is seedless: two runs give the same
//! analysis.

pub(crate) mod align;
pub(crate) mod coverage;
pub(crate) mod derived;
pub(crate) mod diff;
pub(crate) mod minhash;
pub(crate) mod sentences;
pub(crate) mod words;

use rayon::prelude::*;

use crate::diagnostics::Diagnostic;
use crate::frontmatter;
use crate::resolve::Dossier;
pub(crate) use coverage::Mention;
pub(crate) use derived::{DerivedPair, Direction};
use derived::{Prepared, Sides, Verified};
use diff::Term;
use words::Stems;

/// What the analysis found.
#[derive(Debug, Default)]
pub(crate) struct Analysis {
    /// Rewrites, sorted by original then copy index.
    pub pairs: Vec<DerivedPair>,
    /// For each topic (same index as [`Dossier::topics`]), its uncited mentions.
    pub coverage: Vec<Vec<Mention>>,
    /// Warnings: `derived_from` the texts do not support, rewrites no
    /// sidecar declares.
    pub diagnostics: Vec<Diagnostic>,
}

impl Analysis {
    /// The pairs a source takes part in.
    pub(crate) fn pairs_of(&self, source: usize) -> impl Iterator<Item = &DerivedPair> {
        self.pairs
            .iter()
            .filter(move |p| p.original == source || p.copy == source)
    }
}

/// Analyses a resolved dossier.
pub(crate) fn analyse(d: &Dossier) -> Analysis {
    analyse_cached(d, &mut AnalysisCache::default())
}

/// The part of the analysis that depends on the sources alone (their
/// sentences, the candidate pairs and their alignments), kept between
/// builds by `serve`: an edit to a topic does not compare the sources again.
#[derive(Default)]
pub(crate) struct AnalysisCache {
    sources: Vec<std::sync::Arc<crate::parse::Source>>,
    prepared: Vec<Prepared>,
    declared: Vec<(usize, usize)>,
    verified: Vec<Verified>,
    hits: coverage::HitCache,
}

impl AnalysisCache {
    /// Lets go of the topics coverage keeps to know them again at the next
    /// edit: a build releases each topic's inputs only where nothing else
    /// holds the topic.
    pub(crate) fn let_go_of_topics(&mut self) {
        self.hits.let_go_of_topics();
    }

    /// Compares `sources` (sorted by id, as a dossier holds them), unless
    /// they are the ones the cache was filled from. A build calls it while
    /// the citations are being verified: it needs nothing else.
    pub(crate) fn compare(&mut self, sources: &[&std::sync::Arc<crate::parse::Source>]) {
        if crate::parse::source::same_sources(self.sources.iter(), sources.iter().copied()) {
            return;
        }
        let prepared: Vec<Prepared> = sources
            .par_iter()
            .with_max_len(crate::PIECE)
            .map(|s| Stems::with(|stems| derived::prepare(&s.paragraphs, stems)))
            .collect();
        // (copy, original) for every declared pair whose ids both exist.
        let declared: Vec<(usize, usize)> = sources
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let id = s.meta.derived_from.as_deref()?;
                let j = sources.iter().position(|o| o.id == id)?;
                (i != j).then_some((i, j))
            })
            .collect();
        self.verified = derived::detect(&prepared, &declared);
        self.prepared = prepared;
        self.declared = declared;
        self.sources = sources.iter().map(|&s| s.clone()).collect();
    }
}

/// [`analyse`], reusing `cache` when the sources are the ones it was
/// filled from.
pub(crate) fn analyse_cached(d: &Dossier, cache: &mut AnalysisCache) -> Analysis {
    let sources: Vec<&std::sync::Arc<crate::parse::Source>> =
        d.sources.iter().map(|s| &s.source).collect();
    cache.compare(&sources);
    let (prepared, declared, verified) = (&cache.prepared, &cache.declared, &cache.verified);
    let rewrites: Vec<&Verified> = verified
        .iter()
        .filter(|v| derived::is_rewrite(&v.alignment))
        .collect();
    // The topics' aliases, for what a rewrite dropped; most dossiers have
    // no rewrite, and `serve` would otherwise read every topic again at
    // each edit.
    let terms: Vec<Term> = if rewrites.is_empty() {
        Vec::new()
    } else {
        d.topics
            .iter()
            .enumerate()
            .flat_map(|(t, topic)| {
                topic
                    .topic
                    .meta
                    .aliases
                    .iter()
                    .map(move |a| Term::new(a, t))
            })
            .filter(|t| !t.keys.is_empty())
            .collect()
    };
    let mut pairs: Vec<DerivedPair> = rewrites
        .par_iter()
        .with_max_len(1)
        .map(|v| describe(d, prepared, v, declared, &terms))
        .collect();
    pairs.sort_by_key(|p| (p.original, p.copy));
    let mut diagnostics = unsupported(d, verified, declared);
    diagnostics.extend(undeclared(d, &pairs, declared));
    Analysis {
        pairs,
        coverage: coverage::find(d, &mut cache.hits),
        diagnostics,
    }
}

/// Orients a verified rewrite (original first) and describes it.
fn describe(
    d: &Dossier,
    prepared: &[Prepared],
    v: &Verified,
    declared: &[(usize, usize)],
    terms: &[Term],
) -> DerivedPair {
    let (a, b) = (v.a, v.b);
    let published = |i: usize| d.sources[i].source.meta.published.map(|p| p.iso());
    let (original, copy, direction) = if declared.contains(&(b, a)) {
        (a, b, Direction::Declared)
    } else if declared.contains(&(a, b)) {
        (b, a, Direction::Declared)
    } else {
        match (published(a), published(b)) {
            (Some(x), Some(y)) if x < y => (a, b, Direction::Dates),
            (Some(x), Some(y)) if y < x => (b, a, Direction::Dates),
            _ => (a, b, Direction::Unknown),
        }
    };
    let alignment = if original == a {
        v.alignment.clone()
    } else {
        derived::flipped(&v.alignment)
    };
    let side = |i: usize| (i, &d.sources[i].source.paragraphs[..], &prepared[i]);
    derived::describe(
        Sides {
            original: side(original),
            copy: side(copy),
            direction,
        },
        &alignment,
        terms,
    )
}

/// A warning at each `derived_from` whose texts do not align as a rewrite.
fn unsupported(d: &Dossier, verified: &[Verified], declared: &[(usize, usize)]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for &(copy, original) in declared {
        let pair = (copy.min(original), copy.max(original));
        let Some(v) = verified.iter().find(|v| (v.a, v.b) == pair) else {
            continue;
        };
        if derived::is_rewrite(&v.alignment) {
            continue;
        }
        let s = &d.sources[copy].source;
        let (x, y) = v.alignment.coverage();
        let percent = (x.max(y) * 100.0).round();
        let span = frontmatter::key_span(&s.sidecar_text, 0..s.sidecar_text.len(), "derived_from");
        out.push(
            Diagnostic::at(
                &s.sidecar_path,
                &s.sidecar_text,
                span,
                format!(
                    "the texts do not support `derived_from: {}`: {percent} % of sentences align, and a rewrite aligns at least {} % in {} places",
                    d.sources[original].source.id,
                    (derived::MIN_SHARE * 100.0).round(),
                    derived::MIN_GROUPS,
                ),
            )
            .with_help("check the id; remove `derived_from` if the texts are unrelated")
            .warning(),
        );
    }
    out
}

/// A warning for each rewrite that no sidecar declares.
fn undeclared(d: &Dossier, pairs: &[DerivedPair], declared: &[(usize, usize)]) -> Vec<Diagnostic> {
    pairs
        .iter()
        .filter(|p| !declared.contains(&(p.copy, p.original)) && !declared.contains(&(p.original, p.copy)))
        .map(|p| {
            let (o, c) = (&d.sources[p.original].source, &d.sources[p.copy].source);
            let message = if p.direction == Direction::Unknown {
                format!(
                    "`{}` and `{}` look like rewrites of each other ({} % of sentences aligned), but no sidecar says so",
                    o.id,
                    c.id,
                    p.percent()
                )
            } else {
                format!(
                    "`{}` looks like a rewritten copy of `{}` ({} % of sentences aligned), but no sidecar says so",
                    c.id,
                    o.id,
                    p.percent()
                )
            };
            let help = if p.direction == Direction::Unknown {
                format!(
                    "compare {} with {}; if one copies the other, add `derived_from: <original id>` to the copy's sidecar",
                    o.text_path, c.text_path
                )
            } else {
                format!(
                    "if it is a copy, add `derived_from: {}` to {}; the texts are compared at compare/{}-vs-{}/",
                    o.id, c.sidecar_path, o.id, c.id
                )
            };
            Diagnostic::file(&c.sidecar_path, message).with_help(help).warning()
        })
        .collect()
}

/// Two texts found to be rewrites of each other by [`find_rewrites`].
#[derive(Clone, Debug, PartialEq)]
pub struct Rewrite {
    /// Index of the first text.
    pub a: usize,
    /// Index of the second text (`a < b`).
    pub b: usize,
    /// Share of the better-covered text's sentences that are aligned.
    pub share: f64,
}

/// Finds the pairs of texts where one is a rewrite of the other: the
/// detection that `build` runs on a dossier's sources (candidates by
/// MinHash and LSH, then sentence alignment), on plain texts. Pairs are
/// sorted.
pub fn find_rewrites(texts: &[&str]) -> Vec<Rewrite> {
    let prepared: Vec<Prepared> = texts
        .par_iter()
        .with_max_len(crate::PIECE)
        .map(|t| {
            let paragraphs = crate::parse::paragraphs::split(t, 0);
            Stems::with(|stems| derived::prepare(&paragraphs, stems))
        })
        .collect();
    derived::detect(&prepared, &[])
        .into_iter()
        .filter(|v| derived::is_rewrite(&v.alignment))
        .map(|v| {
            let (x, y) = v.alignment.coverage();
            Rewrite {
                a: v.a,
                b: v.b,
                share: x.max(y),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_rewrites_pairs_a_copy_with_its_original_only() {
        let original = "The ferry returned to its timetable on Sunday after three days of cancellations.\n\
            High winds had kept both boats in port since Thursday morning.\n\
            Extra sailings will run on Monday and Tuesday to clear the backlog.\n\
            The operator said about 1,200 passengers had been affected.\n";
        let copy = "High winds had kept the two boats in port since Thursday morning.\n\
            The ferry went back to its timetable on Sunday after three days of cancellations.\n\
            The operator said around 1,200 travellers had been affected.\n\
            Extra sailings will run on Monday and Tuesday to clear the backlog.\n";
        let other = "The council approved the library on Tuesday by seven votes to two.\n\
            Building work starts in spring and takes eighteen months.\n\
            Opponents wanted the money spent on roads.\n";
        let found = find_rewrites(&[other, original, copy]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].a, found[0].b), (1, 2));
        assert_eq!(found[0].share, 1.0);
        assert!(find_rewrites(&[]).is_empty());
    }
}
