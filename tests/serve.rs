//! `dossier serve` over real HTTP: edits appear, broken quotes show an
//! overlay, and paths outside the site find nothing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(root: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(["serve", "--port", "0", "--root"])
        .arg(root)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let port = loop {
        let line = lines.next().expect("serve exited").unwrap();
        if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
            break rest.split('/').next().unwrap().parse().unwrap();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, port }
}

/// A minimal HTTP/1.1 GET: status code and body.
fn get(port: u16, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response.split(' ').nth(1).unwrap().parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn wait_for(port: u16, path: &str, within: Duration, test: impl Fn(&str) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        let (_, body) = get(port, path);
        if test(&body) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "{path} did not change within {within:?}:\n{body}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn new_dossier() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_dossier"))
        .arg("init")
        .arg(dir.path().join("d"))
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

const TOPIC: &str = "d/content/topics/harbour-bridge.md";

fn edit(dir: &Path, from: &str, to: &str) {
    let path = dir.join(TOPIC);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from));
    std::fs::write(&path, text.replace(from, to)).unwrap();
}

#[test]
fn an_edited_topic_is_served_within_two_seconds() {
    let dir = new_dossier();
    let server = start(&dir.path().join("d"));
    let (status, body) = get(server.port, "/topics/harbour-bridge/");
    assert_eq!(status, 200);
    assert!(body.contains("approved the repairs at its March meeting"));
    assert!(body.contains("<script src=\"/__dossier/live.js\" defer></script>"));

    edit(
        dir.path(),
        "approved the repairs at its March meeting",
        "approved the repairs in a vote",
    );
    wait_for(
        server.port,
        "/topics/harbour-bridge/",
        Duration::from_secs(2),
        |b| b.contains("approved the repairs in a vote"),
    );
    // The source page's backlink names the topic's new title too.
    edit(
        dir.path(),
        "title: The harbour bridge repairs",
        "title: Bridge works",
    );
    wait_for(
        server.port,
        "/sources/council-bulletin/",
        Duration::from_secs(2),
        |b| b.contains("Bridge works&nbsp;↩"),
    );
}

