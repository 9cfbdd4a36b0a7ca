//! `serve`'s resolve after an edit to topics: the last [`Dossier`] with
//! the edited topics verified again and their backlinks moved, instead of
//! every topic's notes numbered and merged anew.
//!
//! In: the last dossier and the new parse. Out: the patched dossier and
//! what changed ([`Patch`]), or both handed back when the edit reached
//! further than a patch can follow.

use std::sync::Arc;

use rayon::prelude::*;

use super::{
    Backlink, Catalogue, Dossier, NoteMatch, NoteTarget, Passage, ResolvedNote, ResolvedTopic,
    Verification, VerifyCache, verify_topic,
};
use crate::diagnostics::Diagnostics;
use crate::parse::markdown::NoteKind;
use crate::parse::{Topic, TopicEdit};

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

/// `serve`, after an edit to topic files only ([`reparse_topics`]): the
/// last dossier with the edited topics verified again and their backlinks
/// moved, instead of a dossier resolved anew from every topic. The result
/// is the one [`resolve`] gives (passages may be stored in another order;
/// every reader orders them by position). Only the edited topics are
/// parsed, verified and numbered again; what is left for the others is a
/// pass over the dossier's list of topics (to find the edited one and to
/// gather the warnings), well under a millisecond at ten thousand. `Err`
/// hands the
/// dossier back when the edit reached further than a patch can follow — a
/// topic came, went, became or stopped being a draft, or moved in the
/// order — or an edited topic no longer parses or resolves: the caller
/// resolves everything.
///
/// [`reparse_topics`]: crate::parse::reparse_topics
/// [`resolve`]: super::resolve
pub(crate) fn patch(
    mut last: Dossier,
    edits: &[TopicEdit],
    drafts: bool,
    diagnostics: &mut Diagnostics,
    cache: &mut VerifyCache,
) -> Result<(Dossier, Patch), Dossier> {
    let same_sources = crate::parse::source::same_sources(
        last.sources.iter().map(|s| &s.source),
        cache.sources.iter(),
    );
    if !same_sources {
        return Err(last);
    }
    let Some(edited) = edited_topics(&last, edits, drafts) else {
        return Err(last);
    };
    let catalogue = Catalogue::kept(cache);
    let verified: Vec<Verification> = edited
        .par_iter()
        .map(|(_, t)| Arc::new(verify_topic(t, &catalogue)))
        .collect();
    let fails = |v: &Verification| {
        v.1.iter()
            .any(|d| d.severity == crate::diagnostics::Severity::Error)
    };
    if verified.iter().any(fails) {
        return Err(last);
    }
    // The sources are the ones the cache was filled from.
    diagnostics.extend(cache.derived_problems.iter().cloned());
    drop(catalogue);

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
                findings: !verification.1.is_empty(),
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

    for t in last.topics.iter().filter(|t| t.findings) {
        diagnostics.extend(t.verification.1.iter().cloned());
    }
    Ok((last, patch))
}

/// Each edited topic that is in the dossier, with its index there; `None`
/// when an edit changes which topics the dossier has or their order. Each
/// is found by the address of its previous parse, among the dossier's
/// entries only (not the topics they point at).
fn edited_topics(
    last: &Dossier,
    edits: &[TopicEdit],
    drafts: bool,
) -> Option<Vec<(usize, Arc<Topic>)>> {
    let shown = |t: &Topic| drafts || !t.meta.draft;
    let mut edited = Vec::with_capacity(edits.len());
    for (before, after) in edits {
        let (before, after) = (before.as_ref()?, after.as_ref()?);
        if Arc::ptr_eq(before, after) {
            continue;
        }
        match (shown(before), shown(after)) {
            (false, false) => continue,
            (true, true) => {}
            _ => return None,
        }
        let same_place = before.meta.order == after.meta.order
            && before.meta.title.to_lowercase() == after.meta.title.to_lowercase();
        let i = last
            .topics
            .iter()
            .position(|t| Arc::ptr_eq(&t.topic, before))?;
        if !same_place {
            return None;
        }
        edited.push((i, Arc::clone(after)));
    }
    Some(edited)
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;
    use std::path::Path;

    use super::*;
    use crate::parse::ParseCache;
    use crate::resolve::{resolve, resolve_cached};

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

    /// What `serve` holds after building `root`: its caches and dossier.
    fn served(root: &Path) -> (ParseCache, VerifyCache, Dossier) {
        let mut parse_cache = ParseCache::default();
        let mut verified = VerifyCache::default();
        let mut diagnostics = Diagnostics::default();
        let raw = crate::load::load(root).unwrap();
        let parsed = crate::parse::parse_cached(raw, &mut parse_cache, &mut diagnostics);
        let last = resolve_cached(parsed, false, &mut diagnostics, Some(&mut verified));
        (parse_cache, verified, last)
    }

    /// `serve`'s reading of one edited topic file.
    fn reparse(
        root: &Path,
        path: &Path,
        cache: &mut ParseCache,
        diagnostics: &mut Diagnostics,
    ) -> Vec<TopicEdit> {
        let paths = [path.to_owned()];
        crate::parse::reparse_topics(root, &paths, cache, diagnostics)
            .unwrap()
            .expect("a topic the last parse had")
    }

    #[test]
    fn a_patched_dossier_is_the_one_resolved_from_scratch() {
        let dir = crate::testing::copied_fixture("good");
        let root = dir.path();
        let topics = root.join("content/topics");
        let (mut parse_cache, mut verified, mut last) = served(root);

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
            let edits = reparse(root, &path, &mut parse_cache, &mut diagnostics);
            let (patched, patch) = patch(last, &edits, false, &mut diagnostics, &mut verified)
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
        let dir = crate::testing::copied_fixture("good");
        let root = dir.path();
        let topics = root.join("content/topics");
        for (file, from, to) in [
            ("bridge.md", "title:", "title: A"),
            ("budget.md", "had been spent in full", "had not been spent"),
        ] {
            let (mut parse_cache, mut verified, last) = served(root);
            let mut diagnostics = Diagnostics::default();
            let path = topics.join(file);
            edit(&path, from, to);
            let edits = reparse(root, &path, &mut parse_cache, &mut diagnostics);
            assert!(
                patch(last, &edits, false, &mut diagnostics, &mut verified).is_err(),
                "{file}"
            );
            edit(&path, to, from);
        }
    }
}
