//! Stage 5, write: the site on disk, all or nothing.
//!
//! In: the target folder, then each [`Output`] as the render stage makes it
//! (pages are written while others are still being rendered, so the site
//! is never held in memory whole). The site is written to a staging folder
//! beside the target (`.NAME.staging`), then swapped in:
//! on Linux in one step (`renameat2` with `RENAME_EXCHANGE`, so there is no
//! moment without a site), elsewhere with two renames. The previous site is
//! removed only after the new one is in place. A build that fails or is
//! killed leaves the previous site as it was, and the next build removes the
//! stale staging folder.
//!
//! Safety: every folder this stage creates holds a marker file
//! ([`MARKER`]) first. A non-empty target without the marker was not made
//! by dossier and is refused, never deleted.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use anyhow::{Context, Result, bail};
use xxhash_rust::xxh3::xxh3_128;

use crate::fs;
use crate::render::{Contents, Output, Sink};

/// The file that marks a folder as dossier's build output.
pub const MARKER: &str = ".dossier-build";

/// The list of the files a build wrote, with their hashes (XXH3-128) and
/// lengths, one `HASH LENGTH PATH` line each, sorted by path. The next
/// build links the files that did not change instead of writing them.
pub(crate) const MANIFEST: &str = ".dossier-manifest";

const MARKER_TEXT: &[u8] =
    b"This folder is the output of `dossier build` and is replaced by each build.\n";

/// A build's staging folder: files go in as they are rendered, and the
/// folder takes the target's place at [`Staging::commit`]. Dropped without
/// a commit (a content error, a failed write), it is removed and the
/// target is untouched.
#[derive(Debug)]
pub(crate) struct Staging {
    out: PathBuf,
    /// The staging folder, where the files are made by their paths in the
    /// site.
    staging: fs::Folder,
    old: PathBuf,
    /// What the previous build wrote, for reusing its unchanged files.
    previous: Previous,
    /// What this build writes: path, then hash and length.
    manifest: Mutex<Vec<(String, u128, u64)>>,
    /// Folders made so far, relative to the staging folder: each is made
    /// once, not tried again for each of its files.
    folders: Mutex<HashSet<String>>,
    files: AtomicUsize,
    pages: AtomicUsize,
    committed: bool,
}

/// The previous site's manifest, and when it was written.
#[derive(Debug, Default)]
struct Previous {
    files: HashMap<String, (u128, u64)>,
    written: Option<SystemTime>,
}

impl Previous {
    /// Reads `out`'s manifest; an unreadable or missing one means nothing
    /// can be reused, which is only slower.
    fn read(out: &Path) -> Previous {
        let path = out.join(MANIFEST);
        let (Ok(text), Ok(meta)) = (std::fs::read_to_string(&path), std::fs::metadata(&path))
        else {
            return Previous::default();
        };
        let files = text
            .lines()
            .filter_map(|line| {
                let mut parts = line.splitn(3, ' ');
                let hash = u128::from_str_radix(parts.next()?, 16).ok()?;
                let len = parts.next()?.parse().ok()?;
                Some((parts.next()?.to_owned(), (hash, len)))
            })
            .collect();
        Previous {
            files,
            written: meta.modified().ok(),
        }
    }

    /// The file at `path` in the previous site (in `out`), if it holds
    /// exactly `hash`/`len`: the manifest says so, its length agrees, and
    /// it was not touched after the manifest was written.
    fn unchanged(&self, path: &str, out: &Path, hash: u128, len: u64) -> Option<PathBuf> {
        if self.files.get(path) != Some(&(hash, len)) {
            return None;
        }
        let written = self.written?;
        let old = out.join(path);
        let meta = std::fs::symlink_metadata(&old).ok()?;
        (meta.is_file() && meta.len() == len && meta.modified().is_ok_and(|m| m <= written))
            .then_some(old)
    }
}

impl Staging {
    /// Checks that `out` may be replaced, clears what an interrupted build
    /// left beside it, and creates an empty staging folder.
    pub(crate) fn begin(out: &Path) -> Result<Staging> {
        let out = absolute(out)?;
        let parent = out
            .parent()
            .context("the output folder has no parent folder")?
            .to_owned();
        let name = out
            .file_name()
            .context("the output folder has no name")?
            .to_string_lossy()
            .into_owned();
        fs::create_dir_all(&parent)?;
        let staging = parent.join(format!(".{name}.staging"));
        let old = parent.join(format!(".{name}.old"));

        // A build killed between the two renames of the fallback swap left
        // the old site beside the target: put it back before anything else.
        if !out.exists() && is_ours(&old) {
            fs::rename(&old, &out)?;
        }
        if out.exists() {
            if !out.is_dir() {
                bail!(
                    "cannot write the site to {}: it is a file, not a folder",
                    out.display()
                );
            }
            if !is_ours(&out) && !fs::is_empty_dir(&out)? {
                bail!(
                    "refusing to write the site into {}: the folder is not empty and was not made by dossier (it has no {MARKER} file); choose another --out or empty it",
                    out.display()
                );
            }
        }
        for stale in [&staging, &old] {
            remove_ours(stale)?;
        }
        fs::create_dir_all(&staging)?;
        let staging = fs::Folder::open(&staging)?;
        let previous = if is_ours(&out) {
            Previous::read(&out)
        } else {
            Previous::default()
        };
        let staged = Staging {
            out,
            staging,
            old,
            previous,
            manifest: Mutex::new(Vec::new()),
            folders: Mutex::default(),
            files: AtomicUsize::new(0),
            pages: AtomicUsize::new(0),
            committed: false,
        };
        staged.staging.write(MARKER, &[MARKER_TEXT])?;
        Ok(staged)
    }

