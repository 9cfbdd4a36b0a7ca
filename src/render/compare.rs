//! Views of the cross-source analysis: the compare page of a derived pair
//! (`compare/<original>-vs-<copy>/`), the rewrite notices of source pages
//! and the "Also in the sources" list of topic pages.
//!
//! Diff segments reach the template as text with a kind (`same`, `del`,
//! `ins`) and a weight (`major`, `wording`, `minor`), never as HTML, so the
//! template escapes every word of the captures.

use serde::Serialize;

use super::views::{Links, SourceCard, source_card};
use crate::analysis::diff::{Reason, Segment, Weight};
use crate::analysis::sentences::Place;
use crate::analysis::{Analysis, DerivedPair, Direction, Mention};
use crate::resolve::Dossier;

/// `compare/<original>-vs-<copy>/index.html`.
#[derive(Serialize)]
pub(crate) struct CompareView<'a> {
    pub url: String,
    /// `declared`, `dates` or `unknown`.
    pub direction: &'static str,
    pub original: SourceCard<'a>,
    pub copy: SourceCard<'a>,
    pub percent: u32,
    /// Sentences that count: original, copy.
    pub counted: (usize, usize),
    /// Aligned sentences: original, copy.
    pub aligned: (usize, usize),
    /// The major changes, in row order.
    pub facts: Vec<ChangeView>,
    /// Changes by weight.
    pub major: usize,
    pub wording: usize,
    pub minor: usize,
    pub rows: Vec<RowView>,
    pub original_only: Vec<SentenceView<'a>>,
    pub copy_only: Vec<SentenceView<'a>>,
}

/// An aligned row.
#[derive(Serialize)]
pub(crate) struct RowView {
    /// Anchor: `row-N`.
    pub id: String,
    pub number: usize,
    pub original: Vec<SegmentView>,
    pub copy: Vec<SegmentView>,
    /// The original's paragraph on its source page.
    pub original_url: String,
    pub original_paragraph: usize,
    pub copy_url: String,
    pub copy_paragraph: usize,
    /// Share of content words the two sides have in common, in percent.
    pub similarity: u32,
    /// Some words differ.
    pub changed: bool,
    /// Some change is major.
    pub major: bool,
}

/// A piece of a row's text.
#[derive(Serialize)]
pub(crate) struct SegmentView {
    pub text: String,
    /// `same`, `del` or `ins`.
    pub kind: &'static str,
    /// `major`, `wording` or `minor`; empty for `same`.
    pub weight: &'static str,
}

/// A major change in the summary list.
#[derive(Serialize)]
pub(crate) struct ChangeView {
    /// Anchor of its row.
    pub row: String,
    pub row_number: usize,
    /// Words before the change in the original, for context.
    pub before: String,
    pub old: String,
    pub new: String,
    pub reasons: Vec<String>,
}

/// A sentence that is not aligned.
#[derive(Serialize)]
pub(crate) struct SentenceView<'a> {
    pub text: &'a str,
    pub url: String,
    pub paragraph: usize,
}

/// What a source page says about a rewrite it takes part in.
#[derive(Serialize)]
pub(crate) struct RewriteLink<'a> {
    /// `copy-of` (this source is the copy), `has-copy` (the original), or
    /// `mutual` (neither is known to be the copy).
    pub relation: &'static str,
    pub other_title: &'a str,
    pub other_url: String,
    pub percent: u32,
    pub compare_url: String,
    /// A sidecar declares the pair.
    pub declared: bool,
}

/// The output path of a pair's compare page.
pub(crate) fn path(d: &Dossier, pair: &DerivedPair) -> String {
    format!("compare/{}/index.html", slug(d, pair))
}

fn slug(d: &Dossier, pair: &DerivedPair) -> String {
    format!(
        "{}-vs-{}",
        d.sources[pair.original].source.id, d.sources[pair.copy].source.id
    )
}