#[test]
fn a_requoted_topic_moves_its_mark_and_backlink_on_the_source_page() {
    let dir = new_dossier();
    let server = start(&dir.path().join("d"));
    let (_, before) = get(server.port, "/sources/council-bulletin/");
    assert!(before.contains(r#"<mark id="q-3-30-63" data-q="q-3-30-63">estimated the cost"#));

    edit(
        dir.path(),
        "[@council-bulletin \"estimated the cost at 2.4 million\"]",
        "[@council-bulletin \"Cyclists and pedestrians will be able to cross\"]",
    );
    let page = |b: &str| b.contains("Cyclists");
    wait_for(
        server.port,
        "/topics/harbour-bridge/",
        Duration::from_secs(2),
        page,
    );
    let (_, after) = get(server.port, "/sources/council-bulletin/");
    // The passage no longer cited is no longer marked; the new one is,
    // across the line break of the capture, with its way back to note 3.
    assert!(!after.contains("q-3-30-63"), "{after}");
    let start = after
        .find("<mark id=\"q-3-")
        .expect("a new mark in paragraph 3");
    let marked = &after[start..];
    assert!(marked.contains("Cyclists"), "{marked}");
    assert!(
        marked.contains(r#"href="/topics/harbour-bridge/#cite-3-a""#),
        "{marked}"
    );
    // The topic's other passages keep their marks and backlinks.
    assert!(after.contains(r#"<mark id="q-2-38-87""#));
    assert!(after.contains(r#"href="/topics/harbour-bridge/#cite-1-a""#));

    // Both pages are what a build of the edited dossier writes.
    let out = dir.path().join("out");
    let status = Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(["build", "--quiet", "--root"])
        .arg(dir.path().join("d"))
        .arg("--out")
        .arg(&out)
        .args(["--base-url", &format!("http://127.0.0.1:{}/", server.port)])
        .status()
        .unwrap();
    assert!(status.success());
    for page in ["topics/harbour-bridge", "sources/council-bulletin"] {
        let (_, served) = get(server.port, &format!("/{page}/"));
        let served = served.replace("<script src=\"/__dossier/live.js\" defer></script>", "");
        let built = std::fs::read_to_string(out.join(page).join("index.html")).unwrap();
        assert_eq!(served, built, "{page}");
    }
}

#[test]
fn a_broken_quote_shows_the_overlay_over_the_last_good_build_until_fixed() {
    let dir = new_dossier();
    let server = start(&dir.path().join("d"));
    edit(
        dir.path(),
        "\"estimated the cost at 2.4 million\"",
        "\"estimated the price at 2.4 million\"",
    );
    wait_for(
        server.port,
        "/topics/harbour-bridge/",
        Duration::from_secs(2),
        |b| b.contains("class=\"dossier-overlay\""),
    );
    let (status, body) = get(server.port, "/topics/harbour-bridge/");
    assert_eq!(status, 200);
    assert!(
        body.contains("quoted words are not in source `council-bulletin`"),
        "{body}"
    );
    assert!(
        body.contains("content/topics/harbour-bridge.md:15:"),
        "{body}"
    );
    // The last good build is still what is served beneath it.
    assert!(body.contains("approved the repairs at its March meeting"));

    edit(
        dir.path(),
        "\"estimated the price at 2.4 million\"",
        "\"estimated the cost at 2.4 million\"",
    );
    wait_for(
        server.port,
        "/topics/harbour-bridge/",
        Duration::from_secs(2),
        |b| !b.contains("dossier-overlay") && b.contains("Notes and sources"),
    );
}

#[test]
fn requests_outside_the_site_are_not_found() {
    let dir = new_dossier();
    std::fs::write(dir.path().join("secret.txt"), "do not serve").unwrap();
    let server = start(&dir.path().join("d"));
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/topics/%2e%2e/%2e%2e/%2e%2e/secret.txt",
        "/..%5csecret.txt",
        "/dossier.toml",
        "/content/topics/harbour-bridge.md",
    ] {
        let (status, body) = get(server.port, path);
        assert_eq!(status, 404, "{path}");
        assert!(
            !body.contains("do not serve") && !body.contains("title ="),
            "{path}"
        );
    }
    let long = format!("/{}", "a/".repeat(3000));
    assert_eq!(get(server.port, &long).0, 404);
    assert_eq!(get(server.port, "/sources/council-bulletin.txt").0, 200);
}

/// Reads server-sent events until one whose data satisfies `test`, or
/// panics after `within`; returns that event's data.
fn next_event(lines: &mut impl BufRead, within: Duration, test: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    let mut line = String::new();
    loop {
        assert!(
            started.elapsed() < within,
            "no matching event within {within:?}"
        );
        line.clear();
        if lines.read_line(&mut line).unwrap_or(0) == 0 {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        if let Some(data) = line.trim_end().strip_prefix("data: ")
            && test(data)
        {
            return data.to_owned();
        }
    }
}

#[test]
fn a_reload_event_names_the_pages_an_edit_changed() {
    let dir = new_dossier();
    let server = start(&dir.path().join("d"));
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "GET /__dossier/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    .unwrap();
    let mut events = BufReader::new(stream);
    // The greeting names no page: nothing has changed yet.
    let greeting = next_event(&mut events, Duration::from_secs(5), |_| true);
    assert!(greeting.contains("\"changed\":[]"), "{greeting}");

    edit(
        dir.path(),
        "approved the repairs at its March meeting",
        "approved the repairs in a vote",
    );
    // The topic's own page changed; the home page, which shows only its
    // title and summary, did not.
    let event = next_event(&mut events, Duration::from_secs(5), |d| {
        d.contains("/topics/harbour-bridge/")
    });
    let value: serde_json::Value = serde_json::from_str(&event).unwrap();
    let changed: Vec<&str> = value["changed"]
        .as_array()
        .expect("a list of paths, not every page")
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(changed.contains(&"/topics/harbour-bridge/"), "{changed:?}");
    assert!(!changed.contains(&"/"), "{changed:?}");
    // The live-reload script reloads a page only when it is named.
    let (_, script) = get(server.port, "/__dossier/live.js");
    assert!(script.contains("window.location.pathname"), "{script}");
}

#[test]
fn an_edited_source_is_checked_again_against_the_unchanged_topics() {
    let dir = new_dossier();
    let server = start(&dir.path().join("d"));
    let source = dir.path().join("d/content/sources/council-bulletin.txt");
    let text = std::fs::read_to_string(&source).unwrap();
    assert!(text.contains("estimated the cost at 2.4 million"));
    // The topic is not touched; only its source loses the quoted words.
    std::fs::write(
        &source,
        text.replace(
            "estimated the cost at 2.4 million",
            "put the cost at 2.4 million",
        ),
    )
    .unwrap();
    wait_for(
        server.port,
        "/topics/harbour-bridge/",
        Duration::from_secs(2),
        |b| b.contains("quoted words are not in source `council-bulletin`"),
    );
    std::fs::write(&source, &text).unwrap();
    wait_for(
        server.port,
        "/topics/harbour-bridge/",
        Duration::from_secs(2),
        |b| !b.contains("dossier-overlay") && b.contains("Notes and sources"),
    );
}
