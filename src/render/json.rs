//! `/dossier.json`: the whole dossier as data, for other tools.
//!
//! Every topic with its citations (where each sits in the note's file, which
//! note and passage it points at), every source with its cited passages as
//! byte ranges of the raw capture. The schema is documented in the README;
//! `version` changes when a field changes meaning.

use rayon::prelude::*;
use serde::Serialize;

use super::views::Links;
use crate::resolve::{Dossier, NoteTarget, ResolvedSource, ResolvedTopic};

/// The top of the export; `topics` and `sources` follow it, in that order.
#[derive(Serialize)]
struct Header<'a> {
    version: u32,
    title: &'a str,
    base_url: &'a str,
}

#[derive(Serialize)]
struct TopicExport<'a> {
    slug: &'a str,
    title: &'a str,
    summary: &'a str,
    url: String,
    file: &'a str,
    updated: Option<String>,
    tags: &'a [String],
    people: &'a [String],
    aliases: &'a [String],
    citations: Vec<CitationExport<'a>>,
}

#[derive(Serialize)]
struct CitationExport<'a> {
    note: usize,
    anchor: &'a str,
    source: &'a str,
    words: Option<&'a str>,
    passage: Option<&'a str>,
    line: usize,
    column: usize,
}

#[derive(Serialize)]
struct SourceExport<'a> {
    id: &'a str,
    title: &'a str,
    publisher: &'a str,
    author: Option<&'a str>,
    url: Option<&'a str>,
    archive: Option<&'a str>,
    published: Option<String>,
    retrieved: Option<String>,
    language: Option<&'a str>,
    derived_from: Option<&'a str>,
    file: &'a str,
    page_url: String,
    text_url: String,
    sha256: &'a str,
    bytes: usize,
    paragraphs: usize,
    passages: Vec<PassageExport<'a>>,
}

#[derive(Serialize)]
struct PassageExport<'a> {
    id: &'a str,
    paragraph: usize,
    start: usize,
    end: usize,
    words: &'a str,
    cited_by: Vec<CiterExport<'a>>,
}

#[derive(Serialize)]
struct CiterExport<'a> {
    topic: &'a str,
    note: usize,
    anchors: &'a [String],
}

/// Serialises the dossier (compact, stable key order), as pieces to be
/// written one after the other.
///
/// Each topic and source is serialised on its own, in parallel: serialising
/// tens of megabytes into one growing buffer would take one thread and, as
/// the buffer doubled, up to three times the file's size in memory. The
/// pieces are not joined either, which would hold the file twice.
pub(crate) fn export(d: &Dossier, links: &Links<'_>) -> Vec<Vec<u8>> {
    let topics = d.topics.par_iter().with_max_len(crate::PIECE);
    let sources = d.sources.par_iter().with_max_len(crate::PIECE);
    let topics = topics.map(|t| topic(d, t, links)).collect();
    let sources = sources.map(|s| source(d, s, links)).collect();
    assemble(d, topics, sources)
}

/// One topic's entry in the export.
pub(crate) fn topic(d: &Dossier, t: &ResolvedTopic, links: &Links<'_>) -> Vec<u8> {
    let doc = &t.topic.doc;
    let citations = doc
        .citations
        .iter()
        .map(|c| {
            let note = &t.notes[c.note];
            let passage = match note.target {
                NoteTarget::Passage { source, passage } => {
                    Some(d.sources[source].passages[passage].id.as_str())
                }
                _ => None,
            };
            let (line, column) = c.line_column;
            CitationExport {
                note: c.note + 1,
                anchor: &doc.notes[c.note].sites[c.site],
                source: &c.source,
                words: c.words.as_deref(),
                passage,
                line,
                column,
            }
        })
        .collect();
    let meta = &t.topic.meta;
    inert_with_room(
        &TopicExport {
            slug: &t.topic.slug,
            title: &meta.title,
            summary: &meta.summary,
            url: links.topic(&t.topic.slug),
            file: &t.topic.path,
            updated: meta.updated.map(|u| u.iso()),
            tags: &meta.tags,
            people: &meta.people,
            aliases: &meta.aliases,
            citations,
        },
        COMMA,
    )
}