fn url(d: &Dossier, pair: &DerivedPair, links: &Links<'_>) -> String {
    format!("{}compare/{}/", links.base, slug(d, pair))
}

/// The compare page's view.
pub(crate) fn compare_view<'a>(
    d: &'a Dossier,
    pair: &'a DerivedPair,
    links: &Links<'_>,
) -> CompareView<'a> {
    let (o, c) = (&d.sources[pair.original], &d.sources[pair.copy]);
    let paragraph_url = |id: &str, p: usize| format!("{}#p-{}", links.source(id), p + 1);
    let mut facts = Vec::new();
    let mut weights = [0usize; 3];
    let rows = pair
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let id = format!("row-{}", i + 1);
            for change in &row.diff.changes {
                weights[change.weight as usize] += 1;
                if change.weight == Weight::Major {
                    facts.push(ChangeView {
                        row: id.clone(),
                        row_number: i + 1,
                        before: change.before.clone(),
                        old: change.old.clone(),
                        new: change.new.clone(),
                        reasons: change.reasons.iter().map(|r| reason(d, *r)).collect(),
                    });
                }
            }
            let segments = |list: &[Segment], kind: &'static str| -> Vec<SegmentView> {
                list.iter()
                    .map(|s| match s.change {
                        None => SegmentView {
                            text: s.text.clone(),
                            kind: "same",
                            weight: "",
                        },
                        Some(k) => SegmentView {
                            text: s.text.clone(),
                            kind,
                            weight: weight(row.diff.changes[k].weight),
                        },
                    })
                    .collect()
            };
            let (op, cp) = (row.original[0].paragraph, row.copy[0].paragraph);
            RowView {
                number: i + 1,
                original: segments(&row.diff.old, "del"),
                copy: segments(&row.diff.new, "ins"),
                original_url: paragraph_url(&o.source.id, op),
                original_paragraph: op + 1,
                copy_url: paragraph_url(&c.source.id, cp),
                copy_paragraph: cp + 1,
                // A Dice coefficient is in 0..=1.
                similarity: (row.score * 100.0).round() as u32,
                changed: !row.diff.changes.is_empty(),
                major: row.diff.changes.iter().any(|c| c.weight == Weight::Major),
                id,
            }
        })
        .collect();
    let sentences = |source: usize, places: &'a [Place]| -> Vec<SentenceView<'a>> {
        let s = &d.sources[source].source;
        places
            .iter()
            .map(|p| SentenceView {
                text: &s.paragraphs[p.paragraph].text[p.range.clone()],
                url: paragraph_url(&s.id, p.paragraph),
                paragraph: p.paragraph + 1,
            })
            .collect()
    };
    CompareView {
        url: url(d, pair, links),
        direction: match pair.direction {
            Direction::Declared => "declared",
            Direction::Dates => "dates",
            Direction::Unknown => "unknown",
        },
        original: source_card(d, o, links),
        copy: source_card(d, c, links),
        percent: pair.percent(),
        counted: pair.counted,
        aligned: pair.aligned,
        facts,
        major: weights[Weight::Major as usize],
        wording: weights[Weight::Wording as usize],
        minor: weights[Weight::Minor as usize],
        rows,
        original_only: sentences(pair.original, &pair.original_only),
        copy_only: sentences(pair.copy, &pair.copy_only),
    }
}

fn weight(w: Weight) -> &'static str {
    match w {
        Weight::Major => "major",
        Weight::Wording => "wording",
        Weight::Minor => "minor",
    }
}

fn reason(d: &Dossier, r: Reason) -> String {
    match r {
        Reason::Number => "number".into(),
        Reason::Name => "name".into(),
        Reason::Negation => "negation".into(),
        Reason::Quotation => "quotation".into(),
        Reason::Term(t) => format!("term of “{}”", d.topics[t].topic.meta.title),
    }
}

