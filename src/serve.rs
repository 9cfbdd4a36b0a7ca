//! `dossier serve`: build into memory, serve over HTTP, rebuild on change.
//!
//! The site lives in a map from path to bytes; nothing is written to disk.
//! A watcher (notify) reruns the pipeline when `content/`, `templates/`,
//! `static/` or `dossier.toml` change; a save counts once its file is
//! closed or renamed into place. Rebuilds are incremental:
//!
//! - an edit to topic files the last build had reads and parses those
//!   files alone, and patches the last dossier ([`resolve::patch`]): only
//!   the edited topics are verified, and their backlinks moved. The other
//!   topics are neither parsed nor verified again; what is left for them is
//!   a pass over the list (to gather warnings), so the edit costs about the
//!   same in a dossier of ten or ten thousand topics;
//! - anything else reads the root again; the [`ParseCache`] re-parses only
//!   the files whose bytes changed, and resolve verifies again only the
//!   topics that changed (unless a source did);
//! - the sources are compared again, and aliases looked for in them, only
//!   when a source (or some topic's aliases) changed;
//! - after an edit to topics, render produces only the pages the edit can
//!   reach (the topic, the sources it cites before and after, its people)
//!   and publishes them first; the listings, the search index and
//!   `dossier.json` follow in a second publication.
//!
//! Each publication tells open pages, through server-sent events, which
//! URL paths changed bytes; a page reloads only when it is one of them (or
//! when a publication may have changed every page: a full rebuild of many
//! files, an error overlay appearing or going).
//!
//! A rebuild that finds content errors keeps the last good site and shows
//! the diagnostics in an overlay on every page until a rebuild succeeds.
//! The reload script (`/__dossier/events`, `/__dossier/live.js`) is
//! injected into HTML only here, never into `build`.
//!
//! Requests are answered only from the map: no request path ever reaches
//! the file system, so `..`, encoded slashes or absolute paths find nothing.

mod http;

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use notify_debouncer_mini::notify::{self, EventKind, RecursiveMode, Watcher};

use crate::diagnostics::{self, Diagnostics, Format};
use crate::parse::{self, ParseCache};
use crate::render::{self, Contents, Output, Selection};
use crate::resolve::{self, Dossier};
use crate::{config, load};

/// What `dossier serve` is asked to do.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The dossier root.
    pub root: PathBuf,
    /// Address to listen on (loopback unless asked otherwise).
    pub bind: IpAddr,
    /// Port; 0 picks a free one.
    pub port: u16,
    /// Include topics marked `draft: true`.
    pub drafts: bool,
}

/// The site as served: what the last good build produced, and the errors of
/// the last build if it failed.
#[derive(Default)]
pub(crate) struct Site {
    pub files: HashMap<String, Arc<Vec<u8>>>,
    pub errors: Option<String>,
}

/// State shared by the watcher and the request threads.
pub(crate) struct Shared {
    pub site: RwLock<Site>,
    /// Bumped at every publication of a rebuild; SSE streams wait on it.
    pub generation: Mutex<Generations>,
    pub changed: Condvar,
}

/// How many publications [`Generations`] remembers the changes of.
const REMEMBERED: usize = 32;

/// The number of the last publication, and which pages the recent ones
/// changed, so that an open page reloads only when it changed.
#[derive(Debug, Default)]
pub(crate) struct Generations {
    pub current: u64,
    /// `(generation, URL paths changed)`, oldest first; `None` for a
    /// publication that may have changed any page.
    recent: std::collections::VecDeque<(u64, Option<Vec<String>>)>,
}

impl Generations {
    /// The URL paths changed after generation `seen`, or `None` when any
    /// page may have changed (or the record no longer reaches back).
    pub(crate) fn changed_since(&self, seen: u64) -> Option<Vec<String>> {
        let mut paths = Vec::new();
        let mut next = seen + 1;
        for (generation, changed) in &self.recent {
            if *generation < next {
                continue;
            }
            if *generation > next {
                return None;
            }
            paths.extend(changed.as_ref()?.iter().cloned());
            next += 1;
        }
        if next <= self.current {
            return None;
        }
        paths.sort();
        paths.dedup();
        Some(paths)
    }
}

