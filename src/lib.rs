//! dossier: a static site generator for source dossiers.
//!
//! A dossier root holds raw article captures (the evidence, `content/sources/`)
//! and Markdown topic notes whose every claim cites and quotes a source
//! (`content/topics/`). A build verifies every quotation against its source
//! and writes a site where each claim links to the marked passage and each
//! passage links back to the claims.
//!
//! The build is a pipeline of stages over owned values; each stage lives in
//! the module of the same name:
//!
//! ```text
//! load(root)                        -> Raw        walk content/, read bytes; no parsing
//! parse(Raw, &mut Diagnostics)      -> Parsed     front matter, citations, source paragraphs
//! resolve(Parsed, &mut Diagnostics) -> Dossier    ids, quote matching, numbering, backlinks
//! analyse(&Dossier)                 -> Analysis   derived copies, coverage (read-only)
//! render(&Dossier, &dyn Sink, bodies)            tera pages, raw sources, index, static files
//! write: Staging (a Sink) -> commit               staging folder, marker, manifest, atomic swap
//! ```
//!
//! Render hands each file to the sink as soon as it is made, from many
//! threads: a build's [`write`] stage writes it into the staging folder at
//! once (the site is never held in memory whole), `serve` keeps it. A build
//! also takes the topics' bodies out of the dossier and hands them to
//! render, which lets go of each once its page is written; `serve` keeps
//! them for its next rebuild.
//!
//! Content problems are collected as [`Diagnostic`]s, never raised one at a
//! time: a run reports all of them. I/O and usage problems are `anyhow`
//! errors. The binary maps the two to exit codes 1 and 2.

// A Diagnostic is large, but it travels only on the error path, once per
// problem found; boxing it would cost every caller for no measurable gain.
#![allow(clippy::result_large_err)]

mod analysis;
mod config;
pub mod diagnostics;
mod frontmatter;
mod fs;
#[doc(hidden)]
pub mod fuzzing;
mod init;
mod load;
mod parse;
mod quote;
mod render;
mod resolve;
mod serve;
#[cfg(test)]
mod testing;
mod usage;
mod write;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

pub use analysis::{Rewrite, find_rewrites};
pub use diagnostics::{Diagnostic, Diagnostics, Format, Severity};
pub use init::init;
pub use serve::{ServeOptions, serve};
pub use usage::{cpu_time, peak_memory};
pub use write::MARKER;

/// The most items of a list of files, topics, sources or pages that one
/// parallel task takes (`with_max_len`).
///
/// rayon cuts a list into about four pieces per thread up front, and cuts
/// a piece again only when another thread steals it; a piece a thread has
/// begun is never cut. On two cores the thread that runs out of work first
/// can then wait for the whole of the other's last piece, up to a quarter
/// of the list: at 10,000 topics, one core parsed alone for 350 ms in one
/// build of three. Pieces this small leave a few milliseconds to wait for,
/// and cost a task each (about a microsecond).
pub(crate) const PIECE: usize = 16;

/// What `dossier build` is asked to do.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// The dossier root (holds `dossier.toml` and `content/`).
    pub root: PathBuf,
    /// Where the site goes; `ROOT/public` when `None`.
    pub out: Option<PathBuf>,
    /// Replaces the config's `base_url`.
    pub base_url: Option<String>,
    /// Include topics marked `draft: true`.
    pub drafts: bool,
}

/// Counts for the summary line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Topics published.
    pub topics: usize,
    /// Sources published.
    pub sources: usize,
    /// Citations verified.
    pub citations: usize,
    /// HTML pages written.
    pub pages: usize,
    /// All files written.
    pub files: usize,
    /// Time the whole run took.
    pub elapsed: Duration,
    /// The folder written.
    pub out: PathBuf,
}

/// What a run found: its diagnostics and, when it succeeded, its counts.
#[derive(Debug)]
pub struct Report {
    /// Every problem found, errors and warnings.
    pub diagnostics: Diagnostics,
    /// `Some` when the run succeeded.
    pub summary: Option<Summary>,
}

/// Builds the site. `Err` is an I/O or usage error; content errors are in
/// the report (and then nothing was written).
pub fn build(options: &BuildOptions) -> Result<Report> {
    build_observed(options, &|_| {})
}

/// A stage of the pipeline, as reported to a progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Reading files.
    Load,
    /// Front matter, Markdown, source paragraphs.
    Parse,
    /// Verifying quotations, numbering, backlinks; the sources are compared
    /// with one another at the same time.
    Resolve,
    /// What is left of the analysis: describing the rewrites found, and
    /// coverage.
    Analyse,
    /// Templates, each file written to the staging folder as it is made.
    Render,
    /// Swapping the staged site in.
    Write,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stage::Load => "reading files",
            Stage::Parse => "parsing",
            Stage::Resolve => "verifying citations",
            Stage::Analyse => "comparing sources",
            Stage::Render => "rendering and writing pages",
            Stage::Write => "putting the site in place",
        })
    }
}

