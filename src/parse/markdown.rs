//! Topic Markdown to HTML, with citations and footnotes numbered.
//!
//! pulldown-cmark hands every `[…]` that has no link definition to its
//! broken-link callback with the label's byte span. When the label starts
//! with `@` the callback turns it into a link to `dossier-cite:START:END`;
//! the event loop below replaces that link (and its text) with the
//! superscript numbers, after parsing the label with [`super::citation`].
//!
//! Numbering follows first appearance in the body; footnote definitions are
//! rendered after the body, in the order of their numbers, so a citation
//! inside a footnote is numbered when its footnote is. Citing the same
//! passage again reuses its note and adds a backlink letter (a, b, c…).
//!
//! Only numbers are known here; what a note says (quote, source title,
//! links) is resolved later and drawn by the template.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::BuildHasher as _;
use std::ops::Range;
use std::sync::Arc;

use pulldown_cmark::{
    BrokenLink, CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd, html,
};
use smallvec::SmallVec;

use super::citation;
use super::highlight::Highlighter;
use crate::diagnostics::Diagnostic;

const CITE_URL: &str = "dossier-cite:";

/// Events with their byte ranges in the Markdown body.
type Spanned<'a> = Vec<(Event<'a>, Range<usize>)>;

/// A topic's rendered body and its notes.
#[derive(Debug, Default)]
pub(crate) struct Document {
    /// The body as HTML, citations already replaced by superscripts; empty
    /// in a check ([`Renderer::check_only`]).
    pub html: String,
    /// Notes in number order (note `i` has number `i + 1`).
    pub notes: Vec<Note>,
    /// Every citation, in document order.
    pub citations: Vec<Citation>,
    /// Headings of level 2 and 3, for a table of contents.
    pub headings: Vec<Heading>,
    /// Whether a code block was highlighted (the page needs `syntax.css`).
    pub has_code: bool,
}

/// A section heading and its anchor.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct Heading {
    /// 2 or 3.
    pub level: u8,
    /// The anchor id.
    pub id: String,
    /// The heading's text.
    pub text: String,
}

/// One entry of "Notes and sources".
#[derive(Debug)]
pub(crate) struct Note {
    /// What the note is.
    pub kind: NoteKind,
    /// Anchor ids of each place that refers to it, in order (`cite-3-a`, …).
    pub sites: Vec<String>,
}

/// A note cites a source, or is an ordinary footnote.
#[derive(Debug)]
pub(crate) enum NoteKind {
    /// A citation: a source and, optionally, quoted words, as its first
    /// citation gives them.
    Citation {
        /// Index of its first citation in [`Document::citations`].
        first: usize,
    },
    /// An ordinary `[^label]` footnote, rendered.
    Footnote {
        /// The rendered definition.
        html: String,
    },
}

/// One `@id` in the text, as written.
#[derive(Debug)]
pub(crate) struct Citation {
    /// Source id.
    pub source: String,
    /// The quoted words (escapes undone), if any.
    pub words: Option<String>,
    /// The normalised pieces of the words (split at `...`).
    pub pieces: Vec<String>,
    /// Byte range of the item (`@id "…"`) in the file.
    pub span: Range<usize>,
    /// Line and column (from 1, in characters) where `span` starts: what
    /// `dossier.json` reports, kept so that a build need not keep the
    /// file's text.
    pub line_column: (usize, usize),
    /// Index of its note.
    pub note: usize,
    /// Which of its note's sites it is: its anchor id (`cite-3-b`) is
    /// `notes[note].sites[site]`.
    pub site: usize,
}

/// Options shared by every Markdown file of a dossier.
pub(crate) fn options() -> Options {
    Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// What a parse makes of Markdown bodies: for the pages, their HTML with
/// code highlighted; for `dossier check`, which writes none, only what
/// the checks read (citations, notes, headings), and no HTML. At
/// 10,000 topics the bodies' HTML is some 95 MB, and highlighting the
/// benchmark's 2,048 code blocks a quarter of a check's processor time.
#[derive(Debug, Default)]
pub(crate) struct Renderer {
    /// Highlights fenced code blocks that name a language.
    highlighter: Highlighter,
    /// No HTML is made, and syntect is never loaded.
    check_only: bool,
}

impl Renderer {
    /// A renderer that makes no HTML, for `dossier check`.
    pub(crate) fn check_only() -> Self {
        Renderer {
            highlighter: Highlighter::default(),
            check_only: true,
        }
    }
}

/// The file a Markdown body comes from, and the parse's renderer.
pub(crate) struct MarkdownFile<'a> {
    /// Path relative to the root, for diagnostics.
    pub path: &'a str,
    /// The whole file's text (front matter included).
    pub text: &'a Arc<str>,
    /// Makes the HTML, or, for a check, only what the checks read.
    pub renderer: &'a Renderer,
}

