//! Stage 1, load: find the files of a dossier root and read their bytes.
//!
//! In: the root folder. Out: [`Raw`], every file the build needs as bytes,
//! with its path relative to the root. Nothing is parsed here; a missing
//! `dossier.toml` or `content/`, or a file that cannot be read, is an I/O
//! error (exit 2). Files that do not belong (a stray `.md` among sources, a
//! source without its sidecar) are content problems and are left to parse.
//!
//! Discovery is sorted by file name so that every later stage sees the same
//! order on every machine: builds are byte-for-byte reproducible.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use walkdir::WalkDir;

use crate::fs;

/// One file read from the root.
#[derive(Clone, Debug)]
pub(crate) struct RawFile {
    /// Path relative to the root, `/`-separated, as diagnostics show it.
    pub path: String,
    /// The bytes as read.
    pub bytes: Vec<u8>,
}

/// Everything a build reads, unparsed.
#[derive(Debug)]
pub(crate) struct Raw {
    /// `dossier.toml`.
    pub config: RawFile,
    /// `content/index.md`, when present.
    pub index: Option<RawFile>,
    /// `content/topics/*.md`.
    pub topics: Vec<RawFile>,
    /// Files of `content/sources/`: texts, sidecars and anything else found.
    pub sources: Vec<RawFile>,
    /// The root's own templates (`templates/**/*`), named relative to that folder.
    pub templates: Vec<(String, RawFile)>,
    /// The root's own static files, relative to `static/`, with their full path.
    pub statics: Vec<(String, PathBuf)>,
    /// Symbolic links that were not followed.
    pub skipped: Vec<SkippedLink>,
}

/// Reads a dossier root.
pub(crate) fn load(root: &Path) -> Result<Raw> {
    let config_path = root.join("dossier.toml");
    if !config_path.is_file() {
        bail!(
            "{} is not a dossier root: it has no dossier.toml (create one with `dossier init`)",
            root.display()
        );
    }
    let content = root.join("content");
    if !content.is_dir() {
        bail!("{} has no content/ folder", root.display());
    }
    let config = read(root, &config_path)?;
    let index_path = content.join("index.md");
    let index = if index_path.is_file() {
        Some(read(root, &index_path)?)
    } else {
        None
    };
    // Each folder is listed and read on its own side of a join, so the
    // sources are listed while the topics are read: at 10,000 topics a
    // listing takes some 10 ms on one core.
    let list_and_read = |dir: &Path, keep: fn(&Path) -> bool| -> Result<(Vec<RawFile>, Found)> {
        let mut found = files_in(root, dir, false)?;
        let files = std::mem::take(&mut found.files)
            .into_iter()
            .filter(|p| keep(p))
            .collect();
        Ok((read_all(root, files)?, found))
    };
    let (topics, sources) = rayon::join(
        || {
            list_and_read(&content.join("topics"), |p| {
                p.extension().is_some_and(|e| e == "md")
            })
        },
        || list_and_read(&content.join("sources"), |_| true),
    );
    let ((topics, topics_found), (sources, sources_found)) = (topics?, sources?);
    let templates_dir = root.join("templates");
    let static_dir = root.join("static");
    let templates_found = files_in(root, &templates_dir, true)?;
    let statics_found = files_in(root, &static_dir, true)?;
    let skipped = [
        &topics_found,
        &sources_found,
        &templates_found,
        &statics_found,
    ]
    .into_iter()
    .flat_map(|found| &found.skipped)
    .map(|(path, reason, error)| SkippedLink {
        path: relative(root, path),
        reason,
        error: *error,
    })
    .collect();
    let (template_files, static_files) = (templates_found.files, statics_found.files);
    let templates = template_files
        .into_iter()
        .map(|p| Ok((relative(&templates_dir, &p), read(root, &p)?)))
        .collect::<Result<Vec<_>>>()?;
    let statics = static_files
        .into_iter()
        .map(|p| (relative(&static_dir, &p), p))
        .collect();
    Ok(Raw {
        config,
        index,
        topics,
        sources,
        templates,
        statics,
        skipped,
    })
}

/// Reads files on every core (for thousands of small files a read is
/// mostly a system call's fixed cost), in their order; the error is the
/// first file's that cannot be read, as if they were read one by one.
fn read_all(root: &Path, paths: Vec<PathBuf>) -> Result<Vec<RawFile>> {
    let read: Vec<Result<RawFile>> = paths
        .into_par_iter()
        .with_max_len(crate::PIECE)
        .map(|p| read(root, &p))
        .collect();
    read.into_iter().collect()
}

fn read(root: &Path, path: &Path) -> Result<RawFile> {
    Ok(RawFile {
        path: relative(root, path),
        bytes: fs::read(path)?,
    })
}

/// `path` relative to `base`, with `/` separators on every platform.
fn relative(base: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A symbolic link that was not followed, and why.
#[derive(Debug)]
pub(crate) struct SkippedLink {
    /// Path relative to the root.
    pub path: String,
    /// Why it was not followed.
    pub reason: &'static str,
    /// Whether that is an error (it points outside the root) or a warning.
    pub error: bool,
}

/// What a walk of one folder found.
#[derive(Default)]
struct Found {
    files: Vec<PathBuf>,
    skipped: Vec<(PathBuf, &'static str, bool)>,
}

/// Regular files under `dir` (recursively or not), sorted, skipping hidden
/// files. A symbolic link is read only when it leads to a file inside the
/// root; one that leads outside, to a folder, nowhere or in a loop is
/// skipped and reported. A missing folder has no files.
fn files_in(root: &Path, dir: &Path, recursive: bool) -> Result<Found> {
    let mut found = Found::default();
    if !dir.is_dir() {
        return Ok(found);
    }
    let walker = WalkDir::new(dir)
        .min_depth(1)
        .max_depth(if recursive { usize::MAX } else { 1 })
        .follow_links(false)
        .sort_by_file_name();
    let real_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_owned());
    for entry in walker
        .into_iter()
        .filter_entry(|e| !is_hidden(e.file_name()))
    {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let kind = entry.file_type();
        if kind.is_file() {
            found.files.push(entry.into_path());
        } else if kind.is_symlink() {
            match std::fs::canonicalize(entry.path()) {
                Err(_) => found.skipped.push((
                    entry.into_path(),
                    "symbolic link that leads nowhere or in a loop; not followed",
                    false,
                )),
                Ok(target) if !target.starts_with(&real_root) => found.skipped.push((
                    entry.into_path(),
                    "symbolic link to a file outside the dossier root; not followed",
                    true,
                )),
                Ok(target) if target.is_dir() => found.skipped.push((
                    entry.into_path(),
                    "symbolic link to a folder; not followed",
                    false,
                )),
                Ok(_) => found.files.push(entry.into_path()),
            }
        }
    }
    Ok(found)
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}