impl Shared {
    /// Tells open pages that the site changed: the URL paths whose bytes
    /// changed, or `None` for every page.
    fn publish(&self, changed: Option<Vec<String>>) {
        if let Ok(mut generations) = self.generation.lock() {
            generations.current += 1;
            let current = generations.current;
            generations.recent.push_back((current, changed));
            if generations.recent.len() > REMEMBERED {
                generations.recent.pop_front();
            }
        }
        self.changed.notify_all();
    }
}

/// Runs the server until the process is stopped. `ready` is called with
/// the bound address once requests can be answered.
pub fn serve(options: &ServeOptions, ready: impl FnOnce(SocketAddr)) -> Result<()> {
    let server = tiny_http::Server::http((options.bind, options.port))
        .map_err(|e| anyhow::anyhow!("cannot listen on {}:{}: {e}", options.bind, options.port))?;
    let addr = server
        .server_addr()
        .to_ip()
        .context("the server has no IP address")?;
    let shared = Arc::new(Shared {
        site: RwLock::new(Site::default()),
        generation: Mutex::new(Generations::default()),
        changed: Condvar::new(),
    });
    let mut options = options.clone();
    options.port = addr.port();
    let mut session = Session::new(options.clone());
    session.rebuild(&shared, &[]);

    let (tx, rx) = std::sync::mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(tx)?;
    for watched in watched_paths(&session.root) {
        watcher
            .watch(&watched, RecursiveMode::Recursive)
            .with_context(|| format!("cannot watch {}", watched.display()))?;
    }
    let watcher_shared = Arc::clone(&shared);
    std::thread::spawn(move || {
        let _keep = watcher;
        while let Some(paths) = next_change(&rx, &session) {
            session.rebuild(&watcher_shared, &paths);
        }
    });

    ready(addr);
    for request in server.incoming_requests() {
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || http::answer(request, &shared));
    }
    Ok(())
}

/// How long to wait after a change for more while a file is still open
/// for writing (an editor's save is often several events: write, rename,
/// metadata).
const DEBOUNCE: Duration = Duration::from_millis(40);

/// How long to wait for more once every written file has been closed (or
/// renamed into place): the events of one save come within a millisecond
/// of each other, and the edited page should be on screen at once.
const SETTLE: Duration = Duration::from_millis(2);

/// How long the listings wait after the pages an edit reached are served:
/// long enough for a browser to fetch the reloaded page, short next to the
/// second or so the listings of a large dossier take.
const LISTINGS_DELAY: Duration = Duration::from_millis(50);

/// What an event says about a path.
#[derive(Debug, PartialEq, Eq)]
enum Change {
    /// Being written: more may follow until it is closed.
    Writing,
    /// Complete: renamed into place, removed, or closed after writing.
    Done,
    /// Not a change of content (a read, a change of permissions).
    None,
}

fn change(kind: &EventKind) -> Change {
    use notify::event::{AccessKind, AccessMode, ModifyKind};
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => Change::Done,
        EventKind::Modify(ModifyKind::Metadata(_)) => Change::None,
        EventKind::Modify(ModifyKind::Name(_)) | EventKind::Remove(_) => Change::Done,
        EventKind::Create(_) | EventKind::Modify(_) => Change::Writing,
        _ => Change::None,
    }
}

