//! Site search: the `/search/` page's index, built with the site.
//!
//! In: the resolved [`Dossier`]. Out: the files under `search/` that
//! `static/search.js` reads in the browser. The page itself is the
//! `search.html` template; nothing here renders HTML.
//!
//! **Why not elasticlunr-rs or Pagefind.** elasticlunr-rs (what mdBook and
//! Zola use) writes one JSON file holding every field of every document and
//! a term tree; the browser must download all of it before the first result,
//! which for 10,000 pages is several megabytes, and it needs elasticlunr.js
//! from npm. Pagefind's indexing crate pulls a large dependency tree and its
//! own WebAssembly client. Instead the index is ours and small, built with
//! `rust-stemmers` (the Snowball stemmers tantivy uses) and read by a
//! ~250-line script served from the site, so search works offline and makes
//! no request to another host.
//!
//! **Documents** are topics (title, summary, tags, people, body text),
//! sources (title, publisher, author, editor's note), every paragraph of
//! every source text (`sources/<id>/#p-N`) and every cited passage
//! (`sources/<id>/#q-…`).
//!
//! **Words** are runs of alphanumeric characters, lower-cased, at least two
//! characters long, English stop words dropped (the script splits queries
//! the same way: `[\p{Alphabetic}\p{N}]+`). Each word keeps its Snowball
//! stem so the script, which has no stemmer, can still match an inflected
//! query ("extending") to an indexed word whose stem it starts with
//! ("extended" → `extend`). A query word also matches the indexed words it
//! is a prefix of, so results appear while a word is being typed.
//!
//! **Scores** are BM25, computed here per (word, document) with field
//! boosts (a title counts four times) and stored as small integers, so the
//! script only adds numbers: all words of a query must match a document.
//!
//! **Files**, all content-addressed (`<kind>-<hash>.json`) except the entry
//! point, so a browser never mixes two builds:
//!
//! 1. `search/index.json`: the shard keys and files, the document chunks,
//!    the stop words, and the total size (the script prefetches everything
//!    when that is small, for offline use).
//! 2. `search/w-….json`, one per shard: `{word: [stem, postings]}`, where
//!    `stem` is the number of UTF-16 units of the word that form its stem or
//!    the stem itself, and `postings` is `[doc, weight, doc − previous doc,
//!    weight, …]`. A shard holds every word starting with its key: keys
//!    start empty (one shard for a small site) and grow a character at a
//!    time until each shard is under [`SHARD_BUDGET`], so a query loads only
//!    the shards of its words.
//! 3. `search/d-….json`, chunks of documents `[url, title, kind, context,
//!    text]` in id order, under [`CHUNK_BUDGET`] each; only the chunks of
//!    the results shown are loaded. URLs are relative to the base path,
//!    which the script reads from the page.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::ops::Range;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{LazyLock, Mutex};

use rayon::prelude::*;
use rust_stemmers::{Algorithm, Stemmer};
use serde::Serialize;

use super::{Contents, Output};
use crate::resolve::Dossier;
use tokens::{Sink, each_token};

mod tokens;

/// Target size of one word shard, in bytes of JSON.
const SHARD_BUDGET: usize = 32 * 1024;
/// Target size of one chunk of documents, in bytes of JSON.
const CHUNK_BUDGET: usize = 8 * 1024;
/// Runs of documents chunked in parallel (see [`chunks`]), and the fewest
/// documents in a run, so a small site keeps its few full chunks.
const CHUNK_GROUPS: usize = 64;
const CHUNK_GROUP_MIN: usize = 1024;
/// Shard keys stop growing here; a longer key would not split a shard whose
/// size comes from one frequent word.
const MAX_KEY_CHARS: usize = 6;
/// Shorter words are not indexed (and not searched for).
const MIN_WORD_CHARS: usize = 2;
/// Words too common to tell documents apart, dropped from English sites.
/// [`is_english_stop_word`] is the same list as a `match`, which is what
/// the analyzer asks for each word (the index, once per distinct word).
const ENGLISH_STOP_WORDS: &[&str] = &[
    "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "had", "has", "have", "he",
    "her", "his", "in", "is", "it", "its", "of", "on", "or", "she", "that", "the", "their", "this",
    "to", "was", "were", "which", "will", "with",
];

/// The `search/index.html` page's view.
#[derive(Serialize)]
pub(crate) struct SearchView {
    /// `search/index.json`, base path included.
    pub index_url: String,
    /// `search.js`, base path included.
    pub script_url: String,
}

impl SearchView {
    pub(crate) fn new(base_path: &str) -> Self {
        SearchView {
            index_url: format!("{base_path}search/index.json"),
            script_url: format!("{base_path}search.js"),
        }
    }
}

/// What a search result is; serialised as one letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub(crate) enum Kind {
    #[serde(rename = "t")]
    Topic,
    #[serde(rename = "s")]
    Source,
    #[serde(rename = "p")]
    Paragraph,
    #[serde(rename = "q")]
    Passage,
}

/// One searchable document. Its texts are borrowed from the dossier where
/// they can be: a source's title is shared by all its paragraphs.
#[derive(Clone, Debug)]
pub(crate) struct Doc<'a> {
    /// Relative to the base path: `sources/x/#p-3`.
    pub url: String,
    pub title: &'a str,
    pub kind: Kind,
    /// A short line under the title: "Paragraph 3", "Cited in New START".
    pub context: Cow<'a, str>,
    /// The text the snippet is cut from.
    pub text: Cow<'a, str>,
    /// What is indexed: (boost, text).
    pub fields: Vec<(f32, Field<'a>)>,
}

/// One indexed text of a document.
#[derive(Clone, Debug)]
pub(crate) enum Field<'a> {
    Text(Cow<'a, str>),
    /// HTML made by our own renderer, indexed by the words it shows: a
    /// topic's body is indexed from the HTML its page shows rather than
    /// from a plain copy of its text kept for the purpose.
    Html(&'a str),
}

impl<'a> From<&'a str> for Field<'a> {
    fn from(text: &'a str) -> Self {
        Field::Text(Cow::Borrowed(text))
    }
}

impl From<String> for Field<'_> {
    fn from(text: String) -> Self {
        Field::Text(Cow::Owned(text))
    }
}

/// Whether `word` (lower case) is one of [`ENGLISH_STOP_WORDS`]; compiled
/// to a switch on the length and a few comparisons.
fn is_english_stop_word(word: &str) -> bool {
    // No stop word is longer than five letters, and most words are.
    word.len() <= 5
        && matches!(
            word,
            "an" | "and"
                | "are"
                | "as"
                | "at"
                | "be"
                | "but"
                | "by"
                | "for"
                | "from"
                | "had"
                | "has"
                | "have"
                | "he"
                | "her"
                | "his"
                | "in"
                | "is"
                | "it"
                | "its"
                | "of"
                | "on"
                | "or"
                | "she"
                | "that"
                | "the"
                | "their"
                | "this"
                | "to"
                | "was"
                | "were"
                | "which"
                | "will"
                | "with"
        )
}

/// Splits text into indexed words and finds their stems.
pub(crate) struct Analyzer {
    stemmer: Option<Stemmer>,
    stop_words: &'static [&'static str],
}

impl Analyzer {
    /// The analyzer for a site language (`en`, `fr-CA`…). A language without
    /// a Snowball stemmer gets none: words then match only by prefix.
    pub(crate) fn for_language(language: &str) -> Self {
        let primary = language.split(['-', '_']).next().unwrap_or("");
        let algorithm = match primary.to_ascii_lowercase().as_str() {
            "ar" => Some(Algorithm::Arabic),
            "da" => Some(Algorithm::Danish),
            "de" => Some(Algorithm::German),
            "el" => Some(Algorithm::Greek),
            "en" => Some(Algorithm::English),
            "es" => Some(Algorithm::Spanish),
            "fi" => Some(Algorithm::Finnish),
            "fr" => Some(Algorithm::French),
            "hu" => Some(Algorithm::Hungarian),
            "it" => Some(Algorithm::Italian),
            "nl" => Some(Algorithm::Dutch),
            "no" | "nb" | "nn" => Some(Algorithm::Norwegian),
            "pt" => Some(Algorithm::Portuguese),
            "ro" => Some(Algorithm::Romanian),
            "ru" => Some(Algorithm::Russian),
            "sv" => Some(Algorithm::Swedish),
            "ta" => Some(Algorithm::Tamil),
            "tr" => Some(Algorithm::Turkish),
            _ => None,
        };
        Analyzer {
            stemmer: algorithm.map(Stemmer::create),
            stop_words: if primary.eq_ignore_ascii_case("en") {
                ENGLISH_STOP_WORDS
            } else {
                &[]
            },
        }
    }

