//! A topic's "Notes and sources" list as HTML, made here rather than in
//! `topic.html`.
//!
//! A topic page has one note per citation, and a dossier has tens of
//! thousands of them: written as a loop in the template, the list took a
//! sixth of a build (tera looks up each `{{ note.… }}` by walking a JSON
//! path, about two dozen times a note). The built-in `topic.html` shows
//! `page.notes_html`; a template of a root's own may still loop over
//! `page.notes`, which holds the same facts.
//!
//! The source line of a note is the `source_line` macro of `macros.html`
//! written out; a test holds the two to the same bytes.

use super::templates::escape;
use super::views::{NoteView, SourceRef};

/// The `<ol>` of a topic's notes. `origin` (`https://host`, or empty)
/// prefixes the links printed after each link for paper.
pub(crate) fn html(notes: &[NoteView<'_>], origin: &str) -> String {
    if notes.is_empty() {
        // The template leaves the section out.
        return String::new();
    }
    let mut out = String::with_capacity(notes.len() * 900 + 16);
    out.push_str("<ol>\n");
    for note in notes {
        item(&mut out, note, origin);
    }
    out.push_str("</ol>");
    out
}

fn item(out: &mut String, note: &NoteView<'_>, origin: &str) {
    let push = |out: &mut String, parts: &[&str]| parts.iter().for_each(|p| out.push_str(p));
    push(
        out,
        &[
            "<li id=\"",
            &escape(&note.id),
            "\" class=\"note note-",
            note.kind,
            "\">\n",
        ],
    );
    match (note.kind, &note.source) {
        ("footnote", _) | (_, None) => {
            push(
                out,
                &[
                    "<div class=\"note-text\">",
                    note.html.unwrap_or(""),
                    "</div>\n",
                ],
            );
        }
        (_, Some(source)) => {
            if let Some(words) = note.words {
                push(
                    out,
                    &[
                        "<blockquote class=\"note-quote\"><p>",
                        &escape(words),
                        "</p></blockquote>\n",
                    ],
                );
            }
            out.push_str("<p class=\"note-source\">");
            source_line(out, source);
            out.push_str(".</p>\n<p class=\"note-links\">");
            let (url, text) = match &note.passage_url {
                Some(url) => (url.as_str(), "See the passage in the capture"),
                None => (source.url.as_str(), "Read the capture"),
            };
            let url = escape(url);
            push(out, &["<a href=\"", &url, "\">", text, "</a>"]);
            if !origin.is_empty() {
                push(
                    out,
                    &[
                        " <span class=\"print-url\">",
                        &escape(origin),
                        &url,
                        "</span>",
                    ],
                );
            }
            if let Some(original) = &note.original_url {
                push(
                    out,
                    &[
                        " · <a class=\"external\" href=\"",
                        &escape(original),
                        "\" rel=\"noopener noreferrer\">original article</a> <span class=\"print-url\">",
                        &escape(source.original_url.unwrap_or("")),
                        "</span>",
                    ],
                );
            }
            if let Some(archive) = note.archive_url {
                push(
                    out,
                    &[
                        " · <a class=\"external\" href=\"",
                        &escape(archive),
                        "\" rel=\"noopener noreferrer\">archived copy</a>",
                    ],
                );
            }
            out.push_str("</p>\n");
        }
    }
    out.push_str("<p class=\"backlinks\">");
    let number = note.number.to_string();
    let several = note.backlinks.len() > 1;
    for (i, b) in note.backlinks.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let label = escape(&b.label);
        push(
            out,
            &[
                "<a href=\"",
                &escape(&b.href),
                "\" aria-label=\"Back to citation ",
                &number,
            ],
        );
        if several {
            push(out, &[" ", &label]);
        }
        out.push_str(" in the text\">↩");
        if several {
            push(out, &["&#xA0;", &label]);
        }
        out.push_str("</a>");
    }
    out.push_str("</p>\n</li>\n");
}

