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

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Deserialize;

use crate::config::Config;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::frontmatter::{self, Date};
use crate::load::{Raw, RawFile};
use crate::render::templates::{self, Templates};
use highlight::Highlighter;
pub(crate) use markdown::Document;
use markdown::MarkdownFile;
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
    /// The file's text, for locating resolve's errors.
    pub text: Arc<str>,
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

/// Everything parsed, ready to resolve.
#[derive(Debug)]
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

/// Parses what changed since the build that filled `cache`, reusing the rest.
pub(crate) fn parse_cached(
    raw: Raw,
    cache: &mut ParseCache,
    diagnostics: &mut Diagnostics,
) -> Parsed {
    for link in &raw.skipped {
        let d = Diagnostic::file(&link.path, link.reason.to_owned());
        diagnostics.push(if link.error { d } else { d.warning() });
    }
    let config = parse_config(&raw.config, diagnostics);
    let index = raw
        .index
        .as_ref()
        .map(|f| parse_index(f, &cache.highlighter, diagnostics))
        .unwrap_or_default();
    // Topics, sources and templates do not depend on one another: they
    // are parsed at the same time.
    let ParseCache {
        topics: topic_cache,
        sources: source_cache,
        templates: template_cache,
        highlighter,
    } = cache;
    let max_source_bytes = config.max_source_bytes();
    let (topic_results, ((sources, broken_sources, source_diags), templates)) = rayon::join(
        || parse_topics(&raw.topics, topic_cache, highlighter),
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
    for (path, cached) in topic_results {
        diagnostics.extend(cached.diagnostics.iter().cloned());
        topics.extend(cached.value.clone());
        topic_cache.insert(path, cached);
    }
    diagnostics.extend(source_diags);
    diagnostics.extend(templates.diagnostics.iter().cloned());
    let tera = templates.value.clone().unwrap_or_default();
    *template_cache = Some(templates);
    Parsed {
        config,
        index,
        topics,
        sources,
        templates: tera,
        statics: raw.statics,
        broken_sources,
    }
}

/// Parses the topics that changed since `cache` was filled; the others
/// come from it.
fn parse_topics(
    files: &[RawFile],
    cache: &HashMap<String, Cached<Topic>>,
    highlighter: &Highlighter,
) -> Vec<(String, Cached<Topic>)> {
    files
        .par_iter()
        .map(|file| {
            let hash = content_hash(&[&file.bytes]);
            match cache.get(&file.path) {
                Some(hit) if hit.hash == hash => (file.path.clone(), hit.clone()),
                _ => {
                    let (topic, diags) = parse_topic(file, highlighter);
                    (
                        file.path.clone(),
                        Cached {
                            hash,
                            value: topic.map(Arc::new),
                            diagnostics: diags,
                        },
                    )
                }
            }
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
    topics: HashMap<String, Cached<Topic>>,
    pub(crate) sources: HashMap<String, Cached<Source>>,
    templates: Option<Cached<Templates>>,
    highlighter: Highlighter,
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
/// build. SipHash over the whole contents: a stale hit would need a 64-bit
/// collision between two versions of one file.
pub(crate) fn content_hash(parts: &[&[u8]]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    for part in parts {
        part.hash(&mut hasher);
    }
    hasher.finish()
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

fn parse_index(
    file: &RawFile,
    highlighter: &Highlighter,
    diagnostics: &mut Diagnostics,
) -> IndexPage {
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
            highlighter,
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

fn parse_topic(file: &RawFile, highlighter: &Highlighter) -> (Option<Topic>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let topic = parse_topic_into(file, highlighter, &mut diags);
    (topic, diags)
}

fn parse_topic_into(
    file: &RawFile,
    highlighter: &Highlighter,
    diags: &mut Vec<Diagnostic>,
) -> Option<Topic> {
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
    let split = match frontmatter::split(&text) {
        Ok(Some(split)) => split,
        Ok(None) => {
            diags.push(
                Diagnostic::at(&file.path, &text, 0..0, "topic has no front matter".into())
                    .with_help(
                        "start the file with `---`, then `title:` and `summary:`, then `---`",
                    ),
            );
            return None;
        }
        Err(span) => {
            diags.push(unclosed(&file.path, &text, span));
            return None;
        }
    };
    let meta = frontmatter::parse::<TopicMeta>(&file.path, &text, split.yaml.clone());
    let meta = meta.map_err(|d| diags.push(d)).ok()?;
    for (value, key) in [(&meta.title, "title"), (&meta.summary, "summary")] {
        if value.trim().is_empty() {
            let span = frontmatter::key_span(&text, split.yaml.clone(), key);
            diags.push(Diagnostic::at(
                &file.path,
                &text,
                span,
                format!("`{key}` must not be empty"),
            ));
        }
    }
    let markdown = MarkdownFile {
        path: &file.path,
        text: &text,
        highlighter,
    };
    let doc = markdown::render(&markdown, split.body, diags);
    Some(Topic {
        slug,
        path: file.path.clone(),
        text,
        meta,
        doc,
    })
}

fn unclosed(path: &str, text: &Arc<str>, span: std::ops::Range<usize>) -> Diagnostic {
    Diagnostic::at(path, text, span, "front matter is never closed".into())
        .with_help("end the front matter with a line `---`")
}
