//! Entry points for property tests, fuzz targets and the benchmark.
//!
//! The parsers are crate-private; these wrappers expose exactly the pieces
//! that take untrusted text (front matter, citations, quotes, source
//! paragraphs) so that `tests/properties.rs` and the targets under `fuzz/`
//! can drive them, and the two that `examples/floor.rs` renders notes
//! with. Not part of the supported API.

use std::sync::Arc;

/// Splits front matter and parses it as a topic's; returns whether it parsed.
pub fn topic_front_matter(text: &str) -> bool {
    let text: Arc<str> = Arc::from(text);
    match crate::frontmatter::split(&text) {
        Ok(Some(split)) => {
            crate::frontmatter::parse::<crate::parse::TopicMeta>("t.md", &text, split.yaml).is_ok()
        }
        _ => false,
    }
}

/// The Markdown of a topic file: what follows its front matter, or all of
/// it when it has none (or an unclosed one).
pub fn markdown_body(text: &str) -> &str {
    match crate::frontmatter::split(text) {
        Ok(Some(split)) => &text[split.body],
        _ => text,
    }
}

/// The pulldown-cmark options every Markdown file of a dossier is parsed
/// with.
pub fn markdown_options() -> pulldown_cmark::Options {
    crate::parse::markdown::options()
}

/// Parses the inside of a citation's brackets; the source ids and words.
pub fn citation(label: &str) -> Option<Vec<(String, Option<String>)>> {
    crate::parse::citation::parse(label)
        .ok()
        .map(|items| items.into_iter().map(|i| (i.id, i.words)).collect())
}

/// Renders a whole topic file's Markdown (citations and footnotes
/// included); returns the HTML and the number of diagnostics.
pub fn markdown(text: &str) -> (String, usize) {
    let text: Arc<str> = Arc::from(text);
    let renderer = crate::parse::markdown::Renderer::default();
    let file = crate::parse::markdown::MarkdownFile {
        path: "t.md",
        text: &text,
        renderer: &renderer,
    };
    let mut diagnostics = Vec::new();
    let doc = crate::parse::markdown::render(&file, 0..text.len(), &mut diagnostics);
    (doc.html, diagnostics.len())
}

/// Normalises text as quotes and sources are compared.
pub fn normalise(text: &str) -> String {
    crate::quote::normalise(text)
}

/// Splits a source text into paragraphs.
pub fn paragraphs(text: &str) -> Vec<String> {
    crate::parse::paragraphs::split(text, 0)
        .into_iter()
        .map(|p| p.text)
        .collect()
}

/// Looks for quoted words (with `...` elisions) in a source text; the
/// matched pieces as they stand in the paragraph.
pub fn find_quote(source: &str, words: &str) -> Option<Vec<String>> {
    let paragraphs = crate::parse::paragraphs::split(source, 0);
    let index = crate::quote::SourceIndex::new(&paragraphs);
    let pieces = crate::quote::pieces(words);
    if pieces.is_empty() {
        return None;
    }
    let found = index.find(&paragraphs, &pieces)?;
    let text = &paragraphs[found.paragraph].text;
    Some(
        found
            .ranges
            .iter()
            .map(|r| text[r.clone()].to_owned())
            .collect(),
    )
}

/// The closest passage to words that are not in a source, if any.
pub fn closest(source: &str, words: &str) -> Option<String> {
    let paragraphs = crate::parse::paragraphs::split(source, 0);
    let index = crate::quote::SourceIndex::new(&paragraphs);
    index.closest(&crate::quote::pieces(words)).map(|(_, w)| w)
}
