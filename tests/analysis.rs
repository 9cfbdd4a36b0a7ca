//! Cross-source analysis, end to end: rewritten copies found (and only
//! they), their compare pages, the `derived_from` cross-check, and the
//! coverage of topics' aliases. Fixtures: `tests/fixtures/analysis-*/`, and
//! the repository's own content.

mod common;

use std::sync::OnceLock;

use common::{Site, attr, check, fixture, one, repo_root, sel, text};
use scraper::Html;

/// The changes of a compare page's "Changes to facts" list, as
/// `(removed, added)` words.
fn facts(page: &Html) -> Vec<(String, String)> {
    page.select(&sel(".fact-list li"))
        .map(|li| {
            let words = |selector: &str| {
                li.select(&sel(selector))
                    .next()
                    .map(|e| text(e))
                    .unwrap_or_default()
            };
            (words("del"), words("ins"))
        })
        .collect()
}

/// The text of the rewrite notices of a source page.
fn rewrite_notices(page: &Html) -> Vec<String> {
    page.select(&sel(".notice-rewrite")).map(text).collect()
}

#[test]
fn a_paraphrase_with_changed_numbers_and_names_is_found_and_its_changes_listed() {
    let site = Site::fixture("analysis-paraphrase", &[]);
    // No sidecar declares the copy: a warning names both files.
    let stderr = &site.run.stderr;
    assert!(
        stderr.contains(
            "warning: `coast-bridge` looks like a rewritten copy of `gazette-bridge` (100 % of sentences aligned), but no sidecar says so"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("content/sources/coast-bridge.yaml"),
        "{stderr}"
    );
    assert!(
        stderr.contains("add `derived_from: gazette-bridge` to content/sources/coast-bridge.yaml"),
        "{stderr}"
    );

    // The copy is the later one; its page and the original's point at the comparison.
    let compare_url = "/compare/gazette-bridge-vs-coast-bridge/";
    let copy = site.page("sources/coast-bridge/index.html");
    let notices = rewrite_notices(&copy);
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].starts_with(
            "Rewritten copy of Harbour bridge to close for repairs (100\u{a0}% of sentences aligned; compare the texts; no sidecar declares it)"
        ),
        "{notices:?}"
    );
    let original = site.page("sources/gazette-bridge/index.html");
    let notices = rewrite_notices(&original);
    assert!(
        notices[0].starts_with("Has rewritten copies: Riverton bridge shuts for repair work"),
        "{notices:?}"
    );
    let link = one(
        original.root_element(),
        ".notice-rewrite a[href^=\"/compare/\"]",
    );
    assert_eq!(attr(link, "href"), compare_url);

    let page = site.page("compare/gazette-bridge-vs-coast-bridge/index.html");
    assert_eq!(
        text(one(page.root_element(), ".compare-share strong")),
        "100\u{a0}% of sentences aligned"
    );
    let facts = facts(&page);
    for (old, new) in [
        ("two", "three"),
        ("2", "9"),
        ("Friday", "Monday"),
        ("about 40,000", "around 60,000"),
        ("Quist", "Quinn"),
        ("Quay", "Harbour"),
        ("June", "July"),
    ] {
        assert!(
            facts.contains(&(old.into(), new.into())),
            "{old} → {new} not among the changes to facts: {facts:?}"
        );
    }
    // Changes to facts are marked as such in the rows too; rewordings are not.
    let row = one(page.root_element(), "#row-5");
    let marked = |selector: &str| row.select(&sel(selector)).map(text).collect::<Vec<_>>();
    assert_eq!(
        marked("td.side-original del.major"),
        ["people on foot", "Quist"]
    );
    assert_eq!(marked("td.side-copy ins.major"), ["pedestrians", "Quinn"]);
    let row = one(page.root_element(), "#row-3");
    let wording: Vec<String> = row.select(&sel("del.wording")).map(text).collect();
    assert!(wording.contains(&"found".to_owned()), "{wording:?}");
    assert!(page.select(&sel(".unaligned li")).next().is_none());
}

