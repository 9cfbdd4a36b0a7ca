//! Stage 2, parse: bytes into typed content.
//!
//! In: [`Raw`]. Out: [`Parsed`] — the config, topics (front matter and
//! rendered Markdown with numbered citations), sources (sidecar, paragraphs,
//! quote index) and the templates, plus every problem found, reported into
//! the diagnostics sink. Topics and sources are parsed in parallel; the
//! result does not depend on thread timing (outputs keep discovery order).
//!
//! Nothing here knows whether a cited source exists or a quote matches: that
//! is resolve's job, once every source is known.

pub(crate) mod citation;
pub(crate) mod highlight;
pub(crate) mod markdown;
pub(crate) mod paragraphs;
pub(crate) mod source;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Deserialize;

use crate::config::Config;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::frontmatter::{self, Date};
use crate::load::{Raw, RawFile};
use crate::render::templates::{self, Templates};
pub(crate) use markdown::Document;
use markdown::{MarkdownFile, Renderer};
pub(crate) use source::Source;

/// A topic's front matter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TopicMeta {
    pub title: String,
    pub summary: String,
    pub updated: Option<Date>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub people: Vec<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub order: Option<i64>,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A parsed topic note.
#[derive(Debug)]
pub(crate) struct Topic {
    /// The file stem: the topic's URL segment.
    pub slug: String,
    /// Path relative to the root.
    pub path: String,
    /// The hash of the file's bytes ([`content_hash`]). The text itself is
    /// let go once parsed: resolve's errors carry the line and column of
    /// their citation, and the file is read again, if it still has this
    /// hash, to show them with their line ([`Diagnostics::read_texts`]).
    ///
    /// [`Diagnostics::read_texts`]: crate::diagnostics::Diagnostics::read_texts
    pub hash: u64,
    /// Front matter.
    pub meta: TopicMeta,
    /// The rendered body and its notes.
    pub doc: Document,
}

/// The home page's front matter.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IndexMeta {
    pub title: Option<String>,
    #[serde(default)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// `content/index.md`, rendered.
#[derive(Clone, Debug, Default)]
pub(crate) struct IndexPage {
    pub meta: IndexMeta,
    pub html: String,
}

/// Everything parsed, ready to resolve. Cloning it is cheap: the parsed
/// files are shared.
#[derive(Clone, Debug)]
pub(crate) struct Parsed {
    pub config: Config,
    pub index: IndexPage,
    pub topics: Vec<Arc<Topic>>,
    pub sources: Vec<Arc<Source>>,
    pub templates: Arc<Templates>,
    pub statics: Vec<(String, PathBuf)>,
    /// Source ids whose files exist but failed to parse (already reported).
    pub broken_sources: std::collections::HashSet<String>,
}

/// Parses everything; problems go to `diagnostics`.
pub(crate) fn parse(raw: Raw, diagnostics: &mut Diagnostics) -> Parsed {
    parse_cached(raw, &mut ParseCache::default(), diagnostics)
}

/// [`parse`] for `dossier check`, which writes no pages: the topics get
/// no HTML (see [`Renderer`]).
pub(crate) fn parse_for_check(raw: Raw, diagnostics: &mut Diagnostics) -> Parsed {
    let mut cache = ParseCache {
        renderer: Renderer::check_only(),
        ..ParseCache::default()
    };
    parse_cached(raw, &mut cache, diagnostics)
}

