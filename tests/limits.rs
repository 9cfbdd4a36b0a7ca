//! Limits and failures outside the content: a source over the size limit, an output
//! folder that cannot be written (permission denied, a full disk, a file in
//! the way), and `serve` under a burst of concurrent requests.
//!
//! Some checks need powers a test may not have: as root, permissions do
//! not stop writes, so the immutable attribute (`chattr +i`) stands in for
//! them; a full disk is a small `tmpfs`, which only root can mount. When
//! neither works the check prints why and passes.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn dossier(args: &[&str], root: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(args)
        .arg("--root")
        .arg(root)
        .arg("--out")
        .arg(out)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn build(root: &Path, out: &Path) -> Output {
    dossier(&["build", "--quiet"], root, out)
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                files.insert(path.strip_prefix(dir).unwrap().to_owned(), bytes);
            }
        }
    }
    files
}

/// A small dossier: one source, one topic quoting it.
fn small_root(dir: &Path) -> PathBuf {
    let root = dir.join("root");
    write(&root, "dossier.toml", "title = \"Limits\"\n");
    write(
        &root,
        "content/sources/notice.txt",
        "The council closed the harbour on Monday.\n",
    );
    write(
        &root,
        "content/sources/notice.yaml",
        "title: Notice\npublisher: Council\n",
    );
    write(
        &root,
        "content/topics/harbour.md",
        "---\ntitle: Harbour\nsummary: Closed.\n---\n\nIt closed.[@notice \"closed the harbour\"]\n",
    );
    root
}

fn stderr(run: &Output) -> String {
    String::from_utf8_lossy(&run.stderr).into_owned()
}

// ---------------------------------------------------------------- 50 MB

/// About `bytes` of hard-wrapped prose in paragraphs, with one sentence near
/// the end that a topic quotes.
fn large_source(bytes: usize) -> String {
    let words = [
        "the",
        "council",
        "met",
        "on",
        "Tuesday",
        "to",
        "discuss",
        "harbour",
        "levy",
        "and",
        "ferry",
        "timetable",
        "while",
        "residents",
        "asked",
        "about",
        "dredging",
        "costs",
    ];
    let mut text = String::with_capacity(bytes + 4096);
    let mut line = 0;
    let mut n = 0usize;
    let mut quoted = false;
    while text.len() < bytes {
        // A paragraph of six wrapped lines, each about 70 characters.
        for _ in 0..6 {
            let start = text.len();
            while text.len() - start < 68 {
                text.push_str(words[n % words.len()]);
                text.push(' ');
                n = n.wrapping_mul(31).wrapping_add(7) % 1_000_003;
            }
            text.pop();
            text.push('\n');
        }
        text.push_str(&format!("That was meeting number {line}.\n\n"));
        line += 1;
        if !quoted && text.len() > bytes - bytes / 100 {
            quoted = true;
            text.push_str(
                "In the end the NEEDLE committee voted to\nreprice the harbour levy from April.\n\n",
            );
        }
    }
    text
}

/// A root with one large source, a topic quoting its last passage, and
/// `extra` config lines.
fn large_root(dir: &Path, bytes: usize, extra: &str) -> PathBuf {
    let root = dir.join("root");
    write(
        &root,
        "dossier.toml",
        &format!("title = \"Large\"\n{extra}"),
    );
    write(&root, "content/sources/minutes.txt", &large_source(bytes));
    write(
        &root,
        "content/sources/minutes.yaml",
        "title: Minutes\npublisher: Council\n",
    );
    write(
        &root,
        "content/topics/levy.md",
        "---\ntitle: Levy\nsummary: Repriced.\n---\n\nThe levy changes.[@minutes \"NEEDLE committee voted to reprice the harbour levy\"]\n",
    );
    root
}

#[test]
fn a_fifty_megabyte_source_is_a_size_limit_error_and_the_site_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let root = large_root(dir.path(), 50 * 1024 * 1024, "");
    // A previous good build, from a small version of the same source.
    write(
        &root,
        "content/sources/minutes.txt",
        "In the end the NEEDLE committee voted to\nreprice the harbour levy from April.\n",
    );
    let out = dir.path().join("site");
    assert!(build(&root, &out).status.success());
    let before = snapshot(&out);
    write(
        &root,
        "content/sources/minutes.txt",
        &large_source(50 * 1024 * 1024),
    );
    let run = build(&root, &out);
    let text = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{text}");
    assert!(
        text.contains("content/sources/minutes.txt")
            && text.contains("source text is 50.0 MiB, over the limit of 4 MiB")
            && text.contains("raise `max_source_mib` in dossier.toml"),
        "{text}"
    );
    // Reported once, not again as an unknown source for the citation.
    assert!(!text.contains("unknown source"), "{text}");
    assert_eq!(snapshot(&out), before, "the previous site changed");
}