/// Waits for a change to an input of the build, then gathers the events
/// that follow: for [`SETTLE`] once no changed file is still open for
/// writing, for up to [`DEBOUNCE`] while one is. Reads (which the build
/// itself causes) and metadata changes are ignored. `None` when the watcher
/// is gone.
fn next_change(
    rx: &std::sync::mpsc::Receiver<notify::Result<notify::Event>>,
    session: &Session,
) -> Option<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut writing: HashSet<PathBuf> = HashSet::new();
    loop {
        let event = if paths.is_empty() {
            rx.recv().ok()?
        } else {
            let wait = if writing.is_empty() { SETTLE } else { DEBOUNCE };
            match rx.recv_timeout(wait) {
                Ok(event) => event,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => break,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return None,
            }
        };
        let Ok(event) = event else { continue };
        let kind = change(&event.kind);
        for path in event.paths.into_iter().filter(|p| session.is_input(p)) {
            match kind {
                Change::Writing => {
                    writing.insert(path.clone());
                    paths.push(path);
                }
                Change::Done => {
                    writing.remove(&path);
                    paths.push(path);
                }
                Change::None => {}
            }
        }
    }
    paths.sort();
    paths.dedup();
    Some(paths)
}

fn watched_paths(root: &Path) -> Vec<PathBuf> {
    let mut paths = vec![root.join("content")];
    for extra in ["templates", "static"] {
        if root.join(extra).is_dir() {
            paths.push(root.join(extra));
        }
    }
    // Watching the root itself (not recursively) sees dossier.toml change.
    paths.push(root.join("dossier.toml"));
    paths
}

/// The watcher's side: the caches that make rebuilds incremental.
struct Session {
    options: ServeOptions,
    root: PathBuf,
    cache: ParseCache,
    verified: resolve::VerifyCache,
    compared: crate::analysis::AnalysisCache,
    last: Option<Dossier>,
}

impl Session {
    fn new(options: ServeOptions) -> Session {
        let root = std::path::absolute(&options.root).unwrap_or_else(|_| options.root.clone());
        Session {
            options,
            root,
            cache: ParseCache::default(),
            verified: resolve::VerifyCache::default(),
            compared: crate::analysis::AnalysisCache::default(),
            last: None,
        }
    }

