//! Stage 3, resolve: every citation checked against its source.
//!
//! In: [`Parsed`]. Out: [`Dossier`] — topics whose notes point at verified
//! passages, and sources whose passages know every place that cites them
//! (the backlinks of the source pages). Errors: an unknown source id, a
//! quote that is not in its source (with the closest passage as help), a
//! `derived_from` naming no source.
//!
//! A passage is identified by where it lies (paragraph and byte ranges), so
//! two topics quoting the same words share one `<mark>` on the source page.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::frontmatter;
use crate::parse::markdown::NoteKind;
use crate::parse::{IndexPage, Parsed, Source, Topic};
use crate::quote::QuoteMatch;
use crate::render::templates::Templates;

mod patch;

pub(crate) use patch::{Patch, patch};

/// The verified dossier, ready to render.
#[derive(Debug)]
pub(crate) struct Dossier {
    pub config: crate::config::Config,
    pub index: IndexPage,
    /// Topics in reading order (`order`, then title).
    pub topics: Vec<ResolvedTopic>,
    /// Sources sorted by id.
    pub sources: Vec<ResolvedSource>,
    pub templates: Arc<Templates>,
    pub statics: Vec<(String, std::path::PathBuf)>,
}

/// A topic with its notes resolved.
#[derive(Debug)]
pub(crate) struct ResolvedTopic {
    pub topic: Arc<Topic>,
    /// Notes in number order.
    pub notes: Vec<ResolvedNote>,
    /// What verifying its quotations found.
    verification: Verification,
    /// Whether that verification reported anything: read for each topic
    /// at each edit in `serve`, where most topics report nothing.
    findings: bool,
}

/// What one note points at.
#[derive(Debug)]
pub(crate) enum NoteTarget {
    /// A verified passage: `sources[source].passages[passage]`.
    Passage { source: usize, passage: usize },
    /// A whole source.
    Source { source: usize },
    /// An ordinary footnote, rendered in the topic's [`Note`] at the same
    /// index.
    ///
    /// [`Note`]: crate::parse::markdown::Note
    Footnote,
}

/// A resolved note. Its number is its index plus one; the places that
/// refer to it are [`ResolvedTopic::sites`].
#[derive(Debug)]
pub(crate) struct ResolvedNote {
    pub target: NoteTarget,
}

impl ResolvedTopic {
    /// Anchor ids of the places in the text that cite note `index`.
    pub(crate) fn sites(&self, index: usize) -> &[String] {
        &self.topic.doc.notes[index].sites
    }
}

/// A source and what cites it.
#[derive(Debug)]
pub(crate) struct ResolvedSource {
    pub source: Arc<Source>,
    /// Cited passages, in order of first citation (the page orders them by position).
    pub passages: Vec<Passage>,
    /// Topics citing the whole source.
    pub citers: Vec<Backlink>,
    /// Number of citations of this source, passages and whole.
    pub citation_count: usize,
}

/// A cited passage of a source: where it is (shared with the verification
/// that found it) and what cites it.
#[derive(Debug)]
pub(crate) struct Passage {
    pub cited: Arc<Cited>,
    /// Most passages are cited once: that one needs no allocation.
    pub backlinks: smallvec::SmallVec<[Backlink; 1]>,
}

impl std::ops::Deref for Passage {
    type Target = Cited;

    fn deref(&self) -> &Cited {
        &self.cited
    }
}

/// Where a verified quotation lies in its source.
#[derive(Debug)]
pub(crate) struct Cited {
    /// Anchor on the source page: `q-{paragraph}-{start}-{end}`.
    pub id: String,
    pub found: QuoteMatch,
    /// The source's own words at the passage, pieces joined by ` … `.
    pub words: String,
    /// Byte range in the raw file, from the first piece's start to the last
    /// piece's end.
    pub raw: Range<usize>,
}

/// One topic's reference to a passage or source.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backlink {
    /// Index into [`Dossier::topics`].
    pub topic: usize,
    /// The note's number in that topic.
    pub note: usize,
}

impl Dossier {
    /// Anchor ids of the places a backlink leads back to.
    pub(crate) fn sites(&self, b: &Backlink) -> &[String] {
        self.topics[b.topic].sites(b.note - 1)
    }

    /// Frees what only verification reads, for a build that resolves
    /// once: each topic's citations' normalised pieces, and each source's
    /// quote index. A topic or source shared with a cache (as `serve`
    /// keeps them) is left alone.
    pub(crate) fn release_verification_inputs(&mut self) {
        for t in &mut self.topics {
            release_topic_inputs(&mut t.topic);
        }
        for s in &mut self.sources {
            if let Some(source) = Arc::get_mut(&mut s.source) {
                source.index = crate::quote::SourceIndex::default();
            }
        }
    }

