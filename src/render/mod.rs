//! Stage 4, render: the dossier as files.
//!
//! In: a [`Dossier`] whose citations all resolved. Out: [`Output`]s (a
//! relative path and its bytes), handed to a [`Sink`] as they are made: the
//! build writes each one to its staging folder at once, `serve` keeps them.
//! Pages are rendered in parallel through the one [`Templates`] instance
//! parsed in the parse stage; each page gets a small view struct (see
//! [`views`]), never a copy of the whole dossier.
//!
//! Template errors (an override that uses a missing variable, say) are
//! reported as diagnostics naming the template.

pub(crate) mod compare;
pub(crate) mod json;
mod listings;
mod notes;
pub(crate) mod passages;
pub(crate) mod search;
pub(crate) mod templates;
pub(crate) mod views;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use pulldown_cmark::{Event, Parser, Tag};
use rayon::prelude::*;
use serde::Serialize;
use tera::Context;

use crate::analysis::Analysis;
use crate::diagnostics::Diagnostic;
use crate::resolve::{Dossier, NoteTarget, ResolvedSource, ResolvedTopic};
use passages::CitedIn;
use templates::Templates;
use views::*;

/// One file of the site.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Output {
    /// Path relative to the output folder, `/`-separated.
    pub path: String,
    pub contents: Contents,
}

/// A file's contents: bytes made by the build, or a file to copy.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Contents {
    Bytes(Vec<u8>),
    /// Bytes in pieces, to be written one after the other: a file of tens
    /// of megabytes made in parallel parts need not be copied into one
    /// buffer first.
    Pieces(Vec<Vec<u8>>),
    Copy(PathBuf),
}

/// Topic pages are made in runs of about a sixty-fourth of the topics,
/// within these bounds: a run counts its words for the search index in one
/// batch, and each batch's own table of words learns them anew.
const TOPIC_RUNS: usize = 64;
const TOPIC_RUN_MIN: usize = 32;
const TOPIC_RUN_MAX: usize = 256;

/// Default static files, as shipped in the repository's `static/`.
const STATIC_DEFAULTS: &[(&str, &[u8])] = &[
    ("style.css", include_bytes!("../../static/style.css")),
    ("dossier.js", include_bytes!("../../static/dossier.js")),
    ("search.js", include_bytes!("../../static/search.js")),
    ("favicon.svg", include_bytes!("../../static/favicon.svg")),
];

/// Which pages a render produces.
#[derive(Debug, Default)]
pub(crate) enum Selection {
    /// The whole site.
    #[default]
    All,
    /// Only what an edit can have changed: these topics and sources (by
    /// index in the dossier, sorted, no repeats) and people pages, plus the
    /// listings every edit touches (home, people index, feed, sitemap,
    /// `dossier.json`). Indices, not names: finding a few pages among ten
    /// thousand is then a look at a short list, not a hash of every name.
    Some {
        topics: Vec<usize>,
        sources: Vec<usize>,
        people: HashSet<String>,
    },
}

impl Selection {
    /// A selection of these topics, sources and people.
    pub(crate) fn some(
        topics: impl IntoIterator<Item = usize>,
        sources: impl IntoIterator<Item = usize>,
        people: HashSet<String>,
    ) -> Selection {
        fn sorted(items: impl IntoIterator<Item = usize>) -> Vec<usize> {
            let mut items: Vec<usize> = items.into_iter().collect();
            items.sort_unstable();
            items.dedup();
            items
        }
        Selection::Some {
            topics: sorted(topics),
            sources: sorted(sources),
            people,
        }
    }

    fn all(&self) -> bool {
        matches!(self, Selection::All)
    }

    fn topic(&self, index: usize) -> bool {
        match self {
            Selection::All => true,
            Selection::Some { topics, .. } => topics.binary_search(&index).is_ok(),
        }
    }

    fn source(&self, index: usize) -> bool {
        match self {
            Selection::All => true,
            Selection::Some { sources, .. } => sources.binary_search(&index).is_ok(),
        }
    }

    fn person(&self, slug: &str) -> bool {
        match self {
            Selection::All => true,
            Selection::Some { people, .. } => people.contains(slug),
        }
    }

    /// Whether some person's page is selected.
    fn any_person(&self) -> bool {
        match self {
            Selection::All => true,
            Selection::Some { people, .. } => !people.is_empty(),
        }
    }
}

/// Values made per topic or per source on first use, at most once each:
/// a partial render (`serve`) asks for a handful of ten thousand.
struct OnDemand<'f, T> {
    cells: Vec<OnceLock<T>>,
    make: Box<dyn Fn(usize) -> T + Sync + 'f>,
}