/// One source's entry in the export.
pub(crate) fn source(d: &Dossier, s: &ResolvedSource, links: &Links<'_>) -> Vec<u8> {
    let meta = &s.source.meta;
    let mut passages: Vec<&crate::resolve::Passage> = s.passages.iter().collect();
    passages.sort_by(|a, b| a.found.cmp(&b.found));
    inert_with_room(
        &SourceExport {
            id: &s.source.id,
            title: &meta.title,
            publisher: &meta.publisher,
            author: meta.author.as_deref(),
            url: meta.url.as_ref().map(|u| u.0.as_str()),
            archive: meta.archive.as_ref().map(|u| u.0.as_str()),
            published: meta.published.map(|p| p.iso()),
            retrieved: meta.retrieved.map(|p| p.iso()),
            language: meta.language.as_deref(),
            derived_from: meta.derived_from.as_deref(),
            file: &s.source.text_path,
            page_url: links.source(&s.source.id),
            text_url: links.raw(&s.source.id),
            sha256: &s.source.sha256,
            bytes: s.source.raw.len(),
            paragraphs: s.source.paragraphs.len(),
            passages: passages
                .into_iter()
                .map(|p| PassageExport {
                    id: &p.id,
                    paragraph: p.found.paragraph + 1,
                    start: p.raw.start,
                    end: p.raw.end,
                    words: &p.words,
                    cited_by: p
                        .backlinks
                        .iter()
                        .map(|b| CiterExport {
                            topic: &d.topics[b.topic].topic.slug,
                            note: b.note,
                            anchors: d.sites(b),
                        })
                        .collect(),
                })
                .collect(),
        },
        COMMA,
    )
}

/// The export from its entries ([`topic`] and [`source`]), in the
/// dossier's order.
pub(crate) fn assemble(d: &Dossier, topics: Vec<Vec<u8>>, sources: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let header = inert(&Header {
        version: 1,
        title: &d.config.title,
        base_url: &d.config.base_url,
    });
    // `{"version":…,"base_url":"…"}` loses its closing brace to the lists;
    // each item but a list's last carries the comma after it.
    let mut pieces = Vec::with_capacity(topics.len() + sources.len() + 3);
    pieces.push(header[..header.len() - 1].to_vec());
    for (key, items) in [
        (&b",\"topics\":["[..], topics),
        (b"],\"sources\":[", sources),
    ] {
        pieces.push(key.to_vec());
        let last = items.len().saturating_sub(1);
        for (i, mut item) in items.into_iter().enumerate() {
            if i < last {
                item.push(b',');
            }
            pieces.push(item);
        }
    }
    pieces.push(b"]}\n".to_vec());
    pieces
}

/// Room for the comma that may follow a topic or source in the file.
const COMMA: usize = 1;

/// Serialises `value` as compact JSON in which `<`, `>` and `&` are
/// written as `\u003c`, `\u003e` and `\u0026`, so that no markup, and no
/// `</script>`, can appear in it whatever the strings hold.
///
/// sonic-rs writes the JSON: it looks for the characters a string must
/// escape sixteen bytes at a time, where serde_json looks at each byte (at
/// 10,000 topics the export and the search index are 90 MB of strings, and
/// that loop was 5 % of a build's CPU). The bytes are serde_json's compact
/// format all the same; a test holds the two to it.
pub(crate) fn inert<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    inert_with_room(value, 0)
}

/// [`inert`], made in the buffer its thread keeps and copied out at its
/// exact size, with room for `spare` bytes more. The export holds its
/// twelve thousand pieces until they are written: grown by doubling, they
/// held up to twice their bytes (at 10,000 topics, 104 MB of working
/// memory for 41 MB of JSON; made at their size, 50 MB).
fn inert_with_room<T: Serialize + ?Sized>(value: &T, spare: usize) -> Vec<u8> {
    let made = super::in_kept_buffer(
        |buffer| sonic_rs::to_writer(&mut *buffer, value),
        |json| {
            let markup = memchr::memchr3_iter(b'<', b'>', b'&', json).count();
            // Each of them grows by five bytes.
            let mut out = Vec::with_capacity(json.len() + 5 * markup + spare);
            escape_markup_into(json, &mut out);
            out
        },
    );
    // Serialising these plain structs (string keys, no floats that are not
    // finite) cannot fail, and writing to a Vec cannot either.
    made.unwrap_or_default()
}

