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

use super::templates::escape_into;
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

/// A piece of a note's HTML.
enum Piece<'a> {
    /// Markup, written as it is.
    Html(&'a str),
    /// Text, escaped.
    Text(&'a str),
}

use Piece::{Html, Text};

/// Appends the pieces to `out`, escaping none of it twice and allocating
/// nothing on the way.
fn push(out: &mut String, pieces: &[Piece<'_>]) {
    for piece in pieces {
        match piece {
            Html(markup) => out.push_str(markup),
            Text(text) => escape_into(out, text),
        }
    }
}

fn item(out: &mut String, note: &NoteView<'_>, origin: &str) {
    push(
        out,
        &[
            Html("<li id=\""),
            Text(&note.id),
            Html("\" class=\"note note-"),
            Html(note.kind),
            Html("\">\n"),
        ],
    );
    match (note.kind, &note.source) {
        ("footnote", _) | (_, None) => {
            push(
                out,
                &[
                    Html("<div class=\"note-text\">"),
                    Html(note.html.unwrap_or("")),
                    Html("</div>\n"),
                ],
            );
        }
        (_, Some(source)) => {
            if let Some(words) = note.words {
                push(
                    out,
                    &[
                        Html("<blockquote class=\"note-quote\"><p>"),
                        Text(words),
                        Html("</p></blockquote>\n"),
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
            push(
                out,
                &[
                    Html("<a href=\""),
                    Text(url),
                    Html("\">"),
                    Html(text),
                    Html("</a>"),
                ],
            );
            if !origin.is_empty() {
                push(
                    out,
                    &[
                        Html(" <span class=\"print-url\">"),
                        Text(origin),
                        Text(url),
                        Html("</span>"),
                    ],
                );
            }
            if let Some(original) = &note.original_url {
                push(
                    out,
                    &[
                        Html(" · <a class=\"external\" href=\""),
                        Text(original),
                        Html(
                            "\" rel=\"noopener noreferrer\">original article</a> <span class=\"print-url\">",
                        ),
                        Text(source.original_url.unwrap_or("")),
                        Html("</span>"),
                    ],
                );
            }
            if let Some(archive) = note.archive_url {
                push(
                    out,
                    &[
                        Html(" · <a class=\"external\" href=\""),
                        Text(archive),
                        Html("\" rel=\"noopener noreferrer\">archived copy</a>"),
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
        push(
            out,
            &[
                Html("<a href=\""),
                Text(&b.href),
                Html("\" aria-label=\"Back to citation "),
                Html(&number),
            ],
        );
        if several {
            push(out, &[Html(" "), Text(&b.label)]);
        }
        out.push_str(" in the text\">↩");
        if several {
            push(out, &[Html("&#xA0;"), Text(&b.label)]);
        }
        out.push_str("</a>");
    }
    out.push_str("</p>\n</li>\n");
}

fn source_line(out: &mut String, s: &SourceRef<'_>) {
    push(
        out,
        &[
            Html("<cite><a href=\""),
            Text(&s.url),
            Html("\">"),
            Text(s.title),
            Html("</a></cite>, "),
            Text(s.publisher),
        ],
    );
    if let (Some(date), Some(iso)) = (&s.published, &s.published_iso) {
        push(
            out,
            &[
                Html(", <time datetime=\""),
                Text(iso),
                Html("\">"),
                Text(date),
                Html("</time>"),
            ],
        );
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
        tera.set_escape_fn(crate::render::templates::escape);
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
        let gazette = source(true);
        let note = NoteView {
            number: 3,
            id: "note-3".into(),
            kind: "passage",
            html: None,
            words: Some("fear a <loss>"),
            source: Some(&gazette),
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