    /// The indexed words of `text`, in order, repeats kept.
    #[cfg(test)]
    pub(crate) fn words(&self, text: &str) -> Vec<String> {
        let mut words = Vec::new();
        self.each_word(text, |w| words.push(w.into_owned()));
        words
    }

    /// Calls `f` with each indexed word of `text`, in order, repeats kept;
    /// a word already in lower case is lent, not copied. (The index itself
    /// finds its words in [`count_terms`].)
    #[cfg(test)]
    pub(crate) fn each_word<'t>(&self, text: &'t str, mut f: impl FnMut(Cow<'t, str>)) {
        each_token(text, &mut |raw, ascii, upper| {
            self.emit(raw, ascii, upper, &mut f)
        });
    }

    /// [`each_word`](Self::each_word) over the text that HTML from our
    /// own renderer shows (see [`each_html_token`]).
    #[cfg(test)]
    pub(crate) fn each_html_word<'t>(&self, html: &'t str, mut f: impl FnMut(Cow<'t, str>)) {
        each_html_token(html, &mut |raw, ascii, upper| {
            self.emit(raw, ascii, upper, &mut f)
        });
    }

    /// Hands one word to `f`, lower-cased, unless it is too short or a stop
    /// word.
    fn emit<'t>(&self, raw: &'t str, ascii: bool, upper: bool, f: &mut impl FnMut(Cow<'t, str>)) {
        let long_enough = if ascii {
            raw.len() >= MIN_WORD_CHARS
        } else {
            raw.chars().nth(MIN_WORD_CHARS - 1).is_some()
        };
        if !long_enough {
            return;
        }
        let word = if ascii && !upper {
            Cow::Borrowed(raw)
        } else if ascii {
            Cow::Owned(raw.to_ascii_lowercase())
        } else if !upper && raw.chars().all(|c| c.to_lowercase().eq([c])) {
            Cow::Borrowed(raw)
        } else {
            // Whole-string lower-casing knows a word-final sigma.
            Cow::Owned(raw.to_lowercase())
        };
        // The only list there is, is English's (see `for_language`).
        let stop = !self.stop_words.is_empty() && is_english_stop_word(&word);
        if !stop {
            f(word);
        }
    }

    fn stem(&self, word: &str) -> String {
        match &self.stemmer {
            Some(s) => s.stem(word).into_owned(),
            None => word.to_owned(),
        }
    }
}

/// [`each_token`] over the text that HTML from our own renderer shows:
/// tags, comments and the contents of `script` and `style` are skipped, as
/// are citation superscripts (their numbers are not words of the page).
/// Entities separate words: the renderers write them only for markup
/// characters (`&amp;`, `&lt;`, `&quot;`…), none of which is part of a
/// word.
fn each_html_token<'t>(html: &'t str, sink: &mut impl Sink<'t>) {
    tokens::each_marked_token(html, sink, |rest| match rest.as_bytes().get(1) {
        _ if rest.starts_with('&') => Some(entity_length(rest)),
        // Only these open what a plain tag's `>` does not end.
        Some(b'!' | b's') => Some(tag_length(rest)),
        _ => None,
    });
}

/// Bytes from `<` to the end of what it opens that show no text: the tag,
/// a comment, a citation superscript, or a `script` or `style` element; the
/// rest of the HTML when it is never closed.
fn tag_length(rest: &str) -> usize {
    use memchr::memmem::Finder;
    // Built once: a searcher set up per tag would cost more than the search.
    static ENDS: LazyLock<[Finder<'static>; 4]> =
        LazyLock::new(|| ["-->", "</sup>", "</script>", "</style>"].map(Finder::new));
    let bytes = rest.as_bytes();
    let until = |end: &Finder<'_>| {
        end.find(bytes)
            .map_or(bytes.len(), |i| i + end.needle().len())
    };
    if rest.starts_with("<!--") {
        until(&ENDS[0])
    } else if rest.starts_with("<sup class=\"cite\"") {
        until(&ENDS[1])
    } else if rest.starts_with("<script") {
        until(&ENDS[2])
    } else if rest.starts_with("<style") {
        until(&ENDS[3])
    } else {
        memchr::memchr(b'>', bytes).map_or(bytes.len(), |i| i + 1)
    }
}

/// Bytes of the entity at the start of `rest` (`&amp;`, `&#39;`), or 1 for
/// an `&` that starts none.
fn entity_length(rest: &str) -> usize {
    let name = rest.as_bytes().iter().skip(1).take(10);
    let end = name
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'#')
        .count();
    if rest.as_bytes().get(end + 1) == Some(&b';') && end > 0 {
        end + 2
    } else {
        1
    }
}

/// Documents, numbered from 0, made a run at a time when they are asked
/// for: the index and its chunks each go through them once, and at 10,000
/// topics all of them at once (their links, context lines and field lists)
/// would hold some 45 MB at the build's peak.
pub(crate) trait Documents: Sync {
    fn len(&self) -> usize;
    fn kind(&self, doc: usize) -> Kind;
    /// The documents `range`, made now; their `part`, and maybe more.
    fn make(&self, range: Range<usize>, part: DocPart) -> Vec<Doc<'_>>;
}

/// What of a document is wanted: the index reads only its fields, a chunk
/// only the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DocPart {
    Fields,
    Row,
}

#[cfg(test)]
impl Documents for [Doc<'_>] {
    fn len(&self) -> usize {
        <[Doc<'_>]>::len(self)
    }

    fn kind(&self, doc: usize) -> Kind {
        self[doc].kind
    }

    fn make(&self, range: Range<usize>, _: DocPart) -> Vec<Doc<'_>> {
        self[range].to_vec()
    }
}

/// What a document of a dossier is; see [`documents`].
#[derive(Clone, Copy, Debug)]
enum DocRef {
    Topic(u32),
    Source(u32),
    /// A source and the number of its paragraph.
    Paragraph(u32, u32),
    /// A source and the number of one of its passages.
    Passage(u32, u32),
}

/// The documents of a dossier.
pub(crate) struct SiteDocuments<'a> {
    d: &'a Dossier,
    docs: Vec<DocRef>,
}

/// The documents of a dossier, in a fixed order: topics, then each source
/// followed by its paragraphs and its passages (those by where they are).
pub(crate) fn documents(d: &Dossier) -> SiteDocuments<'_> {
    let mut docs: Vec<DocRef> = (0..d.topics.len() as u32).map(DocRef::Topic).collect();
    for (i, s) in d.sources.iter().enumerate() {
        let i = i as u32;
        docs.push(DocRef::Source(i));
        docs.extend((0..s.source.paragraphs.len() as u32).map(|n| DocRef::Paragraph(i, n)));
        let mut passages: Vec<u32> = (0..s.passages.len() as u32).collect();
        passages.sort_by(|&a, &b| {
            s.passages[a as usize]
                .found
                .cmp(&s.passages[b as usize].found)
        });
        docs.extend(passages.into_iter().map(|p| DocRef::Passage(i, p)));
    }
    SiteDocuments { d, docs }
}

impl Documents for SiteDocuments<'_> {
    fn len(&self) -> usize {
        self.docs.len()
    }

    fn kind(&self, doc: usize) -> Kind {
        match self.docs[doc] {
            DocRef::Topic(_) => Kind::Topic,
            DocRef::Source(_) => Kind::Source,
            DocRef::Paragraph(..) => Kind::Paragraph,
            DocRef::Passage(..) => Kind::Passage,
        }
    }

    fn make(&self, range: Range<usize>, part: DocPart) -> Vec<Doc<'_>> {
        self.docs[range]
            .iter()
            .map(|&doc| make_doc(self.d, doc, part))
            .collect()
    }
}