impl<'f, T> OnDemand<'f, T> {
    fn new(len: usize, make: impl Fn(usize) -> T + Sync + 'f) -> Self {
        OnDemand {
            cells: std::iter::repeat_with(OnceLock::new).take(len).collect(),
            make: Box::new(make),
        }
    }

    fn get(&self, index: usize) -> &T {
        self.cells[index].get_or_init(|| (self.make)(index))
    }
}

/// Where rendered files go as they are made: a build's staging folder, or
/// the memory of `serve`. Called from many threads at once.
pub(crate) trait Sink: Sync {
    /// Takes one file of the site.
    fn put(&self, output: Output) -> anyhow::Result<()>;

    /// Takes one file whose bytes stay the caller's (a page in the buffer
    /// its thread renders into): a sink that writes them need not copy
    /// them first. One that keeps files keeps a copy.
    fn put_made(&self, path: String, bytes: &[u8]) -> anyhow::Result<()> {
        self.put(Output {
            path,
            contents: Contents::Bytes(bytes.to_vec()),
        })
    }
}

/// A [`Sink`] that keeps the files, for `serve`.
#[derive(Debug, Default)]
pub(crate) struct Collect(Mutex<Vec<Output>>);

impl Collect {
    /// The files, sorted by path.
    pub(crate) fn into_sorted(self) -> Vec<Output> {
        let mut outputs = self.0.into_inner().unwrap_or_else(|p| p.into_inner());
        outputs.sort_by(|a, b| a.path.cmp(&b.path));
        outputs
    }
}

impl Sink for Collect {
    fn put(&self, output: Output) -> anyhow::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(output);
        Ok(())
    }
}

/// Which files of the selection a render makes. `serve` makes the pages
/// an edit reached first, so that they are on screen sooner, and the
/// listings, the search index and `dossier.json` after them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// Everything.
    All,
    /// Topic, source, person and compare pages, and the raw captures.
    Pages,
    /// The home page, the people index, the feed, the sitemap, the search
    /// page and index, `dossier.json`, `robots.txt`, `404.html` and the
    /// static files.
    Listings,
}

/// Why a render stopped.
#[derive(Debug)]
pub(crate) enum RenderError {
    /// Templates failed on some pages (all of them are reported).
    Content(Vec<Diagnostic>),
    /// The sink could not take a file (a full disk, say).
    Io(anyhow::Error),
}

/// What a render met while its tasks ran: template errors and the first
/// I/O error of the sink.
#[derive(Default)]
struct Problems {
    content: Mutex<Vec<Diagnostic>>,
    io: Mutex<Option<anyhow::Error>>,
}

impl Problems {
    fn put(&self, sink: &dyn Sink, output: Result<Output, Diagnostic>) {
        match output {
            Ok(o) => self.io(sink.put(o)),
            Err(d) => self.content(d),
        }
    }

    fn io(&self, result: anyhow::Result<()>) {
        if let Err(e) = result {
            self.io
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_or_insert(e);
        }
    }

    fn content(&self, d: Diagnostic) {
        self.content
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(d);
    }

    fn into_result(self) -> Result<(), RenderError> {
        let io = self.io.into_inner().unwrap_or_else(|p| p.into_inner());
        let mut content = self.content.into_inner().unwrap_or_else(|p| p.into_inner());
        if !content.is_empty() {
            // Pages render in any order; one broken template fails many of
            // them with the same message.
            content.sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
            content.dedup_by(|a, b| a.message == b.message);
            return Err(RenderError::Content(content));
        }
        match io {
            Some(e) => Err(RenderError::Io(e)),
            None => Ok(()),
        }
    }
}