    /// The topics' bodies, taken out of them for a render to let go of
    /// each once its page is written (see [`crate::render::render`]);
    /// `None`, and nothing taken, when some topic is shared (as `serve`
    /// shares them with its cache).
    pub(crate) fn take_bodies(&mut self) -> Option<Vec<String>> {
        if !self
            .topics
            .iter_mut()
            .all(|t| Arc::get_mut(&mut t.topic).is_some())
        {
            return None;
        }
        Some(
            self.topics
                .iter_mut()
                .filter_map(|t| Arc::get_mut(&mut t.topic))
                .map(|topic| std::mem::take(&mut topic.doc.html))
                .collect(),
        )
    }
}

/// Frees a topic's citations' normalised pieces, unless the topic is
/// shared.
fn release_topic_inputs(topic: &mut Arc<Topic>) {
    if let Some(topic) = Arc::get_mut(topic) {
        for c in &mut topic.doc.citations {
            c.pieces = Vec::new();
        }
    }
}

/// Resolves citations; drafts are dropped unless `drafts` is set.
pub(crate) fn resolve(parsed: Parsed, drafts: bool, diagnostics: &mut Diagnostics) -> Dossier {
    resolve_cached(parsed, drafts, diagnostics, None)
}

/// What one topic's verification found: a match for each note (`None` for
/// footnotes and failures), and its diagnostics.
type Verification = Arc<(Vec<Option<NoteMatch>>, Vec<Diagnostic>)>;

/// Verifications kept between builds by `serve`. A topic is verified again
/// only when its parse changed (another `Arc`) or any source did.
#[derive(Debug, Default)]
pub(crate) struct VerifyCache {
    sources: Vec<Arc<Source>>,
    /// Their indices by id.
    ids: HashMap<Box<str>, usize, foldhash::fast::FixedState>,
    broken: HashSet<String>,
    /// What [`check_derived_from`] found in them.
    derived_problems: Vec<Diagnostic>,
    /// By the address of the topic's `Arc`, which the entry keeps alive so
    /// the address cannot be reused by another topic.
    topics: HashMap<usize, (Arc<Topic>, Verification), foldhash::fast::FixedState>,
}