/// A document of a dossier: its fields, or its row (link, context line and
/// snippet text), as `part` asks; the other part is left empty.
fn make_doc(d: &Dossier, doc: DocRef, part: DocPart) -> Doc<'_> {
    let row = part == DocPart::Row;
    match doc {
        DocRef::Topic(t) => topic_doc(d, t as usize, &d.topics[t as usize].topic.doc.html, part),
        DocRef::Source(s) => {
            let s = &d.sources[s as usize];
            let meta = &s.source.meta;
            let note = meta
                .note
                .as_deref()
                .map(|n| plain_text(&super::untrusted_markdown(n)))
                .unwrap_or_default();
            let (url, context, text, fields) = if row {
                let text = if note.is_empty() {
                    Cow::Borrowed(meta.publisher.as_str())
                } else {
                    Cow::Owned(note)
                };
                let context = Cow::Owned(["Source · ", &meta.publisher].concat());
                (
                    ["sources/", &s.source.id, "/"].concat(),
                    context,
                    text,
                    Vec::new(),
                )
            } else {
                let fields = vec![
                    (4.0, meta.title.as_str().into()),
                    (2.0, meta.publisher.as_str().into()),
                    (2.0, meta.author.as_deref().unwrap_or_default().into()),
                    (1.0, note.into()),
                ];
                (String::new(), Cow::Borrowed(""), Cow::Borrowed(""), fields)
            };
            Doc {
                url,
                title: &meta.title,
                kind: Kind::Source,
                context,
                text,
                fields,
            }
        }
        DocRef::Paragraph(s, n) => {
            let s = &d.sources[s as usize];
            let text = &s.source.paragraphs[n as usize].text;
            let row = row.then(|| {
                let mut number = itoa::Buffer::new();
                let n = number.format(n + 1);
                (
                    ["sources/", &s.source.id, "/#p-", n].concat(),
                    ["Paragraph ", n].concat(),
                )
            });
            one_text(&s.source.meta.title, Kind::Paragraph, text, row)
        }
        DocRef::Passage(s, p) => {
            let s = &d.sources[s as usize];
            let p = &s.passages[p as usize];
            let row = row.then(|| {
                let mut citing: Vec<&str> = p
                    .backlinks
                    .iter()
                    .map(|b| d.topics[b.topic].topic.meta.title.as_str())
                    .collect();
                citing.dedup();
                (
                    ["sources/", &s.source.id, "/#", &p.id].concat(),
                    ["Quoted in ", &citing.join(", ")].concat(),
                )
            });
            one_text(&s.source.meta.title, Kind::Passage, &p.words, row)
        }
    }
}

/// The document of topic `t`, whose body is `body`.
fn topic_doc<'a>(d: &'a Dossier, t: usize, body: &'a str, part: DocPart) -> Doc<'a> {
    let t = &d.topics[t];
    let meta = &t.topic.meta;
    let row = part == DocPart::Row;
    Doc {
        url: if row {
            ["topics/", &t.topic.slug, "/"].concat()
        } else {
            String::new()
        },
        title: &meta.title,
        kind: Kind::Topic,
        context: Cow::Borrowed("Topic"),
        text: Cow::Borrowed(&meta.summary),
        fields: if row {
            Vec::new()
        } else {
            let mut labels = meta.tags.clone();
            labels.extend(meta.people.iter().cloned());
            vec![
                (4.0, meta.title.as_str().into()),
                (2.0, meta.summary.as_str().into()),
                (2.0, labels.join(" ").into()),
                (1.0, Field::Html(body)),
            ]
        },
    }
}

/// A document of one text, its only field: with its link and context line
/// when `row` gives them, else with its field.
fn one_text<'a>(
    title: &'a str,
    kind: Kind,
    text: &'a str,
    row: Option<(String, String)>,
) -> Doc<'a> {
    let (url, context, fields) = match row {
        Some((url, context)) => (url, Cow::Owned(context), Vec::new()),
        None => (String::new(), Cow::Borrowed(""), vec![(1.0, text.into())]),
    };
    Doc {
        url,
        title,
        kind,
        context,
        text: Cow::Borrowed(text),
        fields,
    }
}