/// Parses what changed since the build that filled `cache`, reusing the rest.
pub(crate) fn parse_cached(
    raw: Raw,
    cache: &mut ParseCache,
    diagnostics: &mut Diagnostics,
) -> Parsed {
    let mut before = Diagnostics::default();
    for link in &raw.skipped {
        let d = Diagnostic::file(&link.path, link.reason.to_owned());
        before.push(if link.error { d } else { d.warning() });
    }
    let config = parse_config(&raw.config, &mut before);
    let index = raw
        .index
        .as_ref()
        .map(|f| parse_index(f, &cache.renderer, &mut before))
        .unwrap_or_default();
    // Topics, sources and templates do not depend on one another: they
    // are parsed at the same time.
    let ParseCache {
        topics: topic_cache,
        sources: source_cache,
        templates: template_cache,
        renderer,
        ..
    } = cache;
    let max_source_bytes = config.max_source_bytes();
    let (topic_results, ((sources, broken_sources, source_diags), templates)) = rayon::join(
        || parse_topics(raw.topics, topic_cache, renderer),
        || {
            rayon::join(
                || {
                    let mut diags = Vec::new();
                    let (sources, broken) =
                        source::parse_all(raw.sources, max_source_bytes, source_cache, &mut diags);
                    (sources, broken, diags)
                },
                || parse_templates(raw.templates, template_cache.as_ref()),
            )
        },
    );
    topic_cache.clear();
    let mut topics = Vec::with_capacity(topic_results.len());
    let mut reporting = 0;
    for (path, cached) in topic_results {
        topics.extend(cached.value.clone());
        reporting += usize::from(!cached.diagnostics.is_empty());
        topic_cache.insert(path, cached);
    }
    cache.topics_reporting = reporting;
    let mut after = source_diags;
    after.extend(templates.diagnostics.iter().cloned());
    let tera = templates.value.clone().unwrap_or_default();
    *template_cache = Some(templates);
    let parsed = Parsed {
        config,
        index,
        topics,
        sources,
        templates: tera,
        statics: raw.statics,
        broken_sources,
    };
    cache.before = before.into_vec();
    cache.after = after;
    cache.last = Some(parsed.clone());
    cache.topics_stale = false;
    cache.emit_into(diagnostics);
    parsed
}

/// One topic file parsed again: its parse before and after (`None` where
/// it did not parse).
pub(crate) type TopicEdit = (Option<Arc<Topic>>, Option<Arc<Topic>>);

/// After an edit that touched only topic files the last parse had: those
/// files read and parsed again, the cache updated, and what each parse was
/// and is; [`ParseCache::parsed`] makes the whole parse when it is needed.
/// `None` when a path is not such a file any more (created, removed,
/// replaced by a link): the caller loads everything. `Err` when a file
/// cannot be read.
///
/// The other topics' parses are not touched (only their cache entries are
/// read, for their warnings): on a large dossier, reading ten thousand
/// parses that are not in the processor's caches costs more than parsing
/// the edited file.
pub(crate) fn reparse_topics(
    root: &Path,
    changed: &[PathBuf],
    cache: &mut ParseCache,
    diagnostics: &mut Diagnostics,
) -> anyhow::Result<Option<Vec<TopicEdit>>> {
    if cache.last.is_none() {
        return Ok(None);
    }
    let mut files = Vec::with_capacity(changed.len());
    for path in changed {
        let Ok(rel) = path.strip_prefix(root) else {
            return Ok(None);
        };
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let regular = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file());
        if !regular || !cache.topics.contains_key(&rel) {
            return Ok(None);
        }
        files.push(RawFile {
            path: rel,
            bytes: crate::fs::read(path)?,
        });
    }
    let results = parse_topics(files, &cache.topics, &cache.renderer);
    let mut edits = Vec::with_capacity(results.len());
    for (path, cached) in results {
        let after = cached.value.clone();
        cache.topics_reporting += usize::from(!cached.diagnostics.is_empty());
        let before = cache.topics.insert(path, cached);
        if let Some(before) = &before {
            cache.topics_reporting -= usize::from(!before.diagnostics.is_empty());
        }
        edits.push((before.and_then(|c| c.value), after));
    }
    cache.topics_stale = true;
    cache.emit_into(diagnostics);
    Ok(Some(edits))
}

impl ParseCache {
    /// The last parse, its topics as they are now.
    pub(crate) fn parsed(&mut self) -> Option<Parsed> {
        let last = self.last.as_mut()?;
        if self.topics_stale {
            last.topics = self
                .topics
                .values()
                .filter_map(|c| c.value.clone())
                .collect();
            self.topics_stale = false;
        }
        Some(last.clone())
    }
}