/// Renders the selected pages of the site into `sink`. The pages, the raw
/// captures, the search index and `dossier.json` are made concurrently,
/// and each file goes to the sink as soon as it is made.
///
/// `bodies` are the topics' bodies when the caller took them out of `d`
/// (see [`Dossier::take_bodies`]): each is then moved into its page's
/// template values rather than copied, and let go once its page is
/// written. The topic pages count the words of the search index as they
/// go, beside the other pages; the index and `dossier.json` follow them.
pub(crate) fn render(
    d: &Dossier,
    analysis: &Analysis,
    base_path: &str,
    selection: &Selection,
    part: Part,
    sink: &dyn Sink,
    bodies: Option<Vec<String>>,
) -> Result<(), RenderError> {
    let links = Links { base: base_path };
    let site = SiteView::new(&d.config, base_path);
    let problems = Problems::default();
    // `own` is HTML made for this page alone (a topic's notes, a source's
    // paragraphs: tens of kilobytes), moved into the view as that field
    // rather than copied into it.
    let context = |template: &str,
                   path: &str,
                   kind: &str,
                   title: &str,
                   view: &dyn ViewValue,
                   own: Vec<(&str, String)>| {
        let mut ctx = Context::new();
        ctx.insert("site", &site);
        ctx.insert("page_kind", kind);
        ctx.insert("page_title", title);
        ctx.insert(
            "canonical",
            &format!("{}{}", d.config.base_url, canonical_path(path)),
        );
        let file = || format!("templates/{template}");
        let mut value = view.to_value().map_err(|e| {
            Diagnostic::file(
                &file(),
                format!("cannot pass the page to the template: {e}"),
            )
        })?;
        if let serde_json::Value::Object(fields) = &mut value {
            for (name, html) in own {
                fields.insert(name.to_owned(), serde_json::Value::String(html));
            }
        }
        let mut page = serde_json::Map::new();
        page.insert("page".to_owned(), value);
        ctx.extend(
            Context::from_value(serde_json::Value::Object(page))
                .map_err(|e| Diagnostic::file(&file(), templates::error_chain(&e)))?,
        );
        Ok(ctx)
    };
    // A page goes to the sink from the buffer it was rendered into.
    let page_with = |template: &str,
                     path: String,
                     kind: &str,
                     title: &str,
                     view: &dyn ViewValue,
                     own: Vec<(&str, String)>| {
        let made = context(template, &path, kind, title, view, own).and_then(|ctx| {
            render_template(&d.templates, template, &ctx, |page| {
                problems.io(sink.put_made(path, page));
            })
        });
        if let Err(e) = made {
            problems.content(e);
        }
    };
    let page = |template: &str, path: String, kind: &str, title: &str, view: &dyn ViewValue| {
        page_with(template, path, kind, title, view, Vec::new())
    };
    let put = |output: Result<Output, Diagnostic>| problems.put(sink, output);

    let (pages, listings) = (part != Part::Listings, part != Part::Pages);
    // How notes name a source, made once rather than for each note (a
    // hundred thousand of them at ten thousand topics).
    let refs = OnDemand::new(d.sources.len(), |s| source_ref(&d.sources[s], &links));
    // Each topic's link, for the "cited in" links of the source pages.
    let topic_pages = OnDemand::new(d.topics.len(), |t| links.topic(&d.topics[t].topic.slug));
    // On a whole build, each topic's and source's entry of `dossier.json`
    // is made just after its page, while what both read (its citations,
    // passages and backlinks, a hundred thousand small strings scattered
    // over the heap at 10,000 topics) is still in the processor's caches;
    // made in a pass of its own, the export waited on memory for each.
    let entries_with_pages = listings && pages && selection.all();
    let topic_entries: Mutex<Vec<(usize, Vec<Vec<u8>>)>> = Mutex::default();
    let topic_page = |i: usize, t: &ResolvedTopic, body: Option<String>| {
        let mut view = topic_view(d, t, &refs, &links);
        let notes_html = notes::html(&view.notes, site.origin);
        if !d.templates.reads_notes {
            view.notes = Vec::new();
        }
        view.also = compare::mention_views(d, analysis, i, &links);
        let mut own = vec![("notes_html", notes_html)];
        if let Some(body) = body {
            view.body_html = "";
            own.push(("body_html", body));
        }
        page_with(
            "topic.html",
            format!("topics/{}/index.html", t.topic.slug),
            "topic",
            &t.topic.meta.title,
            &view,
            own,
        );
    };
    // The topics go in runs: a run counts its topics' words for the search
    // index (as one batch, see `search::TopicTerms`), then makes their
    // pages. Bodies taken out of the dossier must be counted here or never.
    let topics = d.topics.len();
    let terms = (listings && (pages || bodies.is_some()))
        .then(|| search::TopicTerms::new(&d.config.language));
    let run = topics
        .div_ceil(TOPIC_RUNS)
        .clamp(TOPIC_RUN_MIN, TOPIC_RUN_MAX);
    let topic_run = |first: usize, owned: Option<Vec<String>>| {
        let end = owned
            .as_ref()
            .map_or(topics.min(first + run), |b| first + b.len());
        let run_topics = &d.topics[first..end];
        if let Some(terms) = &terms {
            let texts: Vec<&str> = match &owned {
                Some(bodies) => bodies.iter().map(String::as_str).collect(),
                None => run_topics
                    .iter()
                    .map(|t| t.topic.doc.html.as_str())
                    .collect(),
            };
            terms.count(d, first, &texts);
        }
        let mut owned = owned.map(Vec::into_iter);
        let mut entries = Vec::with_capacity(if entries_with_pages { end - first } else { 0 });
        for (i, t) in (first..end).zip(run_topics) {
            let body = owned.as_mut().and_then(Iterator::next);
            if pages && selection.topic(i) {
                topic_page(i, t, body);
            }
            if entries_with_pages {
                entries.push(json::topic(d, t, &links));
            }
        }
        if entries_with_pages {
            topic_entries
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((first, entries));
        }
    };
    let make_topic_pages = || match bodies {
        Some(bodies) => bodies
            .into_par_iter()
            .chunks(run)
            .enumerate()
            .with_max_len(1)
            .for_each(|(r, bodies)| topic_run(r * run, Some(bodies))),
        None => (0..topics.div_ceil(run))
            .into_par_iter()
            .with_max_len(1)
            .for_each(|r| topic_run(r * run, None)),
    };
    let search_files = |terms: Option<search::TopicTerms>| {
        search::outputs(d, terms, &|output| put(Ok(output)));
    };
    let json_file = |pieces: Vec<Vec<u8>>| {
        put(Ok(Output {
            path: "dossier.json".into(),
            contents: Contents::Pieces(pieces),
        }));
    };

    // First every page: the topic pages, the source and compare pages, the
    // listings and the people pages, side by side, so that neither core
    // waits for the other at the end of the topics' last run.
    let mut source_entries: Vec<Vec<u8>> = Vec::new();
    rayon::scope(|scope| {
        if pages || terms.is_some() {
            scope.spawn(|_| make_topic_pages());
        }
        if listings {
            scope.spawn(|_| {
                let index = index_view(d, &links);
                page(
                    "index.html",
                    "index.html".into(),
                    "index",
                    &d.config.title,
                    &index,
                );
            });
        }
        scope.spawn(|_| {
            if !listings && !selection.any_person() {
                return;
            }
            let people = listings::people(d, &links);
            if pages {
                people
                    .people
                    .par_iter()
                    .with_max_len(crate::PIECE)
                    .filter(|p| selection.person(&p.slug))
                    .for_each(|person| {
                        let path = format!("people/{}/index.html", person.slug);
                        page("person.html", path, "person", person.name, person);
                    });
            }
            if !listings {
                return;
            }
            page(
                "people.html",
                "people/index.html".into(),
                "people",
                "People",
                &people,
            );
            let sitemap = listings::sitemap(d, &people);
            page(
                "sitemap.xml",
                "sitemap.xml".into(),
                "sitemap",
                "Sitemap",
                &sitemap,
            );
        });
        if listings {
            scope.spawn(|_| {
                let feed = listings::feed(d);
                page(
                    "atom.xml",
                    "atom.xml".into(),
                    "feed",
                    &d.config.title,
                    &feed,
                );
                let not_found = NotFound {
                    home: links.base.to_owned(),
                };
                page(
                    "404.html",
                    "404.html".into(),
                    "404",
                    "Page not found",
                    &not_found,
                );
                let search = search::SearchView::new(base_path);
                page(
                    "search.html",
                    "search/index.html".into(),
                    "search",
                    "Search",
                    &search,
                );
                let robots = listings::RobotsView {
                    sitemap_url: format!("{}sitemap.xml", d.config.base_url),
                };
                page(
                    "robots.txt",
                    "robots.txt".into(),
                    "robots",
                    "robots.txt",
                    &robots,
                );
                if selection.all() {
                    statics(d, &put);
                }
            });
        }
        // The source pages, with each source's entry of `dossier.json`.
        if pages {
            scope.spawn(|_| {
                source_entries = d
                    .sources
                    .par_iter()
                    .with_max_len(crate::PIECE)
                    .enumerate()
                    .filter(|&(i, _)| selection.source(i))
                    .filter_map(|(i, s)| {
                        let mut view = source_view(d, s, &topic_pages, &links);
                        let paragraphs_html = paragraphs_html(&view.paragraphs);
                        if !d.templates.reads_paragraphs {
                            view.paragraphs = Vec::new();
                        }
                        view.rewrites = compare::rewrites_view(d, analysis, i, &links);
                        page_with(
                            "source.html",
                            format!("sources/{}/index.html", s.source.id),
                            "source",
                            &s.source.meta.title,
                            &view,
                            vec![("paragraphs_html", paragraphs_html)],
                        );
                        let raw = format!("sources/{}.txt", s.source.id);
                        problems.io(sink.put_made(raw, &s.source.raw));
                        entries_with_pages.then(|| json::source(d, s, &links))
                    })
                    .collect();
            });
        }
        // A compare page shows both sources: it changes when either does.
        if pages {
            scope.spawn(|_| {
                analysis
                    .pairs
                    .par_iter()
                    .with_max_len(1)
                    .filter(|p| selection.source(p.original) || selection.source(p.copy))
                    .for_each(|p| {
                        let view = compare::compare_view(d, p, &links);
                        let title = format!(
                            "Compare: {} and {}",
                            view.original.source.title, view.copy.source.title
                        );
                        page(
                            "compare.html",
                            compare::path(d, p),
                            "compare",
                            &title,
                            &view,
                        );
                    });
            });
        }
    });
    // Then the search index, which needs the topics' words. A whole
    // build's `dossier.json` is put together beside it from the entries
    // the topic and source pages made; a partial one (`serve`) makes it
    // after the index, one after the other since both hold tens of
    // megabytes while they work.
    rayon::scope(|scope| {
        if listings {
            scope.spawn(|_| {
                search_files(terms);
                if !entries_with_pages {
                    json_file(json::export(d, &links));
                }
            });
        }
        if entries_with_pages {
            scope.spawn(|_| {
                let mut runs =
                    std::mem::take(&mut *topic_entries.lock().unwrap_or_else(|p| p.into_inner()));
                runs.sort_unstable_by_key(|&(first, _)| first);
                let topics = runs.into_iter().flat_map(|(_, entries)| entries).collect();
                json_file(json::assemble(d, topics, source_entries));
            });
        }
    });
    problems.into_result()
}

