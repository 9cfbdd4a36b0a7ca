//! Stage 5, write: the site on disk, all or nothing.
//!
//! In: the target folder, then each [`Output`] as the render stage makes it
//! (pages are written while others are still being rendered, so the site
//! is never held in memory whole). The site is written to a staging folder
//! beside the target (`.NAME.staging`), then swapped in:
//! on Linux in one step (`renameat2` with `RENAME_EXCHANGE`, so there is no
//! moment without a site), elsewhere with two renames. A build that fails
//! or is killed leaves the previous site as it was, and the next build
//! removes the stale staging folder.
//!
//! **Reuse.** Each site holds its manifest ([`MANIFEST`]). A file whose
//! bytes the current site already has is hard-linked from it, not written.
//! The site that a build replaces is not removed but kept beside the target
//! (`.NAME.previous`, with a `.gitignore` that hides it from git), and the
//! next build starts in it: it keeps that site's folders and the files
//! whose bytes did not change, unlinks (never writes over) the rest, and
//! removes what the new site no longer has. A rebuild of a dossier that
//! changed a little makes and deletes a few files, not a whole tree: on a
//! file system that is slow to make and delete many (ext4 without a
//! journal skips each recently deleted inode when it allocates one), that
//! is most of a rebuild's time. Files are shared between the two sites by
//! hard links, so the kept site takes the room of what changed, and a file
//! is never opened for writing where it is: it is unlinked and made anew.
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

/// Written into the kept previous site (and removed before it is staged
/// again): git then ignores the folder, as it ignores a tool's cache.
const KEPT_GITIGNORE: &str = ".gitignore";
const KEPT_GITIGNORE_TEXT: &[u8] =
    b"# The previous site, kept by dossier to make the next build faster.\n*\n";

/// The list of the files a build wrote, with their hashes (XXH3-128) and
/// lengths, one `HASH LENGTH PATH` line each, sorted by path. The next
/// build links the files that did not change instead of writing them.
pub(crate) const MANIFEST: &str = ".dossier-manifest";

const MARKER_TEXT: &[u8] =
    b"This folder is the output of `dossier build` and is replaced by each build.\n";

