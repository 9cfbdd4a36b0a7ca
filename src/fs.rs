//! File-system calls that name their path when they fail.
//!
//! Every I/O error the user sees says which file or folder it was about;
//! `std::fs` alone reports "No such file or directory" and nothing else.

use std::path::Path;

use anyhow::{Context, Result};

/// Reads a whole file.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Writes a whole file, creating it or replacing its contents.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// Writes a file made of pieces, in order.
pub(crate) fn write_pieces(path: &Path, pieces: &[impl AsRef<[u8]>]) -> Result<()> {
    use std::io::Write as _;
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(path)?;
        for piece in pieces {
            file.write_all(piece.as_ref())?;
        }
        Ok(())
    };
    write().with_context(|| format!("cannot write {}", path.display()))
}

/// Creates a folder and its missing parents.
pub(crate) fn create_dir_all(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path)
        .with_context(|| format!("cannot create folder {}", path.display()))
}

/// Removes a folder and everything in it.
pub(crate) fn remove_dir_all(path: &Path) -> Result<()> {
    std::fs::remove_dir_all(path)
        .with_context(|| format!("cannot remove folder {}", path.display()))
}

/// Renames a file or folder.
pub(crate) fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to)
        .with_context(|| format!("cannot rename {} to {}", from.display(), to.display()))
}

/// Whether a folder has any entry at all.
pub(crate) fn is_empty_dir(path: &Path) -> Result<bool> {
    let mut entries =
        std::fs::read_dir(path).with_context(|| format!("cannot list {}", path.display()))?;
    Ok(entries.next().is_none())
}
