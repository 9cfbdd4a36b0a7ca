//! Helpers for the unit tests: fixture dossiers copied where a test may
//! edit them.

use std::path::Path;

/// A temporary folder holding a copy of `tests/fixtures/<name>`.
pub(crate) fn copied_fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(name, dir.path());
    dir
}

/// Copies `tests/fixtures/<name>` into `to`.
fn copy_fixture(name: &str, to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    for entry in walkdir::WalkDir::new(&from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(&from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
