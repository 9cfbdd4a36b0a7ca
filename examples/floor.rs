//! The floor of a build: `cargo run --release --example floor -- --root
//! DIR [--out DIR]`.
//!
//! Reads every `content/topics/*.md` of a dossier, parses and renders its
//! Markdown (after the front matter) with pulldown-cmark and the options
//! dossier's own parser turns on, and writes it to
//! `OUT/topics/<slug>/index.html`, in parallel on every core; nothing else:
//! no front matter, citations, templates, sources, search or checks. It is
//! the least any generator must do with the same notes, so a build's time
//! over this one's says how much dossier does beyond Markdown, on any
//! machine. `bench/run` times it beside each clean build on `/dev/shm`.
//!
//! Pages already in `OUT` (default `ROOT/floor-public`) are written over;
//! `bench/run` removes the folder before each run, outside the time it
//! measures, as it removes a site before a clean build.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Parser;
use rayon::prelude::*;

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Command-line arguments.
#[derive(Parser)]
#[command(about = "Render a dossier's topic notes with pulldown-cmark alone.")]
struct Args {
    /// The dossier root (holds content/topics/).
    #[arg(long)]
    root: PathBuf,
    /// Where to write the pages.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let out = args.out.unwrap_or_else(|| args.root.join("floor-public"));
    let topics = args.root.join("content/topics");
    let mut notes = Vec::new();
    for entry in fs::read_dir(&topics).with_context(|| format!("reading {}", topics.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "md") {
            notes.push(path);
        }
    }
    let pages = out.join("topics");
    fs::create_dir_all(&pages).with_context(|| format!("creating {}", pages.display()))?;
    notes.par_iter().try_for_each(|note| render(note, &pages))?;
    println!("{} notes rendered into {}", notes.len(), out.display());
    Ok(())
}

/// Renders one note to `pages/<slug>/index.html`.
fn render(note: &Path, pages: &Path) -> Result<()> {
    let text = fs::read_to_string(note).with_context(|| format!("reading {}", note.display()))?;
    let body = dossier::fuzzing::markdown_body(&text);
    let mut html = String::with_capacity(body.len() * 3 / 2);
    let events = pulldown_cmark::Parser::new_ext(body, dossier::fuzzing::markdown_options());
    pulldown_cmark::html::push_html(&mut html, events);
    let slug = note.file_stem().context("a note without a name")?;
    let dir = pages.join(slug);
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let page = dir.join("index.html");
    fs::write(&page, html).with_context(|| format!("writing {}", page.display()))
}