/// [`resolve`], reusing and refilling `cache` when there is one.
pub(crate) fn resolve_cached(
    parsed: Parsed,
    drafts: bool,
    diagnostics: &mut Diagnostics,
    mut cache: Option<&mut VerifyCache>,
) -> Dossier {
    let Parsed {
        config,
        index,
        mut topics,
        sources,
        templates,
        statics,
        broken_sources,
    } = parsed;
    topics.retain(|t| drafts || !t.meta.draft);
    let catalogue = Catalogue::new(&sources, &broken_sources);
    let derived_problems = check_derived_from(&catalogue);
    diagnostics.extend(derived_problems.iter().cloned());

    // Verify every quoted note in parallel; each topic yields its matches.
    if let Some(cache) = cache.as_deref_mut() {
        let same_sources = crate::parse::source::same_sources(cache.sources.iter(), sources.iter())
            && cache.broken == broken_sources;
        if !same_sources {
            cache.topics.clear();
        }
    }
    let known = cache.as_deref().map(|c| &c.topics);
    // Without a cache no topic is verified again: what only verification
    // reads is freed as each topic is done, rather than held by all of
    // them until the last.
    let once = cache.is_none();
    let found: Vec<Verification> = topics
        .par_iter_mut()
        .with_max_len(crate::PIECE)
        .map(|t| {
            let key = Arc::as_ptr(t) as usize;
            match known.and_then(|k| k.get(&key)) {
                Some((_, verification)) => Arc::clone(verification),
                None => {
                    let verification = Arc::new(verify_topic(t, &catalogue));
                    if once {
                        release_topic_inputs(t);
                    }
                    verification
                }
            }
        })
        .collect();
    drop(catalogue);
    // Topics are verified in the order they were read, which is the order
    // their texts were made in: freed in that order, the texts give back
    // whole pages of memory as they go. Then into reading order.
    let mut verified: Vec<(Arc<Topic>, Verification)> = topics.into_iter().zip(found).collect();
    verified.sort_by_cached_key(|(t, _)| {
        (
            t.meta.order.unwrap_or(i64::MAX),
            t.meta.title.to_lowercase(),
            t.slug.clone(),
        )
    });
    let (topics, found): (Vec<_>, Vec<_>) = verified.into_iter().unzip();
    if let Some(cache) = cache {
        cache.topics = topics
            .iter()
            .zip(&found)
            .map(|(t, v)| (Arc::as_ptr(t) as usize, (Arc::clone(t), Arc::clone(v))))
            .collect();
        cache.ids = sources
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str().into(), i))
            .collect();
        cache.sources = sources.clone();
        cache.broken = broken_sources.clone();
        cache.derived_problems = derived_problems;
    }

    let mut resolved_sources: Vec<ResolvedSource> = sources
        .into_iter()
        .map(|source| ResolvedSource {
            source,
            passages: Vec::new(),
            citers: Vec::new(),
            citation_count: 0,
        })
        .collect();
    // Passages by where they are, borrowed from the verifications; sized
    // from the number of quoted notes of each source.
    let mut quoted = vec![0usize; resolved_sources.len()];
    for (matches, _) in found.iter().map(|v| &**v) {
        for m in matches.iter().flatten() {
            if let NoteMatch::Passage(s, _) = m {
                quoted[*s] += 1;
            }
        }
    }
    let mut passage_ids: Vec<HashMap<&QuoteMatch, usize, foldhash::fast::FixedState>> = quoted
        .iter()
        .zip(&mut resolved_sources)
        .map(|(&n, source)| {
            source.passages.reserve_exact(n);
            HashMap::with_capacity_and_hasher(n, Default::default())
        })
        .collect();
    let mut resolved_topics = Vec::with_capacity(topics.len());
    for (t, (topic, verification)) in topics.into_iter().zip(&found).enumerate() {
        let (matches, diags) = &**verification;
        diagnostics.extend(diags.iter().cloned());
        let mut notes = Vec::with_capacity(topic.doc.notes.len());
        for (n, (note, found)) in topic.doc.notes.iter().zip(matches).enumerate() {
            let backlink = Backlink {
                topic: t,
                note: n + 1,
            };
            let target = match (&note.kind, found) {
                (NoteKind::Footnote { .. }, _) => NoteTarget::Footnote,
                (_, None) => continue,
                (_, Some(NoteMatch::Whole(s))) => {
                    resolved_sources[*s].citation_count += note.sites.len();
                    resolved_sources[*s].citers.push(backlink);
                    NoteTarget::Source { source: *s }
                }
                (NoteKind::Citation { .. }, Some(NoteMatch::Passage(s, cited))) => {
                    let source = &mut resolved_sources[*s];
                    source.citation_count += note.sites.len();
                    let p = *passage_ids[*s].entry(&cited.found).or_insert_with(|| {
                        source.passages.push(Passage {
                            cited: Arc::clone(cited),
                            backlinks: smallvec::SmallVec::new(),
                        });
                        source.passages.len() - 1
                    });
                    source.passages[p].backlinks.push(backlink);
                    NoteTarget::Passage {
                        source: *s,
                        passage: p,
                    }
                }
            };
            notes.push(ResolvedNote { target });
        }
        resolved_topics.push(ResolvedTopic {
            topic,
            notes,
            findings: !verification.1.is_empty(),
            verification: Arc::clone(verification),
        });
    }
    drop(passage_ids);
    Dossier {
        config,
        index,
        topics: resolved_topics,
        sources: resolved_sources,
        templates,
        statics,
    }
}

#[derive(Clone, Debug)]
enum NoteMatch {
    Whole(usize),
    Passage(usize, Arc<Cited>),
}

/// The sources a citation can name.
struct Catalogue<'a> {
    sources: &'a [Arc<Source>],
    ids: Ids<'a>,
    /// Ids whose files failed to parse: already reported, so citing them
    /// is not reported again.
    broken: &'a HashSet<String>,
}

/// Source indices by id. Hashed with foldhash: SipHash's cost showed, once
/// per citation.
enum Ids<'a> {
    /// Made for this resolve.
    Made(HashMap<&'a str, usize, foldhash::fast::FixedState>),
    /// Kept by `serve` with the sources ([`VerifyCache`]): an edit verifies
    /// a few citations, and hashing every id again was most of its patch.
    Kept(&'a HashMap<Box<str>, usize, foldhash::fast::FixedState>),
}

impl Ids<'_> {
    fn get(&self, id: &str) -> Option<usize> {
        match self {
            Ids::Made(ids) => ids.get(id).copied(),
            Ids::Kept(ids) => ids.get(id).copied(),
        }
    }
}

impl<'a> Catalogue<'a> {
    fn new(sources: &'a [Arc<Source>], broken: &'a HashSet<String>) -> Self {
        Catalogue {
            sources,
            ids: Ids::Made(
                sources
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.id.as_str(), i))
                    .collect(),
            ),
            broken,
        }
    }

    /// The catalogue of the sources `cache` was filled from.
    fn kept(cache: &'a VerifyCache) -> Self {
        Catalogue {
            sources: &cache.sources,
            ids: Ids::Kept(&cache.ids),
            broken: &cache.broken,
        }
    }
}

