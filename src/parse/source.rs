//! Sources: a captured text (`<id>.txt`) and its sidecar (`<id>.yaml`).
//!
//! The text is evidence and is never changed: its raw bytes are kept for
//! publishing and hashing, and only a decoded copy (byte-order mark
//! stripped) is split into paragraphs. Invalid UTF-8 is an error that names
//! the byte offset, since a capture that does not decode cannot be quoted.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use rayon::prelude::*;

use super::citation::is_valid_id;
use super::paragraphs::{self, Paragraph};
use super::{Cached, content_hash};
use crate::diagnostics::Diagnostic;
use crate::frontmatter::{self, Date, WebUrl};
use crate::load::RawFile;
use crate::quote::SourceIndex;

/// The sidecar's fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourceMeta {
    pub title: String,
    pub publisher: String,
    pub url: Option<WebUrl>,
    pub archive: Option<WebUrl>,
    pub published: Option<Date>,
    pub retrieved: Option<Date>,
    pub author: Option<String>,
    pub language: Option<String>,
    pub note: Option<String>,
    pub derived_from: Option<String>,
}

/// A parsed source.
#[derive(Debug)]
pub(crate) struct Source {
    /// The file stem shared by text and sidecar.
    pub id: String,
    /// Path of the text, relative to the root.
    pub text_path: String,
    /// Path of the sidecar, relative to the root.
    pub sidecar_path: String,
    /// The sidecar's text, for locating later errors in it.
    pub sidecar_text: Arc<str>,
    /// Sidecar fields.
    pub meta: SourceMeta,
    /// The text's bytes as captured.
    pub raw: Vec<u8>,
    /// SHA-256 of `raw`, lowercase hex.
    pub sha256: String,
    /// The text's paragraphs.
    pub paragraphs: Vec<Paragraph>,
    /// The paragraphs normalised for quote search.
    pub index: SourceIndex,
}

/// Whether two lists hold the very same parsed sources, in the same order.
/// The parse cache hands back the same `Arc` for a file whose bytes did
/// not change, so this tells whether any source changed between builds.
pub(crate) fn same_sources<'a>(
    a: impl ExactSizeIterator<Item = &'a Arc<Source>>,
    b: impl ExactSizeIterator<Item = &'a Arc<Source>>,
) -> bool {
    a.len() == b.len() && a.zip(b).all(|(x, y)| Arc::ptr_eq(x, y))
}

/// Groups the files of `content/sources/` by stem and parses each pair.
pub(crate) fn parse_all(
    files: Vec<RawFile>,
    max_bytes: usize,
    cache: &mut HashMap<String, Cached<Source>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<Arc<Source>>, HashSet<String>) {
    let mut pairs: BTreeMap<String, (Option<RawFile>, Option<RawFile>)> = BTreeMap::new();
    for file in files {
        let name = file
            .path
            .rsplit('/')
            .next()
            .unwrap_or(&file.path)
            .to_owned();
        let (stem, ext) = name.rsplit_once('.').unwrap_or((&name, ""));
        let slot = match ext {
            "txt" => 0,
            "yaml" => 1,
            "yml" => {
                diagnostics.push(
                    Diagnostic::file(&file.path, "source sidecars end in `.yaml`".into())
                        .with_help(format!("rename it to `{stem}.yaml`")),
                );
                continue;
            }
            _ => {
                diagnostics.push(
                    Diagnostic::file(
                        &file.path,
                        "not a source text (.txt) or sidecar (.yaml); ignored".into(),
                    )
                    .warning(),
                );
                continue;
            }
        };
        let entry = pairs.entry(stem.to_owned()).or_default();
        if slot == 0 {
            entry.0 = Some(file)
        } else {
            entry.1 = Some(file)
        }
    }
    // Ids whose files are there but do not make a usable source: citing
    // them is not also an "unknown source" error.
    let mut broken = HashSet::new();
    let mut complete = Vec::with_capacity(pairs.len());
    for (id, pair) in pairs {
        if !matches!(pair, (Some(_), Some(_))) {
            broken.insert(id.clone());
        }
        match pair {
            (Some(text), Some(sidecar)) => complete.push((id, text, sidecar)),
            (Some(text), None) => diagnostics.push(
                Diagnostic::file(&text.path, format!("source `{id}` has no sidecar")).with_help(
                    format!("create `{id}.yaml` with at least `title:` and `publisher:`"),
                ),
            ),
            (None, Some(sidecar)) => diagnostics.push(Diagnostic::file(
                &sidecar.path,
                format!("sidecar has no source text: `{id}.txt` is missing"),
            )),
            (None, None) => {}
        }
    }
    let results: Vec<(String, Cached<Source>)> = complete
        .into_par_iter()
        .with_max_len(crate::PIECE)
        .map(|(id, text, sidecar)| {
            let hash = content_hash(&[&text.bytes, &sidecar.bytes]);
            if text.bytes.len() > max_bytes {
                let d = too_large(&text.path, text.bytes.len(), max_bytes);
                return (
                    id,
                    Cached {
                        hash,
                        value: None,
                        diagnostics: vec![d],
                    },
                );
            }
            if let Some(hit) = cache.get(&id).filter(|hit| hit.hash == hash) {
                return (id, hit.clone());
            }
            let mut diags = Vec::new();
            let source = parse_pair(&id, text, sidecar, &mut diags).map(Arc::new);
            (
                id,
                Cached {
                    hash,
                    value: source,
                    diagnostics: diags,
                },
            )
        })
        .collect();
    cache.clear();
    let mut sources = Vec::with_capacity(results.len());
    for (id, cached) in results {
        diagnostics.extend(cached.diagnostics.iter().cloned());
        match &cached.value {
            Some(source) => sources.push(Arc::clone(source)),
            None => {
                broken.insert(id.clone());
            }
        }
        cache.insert(id, cached);
    }
    (sources, broken)
}

