//! Every internal link of a built site leads somewhere: the file exists and
//! the fragment, if any, is an id in it. Checked for the good fixture and
//! for the repository's own dossier, served at `/` and under a sub-path.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use common::{Site, fixture, read_tree, repo_root, sel};
use scraper::Html;

const SUB_PATH_URL: &str = "http://127.0.0.1:8080/dossier/";

/// What a walk over a site found.
#[derive(Debug, Default)]
struct LinkReport {
    /// Internal links followed.
    checked: usize,
    /// Internal links that are not root-relative with the base path (or a
    /// bare `#fragment`, or absolute under `base_url`).
    unprefixed: Vec<String>,
    /// `page: href: why` for every link that leads nowhere.
    broken: Vec<String>,
    /// `page: id` for every id used more than once in a page (a link to it
    /// may land on the wrong element).
    duplicate_ids: Vec<String>,
}

/// Walks every HTML file under `out` and follows each `href` and `src`.
fn check_links(out: &Path, base_url: &str) -> LinkReport {
    let base_path = base_path(base_url);
    let files = read_tree(out);
    let mut ids: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut ids_of = |file: &str| -> BTreeSet<String> {
        ids.entry(file.to_owned())
            .or_insert_with(|| {
                let html = Html::parse_document(&String::from_utf8_lossy(&files[file]));
                let set: BTreeSet<String> = html
                    .select(&sel("[id]"))
                    .filter_map(|e| e.value().id().map(str::to_owned))
                    .collect();
                set
            })
            .clone()
    };
    let mut report = LinkReport::default();
    for (path, bytes) in &files {
        if !path.ends_with(".html") {
            continue;
        }
        let page_dir = format!(
            "{base_path}{}",
            path.rsplit_once('/').map_or("", |(dir, _)| dir)
        );
        let page_dir = if page_dir.ends_with('/') {
            page_dir
        } else {
            format!("{page_dir}/")
        };
        let html = Html::parse_document(&String::from_utf8_lossy(bytes));
        let mut seen = BTreeSet::new();
        for id in html.select(&sel("[id]")).filter_map(|e| e.value().id()) {
            if !seen.insert(id) {
                report.duplicate_ids.push(format!("{path}: {id}"));
            }
        }
        for element in html.select(&sel("[href], [src]")) {
            for name in ["href", "src"] {
                let Some(link) = element.value().attr(name) else {
                    continue;
                };
                let broken = |why: &str| format!("{path}: {name}=\"{link}\": {why}");
                let internal = match classify(link, base_url) {
                    Link::External => continue,
                    Link::Bad(why) => {
                        report.broken.push(broken(why));
                        continue;
                    }
                    Link::Internal(l) => l,
                };
                report.checked += 1;
                let (url_path, fragment) = match internal.split_once('#') {
                    Some((p, f)) => (p.to_owned(), Some(f.to_owned())),
                    None => (internal.clone(), None),
                };
                let absolute = if url_path.is_empty() {
                    format!("{base_path}{path}")
                } else if url_path.starts_with('/') {
                    if !url_path.starts_with(&base_path) {
                        report.unprefixed.push(format!("{path}: {link}"));
                    }
                    url_path
                } else {
                    report.unprefixed.push(format!("{path}: {link}"));
                    format!("{page_dir}{url_path}")
                };
                let Some(file) = output_file(&absolute, &base_path) else {
                    report.broken.push(broken("outside the site's base path"));
                    continue;
                };
                if !files.contains_key(&file) {
                    report.broken.push(broken(&format!("no file {file}")));
                    continue;
                }
                let Some(fragment) = fragment.filter(|f| !f.is_empty()) else {
                    continue;
                };
                if !file.ends_with(".html") {
                    report.broken.push(broken("fragment on a non-HTML file"));
                } else if !ids_of(&file).contains(&fragment) {
                    report
                        .broken
                        .push(broken(&format!("no id `{fragment}` in {file}")));
                }
            }
        }
    }
    report
}

