//! Site search on the repository's own dossier: the page, its index, and a
//! quoted passage found through the index the way `static/search.js` reads it.

use std::path::Path;
use std::process::Command;

use scraper::{Html, Selector};
use serde_json::Value;

fn build_repository(base_url: &str) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(["build", "--root", env!("CARGO_MANIFEST_DIR"), "--out"])
        .arg(out.path().join("site"))
        .args(["--base-url", base_url])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The documents (as `[url, title, kind, context, text]`) whose indexed
/// words include `word`, decoded as the script decodes them.
fn documents_with(search: &Path, word: &str) -> Vec<Value> {
    let meta = json(&search.join("index.json"));
    let shard = meta["shards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| word.starts_with(s[0].as_str().unwrap()))
        .max_by_key(|s| s[0].as_str().unwrap().len())
        .unwrap();
    let words = json(&search.join(shard[1].as_str().unwrap()));
    let postings = words[word][1].as_array().unwrap();
    let chunks = meta["chunks"].as_array().unwrap();
    let mut doc = 0;
    let mut found = Vec::new();
    for pair in postings.chunks(2) {
        doc += pair[0].as_u64().unwrap();
        let chunk = chunks
            .iter()
            .rfind(|c| c[0].as_u64().unwrap() <= doc)
            .unwrap();
        let rows = json(&search.join(chunk[1].as_str().unwrap()));
        found.push(rows[(doc - chunk[0].as_u64().unwrap()) as usize].clone());
    }
    found
}

#[test]
fn the_search_page_has_a_labelled_search_form_and_loads_its_script() {
    let out = build_repository("https://example.org/dossier/");
    let site = out.path().join("site");
    let html =
        Html::parse_document(&std::fs::read_to_string(site.join("search/index.html")).unwrap());
    let one = |css: &str| {
        let selector = Selector::parse(css).unwrap();
        html.select(&selector)
            .next()
            .unwrap_or_else(|| panic!("no {css}"))
            .value()
            .clone()
    };
    let form = one("form[role=search]");
    assert_eq!(form.attr("data-base"), Some("/dossier/"));
    assert_eq!(form.attr("data-index"), Some("/dossier/search/index.json"));
    assert_eq!(one("input[type=search]").attr("id"), Some("search-q"));
    assert_eq!(one("label").attr("for"), Some("search-q"));
    let script = one("main script");
    assert_eq!(script.attr("src"), Some("/dossier/search.js"));
    assert!(script.attr("defer").is_some());
    assert!(html.html().contains("<noscript>"));
    assert_eq!(one("nav.site-nav a[href=\"/dossier/search/\"]").name(), "a");
    assert!(site.join("search.js").is_file());
}

#[test]
fn a_word_of_a_quoted_passage_leads_to_the_marked_passage() {
    let out = build_repository("/");
    let search = out.path().join("site/search");
    let meta = json(&search.join("index.json"));
    assert_eq!(meta["version"], 1);
    // Cited in New START as "extended by five years New START".
    let docs = documents_with(&search, "extended");
    let urls: Vec<&str> = docs.iter().map(|d| d[0].as_str().unwrap()).collect();
    let passage = urls
        .iter()
        .find(|u| u.starts_with("sources/moscow-times-blinken-lavrov/#q-"))
        .unwrap_or_else(|| panic!("no passage in {urls:?}"));
    let row = &docs[urls.iter().position(|u| u == passage).unwrap()];
    assert_eq!(row[2], "q");
    assert!(
        row[4]
            .as_str()
            .unwrap()
            .contains("extended by five years New START"),
        "{row}"
    );
    let source_page = std::fs::read_to_string(
        out.path()
            .join("site/sources/moscow-times-blinken-lavrov/index.html"),
    )
    .unwrap();
    let id = passage.split_once('#').unwrap().1;
    assert!(source_page.contains(&format!("<mark id=\"{id}\"")));
    // Its paragraph and the topic are found too.
    assert!(
        urls.iter()
            .any(|u| u.starts_with("sources/moscow-times-blinken-lavrov/#p-"))
    );
    let topics = documents_with(&search, "treaty");
    assert!(
        topics.iter().any(|d| d[0] == "topics/new-start/"),
        "{topics:?}"
    );
}

#[test]
fn a_word_only_in_a_topics_body_finds_that_topic() {
    // A build lets go of each topic's body once its page is written, and
    // the index has the body's words from the page's making.
    // "criticised" is in the body of the Afghan bounties topic alone (its
    // sources spell it "criticized").
    let out = build_repository("/");
    let docs = documents_with(&out.path().join("site/search"), "criticised");
    let urls: Vec<&str> = docs.iter().map(|d| d[0].as_str().unwrap()).collect();
    assert_eq!(urls, ["topics/afghan-bounties/"]);
    assert_eq!(docs[0][2], "t");
}