/// The stylesheet, scripts and favicon, and the root's own `static/` files.
fn statics(d: &Dossier, put: &(dyn Fn(Result<Output, Diagnostic>) + Sync)) {
    let bytes = |path: &str, bytes: Vec<u8>| {
        put(Ok(Output {
            path: path.to_owned(),
            contents: Contents::Bytes(bytes),
        }))
    };
    // Built only when some page shows code: it loads syntect's themes.
    if d.topics.iter().any(|t| t.topic.doc.has_code)
        && !d.statics.iter().any(|(n, _)| n == "syntax.css")
    {
        bytes(
            "syntax.css",
            crate::parse::highlight::stylesheet().into_bytes(),
        );
    }
    for (name, content) in STATIC_DEFAULTS {
        if !d.statics.iter().any(|(n, _)| n == name) {
            bytes(name, content.to_vec());
        }
    }
    for (name, path) in &d.statics {
        put(Ok(Output {
            path: name.clone(),
            contents: Contents::Copy(path.clone()),
        }));
    }
}

/// Lets one closure take any page's view.
trait ViewValue: Sync {
    fn to_value(&self) -> serde_json::Result<serde_json::Value>;
}

impl<T: Serialize + Sync> ViewValue for T {
    fn to_value(&self) -> serde_json::Result<serde_json::Value> {
        serde_json::to_value(self)
    }
}

