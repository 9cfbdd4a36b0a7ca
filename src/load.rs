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
    let topics = files_in(&content.join("topics"), false)?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| read(root, &p))
        .collect::<Result<Vec<_>>>()?;
    let sources = files_in(&content.join("sources"), false)?
        .into_iter()
        .map(|p| read(root, &p))
        .collect::<Result<Vec<_>>>()?;
    let templates_dir = root.join("templates");
    let templates = files_in(&templates_dir, true)?
        .into_iter()
        .map(|p| Ok((relative(&templates_dir, &p), read(root, &p)?)))
        .collect::<Result<Vec<_>>>()?;
    let static_dir = root.join("static");
    let statics = files_in(&static_dir, true)?
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
    })
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

/// Regular files under `dir` (recursively or not), sorted, skipping hidden
/// files. Symbolic links are not followed, so nothing outside the root is
/// read through one. A missing folder has no files.
fn files_in(dir: &Path, recursive: bool) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let walker = WalkDir::new(dir)
        .min_depth(1)
        .max_depth(if recursive { usize::MAX } else { 1 })
        .follow_links(false)
        .sort_by_file_name();
    let mut files = Vec::new();
    for entry in walker
        .into_iter()
        .filter_entry(|e| !is_hidden(e.file_name()))
    {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        if entry.file_type().is_file() {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}