/// [`inert`], appended to `out`: rows of the search index go straight into
/// their chunk rather than into a vector each.
pub(crate) fn inert_into<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    // As in `inert_with_room`, this cannot fail.
    let _ = super::in_kept_buffer(
        |buffer| sonic_rs::to_writer(&mut *buffer, value),
        |json| escape_markup_into(json, out),
    );
}

/// Copies JSON text into `out` with `<`, `>` and `&` escaped: outside its
/// strings JSON has none of them, so each is inside a string, where the
/// escape stands for the same character.
fn escape_markup_into(json: &[u8], out: &mut Vec<u8>) {
    let mut start = 0;
    for at in memchr::memchr3_iter(b'<', b'>', b'&', json) {
        out.extend_from_slice(&json[start..at]);
        out.extend_from_slice(match json[at] {
            b'<' => b"\\u003c",
            b'>' => b"\\u003e",
            _ => b"\\u0026",
        });
        start = at + 1;
    }
    out.extend_from_slice(&json[start..]);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The format [`inert`] promises: serde_json's compact JSON, with the
    /// markup characters in its strings escaped.
    fn reference<T: Serialize>(value: &T) -> Vec<u8> {
        struct Markup;
        impl serde_json::ser::Formatter for Markup {
            fn write_string_fragment<W: ?Sized + std::io::Write>(
                &mut self,
                writer: &mut W,
                fragment: &str,
            ) -> std::io::Result<()> {
                for c in fragment.chars() {
                    match c {
                        '<' => writer.write_all(b"\\u003c")?,
                        '>' => writer.write_all(b"\\u003e")?,
                        '&' => writer.write_all(b"\\u0026")?,
                        _ => writer.write_all(c.encode_utf8(&mut [0; 4]).as_bytes())?,
                    }
                }
                Ok(())
            }
        }
        let mut out = Vec::new();
        value
            .serialize(&mut serde_json::Serializer::with_formatter(
                &mut out, Markup,
            ))
            .unwrap();
        out
    }

    #[test]
    fn inert_json_keeps_the_values() {
        let value = serde_json::json!({"t": "<script>a & b</script>"});
        let bytes = inert(&value);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(
            text,
            r#"{"t":"\u003cscript\u003ea \u0026 b\u003c/script\u003e"}"#
        );
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(),
            value
        );
    }

    #[test]
    fn inert_json_escapes_as_serde_json_does() {
        // Every ASCII character, the ones JSON must escape among them, and
        // characters past ASCII written as they are.
        let ascii: String = (0u8..0x80).map(char::from).collect();
        let value = (
            &ascii,
            "é “quoted” \u{2028} \u{1F600}",
            None::<&str>,
            [0u32, 7, u32::MAX],
        );
        let bytes = inert(&value);
        assert_eq!(
            String::from_utf8(bytes.clone()),
            String::from_utf8(reference(&value))
        );
        assert!(
            bytes.starts_with(br#"["\u0000\u0001"#),
            "{:?}",
            String::from_utf8_lossy(&bytes[..20])
        );
    }

    #[derive(Serialize)]
    struct Row {
        text: String,
        words: Vec<String>,
        line: usize,
        missing: Option<String>,
    }

    proptest! {
        #[test]
        fn inert_json_is_serde_json_with_markup_escaped(
            text in any::<String>(),
            words in proptest::collection::vec("[<>&\"\\\\ a-z\u{0}-\u{1f}é]{0,12}", 0..4),
            line in any::<usize>(),
        ) {
            let row = Row { text, words, line, missing: None };
            prop_assert_eq!(inert(&row), reference(&row));
        }
    }
}
