//! The command line: exit codes, the summary line, diagnostics (human
//! snapshots, JSON, GitHub), usage and I/O errors, atomic and reproducible
//! output.
//!
//! Each `bad-*` fixture holds one kind of mistake; its full human stderr is
//! snapshotted in `tests/snapshots/cli__<fixture>.snap`, and the test also
//! states the location and message it expects, so a reader sees the point
//! of the case without opening the snapshot.

mod common;

use std::path::Path;

use common::{Site, build, check, copy_tree, dossier, fixture, read_tree};

/// The counts of a `Built …` summary line.
#[derive(Debug, PartialEq, Eq)]
struct Summary {
    topics: usize,
    sources: usize,
    citations: usize,
    pages: usize,
    files: usize,
    out: String,
}

/// Parses `Built N topics, N sources, N citations into N pages (N files) in N ms: OUT`.
fn parse_summary(line: &str) -> Summary {
    let words: Vec<&str> = line.split(' ').collect();
    let shape = [
        (0, "Built"),
        (2, "topic"),
        (4, "source"),
        (6, "citation"),
        (7, "into"),
        (9, "page"),
        (11, "file"),
        (12, "in"),
        (14, "ms:"),
    ];
    assert!(words.len() > 15, "not a summary line: {line:?}");
    for (i, word) in shape {
        assert!(words[i].starts_with(word), "word {i} of {line:?}");
    }
    let number = |s: &str| -> usize {
        s.trim_matches(|c: char| !c.is_ascii_digit())
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {s:?} in {line:?}"))
    };
    number(words[13]); // elapsed milliseconds: any number
    Summary {
        topics: number(words[1]),
        sources: number(words[3]),
        citations: number(words[5]),
        pages: number(words[8]),
        files: number(words[10]),
        out: words[15..].join(" "),
    }
}

// ---------------------------------------------------------------------------
// Success

#[test]
fn build_prints_one_summary_line_that_matches_the_output() {
    let site = Site::fixture("good", &[]);
    assert_eq!(site.run.stderr, "", "a clean build prints no diagnostics");
    let lines: Vec<&str> = site.run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "stdout: {:?}", site.run.stdout);
    let summary = parse_summary(lines[0]);
    let files = site.files();
    // The marker and the manifest are bookkeeping, not pages of the site.
    let written: Vec<&String> = files
        .keys()
        .filter(|p| *p != ".dossier-build" && *p != ".dossier-manifest")
        .collect();
    let pages = written.iter().filter(|p| p.ends_with(".html")).count();
    // Two published topics (the draft is left out), nine citations in one
    // and four in the other.
    assert_eq!(
        summary,
        Summary {
            topics: 2,
            sources: 2,
            citations: 13,
            pages,
            files: written.len(),
            out: site.out.display().to_string(),
        }
    );
    for expected in [
        ".dossier-build",
        "index.html",
        "404.html",
        "topics/budget/index.html",
        "topics/bridge/index.html",
        "sources/council-report/index.html",
        "sources/council-report.txt",
        "sources/harbour-gazette/index.html",
        "sources/harbour-gazette.txt",
        "dossier.json",
        "style.css",
        "dossier.js",
        "favicon.svg",
    ] {
        assert!(files.contains_key(expected), "missing {expected}");
    }
    assert!(!site.has("topics/street-lighting/index.html"));
}

#[test]
fn timings_name_each_stage_with_its_time_processor_time_and_the_peak_memory() {
    let site = Site::fixture("good", &["--timings"]);
    let lines: Vec<&str> = site.run.stderr.lines().collect();
    let stages = [
        "reading files",
        "parsing",
        "verifying citations",
        "comparing sources",
        "rendering and writing pages",
        "putting the site in place",
    ];
    assert_eq!(lines.len(), stages.len(), "{}", site.run.stderr);
    let mut peaks = Vec::new();
    let (mut processor, mut wall) = (0.0, 0.0);
    for (line, stage) in lines.iter().zip(stages) {
        let (ms, rest) = line
            .trim_start()
            .split_once(" ms  ")
            .expect("`N ms  stage`");
        wall += ms.parse::<f64>().unwrap_or_else(|_| panic!("{line:?}"));
        assert!(rest.starts_with(stage), "{line:?}");
        if cfg!(target_os = "linux") {
            let (cpu, peak) = rest
                .strip_prefix(stage)
                .and_then(|p| p.strip_prefix("  ("))
                .and_then(|p| p.strip_suffix(" MiB)"))
                .and_then(|p| p.split_once(" ms CPU, peak "))
                .unwrap_or_else(|| panic!("no processor time and peak memory in {line:?}"));
            processor += cpu.parse::<f64>().expect("ms");
            peaks.push(peak.parse::<u64>().expect("MiB"));
        }
    }
    // A peak never goes down.
    assert!(peaks.windows(2).all(|w| w[0] <= w[1]), "{peaks:?}");
    // Processor time is in milliseconds too: no more than every core
    // could give in the stages' time (each figure is rounded to 1 ms).
    if cfg!(target_os = "linux") {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert!(
            processor <= wall * cores as f64 + 6.0,
            "{processor} ms of CPU in {wall} ms on {cores} cores"
        );
    }
}