/// A build's staging folder: files go in as they are rendered, and the
/// folder takes the target's place at [`Staging::commit`]. It starts empty,
/// or as the site before the current one (see the module's notes on
/// reuse). Dropped without a commit (a content error, a failed write), it
/// is removed and the target is untouched.
#[derive(Debug)]
pub(crate) struct Staging {
    out: PathBuf,
    /// The staging folder, where the files are made by their paths in the
    /// site.
    staging: fs::Folder,
    old: PathBuf,
    /// Where the replaced site is kept for the next build.
    kept: PathBuf,
    /// What the current site holds, for linking its unchanged files.
    previous: Previous,
    /// What the staging folder holds when it starts as a kept site: its
    /// unchanged files stay, and the others are removed at the commit.
    reused: Previous,
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
        let kept = parent.join(format!(".{name}.previous"));

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
        let reused = reuse_kept(&kept, &staging)?;
        let staging = fs::Folder::open(&staging)?;
        // Without its manifest, a staging folder that a killed build leaves
        // is not reused but removed whole by the next build.
        for name in [MANIFEST, KEPT_GITIGNORE] {
            staging
                .remove_file(name)
                .with_context(|| format!("cannot remove {}", staging.join(name).display()))?;
        }
        let previous = if is_ours(&out) {
            Previous::read(&out)
        } else {
            Previous::default()
        };
        let staged = Staging {
            out,
            staging,
            old,
            kept,
            previous,
            reused,
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
        self.remove_unmade(&manifest)?;
        let mut text = String::with_capacity(manifest.len() * 64);
        for (path, hash, len) in &manifest {
            let _ = writeln!(text, "{hash:032x} {len} {path}");
        }
        // Written last: every file it lists is older than it.
        self.staging.write(MANIFEST, &[text.as_bytes()])?;
        let replaced = swap_in(self.staging.path(), &self.out, &self.old)?;
        self.committed = true;
        // The new site is in place. The one it replaced is kept for the
        // next build; failing to keep it loses nothing but that build's
        // head start.
        if let Some(replaced) = replaced
            && is_ours(&replaced)
        {
            // Written as every file of a site is, never over the one there:
            // a site of its own may have a `.gitignore`, linked from the new
            // site.
            let hidden =
                || fs::Folder::open(&self.kept)?.write(KEPT_GITIGNORE, &[KEPT_GITIGNORE_TEXT]);
            if fs::rename(&replaced, &self.kept).is_err() {
                let _ = std::fs::remove_dir_all(&replaced);
            } else if hidden().is_err() {
                let _ = std::fs::remove_dir_all(&self.kept);
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
                let bytes = fs::read(from)?;
                let (hash, len) = (xxh3_128(&bytes), bytes.len() as u64);
                self.put_file(&output.path, hash, len, || {
                    self.staging.copy(from, &output.path)
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

    /// Writes the file `path` made of `pieces` (unless a site before
    /// has those bytes), and records it in the manifest.
    fn put_bytes(&self, path: &str, pieces: &[impl AsRef<[u8]>]) -> Result<()> {
        let hash = hash_pieces(pieces);
        let len = pieces.iter().map(|p| p.as_ref().len() as u64).sum();
        self.put_file(path, hash, len, || self.staging.write(path, pieces))
    }

    /// Puts the file `path` of `hash` and `len` in place: it stays when
    /// the reused staging folder has it unchanged, it is linked from the
    /// current site when that has it unchanged, and `write` makes it
    /// otherwise.
    fn put_file(
        &self,
        path: &str,
        hash: u128,
        len: u64,
        write: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        let stays = self
            .reused
            .unchanged(path, self.staging.path(), hash, len)
            .is_some();
        let linked = !stays
            && self
                .previous
                .unchanged(path, &self.out, hash, len)
                .is_some_and(|old| self.staging.link(&old, path).is_ok());
        if !stays && !linked {
            write()?;
        }
        self.manifest
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((path.to_owned(), hash, len));
        Ok(())
    }

    /// Whether every folder on the way to `path` in the staging folder is
    /// a folder (`real` remembers the folders seen). A link on the way,
    /// which no build makes, is removed, so that neither the removal nor
    /// the site leads out of the staging folder.
    fn inside<'p>(&self, path: &'p str, real: &mut HashMap<&'p str, bool>) -> bool {
        let mut at = path;
        while let Some((parent, _)) = at.rsplit_once('/') {
            let is_folder =
                *real.entry(parent).or_insert_with(|| {
                    match std::fs::symlink_metadata(self.staging.join(parent)) {
                        Ok(m) if m.is_symlink() => {
                            let _ = self.staging.remove_file(parent);
                            false
                        }
                        m => m.is_ok_and(|m| m.is_dir()),
                    }
                });
            if !is_folder {
                return false;
            }
            at = parent;
        }
        true
    }

    /// Removes from a reused staging folder the files of its site that
    /// this build did not make (`made` is sorted by path), and the
    /// folders that leaves empty.
    fn remove_unmade(&self, made: &[(String, u128, u64)]) -> Result<()> {
        let mut folders = HashSet::new();
        let mut real: HashMap<&str, bool> = HashMap::new();
        for path in self.reused.files.keys() {
            if made
                .binary_search_by(|(p, _, _)| p.as_str().cmp(path))
                .is_ok()
                || !self.inside(path, &mut real)
            {
                continue;
            }
            // A folder now where the file was, or a file where one of its
            // folders was, is the new site's.
            match self.staging.remove_file(path) {
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::IsADirectory | std::io::ErrorKind::NotADirectory
                    ) =>
                {
                    continue;
                }
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("cannot remove {}", self.staging.join(path).display())
                    });
                }
            }
            let mut folder = path.as_str();
            while let Some((parent, _)) = folder.rsplit_once('/') {
                folders.insert(parent);
                folder = parent;
            }
        }
        // The deepest first, so a folder's emptied folders go before it.
        let mut folders: Vec<&str> = folders.into_iter().collect();
        folders.sort_unstable_by_key(|f| std::cmp::Reverse(f.matches('/').count()));
        for folder in folders {
            self.staging.remove_empty_folder(folder);
        }
        Ok(())
    }
}

