//! Hostile input and failure: markup in untrusted text stays text, links
//! out of the root are not followed, a killed build loses nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn dossier(args: &[&str], root: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(args)
        .arg("--root")
        .arg(root)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const EVIL: &str =
    r#"<script>alert(1)</script> "><img src=x onerror=alert(2)> </textarea> {{ 7*7 }} {% raw %}"#;

fn hostile_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "dossier.toml",
        "title = \"Hostile\"\nbase_url = \"https://example.org/\"\n",
    );
    write(
        root,
        "content/sources/evil.txt",
        &format!("A first paragraph that is harmless.\n\nThe attacker wrote {EVIL} in the page.\n"),
    );
    write(
        root,
        "content/sources/evil.yaml",
        &format!(
            "title: '{}'\npublisher: '{}'\nnote: '{}'\nurl: https://example.org/a\n",
            EVIL.replace('\'', "''"),
            EVIL.replace('\'', "''"),
            EVIL.replace('\'', "''")
        ),
    );
    let quoted = r#"The attacker wrote <script>alert(1)</script> \"><img src=x onerror=alert(2)>"#;
    write(
        root,
        "content/topics/t.md",
        &format!(
            "---\ntitle: Topic\nsummary: A summary.\n---\n\nIt says so.[@evil \"{quoted}\"]\n"
        ),
    );
    dir
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

#[test]
fn markup_in_sources_sidecars_and_quotes_is_inert_text_everywhere() {
    let dir = hostile_root();
    let out = dir.path().join("site");
    let run = dossier(&["build", "--out", out.to_str().unwrap()], dir.path());
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut checked = 0;
    for file in all_files(&out) {
        let name = file
            .strip_prefix(&out)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if name == "sources/evil.txt" {
            continue; // the raw capture, served as text/plain, byte for byte
        }
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        for needle in [
            "<script>alert",
            "<img src=x",
            "</textarea>",
            "onerror=alert(2)>",
        ] {
            assert!(!text.contains(needle), "{name} contains raw {needle:?}");
        }
        assert!(
            !text.contains(">49<") && !text.contains(" 49 "),
            "{name} evaluated a template expression"
        );
        checked += 1;
    }
    assert!(checked > 8);
    let source = std::fs::read_to_string(out.join("sources/evil/index.html")).unwrap();
    assert!(
        source.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "shown as text"
    );
    assert!(
        source.contains("{{ 7*7 }}"),
        "template syntax shown literally"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("dossier.json")).unwrap()).unwrap();
    assert_eq!(json["sources"][0]["title"], EVIL);
    let feed = std::fs::read_to_string(out.join("atom.xml")).unwrap();
    assert!(feed.contains("<title>Topic</title>"));
}

#[test]
fn pages_carry_a_content_security_policy_and_external_links_no_referrer() {
    let dir = hostile_root();
    let out = dir.path().join("site");
    assert!(
        dossier(&["build", "--out", out.to_str().unwrap()], dir.path())
            .status
            .success()
    );
    for page in [
        "index.html",
        "topics/t/index.html",
        "sources/evil/index.html",
        "404.html",
    ] {
        let html = std::fs::read_to_string(out.join(page)).unwrap();
        assert!(
            html.contains("http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'"),
            "{page}"
        );
        assert!(!html.contains("<script>"), "{page} has an inline script");
    }
    let source = std::fs::read_to_string(out.join("sources/evil/index.html")).unwrap();
    let external = source.matches("href=\"https://example.org/a").count();
    let safe = source.matches("rel=\"noopener noreferrer\"").count();
    assert!(
        external >= 1 && safe >= external,
        "{external} external links, {safe} with rel"
    );
}

#[cfg(unix)]
#[test]
fn symbolic_links_out_of_the_root_are_reported_and_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.txt", "TOP SECRET WORDS\n");
    write(outside.path(), "secret.yaml", "title: s\npublisher: p\n");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "dossier.toml", "title = \"Links\"\n");
    write(
        root,
        "content/topics/t.md",
        "---\ntitle: T\nsummary: S.\n---\n\nText.\n",
    );
    std::fs::create_dir_all(root.join("content/sources")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        root.join("content/sources/secret.txt"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.yaml"),
        root.join("content/sources/secret.yaml"),
    )
    .unwrap();
    let run = dossier(&["check"], root);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("content/sources/secret.txt"), "{stderr}");
    assert!(
        stderr.contains("outside the dossier root; not followed"),
        "{stderr}"
    );

    // A loop is a warning, and the rest builds.
    std::fs::remove_file(root.join("content/sources/secret.txt")).unwrap();
    std::fs::remove_file(root.join("content/sources/secret.yaml")).unwrap();
    std::os::unix::fs::symlink(
        root.join("content/topics/loop.md"),
        root.join("content/topics/loop.md"),
    )
    .unwrap();
    let out = root.join("site");
    let run = dossier(&["build", "--out", out.to_str().unwrap()], root);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: symbolic link that leads nowhere or in a loop"),
        "{stderr}"
    );
    assert!(
        !all_files(&out)
            .iter()
            .any(|f| std::fs::read_to_string(f).is_ok_and(|t| t.contains("TOP SECRET")))
    );
}

fn big_root(topics: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "dossier.toml", "title = \"Big\"\n");
    let text: String = (0..200)
        .map(|i| format!("Paragraph {i} says that the council met on day {i}.\n\n"))
        .collect();
    write(root, "content/sources/s.txt", &text);
    write(root, "content/sources/s.yaml", "title: S\npublisher: P\n");
    for t in 0..topics {
        write(
            root,
            &format!("content/topics/t{t}.md"),
            &format!(
                "---\ntitle: Topic {t}\nsummary: S.\n---\n\nClaim.[@s \"the council met on day {}\"]\n",
                t % 200
            ),
        );
    }
    dir
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    all_files(dir)
        .into_iter()
        .map(|f| {
            (
                f.strip_prefix(dir).unwrap().to_owned(),
                std::fs::read(&f).unwrap(),
            )
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn a_build_killed_at_any_moment_leaves_the_previous_site_intact() {
    let dir = big_root(400);
    let root = dir.path();
    let out = root.join("public");
    assert!(dossier(&["build"], root).status.success());
    let before = snapshot(&out);
    // Change the content so that a completed build would differ.
    write(
        root,
        "content/topics/t0.md",
        "---\ntitle: Changed\nsummary: S.\n---\n\nNew.\n",
    );
    // What a whole build of the changed content writes, built elsewhere.
    let reference = tempfile::tempdir().unwrap();
    let after_out = reference.path().join("public");
    let built = dossier(&["build", "--out", after_out.to_str().unwrap()], root);
    assert!(built.status.success());
    let after = snapshot(&after_out);
    for delay_ms in [0u64, 5, 15, 30, 50, 80, 120, 200] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dossier"))
            .args(["build", "--quiet", "--root"])
            .arg(root)
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        if status.success() {
            // The build won the race: the new site is whole.
            assert!(
                std::fs::read_to_string(out.join("topics/t0/index.html"))
                    .unwrap()
                    .contains("Changed")
            );
            return;
        }
        // Killed before the swap, the previous site is as it was; killed
        // after it (while the old tree was being removed), the new one is
        // whole. Anything in between is a broken site.
        let now = snapshot(&out);
        assert!(
            now == before || now == after,
            "killed after {delay_ms} ms: the site is neither the previous one nor the new one"
        );
    }
    // The next build cleans up whatever the killed ones left beside public/.
    assert!(dossier(&["build"], root).status.success());
    let leftovers: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".public"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());
}