    /// Whether a changed path is an input of the build (not the output, not
    /// an editor's swap file).
    fn is_input(&self, path: &Path) -> bool {
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return false;
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let hidden = name.starts_with('.') || name.ends_with('~') || name.ends_with(".swp");
        let first = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned());
        !hidden
            && matches!(
                first.as_deref(),
                Some("content" | "templates" | "static" | "dossier.toml")
            )
    }

    fn rebuild(&mut self, shared: &Shared, changed: &[PathBuf]) {
        let started = Instant::now();
        let topics_dir = self.root.join("content").join("topics");
        let only_topics = !changed.is_empty() && changed.iter().all(|p| p.starts_with(&topics_dir));
        let verb = if changed.is_empty() {
            "Built"
        } else {
            "Rebuilt"
        };
        let topic_edits = only_topics.then_some(changed);
        let outcome = self.run(topic_edits, &mut |outputs, step| {
            let count = outputs.len();
            let mut site = match shared.site.write() {
                Ok(site) => site,
                Err(poisoned) => poisoned.into_inner(),
            };
            let recovered = site.errors.take().is_some();
            let mut changed = patch(&mut site.files, outputs, step == Step::Everything);
            drop(site);
            if recovered {
                // The overlay was on every page.
                changed = None;
            }
            shared.publish(changed);
            let elapsed = started.elapsed().as_millis();
            match step {
                Step::Everything => println!("{verb} {count} pages and files in {elapsed} ms"),
                Step::Pages => println!("{verb} {count} changed pages in {elapsed} ms"),
                Step::Listings => {
                    println!("Updated {count} listings and search files in {elapsed} ms")
                }
            }
        });
        match outcome {
            Ok(diagnostics) => {
                let _ = diagnostics::emit(&diagnostics, Format::Human);
            }
            Err(report) => {
                eprintln!("{report}");
                let mut site = match shared.site.write() {
                    Ok(site) => site,
                    Err(poisoned) => poisoned.into_inner(),
                };
                site.errors = Some(report);
                drop(site);
                shared.publish(None);
            }
        }
    }

    /// The whole parse: the cache's, when `reparsed` topics were just put
    /// into it (their diagnostics are already in `diagnostics`), else the
    /// root read again.
    fn parse_all(
        &mut self,
        reparsed: bool,
        diagnostics: &mut Diagnostics,
    ) -> anyhow::Result<parse::Parsed> {
        if reparsed && let Some(parsed) = self.cache.parsed() {
            return Ok(parsed);
        }
        *diagnostics = Diagnostics::default();
        let raw = load::load(&self.root)?;
        Ok(parse::parse_cached(raw, &mut self.cache, diagnostics))
    }

    /// One pass of the pipeline, handing the files to serve to `publish`:
    /// all of them at once, or, after an edit to topics only
    /// (`topic_edits`), the pages the edit reached first and the listings
    /// after them. `Err` carries the diagnostics as text.
    fn run(
        &mut self,
        topic_edits: Option<&[PathBuf]>,
        publish: &mut dyn FnMut(Vec<ServedOutput>, Step),
    ) -> Result<Diagnostics, String> {
        let mut diagnostics = Diagnostics::default();
        let io = |e: anyhow::Error| format!("error: {e:#}\n");
        // An edit to topic files the last build had reads those files
        // alone; anything else reads the whole root again.
        let reparsed = match topic_edits {
            Some(paths) => {
                parse::reparse_topics(&self.root, paths, &mut self.cache, &mut diagnostics)
                    .map_err(io)?
            }
            None => None,
        };
        // Links are root-relative on the development server.
        let base_url = config::normalise_base_url(&format!(
            "http://{}:{}/",
            self.options.bind, self.options.port
        ));
        let drafts = self.options.drafts;
        // After an edit to topics, the last dossier is patched where it
        // can be; otherwise everything is resolved again.
        let patched = match (&reparsed, self.last.take()) {
            (Some(edits), Some(last)) => {
                match resolve::patch(last, edits, drafts, &mut diagnostics, &mut self.verified) {
                    Ok(patched) => Some(patched),
                    Err(last) => {
                        self.last = Some(last);
                        None
                    }
                }
            }
            (_, last) => {
                self.last = last;
                None
            }
        };
        let (dossier, selection) = match patched {
            Some((dossier, patch)) => {
                let selection = patched_pages(&dossier, &patch);
                (dossier, selection)
            }
            None => {
                let mut parsed = self
                    .parse_all(reparsed.is_some(), &mut diagnostics)
                    .map_err(io)?;
                parsed.config.base_url = base_url;
                let dossier = resolve::resolve_cached(
                    parsed,
                    drafts,
                    &mut diagnostics,
                    Some(&mut self.verified),
                );
                let selection = match &self.last {
                    Some(last) if topic_edits.is_some() => affected(last, &dossier),
                    _ => Selection::All,
                };
                (dossier, selection)
            }
        };
        diagnostics.read_texts(&self.root);
        if diagnostics.error_count() > 0 {
            return Err(diagnostics::to_human_string(&diagnostics));
        }
        let analysis = crate::analysis::analyse_cached(&dossier, &mut self.compared);
        diagnostics.extend(analysis.diagnostics.iter().cloned());
        let steps: &[(render::Part, Step)] = if matches!(selection, Selection::All) {
            &[(render::Part::All, Step::Everything)]
        } else {
            &[
                (render::Part::Pages, Step::Pages),
                (render::Part::Listings, Step::Listings),
            ]
        };
        for &(part, step) in steps {
            let collected = render::Collect::default();
            render::render(&dossier, &analysis, "/", &selection, part, &collected, None).map_err(
                |e| match e {
                    render::RenderError::Content(errors) => {
                        let mut sink = Diagnostics::default();
                        sink.extend(errors);
                        diagnostics::to_human_string(&sink)
                    }
                    render::RenderError::Io(e) => format!("error: {e:#}\n"),
                },
            )?;
            let outputs = collected
                .into_sorted()
                .into_iter()
                .map(ServedOutput::from)
                .collect::<Result<Vec<_>, _>>()?;
            publish(outputs, step);
            if step == Step::Pages {
                // The open pages reload now: their requests get the
                // processor before the listings take both cores.
                std::thread::sleep(LISTINGS_DELAY);
            }
        }
        self.last = Some(dossier);
        Ok(diagnostics)
    }
}