    /// Swaps the staged site in; returns the number of files and of HTML
    /// pages written.
    pub(crate) fn commit(mut self) -> Result<(usize, usize)> {
        let mut manifest =
            std::mem::take(&mut *self.manifest.lock().unwrap_or_else(|p| p.into_inner()));
        manifest.sort_unstable();
        let mut text = String::with_capacity(manifest.len() * 64);
        for (path, hash, len) in &manifest {
            let _ = writeln!(text, "{hash:032x} {len} {path}");
        }
        // Written last: every file it lists is older than it.
        self.staging.write(MANIFEST, &[text.as_bytes()])?;
        swap_in(self.staging.path(), &self.out, &self.old)?;
        self.committed = true;
        // The new site is in place; failing to delete the old one loses
        // nothing, and the next build removes it.
        for previous in [self.staging.path(), &self.old] {
            if is_ours(previous) {
                let _ = std::fs::remove_dir_all(previous);
            }
        }
        Ok((
            self.files.load(Ordering::Relaxed),
            self.pages.load(Ordering::Relaxed),
        ))
    }
}

impl Sink for Staging {
    fn put(&self, output: Output) -> Result<()> {
        self.make_folder(&output.path)?;
        match &output.contents {
            Contents::Bytes(bytes) => {
                self.put_bytes(&output.path, std::slice::from_ref(bytes))?;
            }
            Contents::Pieces(pieces) => self.put_bytes(&output.path, pieces)?,
            Contents::Copy(from) => {
                let target = self.staging.join(&output.path);
                std::fs::copy(from, &target).with_context(|| {
                    format!("cannot copy {} to {}", from.display(), target.display())
                })?;
            }
        }
        self.count(&output.path);
        Ok(())
    }

    fn put_made(&self, path: String, bytes: &[u8]) -> Result<()> {
        self.make_folder(&path)?;
        self.put_bytes(&path, &[bytes])?;
        self.count(&path);
        Ok(())
    }
}

impl Staging {
    /// Makes the folder that the file `path` is staged in, and its
    /// parents, unless they were made already.
    fn make_folder(&self, path: &str) -> Result<()> {
        let Some((folder, _)) = path.rsplit_once('/') else {
            return Ok(());
        };
        let folders = || self.folders.lock().unwrap_or_else(|p| p.into_inner());
        if folders().contains(folder) {
            return Ok(());
        }
        self.make_folder(folder)?;
        // Two threads may both make it: the second finds it made.
        self.staging.make(folder)?;
        folders().insert(folder.to_owned());
        Ok(())
    }

