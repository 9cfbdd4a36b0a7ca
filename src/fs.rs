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

/// Writes a file made of pieces, in order, handing the system as many
/// pieces at once as it takes (`dossier.json` is thousands of them).
pub(crate) fn write_pieces(path: &Path, pieces: &[impl AsRef<[u8]>]) -> Result<()> {
    use std::io::{IoSlice, Write as _};
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(path)?;
        let mut slices: Vec<IoSlice<'_>> = pieces
            .iter()
            .map(|p| IoSlice::new(p.as_ref()))
            .filter(|p| !p.is_empty())
            .collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            match file.write_vectored(rest) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_of_many_pieces_holds_them_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        // More pieces than one system call takes, some of them empty.
        let pieces: Vec<String> = (0..3000)
            .map(|i| {
                if i % 7 == 0 {
                    String::new()
                } else {
                    format!("{i},")
                }
            })
            .collect();
        write_pieces(&path, &pieces).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), pieces.concat());
        write_pieces(&path, &["", ""]).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"");
    }
}