#[test]
fn drafts_flag_counts_the_draft_topic() {
    let site = Site::fixture("good", &["--drafts"]);
    let summary = parse_summary(site.run.stdout.trim_end());
    assert_eq!((summary.topics, summary.citations), (3, 14));
    assert!(site.has("topics/street-lighting/index.html"));
}

#[test]
fn check_passes_on_the_good_fixture_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("good");
    copy_tree(&fixture("good"), &root);
    let before = read_tree(dir.path());
    let run = check(&root, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    // `check` verifies drafts too.
    let line = run.stdout.trim_end();
    assert!(
        line.starts_with("Checked 3 topics, 2 sources, 14 citations: no errors in ")
            && line.ends_with(" ms"),
        "{line:?}"
    );
    assert_eq!(read_tree(dir.path()), before, "check must not write");
}

#[test]
fn out_defaults_to_root_public() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("good");
    copy_tree(&fixture("good"), &root);
    let run = dossier(&["build".as_ref(), "--root".as_ref(), root.as_os_str()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(root.join("public/.dossier-build").is_file());
    assert!(root.join("public/topics/budget/index.html").is_file());
    assert!(
        run.stdout
            .trim_end()
            .ends_with(&format!(": {}", root.join("public").display())),
        "{}",
        run.stdout
    );
}

#[test]
fn two_builds_are_byte_identical() {
    for root in [fixture("good"), common::repo_root()] {
        let first = Site::build(&root, &["--drafts"]).files();
        let second = Site::build(&root, &["--drafts"]).files();
        assert_eq!(
            first.keys().collect::<Vec<_>>(),
            second.keys().collect::<Vec<_>>(),
            "same files for {}",
            root.display()
        );
        for (path, bytes) in &first {
            assert!(
                second[path] == *bytes,
                "{path} differs between two builds of {}",
                root.display()
            );
        }
    }
}

#[test]
fn a_rebuild_into_the_same_out_replaces_the_previous_site() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let draft = "topics/street-lighting/index.html";
    assert_eq!(build(&fixture("good"), &out, &["--drafts"]).code, 0);
    assert!(out.join(draft).is_file());
    let with_drafts = read_tree(&out);
    let run = build(&fixture("good"), &out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !out.join("topics/street-lighting").exists(),
        "stale page kept"
    );
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [".site.previous", "site"],
        "only the replaced site is kept beside the output"
    );
    // It is kept for the next build, hidden from git.
    let kept = dir.path().join(".site.previous");
    assert_eq!(
        std::fs::read_to_string(kept.join(".gitignore"))
            .unwrap()
            .lines()
            .last(),
        Some("*")
    );
    assert!(kept.join(draft).is_file());

    // The third build starts in that kept site: the result is the site a
    // build into a new folder writes.
    let run = build(&fixture("good"), &out, &["--drafts"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(read_tree(&out) == with_drafts, "a rebuild differs");
    let fresh = dir.path().join("fresh");
    assert_eq!(build(&fixture("good"), &fresh, &["--drafts"]).code, 0);
    assert!(read_tree(&out) == read_tree(&fresh));
    assert!(!out.join(".gitignore").exists());
}

// ---------------------------------------------------------------------------
// Content errors: exit 1, every error reported, nothing written

/// Builds a bad fixture into a fresh `--out` and checks what every failed
/// build must do; returns the human stderr.
fn fails(name: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let run = build(&fixture(name), &out, &[]);
    assert_eq!(run.code, 1, "exit code for {name}; stderr:\n{}", run.stderr);
    assert_eq!(run.stdout, "", "no summary line after a failure");
    assert!(!out.exists(), "a failed build must not create --out");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "a failed build leaves no staging folder"
    );
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("build failed: "), "last line: {last:?}");
    run.stderr
}

