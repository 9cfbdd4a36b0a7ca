//! The tera templates: defaults built into the binary, overridden by the
//! root's own `templates/` file by file.
//!
//! All templates are parsed once, together (tera needs every parent of an
//! `{% extends %}` at once), in the parse stage, so a broken template is
//! reported with the content errors instead of failing halfway through a
//! render. Autoescaping is on for `.html` and `.xml` names.

use std::error::Error as _;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::load::RawFile;

/// The parsed templates, and what their pages' context may leave out.
#[derive(Debug, Default)]
pub(crate) struct Templates {
    tera: tera::Tera,
    /// Whether a template names `notes` in a tag. The built-in ones read
    /// only `page.notes_html`; then the list of a topic's notes, most of
    /// the cost of a topic page's context, is not put in it.
    pub reads_notes: bool,
    /// The same for a source page's `paragraphs` (the built-in
    /// `source.html` reads `page.paragraphs_html`).
    pub reads_paragraphs: bool,
    /// The same for a source card's `cited_by` (the built-in templates
    /// read `cited_by_html`). The home page holds every source's card, and
    /// at 10,000 topics their lists are some hundred thousand links.
    pub reads_cited_by: bool,
    /// The same for a topic's `headings`: the built-in `topic.html` reads
    /// `page.heading_count` and `page.toc_html`.
    pub reads_headings: bool,
    /// The same for `sources`: a topic's cited sources (the built-in
    /// `topic.html` reads `page.source_count`) and the home page's cards
    /// (`page.sources_html`). The built-in `person.html` does not count:
    /// its `sources` is a number.
    pub reads_sources: bool,
    /// The same for the home page's topic cards, `topics` (the built-in
    /// `index.html` reads `page.topics_html`); the built-in people and
    /// person pages' own `topics` do not count.
    pub reads_topics: bool,
    /// The same for the feed's `entries` and the sitemap's `urls` (the
    /// built-in templates read `entries_xml` and `urls_xml`).
    pub reads_entries: bool,
    pub reads_urls: bool,
}

impl std::ops::Deref for Templates {
    type Target = tera::Tera;

    fn deref(&self) -> &tera::Tera {
        &self.tera
    }
}

/// Whether the tags of a template (`{{ … }}` and `{% … %}`, not its text
/// or comments) name `name`: for `notes`, as `page.notes`, `p.notes`,
/// `page["notes"]`; `notes_html` and the like do not count. A mention that
/// is never rendered still counts; leaving the list in costs only time.
fn reads(source: &str, name: &str) -> bool {
    let identifier = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut rest = source;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = match after.as_bytes().first() {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            _ => {
                rest = after;
                continue;
            }
        };
        let end = after.find(close).unwrap_or(after.len());
        let tag = &after[1..end];
        let named = tag.match_indices(name).any(|(at, word)| {
            let before = tag.as_bytes()[..at].last().copied();
            let next = tag.as_bytes().get(at + word.len()).copied();
            !before.is_some_and(identifier) && !next.is_some_and(identifier)
        });
        if named {
            return true;
        }
        rest = &after[end..];
    }
    false
}

/// Default templates, as shipped in the repository's `templates/`.
pub(crate) const DEFAULTS: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("index.html", include_str!("../../templates/index.html")),
    ("topic.html", include_str!("../../templates/topic.html")),
    ("source.html", include_str!("../../templates/source.html")),
    ("404.html", include_str!("../../templates/404.html")),
    ("macros.html", include_str!("../../templates/macros.html")),
    ("people.html", include_str!("../../templates/people.html")),
    ("person.html", include_str!("../../templates/person.html")),
    ("atom.xml", include_str!("../../templates/atom.xml")),
    ("sitemap.xml", include_str!("../../templates/sitemap.xml")),
    ("robots.txt", include_str!("../../templates/robots.txt")),
    ("search.html", include_str!("../../templates/search.html")),
    ("compare.html", include_str!("../../templates/compare.html")),
];