/// Which files one publication of a rebuild carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// The whole site, replacing the previous one.
    Everything,
    /// The pages an edit reached.
    Pages,
    /// The listings, the search index and `dossier.json` after them.
    Listings,
}

/// Most pages one reload event names; beyond it, every page reloads.
const MAX_NAMED_CHANGES: usize = 1000;

/// Puts `outputs` into the served files (replacing all of them when
/// `whole`); returns the URL paths whose bytes changed, or `None` when
/// there are too many to name.
fn patch(
    files: &mut HashMap<String, Arc<Vec<u8>>>,
    outputs: Vec<ServedOutput>,
    whole: bool,
) -> Option<Vec<String>> {
    let mut changed = Vec::new();
    let mut kept = HashSet::new();
    for output in outputs {
        let same = files
            .get(&output.path)
            .is_some_and(|old| **old == output.bytes);
        if !same {
            changed.push(url_path(&output.path));
        }
        if whole {
            kept.insert(output.path.clone());
        }
        if !same {
            files.insert(output.path, Arc::new(output.bytes));
        }
    }
    if whole {
        files.retain(|path, _| {
            let keep = kept.contains(path);
            if !keep {
                changed.push(url_path(path));
            }
            keep
        });
    }
    changed.sort();
    (changed.len() <= MAX_NAMED_CHANGES).then_some(changed)
}

/// The URL path a file is served at: `topics/x/index.html` at `/topics/x/`.
fn url_path(file: &str) -> String {
    let file = file.strip_suffix("index.html").unwrap_or(file);
    format!("/{file}")
}

/// An output with its bytes in memory (static files are read once here).
struct ServedOutput {
    path: String,
    bytes: Vec<u8>,
}

impl ServedOutput {
    fn from(output: Output) -> Result<ServedOutput, String> {
        let bytes = match output.contents {
            Contents::Bytes(bytes) => bytes,
            Contents::Pieces(pieces) => pieces.concat(),
            Contents::Copy(path) => std::fs::read(&path)
                .map_err(|e| format!("error: cannot read {}: {e}\n", path.display()))?,
        };
        Ok(ServedOutput {
            path: output.path,
            bytes,
        })
    }
}

/// The pages a patched dossier changed: the edited topics, the sources
/// they cite and cited, the people they name and named.
fn patched_pages(d: &Dossier, patch: &resolve::Patch) -> Selection {
    let mut sources = patch.sources_before.clone();
    let mut people: HashSet<String> = patch.people_before.iter().map(slug::slugify).collect();
    for &t in &patch.topics {
        reached_from(d, &d.topics[t], &mut sources, &mut people);
    }
    Selection::some(patch.topics.iter().copied(), sources, people)
}

/// The pages an edit to topic files can have changed, comparing the new
/// dossier with the last one. A topic added or removed (or anything that
/// changed beyond topics) renders everything.
fn affected(old: &Dossier, new: &Dossier) -> Selection {
    let same_everything_else = Arc::ptr_eq(&old.templates, &new.templates)
        && old.config.title == new.config.title
        && old.index.html == new.index.html
        && crate::parse::source::same_sources(
            old.sources.iter().map(|s| &s.source),
            new.sources.iter().map(|s| &s.source),
        );
    let old_topics: HashMap<&str, &resolve::ResolvedTopic> = old
        .topics
        .iter()
        .map(|t| (t.topic.slug.as_str(), t))
        .collect();
    if !same_everything_else
        || old.topics.len() != new.topics.len()
        || new
            .topics
            .iter()
            .any(|t| !old_topics.contains_key(t.topic.slug.as_str()))
    {
        return Selection::All;
    }
    // The sources are the same, in the same order: their indices in the
    // old dossier are those in the new one.
    let mut topics = Vec::new();
    let mut sources = Vec::new();
    let mut people = HashSet::new();
    for (i, t) in new.topics.iter().enumerate() {
        let before = old_topics[t.topic.slug.as_str()];
        if Arc::ptr_eq(&before.topic, &t.topic) {
            continue;
        }
        topics.push(i);
        reached_from(old, before, &mut sources, &mut people);
        reached_from(new, t, &mut sources, &mut people);
    }
    Selection::some(topics, sources, people)
}