enum Link {
    /// Not part of the site: skipped.
    External,
    /// A link into the site, as a path (root-relative or relative) with
    /// its fragment.
    Internal(String),
    /// A scheme a page should never link to.
    Bad(&'static str),
}

fn classify(link: &str, base_url: &str) -> Link {
    if base_url.contains("://") && link.starts_with(base_url) {
        // Absolute links to the site itself (the canonical link) are internal.
        let path_start = base_url[base_url.find("://").unwrap() + 3..]
            .find('/')
            .map_or(base_url.len(), |i| base_url.find("://").unwrap() + 3 + i);
        return Link::Internal(link[path_start..].to_owned());
    }
    if link.starts_with("http://") || link.starts_with("https://") || link.starts_with("//") {
        return Link::External;
    }
    if link.starts_with("mailto:") {
        return Link::External;
    }
    let scheme = link
        .split_once(':')
        .map(|(s, _)| s)
        .filter(|s| !s.contains(['/', '#', '?']));
    if scheme.is_some() {
        return Link::Bad("unexpected URL scheme");
    }
    Link::Internal(link.to_owned())
}

/// The output file an absolute URL path names, or `None` outside the base.
fn output_file(absolute: &str, base_path: &str) -> Option<String> {
    let path = absolute.split('?').next().unwrap_or(absolute);
    let rest = path.strip_prefix(base_path).or_else(|| {
        // The base itself without its trailing slash.
        (path == base_path.trim_end_matches('/')).then_some("")
    })?;
    let decoded = percent_encoding::percent_decode_str(rest)
        .decode_utf8()
        .ok()?
        .into_owned();
    let mut parts: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    let mut file = parts.join("/");
    if decoded.is_empty() || decoded.ends_with('/') {
        if !file.is_empty() {
            file.push('/');
        }
        file.push_str("index.html");
    }
    Some(file)
}

/// `/` or `/sub/path/` for a base URL.
fn base_path(base_url: &str) -> String {
    let path = match base_url.find("://") {
        Some(i) => base_url[i + 3..]
            .find('/')
            .map_or("/", |j| &base_url[i + 3 + j..]),
        None => base_url,
    };
    format!("{}/", path.trim_end_matches('/'))
}

fn assert_no_broken_links(root: &Path, base_url: &str, extra: &[&str]) {
    let mut args = vec!["--base-url", base_url];
    args.extend_from_slice(extra);
    let site = Site::build(root, &args);
    let report = check_links(&site.out, base_url);
    assert!(
        report.broken.is_empty(),
        "{} broken links in {} (base {base_url}):\n{}",
        report.broken.len(),
        root.display(),
        report.broken.join("\n")
    );
    assert!(
        report.duplicate_ids.is_empty(),
        "ids used twice in one page:\n{}",
        report.duplicate_ids.join("\n")
    );
    assert!(
        report.unprefixed.is_empty(),
        "links without the base path {base_url}:\n{}",
        report.unprefixed.join("\n")
    );
    // A site with two topics and two sources has far more than this; a
    // walker that found nothing would pass vacuously.
    assert!(
        report.checked > 100,
        "only {} links checked",
        report.checked
    );
}

#[test]
fn good_fixture_links_resolve_at_the_root() {
    assert_no_broken_links(&fixture("good"), "/", &["--drafts"]);
}

#[test]
fn good_fixture_links_resolve_under_a_sub_path() {
    assert_no_broken_links(&fixture("good"), SUB_PATH_URL, &["--drafts"]);
}

#[test]
fn repository_dossier_links_resolve_at_the_root() {
    assert_no_broken_links(&repo_root(), "/", &[]);
}

#[test]
fn repository_dossier_links_resolve_under_a_sub_path() {
    assert_no_broken_links(&repo_root(), SUB_PATH_URL, &[]);
}

#[test]
fn heading_ids_do_not_collide_with_the_page_s_own_ids() {
    // `## Sources` in index.md, or `## Main`, `## Note 1`, `## Notes
    // heading` in a topic, must not duplicate the ids the templates use
    // (`sources`, the skip link's `main`, `note-1`, `notes-heading`).
    let site = Site::fixture("heading-ids", &[]);
    let report = check_links(&site.out, "/");
    assert_eq!(report.broken, Vec::<String>::new());
    assert_eq!(report.duplicate_ids, Vec::<String>::new());
}

#[test]
fn under_a_sub_path_every_link_and_json_url_carries_it() {
    let site = Site::fixture("good", &["--base-url", SUB_PATH_URL]);
    let topic = site.page("topics/budget/index.html");
    let hrefs: Vec<&str> = topic
        .select(&sel("a[href], link[href], script[src]"))
        .filter_map(|e| e.value().attr("href").or(e.value().attr("src")))
        .collect();
    for expected in [
        "/dossier/style.css",
        "/dossier/dossier.js",
        "/dossier/",
        "/dossier/sources/council-report/",
        "/dossier/sources/council-report/#q-2-96-157",
        "/dossier/sources/harbour-gazette/",
    ] {
        assert!(hrefs.contains(&expected), "no {expected} in {hrefs:?}");
    }
    let source = site.page("sources/council-report/index.html");
    let back: Vec<&str> = source
        .select(&sel("span.cited-in a"))
        .map(|a| a.value().attr("href").unwrap())
        .collect();
    assert!(
        back.contains(&"/dossier/topics/budget/#cite-1-a"),
        "{back:?}"
    );
    let json: serde_json::Value = serde_json::from_slice(&site.bytes("dossier.json")).unwrap();
    assert_eq!(json["base_url"], SUB_PATH_URL);
    assert_eq!(json["topics"][0]["url"], "/dossier/topics/budget/");
    assert_eq!(
        json["sources"][0]["page_url"],
        "/dossier/sources/council-report/"
    );
    assert_eq!(
        json["sources"][0]["text_url"],
        "/dossier/sources/council-report.txt"
    );
}

#[test]
fn the_repository_dossier_checks_clean() {
    let run = common::check(&repo_root(), &[]);
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    assert!(run.stdout.starts_with("Checked "), "{}", run.stdout);
    assert!(run.stdout.contains(": no errors"), "{}", run.stdout);
}

#[test]
fn the_link_checker_itself_finds_broken_links() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    std::fs::create_dir_all(out.join("topics/a")).unwrap();
    std::fs::write(
        out.join("index.html"),
        r##"<a href="/topics/a/">ok</a> <a href="/topics/a/#here">ok</a>
        <a href="#top" id="top">ok</a> <a href="https://example.org/#:~:text=x">external</a>
        <a href="/topics/b/">missing page</a> <a href="/topics/a/#nowhere">missing id</a>
        <a href="topics/a/">relative</a> <a href="javascript:alert(1)">scheme</a>"##,
    )
    .unwrap();
    std::fs::write(out.join("topics/a/index.html"), r#"<p id="here">x</p>"#).unwrap();
    std::fs::write(
        out.join("twice.html"),
        r#"<p id="x">one</p><p id="x">two</p>"#,
    )
    .unwrap();
    let report = check_links(out, "/");
    assert_eq!(report.duplicate_ids, ["twice.html: x"]);
    assert_eq!(report.checked, 6);
    assert_eq!(
        report.broken,
        [
            "index.html: href=\"/topics/b/\": no file topics/b/index.html",
            "index.html: href=\"/topics/a/#nowhere\": no id `nowhere` in topics/a/index.html",
            "index.html: href=\"javascript:alert(1)\": unexpected URL scheme",
        ]
    );
    assert_eq!(report.unprefixed, ["index.html: topics/a/"]);
    let sub = check_links(out, SUB_PATH_URL);
    assert_eq!(
        sub.broken
            .iter()
            .filter(|b| b.ends_with("outside the site's base path"))
            .count(),
        4
    );
}