/// The `source_line` macro of `macros.html`: title (linked), publisher and
/// date.
fn source_line(out: &mut String, s: &SourceRef<'_>) {
    out.push_str("<cite><a href=\"");
    out.push_str(&escape(&s.url));
    out.push_str("\">");
    out.push_str(&escape(s.title));
    out.push_str("</a></cite>, ");
    out.push_str(&escape(s.publisher));
    if let (Some(date), Some(iso)) = (&s.published, &s.published_iso) {
        out.push_str(", <time datetime=\"");
        out.push_str(&escape(iso));
        out.push_str("\">");
        out.push_str(&escape(date));
        out.push_str("</time>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::views::BacklinkView;

    fn source<'a>(published: bool) -> SourceRef<'a> {
        SourceRef {
            id: "gazette",
            title: "Bridge \"to close\" <soon>",
            publisher: "Harbour & Quay Gazette",
            published: published.then(|| "5 May 2023".to_owned()),
            published_iso: published.then(|| "2023-05-05".to_owned()),
            url: "/sources/gazette/".into(),
            original_url: Some("https://example.org/a?b=1&c=2"),
        }
    }

    #[test]
    fn the_source_line_is_the_macro_written_out() {
        let macros = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/macros.html"),
        )
        .unwrap();
        let mut tera = tera::Tera::default();
        tera.set_escape_fn(escape);
        tera.autoescape_on(vec![".html"]);
        tera.add_raw_templates(vec![
            ("macros.html", macros.as_str()),
            (
                "line.html",
                "{% import \"macros.html\" as m %}{{ m::source_line(source=source) }}",
            ),
        ])
        .unwrap();
        for published in [true, false] {
            let s = source(published);
            let mut context = tera::Context::new();
            context.insert("source", &s);
            let from_macro = tera.render("line.html", &context).unwrap();
            let mut written = String::new();
            source_line(&mut written, &s);
            assert_eq!(written, from_macro);
        }
    }

    #[test]
    fn a_note_quotes_links_and_leads_back_to_each_citation() {
        let note = NoteView {
            number: 3,
            id: "note-3".into(),
            kind: "passage",
            html: None,
            words: Some("fear a <loss>"),
            source: Some(source(true)),
            passage_url: Some("/sources/gazette/#q-1-0-4".into()),
            original_url: Some("https://example.org/a?b=1&c=2#:~:text=fear".into()),
            archive_url: None,
            backlinks: vec![
                BacklinkView {
                    href: "#cite-3-a".into(),
                    label: "a".into(),
                },
                BacklinkView {
                    href: "#cite-3-b".into(),
                    label: "b".into(),
                },
            ],
        };
        let html = html(std::slice::from_ref(&note), "https://d.example");
        for part in [
            "<li id=\"note-3\" class=\"note note-passage\">",
            "<blockquote class=\"note-quote\"><p>fear a &lt;loss&gt;</p></blockquote>",
            "<cite><a href=\"/sources/gazette/\">Bridge &quot;to close&quot; &lt;soon&gt;</a></cite>, Harbour &amp; Quay Gazette, <time datetime=\"2023-05-05\">5 May 2023</time>.",
            "<a href=\"/sources/gazette/#q-1-0-4\">See the passage in the capture</a> <span class=\"print-url\">https://d.example/sources/gazette/#q-1-0-4</span>",
            " · <a class=\"external\" href=\"https://example.org/a?b=1&amp;c=2#:~:text=fear\" rel=\"noopener noreferrer\">original article</a> <span class=\"print-url\">https://example.org/a?b=1&amp;c=2</span>",
            "<a href=\"#cite-3-a\" aria-label=\"Back to citation 3 a in the text\">↩&#xA0;a</a> <a href=\"#cite-3-b\"",
        ] {
            assert!(html.contains(part), "{part}\n{html}");
        }
        assert!(!html.contains("archived copy"));
        let footnote = NoteView {
            kind: "footnote",
            html: Some("<p>Plain <em>note</em>.</p>"),
            words: None,
            source: None,
            passage_url: None,
            original_url: None,
            backlinks: vec![BacklinkView {
                href: "#cite-4-a".into(),
                label: "a".into(),
            }],
            number: 4,
            id: "note-4".into(),
            archive_url: None,
        };
        let html = super::html(&[footnote], "");
        assert!(html.contains("<div class=\"note-text\"><p>Plain <em>note</em>.</p></div>"));
        assert!(html.contains("aria-label=\"Back to citation 4 in the text\">↩</a></p>"));
    }
}