/// Renders the Markdown at `body` of a file; problems go to `diagnostics`.
pub(crate) fn render(
    file: &MarkdownFile<'_>,
    body: Range<usize>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Document {
    let (path, text) = (file.path, file.text);
    let source = &text[body.clone()];
    let callback = |link: BrokenLink<'_>| {
        citation::is_citation(&link.reference).then(|| {
            let url = format!("{CITE_URL}{}:{}", link.span.start, link.span.end);
            (CowStr::from(url), CowStr::from(""))
        })
    };
    let parser = Parser::new_with_broken_link_callback(source, options(), Some(callback));
    // About one event for every 16 bytes of prose: reserved once rather
    // than grown by doubling, which copies the list several times.
    let mut body_events = Vec::with_capacity(source.len() / 16);
    let mut definitions: HashMap<String, (Spanned<'_>, Range<usize>)> = HashMap::new();
    let mut current: Option<(String, Spanned<'_>, Range<usize>)> = None;
    for (event, range) in parser.into_offset_iter() {
        match event {
            Event::Start(Tag::FootnoteDefinition(label)) => {
                current = Some((label.to_string(), Vec::new(), range));
            }
            Event::End(TagEnd::FootnoteDefinition) => {
                if let Some((label, events, range)) = current.take() {
                    definitions.insert(label, (events, range));
                }
            }
            event => match current.as_mut() {
                Some((_, events, _)) => events.push((event, range)),
                None => body_events.push((event, range)),
            },
        }
    }
    // Each `[@` opens at least one citation, and most a note of their own:
    // counted first, the lists are not copied as they grow.
    let cites = memchr::memmem::find_iter(source.as_bytes(), "[@").count();
    let mut builder = Builder {
        path,
        text,
        renderer: file.renderer,
        offset: body.start,
        document: Document {
            citations: Vec::with_capacity(cites),
            notes: Vec::with_capacity(cites),
            ..Document::default()
        },
        keys: HashMap::with_capacity_and_hasher(cites, Default::default()),
        footnotes: HashMap::default(),
        lines: Lines::default(),
        queue: VecDeque::new(),
        defined: definitions.keys().cloned().collect(),
        heading_ids: HashSet::default(),
        diagnostics,
    };
    let check_only = file.renderer.check_only;
    let events = builder.transform(body_events, true);
    // Every topic's body is kept until its page is rendered and its words
    // are indexed: a string grown by doubling would hold up to twice its
    // length for that time.
    if !check_only {
        let html = &mut builder.document.html;
        html.reserve(source.len() + source.len() / 4);
        html::push_html(html, events.into_iter());
        html.shrink_to_fit();
    }
    while let Some((label, note)) = builder.queue.pop_front() {
        let Some((events, _)) = definitions.remove(&label) else {
            continue;
        };
        let events = builder.transform(events, false);
        let mut html = String::new();
        if !check_only {
            html::push_html(&mut html, events.into_iter());
        }
        builder.document.notes[note].kind = NoteKind::Footnote { html };
    }
    let mut unused: Vec<(String, Range<usize>)> = definitions
        .into_iter()
        .map(|(label, (_, range))| (label, range))
        .collect();
    unused.sort_by_key(|(_, range)| range.start);
    for (label, range) in unused {
        let span = body.start + range.start..body.start + range.start + label.len() + 3;
        builder.diagnostics.push(
            Diagnostic::at(
                path,
                text,
                span,
                format!("footnote `[^{label}]` is never referenced"),
            )
            .warning(),
        );
    }
    builder.document
}

/// What a citation's note is for: a passage of a source (its normalised
/// pieces) or a whole source. Citations with the same key share a note.
#[derive(Hash, PartialEq, Eq, Clone, Copy)]
enum NoteKey<'a> {
    Passage(&'a str, &'a [String]),
    Source(&'a str),
}

struct Builder<'d> {
    path: &'d str,
    text: &'d Arc<str>,
    renderer: &'d Renderer,
    /// Byte offset of the Markdown body in the file.
    offset: usize,
    document: Document,
    /// Citations' notes by the hash of their [`NoteKey`]; two keys with
    /// one hash (never seen in practice) list both notes. The map holds no
    /// copy of a key: a note's key is read from the note and its first
    /// citation. Hashed with foldhash: SipHash's resistance to chosen keys
    /// buys nothing for one file's citations, and it showed in the profile
    /// of every citation.
    keys: HashMap<u64, SmallVec<[usize; 1]>, foldhash::fast::RandomState>,
    /// Footnotes' notes by label.
    footnotes: HashMap<String, usize, foldhash::fast::RandomState>,
    /// Where the last citation was, to count lines from there.
    lines: Lines,
    /// Footnotes referenced but not yet rendered: label and note index.
    queue: VecDeque<(String, usize)>,
    defined: HashSet<String>,
    heading_ids: HashSet<String, foldhash::fast::RandomState>,
    diagnostics: &'d mut Vec<Diagnostic>,
}

impl<'d> Builder<'d> {
    fn transform<'a>(
        &mut self,
        events: Vec<(Event<'a>, Range<usize>)>,
        body: bool,
    ) -> Vec<Event<'a>> {
        let mut out = Vec::with_capacity(events.len());
        let mut iter = events.into_iter();
        let mut in_code = false;
        let mut external_link = false;
        while let Some((event, range)) = iter.next() {
            match event {
                Event::Start(Tag::Link {
                    ref dest_url,
                    ref title,
                    ..
                }) if dest_url.starts_with("http://") || dest_url.starts_with("https://") => {
                    // Links that leave the site get no referrer and no window.opener.
                    let escape = crate::render::templates::escape;
                    let title = if title.is_empty() {
                        String::new()
                    } else {
                        format!(" title=\"{}\"", escape(title))
                    };
                    out.push(Event::InlineHtml(
                        format!(
                            "<a href=\"{}\"{title} rel=\"noopener noreferrer\">",
                            escape(dest_url)
                        )
                        .into(),
                    ));
                    external_link = true;
                }
                Event::End(TagEnd::Link) if external_link => {
                    out.push(Event::InlineHtml("</a>".into()));
                    external_link = false;
                }
                Event::Start(Tag::Link { ref dest_url, .. }) if dest_url.starts_with(CITE_URL) => {
                    let span = parse_span(dest_url, CITE_URL);
                    for (e, _) in iter.by_ref() {
                        if matches!(e, Event::End(TagEnd::Link)) {
                            break;
                        }
                    }
                    out.push(Event::InlineHtml(self.citation(span).into()));
                }
                Event::FootnoteReference(label) => {
                    out.push(Event::InlineHtml(
                        self.footnote_reference(&label, range).into(),
                    ));
                }
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(ref info)))
                    if info.split_whitespace().next().is_some() =>
                {
                    let language = info
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    let mut code = String::new();
                    for (e, _) in iter.by_ref() {
                        match e {
                            Event::Text(t) => code.push_str(&t),
                            Event::End(TagEnd::CodeBlock) => break,
                            _ => {}
                        }
                    }
                    self.document.has_code = true;
                    if !self.renderer.check_only {
                        out.push(Event::Html(
                            self.renderer.highlighter.highlight(&code, &language).into(),
                        ));
                    }
                }
                Event::Start(Tag::CodeBlock(_)) => {
                    in_code = true;
                    out.push(event);
                }
                Event::End(TagEnd::CodeBlock) => {
                    in_code = false;
                    out.push(event);
                }
                Event::Text(_) if !in_code => {
                    self.check_stray_citation(range);
                    out.push(event);
                }
                Event::Start(Tag::Heading {
                    level,
                    id,
                    classes,
                    attrs,
                }) if body => {
                    let mut inner = Vec::new();
                    for (e, r) in iter.by_ref() {
                        if matches!(e, Event::End(TagEnd::Heading(_))) {
                            break;
                        }
                        inner.push((e, r));
                    }
                    let inner = self.transform(inner, false);
                    let text = plain_text(&inner);
                    let id = id
                        .map(|i| i.to_string())
                        .unwrap_or_else(|| self.heading_id(&text));
                    if matches!(level as u8, 2 | 3) {
                        self.document.headings.push(Heading {
                            level: level as u8,
                            id: id.clone(),
                            text,
                        });
                    }
                    out.push(Event::Start(Tag::Heading {
                        level,
                        id: Some(id.into()),
                        classes,
                        attrs,
                    }));
                    out.extend(inner);
                    out.push(Event::End(TagEnd::Heading(level)));
                }
                event => out.push(event),
            }
        }
        out
    }

    /// Numbers the items of one `[@…]` and returns its superscript.
    fn citation(&mut self, span: Range<usize>) -> String {
        let start = self.offset + span.start;
        let end = self.offset + span.end;
        // The span covers the brackets; the label lies between them.
        let label = unquote_lines(self.text, start + 1..end - 1);
        let items = match citation::parse(&label) {
            Ok(items) => items,
            Err(e) => {
                let at = start + 1 + e.span.start..start + 1 + e.span.end.max(e.span.start);
                let mut d = Diagnostic::at(
                    self.path,
                    self.text,
                    at,
                    format!("malformed citation: {}", e.message),
                );
                if let Some(help) = e.help {
                    d = d.with_help(help);
                }
                self.diagnostics.push(d);
                return String::new();
            }
        };
        // One reference is some 90 bytes: grown from its first push, the
        // string would be copied three times.
        let mut html = String::with_capacity(32 + 128 * items.len());
        html.push_str("<sup class=\"cite\">");
        for (i, item) in items.into_iter().enumerate() {
            let key = match item.words {
                Some(_) => NoteKey::Passage(&item.id, &item.pieces),
                None => NoteKey::Source(&item.id),
            };
            let citation_index = self.document.citations.len();
            let note = self.citation_note(key, || NoteKind::Citation {
                first: citation_index,
            });
            let site = self.site(note);
            let span = start + 1 + item.span.start..start + 1 + item.span.end;
            self.document.citations.push(Citation {
                source: item.id,
                words: item.words,
                pieces: item.pieces,
                line_column: self.lines.line_column(self.text, span.start),
                span,
                note,
                site,
            });
            if i > 0 {
                html.push_str("<span class=\"cite-sep\">,</span>");
            }
            push_ref(&mut html, note, &self.document.notes[note].sites[site]);
        }
        html.push_str("</sup>");
        html
    }

    fn footnote_reference(&mut self, label: &str, range: Range<usize>) -> String {
        if !self.defined.contains(label) {
            self.undefined_footnote(label.to_owned(), range);
            return String::new();
        }
        let note = match self.footnotes.get(label) {
            Some(&note) => note,
            None => {
                let note = self.new_note(NoteKind::Footnote {
                    html: String::new(),
                });
                self.footnotes.insert(label.to_owned(), note);
                self.queue.push_back((label.to_owned(), note));
                note
            }
        };
        let site = self.site(note);
        let mut html = String::from("<sup class=\"cite\">");
        push_ref(&mut html, note, &self.document.notes[note].sites[site]);
        html.push_str("</sup>");
        html
    }

    fn undefined_footnote(&mut self, label: String, range: Range<usize>) {
        let span = self.offset + range.start..self.offset + range.end;
        self.diagnostics.push(
            Diagnostic::at(
                self.path,
                self.text,
                span,
                format!("footnote `[^{label}]` is not defined"),
            )
            .with_help(format!("add a line `[^{label}]: …` with the note's text")),
        );
    }

    /// The note for a citation with `key`, made of `kind` on first use.
    fn citation_note(&mut self, key: NoteKey<'_>, kind: impl FnOnce() -> NoteKind) -> usize {
        let hash = self.keys.hasher().hash_one(key);
        let same = self.keys.get(&hash).and_then(|notes| {
            notes
                .iter()
                .copied()
                .find(|&note| self.note_key(note) == Some(key))
        });
        if let Some(note) = same {
            return note;
        }
        let note = self.new_note(kind());
        self.keys.entry(hash).or_default().push(note);
        note
    }

    /// The key of a citation's note: its source and its first citation's
    /// pieces; `None` for a footnote.
    fn note_key(&self, note: usize) -> Option<NoteKey<'_>> {
        match &self.document.notes[note].kind {
            NoteKind::Citation { first } => {
                let c = &self.document.citations[*first];
                Some(match c.words {
                    Some(_) => NoteKey::Passage(&c.source, &c.pieces),
                    None => NoteKey::Source(&c.source),
                })
            }
            NoteKind::Footnote { .. } => None,
        }
    }

    fn new_note(&mut self, kind: NoteKind) -> usize {
        self.document.notes.push(Note {
            kind,
            sites: Vec::new(),
        });
        self.document.notes.len() - 1
    }

    /// A new site anchor in `note`, by its index among the note's sites.
    fn site(&mut self, note: usize) -> usize {
        let sites = &mut self.document.notes[note].sites;
        let site = [
            "cite-",
            itoa::Buffer::new().format(note + 1),
            "-",
            &letter(sites.len()),
        ]
        .concat();
        sites.push(site);
        sites.len() - 1
    }

    /// `[@` left in plain text means a citation pulldown-cmark did not take
    /// as a link label: its `]` is missing (or it is too long to be a label).
    /// `[^label]` left in plain text is a footnote reference without a
    /// definition (pulldown-cmark emits those as text).
    fn check_stray_citation(&mut self, range: Range<usize>) {
        let bytes = self.text.as_bytes();
        let (start, end) = (self.offset + range.start, self.offset + range.end);
        for at in memchr::memchr_iter(b'[', &bytes[start..end]).map(|i| start + i) {
            if bytes.get(at + 1) == Some(&b'^') {
                let rest = &self.text[at + 2..];
                let label_len = rest
                    .find(|c: char| c == ']' || c.is_whitespace())
                    .unwrap_or(0);
                if label_len > 0 && rest[label_len..].starts_with(']') {
                    let label = rest[..label_len].to_owned();
                    self.undefined_footnote(
                        label,
                        at - self.offset..at + 3 + label_len - self.offset,
                    );
                }
            } else if bytes.get(at + 1) == Some(&b'@') {
                self.diagnostics.push(
                    Diagnostic::at(self.path, self.text, at..at + 2, "unterminated citation".into())
                        .with_help("close it with `]`; quoted words cannot contain `[` or `]`, and a citation must stay under 1,000 characters"),
                );
            }
        }
    }

    fn heading_id(&mut self, text: &str) -> String {
        let mut base = slug::slugify(text);
        if base.is_empty() {
            base = "section".to_owned();
        }
        if is_reserved_id(&base) {
            base = format!("h-{base}");
        }
        let mut id = base.clone();
        let mut n = 1;
        while !self.heading_ids.insert(id.clone()) {
            n += 1;
            id = format!("{base}-{n}");
        }
        id
    }
}