#[test]
fn max_source_mib_sets_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let root = large_root(dir.path(), 3 * 1024 * 1024 / 2, "max_source_mib = 1\n");
    let out = dir.path().join("site");
    let run = build(&root, &out);
    let text = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{text}");
    assert!(
        text.contains("source text is 1.5 MiB, over the limit of 1 MiB"),
        "{text}"
    );

    write(
        &root,
        "dossier.toml",
        "title = \"Large\"\nmax_source_mib = 2\n",
    );
    let run = build(&root, &out);
    assert!(run.status.success(), "{}", stderr(&run));
    let page = std::fs::read_to_string(out.join("sources/minutes/index.html")).unwrap();
    let mark = page.find("<mark id=\"q-").expect("the passage is marked");
    let marked = &page[mark..page[mark..].find("</mark>").unwrap() + mark];
    assert!(
        marked.contains("NEEDLE committee voted to") && marked.contains("reprice the harbour levy"),
        "{marked}"
    );
}

// ---------------------------------------------------------------- --out fails

/// Whether this process runs as root (for whom permissions stop nothing).
fn running_as_root(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = dir.join(".uid-probe");
    std::fs::write(&probe, "").unwrap();
    let uid = std::fs::metadata(&probe).unwrap().uid();
    std::fs::remove_file(&probe).unwrap();
    uid == 0
}

/// Makes a folder refuse new entries until dropped: `chmod 0555`, or for
/// root the immutable attribute. `None` when neither is possible here.
struct Unwritable(PathBuf, bool);

impl Unwritable {
    fn new(dir: &Path) -> Option<Unwritable> {
        use std::os::unix::fs::PermissionsExt;
        if running_as_root(dir) {
            let done = Command::new("chattr")
                .arg("+i")
                .arg(dir)
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            done.then(|| Unwritable(dir.to_owned(), true))
        } else {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).ok()?;
            Some(Unwritable(dir.to_owned(), false))
        }
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        if self.1 {
            let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        } else {
            let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
        }
    }
}

#[cfg(unix)]
#[test]
fn permission_denied_beside_out_is_exit_2_naming_the_path_and_the_site_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let root = small_root(dir.path());
    let parent = dir.path().join("www");
    let out = parent.join("site");
    assert!(build(&root, &out).status.success());
    let before = snapshot(&out);
    write(
        &root,
        "content/topics/harbour.md",
        "---\ntitle: Changed\nsummary: Closed.\n---\n\nNew text.\n",
    );
    let Some(_guard) = Unwritable::new(&parent) else {
        eprintln!("note: cannot make a folder unwritable here; skipped");
        return;
    };
    let run = build(&root, &out);
    let stderr = stderr(&run);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&parent.join(".site.staging").display().to_string()),
        "{stderr}"
    );
    assert_eq!(snapshot(&out), before, "the previous site changed");
}

#[test]
fn a_file_in_the_way_of_staging_or_out_is_exit_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = small_root(dir.path());
    let out = dir.path().join("site");
    assert!(build(&root, &out).status.success());
    let before = snapshot(&out);

    // A file where the staging folder goes: not ours, so not removed.
    let staging = dir.path().join(".site.staging");
    std::fs::write(&staging, "someone's notes").unwrap();
    let run = build(&root, &out);
    let text = stderr(&run);
    assert_eq!(run.status.code(), Some(2), "{text}");
    assert!(text.contains(&staging.display().to_string()), "{text}");
    assert_eq!(std::fs::read(&staging).unwrap(), b"someone's notes");
    assert_eq!(snapshot(&out), before, "the previous site changed");

    // --out inside a regular file.
    let file = dir.path().join("plain.txt");
    std::fs::write(&file, "x").unwrap();
    let run = build(&root, &file.join("site"));
    let text = stderr(&run);
    assert_eq!(run.status.code(), Some(2), "{text}");
    assert!(text.contains(&file.display().to_string()), "{text}");
}

