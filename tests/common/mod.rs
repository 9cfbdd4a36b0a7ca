//! Shared helpers for the integration tests: run the real `dossier` binary
//! on a fixture root, and read what a build wrote.
//!
//! Every build writes into a fresh temporary folder, never the repository's
//! own `public/`. Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use scraper::{ElementRef, Html, Selector};
use tempfile::TempDir;

/// The repository root (also a dossier root: the project's own content).
pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture dossier under `tests/fixtures/`.
pub(crate) fn fixture(name: &str) -> PathBuf {
    let path = repo_root().join("tests/fixtures").join(name);
    assert!(path.is_dir(), "no fixture {}", path.display());
    path
}

/// What one run of the binary did.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `dossier ARGS…` without colours.
pub(crate) fn dossier<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("the dossier binary runs");
    Run {
        code: output.status.code().expect("dossier exited normally"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs `dossier build --root ROOT --out OUT EXTRA…`.
pub(crate) fn build(root: &Path, out: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "build".as_ref(),
        "--root".as_ref(),
        root.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    dossier(&args)
}

/// Runs `dossier check --root ROOT EXTRA…`.
pub(crate) fn check(root: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["check".as_ref(), "--root".as_ref(), root.as_os_str()];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    dossier(&args)
}

/// A built site in a temporary folder (removed when dropped).
pub(crate) struct Site {
    _dir: TempDir,
    pub(crate) out: PathBuf,
    pub(crate) run: Run,
}

impl Site {
    /// Builds `root` into a fresh folder under `CARGO_TARGET_TMPDIR` and
    /// asserts that it succeeded.
    pub(crate) fn build(root: &Path, extra: &[&str]) -> Site {
        // Under target/, so a site kept for a whole test run (a `static`,
        // never dropped) is cleaned by `cargo clean`, not left in /tmp.
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary folder");
        let out = dir.path().join("public");
        let run = build(root, &out, extra);
        assert_eq!(
            run.code,
            0,
            "building {} failed:\n{}",
            root.display(),
            run.stderr
        );
        Site {
            _dir: dir,
            out,
            run,
        }
    }

    /// Builds a fixture (see [`fixture`]).
    pub(crate) fn fixture(name: &str, extra: &[&str]) -> Site {
        Site::build(&fixture(name), extra)
    }

    /// The bytes of an output file.
    pub(crate) fn bytes(&self, path: &str) -> Vec<u8> {
        let full = self.out.join(path);
        std::fs::read(&full).unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()))
    }

    /// An output HTML page, parsed.
    pub(crate) fn page(&self, path: &str) -> Html {
        let text = String::from_utf8(self.bytes(path)).expect("pages are UTF-8");
        Html::parse_document(&text)
    }

    /// Whether the output has a file at `path`.
    pub(crate) fn has(&self, path: &str) -> bool {
        self.out.join(path).is_file()
    }

    /// Every file of the output, by `/`-separated relative path.
    pub(crate) fn files(&self) -> BTreeMap<String, Vec<u8>> {
        read_tree(&self.out)
    }
}

/// Every file under `dir`, by `/`-separated relative path, with its bytes.
pub(crate) fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, into: &mut BTreeMap<String, Vec<u8>>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(base, &path, into);
            } else {
                let rel = path.strip_prefix(base).expect("under base");
                let key = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                into.insert(key, std::fs::read(&path).expect("readable file"));
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(dir, dir, &mut files);
    files
}

/// Parses a CSS selector (panics on a typo in the test).
pub(crate) fn sel(selector: &str) -> Selector {
    Selector::parse(selector).unwrap_or_else(|e| panic!("bad selector {selector:?}: {e:?}"))
}

/// The one element matching `selector` under `scope`; panics if there are
/// none or several.
pub(crate) fn one<'a>(scope: ElementRef<'a>, selector: &str) -> ElementRef<'a> {
    let found: Vec<_> = scope.select(&sel(selector)).collect();
    assert_eq!(
        found.len(),
        1,
        "expected exactly one `{selector}`, found {}",
        found.len()
    );
    found[0]
}

/// The element with `id` in a page, if any.
pub(crate) fn by_id<'a>(page: &'a Html, id: &str) -> Option<ElementRef<'a>> {
    page.root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
        .find(|e| e.value().id() == Some(id))
}

/// An element's text with runs of white space collapsed to one space.
pub(crate) fn text(element: ElementRef<'_>) -> String {
    squash(&element.text().collect::<String>())
}

/// Collapses runs of ASCII white space to one space and trims the ends
/// (a no-break space is content, so it is kept).
pub(crate) fn squash(s: &str) -> String {
    s.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// An element's attribute, which must be present.
pub(crate) fn attr<'a>(element: ElementRef<'a>, name: &str) -> &'a str {
    element
        .value()
        .attr(name)
        .unwrap_or_else(|| panic!("<{}> has no `{name}`", element.value().name()))
}

/// Copies a folder tree (a fixture) to `to`, which must not exist yet.
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    for (path, bytes) in read_tree(from) {
        let target = to.join(&path);
        std::fs::create_dir_all(target.parent().expect("a parent folder")).expect("mkdir");
        std::fs::write(&target, bytes).expect("write a copied file");
    }
}