/// [`build`], telling `observe` as each stage starts.
pub fn build_observed(options: &BuildOptions, observe: &dyn Fn(Stage)) -> Result<Report> {
    let started = Instant::now();
    let mut diagnostics = Diagnostics::default();
    observe(Stage::Load);
    let raw = load::load(&options.root)?;
    observe(Stage::Parse);
    let mut parsed = parse::parse(raw, &mut diagnostics);
    if let Some(url) = &options.base_url {
        if let Err(message) = config::check_base_url(url) {
            bail!("--base-url: {message}");
        }
        parsed.config.base_url = config::normalise_base_url(url);
    }
    observe(Stage::Resolve);
    // The sources are compared while the citations are verified: the
    // comparison needs nothing but the sources (which resolve keeps in the
    // same order).
    let mut compared = analysis::AnalysisCache::default();
    let sources = parsed.sources.clone();
    let (mut dossier, ()) = rayon::join(
        || resolve::resolve(parsed, options.drafts, &mut diagnostics),
        || compared.compare(&sources.iter().collect::<Vec<_>>()),
    );
    drop(sources);
    diagnostics.read_texts(&options.root);
    if diagnostics.error_count() > 0 {
        return Ok(Report {
            diagnostics,
            summary: None,
        });
    }
    observe(Stage::Analyse);
    let analysis = analysis::analyse_cached(&dossier, &mut compared);
    compared.let_go_of_topics();
    // What the comparison kept of the sources (their sentences and
    // shingles) and what verification read are not needed to render:
    // freed side by side, and before rendering starts, so that neither
    // adds to rendering's peak (at 10,000 topics each takes 5 to 7 ms).
    rayon::join(|| drop(compared), || dossier.release_verification_inputs());
    diagnostics.extend(analysis.diagnostics.iter().cloned());
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| options.root.join("public"));
    let staging = write::Staging::begin(&out)?;
    observe(Stage::Render);
    let base_path = config::base_path(&dossier.config.base_url);
    // Each topic's body is let go once its page is written.
    let bodies = dossier.take_bodies();
    let rendered = render::render(
        &dossier,
        &analysis,
        &base_path,
        &render::Selection::All,
        render::Part::All,
        &staging,
        bodies,
    );
    match rendered {
        Ok(()) => {}
        Err(render::RenderError::Content(errors)) => {
            diagnostics.extend(errors);
            return Ok(Report {
                diagnostics,
                summary: None,
            });
        }
        Err(render::RenderError::Io(e)) => return Err(e),
    }
    observe(Stage::Write);
    let (files, pages) = staging.commit()?;
    let summary = Summary {
        topics: dossier.topics.len(),
        sources: dossier.sources.len(),
        citations: dossier
            .topics
            .iter()
            .map(|t| t.topic.doc.citations.len())
            .sum(),
        pages,
        files,
        elapsed: started.elapsed(),
        out,
    };
    free_elsewhere((dossier, analysis));
    Ok(Report {
        diagnostics,
        summary: Some(summary),
    })
}

/// Checks the content (drafts included) without writing anything.
pub fn check(root: &std::path::Path) -> Result<Report> {
    check_coverage(root).map(|(report, _)| report)
}

/// A source paragraph that mentions a topic's aliases but is not cited by
/// that topic (`dossier check --coverage`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uncited {
    /// The topic's slug.
    pub topic: String,
    /// The topic's title.
    pub topic_title: String,
    /// The topic's file, relative to the root.
    pub topic_file: String,
    /// The source's id.
    pub source: String,
    /// The source text's path, relative to the root.
    pub file: String,
    /// The paragraph's number (its anchor is `p-N`).
    pub paragraph: usize,
    /// The 1-based line of the file where the paragraph starts.
    pub line: usize,
    /// The aliases found in the paragraph.
    pub aliases: Vec<String>,
    /// The paragraph's text, wraps joined.
    pub text: String,
}

/// [`check`], also listing the paragraphs that mention a topic's aliases
/// without being cited by it, by topic, source and paragraph.
pub fn check_coverage(root: &std::path::Path) -> Result<(Report, Vec<Uncited>)> {
    let started = Instant::now();
    let mut diagnostics = Diagnostics::default();
    let raw = load::load(root)?;
    let parsed = parse::parse_for_check(raw, &mut diagnostics);
    let dossier = resolve::resolve(parsed, true, &mut diagnostics);
    diagnostics.read_texts(root);
    let analysis = analysis::analyse(&dossier);
    diagnostics.extend(analysis.diagnostics.iter().cloned());
    let uncited = uncited(&dossier, &analysis);
    let summary = (diagnostics.error_count() == 0).then(|| Summary {
        topics: dossier.topics.len(),
        sources: dossier.sources.len(),
        citations: dossier
            .topics
            .iter()
            .map(|t| t.topic.doc.citations.len())
            .sum(),
        pages: 0,
        files: 0,
        elapsed: started.elapsed(),
        out: PathBuf::new(),
    });
    free_elsewhere((dossier, analysis));
    Ok((
        Report {
            diagnostics,
            summary,
        },
        uncited,
    ))
}

/// Frees `value` on another thread. Freeing a large dossier takes a
/// noticeable share of a build or a check (some 30 ms at 10,000 topics);
/// the caller has what it needs, and a process that exits first never
/// waits for it.
fn free_elsewhere<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}

fn uncited(dossier: &resolve::Dossier, analysis: &analysis::Analysis) -> Vec<Uncited> {
    let mut out = Vec::new();
    for (t, mentions) in analysis.coverage.iter().enumerate() {
        let topic = &dossier.topics[t].topic;
        for m in mentions {
            let source = &dossier.sources[m.source].source;
            let paragraph = &source.paragraphs[m.paragraph];
            let offset = paragraph.raw_offset(0).min(source.raw.len());
            out.push(Uncited {
                topic: topic.slug.clone(),
                topic_title: topic.meta.title.clone(),
                topic_file: topic.path.clone(),
                source: source.id.clone(),
                file: source.text_path.clone(),
                paragraph: m.paragraph + 1,
                line: source.raw[..offset].iter().filter(|&&b| b == b'\n').count() + 1,
                aliases: m
                    .aliases
                    .iter()
                    .map(|&a| topic.meta.aliases[a].clone())
                    .collect(),
                text: paragraph.text.clone(),
            });
        }
    }
    out
}