/// A small tmpfs mounted for the test, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: &Path, bytes: usize) -> Option<SmallDisk> {
        std::fs::create_dir_all(at).ok()?;
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| SmallDisk(at.to_owned()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_exit_2_naming_the_path_and_the_site_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let root = small_root(dir.path());
    let disk = dir.path().join("disk");
    let Some(_disk) = SmallDisk::mount(&disk, 1024 * 1024) else {
        eprintln!("note: cannot mount a small tmpfs here (needs root); skipped");
        return;
    };
    let out = disk.join("site");
    let run = build(&root, &out);
    assert!(run.status.success(), "{}", stderr(&run));
    let before = snapshot(&out);
    // A source larger than the disk: published raw and as a page, it
    // cannot fit beside the previous site.
    let big: String = (0..12_000)
        .map(|i| format!("Line {i} of the long capture.\n\n"))
        .collect();
    write(&root, "content/sources/big.txt", &big);
    write(
        &root,
        "content/sources/big.yaml",
        "title: Big\npublisher: P\n",
    );
    let run = build(&root, &out);
    let text = stderr(&run);
    assert_eq!(run.status.code(), Some(2), "{text}");
    assert!(text.contains(&disk.display().to_string()), "{text}");
    assert!(text.contains("No space left on device"), "{text}");
    assert_eq!(snapshot(&out), before, "the previous site changed");
    // Nothing half-written is left to fill the disk.
    assert!(!disk.join(".site.staging").exists());
}

// ---------------------------------------------------------------- serve

struct Server(Child, u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(root: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(["serve", "--port", "0", "--root"])
        .arg(root)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = loop {
        let line = lines.next().expect("serve exited").unwrap();
        if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
            break rest.split('/').next().unwrap().parse().unwrap();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Server(child, port)
}

/// One `GET` with `Connection: close`: the status and the body.
fn get(port: u16, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let bad = || std::io::Error::other(format!("malformed response to {path}"));
    let head_end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(bad)?;
    let head = String::from_utf8_lossy(&response[..head_end]);
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    Ok((status, response[head_end + 4..].to_vec()))
}

#[test]
fn serve_answers_ten_thousand_requests_fifty_at_a_time() {
    const REQUESTS: usize = 10_000;
    const CLIENTS: usize = 50;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let server = serve(&root);
    let port = server.1;

    // Real pages: the site's own sitemap, and files every site has.
    let (status, sitemap) = get(port, "/sitemap.xml").unwrap();
    assert_eq!(status, 200);
    let sitemap = String::from_utf8(sitemap).unwrap();
    let mut paths: Vec<(String, u16)> = sitemap
        .split("<loc>")
        .skip(1)
        .filter_map(|s| s.split("</loc>").next())
        .filter_map(|url| url.split_once("://").map(|(_, rest)| rest))
        .filter_map(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
        .map(|p| (p, 200))
        .collect();
    assert!(paths.len() >= 5, "{sitemap}");
    for p in ["/style.css", "/dossier.json", "/atom.xml", "/robots.txt"] {
        paths.push((p.to_owned(), 200));
    }
    // Ways out of the site, and files of the root that are not in it.
    let long = format!("/{}", "a/".repeat(3000));
    for p in [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/%2E%2E%2FCargo.toml",
        "/topics/%2e%2e/%2e%2e/Cargo.toml",
        "/..%5cCargo.toml",
        "/..\\Cargo.toml",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
        "/dossier.toml",
        "/content/topics/",
        "/src/lib.rs",
        "/%00",
        long.as_str(),
    ] {
        paths.push((p.to_owned(), 404));
    }
    let paths = Arc::new(paths);

    let started = Instant::now();
    let deadline = started + Duration::from_secs(60);
    let next = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (paths, next) = (Arc::clone(&paths), Arc::clone(&next));
            std::thread::spawn(move || {
                let mut problems = Vec::new();
                let mut done = 0;
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= REQUESTS {
                        break;
                    }
                    let (path, expected) = &paths[i % paths.len()];
                    match get(port, path) {
                        Ok((status, body)) => {
                            let leaked = body.windows(9).any(|w| w == b"[package]")
                                || body.windows(10).any(|w| w == b"root:x:0:0");
                            if status != *expected || leaked {
                                problems.push(format!("{path}: {status}, expected {expected}"));
                            }
                        }
                        Err(e) => problems.push(format!("{path}: {e}")),
                    }
                    done += 1;
                }
                (done, problems)
            })
        })
        .collect();
    let mut done = 0;
    let mut problems = Vec::new();
    for client in clients {
        let (n, p) = client.join().unwrap();
        done += n;
        problems.extend(p);
    }
    let elapsed = started.elapsed();
    eprintln!(
        "{done} requests, {CLIENTS} at a time, in {elapsed:?} ({:.0}/s)",
        done as f64 / elapsed.as_secs_f64()
    );
    assert!(
        problems.is_empty(),
        "{} problems, first: {:?}",
        problems.len(),
        &problems[..problems.len().min(10)]
    );
    assert_eq!(done, REQUESTS, "not all requests were made within 60 s");
    // And serve still answers.
    assert_eq!(get(port, "/").unwrap().0, 200);
    assert_eq!(get(port, "/__dossier/live.js").unwrap().0, 200);
}