/// The text of HTML made by our own renderer: tags dropped (citation
/// numbers with their content), the entities it writes decoded.
pub(crate) fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let tag = &rest[open..];
        let skip_to = if tag.starts_with("<sup class=\"cite\"") {
            tag.find("</sup>").map(|i| i + "</sup>".len())
        } else {
            tag.find('>').map(|i| i + 1)
        };
        let Some(skip) = skip_to else {
            rest = "";
            break;
        };
        out.push(' ');
        rest = &tag[skip..];
    }
    out.push_str(rest);
    let text = decode_entities(&out);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let entity = &rest[amp..];
        let end = entity.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| match &entity[1..e] {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            num => num
                .strip_prefix("#x")
                .or_else(|| num.strip_prefix("#X"))
                .map(|h| u32::from_str_radix(h, 16))
                .or_else(|| num.strip_prefix('#').map(str::parse))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        });
        match (end, decoded) {
            (Some(e), Some(c)) => {
                out.push(c);
                rest = &entity[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &entity[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// An indexed word: its stem and the documents that contain it.
#[derive(Debug, PartialEq)]
pub(crate) struct Entry {
    pub stem: String,
    /// `(doc, weight)`, by doc.
    pub postings: Vec<(u32, u32)>,
}

/// The inverted index: every word, sorted, each once.
pub(crate) type Index = Vec<(String, Entry)>;

/// BM25's term-frequency saturation and length normalisation.
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// Builds the index with BM25 weights ([`K1`], [`B`]), each stored as
/// `round(10 × score)`, at least 1.
#[cfg(test)]
pub(crate) fn build_index<D: Documents + ?Sized>(docs: &D, analyzer: &Analyzer) -> Index {
    build_index_after(docs, analyzer, Vocabulary::new(), Vec::new())
}

/// [`build_index`] for documents whose first ones were counted already:
/// `counted` holds their terms, numbered in `vocabulary`.
fn build_index_after<D: Documents + ?Sized>(
    docs: &D,
    analyzer: &Analyzer,
    vocabulary: Vocabulary,
    mut terms: Terms,
) -> Index {
    // Term frequencies of each document, in parallel runs of documents.
    let first = terms.len();
    let rest = docs.len() - first;
    let run = rest.div_ceil(TERM_RUNS).max(TERM_RUN_MIN);
    let counting = (0..rest.div_ceil(run)).into_par_iter().with_max_len(1);
    terms.par_extend(counting.flat_map_iter(|r| {
        let range = first + r * run..first + rest.min((r + 1) * run);
        count_numbered(&docs.make(range, DocPart::Fields), analyzer, &vocabulary)
    }));
    // Lengths are compared within a kind: a topic note is long next to a
    // paragraph, and measured against paragraphs it would lose to any
    // paragraph that merely mentions its title word.
    let mut sums = [(0.0f32, 0u32); 4];
    for (doc, (_, length)) in terms.iter().enumerate() {
        let sum = &mut sums[docs.kind(doc) as usize];
        sum.0 += length;
        sum.1 += 1;
    }
    let averages = sums.map(|(total, count)| (total / count.max(1) as f32).max(1.0));
    // Numbers depend on which thread met a word first; nothing below
    // depends on them but through the words they stand for.
    let vocabulary = vocabulary.into_words();
    // The postings are placed by runs of documents in parallel, each run
    // into its own part of each word's list: a word's list holds the
    // documents of the first run, then those of the second, and so on, so
    // it is in document order as one pass would have made it. A run's
    // part of a list is as long as the number of its documents that hold
    // the word. Two runs for each thread: one run's part of every list is
    // a slice, and the slices of all runs are held at once.
    // Each run with the number of its first document; cut from the end, so
    // that each document's entry is moved once.
    let posting_runs = 2 * rayon::current_num_threads();
    let mut runs: Vec<(usize, Terms)> = Vec::with_capacity(posting_runs);
    let run = terms.len().div_ceil(posting_runs).max(1);
    while terms.len() > run {
        let start = (terms.len() - 1) / run * run;
        runs.push((start, terms.split_off(start)));
    }
    runs.push((0, terms));
    runs.reverse();
    let run_df: Vec<Vec<u32>> = runs
        .par_iter()
        .with_max_len(1)
        .map(|(_, terms)| {
            let mut df: Vec<u32> = vec![0; vocabulary.len()];
            for (numbered, _) in terms {
                for &(number, _) in numbered {
                    df[number as usize] += 1;
                }
            }
            df
        })
        .collect();
    let mut df: Vec<u32> = vec![0; vocabulary.len()];
    for counts in &run_df {
        for (total, count) in df.iter_mut().zip(counts) {
            *total += count;
        }
    }
    let n = docs.len().max(1) as f32;
    let idf: Vec<f32> = df
        .iter()
        .map(|&df| (1.0 + (n - df as f32 + 0.5) / (df as f32 + 0.5)).ln())
        .collect();
    let mut postings: Vec<Vec<(u32, u32)>> = df.iter().map(|&n| vec![(0, 0); n as usize]).collect();
    let mut parts: Vec<Vec<&mut [(u32, u32)]>> = (0..runs.len())
        .map(|_| Vec::with_capacity(postings.len()))
        .collect();
    for (word, list) in postings.iter_mut().enumerate() {
        let mut rest = list.as_mut_slice();
        for (part, counts) in parts.iter_mut().zip(&run_df) {
            let (head, tail) = rest.split_at_mut(counts[word] as usize);
            part.push(head);
            rest = tail;
        }
    }
    drop(run_df);
    // Each document's list is freed once its postings are placed, so the
    // lists and the postings are not all held at once.
    let placing = runs.into_par_iter().zip(parts).with_max_len(1);
    placing.for_each(|((first, terms), mut slots)| {
        for (doc, (numbered, length)) in (first..).zip(terms) {
            let average = averages[docs.kind(doc) as usize];
            let norm = K1 * (1.0 - B + B * length / average);
            for (number, f) in numbered {
                let score = idf[number as usize] * f * (K1 + 1.0) / (f + norm);
                let weight = round_weight(score * 10.0).max(1);
                let slot = std::mem::take(&mut slots[number as usize]);
                if let Some((posting, rest)) = slot.split_first_mut() {
                    *posting = (doc as u32, weight);
                    slots[number as usize] = rest;
                }
            }
        }
    });
    let stems: Vec<String> = vocabulary.par_iter().map(|w| analyzer.stem(w)).collect();
    let mut index: Index = vocabulary
        .into_iter()
        .zip(stems)
        .zip(postings)
        .map(|((word, stem), postings)| (word, Entry { stem, postings }))
        .collect();
    // The words are distinct: an unstable sort orders them all the same.
    index.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
    index
}

/// `x.round() as u32` for a weight: `round` is a call into libm on the
/// baseline x86-64 target, once per (word, document) pair, some six million
/// times at 10,000 topics, where a truncating conversion is one
/// instruction. Below 2^24 an `f32` and its whole part are exact, and so is
/// their difference, so halves round up exactly as `round` rounds them;
/// anything else (never a BM25 weight) goes to `round`.
fn round_weight(x: f32) -> u32 {
    if (0.0..16_777_216.0).contains(&x) {
        let whole = x as u32;
        whole + u32::from(x - whole as f32 >= 0.5)
    } else {
        x.round() as u32
    }
}

type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// The [`Terms`] of `docs`, their words numbered in `vocabulary`. The
/// documents number their words among themselves first, so a word costs
/// one lookup in their own table however many of them hold it; only their
/// distinct words are then numbered for the whole index.
fn count_numbered(docs: &[Doc<'_>], analyzer: &Analyzer, vocabulary: &Vocabulary) -> Terms {
    let (words, mut terms) = count_terms(docs, analyzer);
    let numbers: Vec<u32> = words.iter().map(|w| vocabulary.number(w)).collect();
    for (list, _) in &mut terms {
        for (number, _) in list.iter_mut() {
            *number = numbers[*number as usize];
        }
    }
    terms
}

/// The topics' words, counted while their pages are made: a build lets go
/// of each topic's body once its page is written (at 10,000 topics the
/// bodies are 90 MB), so the index cannot read them afterwards. The
/// topics are counted in runs, from any thread, in any order.
pub(crate) struct TopicTerms {
    analyzer: Analyzer,
    vocabulary: Vocabulary,
    runs: Mutex<Vec<(usize, Terms)>>,
}

impl TopicTerms {
    pub(crate) fn new(language: &str) -> Self {
        TopicTerms {
            analyzer: Analyzer::for_language(language),
            vocabulary: Vocabulary::new(),
            runs: Mutex::default(),
        }
    }

    /// Counts the topics from `first` on, whose bodies are `bodies`.
    pub(crate) fn count(&self, d: &Dossier, first: usize, bodies: &[&str]) {
        let docs: Vec<Doc<'_>> = bodies
            .iter()
            .enumerate()
            .map(|(k, body)| topic_doc(d, first + k, body, DocPart::Fields))
            .collect();
        let terms = count_numbered(&docs, &self.analyzer, &self.vocabulary);
        self.runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((first, terms));
    }

    /// The terms of the topics counted, in topic order.
    fn into_parts(self) -> (Analyzer, Vocabulary, Terms) {
        let mut runs = self.runs.into_inner().unwrap_or_else(|p| p.into_inner());
        runs.sort_unstable_by_key(|&(first, _)| first);
        let mut terms = Vec::with_capacity(runs.iter().map(|(_, t)| t.len()).sum());
        for (first, run) in runs {
            debug_assert_eq!(first, terms.len());
            terms.extend(run);
        }
        (self.analyzer, self.vocabulary, terms)
    }
}

/// Documents whose terms one task counts, and the fewest it counts.
const TERM_RUNS: usize = 32;
const TERM_RUN_MIN: usize = 256;

/// Per document: its words, each as (number, boosted frequency), and its
/// boosted length.
type Terms = Vec<(Vec<(u32, f32)>, f32)>;

/// The [`Terms`] of `docs`, the words numbered from 0 within them; with
/// the words by number.
///
/// Most words are short and ASCII: those are looked up as a number that
/// holds their lower-cased bytes ([`short_key`]), which takes no
/// allocation to lower-case and no string comparison to find. The others
/// are looked up as strings.
fn count_terms<'t>(docs: &'t [Doc<'_>], analyzer: &Analyzer) -> (Vec<Cow<'t, str>>, Terms) {
    let mut counter = Counter::new(analyzer);
    let terms = docs
        .iter()
        .map(|doc| {
            for &(boost, ref field) in &doc.fields {
                counter.boost = boost;
                match field {
                    Field::Text(text) => each_token(text, &mut counter),
                    Field::Html(html) => each_html_token(html, &mut counter),
                }
            }
            counter.take_document()
        })
        .collect();
    (counter.into_words(), terms)
}

/// What [`count_terms`] keeps while it reads: the numbers it gave words,
/// and the counts of the document being read.
///
/// Words are numbered from 1 here; number 0 takes the stop words. A short
/// word's entry says whether it is one, so that is decided once per word
/// rather than at each of its occurrences, and an occurrence of one is
/// counted like any other word's, into the slot nobody reads: no branch
/// for it at each word. Its methods are the inner loop of the index, run
/// once per word of every document, and are inlined into it.
struct Counter<'a, 't> {
    analyzer: &'a Analyzer,
    stop_words: bool,
    short: Map<u128, u32>,
    long: Map<Cow<'t, str>, u32>,
    /// Per word number: its boosted count in the document being counted,
    /// zero until the document meets it (boosts are positive).
    counts: Vec<f32>,
    /// The numbers the document has met, in order of first occurrence;
    /// `met` of them are filled. Each occurrence writes its number at
    /// `met`, and only a first one moves `met` on: again no branch.
    seen: Vec<u32>,
    met: usize,
    /// The boost of the field being read.
    boost: f32,
}

impl<'t> Sink<'t> for Counter<'_, 't> {
    /// Counts one token of the document, if it is an indexed word. Only
    /// a short word met before is handled here: that is nearly every
    /// token, and a body this small is inlined into the tokenizer's loop.
    #[inline(always)]
    fn token(&mut self, raw: &'t str, ascii: bool, upper: bool) {
        if ascii && (MIN_WORD_CHARS..=SHORT_KEY_BYTES).contains(&raw.len()) {
            let key = short_key(raw, upper);
            let number = match self.short.get(&key) {
                Some(&number) => number,
                None => self.new_short(key, raw.len()),
            };
            self.count(number);
        } else {
            self.long_token(raw, ascii, upper);
        }
    }
}

impl<'a, 't> Counter<'a, 't> {
    const STOP: u32 = 0;

    fn new(analyzer: &'a Analyzer) -> Self {
        Counter {
            analyzer,
            stop_words: !analyzer.stop_words.is_empty(),
            short: Map::default(),
            long: Map::default(),
            counts: vec![0.0],
            seen: vec![0; 64],
            met: 0,
            boost: 1.0,
        }
    }

    /// Numbers a short word on its first occurrence.
    #[cold]
    #[inline(never)]
    fn new_short(&mut self, key: u128, length: usize) -> u32 {
        let number = if self.stop_words && is_stop_key(key, length) {
            Self::STOP
        } else {
            self.counts.len() as u32
        };
        self.short.insert(key, number);
        number
    }

    /// [`token`](Self::token) for a word that is long or not all ASCII.
    #[inline(never)]
    fn long_token(&mut self, raw: &'t str, ascii: bool, upper: bool) {
        let next = self.counts.len() as u32;
        let mut number = None;
        let long = &mut self.long;
        self.analyzer.emit(raw, ascii, upper, &mut |word| {
            number = Some(*long.entry(word).or_insert(next));
        });
        if let Some(number) = number {
            self.count(number);
        }
    }

    /// Adds one occurrence of the word numbered `number` to the document.
    #[inline(always)]
    fn count(&mut self, number: u32) {
        let n = number as usize;
        if n == self.counts.len() {
            self.counts.push(0.0);
        }
        if self.met == self.seen.len() {
            self.seen.resize(2 * self.met + 64, 0);
        }
        self.seen[self.met] = number;
        self.met += usize::from(self.counts[n] == 0.0);
        self.counts[n] += self.boost;
    }

    /// The document's words with their counts, and its length; the counter
    /// is left ready for the next document.
    fn take_document(&mut self) -> (Vec<(u32, f32)>, f32) {
        let met = std::mem::take(&mut self.met);
        // Made at its exact size: grown by doubling, the lists of all
        // documents would hold a third more than their entries until
        // the postings are placed. The stop words' slot, if met, is
        // one of the numbers seen.
        let stops = usize::from(self.counts[Self::STOP as usize] != 0.0);
        let mut list: Vec<(u32, f32)> = Vec::with_capacity(met - stops);
        list.extend(
            self.seen[..met]
                .iter()
                .filter(|&&number| number != Self::STOP)
                .map(|&number| (number - 1, self.counts[number as usize])),
        );
        debug_assert_eq!(list.len(), met - stops);
        for &number in &self.seen[..met] {
            self.counts[number as usize] = 0.0;
        }
        // The boosts are small whole numbers, so the sum is exact in any
        // order: the same length as adding each occurrence's boost.
        let length = list.iter().map(|&(_, count)| count).sum();
        (list, length)
    }

    /// The words, by number (the stop words' number left out).
    fn into_words(self) -> Vec<Cow<'t, str>> {
        let mut words = vec![Cow::Borrowed(""); self.counts.len() - 1];
        for (key, number) in self.short {
            if number != Self::STOP {
                words[number as usize - 1] = Cow::Owned(short_word(key));
            }
        }
        for (word, number) in self.long {
            words[number as usize - 1] = word;
        }
        words
    }
}

/// The longest word [`short_key`] holds.
const SHORT_KEY_BYTES: usize = 16;

/// A short ASCII word as a number: its bytes, lower-cased, zero-padded.
/// No word holds a zero byte, so two words have the same key only if they
/// are the same word.
///
/// The bytes are read as two overlapping words rather than copied (a copy
/// of a length known only at run time is a call to `memcpy`, for each
/// word of every document), and lower-cased eight at a time.
#[inline(always)]
fn short_key(raw: &str, upper: bool) -> u128 {
    let b = raw.as_bytes();
    let n = b.len();
    debug_assert!((2..=SHORT_KEY_BYTES).contains(&n));
    // Fewer than 8 bytes: two reads of 4, the first at 0 and the second
    // ending at `n`; where they overlap they hold the same bytes, so or-ing
    // them is exact. More than 8: the high word is the 8 bytes ending at
    // `n`, shifted down past the bytes the low word holds.
    let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default());
    let half = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or_default());
    let (low, high) = if n > 8 {
        (word(0), word(n - 8) >> (8 * (16 - n)))
    } else if n == 8 {
        (word(0), 0)
    } else if n >= 4 {
        (
            u64::from(half(0)) | u64::from(half(n - 4)) << (8 * (n - 4)),
            0,
        )
    } else {
        let third = if n == 3 { u64::from(b[2]) << 16 } else { 0 };
        (u64::from(b[0]) | u64::from(b[1]) << 8 | third, 0)
    };
    let (low, high) = if upper {
        (lower_ascii(low), lower_ascii(high))
    } else {
        (low, high)
    };
    u128::from(low) | u128::from(high) << 64
}

/// Eight ASCII bytes (or zero bytes) with `A`–`Z` lower-cased.
#[inline(always)]
fn lower_ascii(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Each byte is below 0x80, so adding to it never carries into the next:
    // the top bit of a byte says whether it reached `A`, and whether it
    // went past `Z`.
    let from_a = x + ONES * (0x80 - u64::from(b'A'));
    let past_z = x + ONES * (0x80 - u64::from(b'Z') - 1);
    let upper = from_a & !past_z & (ONES * 0x80);
    x | upper >> 2
}

/// The word of a [`short_key`].
fn short_word(key: u128) -> String {
    let bytes = key.to_le_bytes();
    let length = bytes
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(SHORT_KEY_BYTES);
    bytes[..length].iter().map(|&b| char::from(b)).collect()
}

/// Whether the word of a [`short_key`], `length` bytes long, is an English
/// stop word.
fn is_stop_key(key: u128, length: usize) -> bool {
    std::str::from_utf8(&key.to_le_bytes()[..length]).is_ok_and(is_english_stop_word)
}

/// Numbers words from many threads at once: a map in shards, each behind
/// its own lock, so two threads rarely wait for each other.
struct Vocabulary {
    shards: Vec<Mutex<Map<String, u32>>>,
    hasher: foldhash::fast::FixedState,
    next: AtomicU32,
}

impl Vocabulary {
    const SHARDS: usize = 64;

    fn new() -> Self {
        Vocabulary {
            shards: (0..Self::SHARDS).map(|_| Mutex::default()).collect(),
            hasher: foldhash::fast::FixedState::default(),
            next: AtomicU32::new(0),
        }
    }

    /// The number of `word`, given on first sight.
    fn number(&self, word: &str) -> u32 {
        let shard = self.hasher.hash_one(word) as usize % Self::SHARDS;
        let mut map = self.shards[shard]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(&n) = map.get(word) {
            return n;
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        map.insert(word.to_owned(), n);
        n
    }

    /// The words, indexed by their numbers.
    fn into_words(self) -> Vec<String> {
        let mut words = vec![String::new(); self.next.into_inner() as usize];
        for shard in self.shards {
            let map = shard.into_inner().unwrap_or_else(|p| p.into_inner());
            for (word, n) in map {
                words[n as usize] = word;
            }
        }
        words
    }
}

/// A set of words sharing a key prefix, written as one file.
#[derive(Debug)]
pub(crate) struct Shard<'a> {
    pub key: String,
    pub words: Vec<(&'a str, &'a Entry)>,
}

/// Splits the index into shards of about `budget` bytes: all words in one
/// shard keyed `""` if they fit, else by first character, then by first
/// two, and so on. A word equal to a key that was split stays in that key's
/// shard, so every word lies in the shard of its longest listed prefix.
pub(crate) fn shards(index: &Index, budget: usize) -> Vec<Shard<'_>> {
    let words: Vec<(&str, &Entry)> = index.iter().map(|(w, e)| (w.as_str(), e)).collect();
    let sizes: Vec<usize> = words.par_iter().map(|(w, e)| json_size(w, e)).collect();
    let words = words
        .into_iter()
        .zip(sizes)
        .map(|((w, e), size)| Measured {
            word: w,
            entry: e,
            size,
        })
        .collect();
    let mut out = Vec::new();
    split(String::new(), words, budget, &mut out);
    out
}

/// A word, its entry and the size of its JSON.
struct Measured<'a> {
    word: &'a str,
    entry: &'a Entry,
    size: usize,
}