/// Adds the source pages and people pages a topic's page links to.
fn reached_from(
    d: &Dossier,
    topic: &resolve::ResolvedTopic,
    sources: &mut Vec<usize>,
    people: &mut HashSet<String>,
) {
    sources.extend(crate::render::views::cited_sources(d, topic));
    for p in &topic.topic.meta.people {
        people.insert(slug::slugify(p));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(list: &[&str]) -> Option<Vec<String>> {
        Some(list.iter().map(|p| (*p).to_owned()).collect())
    }

    #[test]
    fn a_save_is_complete_when_the_file_is_closed_or_renamed_into_place() {
        use notify::event::{
            AccessKind, AccessMode, CreateKind, DataChange, MetadataKind, ModifyKind, RemoveKind,
            RenameMode,
        };
        let cases = [
            (EventKind::Create(CreateKind::File), Change::Writing),
            (
                EventKind::Modify(ModifyKind::Data(DataChange::Any)),
                Change::Writing,
            ),
            (
                EventKind::Access(AccessKind::Close(AccessMode::Write)),
                Change::Done,
            ),
            (
                EventKind::Modify(ModifyKind::Name(RenameMode::To)),
                Change::Done,
            ),
            (EventKind::Remove(RemoveKind::File), Change::Done),
            (
                EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any)),
                Change::None,
            ),
            (
                EventKind::Access(AccessKind::Close(AccessMode::Read)),
                Change::None,
            ),
        ];
        for (kind, expected) in cases {
            assert_eq!(change(&kind), expected, "{kind:?}");
        }
    }

    #[test]
    fn changes_since_a_generation_are_the_union_of_the_later_ones() {
        let shared = Shared {
            site: RwLock::new(Site::default()),
            generation: Mutex::new(Generations::default()),
            changed: Condvar::new(),
        };
        shared.publish(None);
        shared.publish(paths(&["/topics/a/", "/sources/s/"]));
        shared.publish(paths(&["/", "/topics/a/"]));
        let g = shared.generation.lock().unwrap();
        assert_eq!(g.current, 3);
        assert_eq!(g.changed_since(3), paths(&[]));
        assert_eq!(g.changed_since(2), paths(&["/", "/topics/a/"]));
        assert_eq!(
            g.changed_since(1),
            paths(&["/", "/sources/s/", "/topics/a/"])
        );
        // The first publication could have changed any page.
        assert_eq!(g.changed_since(0), None);
    }

    #[test]
    fn changes_older_than_the_record_reload_everything() {
        let mut g = Generations::default();
        for _ in 0..REMEMBERED + 5 {
            g.current += 1;
            let current = g.current;
            g.recent.push_back((current, paths(&["/x/"])));
            if g.recent.len() > REMEMBERED {
                g.recent.pop_front();
            }
        }
        assert_eq!(g.changed_since(g.current - 1), paths(&["/x/"]));
        assert_eq!(g.changed_since(1), None);
    }

    #[test]
    fn patching_reports_only_files_whose_bytes_changed() {
        let out = |path: &str, bytes: &str| ServedOutput {
            path: path.to_owned(),
            bytes: bytes.as_bytes().to_vec(),
        };
        let mut files = HashMap::new();
        patch(
            &mut files,
            vec![out("index.html", "home"), out("topics/a/index.html", "a")],
            true,
        );
        let changed = patch(
            &mut files,
            vec![out("index.html", "home"), out("topics/a/index.html", "a2")],
            false,
        );
        assert_eq!(changed, paths(&["/topics/a/"]));
        // A whole new site also names the files it no longer has.
        let changed = patch(&mut files, vec![out("index.html", "home")], true);
        assert_eq!(changed, paths(&["/topics/a/"]));
        assert_eq!(files.len(), 1);
    }
}