/// Parses the topics that changed since `cache` was filled; the others
/// come from it.
fn parse_topics(
    files: Vec<RawFile>,
    cache: &BTreeMap<String, Cached<Topic>>,
    renderer: &Renderer,
) -> Vec<(String, Cached<Topic>)> {
    // Each text is let go as soon as its topic is parsed, and the file's
    // bytes before that: a build never holds all the texts at once.
    files
        .into_par_iter()
        .with_max_len(crate::PIECE)
        .map(|file| {
            let hash = content_hash(&[&file.bytes]);
            let cached = match cache.get(&file.path) {
                Some(hit) if hit.hash == hash => hit.clone(),
                _ => {
                    let mut diags = Vec::new();
                    let text = decode_topic(&file, &mut diags);
                    drop(file.bytes);
                    let topic = text
                        .and_then(|text| parse_topic(&file.path, hash, text, renderer, &mut diags));
                    Cached {
                        hash,
                        value: topic.map(Arc::new),
                        diagnostics: diags,
                    }
                }
            };
            (file.path, cached)
        })
        .collect()
}

/// The templates, parsed again only when one of them changed.
fn parse_templates(
    files: Vec<(String, RawFile)>,
    cache: Option<&Cached<Templates>>,
) -> Cached<Templates> {
    let hash = content_hash(
        &files
            .iter()
            .flat_map(|(n, f)| [n.as_bytes(), &f.bytes[..]])
            .collect::<Vec<_>>(),
    );
    match cache {
        Some(hit) if hit.hash == hash => hit.clone(),
        _ => {
            let mut diags = Diagnostics::default();
            let tera = templates::load(files, &mut diags);
            Cached {
                hash,
                value: Some(Arc::new(tera)),
                diagnostics: diags.into_vec(),
            }
        }
    }
}

/// Parse results kept between builds by `serve`, keyed by path (topics) or
/// id (sources), so an edit re-parses only the files it touched.
#[derive(Debug, Default)]
pub(crate) struct ParseCache {
    /// By path, in the order of the load (file names sorted by bytes).
    topics: BTreeMap<String, Cached<Topic>>,
    /// How many of them have diagnostics: at each edit in `serve` the
    /// others need not be walked.
    topics_reporting: usize,
    pub(crate) sources: HashMap<String, Cached<Source>>,
    templates: Option<Cached<Templates>>,
    renderer: Renderer,
    /// The last parse; its topics are out of date when `topics_stale`
    /// (after [`reparse_topics`], until [`ParseCache::parsed`]).
    last: Option<Parsed>,
    topics_stale: bool,
    /// Its diagnostics from the load (skipped links), the config and the
    /// home page, which come before the topics', and from sources and
    /// templates, which come after.
    before: Vec<Diagnostic>,
    after: Vec<Diagnostic>,
}

impl ParseCache {
    /// The last parse's diagnostics, in the order a full parse reports
    /// them.
    fn emit_into(&self, diagnostics: &mut Diagnostics) {
        diagnostics.extend(self.before.iter().cloned());
        if self.topics_reporting > 0 {
            for cached in self.topics.values() {
                diagnostics.extend(cached.diagnostics.iter().cloned());
            }
        }
        diagnostics.extend(self.after.iter().cloned());
    }
}

/// One file's parse result and the hash of the bytes it came from.
#[derive(Debug)]
pub(crate) struct Cached<T> {
    pub hash: u64,
    pub value: Option<Arc<T>>,
    pub diagnostics: Vec<Diagnostic>,
}

impl<T> Clone for Cached<T> {
    fn clone(&self) -> Self {
        Cached {
            hash: self.hash,
            value: self.value.clone(),
            diagnostics: self.diagnostics.clone(),
        }
    }
}

/// Hash of some byte strings, to tell whether a file changed since the last
/// build: XXH3 over the whole contents, each part preceded by its length. A
/// stale hit would need a 64-bit collision between two versions of one file.
pub(crate) fn content_hash(parts: &[&[u8]]) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for part in parts {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.digest()
}