fn verify_topic(
    topic: &Topic,
    catalogue: &Catalogue<'_>,
) -> (Vec<Option<NoteMatch>>, Vec<Diagnostic>) {
    let (sources, ids) = (catalogue.sources, &catalogue.ids);
    let mut diags = Vec::new();
    let mut found = Vec::with_capacity(topic.doc.notes.len());
    for note in &topic.doc.notes {
        let NoteKind::Citation { first } = &note.kind else {
            found.push(None);
            continue;
        };
        let citation = &topic.doc.citations[*first];
        let source = &citation.source;
        let citing = || {
            topic
                .doc
                .citations
                .iter()
                .filter(|c| c.note == citation.note)
        };
        let Some(s) = ids.get(source.as_str()) else {
            let already_reported = catalogue.broken.contains(source.as_str());
            for c in citing().filter(|_| !already_reported) {
                let mut d = Diagnostic::unread(
                    &topic.path,
                    c.line_column,
                    c.span.clone(),
                    topic.hash,
                    format!("unknown source `{source}`"),
                );
                if let Some(near) = nearest_id(source, sources) {
                    d = d.with_help(format!("did you mean `{near}`?"));
                } else {
                    d = d.with_help(format!(
                        "add content/sources/{source}.txt and {source}.yaml"
                    ));
                }
                diags.push(d);
            }
            found.push(None);
            continue;
        };
        if citation.words.is_none() {
            found.push(Some(NoteMatch::Whole(s)));
            continue;
        }
        let src = &sources[s];
        match src.index.find(&src.paragraphs, &citation.pieces) {
            Some(m) => found.push(Some(NoteMatch::Passage(s, Arc::new(cited(src, m))))),
            None => {
                for c in citing() {
                    diags.push(quote_not_found(topic, c, src));
                }
                found.push(None);
            }
        }
    }
    (found, diags)
}

fn quote_not_found(
    topic: &Topic,
    c: &crate::parse::markdown::Citation,
    src: &Source,
) -> Diagnostic {
    let message = if c.pieces.len() > 1 {
        format!(
            "quoted words are not in source `{}` (in this order, within one paragraph)",
            src.id
        )
    } else {
        format!("quoted words are not in source `{}`", src.id)
    };
    let d = Diagnostic::unread(
        &topic.path,
        c.line_column,
        c.span.clone(),
        topic.hash,
        message,
    );
    match src.index.closest(&c.pieces) {
        Some((p, words)) => d.with_help(format!(
            "closest passage (paragraph p-{}): \"{words}\"",
            p + 1
        )),
        None => d.with_help(format!("no passage of `{}` shares these words", src.id)),
    }
}

fn nearest_id<'a>(id: &str, sources: &'a [Arc<Source>]) -> Option<&'a str> {
    sources
        .iter()
        .map(|s| (strsim::damerau_levenshtein(id, &s.id), s.id.as_str()))
        .filter(|(d, k)| *d <= (k.len() / 3).max(2))
        .min()
        .map(|(_, k)| k)
}

/// The sources' `derived_from` that name no other source.
fn check_derived_from(catalogue: &Catalogue<'_>) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for s in catalogue.sources {
        let Some(original) = &s.meta.derived_from else {
            continue;
        };
        let problem = if original == &s.id {
            Some(format!("source `{}` cannot be derived from itself", s.id))
        } else if catalogue.ids.get(original).is_none()
            && !catalogue.broken.contains(original.as_str())
        {
            Some(format!("`derived_from` names unknown source `{original}`"))
        } else {
            None
        };
        if let Some(message) = problem {
            let span =
                frontmatter::key_span(&s.sidecar_text, 0..s.sidecar_text.len(), "derived_from");
            problems.push(Diagnostic::at(
                &s.sidecar_path,
                &s.sidecar_text,
                span,
                message,
            ));
        }
    }
    problems
}

fn cited(source: &Source, found: QuoteMatch) -> Cited {
    let paragraph = &source.paragraphs[found.paragraph];
    let first = found.ranges.first().map_or(0, |r| r.start);
    let last = found.ranges.last().map_or(0, |r| r.end);
    let raw = paragraph.raw_offset(first)..paragraph.raw_offset(last.saturating_sub(1)) + 1;
    Cited {
        id: [
            "q-",
            itoa::Buffer::new().format(found.paragraph + 1),
            "-",
            itoa::Buffer::new().format(first),
            "-",
            itoa::Buffer::new().format(last),
        ]
        .concat(),
        words: found
            .ranges
            .iter()
            .map(|r| &paragraph.text[r.clone()])
            .collect::<Vec<_>>()
            .join(" … "),
        raw,
        found,
    }
}