/// Parses the defaults and the root's overrides.
pub(crate) fn load(own: Vec<(String, RawFile)>, diagnostics: &mut Diagnostics) -> Templates {
    let mut sources: Vec<(String, String)> = DEFAULTS
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect();
    let own_names: Vec<String> = own.iter().map(|(n, _)| n.clone()).collect();
    for (name, file) in own {
        match String::from_utf8(file.bytes) {
            Ok(text) => match sources.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = text,
                None => sources.push((name, text)),
            },
            Err(e) => diagnostics.push(Diagnostic::file(
                &file.path,
                format!(
                    "not valid UTF-8: invalid byte at offset {}",
                    e.utf8_error().valid_up_to()
                ),
            )),
        }
    }
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![".html", ".xml"]);
    tera.set_escape_fn(escape);
    if let Err(e) = tera.add_raw_templates(sources.clone()) {
        diagnostics.push(locate(&e, &sources, &own_names));
        // Fall back to the defaults alone so later stages can still run.
        let mut fallback = tera::Tera::default();
        fallback.autoescape_on(vec![".html", ".xml"]);
        fallback.set_escape_fn(escape);
        let _ = fallback.add_raw_templates(DEFAULTS.iter().copied());
        return Templates::new(fallback, DEFAULTS);
    }
    Templates::new(tera, &sources)
}

impl Templates {
    fn new<N: AsRef<str>, T: AsRef<str>>(tera: tera::Tera, sources: &[(N, T)]) -> Self {
        // Whether a template names `name`, leaving out the built-in
        // `others`, which name a list of their own by it.
        let any_but = |name: &str, others: &[&str]| {
            sources.iter().any(|(file, text)| {
                let (file, text) = (file.as_ref(), text.as_ref());
                let elsewhere =
                    others.contains(&file) && DEFAULTS.iter().any(|&(n, t)| n == file && t == text);
                !elsewhere && reads(text, name)
            })
        };
        let any = |name: &str| any_but(name, &[]);
        Templates {
            reads_notes: any("notes"),
            reads_paragraphs: any("paragraphs"),
            reads_cited_by: any("cited_by"),
            reads_headings: any("headings"),
            reads_sources: any_but("sources", &["person.html"]),
            reads_topics: any_but("topics", &["people.html", "person.html"]),
            reads_entries: any("entries"),
            reads_urls: any("urls"),
            tera,
        }
    }
}

/// A template error as a diagnostic in the template's own file, at the line
/// and column tera reports (`Failed to parse 'topic.html': --> 3:19 …`).
fn locate(e: &tera::Error, sources: &[(String, String)], own: &[String]) -> Diagnostic {
    let message = error_chain(e);
    let name = message
        .split_once("'")
        .and_then(|(_, rest)| rest.split_once("'"))
        .map(|(name, _)| name.to_owned());
    let position = message.split_once("--> ").and_then(|(_, rest)| {
        let (line, rest) = rest.split_once(':')?;
        let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
        Some((
            line.trim().parse::<usize>().ok()?,
            column.parse::<usize>().ok()?,
        ))
    });
    let Some(name) = name else {
        return Diagnostic::file("templates/", message);
    };
    let path = if own.contains(&name) {
        format!("templates/{name}")
    } else {
        format!("templates/{name} (built in)")
    };
    let text = sources
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| t.as_str());
    match (text, position) {
        (Some(text), Some((line, column))) => {
            let text: std::sync::Arc<str> = std::sync::Arc::from(text);
            let offset = offset_of(&text, line, column);
            let summary = message
                .lines()
                .last()
                .unwrap_or("")
                .trim()
                .trim_start_matches("= ");
            Diagnostic::at(
                &path,
                &text,
                offset..offset + 1,
                format!("template syntax error: {summary}"),
            )
        }
        _ => Diagnostic::file(&path, message),
    }
}

/// Byte offset of a 1-based line and character column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &text[start.min(text.len())..];
    start
        + rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

/// Escapes the five characters that matter in HTML text and attribute
/// values. tera's default also escapes `/`, which makes every URL in the
/// output unreadable (`&#x2F;topics&#x2F;`) for no safety gain.
pub(crate) fn escape(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 8);
    escape_into(&mut out, input);
    out
}