#[test]
fn two_independent_reports_of_one_event_are_not_paired() {
    let site = Site::fixture("analysis-independent", &[]);
    assert!(!site.out.join("compare").exists());
    for id in ["valley-news-library", "millbrook-post-library"] {
        let page = site.page(&format!("sources/{id}/index.html"));
        assert!(rewrite_notices(&page).is_empty(), "{id} is paired");
    }
    // One of them claims to derive from the other; the texts say no.
    let stderr = &site.run.stderr;
    assert!(
        stderr.contains(
            "warning: the texts do not support `derived_from: valley-news-library`: 0 % of sentences align"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("content/sources/millbrook-post-library.yaml:4:1"),
        "{stderr}"
    );
    assert!(!stderr.contains("looks like"), "{stderr}");
    // The declaration itself is still shown, as the editor wrote it.
    let page = site.page("sources/millbrook-post-library/index.html");
    assert!(
        text(one(page.root_element(), ".notice-warn"))
            .starts_with("This capture is a rewritten copy of")
    );
}

#[test]
fn a_copy_with_its_sentences_shuffled_is_still_found() {
    let site = Site::fixture("analysis-shuffled", &[]);
    assert!(
        !site.run.stderr.contains("warning"),
        "a declared, supported copy needs no warning: {}",
        site.run.stderr
    );
    let page = site.page("compare/wire-ferry-vs-blog-ferry/index.html");
    assert_eq!(
        text(one(page.root_element(), ".compare-share strong")),
        "100\u{a0}% of sentences aligned"
    );
    // Rows follow the original; the copy's paragraphs come in another order.
    let copy_paragraphs: Vec<String> = page
        .select(&sel("td.side-copy a.para-link"))
        .map(text)
        .collect();
    assert_eq!(
        copy_paragraphs,
        ["p-1", "p-3", "p-5", "p-7", "p-6", "p-4", "p-2"]
    );
    // Nothing but wording changed: no changes to facts.
    assert!(facts(&page).is_empty());
    let copy = site.page("sources/blog-ferry/index.html");
    assert_eq!(
        rewrite_notices(&copy),
        [
            "Rewritten copy of Ferry service resumes after storm (100\u{a0}% of sentences aligned; compare the texts)."
        ]
    );
}

#[test]
fn topic_pages_list_the_paragraphs_that_mention_their_aliases_uncited() {
    let site = Site::fixture("analysis-paraphrase", &[]);
    let page = site.page("topics/bridge/index.html");
    let section = one(page.root_element(), "section.also");
    assert_eq!(text(one(section, "h2")), "Also in the sources");
    assert!(
        text(one(section, ".also-help")).ends_with("but are not cited on this page."),
        "{}",
        text(one(section, ".also-help"))
    );
    let items: Vec<(String, Vec<String>)> = section
        .select(&sel(".also-item"))
        .map(|li| {
            let href = attr(one(li, ".also-where a"), "href").to_owned();
            let marks = li.select(&sel("mark.alias")).map(text).collect();
            (href, marks)
        })
        .collect();
    assert_eq!(
        items,
        [
            (
                "/sources/coast-bridge/#p-2".into(),
                vec!["harbour bridge".into()]
            ),
            ("/sources/coast-bridge/#p-5".into(), vec!["footpath".into()]),
            ("/sources/coast-bridge/#p-6".into(), vec!["footpath".into()]),
            (
                "/sources/gazette-bridge/#p-1".into(),
                vec!["Harbour bridge".into()]
            ),
            (
                "/sources/gazette-bridge/#p-5".into(),
                vec!["footpath".into()]
            ),
            (
                "/sources/gazette-bridge/#p-6".into(),
                vec!["footpath".into()]
            ),
            (
                "/sources/gazette-bridge/#p-7".into(),
                vec!["Quay Road".into()]
            ),
        ]
    );
    // The cited paragraph (p-2 of the gazette) is not listed; the copy is labelled.
    let first = section.select(&sel(".also-item")).next().unwrap();
    assert!(text(first).contains("rewritten copy"));
}

#[test]
fn check_coverage_prints_the_uncited_mentions() {
    let root = fixture("analysis-paraphrase");
    let run = check(&root, &["--coverage"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "Coverage: 7 paragraphs mention a topic's aliases but are not cited by that topic."
    );
    assert_eq!(lines[2], "The bridge closure (content/topics/bridge.md)");
    assert!(lines.contains(
        &"  content/sources/gazette-bridge.txt:8 p-7 [Quay Road] Shops on Quay Road fear a loss of trade while the bridge is closed to cars."
    ));
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("Checked 1 topic, 2 sources, 1 citation: no errors, 1 warning")
    );

    let run = check(&root, &["--coverage", "--format", "json"]);
    assert_eq!(run.code, 0);
    let items: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    assert_eq!(items.len(), 7);
    assert_eq!(items[6]["topic"], "bridge");
    assert_eq!(items[6]["source"], "gazette-bridge");
    assert_eq!(items[6]["file"], "content/sources/gazette-bridge.txt");
    assert_eq!(items[6]["line"], 8);
    assert_eq!(items[6]["paragraph"], 7);
    assert_eq!(items[6]["aliases"], serde_json::json!(["Quay Road"]));

    // Without the flag, check prints no list.
    let run = check(&root, &[]);
    assert!(!run.stdout.contains("Coverage"), "{}", run.stdout);
}

/// The repository's own site, built once for the tests below.
fn repository() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| Site::build(&repo_root(), &[]))
}