fn split<'a>(key: String, words: Vec<Measured<'a>>, budget: usize, out: &mut Vec<Shard<'a>>) {
    let depth = key.chars().count();
    let size: usize = words.iter().map(|w| w.size).sum();
    if size <= budget || depth >= MAX_KEY_CHARS {
        let words = words.into_iter().map(|w| (w.word, w.entry)).collect();
        out.push(Shard { key, words });
        return;
    }
    // The words are sorted, so the word equal to the key comes first, and
    // the words of each longer prefix follow one another.
    let mut words = words.into_iter().peekable();
    if let Some(w) = words.next_if(|w| w.word.chars().count() == depth) {
        out.push(Shard {
            key: key.clone(),
            words: vec![(w.word, w.entry)],
        });
    }
    let prefix = |word: &str| -> String { word.chars().take(depth + 1).collect() };
    while let Some(first) = words.next() {
        let key = prefix(first.word);
        let mut group = vec![first];
        while let Some(w) = words.next_if(|w| w.word.starts_with(key.as_str())) {
            group.push(w);
        }
        split(key, group, budget, out);
    }
}

/// About the size of a word's entry in its shard's JSON.
fn json_size(word: &str, entry: &Entry) -> usize {
    let digits = |n: u32| n.checked_ilog10().unwrap_or(0) as usize + 1;
    let mut previous = 0;
    let mut size = word.len() + 10;
    for &(doc, weight) in &entry.postings {
        size += digits(doc - previous) + digits(weight) + 2;
        previous = doc;
    }
    size
}

/// A stem as written in a shard: a prefix length of the word (in UTF-16
/// units, as JavaScript slices strings) or, rarely, its own text.
#[derive(Serialize)]
#[serde(untagged)]
enum StemRef<'a> {
    Prefix(usize),
    Text(&'a str),
}

fn shard_json(shard: &Shard<'_>) -> Vec<u8> {
    // The shard's words are in order: written as a map, they are the
    // object's keys, sorted.
    let words: Vec<(&str, (StemRef<'_>, Deltas<'_>))> = shard
        .words
        .iter()
        .map(|(word, entry)| {
            let stem = match word.strip_prefix(entry.stem.as_str()) {
                Some(_) => StemRef::Prefix(entry.stem.encode_utf16().count()),
                None => StemRef::Text(&entry.stem),
            };
            (*word, (stem, Deltas(&entry.postings)))
        })
        .collect();
    json(&InOrder(&words))
}