/// The site kept at `kept` becomes the staging folder, and its manifest
/// says what it holds (the caller then removes the manifest from it);
/// without a manifest it cannot be trusted, and an empty staging folder
/// is made instead.
fn reuse_kept(kept: &Path, staging: &Path) -> Result<Previous> {
    // A link in its place is not followed: the staging folder must be a
    // folder of its own beside the target.
    let folder = std::fs::symlink_metadata(kept).is_ok_and(|m| m.is_dir());
    let reused = if folder && is_ours(kept) {
        Previous::read(kept)
    } else {
        Previous::default()
    };
    if reused.files.is_empty() || reused.written.is_none() {
        remove_ours(kept)?;
        fs::create_dir_all(staging)?;
        return Ok(Previous::default());
    }
    fs::rename(kept, staging)?;
    Ok(reused)
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

/// Puts `staging` where `out` is, and returns where the site it replaced
/// went: to `staging` (exchanged in one step) or to `old` (two renames).
fn swap_in(staging: &Path, out: &Path, old: &Path) -> Result<Option<PathBuf>> {
    if !out.exists() {
        return fs::rename(staging, out).map(|()| None);
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        // Not every file system can exchange (EINVAL); those fall back to
        // the two renames below.
        if renameat_with(CWD, staging, CWD, out, RenameFlags::EXCHANGE).is_ok() {
            return Ok(Some(staging.to_owned()));
        }
    }
    fs::rename(out, old)?;
    fs::rename(staging, out)?;
    Ok(Some(old.to_owned()))
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
        let mut names: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [".public.previous", "public"]);
        // The replaced site is kept whole, hidden from git, and the new
        // site has no such file.
        let kept = tmp.path().join(".public.previous");
        assert_eq!(read_site(&kept)["gone.txt"], "x");
        assert_eq!(read_site(&kept)["a/index.html"], "one");
        assert_eq!(
            std::fs::read(kept.join(KEPT_GITIGNORE)).unwrap(),
            KEPT_GITIGNORE_TEXT
        );
        assert!(!out.join(KEPT_GITIGNORE).exists());
    }

    /// The folders under `dir`, sorted, and every file under it with its
    /// text, each by its path from `dir`; the marker, the manifest and the
    /// kept site's `.gitignore` left out of the files.
    fn tree(dir: &Path) -> (Vec<String>, std::collections::BTreeMap<String, String>) {
        let (mut folders, mut files) = (Vec::new(), std::collections::BTreeMap::new());
        let mut stack = vec![(dir.to_owned(), String::new())];
        while let Some((path, at)) = stack.pop() {
            for entry in std::fs::read_dir(&path).unwrap() {
                let entry = entry.unwrap();
                let name = entry.file_name().to_string_lossy().into_owned();
                let rel = if at.is_empty() {
                    name
                } else {
                    format!("{at}/{name}")
                };
                if entry.file_type().unwrap().is_dir() {
                    folders.push(rel.clone());
                    stack.push((entry.path(), rel));
                } else if ![MARKER, MANIFEST, KEPT_GITIGNORE].contains(&rel.as_str()) {
                    files.insert(rel, std::fs::read_to_string(entry.path()).unwrap());
                }
            }
        }
        folders.sort();
        (folders, files)
    }

    /// The files of [`tree`].
    fn read_site(dir: &Path) -> std::collections::BTreeMap<String, String> {
        tree(dir).1
    }

    /// The folders of [`tree`].
    fn folders(dir: &Path) -> Vec<String> {
        tree(dir).0
    }

    #[cfg(unix)]
    #[test]
    fn a_build_started_in_the_kept_site_writes_the_site_a_fresh_build_writes() {
        use std::os::unix::fs::MetadataExt;
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let kept = tmp.path().join(".public.previous");
        let ino = |p: &str| std::fs::metadata(out.join(p)).unwrap().ino();
        let sites = [
            vec![
                page("same.html", "same"),
                page("shared-then-changed.html", "shared"),
                page("edited.html", "first"),
                page("file-then-folder", "a file"),
                page("folder-then-file/index.html", "in a folder"),
                page("gone/deep/index.html", "gone later"),
            ],
            vec![
                page("same.html", "same"),
                page("shared-then-changed.html", "shared"),
                page("edited.html", "second"),
                page("file-then-folder", "a file"),
                page("folder-then-file/index.html", "in a folder"),
                page("gone/deep/index.html", "gone later"),
            ],
            // The third build starts in the first site, kept.
            vec![
                page("same.html", "same"),
                page("shared-then-changed.html", "changed"),
                page("edited.html", "third"),
                page("file-then-folder/index.html", "now a folder"),
                page("folder-then-file", "now a file"),
                page("new.html", "new"),
            ],
        ];
        write(&sites[0], &out).unwrap();
        let same = ino("same.html");
        write(&sites[1], &out).unwrap();
        let second = read_site(&out);
        write(&sites[2], &out).unwrap();

        let fresh = tmp.path().join("fresh");
        write(&sites[2], &fresh).unwrap();
        assert_eq!(read_site(&out), read_site(&fresh));
        assert_eq!(folders(&out), folders(&fresh), "no folder left behind");
        assert_eq!(
            std::fs::read(out.join(MANIFEST)).unwrap(),
            std::fs::read(fresh.join(MANIFEST)).unwrap()
        );
        // Each site that changed a file has its own bytes for it: no write
        // went through a link that two sites share.
        assert_eq!(read_site(&kept), second);
        assert_eq!(ino("same.html"), same, "an unchanged file stays");
    }

    #[test]
    fn a_site_with_a_gitignore_of_its_own_keeps_it() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let site = [page(".gitignore", "drafts/\n"), page("a.html", "a")];
        for _ in 0..3 {
            write(&site, &out).unwrap();
            assert_eq!(
                std::fs::read_to_string(out.join(".gitignore")).unwrap(),
                "drafts/\n"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_put_in_the_kept_site_are_removed_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let kept = tmp.path().join(".public.previous");
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::fs::write(elsewhere.join("x.html"), "not the site's").unwrap();
        std::fs::write(elsewhere.join("same.html"), "not the site's").unwrap();

        // A folder of the kept site turned into a link to another folder
        // that holds a file of the same name.
        write(&[page("a/x.html", "x"), page("same.html", "s")], &out).unwrap();
        write(&[page("b.html", "b"), page("same.html", "s")], &out).unwrap();
        std::fs::remove_dir_all(kept.join("a")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, kept.join("a")).unwrap();
        write(&[page("c.html", "c"), page("same.html", "s")], &out).unwrap();
        assert_eq!(
            std::fs::read_to_string(elsewhere.join("x.html")).unwrap(),
            "not the site's"
        );
        assert!(!out.join("a").exists(), "the link is not published");

        // The kept site itself a link to a folder that looks like a site.
        std::fs::remove_dir_all(&kept).unwrap();
        std::fs::write(elsewhere.join(MARKER), MARKER_TEXT).unwrap();
        std::fs::write(
            elsewhere.join(MANIFEST),
            format!("{:032x} 1 same.html\n", xxh3_128(b"s")),
        )
        .unwrap();
        std::os::unix::fs::symlink(&elsewhere, &kept).unwrap();
        write(&[page("d.html", "d"), page("same.html", "s")], &out).unwrap();
        assert_eq!(
            read_site(&out),
            [
                ("d.html".to_owned(), "d".to_owned()),
                ("same.html".to_owned(), "s".to_owned())
            ]
            .into()
        );
        assert!(elsewhere.join(MANIFEST).is_file(), "not taken as a site");
        assert_eq!(
            std::fs::read_to_string(elsewhere.join("same.html")).unwrap(),
            "not the site's"
        );
    }

    #[test]
    fn a_kept_site_without_its_manifest_is_not_reused() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let kept = tmp.path().join(".public.previous");
        write(&[page("a.html", "one"), page("b.html", "b")], &out).unwrap();
        write(&[page("a.html", "two"), page("b.html", "b")], &out).unwrap();
        // As a build killed after it took the kept site leaves it.
        let staging = tmp.path().join(".public.staging");
        std::fs::rename(&kept, &staging).unwrap();
        std::fs::remove_file(staging.join(MANIFEST)).unwrap();
        std::fs::write(staging.join("half-written.html"), "x").unwrap();
        write(&[page("a.html", "three")], &out).unwrap();
        assert_eq!(
            read_site(&out),
            [("a.html".to_owned(), "three".to_owned())].into()
        );
        assert!(!staging.exists());
        assert_eq!(read_site(&kept)["a.html"], "two");
    }

    #[test]
    fn a_folder_in_the_place_of_the_kept_site_that_is_not_ours_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        write(&[page("a.html", "one")], &out).unwrap();
        let kept = tmp.path().join(".public.previous");
        std::fs::create_dir(&kept).unwrap();
        std::fs::write(kept.join("notes.txt"), "mine").unwrap();
        let err = write(&[page("a.html", "two")], &out).unwrap_err();
        assert!(err.to_string().contains("not made by dossier"), "{err}");
        assert_eq!(std::fs::read(kept.join("notes.txt")).unwrap(), b"mine");
        assert_eq!(read_site(&out)["a.html"], "one");
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