#[derive(Serialize)]
struct NotFound {
    home: String,
}

/// Renders one page into the buffer its thread keeps (see
/// [`in_kept_buffer`]) and hands the bytes to `then`: tera's own buffer
/// starts at 2 KB and doubles (four copies for a topic page), and its text
/// is checked as UTF-8 again although tera writes only strings.
fn render_template(
    tera: &Templates,
    name: &str,
    ctx: &Context,
    then: impl FnOnce(&[u8]),
) -> Result<(), Diagnostic> {
    in_kept_buffer(|buffer| tera.render_to(name, ctx, buffer), then)
        .map_err(|e| Diagnostic::file(&format!("templates/{name}"), templates::error_chain(&e)))
}

/// What `fill` writes, made in a buffer this thread keeps, and lent to
/// `then`. `then` must not start parallel work: the thread could take up
/// another task that wants the buffer while it is lent.
pub(super) fn in_kept_buffer<E, R>(
    fill: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    then: impl FnOnce(&[u8]) -> R,
) -> Result<R, E> {
    /// A buffer that grew past this (the home page of a large dossier) is
    /// not kept.
    const KEEP: usize = 1 << 20;
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        let made = fill(buffer).map(|()| then(buffer));
        if buffer.capacity() > KEEP {
            *buffer = Vec::new();
        }
        made
    })
}

/// `topics/x/index.html` is served as `topics/x/`.
fn canonical_path(path: &str) -> &str {
    path.strip_suffix("index.html").unwrap_or(path)
}

