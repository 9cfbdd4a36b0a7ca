//! Coverage: what the notes leave out.
//!
//! For each topic, the source paragraphs that mention one of its `aliases`
//! (case-insensitive, whole words: "hack" is not found in "hacked") but
//! that the topic does not cite: no passage it quotes lies in them. Citing
//! a whole source does not cover its paragraphs, since it points at none.
//!
//! Aliases are matched on folded words ([`words::folded`]), so punctuation and
//! line wraps between the words of an alias do not matter. Every word of
//! every source is looked up once in a table of the aliases' first words.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use rayon::prelude::*;

use super::words;
use crate::resolve::Dossier;

/// A paragraph that mentions a topic's aliases without being cited by it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Mention {
    /// Index into [`Dossier::sources`].
    pub source: usize,
    /// Index of the paragraph (its anchor is `p-{paragraph+1}`).
    pub paragraph: usize,
    /// Indices into the topic's aliases found, in the order of the aliases.
    pub aliases: Vec<usize>,
    /// Where they are in the paragraph's text: sorted, not overlapping.
    pub spans: Vec<Range<usize>>,
}

/// An alias as word keys.
struct Alias {
    topic: usize,
    index: usize,
    keys: Vec<String>,
}

/// A hit: topic, alias index, paragraph, byte range.
type Hit = (usize, usize, usize, Range<usize>);

/// The alias hits in every source, kept between builds by `serve`: they
/// change only when a source or some topic's aliases do.
#[derive(Default)]
pub(crate) struct HitCache {
    sources: Vec<std::sync::Arc<crate::parse::Source>>,
    /// The topics whose aliases were searched for, in the dossier's order.
    topics: Vec<std::sync::Arc<crate::parse::Topic>>,
    /// Per source, in paragraph order.
    hits: Vec<Vec<Hit>>,
}

impl HitCache {
    /// Lets go of the topics it holds (the next [`find`] searches again),
    /// so that a build that keeps no cache can free what each topic alone
    /// holds.
    pub(crate) fn let_go_of_topics(&mut self) {
        self.topics = Vec::new();
    }
}

/// For each topic (in the dossier's order), its uncited mentions, by
/// source and paragraph.
pub(crate) fn find(d: &Dossier, cache: &mut HitCache) -> Vec<Vec<Mention>> {
    // A topic whose parse is the cached one has its aliases; only an
    // edited topic is read (at ten thousand topics, reading each one's
    // aliases would be most of `serve`'s analysis of an edit).
    let same_aliases = cache.topics.len() == d.topics.len()
        && cache.topics.iter_mut().zip(&d.topics).all(|(cached, t)| {
            if std::sync::Arc::ptr_eq(cached, &t.topic) {
                return true;
            }
            let same = cached.meta.aliases == t.topic.meta.aliases;
            if same {
                *cached = std::sync::Arc::clone(&t.topic);
            }
            same
        });
    let same_sources = crate::parse::source::same_sources(
        cache.sources.iter(),
        d.sources.iter().map(|s| &s.source),
    );
    if !(same_aliases && same_sources) {
        cache.hits = hits(d);
        cache.topics = d.topics.iter().map(|t| t.topic.clone()).collect();
        cache.sources = d.sources.iter().map(|s| s.source.clone()).collect();
    }
    // Each (topic, source, paragraph) a passage is cited at; only the
    // sources with hits need them.
    let mut cited: HashSet<(usize, usize, usize), foldhash::fast::FixedState> = HashSet::default();
    for (s, source) in d.sources.iter().enumerate() {
        if cache.hits[s].is_empty() {
            continue;
        }
        for p in &source.passages {
            for b in &p.backlinks {
                cited.insert((b.topic, s, p.found.paragraph));
            }
        }
    }
    let mut out: Vec<Vec<Mention>> = vec![Vec::new(); d.topics.len()];
    for (s, hits) in cache.hits.iter().enumerate() {
        // Hits come by paragraph; gather each (topic, paragraph).
        #[allow(clippy::type_complexity)]
        let mut grouped: Vec<((usize, usize), Vec<(usize, Range<usize>)>)> = Vec::new();
        for (topic, alias, p, range) in hits.iter().cloned() {
            if cited.contains(&(topic, s, p)) {
                continue;
            }
            match grouped.iter_mut().find(|(k, _)| *k == (topic, p)) {
                Some((_, v)) => v.push((alias, range)),
                None => grouped.push(((topic, p), vec![(alias, range)])),
            }
        }
        for ((topic, paragraph), found) in grouped {
            let mut aliases: Vec<usize> = found.iter().map(|(a, _)| *a).collect();
            aliases.sort_unstable();
            aliases.dedup();
            out[topic].push(Mention {
                source: s,
                paragraph,
                aliases,
                spans: merged(found.into_iter().map(|(_, r)| r).collect()),
            });
        }
    }
    for mentions in &mut out {
        mentions.sort_by_key(|m| (m.source, m.paragraph));
    }
    out
}