/// Appends `pieces` to `out` in order: the marks and links of a page are
/// many small pieces, which `write!` would pass through the formatting
/// machinery one by one.
pub(crate) fn push_all(out: &mut String, pieces: &[&str]) {
    out.reserve(pieces.iter().map(|p| p.len()).sum());
    for piece in pieces {
        out.push_str(piece);
    }
}

/// [`escape`], appended to `out`: the five characters as pulldown-cmark
/// escapes them (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#39;`), sixteen bytes
/// at a time where the processor allows.
pub(crate) fn escape_into(out: &mut String, input: &str) {
    // Writing to a `String` cannot fail.
    let _ = pulldown_cmark_escape::escape_html(out, input);
}

/// tera puts the useful part of a message (line, column, what was
/// expected) in the error's sources.
pub(crate) fn error_chain(e: &tera::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use std::ops::Not;

    use super::{DEFAULTS, escape};

    fn reads_notes(source: &str) -> bool {
        super::reads(source, "notes")
    }

    #[test]
    fn reads_notes_looks_at_tags_only() {
        assert!(reads_notes(
            "{% for n in page.notes %}{{ n.id }}{% endfor %}"
        ));
        assert!(reads_notes("{%- if page[\"notes\"] -%}x{% endif %}"));
        assert!(reads_notes("{{ p.notes | length }}"));
        assert!(!reads_notes("{{ page.notes_html | safe }}"));
        assert!(!reads_notes(
            "<h2 id=\"notes-heading\">Notes</h2>{# page.notes #}"
        ));
        assert!(!reads_notes("{{ page.footnotes }} {{ notesy }}"));
        // The built-in templates do not: their pages get no list of notes
        // or paragraphs.
        for name in ["notes", "paragraphs", "headings"] {
            assert!(!DEFAULTS.iter().any(|(_, text)| super::reads(text, name)));
        }
    }

    #[test]
    fn lists_are_read_by_any_template_but_the_built_ins_with_a_list_of_that_name() {
        let templates = |own: &[(&str, &str)]| {
            let mut all: Vec<(&str, &str)> = DEFAULTS.to_vec();
            for &(name, text) in own {
                match all.iter_mut().find(|(n, _)| *n == name) {
                    Some(slot) => slot.1 = text,
                    None => all.push((name, text)),
                }
            }
            super::Templates::new(tera::Tera::default(), &all)
        };
        // The built-in templates read none of these lists (the person
        // pages' own `sources` and `topics` do not count).
        let built_in = templates(&[]);
        assert!(
            [
                built_in.reads_sources,
                built_in.reads_topics,
                built_in.reads_headings,
                built_in.reads_entries,
                built_in.reads_urls
            ] == [false; 5]
        );
        let own = "{% for s in page.sources %}{{ s.title }}{% endfor %}";
        assert!(templates(&[("topic.html", own)]).reads_sources);
        assert!(templates(&[("macros.html", own)]).reads_sources);
        assert!(templates(&[("index.html", own)]).reads_sources);
        // A person page of one's own might show a macro's list too.
        assert!(templates(&[("person.html", own)]).reads_sources);
        assert!(
            templates(&[("topic.html", "{{ page.source_count }}")])
                .reads_sources
                .not()
        );
        let cards = "{% for t in page.topics %}{{ t.title }}{% endfor %}";
        assert!(templates(&[("index.html", cards)]).reads_topics);
        assert!(
            templates(&[("atom.xml", "{% for e in page.entries %}{% endfor %}")]).reads_entries
        );
        assert!(templates(&[("sitemap.xml", "{{ page.urls | length }}")]).reads_urls);
    }

    #[test]
    fn escape_table() {
        let cases = [
            ("", ""),
            ("plain /topics/x/", "plain /topics/x/"),
            (
                "<script>alert('x')</script>",
                "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;",
            ),
            ("\"><img onerror=1>", "&quot;&gt;&lt;img onerror=1&gt;"),
            ("Tom & Jerry’s “café”", "Tom &amp; Jerry’s “café”"),
            ("&&", "&amp;&amp;"),
        ];
        for (input, want) in cases {
            assert_eq!(escape(input), want, "{input:?}");
        }
    }
}