fn index_view<'a>(d: &'a Dossier, links: &Links<'_>) -> IndexView<'a> {
    let topics: Vec<TopicCard<'a>> = d.topics.iter().map(|t| topic_card(d, t, links)).collect();
    let sources: Vec<SourceCard<'a>> = d.sources.iter().map(|s| source_card(d, s, links)).collect();
    IndexView {
        title: d.index.meta.title.as_deref().unwrap_or(&d.config.title),
        intro_html: &d.index.html,
        topics_html: views::cards_html(&topics),
        sources_html: views::source_lines_html(&sources),
        topics: if d.templates.reads_topics {
            topics
        } else {
            Vec::new()
        },
        sources: if d.templates.reads_sources {
            sources
        } else {
            Vec::new()
        },
        extra: &d.index.meta.extra,
    }
}

/// A topic's view; `refs` are the sources as notes name them, by index.
fn topic_view<'a, 's: 'a>(
    d: &'a Dossier,
    t: &'a ResolvedTopic,
    refs: &'a OnDemand<'_, SourceRef<'s>>,
    links: &Links<'_>,
) -> TopicView<'a> {
    let meta = &t.topic.meta;
    let sources = cited_sources(d, t);
    let notes = t
        .notes
        .iter()
        .enumerate()
        .map(|(i, note)| {
            let number = i + 1;
            let backlinks = t
                .sites(i)
                .iter()
                .enumerate()
                .map(|(k, site)| BacklinkView {
                    href: ["#", site.as_str()].concat(),
                    label: crate::parse::markdown::letter(k),
                })
                .collect();
            let mut view = NoteView {
                number,
                id: ["note-", itoa::Buffer::new().format(number)].concat(),
                kind: "footnote",
                html: None,
                words: None,
                source: None,
                passage_url: None,
                original_url: None,
                archive_url: None,
                backlinks,
            };
            match &note.target {
                NoteTarget::Footnote => {
                    if let crate::parse::markdown::NoteKind::Footnote { html } =
                        &t.topic.doc.notes[i].kind
                    {
                        view.html = Some(html);
                    }
                }
                NoteTarget::Source { source } => {
                    let s = &d.sources[*source];
                    view.kind = "source";
                    view.source = Some(refs.get(*source));
                    view.original_url = s.source.meta.url.as_ref().map(|u| u.0.clone());
                    view.archive_url = s.source.meta.archive.as_ref().map(|u| u.0.as_str());
                }
                NoteTarget::Passage { source, passage } => {
                    let s = &d.sources[*source];
                    let p = &s.passages[*passage];
                    view.kind = "passage";
                    view.words = Some(&p.words);
                    view.source = Some(refs.get(*source));
                    view.passage_url = Some(links.source_at(&s.source.id, &p.id));
                    view.original_url = s
                        .source
                        .meta
                        .url
                        .as_ref()
                        .map(|u| text_fragment(&u.0, &p.words));
                    view.archive_url = s.source.meta.archive.as_ref().map(|u| u.0.as_str());
                }
            }
            view
        })
        .collect();
    TopicView {
        slug: &t.topic.slug,
        title: &meta.title,
        summary: &meta.summary,
        updated: meta.updated.map(|u| u.long()),
        updated_iso: meta.updated.map(|u| u.iso()),
        tags: &meta.tags,
        people: meta
            .people
            .iter()
            .map(|p| LinkView {
                title: p,
                url: links.person(p),
            })
            .collect(),
        aliases: &meta.aliases,
        url: links.topic(&t.topic.slug),
        body_html: &t.topic.doc.html,
        headings: if d.templates.reads_headings {
            &t.topic.doc.headings
        } else {
            &[]
        },
        heading_count: t.topic.doc.headings.len(),
        toc_html: toc_html(&t.topic.doc.headings),
        notes,
        sources: if d.templates.reads_sources {
            sources.iter().map(|&s| refs.get(s)).collect()
        } else {
            Vec::new()
        },
        source_count: sources.len(),
        citation_count: t.topic.doc.citations.len(),
        extra: &meta.extra,
        has_code: t.topic.doc.has_code,
        also: Vec::new(),
    }
}

