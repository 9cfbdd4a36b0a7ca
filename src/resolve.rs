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
    broken: HashSet<String>,
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
    topics.sort_by_cached_key(|t| {
        (
            t.meta.order.unwrap_or(i64::MAX),
            t.meta.title.to_lowercase(),
            t.slug.clone(),
        )
    });
    let catalogue = Catalogue::new(&sources, &broken_sources);
    check_derived_from(&catalogue, diagnostics);

    // Verify every quoted note in parallel; each topic yields its matches.
    if let Some(cache) = cache.as_deref_mut() {
        let same_sources = crate::parse::source::same_sources(cache.sources.iter(), sources.iter())
            && cache.broken == broken_sources;
        if !same_sources {
            cache.topics.clear();
        }
    }
    let known = cache.as_deref().map(|c| &c.topics);
    let found: Vec<Verification> = topics
        .par_iter()
        .map(
            |t| match known.and_then(|k| k.get(&(Arc::as_ptr(t) as usize))) {
                Some((_, verification)) => Arc::clone(verification),
                None => Arc::new(verify_topic(t, &catalogue)),
            },
        )
        .collect();
    drop(catalogue);
    if let Some(cache) = cache {
        cache.topics = topics
            .iter()
            .zip(&found)
            .map(|(t, v)| (Arc::as_ptr(t) as usize, (Arc::clone(t), Arc::clone(v))))
            .collect();
        cache.sources = sources.clone();
        cache.broken = broken_sources.clone();
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

/// What [`patch`] changed.
#[derive(Debug, Default)]
pub(crate) struct Patch {
    /// The topics resolved again, by index in the dossier's order.
    pub topics: Vec<usize>,
    /// The sources those topics cited before the edit.
    pub sources_before: Vec<usize>,
    /// The people those topics named before the edit.
    pub people_before: Vec<String>,
}

/// `serve`, after an edit to topics only: the last dossier with the edited
/// topics verified again and their backlinks moved, instead of a dossier
/// resolved anew from every topic. The result is the one [`resolve`] gives
/// (passages may be stored in another order; every reader orders them by
/// position). `Err` hands both back when the edit reached further than
/// that can follow — the sources, templates, config or home page changed,
/// a topic came, went or moved in the order — or an edited topic no longer
/// resolves: the caller resolves everything.
pub(crate) fn patch(
    mut last: Dossier,
    parsed: Parsed,
    drafts: bool,
    diagnostics: &mut Diagnostics,
    cache: &mut VerifyCache,
) -> Result<(Dossier, Patch), (Dossier, Parsed)> {
    let same_rest = Arc::ptr_eq(&last.templates, &parsed.templates)
        && last.config.title == parsed.config.title
        && last.index.html == parsed.index.html
        && crate::parse::source::same_sources(
            last.sources.iter().map(|s| &s.source),
            parsed.sources.iter(),
        )
        && crate::parse::source::same_sources(cache.sources.iter(), parsed.sources.iter())
        && cache.broken == parsed.broken_sources;
    if !same_rest {
        return Err((last, parsed));
    }
    let Some(edited) = edited_topics(&last, &parsed, drafts) else {
        return Err((last, parsed));
    };
    let catalogue = Catalogue::new(&parsed.sources, &parsed.broken_sources);
    let verified: Vec<Verification> = edited
        .par_iter()
        .map(|(_, t)| Arc::new(verify_topic(t, &catalogue)))
        .collect();
    drop(catalogue);
    let fails = |v: &Verification| {
        v.1.iter()
            .any(|d| d.severity == crate::diagnostics::Severity::Error)
    };
    if verified.iter().any(fails) {
        return Err((last, parsed));
    }

    let mut patch = Patch::default();
    let mut touched = Vec::new();
    for ((t, topic), verification) in edited.into_iter().zip(verified) {
        cache
            .topics
            .remove(&(Arc::as_ptr(&last.topics[t].topic) as usize));
        cache.topics.insert(
            Arc::as_ptr(&topic) as usize,
            (Arc::clone(&topic), Arc::clone(&verification)),
        );
        let old = std::mem::replace(
            &mut last.topics[t],
            ResolvedTopic {
                topic: Arc::clone(&topic),
                notes: Vec::new(),
                verification: Arc::clone(&verification),
            },
        );
        // Take away what the topic cited before.
        for (n, note) in old.notes.iter().enumerate() {
            let sites = old.sites(n).len();
            match note.target {
                NoteTarget::Passage { source, passage } => {
                    let s = &mut last.sources[source];
                    s.citation_count -= sites;
                    s.passages[passage].backlinks.retain(|b| b.topic != t);
                    touched.push(source);
                    patch.sources_before.push(source);
                }
                NoteTarget::Source { source } => {
                    let s = &mut last.sources[source];
                    s.citation_count -= sites;
                    s.citers.retain(|b| b.topic != t);
                    patch.sources_before.push(source);
                }
                NoteTarget::Footnote => {}
            }
        }
        patch
            .people_before
            .extend(old.topic.meta.people.iter().cloned());
        // Add what it cites now. Passage indices are set once the touched
        // sources are compacted, below.
        let (matches, _) = &*verification;
        let mut notes = Vec::with_capacity(topic.doc.notes.len());
        for (n, (note, found)) in topic.doc.notes.iter().zip(matches).enumerate() {
            let backlink = Backlink {
                topic: t,
                note: n + 1,
            };
            let at = |list: &[Backlink]| list.partition_point(|b| (b.topic, b.note) < (t, n + 1));
            let target = match (&note.kind, found) {
                (NoteKind::Footnote { .. }, _) => NoteTarget::Footnote,
                (_, Some(NoteMatch::Whole(s))) => {
                    let source = &mut last.sources[*s];
                    source.citation_count += note.sites.len();
                    let i = at(&source.citers);
                    source.citers.insert(i, backlink);
                    NoteTarget::Source { source: *s }
                }
                (_, Some(NoteMatch::Passage(s, cited))) => {
                    let source = &mut last.sources[*s];
                    source.citation_count += note.sites.len();
                    let p = match source.passages.iter().position(|p| p.found == cited.found) {
                        Some(p) => p,
                        None => {
                            source.passages.push(Passage {
                                cited: Arc::clone(cited),
                                backlinks: smallvec::SmallVec::new(),
                            });
                            source.passages.len() - 1
                        }
                    };
                    let backlinks = &mut source.passages[p].backlinks;
                    backlinks.insert(at(backlinks), backlink);
                    touched.push(*s);
                    NoteTarget::Passage {
                        source: *s,
                        passage: p,
                    }
                }
                // A citation without a match has an error, handled above.
                (_, None) => NoteTarget::Footnote,
            };
            notes.push(ResolvedNote { target });
        }
        last.topics[t].notes = notes;
        patch.topics.push(t);
    }
    // Passages no longer cited go; the notes that point at the others
    // learn their new places.
    touched.sort_unstable();
    touched.dedup();
    for s in touched {
        last.sources[s].passages.retain(|p| !p.backlinks.is_empty());
        let Dossier {
            topics, sources, ..
        } = &mut last;
        for (p, passage) in sources[s].passages.iter().enumerate() {
            for b in &passage.backlinks {
                topics[b.topic].notes[b.note - 1].target = NoteTarget::Passage {
                    source: s,
                    passage: p,
                };
            }
        }
    }
    patch.sources_before.sort_unstable();
    patch.sources_before.dedup();

    let catalogue = Catalogue::new(&parsed.sources, &parsed.broken_sources);
    check_derived_from(&catalogue, diagnostics);
    drop(catalogue);
    for t in &last.topics {
        diagnostics.extend(t.verification.1.iter().cloned());
    }
    let Parsed {
        config,
        index,
        templates,
        statics,
        ..
    } = parsed;
    last.config = config;
    last.index = index;
    last.templates = templates;
    last.statics = statics;
    Ok((last, patch))
}

/// The topics of `parsed` that differ from those of `last`, with their
/// index in `last`'s order; `None` unless both have the same topics in the
/// same order.
fn edited_topics(
    last: &Dossier,
    parsed: &Parsed,
    drafts: bool,
) -> Option<Vec<(usize, Arc<Topic>)>> {
    let position: HashMap<&str, usize, foldhash::fast::FixedState> = last
        .topics
        .iter()
        .enumerate()
        .map(|(i, t)| (t.topic.slug.as_str(), i))
        .collect();
    let mut count = 0;
    let mut edited = Vec::new();
    for topic in parsed.topics.iter().filter(|t| drafts || !t.meta.draft) {
        count += 1;
        let &i = position.get(topic.slug.as_str())?;
        let before = &last.topics[i].topic;
        if Arc::ptr_eq(before, topic) {
            continue;
        }
        let same_place = before.meta.order == topic.meta.order
            && before.meta.title.to_lowercase() == topic.meta.title.to_lowercase();
        if !same_place {
            return None;
        }
        edited.push((i, Arc::clone(topic)));
    }
    (count == last.topics.len()).then_some(edited)
}

#[derive(Clone, Debug)]
enum NoteMatch {
    Whole(usize),
    Passage(usize, Arc<Cited>),
}

/// The sources a citation can name.
struct Catalogue<'a> {
    sources: &'a [Arc<Source>],
    ids: HashMap<&'a str, usize>,
    /// Ids whose files failed to parse: already reported, so citing them
    /// is not reported again.
    broken: &'a HashSet<String>,
}