/// The rewrites a source takes part in, by relation.
#[derive(Default, Serialize)]
pub(crate) struct RewritesView<'a> {
    /// Sources this one is a rewritten copy of.
    pub copy_of: Vec<RewriteLink<'a>>,
    /// Rewritten copies of this source.
    pub copies: Vec<RewriteLink<'a>>,
    /// Rewrites of each other, neither known to be the copy.
    pub mutual: Vec<RewriteLink<'a>>,
}

/// The rewrites a source takes part in, for its page.
pub(crate) fn rewrites_view<'a>(
    d: &'a Dossier,
    analysis: &Analysis,
    source: usize,
    links: &Links<'_>,
) -> RewritesView<'a> {
    let mut view = RewritesView::default();
    for link in rewrite_links(d, analysis, source, links) {
        match link.relation {
            "copy-of" => view.copy_of.push(link),
            "has-copy" => view.copies.push(link),
            _ => view.mutual.push(link),
        }
    }
    view
}

fn rewrite_links<'a>(
    d: &'a Dossier,
    analysis: &Analysis,
    source: usize,
    links: &Links<'_>,
) -> Vec<RewriteLink<'a>> {
    analysis
        .pairs_of(source)
        .map(|pair| {
            let other = if pair.original == source {
                pair.copy
            } else {
                pair.original
            };
            let relation = match (pair.direction, pair.copy == source) {
                (Direction::Unknown, _) => "mutual",
                (_, true) => "copy-of",
                (_, false) => "has-copy",
            };
            let o = &d.sources[other].source;
            RewriteLink {
                relation,
                other_title: &o.meta.title,
                other_url: links.source(&o.id),
                percent: pair.percent(),
                compare_url: url(d, pair, links),
                declared: pair.direction == Direction::Declared,
            }
        })
        .collect()
}

/// A paragraph of "Also in the sources".
#[derive(Serialize)]
pub(crate) struct MentionView<'a> {
    pub source_title: &'a str,
    pub source_url: String,
    /// The paragraph on the source page.
    pub url: String,
    pub paragraph: usize,
    /// The paragraph's text in pieces; `alias` pieces are the mentions.
    pub pieces: Vec<PieceView<'a>>,
    pub aliases: Vec<&'a str>,
    /// The source is a rewritten copy of another.
    pub copy: bool,
}

/// A piece of a paragraph's text.
#[derive(Serialize)]
pub(crate) struct PieceView<'a> {
    pub text: &'a str,
    pub alias: bool,
}

/// A topic's uncited mentions, for its page.
pub(crate) fn mention_views<'a>(
    d: &'a Dossier,
    analysis: &Analysis,
    topic: usize,
    links: &Links<'_>,
) -> Vec<MentionView<'a>> {
    let aliases = &d.topics[topic].topic.meta.aliases;
    let Some(mentions) = analysis.coverage.get(topic) else {
        return Vec::new();
    };
    mentions
        .iter()
        .map(|m: &Mention| {
            let s = &d.sources[m.source].source;
            let text = s.paragraphs[m.paragraph].text.as_str();
            let mut pieces = Vec::new();
            let mut at = 0;
            for span in &m.spans {
                if span.start > at {
                    pieces.push(PieceView {
                        text: &text[at..span.start],
                        alias: false,
                    });
                }
                pieces.push(PieceView {
                    text: &text[span.clone()],
                    alias: true,
                });
                at = span.end;
            }
            if at < text.len() {
                pieces.push(PieceView {
                    text: &text[at..],
                    alias: false,
                });
            }
            MentionView {
                source_title: &s.meta.title,
                source_url: links.source(&s.id),
                url: format!("{}#p-{}", links.source(&s.id), m.paragraph + 1),
                paragraph: m.paragraph + 1,
                pieces,
                aliases: m.aliases.iter().map(|&a| aliases[a].as_str()).collect(),
                copy: analysis
                    .pairs
                    .iter()
                    .any(|p| p.copy == m.source && p.direction != Direction::Unknown)
                    || s.meta.derived_from.is_some(),
            }
        })
        .collect()
}
