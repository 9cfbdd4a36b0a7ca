//! The repository's own dossier: its four main topics are properly sourced.

use std::path::Path;
use std::process::Command;

use scraper::{Html, Selector};

fn build_repository() -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(["build", "--root", env!("CARGO_MANIFEST_DIR"), "--out"])
        .arg(out.path().join("site"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    out
}

fn page(path: &Path) -> Html {
    Html::parse_document(&std::fs::read_to_string(path).unwrap())
}

#[test]
fn each_main_topic_has_eight_citations_resolving_to_marked_passages() {
    let out = build_repository();
    let site = out.path().join("site");
    let citation = Selector::parse("sup.cite a").unwrap();
    for slug in ["new-start", "navalny", "solarwinds", "afghan-bounties"] {
        let topic = page(&site.join(format!("topics/{slug}/index.html")));
        let links: Vec<_> = topic.select(&citation).collect();
        assert!(
            links.len() >= 8,
            "{slug} has only {} citations",
            links.len()
        );
        let mut passages = 0;
        for link in links {
            let note_id = link.value().attr("href").unwrap().trim_start_matches('#');
            let note = Selector::parse(&format!("li#{note_id}")).unwrap();
            let note = topic
                .select(&note)
                .next()
                .unwrap_or_else(|| panic!("{slug}: no {note_id}"));
            let passage_link = Selector::parse("a[href*=\"/sources/\"][href*=\"#q-\"]").unwrap();
            let Some(a) = note.select(&passage_link).next() else {
                continue;
            };
            let href = a.value().attr("href").unwrap();
            let (path, fragment) = href.split_once('#').unwrap();
            let source = page(&site.join(path.trim_start_matches('/')).join("index.html"));
            let mark = Selector::parse(&format!("mark#{fragment}")).unwrap();
            assert!(
                source.select(&mark).next().is_some(),
                "{slug}: {href} is not a marked passage"
            );
            passages += 1;
        }
        assert!(passages >= 8, "{slug} quotes only {passages} passages");
    }
}

#[test]
fn the_rewrite_is_shown_as_a_copy_and_its_distortions_are_cited_against_the_original() {
    let out = build_repository();
    let site = out.path().join("site");
    let rewrite =
        std::fs::read_to_string(site.join("sources/rewrite-biden-putin-call/index.html")).unwrap();
    assert!(rewrite.contains("This capture is a rewritten copy of"));
    let bounties = std::fs::read_to_string(site.join("topics/afghan-bounties/index.html")).unwrap();
    assert!(bounties.contains("reports of Russia placing foreign troops in Afghanistan"));
    assert!(bounties.contains("bounties on United States soldiers"));
}
