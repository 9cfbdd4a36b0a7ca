//! `dossier serve`: build into memory, serve over HTTP, rebuild on change.
//!
//! The site lives in a map from path to bytes; nothing is written to disk.
//! A watcher (notify, debounced) reruns the pipeline when `content/`,
//! `templates/`, `static/` or `dossier.toml` change. Rebuilds are
//! incremental: the [`ParseCache`] re-parses only files whose bytes
//! changed, resolve runs on the whole dossier (it is cheap and backlinks are
//! global), and when only topics changed, render produces only the pages an
//! edit can reach (the topic, the sources it cites before and after, its
//! people, and the listings) and patches them into the map.
//!
//! A rebuild that finds content errors keeps the last good site and shows
//! the diagnostics in an overlay on every page until a rebuild succeeds.
//! Open pages reload through server-sent events (`/__dossier/events`); the
//! reload script is injected into HTML only here, never into `build`.
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
    /// Bumped after every rebuild; SSE streams wait on it.
    pub generation: Mutex<u64>,
    pub changed: Condvar,
}

impl Shared {
    fn publish(&self) {
        if let Ok(mut generation) = self.generation.lock() {
            *generation += 1;
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
        generation: Mutex::new(0),
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

/// How long to wait after a change for more (an editor's save is often
/// several events: write, rename, metadata).
const DEBOUNCE: Duration = Duration::from_millis(40);

/// Waits for a change to an input of the build, then gathers the events
/// that follow within [`DEBOUNCE`]. Reads (which the build itself causes)
/// and metadata changes are ignored. `None` when the watcher is gone.
fn next_change(
    rx: &std::sync::mpsc::Receiver<notify::Result<notify::Event>>,
    session: &Session,
) -> Option<Vec<PathBuf>> {
    let relevant = |event: notify::Result<notify::Event>| -> Vec<PathBuf> {
        match event {
            Ok(e) if is_content_change(&e.kind) => e
                .paths
                .into_iter()
                .filter(|p| session.is_input(p))
                .collect(),
            _ => Vec::new(),
        }
    };
    let mut paths = Vec::new();
    while paths.is_empty() {
        paths = relevant(rx.recv().ok()?);
    }
    while let Ok(event) = rx.recv_timeout(DEBOUNCE) {
        paths.extend(relevant(event));
    }
    paths.sort();
    paths.dedup();
    Some(paths)
}

fn is_content_change(kind: &EventKind) -> bool {
    use notify::event::ModifyKind;
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        _ => false,
    }
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
    last: Option<Dossier>,
}

impl Session {
    fn new(options: ServeOptions) -> Session {
        let root = std::path::absolute(&options.root).unwrap_or_else(|_| options.root.clone());
        Session {
            options,
            root,
            cache: ParseCache::default(),
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
        let outcome = self.run(only_topics);
        let mut site = match shared.site.write() {
            Ok(site) => site,
            Err(poisoned) => poisoned.into_inner(),
        };
        match outcome {
            Ok((outputs, partial, diagnostics)) => {
                let _ = diagnostics::emit(&diagnostics, Format::Human);
                if !partial {
                    site.files.clear();
                }
                let count = outputs.len();
                for output in outputs {
                    site.files.insert(output.path, Arc::new(output.bytes));
                }
                site.errors = None;
                let what = if changed.is_empty() {
                    "Built"
                } else {
                    "Rebuilt"
                };
                let scope = if partial {
                    "changed pages"
                } else {
                    "pages and files"
                };
                println!(
                    "{what} {count} {scope} in {} ms",
                    started.elapsed().as_millis()
                );
            }
            Err(report) => {
                eprintln!("{report}");
                site.errors = Some(report);
            }
        }
        drop(site);
        shared.publish();
    }

    /// One pass of the pipeline. `Ok` carries the files to serve and whether
    /// they patch the previous site; `Err` the diagnostics as text.
    fn run(&mut self, only_topics: bool) -> Result<(Vec<ServedOutput>, bool, Diagnostics), String> {
        let mut diagnostics = Diagnostics::default();
        let raw = load::load(&self.root).map_err(|e| format!("error: {e:#}\n"))?;
        let mut parsed = parse::parse_cached(raw, &mut self.cache, &mut diagnostics);
        // Links are root-relative on the development server.
        parsed.config.base_url = config::normalise_base_url(&format!(
            "http://{}:{}/",
            self.options.bind, self.options.port
        ));
        let dossier = resolve::resolve(parsed, self.options.drafts, &mut diagnostics);
        if diagnostics.error_count() > 0 {
            return Err(diagnostics::to_human_string(&diagnostics));
        }
        let selection = match &self.last {
            Some(last) if only_topics => affected(last, &dossier),
            _ => Selection::All,
        };
        let partial = !matches!(selection, Selection::All);
        let analysis = crate::analysis::analyse(&dossier);
        diagnostics.extend(analysis.diagnostics.iter().cloned());
        let collected = render::Collect::default();
        render::render(&dossier, &analysis, "/", &selection, &collected).map_err(|e| match e {
            render::RenderError::Content(errors) => {
                let mut sink = Diagnostics::default();
                sink.extend(errors);
                diagnostics::to_human_string(&sink)
            }
            render::RenderError::Io(e) => format!("error: {e:#}\n"),
        })?;
        let outputs = collected
            .into_sorted()
            .into_iter()
            .map(ServedOutput::from)
            .collect::<Result<Vec<_>, _>>()?;
        self.last = Some(dossier);
        Ok((outputs, partial, diagnostics))
    }
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
            Contents::Copy(path) => std::fs::read(&path)
                .map_err(|e| format!("error: cannot read {}: {e}\n", path.display()))?,
        };
        Ok(ServedOutput {
            path: output.path,
            bytes,
        })
    }
}

/// The pages an edit to topic files can have changed, comparing the new
/// dossier with the last one. A topic added or removed (or anything that
/// changed beyond topics) renders everything.
fn affected(old: &Dossier, new: &Dossier) -> Selection {
    let same_everything_else = Arc::ptr_eq(&old.templates, &new.templates)
        && old.config.title == new.config.title
        && old.index.html == new.index.html
        && old.sources.len() == new.sources.len()
        && old
            .sources
            .iter()
            .zip(&new.sources)
            .all(|(a, b)| Arc::ptr_eq(&a.source, &b.source));
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
    let mut topics = HashSet::new();
    let mut sources = HashSet::new();
    let mut people = HashSet::new();
    for t in &new.topics {
        let before = old_topics[t.topic.slug.as_str()];
        if Arc::ptr_eq(&before.topic, &t.topic) {
            continue;
        }
        topics.insert(t.topic.slug.clone());
        for (d, topic) in [(old, before), (new, t)] {
            for s in crate::render::views::cited_sources(d, topic) {
                sources.insert(d.sources[s].source.id.clone());
            }
            for p in &topic.topic.meta.people {
                people.insert(slug::slugify(p));
            }
        }
    }
    Selection::Some {
        topics,
        sources,
        people,
    }
}