#[test]
fn the_repository_rewrite_is_found_as_a_copy_of_business_insider() {
    let site = repository();
    assert!(!site.run.stderr.contains("warning"), "{}", site.run.stderr);
    let page = site.page("compare/insider-biden-putin-call-vs-rewrite-biden-putin-call/index.html");
    let share = text(one(page.root_element(), ".compare-share strong"));
    let percent: u32 = share
        .strip_suffix("\u{a0}% of sentences aligned")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no share in {share:?}"));
    assert!((70..=100).contains(&percent), "{share}");
    let facts = facts(&page);
    for (old, new) in [
        ("bounties on United States soldiers", "foreign troops"),
        ("impeached", "arrested"),
    ] {
        assert!(
            facts.contains(&(old.into(), new.into())),
            "{old} → {new} not among the changes to facts: {facts:#?}"
        );
    }
    // Both source pages say so, with the same share.
    let rewrite = site.page("sources/rewrite-biden-putin-call/index.html");
    assert_eq!(
        rewrite_notices(&rewrite),
        [format!(
            "Rewritten copy of Biden's first phone call with Putin as president ({percent}\u{a0}% of sentences aligned; compare the texts)."
        )]
    );
    let insider = site.page("sources/insider-biden-putin-call/index.html");
    assert_eq!(
        rewrite_notices(&insider),
        [format!(
            "Has rewritten copies: Biden pushed Putin in first call on hack, Navalny, Afghan bounty plot ({percent}\u{a0}% of sentences aligned; compare the texts)."
        )]
    );
}

#[test]
fn the_moscow_times_is_paired_with_neither_capture() {
    let site = repository();
    let compare: Vec<String> = site
        .files()
        .into_keys()
        .filter(|p| p.starts_with("compare/"))
        .collect();
    assert_eq!(
        compare,
        ["compare/insider-biden-putin-call-vs-rewrite-biden-putin-call/index.html"]
    );
    let page = site.page("sources/moscow-times-blinken-lavrov/index.html");
    assert!(rewrite_notices(&page).is_empty());
}

#[test]
fn compare_pages_are_the_same_on_every_build() {
    let again = Site::build(&repo_root(), &[]);
    let path = "compare/insider-biden-putin-call-vs-rewrite-biden-putin-call/index.html";
    assert!(repository().bytes(path) == again.bytes(path));
    let topic = "topics/navalny/index.html";
    assert!(repository().bytes(topic) == again.bytes(topic));
}