impl<'a> Catalogue<'a> {
    fn new(sources: &'a [Arc<Source>], broken: &'a HashSet<String>) -> Self {
        Catalogue {
            sources,
            ids: sources
                .iter()
                .enumerate()
                .map(|(i, s)| (s.id.as_str(), i))
                .collect(),
            broken,
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
        let NoteKind::Citation {
            source,
            words,
            first,
        } = &note.kind
        else {
            found.push(None);
            continue;
        };
        let citing = || {
            topic
                .doc
                .citations
                .iter()
                .filter(|c| c.note == topic.doc.citations[*first].note)
        };
        let Some(&s) = ids.get(source.as_str()) else {
            let already_reported = catalogue.broken.contains(source.as_str());
            for c in citing().filter(|_| !already_reported) {
                let mut d = Diagnostic::at(
                    &topic.path,
                    &topic.text,
                    c.span.clone(),
                    format!("unknown source `{source}`"),
                );
                if let Some(near) = nearest_id(source, ids) {
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
        if words.is_none() {
            found.push(Some(NoteMatch::Whole(s)));
            continue;
        }
        let citation = &topic.doc.citations[*first];
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
    let d = Diagnostic::at(&topic.path, &topic.text, c.span.clone(), message);
    match src.index.closest(&c.pieces) {
        Some((p, words)) => d.with_help(format!(
            "closest passage (paragraph p-{}): \"{words}\"",
            p + 1
        )),
        None => d.with_help(format!("no passage of `{}` shares these words", src.id)),
    }
}

fn nearest_id<'a>(id: &str, ids: &HashMap<&'a str, usize>) -> Option<&'a str> {
    ids.keys()
        .map(|k| (strsim::damerau_levenshtein(id, k), *k))
        .filter(|(d, k)| *d <= (k.len() / 3).max(2))
        .min()
        .map(|(_, k)| k)
}

fn check_derived_from(catalogue: &Catalogue<'_>, diagnostics: &mut Diagnostics) {
    for s in catalogue.sources {
        let Some(original) = &s.meta.derived_from else {
            continue;
        };
        let problem = if original == &s.id {
            Some(format!("source `{}` cannot be derived from itself", s.id))
        } else if !catalogue.ids.contains_key(original.as_str())
            && !catalogue.broken.contains(original.as_str())
        {
            Some(format!("`derived_from` names unknown source `{original}`"))
        } else {
            None
        };
        if let Some(message) = problem {
            let span =
                frontmatter::key_span(&s.sidecar_text, 0..s.sidecar_text.len(), "derived_from");
            diagnostics.push(Diagnostic::at(
                &s.sidecar_path,
                &s.sidecar_text,
                span,
                message,
            ));
        }
    }
}

fn cited(source: &Source, found: QuoteMatch) -> Cited {
    let paragraph = &source.paragraphs[found.paragraph];
    let first = found.ranges.first().map_or(0, |r| r.start);
    let last = found.ranges.last().map_or(0, |r| r.end);
    let raw = paragraph.raw_offset(first)..paragraph.raw_offset(last.saturating_sub(1)) + 1;
    Cited {
        id: format!("q-{}-{}-{}", found.paragraph + 1, first, last),
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

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;
    use std::path::Path;

    use super::*;
    use crate::parse::ParseCache;

    /// Everything resolve decides, in an order that does not depend on how
    /// passages are stored.
    fn dump(d: &Dossier) -> String {
        let mut out = String::new();
        for t in &d.topics {
            let _ = write!(out, "topic {}:", t.topic.slug);
            for n in &t.notes {
                let _ = match n.target {
                    NoteTarget::Passage { source, passage } => {
                        let p = &d.sources[source].passages[passage];
                        write!(out, " {}#{}", d.sources[source].source.id, p.id)
                    }
                    NoteTarget::Source { source } => {
                        write!(out, " {}", d.sources[source].source.id)
                    }
                    NoteTarget::Footnote => write!(out, " footnote"),
                };
            }
            out.push('\n');
        }
        for s in &d.sources {
            let _ = writeln!(
                out,
                "source {} ({} citations)",
                s.source.id, s.citation_count
            );
            let names = |list: &[Backlink]| {
                list.iter()
                    .map(|b| format!("{}/{}", d.topics[b.topic].topic.slug, b.note))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let _ = writeln!(out, "  whole: {}", names(&s.citers));
            let mut passages: Vec<&Passage> = s.passages.iter().collect();
            passages.sort_by(|a, b| a.found.cmp(&b.found));
            for p in passages {
                let _ = writeln!(out, "  {} {:?}: {}", p.id, p.words, names(&p.backlinks));
            }
        }
        out
    }

    fn copy_fixture(to: &Path) {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good");
        for entry in walkdir::WalkDir::new(&from) {
            let entry = entry.unwrap();
            let target = to.join(entry.path().strip_prefix(&from).unwrap());
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&target).unwrap();
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }

    fn resolved_from_scratch(root: &Path) -> (String, String) {
        let mut diagnostics = Diagnostics::default();
        let parsed = crate::parse::parse(crate::load::load(root).unwrap(), &mut diagnostics);
        let d = resolve(parsed, false, &mut diagnostics);
        (dump(&d), crate::diagnostics::to_human_string(&diagnostics))
    }

    fn edit(path: &Path, from: &str, to: &str) {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains(from), "{from}");
        std::fs::write(path, text.replace(from, to)).unwrap();
    }

    #[test]
    fn a_patched_dossier_is_the_one_resolved_from_scratch() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        copy_fixture(root);
        let topics = root.join("content/topics");
        let mut parse_cache = ParseCache::default();
        let mut verified = VerifyCache::default();
        let mut diagnostics = Diagnostics::default();
        let raw = crate::load::load(root).unwrap();
        let parsed = crate::parse::parse_cached(raw, &mut parse_cache, &mut diagnostics);
        let mut last = resolve_cached(parsed, false, &mut diagnostics, Some(&mut verified));

        let edits: [(&str, &[(&str, &str)]); 3] = [
            // A passage only this topic cited goes, one moves elsewhere in
            // its paragraph, and a passage another topic cites is added.
            (
                "budget.md",
                &[
                    (
                        "[@council-report \"Resurfacing of Mill Lane ... completed in October.\"]",
                        "",
                    ),
                    (
                        "keep the bridge open to pedestrians at all times",
                        "repairs continue",
                    ),
                    (
                        "The gazette covered",
                        "Cyclists walk.[@harbour-gazette \"Cyclists will need to dismount.\"] The gazette covered",
                    ),
                ],
            ),
            // The other topic lets go of the passage both cited.
            (
                "bridge.md",
                &[(
                    "[@council-report \"the roads budget of 2.4 million pounds had been spent in full\"]",
                    "[@council-report]",
                )],
            ),
            // Nothing the notes point at changes.
            (
                "budget.md",
                &[("## Works\n", "## Works\n\nAn added line.\n")],
            ),
        ];
        for (file, changes) in edits {
            let path = topics.join(file);
            for (from, to) in changes {
                edit(&path, from, to);
            }
            let before = dump(&last);
            let mut diagnostics = Diagnostics::default();
            let parsed = crate::parse::reparse_topics(
                root,
                std::slice::from_ref(&path),
                &mut parse_cache,
                &mut diagnostics,
            )
            .unwrap()
            .unwrap();
            let (patched, patch) = patch(last, parsed, false, &mut diagnostics, &mut verified)
                .unwrap_or_else(|_| panic!("{file} can be patched"));
            let (expected, expected_diagnostics) = resolved_from_scratch(root);
            assert_eq!(dump(&patched), expected, "after editing {file}");
            let moved_notes = changes.iter().any(|(from, _)| from.contains('@'));
            assert_eq!(before != expected, moved_notes, "after editing {file}");
            assert_eq!(
                crate::diagnostics::to_human_string(&diagnostics),
                expected_diagnostics
            );
            let slugs: Vec<&str> = patch
                .topics
                .iter()
                .map(|&t| patched.topics[t].topic.slug.as_str())
                .collect();
            assert_eq!(slugs, [file.trim_end_matches(".md")]);
            last = patched;
        }
    }

    #[test]
    fn a_new_title_or_a_broken_quote_is_left_to_a_full_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        copy_fixture(root);
        let topics = root.join("content/topics");
        for (file, from, to) in [
            ("bridge.md", "title:", "title: A"),
            ("budget.md", "had been spent in full", "had not been spent"),
        ] {
            let mut parse_cache = ParseCache::default();
            let mut verified = VerifyCache::default();
            let mut diagnostics = Diagnostics::default();
            let raw = crate::load::load(root).unwrap();
            let parsed = crate::parse::parse_cached(raw, &mut parse_cache, &mut diagnostics);
            let last = resolve_cached(parsed, false, &mut diagnostics, Some(&mut verified));
            let path = topics.join(file);
            edit(&path, from, to);
            let parsed = crate::parse::reparse_topics(
                root,
                std::slice::from_ref(&path),
                &mut parse_cache,
                &mut diagnostics,
            )
            .unwrap()
            .unwrap();
            assert!(
                patch(last, parsed, false, &mut diagnostics, &mut verified).is_err(),
                "{file}"
            );
            edit(&path, to, from);
        }
    }
}