/// Postings as a shard writes them: `[doc, weight, doc − previous doc,
/// weight, …]`, written from the entry as they are serialised.
struct Deltas<'a>(&'a [(u32, u32)]);

impl Serialize for Deltas<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(2 * self.0.len()))?;
        let mut previous = 0;
        for &(doc, weight) in self.0 {
            seq.serialize_element(&(doc - previous))?;
            seq.serialize_element(&weight)?;
            previous = doc;
        }
        seq.end()
    }
}

/// Pairs already in key order, serialised as a map.
struct InOrder<'a, K, V>(&'a [(K, V)]);

impl<K: Serialize, V: Serialize> Serialize for InOrder<'_, K, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// `search/index.json`.
#[derive(Serialize)]
struct Meta<'a> {
    version: u32,
    language: &'a str,
    min_chars: usize,
    stop_words: &'a [&'a str],
    documents: usize,
    /// `(key, file)`, keys sorted.
    shards: Vec<(String, String)>,
    /// `(first document, file)`, by document.
    chunks: Vec<(u32, String)>,
    /// Size of every shard and chunk together, in bytes.
    bytes: usize,
}

/// Every file under `search/` for this dossier, each handed to `put` as
/// soon as it is made (the index of a large dossier is tens of megabytes;
/// it is never held whole). `search/index.json`, which names the others,
/// comes last.
///
/// `topics` has the topics' words when their pages counted them (see
/// [`TopicTerms`]); without it they are read from the dossier's bodies.
// Not inlined, so that a profile shows what the index costs.
#[inline(never)]
pub(crate) fn outputs(d: &Dossier, topics: Option<TopicTerms>, put: &(dyn Fn(Output) + Sync)) {
    let docs = documents(d);
    let (analyzer, vocabulary, counted) = match topics {
        Some(topics) => topics.into_parts(),
        None => (
            Analyzer::for_language(&d.config.language),
            Vocabulary::new(),
            Vec::new(),
        ),
    };
    debug_assert!(counted.is_empty() || counted.len() == d.topics.len());
    let index = build_index_after(&docs, &analyzer, vocabulary, counted);
    let mut meta = Meta {
        version: 1,
        language: &d.config.language,
        min_chars: MIN_WORD_CHARS,
        stop_words: analyzer.stop_words,
        documents: docs.len(),
        shards: Vec::new(),
        chunks: Vec::new(),
        bytes: 0,
    };
    let emit = |(name, bytes): (String, Vec<u8>)| {
        let size = bytes.len();
        put(Output {
            path: format!("search/{name}"),
            contents: Contents::Bytes(bytes),
        });
        (name, size)
    };
    let shards = shards(&index, SHARD_BUDGET);
    let shard_files: Vec<(String, usize)> = shards
        .par_iter()
        .with_max_len(crate::PIECE)
        .map(|shard| emit(named("w", shard_json(shard))))
        .collect();
    for (shard, (name, size)) in shards.iter().zip(shard_files) {
        meta.shards.push((shard.key.clone(), name));
        meta.bytes += size;
    }
    drop(shards);
    drop(index);
    let chunk_files = chunks(&docs, CHUNK_BUDGET, |chunk| emit(named("d", chunk)));
    for (first, (name, size)) in chunk_files {
        meta.chunks.push((first, name));
        meta.bytes += size;
    }
    put(Output {
        path: "search/index.json".into(),
        contents: Contents::Bytes(json(&meta)),
    });
}

/// The content-addressed name of a file of the index,
/// `<prefix>-<hash>.json`, with its bytes.
fn named(prefix: &str, bytes: Vec<u8>) -> (String, Vec<u8>) {
    // A name only has to change with the bytes (browsers may cache the
    // file for ever), not resist forgery: XXH3 is a tenth of the cost of
    // SHA-256 over the tens of megabytes of a large index. 48 bits: a
    // collision among a build's few thousand files is a
    // one-in-a-hundred-million chance.
    let hash = xxhash_rust::xxh3::xxh3_64(&bytes);
    let hex = format!("{:012x}", hash >> 16);
    (format!("{prefix}-{hex}.json"), bytes)
}

/// Documents as JSON arrays, grouped in chunks of about `budget` bytes,
/// each handed to `put` as it is made; what `put` returns, with the
/// chunk's first document, in document order.
///
/// The documents are cut into [`CHUNK_GROUPS`] runs, chunked in parallel,
/// so the rows of a large index are never all held at once (at 10,000
/// topics they are 30 MB). A run's last chunk may be short; the script
/// only needs the chunks in document order.
fn chunks<R: Send, D: Documents + ?Sized>(
    docs: &D,
    budget: usize,
    put: impl Fn(Vec<u8>) -> R + Sync,
) -> Vec<(u32, R)> {
    let run = docs.len().div_ceil(CHUNK_GROUPS).max(CHUNK_GROUP_MIN);
    (0..docs.len().div_ceil(run))
        .into_par_iter()
        .with_max_len(1)
        .flat_map_iter(|group| {
            let docs = docs.make(group * run..docs.len().min((group + 1) * run), DocPart::Row);
            let mut out = Vec::new();
            let mut hand_on = |first: usize, chunk: Vec<u8>| {
                out.push((first as u32, put(chunk)));
            };
            let base = group * run;
            let mut first = base;
            let mut chunk = vec![b'['];
            for (i, doc) in docs.iter().enumerate() {
                // The row is written into the chunk, after its comma; when
                // the chunk cannot take it (with the closing bracket), it
                // moves to a new one.
                let mark = chunk.len();
                if mark > 1 {
                    chunk.push(b',');
                }
                let row = (&doc.url, &doc.title, doc.kind, &doc.context, &doc.text);
                super::json::inert_into(&row, &mut chunk);
                let row_len = chunk.len() - mark - usize::from(mark > 1);
                if mark + row_len + 2 > budget && mark > 1 {
                    let moved = chunk.split_off(mark);
                    chunk.push(b']');
                    hand_on(first, std::mem::replace(&mut chunk, vec![b'[']));
                    first = base + i;
                    chunk.extend_from_slice(&moved[1..]);
                }
            }
            if chunk.len() > 1 {
                chunk.push(b']');
                hand_on(first, chunk);
            }
            out
        })
        .collect()
}