/// Asserts that `stderr` has an error with `message` at `location`
/// (`path:line:col`, or just `path` for a whole-file problem).
fn has_error(stderr: &str, location: &str, message: &str) {
    let block = stderr
        .split("\n\n")
        .find(|b| b.starts_with(&format!("error: {message}")))
        .unwrap_or_else(|| panic!("no `error: {message}` in:\n{stderr}"));
    let pointer = format!("┌─ {location}\n");
    assert!(
        block.contains(&pointer),
        "`{message}` should be at {location}:\n{block}"
    );
}

/// The `┌─ location` lines of a human report, in order.
fn locations(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("┌─ "))
        .collect()
}

#[test]
fn bad_frontmatter_key() {
    let stderr = fails("bad-frontmatter-key");
    has_error(
        &stderr,
        "content/topics/hours.md:3:1",
        "unknown field `sumary`",
    );
    assert!(
        stderr.contains("= help: did you mean `summary`?"),
        "{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn bad_missing_key() {
    let stderr = fails("bad-missing-key");
    has_error(
        &stderr,
        "content/topics/hours.md:2:1",
        "missing field `summary`",
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn bad_wrong_type() {
    let stderr = fails("bad-wrong-type");
    has_error(
        &stderr,
        "content/topics/hours.md:4:8",
        "order: invalid type: string \"soon\", expected i64",
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn bad_date() {
    let stderr = fails("bad-date");
    has_error(
        &stderr,
        "content/topics/hours.md:4:10",
        "invalid date `2021-02-30`",
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn bad_source_id() {
    let stderr = fails("bad-source-id");
    has_error(
        &stderr,
        "content/sources/Bad_Id.txt",
        "`Bad_Id` is not a valid source id",
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn bad_sidecar_url() {
    let stderr = fails("bad-sidecar-url");
    has_error(
        &stderr,
        "content/sources/memo.yaml:3:6",
        "URL scheme `javascript` is not allowed",
    );
    // A source whose sidecar has an error is not usable, but citing it is
    // not a second error ("unknown source"): one mistake gives one error.
    assert!(
        !stderr.contains("unknown source `memo`"),
        "a bad sidecar must not make its source unknown:\n{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn bad_unclosed_frontmatter() {
    let stderr = fails("bad-unclosed-frontmatter");
    has_error(
        &stderr,
        "content/topics/hours.md:1:1",
        "front matter is never closed",
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn bad_non_utf8() {
    let raw = std::fs::read(fixture("bad-non-utf8").join("content/sources/memo.txt")).unwrap();
    assert_eq!(raw[63], 0xFF, "the fixture's invalid byte is at offset 63");
    let stderr = fails("bad-non-utf8");
    has_error(
        &stderr,
        "content/sources/memo.txt",
        "not valid UTF-8: invalid byte at offset 63",
    );
    // As with a bad sidecar, the undecodable source is not also "unknown".
    assert!(
        !stderr.contains("unknown source `memo`"),
        "a source that does not decode must not also be unknown:\n{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn bad_quote_not_in_source() {
    let stderr = fails("bad-quote-not-in-source");
    has_error(
        &stderr,
        "content/topics/hours.md:6:16",
        "quoted words are not in source `memo`",
    );
    assert!(
        stderr.contains("= help: closest passage (paragraph p-1): \"open on Sundays from June.\""),
        "{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn closest_passage_lines_up_with_the_quote() {
    // With the last word wrong, "open on Tuesdays" shares two words with
    // both "will open on" and "open on Sundays"; the help must name the
    // window whose words line up with the quote.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    copy_tree(&fixture("bad-quote-not-in-source"), &root);
    std::fs::write(
        root.join("content/topics/hours.md"),
        "---\ntitle: Library hours\nsummary: When the library opens.\n---\n\nTuesdays.[@memo \"open on Tuesdays\"]\n",
    )
    .unwrap();
    let run = check(&root, &[]);
    assert_eq!(run.code, 1);
    has_error(
        &run.stderr,
        "content/topics/hours.md:6:11",
        "quoted words are not in source `memo`",
    );
    assert!(
        run.stderr
            .contains("= help: closest passage (paragraph p-1): \"open on Sundays\""),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_unknown_source() {
    let stderr = fails("bad-unknown-source");
    has_error(
        &stderr,
        "content/topics/hours.md:6:14",
        "unknown source `mem`",
    );
    assert!(stderr.contains("= help: did you mean `memo`?"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn bad_empty_quote() {
    let stderr = fails("bad-empty-quote");
    has_error(
        &stderr,
        "content/topics/hours.md:6:20",
        "malformed citation: empty quote",
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn bad_unterminated_citation() {
    let stderr = fails("bad-unterminated-citation");
    has_error(
        &stderr,
        "content/topics/hours.md:6:13",
        "unterminated citation",
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn bad_malformed_citation() {
    let stderr = fails("bad-malformed-citation");
    has_error(
        &stderr,
        "content/topics/hours.md:6:20",
        "malformed citation: unexpected `o` in citation",
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn bad_undefined_footnote() {
    let stderr = fails("bad-undefined-footnote");
    has_error(
        &stderr,
        "content/topics/hours.md:6:52",
        "footnote `[^later]` is not defined",
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn bad_no_sidecar() {
    let stderr = fails("bad-no-sidecar");
    has_error(
        &stderr,
        "content/sources/orphan.txt",
        "source `orphan` has no sidecar",
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn bad_derived_from() {
    let stderr = fails("bad-derived-from");
    has_error(
        &stderr,
        "content/sources/memo.yaml:3:1",
        "`derived_from` names unknown source `original-memo`",
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn bad_config_key() {
    let stderr = fails("bad-config-key");
    has_error(&stderr, "dossier.toml:2:1", "unknown field `descriptoin`");
    assert!(
        stderr.contains("= help: did you mean `description`?"),
        "{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn bad_template() {
    let stderr = fails("bad-template");
    assert!(stderr.ends_with("build failed: 1 error\n"), "{stderr}");
    // The diagnostic names the template file and the spot.
    assert!(stderr.contains("templates/topic.html:3:19"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn template_syntax_error_is_located_in_its_file() {
    // A template syntax error points at the template's own line and column.
    let run = check(&fixture("bad-template"), &["--format", "json"]);
    assert_eq!(run.code, 1);
    let first = run.stderr.lines().next().unwrap_or_default();
    let d: serde_json::Value = serde_json::from_str(first).expect("a JSON diagnostic");
    assert_eq!(
        (&d["file"], &d["line"], &d["column"]),
        (
            &serde_json::json!("templates/topic.html"),
            &serde_json::json!(3),
            &serde_json::json!(19)
        ),
        "{d}"
    );
}

#[test]
fn bad_many() {
    // Five errors and a warning across four files: all reported, sorted by
    // file, then line.
    let stderr = fails("bad-many");
    assert_eq!(
        locations(&stderr),
        [
            "content/sources/notice.yaml:3:12",
            "content/sources/readme.md",
            "content/topics/alpha.md:6:14",
            "content/topics/alpha.md:7:15",
            "content/topics/alpha.md:8:26",
            "content/topics/beta.md:3:1",
        ]
    );
    assert!(
        stderr.contains("warning: not a source text (.txt) or sidecar (.yaml); ignored"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("\nbuild failed: 5 errors, 1 warning\n"),
        "{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn check_reports_the_same_diagnostics_as_build() {
    let mut names: Vec<String> = std::fs::read_dir(common::repo_root().join("tests/fixtures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("bad-"))
        .collect();
    names.sort();
    assert!(names.len() >= 18, "{names:?}");
    for name in names {
        let built = fails(&name);
        let checked = check(&fixture(&name), &[]);
        assert_eq!(checked.code, 1, "check on {name}");
        assert_eq!(checked.stdout, "");
        assert_eq!(
            checked.stderr.replace("check failed:", "build failed:"),
            built,
            "check and build differ on {name}"
        );
    }
}

#[test]
fn a_failed_build_leaves_the_previous_site_intact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    assert_eq!(build(&fixture("good"), &out, &[]).code, 0);
    let before = read_tree(&out);
    let run = build(&fixture("bad-many"), &out, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let after = read_tree(&out);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    assert!(before == after, "the previous site's bytes changed");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["public"], "no staging folder left beside --out");
}

// ---------------------------------------------------------------------------
// Machine-readable formats

#[test]
fn json_format_prints_one_object_per_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let run = build(
        &fixture("bad-many"),
        &dir.path().join("out"),
        &["--format", "json"],
    );
    assert_eq!(run.code, 1);
    // Every line is a JSON object: no plain summary line at the end.
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 6, "{}", run.stderr);
    let found: Vec<(String, String, u64, u64, String, Vec<String>)> = lines
        .iter()
        .map(|line| {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            let s = |k: &str| v[k].as_str().unwrap_or_else(|| panic!("{k} in {line}"));
            let n = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k} in {line}"));
            let help = v["help"]
                .as_array()
                .unwrap_or_else(|| panic!("help in {line}"))
                .iter()
                .map(|h| h.as_str().unwrap().to_owned())
                .collect();
            (
                s("severity").to_owned(),
                s("file").to_owned(),
                n("line"),
                n("column"),
                s("message").to_owned(),
                help,
            )
        })
        .collect();
    let brief: Vec<(&str, &str, u64, u64)> = found
        .iter()
        .map(|(s, f, l, c, _, _)| (s.as_str(), f.as_str(), *l, *c))
        .collect();
    assert_eq!(
        brief,
        [
            ("error", "content/sources/notice.yaml", 3, 12),
            ("warning", "content/sources/readme.md", 0, 0),
            ("error", "content/topics/alpha.md", 6, 14),
            ("error", "content/topics/alpha.md", 7, 15),
            ("error", "content/topics/alpha.md", 8, 26),
            ("error", "content/topics/beta.md", 3, 1),
        ]
    );
    assert_eq!(found[2].4, "unknown source `memoo`");
    assert_eq!(found[2].5, ["did you mean `memo`?"]);
    assert!(
        found[5].4.starts_with("unknown field `sumary`"),
        "{}",
        found[5].4
    );
    assert_eq!(found[5].5, ["did you mean `summary`?"]);
}

#[test]
fn github_format_prints_workflow_commands() {
    let run = check(&fixture("bad-many"), &["--format", "github"]);
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "::error file=content/sources/notice.yaml,line=3,col=12::invalid date `2021-02-30`: expected a real date written YYYY-MM-DD",
            "::warning file=content/sources/readme.md::not a source text (.txt) or sidecar (.yaml); ignored",
            "::error file=content/topics/alpha.md,line=6,col=14::unknown source `memoo`%0Adid you mean `memo`?",
        ]
    );
    assert!(lines[3].starts_with("::error file=content/topics/alpha.md,line=7,col=15::"));
    assert!(lines[4].starts_with("::error file=content/topics/alpha.md,line=8,col=26::"));
    assert!(lines[5].starts_with("::error file=content/topics/beta.md,line=3,col=1::"));
    assert_eq!(lines[6], "check failed: 5 errors, 1 warning");
    assert_eq!(lines.len(), 7);
}

// ---------------------------------------------------------------------------
// Usage and I/O errors: exit 2

fn usage_error(run: &common::Run, needle: &str) {
    assert_eq!(run.code, 2, "stderr:\n{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.starts_with("error: ") && run.stderr.contains(needle),
        "expected `{needle}` in:\n{}",
        run.stderr
    );
}

#[test]
fn a_root_without_dossier_toml_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("content")).unwrap();
    let out = dir.path().join("out");
    usage_error(&build(dir.path(), &out, &[]), "has no dossier.toml");
    usage_error(&check(dir.path(), &[]), "has no dossier.toml");
    assert!(!out.exists());
}

#[test]
fn a_root_without_content_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dossier.toml"), "title = \"x\"\n").unwrap();
    usage_error(&check(dir.path(), &[]), "has no content/ folder");
}

#[test]
fn a_non_empty_out_without_the_marker_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mine");
    std::fs::create_dir_all(out.join("notes")).unwrap();
    std::fs::write(out.join("precious.txt"), "keep me").unwrap();
    std::fs::write(out.join("notes/index.html"), "<p>mine</p>").unwrap();
    let before = read_tree(&out);
    let run = build(&fixture("good"), &out, &[]);
    usage_error(&run, "refusing to write the site into");
    assert!(run.stderr.contains(".dossier-build"), "{}", run.stderr);
    assert_eq!(read_tree(&out), before, "the folder must be left as it was");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["mine"]);
}

#[test]
fn an_out_that_is_a_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("file");
    std::fs::write(&out, "x").unwrap();
    usage_error(&build(&fixture("good"), &out, &[]), "it is a file");
    assert_eq!(std::fs::read(&out).unwrap(), b"x");
}

#[test]
fn a_bad_base_url_flag_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = build(
        &fixture("good"),
        &out,
        &["--base-url", "ftp://example.org/"],
    );
    usage_error(&run, "--base-url");
    assert!(!out.exists());
}

#[test]
fn unknown_arguments_are_usage_errors() {
    let run = dossier(&["build", "--format", "xml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("invalid value 'xml'"), "{}", run.stderr);
    let run = dossier(&["publish"]);
    assert_eq!(run.code, 2);
    let run = dossier::<&str>(&[]);
    assert_eq!(run.code, 2);
}

#[test]
fn the_marker_is_what_makes_an_out_folder_replaceable() {
    // A folder holding only the marker (a previous build, say) is ours.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join(".dossier-build"), "").unwrap();
    std::fs::write(out.join("old.html"), "old").unwrap();
    let run = build(&fixture("good"), &out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!out.join("old.html").exists());
    assert!(Path::new(&out).join("index.html").is_file());
}