fn parse_config(file: &RawFile, diagnostics: &mut Diagnostics) -> Config {
    let fallback = || Config {
        title: String::new(),
        description: String::new(),
        base_url: "/".into(),
        language: "en".into(),
        author: String::new(),
        max_source_mib: crate::config::DEFAULT_MAX_SOURCE_MIB,
    };
    let text = match source::decode(file) {
        Ok((text, _)) => Arc::<str>::from(text),
        Err(d) => {
            diagnostics.push(d);
            return fallback();
        }
    };
    Config::parse(&file.path, &text).unwrap_or_else(|d| {
        diagnostics.push(d);
        fallback()
    })
}

fn parse_index(file: &RawFile, renderer: &Renderer, diagnostics: &mut Diagnostics) -> IndexPage {
    let mut diags = Vec::new();
    let page = (|| {
        let text = Arc::<str>::from(source::decode(file).map_err(|d| diags.push(d)).ok()?.0);
        let (meta, body) = match frontmatter::split(&text) {
            Ok(Some(split)) => {
                let meta = frontmatter::parse::<IndexMeta>(&file.path, &text, split.yaml)
                    .map_err(|d| diags.push(d))
                    .ok()?;
                (meta, split.body)
            }
            Ok(None) => (IndexMeta::default(), 0..text.len()),
            Err(span) => {
                diags.push(unclosed(&file.path, &text, span));
                return None;
            }
        };
        let markdown = MarkdownFile {
            path: &file.path,
            text: &text,
            renderer,
        };
        let doc = markdown::render(&markdown, body, &mut diags);
        if let Some(c) = doc.citations.first() {
            diags.push(
                Diagnostic::at(
                    &file.path,
                    &text,
                    c.span.clone(),
                    "citations belong in topic notes, not on the home page".into(),
                )
                .with_help("move the claim into a topic under content/topics/"),
            );
        }
        Some(IndexPage {
            meta,
            html: doc.html,
        })
    })();
    diagnostics.extend(diags);
    page.unwrap_or_default()
}

/// A topic file's name and decoded text, ready to parse.
struct TopicText {
    slug: String,
    text: Arc<str>,
}

/// Checks a topic file's name and decodes its text.
fn decode_topic(file: &RawFile, diags: &mut Vec<Diagnostic>) -> Option<TopicText> {
    let name = file.path.rsplit('/').next().unwrap_or(&file.path);
    let slug = name.strip_suffix(".md").unwrap_or(name).to_owned();
    if !citation::is_valid_id(&slug) {
        diags.push(
            Diagnostic::file(&file.path, format!("`{slug}` is not a valid topic name")).with_help(
                "name topic files with lowercase letters, digits and hyphens, like `new-start.md`",
            ),
        );
        return None;
    }
    let text = Arc::<str>::from(source::decode(file).map_err(|d| diags.push(d)).ok()?.0);
    Some(TopicText { slug, text })
}

fn parse_topic(
    path: &str,
    hash: u64,
    TopicText { slug, text }: TopicText,
    renderer: &Renderer,
    diags: &mut Vec<Diagnostic>,
) -> Option<Topic> {
    let split = match frontmatter::split(&text) {
        Ok(Some(split)) => split,
        Ok(None) => {
            diags.push(
                Diagnostic::at(path, &text, 0..0, "topic has no front matter".into()).with_help(
                    "start the file with `---`, then `title:` and `summary:`, then `---`",
                ),
            );
            return None;
        }
        Err(span) => {
            diags.push(unclosed(path, &text, span));
            return None;
        }
    };
    let meta = frontmatter::parse::<TopicMeta>(path, &text, split.yaml.clone());
    let meta = meta.map_err(|d| diags.push(d)).ok()?;
    for (value, key) in [(&meta.title, "title"), (&meta.summary, "summary")] {
        if value.trim().is_empty() {
            let span = frontmatter::key_span(&text, split.yaml.clone(), key);
            diags.push(Diagnostic::at(
                path,
                &text,
                span,
                format!("`{key}` must not be empty"),
            ));
        }
    }
    let markdown = MarkdownFile {
        path,
        text: &text,
        renderer,
    };
    let doc = markdown::render(&markdown, split.body, diags);
    Some(Topic {
        slug,
        path: path.to_owned(),
        hash,
        meta,
        doc,
    })
}