/// The error for a source text over the size limit.
fn too_large(path: &str, bytes: usize, max_bytes: usize) -> Diagnostic {
    const MIB: f64 = 1024.0 * 1024.0;
    Diagnostic::file(
        path,
        format!(
            "source text is {:.1} MiB, over the limit of {} MiB",
            bytes as f64 / MIB,
            max_bytes / (1024 * 1024)
        ),
    )
    .with_help("split the capture into several sources, or raise `max_source_mib` in dossier.toml")
}

fn parse_pair(
    id: &str,
    text: RawFile,
    sidecar: RawFile,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Source> {
    if !is_valid_id(id) {
        diagnostics.push(
            Diagnostic::file(&text.path, format!("`{id}` is not a valid source id"))
                .with_help("name source files with lowercase letters, digits and hyphens, like `moscow-times-2021.txt`"),
        );
        return None;
    }
    let sidecar_text = match decode(&sidecar) {
        Ok((s, _)) => Arc::<str>::from(s),
        Err(d) => {
            diagnostics.push(d);
            return None;
        }
    };
    let meta =
        frontmatter::parse::<SourceMeta>(&sidecar.path, &sidecar_text, 0..sidecar_text.len());
    let decoded = decode(&text);
    let (meta, (body, bom)) = match (meta, decoded) {
        (Ok(meta), Ok(decoded)) => (meta, decoded),
        (meta, decoded) => {
            diagnostics.extend(meta.err());
            diagnostics.extend(decoded.err());
            return None;
        }
    };
    for (value, key) in [(&meta.title, "title"), (&meta.publisher, "publisher")] {
        if value.trim().is_empty() {
            let span = frontmatter::key_span(&sidecar_text, 0..sidecar_text.len(), key);
            diagnostics.push(Diagnostic::at(
                &sidecar.path,
                &sidecar_text,
                span,
                format!("`{key}` must not be empty"),
            ));
        }
    }
    let paragraphs = paragraphs::split(body, bom);
    let index = SourceIndex::new(&paragraphs);
    let sha256 = hex(&Sha256::digest(&text.bytes));
    Some(Source {
        id: id.to_owned(),
        text_path: text.path,
        sidecar_path: sidecar.path,
        sidecar_text,
        meta,
        raw: text.bytes,
        sha256,
        paragraphs,
        index,
    })
}

/// Decodes a file as UTF-8 without its byte-order mark; returns the text
/// and the length of the mark that was stripped.
pub(crate) fn decode(file: &RawFile) -> Result<(&str, usize), Diagnostic> {
    let bom = if file.bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    std::str::from_utf8(&file.bytes[bom..])
        .map(|s| (s, bom))
        .map_err(|e| {
            Diagnostic::file(
                &file.path,
                format!(
                    "not valid UTF-8: invalid byte at offset {}",
                    bom + e.valid_up_to()
                ),
            )
            .with_help("save the file as UTF-8")
        })
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        })
}