/// Line and column of offsets in one text, counted on from the last
/// offset asked for when the next one is not before it: citations come in
/// the order of the file (but for those inside footnotes), so the file is
/// scanned about once rather than once per citation.
#[derive(Default)]
struct Lines {
    /// The last offset asked for, its line (from 1) and where that starts.
    offset: usize,
    line: usize,
    line_start: usize,
}

impl Lines {
    /// What [`crate::diagnostics::line_column`] says for `offset`.
    fn line_column(&mut self, text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        if self.line == 0 || offset < self.offset {
            *self = Lines {
                offset: 0,
                line: 1,
                line_start: 0,
            };
        }
        let between = &text.as_bytes()[self.offset..offset];
        if let Some(last) = memchr::memrchr(b'\n', between) {
            self.line += memchr::memchr_iter(b'\n', between).count();
            self.line_start = self.offset + last + 1;
        }
        self.offset = offset;
        let column = text[self.line_start..offset].chars().count() + 1;
        (self.line, column)
    }
}

/// The label's text with the block-quote markers of its continuation lines
/// blanked out: a citation wrapped inside `> ` quotes keeps only its words.
/// Markers become spaces, so byte offsets in the label stay those of the
/// file.
fn unquote_lines(text: &str, label: Range<usize>) -> String {
    let line_start = text[..label.start].rfind('\n').map_or(0, |i| i + 1);
    let in_quote = text[line_start..label.start].trim_start().starts_with('>');
    let raw = &text[label];
    if !in_quote || !raw.contains('\n') {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(raw.len());
    for (i, line) in raw.split_inclusive('\n').enumerate() {
        if i == 0 {
            out.push_str(line);
            continue;
        }
        let prefix = line.len() - line.trim_start_matches([' ', '\t', '>']).len();
        out.extend(
            line[..prefix]
                .chars()
                .map(|c| if c == '>' { ' ' } else { c }),
        );
        out.push_str(&line[prefix..]);
    }
    out
}

/// Ids the page templates and the citation machinery use themselves; a
/// heading must not take one, or a link meant for it would land elsewhere.
fn is_reserved_id(id: &str) -> bool {
    const TEMPLATE_IDS: &[&str] = &[
        "main",
        "topics",
        "sources",
        "people",
        "search",
        "topics-heading",
        "sources-heading",
        "notes-heading",
        "note-heading",
        "text-heading",
        "contents",
        "results",
    ];
    let numbered = ["note-", "cite-", "p-", "q-"].iter().any(|prefix| {
        id.strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    });
    numbered || TEMPLATE_IDS.contains(&id)
}

fn push_ref(html: &mut String, note: usize, site: &str) {
    let mut buffer = itoa::Buffer::new();
    let number = buffer.format(note + 1);
    crate::render::templates::push_all(
        html,
        &[
            "<a id=\"",
            site,
            "\" href=\"#note-",
            number,
            "\" role=\"doc-noteref\" aria-label=\"Note ",
            number,
            "\">",
            number,
            "</a>",
        ],
    );
}

/// Backlink letters: a … z, then aa, ab, ….
pub(crate) fn letter(index: usize) -> String {
    let mut n = index;
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The span encoded in a placeholder URL made by the broken-link callback.
fn parse_span(url: &str, prefix: &str) -> Range<usize> {
    let rest = url.strip_prefix(prefix).unwrap_or_default();
    let (a, b) = rest.split_once(':').unwrap_or(("0", "0"));
    a.parse().unwrap_or(0)..b.parse().unwrap_or(0)
}

fn plain_text(events: &[Event<'_>]) -> String {
    let mut text = String::new();
    for e in events {
        if let Event::Text(t) | Event::Code(t) = e {
            text.push_str(t);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Counting on from the last offset gives what counting from the
        /// start gives, in any order of offsets, on any text.
        #[test]
        fn lines_counted_on_agree_with_counting_from_the_start(
            text in "(a|é|\n|\r\n| |[\u{1F600}])*",
            offsets in proptest::collection::vec(0usize..64, 0..12),
        ) {
            let mut lines = Lines::default();
            for offset in offsets {
                proptest::prop_assert_eq!(
                    lines.line_column(&text, offset),
                    crate::diagnostics::line_column(&text, offset),
                    "offset {}", offset
                );
            }
        }
    }

    fn doc(markdown: &str) -> (Document, Vec<Diagnostic>) {
        doc_with(markdown, &Renderer::default())
    }

    fn doc_with(markdown: &str, renderer: &Renderer) -> (Document, Vec<Diagnostic>) {
        let text: Arc<str> = Arc::from(markdown);
        let mut diags = Vec::new();
        let file = MarkdownFile {
            path: "t.md",
            text: &text,
            renderer,
        };
        let d = render(&file, 0..text.len(), &mut diags);
        (d, diags)
    }

    #[test]
    fn citations_are_numbered_by_first_appearance_and_reused() {
        let (d, diags) = doc("One.[@a \"x y\"] Two.[@b; @a \"x  y\"]\n\nThree.[@a]\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(d.notes.len(), 3);
        assert_eq!(d.notes[0].sites, ["cite-1-a", "cite-1-b"]);
        assert_eq!(d.notes[1].sites, ["cite-2-a"]);
        assert_eq!(d.citations.len(), 4);
        assert!(d.html.contains(
            "<sup class=\"cite\"><a id=\"cite-2-a\" href=\"#note-2\" role=\"doc-noteref\" aria-label=\"Note 2\">2</a><span class=\"cite-sep\">,</span><a id=\"cite-1-b\""
        ), "{}", d.html);
        assert!(!d.html.contains("@a"));
    }

    #[test]
    fn footnotes_share_the_numbering_and_may_cite() {
        let (d, diags) = doc("A.[^n] B.[@s \"q r\"]\n\n[^n]: See.[@t \"u v\"]\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(d.notes.len(), 3);
        match &d.notes[0].kind {
            NoteKind::Footnote { html } => assert!(html.contains("href=\"#note-3\""), "{html}"),
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(&d.notes[2].kind, NoteKind::Citation { first } if d.citations[*first].source == "t")
        );
    }

    #[test]
    fn malformed_unterminated_and_undefined_are_located() {
        let (_, diags) = doc("x [@a \"open] y\n\nz [@b \"q\n\nw[^nope]\n");
        let got: Vec<(usize, usize, &str)> = diags
            .iter()
            .map(|d| (d.line, d.column, d.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (1, 7, "malformed citation: quoted words are never closed"),
                (3, 3, "unterminated citation"),
                (5, 2, "footnote `[^nope]` is not defined"),
            ]
        );
    }

    #[test]
    fn a_citation_may_wrap_inside_a_block_quote() {
        let (d, diags) = doc("> One.[@a \"ten until\n> four o'clock\"]\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(d.citations[0].pieces, ["ten until four o'clock"]);
    }

    #[test]
    fn external_links_get_no_referrer() {
        let (d, _) = doc("See [the text](https://example.org/a?b=1&c=\"2\") and [here](../x/).\n");
        assert!(
            d.html.contains("<a href=\"https://example.org/a?b=1&amp;c=&quot;2&quot;\" rel=\"noopener noreferrer\">the text</a>"),
            "{}",
            d.html
        );
        assert!(d.html.contains("<a href=\"../x/\">here</a>"), "{}", d.html);
    }

    #[test]
    fn code_is_not_scanned_for_citations() {
        let (d, diags) = doc("`[@a` and\n\n```\n[@b \"x\n```\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert!(d.citations.is_empty());
    }

    #[test]
    fn fenced_code_with_a_language_is_highlighted() {
        let (d, diags) = doc("```rust\nlet x = \"[@not-a-cite]\";\n```\n\n```\nplain <b>\n```\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert!(d.has_code);
        assert!(
            d.html
                .contains("<pre class=\"code hl\" data-lang=\"rust\">"),
            "{}",
            d.html
        );
        assert!(d.html.contains("<pre><code>plain &lt;b&gt;"), "{}", d.html);
        assert!(d.citations.is_empty());
    }

    #[test]
    fn a_check_makes_no_html_and_finds_the_same_notes_and_problems() {
        let markdown = "## The call\n\nA.[^n] B.[@s \"q r\"] x [@a \"open] y\n\n\
            ```rust\nlet x = 1;\n```\n\nw[^nope] [@s \"q r\"]\n\n[^n]: See.[@t \"u v\"]\n";
        let (page, page_diags) = doc(markdown);
        let renderer = Renderer::check_only();
        let (check, check_diags) = doc_with(markdown, &renderer);
        assert!(
            page.html.contains("<pre class=\"code hl\""),
            "{}",
            page.html
        );
        assert_eq!(check.html, "");
        assert!(matches!(&check.notes[0].kind, NoteKind::Footnote { html } if html.is_empty()));
        assert!(renderer.highlighter.syntaxes().is_none());
        // Everything but the HTML is the same.
        let located = |diags: &[Diagnostic]| -> Vec<(usize, usize, String)> {
            diags
                .iter()
                .map(|d| (d.line, d.column, d.message.clone()))
                .collect()
        };
        assert_eq!(located(&check_diags), located(&page_diags));
        assert_eq!(check_diags.len(), 2, "{check_diags:?}");
        assert_eq!(
            format!("{:?}", check.citations),
            format!("{:?}", page.citations)
        );
        assert_eq!(
            format!("{:?}", check.headings),
            format!("{:?}", page.headings)
        );
        let sites = |d: &Document| -> Vec<Vec<String>> {
            d.notes.iter().map(|n| n.sites.clone()).collect()
        };
        assert_eq!(sites(&check), sites(&page));
        assert_eq!(check.has_code, page.has_code);
    }

    #[test]
    fn headings_get_unique_ids() {
        let (d, _) = doc("## The call\n\n## The call\n\n### Sub {#own}\n\n## Main\n\n## Note 1\n");
        let ids: Vec<&str> = d.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["the-call", "the-call-2", "own", "h-main", "h-note-1"]);
        assert!(d.html.contains("<h2 id=\"the-call-2\">"), "{}", d.html);
    }

    #[test]
    fn letters() {
        assert_eq!(letter(0), "a");
        assert_eq!(letter(25), "z");
        assert_eq!(letter(26), "aa");
        assert_eq!(letter(27), "ab");
    }
}