    fn count(&self, path: &str) {
        self.files.fetch_add(1, Ordering::Relaxed);
        if path.ends_with(".html") {
            self.pages.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Writes the file `path` made of `pieces` (or links it from the
    /// previous site when it is unchanged), and records it in the manifest.
    fn put_bytes(&self, path: &str, pieces: &[impl AsRef<[u8]>]) -> Result<()> {
        let hash = hash_pieces(pieces);
        let len = pieces.iter().map(|p| p.as_ref().len() as u64).sum();
        // An unchanged file is linked from the previous site, not written
        // again; removing that site then frees nothing.
        let linked = self
            .previous
            .unchanged(path, &self.out, hash, len)
            .is_some_and(|old| std::fs::hard_link(old, self.staging.join(path)).is_ok());
        if !linked {
            self.staging.write(path, pieces)?;
        }
        self.manifest
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((path.to_owned(), hash, len));
        Ok(())
    }
}

/// XXH3-128 of the pieces' bytes one after the other: what `xxh3_128`
/// gives for them joined.
fn hash_pieces(pieces: &[impl AsRef<[u8]>]) -> u128 {
    match pieces {
        [bytes] => xxh3_128(bytes.as_ref()),
        _ => {
            let mut hasher = xxhash_rust::xxh3::Xxh3::new();
            for piece in pieces {
                hasher.update(piece.as_ref());
            }
            hasher.digest128()
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            // A full disk should not stay full of a half-written site; the
            // next build would remove it too, were this to fail.
            let _ = std::fs::remove_dir_all(self.staging.path());
        }
    }
}

/// Puts `staging` where `out` is. Afterwards the previous site, if any, is
/// at `staging` (exchanged in one step) or at `old` (two renames).
fn swap_in(staging: &Path, out: &Path, old: &Path) -> Result<()> {
    if !out.exists() {
        return fs::rename(staging, out);
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        // Not every file system can exchange (EINVAL); those fall back to
        // the two renames below.
        if renameat_with(CWD, staging, CWD, out, RenameFlags::EXCHANGE).is_ok() {
            return Ok(());
        }
    }
    fs::rename(out, old)?;
    fs::rename(staging, out)
}

/// Whether `dir` is a folder holding the marker.
fn is_ours(dir: &Path) -> bool {
    dir.join(MARKER).is_file()
}

/// Removes a leftover staging or old folder; refuses one that is not ours.
fn remove_ours(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    if is_ours(dir) || (dir.is_dir() && fs::is_empty_dir(dir)?) {
        return fs::remove_dir_all(dir);
    }
    bail!(
        "{} is in the way and was not made by dossier; remove it by hand",
        dir.display()
    )
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_in_pieces_hashes_as_its_bytes_joined() {
        let pieces: Vec<Vec<u8>> = vec![
            b"{\"a\":".to_vec(),
            Vec::new(),
            vec![b'1'; 300],
            b"}".to_vec(),
        ];
        assert_eq!(hash_pieces(&pieces), xxh3_128(&pieces.concat()));
        let one = vec![b"only".to_vec()];
        assert_eq!(hash_pieces(&one), xxh3_128(b"only"));
    }

    /// Writes `outputs` into `out` as a build does.
    fn write(outputs: &[Output], out: &Path) -> Result<()> {
        let staging = Staging::begin(out)?;
        for o in outputs {
            let copy = Output {
                path: o.path.clone(),
                contents: match &o.contents {
                    Contents::Bytes(b) => Contents::Bytes(b.clone()),
                    Contents::Pieces(p) => Contents::Pieces(p.clone()),
                    Contents::Copy(p) => Contents::Copy(p.clone()),
                },
            };
            staging.put(copy)?;
        }
        staging.commit().map(|_| ())
    }

    fn page(path: &str, text: &str) -> Output {
        Output {
            path: path.into(),
            contents: Contents::Bytes(text.as_bytes().to_vec()),
        }
    }

    #[test]
    fn replaces_a_previous_build_and_cleans_up() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        write(&[page("a/index.html", "one"), page("gone.txt", "x")], &out).unwrap();
        write(&[page("a/index.html", "two")], &out).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("a/index.html")).unwrap(),
            "two"
        );
        assert!(!out.join("gone.txt").exists());
        assert!(out.join(MARKER).is_file());
        let names: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["public"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_rebuild_links_unchanged_files_and_writes_changed_or_touched_ones() {
        use std::os::unix::fs::MetadataExt;
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let ino = |p: &str| std::fs::metadata(out.join(p)).unwrap().ino();
        let site = |b: &str| {
            vec![
                page("same.html", "unchanged"),
                page("edited.html", "unchanged"),
                page("b.html", b),
            ]
        };
        write(&site("one"), &out).unwrap();
        let before = [ino("same.html"), ino("edited.html"), ino("b.html")];
        // Someone edits a file of the published site by hand, keeping its
        // length: it must not be reused.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(out.join("edited.html"), "UNCHANGED").unwrap();
        write(&site("two"), &out).unwrap();
        assert_eq!(ino("same.html"), before[0], "an unchanged file is linked");
        assert_ne!(ino("edited.html"), before[1]);
        assert_ne!(ino("b.html"), before[2]);
        for (path, text) in [
            ("same.html", "unchanged"),
            ("edited.html", "unchanged"),
            ("b.html", "two"),
        ] {
            assert_eq!(std::fs::read_to_string(out.join(path)).unwrap(), text);
        }
        let manifest = std::fs::read_to_string(out.join(MANIFEST)).unwrap();
        let paths: Vec<&str> = manifest
            .lines()
            .map(|l| l.rsplit(' ').next().unwrap())
            .collect();
        assert_eq!(paths, ["b.html", "edited.html", "same.html"]);
    }

    #[test]
    fn refuses_a_folder_it_did_not_make() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("site");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("precious.txt"), "keep").unwrap();
        let err = write(&[page("index.html", "x")], &out).unwrap_err();
        assert!(err.to_string().contains("refusing"), "{err}");
        assert_eq!(
            std::fs::read_to_string(out.join("precious.txt")).unwrap(),
            "keep"
        );
    }

    #[test]
    fn restores_the_old_site_after_an_interrupted_swap_and_clears_staging() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        write(&[page("index.html", "old")], &out).unwrap();
        // Simulate a kill between the renames, and a stale staging folder.
        std::fs::rename(&out, tmp.path().join(".public.old")).unwrap();
        let staging = tmp.path().join(".public.staging");
        std::fs::create_dir(&staging).unwrap();
        std::fs::write(staging.join(MARKER), MARKER_TEXT).unwrap();
        write(&[page("index.html", "new")], &out).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "new"
        );
        assert!(!staging.exists());
        assert!(!tmp.path().join(".public.old").exists());
    }
}