fn json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    // Serialising these plain structs (string keys, no maps with non-string
    // keys, no floats) cannot fail.
    // Markup characters are escaped so the index carries no tags at all.
    super::json::inert(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc<'a>(url: &str, kind: Kind, text: &'a str) -> Doc<'a> {
        Doc {
            url: url.into(),
            title: "Title",
            kind,
            context: Cow::Borrowed(""),
            text: Cow::Borrowed(text),
            fields: vec![(1.0, text.into())],
        }
    }

    /// What `static/search.js` does, without its discounts for inexact
    /// matches: every query word must match a word of the document,
    /// exactly, as a prefix (3+ characters) or by its stem.
    fn lookup<'d>(index: &Index, docs: &'d [Doc<'_>], query: &str) -> Vec<&'d str> {
        let analyzer = Analyzer::for_language("en");
        let mut scores: Option<HashMap<u32, u32>> = None;
        for q in analyzer.words(query) {
            let mut found: HashMap<u32, u32> = HashMap::new();
            for (word, entry) in index {
                let prefix = q.chars().count() >= 3 && word.starts_with(&q);
                let stem = entry.stem.chars().count() >= 3 && q.starts_with(&entry.stem);
                if *word == q || prefix || stem {
                    for &(d, w) in &entry.postings {
                        let best = found.entry(d).or_default();
                        *best = (*best).max(w);
                    }
                }
            }
            scores = Some(match scores {
                None => found,
                Some(s) => s
                    .into_iter()
                    .filter_map(|(d, w)| found.get(&d).map(|f| (d, w + f)))
                    .collect(),
            });
        }
        let mut ranked: Vec<(u32, u32)> = scores.unwrap_or_default().into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
            .iter()
            .map(|(d, _)| docs[*d as usize].url.as_str())
            .collect()
    }

    #[test]
    fn the_stop_word_switch_is_the_published_list() {
        for w in ENGLISH_STOP_WORDS {
            assert!(is_english_stop_word(w), "{w}");
        }
        let en = Analyzer::for_language("en");
        let kept = ["a", "the", "then", "ha", "hiss", "wit", "thee", "treaty"]
            .into_iter()
            .filter(|w| !ENGLISH_STOP_WORDS.contains(w))
            .filter(|w| is_english_stop_word(w))
            .count();
        assert_eq!(kept, 0);
        assert_eq!(en.words("and then THE treaty"), ["then", "treaty"]);
    }

    #[test]
    fn a_topic_body_is_indexed_by_the_words_its_html_shows() {
        let markdown = "## Arms & *control*\n\n\
            Putin and Biden agreed.[@moscow-times \"extend New START\"] \
            See <!-- hidden > note --> [the text](https://example.org/?a=1&b=2).\n\n\
            ```rust\nlet treaty = \"five years\";\n```\n";
        let text: std::sync::Arc<str> = markdown.into();
        let renderer = crate::parse::markdown::Renderer::default();
        let file = crate::parse::markdown::MarkdownFile {
            path: "t.md",
            text: &text,
            renderer: &renderer,
        };
        let doc = crate::parse::markdown::render(&file, 0..text.len(), &mut Vec::new());
        assert!(doc.html.contains("<sup class=\"cite\">"), "{}", doc.html);
        assert!(doc.html.contains("&quot;"), "{}", doc.html);
        let en = Analyzer::for_language("en");
        let mut words = Vec::new();
        en.each_html_word(&doc.html, |w| words.push(w.into_owned()));
        // No citation number, URL, attribute, comment or entity name; the
        // highlighted code's words are there.
        let shown = [
            "arms", "control", "putin", "biden", "agreed", "see", "text", "let", "treaty", "five",
            "years",
        ];
        assert_eq!(words, shown);
        assert_eq!(indexed_words(&en, Field::Html(&doc.html)), shown);
    }

    /// The distinct words the index finds in one document holding
    /// `field`, in order of first appearance.
    fn indexed_words(analyzer: &Analyzer, field: Field<'_>) -> Vec<String> {
        let doc = Doc {
            url: String::new(),
            title: "",
            kind: Kind::Topic,
            context: Cow::Borrowed(""),
            text: Cow::Borrowed(""),
            fields: vec![(1.0, field)],
        };
        let docs = [doc];
        let (words, _) = count_terms(&docs, analyzer);
        words.into_iter().map(Cow::into_owned).collect()
    }

    /// `words` without repeats, in order of first appearance.
    fn distinct(words: Vec<String>) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        words
            .into_iter()
            .filter(|w| seen.insert(w.clone()))
            .collect()
    }

    /// The HTML tokenizer as it was before it read each block once: the
    /// text between two pieces of markup read as a range of its own.
    fn html_tokens_by_ranges(html: &str) -> Vec<(String, bool, bool)> {
        let mut out = Vec::new();
        let mut sink = |w: &str, ascii: bool, upper: bool| out.push((w.to_owned(), ascii, upper));
        let bytes = html.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            let Some(found) = memchr::memchr2(b'<', b'&', &bytes[at..]) else {
                tokens::each_token_in(html, at..bytes.len(), &mut sink);
                break;
            };
            let mark = at + found;
            tokens::each_token_in(html, at..mark, &mut sink);
            let rest = &html[mark..];
            at = mark
                + if bytes[mark] == b'&' {
                    entity_length(rest)
                } else {
                    tag_length(rest)
                };
        }
        out
    }

    fn html_tokens(html: &str) -> Vec<(String, bool, bool)> {
        let mut out = Vec::new();
        each_html_token(html, &mut |w: &str, ascii: bool, upper: bool| {
            out.push((w.to_owned(), ascii, upper))
        });
        out
    }

    #[test]
    fn html_words_cross_blocks_and_stop_at_markup() {
        let long = "Word".repeat(20);
        let html = format!(
            "<p>{long}<em>x</em>{}&amp;y&#39;z &bogus é<a href=\"/a b/\">Link</a>\
             <sup class=\"cite\"><a href=\"#n\">12</a></sup>{}<!-- c d --><h2 id=\"q\">Ñame</h2>",
            "a".repeat(60),
            "b".repeat(63),
        );
        for cut in 0..html.len() {
            if html.is_char_boundary(cut) {
                let text = &html[cut..];
                assert_eq!(html_tokens(text), html_tokens_by_ranges(text), "from {cut}");
            }
        }
        let words: Vec<String> = html_tokens(&html).into_iter().map(|t| t.0).collect();
        assert!(words.contains(&"Link".to_owned()) && !words.contains(&"href".to_owned()));
        assert!(!words.contains(&"12".to_owned()) && !words.contains(&"c".to_owned()));
    }

    proptest::proptest! {
        /// Reading each block once finds the words that reading the text
        /// between the tags range by range finds.
        #[test]
        fn html_words_are_the_words_between_the_markup(
            pieces in proptest::collection::vec(
                proptest::prop_oneof![
                    "[a-zA-Z0-9]{1,70}",
                    "[ .,]{1,3}",
                    "[éß中😀’]{1,2}",
                    proptest::strategy::Just("<p>".to_owned()),
                    proptest::strategy::Just("</a>".to_owned()),
                    proptest::strategy::Just("<a href=\"/topics/x-y/\">".to_owned()),
                    proptest::strategy::Just("<sup class=\"cite\"><a id=\"c\">1</a></sup>".to_owned()),
                    proptest::strategy::Just("&amp;".to_owned()),
                    proptest::strategy::Just("&".to_owned()),
                    proptest::strategy::Just("&#39;".to_owned()),
                    proptest::strategy::Just("<!-- x -->".to_owned()),
                    proptest::strategy::Just("<".to_owned()),
                    proptest::strategy::Just("<script>a b</script>".to_owned()),
                ],
                0..40,
            )
        ) {
            let html = pieces.concat();
            proptest::prop_assert_eq!(html_tokens(&html), html_tokens_by_ranges(&html));
        }

        /// The key is the word's lower-cased bytes, zero-padded, however
        /// long the word and wherever it lies in its text.
        #[test]
        fn a_short_key_holds_the_lower_cased_bytes(
            before in "[ -~]{0,20}",
            word in "[a-zA-Z0-9]{2,16}",
            after in "[ -~]{0,20}",
        ) {
            let text = format!("{before}{word}{after}");
            let raw = &text[before.len()..before.len() + word.len()];
            let mut want = [0u8; SHORT_KEY_BYTES];
            want[..word.len()].copy_from_slice(word.to_ascii_lowercase().as_bytes());
            let upper = word.bytes().any(|b| b.is_ascii_uppercase());
            proptest::prop_assert_eq!(short_key(raw, upper), u128::from_le_bytes(want));
            proptest::prop_assert_eq!(short_word(short_key(raw, upper)), word.to_ascii_lowercase());
        }

        /// Postings placed by runs of documents in parallel are those of
        /// one pass over the documents in order: the same documents, in
        /// order, with the same weights.
        #[test]
        fn postings_are_those_of_one_pass_in_document_order(
            texts in proptest::collection::vec("(alpha|beta|gamma|delta|omega|[a-z]{2,5})( (alpha|beta|gamma|[a-z]{2,4})){0,12}", 0..40),
        ) {
            let docs: Vec<Doc<'_>> = texts
                .iter()
                .enumerate()
                .map(|(i, t)| doc("x", [Kind::Topic, Kind::Paragraph][i % 2], t))
                .collect();
            let en = Analyzer::for_language("en");
            let index: HashMap<String, Vec<(u32, u32)>> = build_index(&docs[..], &en)
                .into_iter()
                .map(|(word, entry)| (word, entry.postings))
                .collect();
            proptest::prop_assert_eq!(index, one_pass_postings(&docs, &en));
        }

        #[test]
        fn the_index_counts_the_words_of_any_text(text in "\\PC{0,40}|[a-zA-Z ]{0,60}") {
            let en = Analyzer::for_language("en");
            proptest::prop_assert_eq!(
                indexed_words(&en, Field::from(text.as_str())),
                distinct(en.words(&text))
            );
        }
    }

    /// The postings of `docs` as the index placed them before it did so
    /// in parallel: the documents' lengths averaged by kind, then each
    /// document's words in one pass, in document order.
    fn one_pass_postings(
        docs: &[Doc<'_>],
        analyzer: &Analyzer,
    ) -> HashMap<String, Vec<(u32, u32)>> {
        let (words, terms) = count_terms(docs, analyzer);
        let mut sums = [(0.0f32, 0u32); 4];
        for (doc, (_, length)) in terms.iter().enumerate() {
            let sum = &mut sums[docs[doc].kind as usize];
            sum.0 += length;
            sum.1 += 1;
        }
        let averages = sums.map(|(total, count)| (total / count.max(1) as f32).max(1.0));
        let mut df = vec![0u32; words.len()];
        for (numbered, _) in &terms {
            for &(number, _) in numbered {
                df[number as usize] += 1;
            }
        }
        let n = docs.len().max(1) as f32;
        let mut postings: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
        for (doc, (numbered, length)) in terms.iter().enumerate() {
            let norm = K1 * (1.0 - B + B * length / averages[docs[doc].kind as usize]);
            for &(number, f) in numbered {
                let df = df[number as usize] as f32;
                let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                let weight = round_weight(idf * f * (K1 + 1.0) / (f + norm) * 10.0).max(1);
                postings
                    .entry(words[number as usize].to_string())
                    .or_default()
                    .push((doc as u32, weight));
            }
        }
        postings
    }

    #[test]
    fn words_match_a_plain_split_on_any_text() {
        // The definition, spelled out: alphanumeric runs, lower-cased as
        // whole strings, two characters or more, stop words dropped.
        let en = Analyzer::for_language("en");
        let reference = |text: &str| -> Vec<String> {
            text.split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.chars().count() >= MIN_WORD_CHARS)
                .map(str::to_lowercase)
                .filter(|w| !is_english_stop_word(w))
                .collect()
        };
        let texts = [
            "ΟΔΥΣΣΕΥΣ and Σίσυφος—“quoted” words’ end",
            "Navalny’s return: Навальный вернулся. The END",
            "ǅemal ǆ Ⅻ x9 A1b2 3,500 e.g. U.S. naïve CAFÉ café",
            "  leading, trailing  ",
            "a",
            "日本語のテキスト and mixed中文words",
            "Internationalisation INTERNATIONALISATIONS sixteen-letters SixteenLettersXY \
             SeventeenLettersX it IT It The AND",
        ];
        for text in texts {
            let mut got = Vec::new();
            en.each_word(text, |w| got.push(w.into_owned()));
            assert_eq!(got, reference(text), "{text}");
            // The index's own lookup (short words as numbers, the rest as
            // strings) finds the same words.
            assert_eq!(
                indexed_words(&en, Field::from(text)),
                distinct(reference(text)),
                "{text}"
            );
        }
    }

    #[test]
    fn words_are_lowercased_split_and_filtered() {
        let en = Analyzer::for_language("en-GB");
        let cases: &[(&str, &[&str])] = &[
            ("New START", &["new", "start"]),
            ("Putin's call, 2021", &["putin", "call", "2021"]),
            ("the treaty of a decade", &["treaty", "decade"]),
            ("Навальный—arrested", &["навальный", "arrested"]),
            ("five-year U.S. x", &["five", "year"]),
            ("", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(en.words(text), *want, "{text}");
        }
        let none = Analyzer::for_language("xx");
        assert_eq!(none.words("the cat"), ["the", "cat"]);
        assert_eq!(none.stem("cats"), "cats");
        assert_eq!(en.stem("extending"), "extend");
    }

    #[test]
    fn plain_text_drops_tags_and_citation_numbers() {
        let html = "<p>Treaty &amp; talks<sup class=\"cite\"><a href=\"#note-1\">1</a></sup> \
                    ended.</p>\n<h2 id=\"x\">Caf&#233; &#x41;&lt;</h2>&bogus";
        let text = plain_text(html);
        assert_eq!(
            text.split_whitespace().collect::<Vec<_>>(),
            ["Treaty", "&", "talks", "ended.", "Café", "A<", "&bogus"]
        );
    }

    #[test]
    fn the_index_finds_a_quoted_phrase_and_links_to_its_passage() {
        let docs = vec![
            doc("topics/new-start/", Kind::Topic, "The treaty was extended."),
            doc(
                "sources/mt/#p-4",
                Kind::Paragraph,
                "Russia and the United States on Wednesday formally extended by five \
                 years New START, the last remaining treaty between them.",
            ),
            doc(
                "sources/mt/#q-4-52-85",
                Kind::Passage,
                "extended by five years New START",
            ),
            doc(
                "sources/mt/#p-5",
                Kind::Paragraph,
                "Blinken spoke to Lavrov.",
            ),
        ];
        let index = build_index(docs.as_slice(), &Analyzer::for_language("en"));
        let found = lookup(&index, &docs, "\"extended by five years New START\"");
        assert_eq!(found, ["sources/mt/#q-4-52-85", "sources/mt/#p-4"]);
        assert_eq!(lookup(&index, &docs, "lavrov"), ["sources/mt/#p-5"]);
        // An inflected query matches by stem, a partial one by prefix.
        assert_eq!(lookup(&index, &docs, "extending").len(), 3);
        assert_eq!(lookup(&index, &docs, "Lav"), ["sources/mt/#p-5"]);
        assert!(lookup(&index, &docs, "treaty missile").is_empty());
    }

    #[test]
    fn a_topic_named_by_the_query_outranks_paragraphs_that_mention_it() {
        let body = "The opposition leader returned from Germany and was detained. \
                    His supporters protested in many cities. Navalny had been treated \
                    after a poisoning in August. The calls raised his case, among \
                    arms control, hacking and the war in Ukraine. "
            .repeat(4);
        let mut topic = doc("topics/navalny/", Kind::Topic, &body);
        topic.fields = vec![(4.0, "Alexei Navalny".into()), (1.0, body.as_str().into())];
        let mut docs = vec![topic];
        // Many short paragraphs, as in real sources; a few name him.
        for n in 1..=200 {
            let text = if n % 30 == 0 {
                "Navalny was arrested on his return."
            } else {
                "The treaty was extended for five years."
            };
            docs.push(doc(&format!("sources/bi/#p-{n}"), Kind::Paragraph, text));
        }
        let index = build_index(docs.as_slice(), &Analyzer::for_language("en"));
        assert_eq!(lookup(&index, &docs, "navalny")[0], "topics/navalny/");
    }

    #[test]
    fn shards_hold_every_word_once_under_its_longest_key() {
        let text: Vec<String> = (0..400).map(|i| format!("w{i} a{i}b x{}", i % 7)).collect();
        let docs: Vec<Doc<'_>> = text.iter().map(|t| doc("u", Kind::Topic, t)).collect();
        let index = build_index(docs.as_slice(), &Analyzer::for_language("xx"));
        let all = shards(&index, 2048);
        assert!(all.len() > 3, "{} shards", all.len());
        let keys: Vec<&str> = all.iter().map(|s| s.key.as_str()).collect();
        let mut seen = 0;
        for shard in &all {
            for (word, _) in &shard.words {
                let longest = keys
                    .iter()
                    .filter(|k| word.starts_with(**k))
                    .max_by_key(|k| k.len());
                assert_eq!(longest, Some(&shard.key.as_str()), "{word}");
                seen += 1;
            }
        }
        assert_eq!(seen, index.len());
        assert_eq!(shards(&index, usize::MAX).len(), 1);
    }

    #[test]
    fn shard_json_writes_stems_and_delta_postings() {
        let mut index = Index::new();
        let entry = |stem: &str, postings: Vec<(u32, u32)>| Entry {
            stem: stem.into(),
            postings,
        };
        index.push(("extended".into(), entry("extend", vec![(2, 30), (7, 12)])));
        index.push(("treaty".into(), entry("treati", vec![(5, 9)])));
        let all = shards(&index, usize::MAX);
        let text = String::from_utf8(shard_json(&all[0])).unwrap();
        assert_eq!(
            text,
            r#"{"extended":[6,[2,30,5,12]],"treaty":["treati",[5,9]]}"#
        );
    }

    #[test]
    fn chunks_split_by_size_and_keep_order() {
        // One run of documents, and several chunked in parallel.
        for count in [50, 5 * CHUNK_GROUP_MIN] {
            let docs: Vec<Doc<'_>> = (0..count)
                .map(|i| doc(&format!("topics/{i}/"), Kind::Topic, "some words here"))
                .collect();
            let all: Vec<(u32, Vec<u8>)> = chunks(docs.as_slice(), 400, |chunk| chunk);
            assert!(
                all.len() > count / 10,
                "{count} documents: {} chunks",
                all.len()
            );
            assert!(
                all.iter().all(|(_, c)| c.len() <= 400),
                "a chunk over budget"
            );
            // Each chunk starts where the one before it ended, and the last
            // ends with the last document.
            let mut next = 0;
            for (first, chunk) in &all {
                assert_eq!(*first, next);
                let rows: Vec<serde_json::Value> = serde_json::from_slice(chunk).unwrap();
                assert_eq!(rows[0][0], format!("topics/{first}/"));
                next += rows.len() as u32;
            }
            assert_eq!(next as usize, count);
        }
    }

    #[test]
    fn weights_round_as_round_does() {
        let mut values = vec![
            0.0f32, 0.5, 1.5, 2.5, 0.49999997, 0.50000006, 1.4999999, 8388607.5, 8388608.0,
            16777215.0, 16777216.0, 3.0e9, -0.4, -2.5,
        ];
        values.extend((0..200_000).map(|i| i as f32 * 0.0125));
        values.extend((0..2000).flat_map(|i| {
            let half = i as f32 + 0.5;
            [
                half,
                f32::from_bits(half.to_bits() - 1),
                f32::from_bits(half.to_bits() + 1),
            ]
        }));
        for x in values {
            assert_eq!(round_weight(x), x.round() as u32, "{x}");
        }
    }
}