/// A source's view; `topic_pages` are the topics' links, by index.
fn source_view<'a>(
    d: &'a Dossier,
    s: &'a ResolvedSource,
    topic_pages: &'a OnDemand<'_, String>,
    links: &Links<'_>,
) -> SourceView<'a> {
    let meta = &s.source.meta;
    let mut by_paragraph: Vec<Vec<usize>> = vec![Vec::new(); s.source.paragraphs.len()];
    for (i, p) in s.passages.iter().enumerate() {
        by_paragraph[p.found.paragraph].push(i);
    }
    let paragraphs = s
        .source
        .paragraphs
        .iter()
        .zip(by_paragraph)
        .enumerate()
        .map(|(n, (para, mut cited))| {
            cited.sort_by(|&a, &b| s.passages[a].found.cmp(&s.passages[b].found));
            let passages: Vec<_> = cited.iter().map(|&i| &s.passages[i]).collect();
            let cited_in: Vec<Vec<CitedIn<'_>>> = passages
                .iter()
                .map(|p| {
                    p.backlinks
                        .iter()
                        .map(|b| CitedIn {
                            title: &d.topics[b.topic].topic.meta.title,
                            page: topic_pages.get(b.topic),
                            sites: d.sites(b),
                        })
                        .collect()
                })
                .collect();
            ParagraphView {
                number: n + 1,
                id: ["p-", itoa::Buffer::new().format(n + 1)].concat(),
                bullet: para.bullet,
                html: passages::mark(&para.text, &passages, &cited_in),
                cited: !passages.is_empty(),
            }
        })
        .collect();
    let whole_citers = s
        .citers
        .iter()
        .map(|b| {
            let topic = &d.topics[b.topic].topic;
            LinkView {
                title: &topic.meta.title,
                url: links.topic_at(&topic.slug, &d.sites(b)[0]),
            }
        })
        .collect();
    SourceView {
        card: source_card(d, s, links),
        author: meta.author.as_deref(),
        retrieved: meta.retrieved.map(|r| r.long()),
        retrieved_iso: meta.retrieved.map(|r| r.iso()),
        archive_url: meta.archive.as_ref().map(|u| u.0.as_str()),
        language: meta.language.as_deref(),
        note_html: meta.note.as_deref().map(untrusted_markdown),
        sha256: &s.source.sha256,
        raw_url: links.raw(&s.source.id),
        raw_bytes: s.source.raw.len(),
        paragraphs,
        whole_citers,
        passage_count: s.passages.len(),
        rewrites: compare::RewritesView::default(),
    }
}

/// A source's paragraphs as the built-in `source.html` shows them, one
/// `<p>` a line, numbered and linkable: written here because a loop in the
/// template looked up seven values per paragraph, and a capture has dozens
/// of paragraphs.
fn paragraphs_html(paragraphs: &[ParagraphView]) -> String {
    let size: usize = paragraphs.iter().map(|p| p.html.len() + 120).sum();
    let mut out = String::with_capacity(size);
    for p in paragraphs {
        let class = match (p.bullet, p.cited) {
            (false, false) => "para",
            (true, false) => "para bullet",
            (false, true) => "para cited",
            (true, true) => "para bullet cited",
        };
        // `id` is `p-` and a number: nothing in it needs escaping.
        let _ = writeln!(
            out,
            "<p id=\"{id}\" class=\"{class}\"><a class=\"pnum\" href=\"#{id}\" aria-label=\"Paragraph {n}\">{n}</a>{html}</p>",
            id = p.id,
            n = p.number,
            html = p.html,
        );
    }
    out
}

/// Markdown from an untrusted sidecar: raw HTML is shown as text and links
/// other than http(s) lose their target.
pub(crate) fn untrusted_markdown(markdown: &str) -> String {
    let events = Parser::new(markdown).map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        // Links leave the site: only http(s), and without handing the
        // dossier's address or window to the target.
        Event::Start(Tag::Link { dest_url, .. }) => {
            let safe = dest_url.starts_with("https://") || dest_url.starts_with("http://");
            let href = if safe {
                templates::escape(&dest_url)
            } else {
                String::new()
            };
            Event::InlineHtml(format!("<a href=\"{href}\" rel=\"noopener noreferrer\">").into())
        }
        Event::End(pulldown_cmark::TagEnd::Link) => Event::InlineHtml("</a>".into()),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let _ = (dest_url, link_type, id);
            Event::Text(title)
        }
        Event::End(pulldown_cmark::TagEnd::Image) => Event::Text("".into()),
        e => e,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// The original URL with a text fragment that scrolls to the quoted words