/// Every alias found in every source, by source, in paragraph order.
fn hits(d: &Dossier) -> Vec<Vec<Hit>> {
    let aliases: Vec<Alias> = d
        .topics
        .iter()
        .enumerate()
        .flat_map(|(topic, t)| {
            t.topic
                .meta
                .aliases
                .iter()
                .enumerate()
                .map(move |(index, a)| Alias {
                    topic,
                    index,
                    keys: words::spans(a)
                        .into_iter()
                        .map(|r| words::folded(&a[r]))
                        .collect(),
                })
        })
        .filter(|a| !a.keys.is_empty())
        .collect();
    let mut by_first: HashMap<&str, Vec<&Alias>> = HashMap::new();
    for a in &aliases {
        by_first.entry(a.keys[0].as_str()).or_default().push(a);
    }
    if by_first.is_empty() {
        return vec![Vec::new(); d.sources.len()];
    }
    d.sources
        .par_iter()
        .with_max_len(crate::PIECE)
        .map(|s| {
            let mut key = String::new();
            s.source
                .paragraphs
                .iter()
                .enumerate()
                .flat_map(|(p, para)| hits_in(&para.text, &by_first, p, &mut key))
                .collect()
        })
        .collect()
}

/// The aliases found in one paragraph. Each word is folded into `key` (a
/// buffer reused across paragraphs) and looked up among the aliases'
/// first words; the words after it are folded only for a candidate.
fn hits_in(
    text: &str,
    by_first: &HashMap<&str, Vec<&Alias>>,
    paragraph: usize,
    key: &mut String,
) -> Vec<Hit> {
    let spans = words::spans(text);
    let mut hits = Vec::new();
    let mut next = String::new();
    for (i, span) in spans.iter().enumerate() {
        words::fold_into(&text[span.clone()], key);
        let Some(candidates) = by_first.get(key.as_str()) else {
            continue;
        };
        for a in candidates {
            let end = i + a.keys.len();
            let rest_matches = end <= spans.len()
                && spans[i + 1..end].iter().zip(&a.keys[1..]).all(|(s, k)| {
                    words::fold_into(&text[s.clone()], &mut next);
                    next == *k
                });
            if rest_matches {
                let range = spans[i].start..spans[end - 1].end;
                hits.push((a.topic, a.index, paragraph, range));
            }
        }
    }
    hits
}

/// Sorted ranges with overlapping ones joined.
fn merged(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(root: &std::path::Path) -> Dossier {
        let mut diagnostics = crate::diagnostics::Diagnostics::default();
        let parsed = crate::parse::parse(crate::load::load(root).unwrap(), &mut diagnostics);
        crate::resolve::resolve(parsed, false, &mut diagnostics)
    }

    /// What `serve` keeps between edits gives what a fresh search gives:
    /// the same aliases in a new parse reuse the hits, new aliases are
    /// searched for.
    #[test]
    fn kept_hits_follow_an_edit_of_a_topics_aliases() {
        let dir = crate::testing::copied_fixture("good");
        let root = dir.path();
        let mut kept = HitCache::default();
        let before = find(&resolved(root), &mut kept);
        assert_eq!(find(&resolved(root), &mut kept), before);

        let path = root.join("content/topics/bridge.md");
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text.replace("order: 2", "aliases: [\"Quay Road\"]\norder: 2");
        std::fs::write(&path, text).unwrap();
        let edited = resolved(root);
        let bridge = edited
            .topics
            .iter()
            .position(|t| t.topic.slug == "bridge")
            .unwrap();
        let after = find(&edited, &mut kept);
        assert_eq!(after, find(&edited, &mut HitCache::default()));
        assert_eq!(before[bridge], []);
        // The gazette's paragraph on Quay Road is one the topic cites.
        let quay: Vec<&str> = after[bridge]
            .iter()
            .map(|m| edited.sources[m.source].source.id.as_str())
            .collect();
        assert_eq!(quay, ["council-report"]);
    }

    fn alias(topic: usize, index: usize, text: &str) -> Alias {
        Alias {
            topic,
            index,
            keys: words::spans(text)
                .into_iter()
                .map(|r| words::folded(&text[r]))
                .collect(),
        }
    }

    #[test]
    fn aliases_match_whole_words_in_any_case() {
        let aliases = [
            alias(0, 0, "hack"),
            alias(0, 1, "SolarWinds hack"),
            alias(1, 0, "New START"),
        ];
        let mut by_first: HashMap<&str, Vec<&Alias>> = HashMap::new();
        for a in &aliases {
            by_first.entry(a.keys[0].as_str()).or_default().push(a);
        }
        let text = "The SolarWinds\nHack was hacked; new start talks.";
        let hits = hits_in(text, &by_first, 3, &mut String::new());
        let found: Vec<(usize, usize, &str)> = hits
            .iter()
            .map(|(t, a, _, r)| (*t, *a, &text[r.clone()]))
            .collect();
        assert_eq!(
            found,
            [
                (0, 1, "SolarWinds\nHack"),
                (0, 0, "Hack"),
                (1, 0, "new start")
            ]
        );
    }

    #[test]
    fn overlapping_spans_are_joined() {
        assert_eq!(merged(vec![4..15, 0..3, 4..9, 14..20]), [0..3, 4..20]);
    }
}