fn unclosed(path: &str, text: &Arc<str>, span: std::ops::Range<usize>) -> Diagnostic {
    Diagnostic::at(path, text, span, "front matter is never closed".into())
        .with_help("end the front matter with a line `---`")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(root: &Path) -> (Parsed, String) {
        let mut diagnostics = Diagnostics::default();
        let raw = crate::load::load(root).unwrap();
        let parsed = parse(raw, &mut diagnostics);
        (parsed, crate::diagnostics::to_human_string(&diagnostics))
    }

    /// A parse cache filled from `root`, as `serve` keeps it.
    fn cached(root: &Path) -> ParseCache {
        let mut cache = ParseCache::default();
        parse_cached(
            crate::load::load(root).unwrap(),
            &mut cache,
            &mut Diagnostics::default(),
        );
        cache
    }

    #[test]
    fn reparsing_edited_topics_gives_what_a_full_parse_gives() {
        let dir = crate::testing::copied_fixture("good");
        let root = dir.path();
        // A warning before the topics (a stray file among the sources) and
        // one from a topic, so the order of the diagnostics shows.
        std::fs::write(root.join("content/sources/notes.md"), "stray").unwrap();
        let budget = root.join("content/topics/budget.md");
        let mut cache = cached(root);
        let before: Vec<Arc<Topic>> = cache.last.as_ref().unwrap().topics.clone();

        let text = std::fs::read_to_string(&budget).unwrap();
        let edited = text.replacen("\n\n", "\n\nAn added sentence.[^x]\n\n[^y]: unused.\n\n", 1);
        std::fs::write(&budget, &edited).unwrap();
        let mut diagnostics = Diagnostics::default();
        let edits = reparse_topics(
            root,
            std::slice::from_ref(&budget),
            &mut cache,
            &mut diagnostics,
        )
        .unwrap()
        .expect("an edited topic is reparsed alone");
        assert_eq!(edits.len(), 1);
        let (was, is) = &edits[0];
        assert_eq!(was.as_ref().map(|t| t.slug.as_str()), Some("budget"));
        assert!(!Arc::ptr_eq(was.as_ref().unwrap(), is.as_ref().unwrap()));
        let fast = cache.parsed().unwrap();
        let fast_text = crate::diagnostics::to_human_string(&diagnostics);

        let (slow, slow_text) = full(root);
        assert_eq!(fast_text, slow_text);
        assert!(slow_text.contains("notes.md"), "{slow_text}");
        assert!(slow_text.contains("never referenced"), "{slow_text}");
        let slugs = |p: &Parsed| p.topics.iter().map(|t| t.slug.clone()).collect::<Vec<_>>();
        assert_eq!(slugs(&fast), slugs(&slow));
        for (new, old) in fast.topics.iter().zip(&before) {
            // Only the edited topic was parsed again.
            assert_eq!(Arc::ptr_eq(new, old), new.slug != "budget", "{}", new.slug);
        }
        let html = |p: &Parsed| {
            let t = p.topics.iter().find(|t| t.slug == "budget").unwrap();
            t.doc.html.clone()
        };
        assert!(html(&fast).contains("An added sentence."));
        assert_eq!(html(&fast), html(&slow));
    }

    #[test]
    fn a_new_or_removed_topic_is_left_to_a_full_load() {
        let dir = crate::testing::copied_fixture("good");
        let root = dir.path();
        let mut cache = cached(root);
        let added = root.join("content/topics/added.md");
        std::fs::write(&added, "---\ntitle: A\nsummary: B\n---\nText.\n").unwrap();
        let removed = root.join("content/topics/bridge.md");
        std::fs::remove_file(&removed).unwrap();
        for path in [added, removed] {
            let found = reparse_topics(root, &[path], &mut cache, &mut Diagnostics::default());
            let found = found.unwrap();
            assert!(found.is_none());
        }
    }
}