/// (`#:~:text=start,end` for long quotes).
pub(crate) fn text_fragment(url: &str, words: &str) -> String {
    let base = url.split('#').next().unwrap_or(url);
    let first_piece = words[..first_elision(words)].trim();
    let all: smallvec::SmallVec<[&str; 16]> =
        first_piece.split(' ').filter(|w| !w.is_empty()).collect();
    // Written into one string: a hundred thousand notes make one each.
    let mut out = String::with_capacity(base.len() + 9 + 3 * first_piece.len());
    out.push_str(base);
    out.push_str("#:~:text=");
    let push = |out: &mut String, words: &[&str]| {
        for (i, word) in words.iter().enumerate() {
            if i > 0 {
                out.push_str("%20");
            }
            if word.bytes().all(|b| b.is_ascii_alphanumeric()) {
                out.push_str(word);
            } else {
                out.extend(utf8_percent_encode(word, NON_ALPHANUMERIC));
            }
        }
    };
    if all.len() <= 8 {
        push(&mut out, &all);
    } else {
        push(&mut out, &all[..4]);
        out.push(',');
        push(&mut out, &all[all.len() - 4..]);
    }
    out
}

/// Where the first `…` or `...` of `words` starts; its length if none.
/// (A searcher for each pattern, set up for each of a hundred thousand
/// notes, cost more than the search.)
fn first_elision(words: &str) -> usize {
    let bytes = words.as_bytes();
    // `…` is E2 80 A6 in UTF-8.
    memchr::memchr2_iter(b'.', 0xE2, bytes)
        .find(|&i| {
            let next = &bytes[i + 1..];
            if bytes[i] == b'.' {
                next.starts_with(b"..")
            } else {
                next.starts_with(&[0x80, 0xA6])
            }
        })
        .unwrap_or(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fragments_encode_and_shorten() {
        assert_eq!(
            text_fragment("https://x.org/a#top", "extended by five-year"),
            "https://x.org/a#:~:text=extended%20by%20five%2Dyear"
        );
        assert_eq!(
            text_fragment(
                "https://x.org/a",
                "one two three four five six seven eight nine"
            ),
            "https://x.org/a#:~:text=one%20two%20three%20four,six%20seven%20eight%20nine"
        );
        // Only the words before the first elision; a lone full stop is
        // a word's.
        assert_eq!(
            text_fragment("https://x.org/a", "the U.S. said … it would"),
            "https://x.org/a#:~:text=the%20U%2ES%2E%20said"
        );
        assert_eq!(
            text_fragment("https://x.org/a", "café opened... then shut"),
            "https://x.org/a#:~:text=caf%C3%A9%20opened"
        );
    }

    #[test]
    fn untrusted_markdown_is_inert() {
        let html =
            untrusted_markdown("Hi <script>alert(1)</script> [x](javascript:alert(1)) **ok**");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(html.contains("<strong>ok</strong>"));
    }

    /// The good fixture's site, rendered with the topics' bodies taken out
    /// of the dossier (as a build renders) or left in it (as `serve`
    /// does), in one part or in two: the files by path.
    fn rendered(take_bodies: bool, parts: &[Part]) -> Vec<Output> {
        let dir = crate::testing::copied_fixture("good");
        let mut diagnostics = crate::diagnostics::Diagnostics::default();
        let raw = crate::load::load(dir.path()).unwrap();
        let mut d = crate::resolve::resolve(
            crate::parse::parse(raw, &mut diagnostics),
            false,
            &mut diagnostics,
        );
        assert_eq!(diagnostics.error_count(), 0);
        let analysis = crate::analysis::analyse(&d);
        let mut bodies = if take_bodies { d.take_bodies() } else { None };
        assert_eq!(bodies.is_some(), take_bodies);
        let sink = Collect::default();
        for &part in parts {
            render(
                &d,
                &analysis,
                "/",
                &Selection::All,
                part,
                &sink,
                bodies.take(),
            )
            .unwrap();
        }
        if take_bodies {
            assert!(d.topics.iter().all(|t| t.topic.doc.html.is_empty()));
        }
        sink.into_sorted()
    }

    #[test]
    fn taking_the_bodies_out_makes_the_same_site() {
        let taken = rendered(true, &[Part::All]);
        let paths = |outputs: &[Output]| -> Vec<String> {
            outputs.iter().map(|o| o.path.clone()).collect()
        };
        for kept in [
            rendered(false, &[Part::All]),
            rendered(false, &[Part::Pages, Part::Listings]),
        ] {
            assert_eq!(paths(&kept), paths(&taken));
            for (k, t) in kept.iter().zip(&taken) {
                assert!(k == t, "{} differs", k.path);
            }
        }
        // The topic pages have their bodies, and the index their words.
        let page = taken
            .iter()
            .find(|o| o.path.starts_with("topics/") && o.path.ends_with("index.html"))
            .unwrap();
        let Contents::Bytes(html) = &page.contents else {
            panic!("{} is not made in memory", page.path)
        };
        assert!(String::from_utf8_lossy(html).contains("<div class=\"body\">\n<"));
    }
}
