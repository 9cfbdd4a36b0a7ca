//! The built pages, parsed with `scraper`: citation numbering, notes,
//! passage marks and the links between them, drafts, escaping, and the
//! paragraphs of a hard-wrapped CRLF capture. Every test looks only at the
//! part of a page it is about.
//!
//! The fixture is `tests/fixtures/good`; its topic `budget.md` cites, in
//! order: passage A (note 1), footnote `[^minutes]` (note 2, which itself
//! cites a passage: note 9), a `;` pair (notes 3 and 4), an elided quote
//! (5), a quote with `\"` (6), passage A again (1, backlink b), the whole
//! Harbour Gazette (7) and a passage holding `<script>` (8).

mod common;

use std::sync::OnceLock;

use common::{Site, attr, by_id, one, sel, squash, text};
use scraper::{ElementRef, Html};

/// One build of the good fixture shared by the tests that only read it.
fn site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| Site::fixture("good", &[]))
}

fn page(path: &str) -> Html {
    site().page(path)
}

/// An element's text without the subtrees whose class is in `skip`
/// (a paragraph's number, its "cited in" links).
fn text_without(element: ElementRef<'_>, skip: &[&str]) -> String {
    fn walk(element: ElementRef<'_>, skip: &[&str], out: &mut String) {
        for child in element.children() {
            if let Some(t) = child.value().as_text() {
                out.push_str(t);
            } else if let Some(e) = ElementRef::wrap(child)
                && !e.value().classes().any(|c| skip.contains(&c))
            {
                walk(e, skip, out);
            }
        }
    }
    let mut out = String::new();
    walk(element, skip, &mut out);
    squash(&out)
}

/// The citation numbers and anchor ids of `<sup class="cite">` links under
/// `scope`, in document order.
fn citation_refs(scope: ElementRef<'_>) -> Vec<(String, String, String)> {
    scope
        .select(&sel("sup.cite a[role=doc-noteref]"))
        .map(|a| {
            (
                text(a),
                attr(a, "id").to_owned(),
                attr(a, "href").to_owned(),
            )
        })
        .collect()
}

/// Splits an internal link `/path/#frag` into the output file and fragment.
fn target(href: &str) -> (String, Option<String>) {
    let (path, fragment) = match href.split_once('#') {
        Some((p, f)) => (p, Some(f.to_owned())),
        None => (href, None),
    };
    let path = path.strip_prefix('/').expect("a root-relative link");
    let file = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_owned()
    };
    (file, fragment)
}

/// `(&str, &str)` pairs as owned, to compare with what a page yields.
fn owned_pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

fn note<'a>(topic: &'a Html, number: usize) -> ElementRef<'a> {
    by_id(topic, &format!("note-{number}")).unwrap_or_else(|| panic!("no note-{number}"))
}

#[test]
fn citations_are_numbered_by_first_appearance() {
    let topic = page("topics/budget/index.html");
    let body = one(topic.root_element(), "div.body");
    let refs: Vec<(String, String)> = citation_refs(body)
        .into_iter()
        .map(|(number, id, _)| (number, id))
        .collect();
    let expected = [
        ("1", "cite-1-a"),
        ("2", "cite-2-a"),
        ("3", "cite-3-a"),
        ("4", "cite-4-a"),
        ("5", "cite-5-a"),
        ("6", "cite-6-a"),
        ("1", "cite-1-b"),
        ("7", "cite-7-a"),
        ("8", "cite-8-a"),
    ];
    assert_eq!(refs, owned_pairs(&expected));
    for (number, _, href) in citation_refs(body) {
        assert_eq!(href, format!("#note-{number}"));
    }
}

#[test]
fn a_multi_citation_is_one_superscript_with_two_numbers() {
    let topic = page("topics/budget/index.html");
    let sup = by_id(&topic, "cite-3-a")
        .and_then(|a| a.parent())
        .and_then(ElementRef::wrap)
        .expect("cite-3-a sits in a sup");
    assert_eq!(sup.value().name(), "sup");
    let numbers: Vec<String> = sup.select(&sel("a")).map(text).collect();
    assert_eq!(numbers, ["3", "4"]);
    assert_eq!(text(sup), "3,4");
}

#[test]
fn notes_list_every_number_once_with_its_kind() {
    let topic = page("topics/budget/index.html");
    let notes = one(topic.root_element(), "section.notes");
    let items: Vec<(String, Vec<String>)> = notes
        .select(&sel("ol > li"))
        .map(|li| {
            let classes = li.value().classes().map(str::to_owned).collect();
            (attr(li, "id").to_owned(), classes)
        })
        .collect();
    let kinds: Vec<(&str, &str)> = items
        .iter()
        .map(|(id, classes)| {
            let kind = classes
                .iter()
                .find(|c| c.starts_with("note-"))
                .expect("a note-* class");
            (id.as_str(), kind.as_str())
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("note-1", "note-passage"),
            ("note-2", "note-footnote"),
            ("note-3", "note-passage"),
            ("note-4", "note-passage"),
            ("note-5", "note-passage"),
            ("note-6", "note-passage"),
            ("note-7", "note-source"),
            ("note-8", "note-passage"),
            ("note-9", "note-passage"),
        ]
    );
}

#[test]
fn a_repeated_passage_reuses_its_note_with_backlinks_a_and_b() {
    let topic = page("topics/budget/index.html");
    let backlinks: Vec<(String, String)> = note(&topic, 1)
        .select(&sel("p.backlinks a"))
        .map(|a| (attr(a, "href").to_owned(), text(a)))
        .collect();
    assert_eq!(
        backlinks,
        [
            ("#cite-1-a".to_owned(), "↩\u{a0}a".to_owned()),
            ("#cite-1-b".to_owned(), "↩\u{a0}b".to_owned()),
        ]
    );
    // A note cited once has one plain backlink.
    let single: Vec<(String, String)> = note(&topic, 3)
        .select(&sel("p.backlinks a"))
        .map(|a| (attr(a, "href").to_owned(), text(a)))
        .collect();
    assert_eq!(single, [("#cite-3-a".to_owned(), "↩".to_owned())]);
}

#[test]
fn a_passage_note_shows_the_words_and_the_source() {
    let topic = page("topics/budget/index.html");
    let n = note(&topic, 1);
    assert_eq!(
        text(one(n, "blockquote.note-quote")),
        "the roads budget of 2.4 million pounds had been spent in full"
    );
    let source = one(n, "p.note-source");
    assert_eq!(
        text(one(source, "cite")),
        "Annual Report on Roads and the Harbour Bridge"
    );
    assert_eq!(
        attr(one(source, "cite a"), "href"),
        "/sources/council-report/"
    );
    assert!(
        text(source).contains(", Riverton Town Council, 20 March 2023"),
        "{}",
        text(source)
    );
    assert_eq!(attr(one(source, "time"), "datetime"), "2023-03-20");
    let passage = one(n, "p.note-links a:not(.external)");
    assert_eq!(text(passage), "See the passage in the capture");
    assert_eq!(attr(passage, "href"), "/sources/council-report/#q-2-96-157");
}

#[test]
fn notes_quote_the_source_s_own_words() {
    let topic = page("topics/budget/index.html");
    let quote = |n| text(one(note(&topic, n), "blockquote.note-quote"));
    // Written with `\"`, straight quotes and a straight apostrophe; the
    // capture has curly ones.
    assert_eq!(
        quote(6),
        "“We will keep a footpath open for people on foot,” said the council’s chief engineer"
    );
    // Written `Resurfacing of Mill Lane ... completed in October.`
    assert_eq!(quote(5), "Resurfacing of Mill Lane … completed in October.");
    let bridge = page("topics/bridge/index.html");
    // Written with a hyphen; the capture has an em dash.
    assert_eq!(
        text(one(note(&bridge, 1), "blockquote.note-quote")),
        "worn faster than expected — a problem first noticed during the winter storms"
    );
}

#[test]
fn a_whole_source_citation_links_to_the_capture() {
    let topic = page("topics/budget/index.html");
    let n = note(&topic, 7);
    assert!(n.select(&sel("blockquote")).next().is_none());
    let link = one(n, "p.note-links a");
    assert_eq!(text(link), "Read the capture");
    assert_eq!(attr(link, "href"), "/sources/harbour-gazette/");
    let gazette = page("sources/harbour-gazette/index.html");
    let back: Vec<(String, String)> = gazette
        .select(&sel("p.whole-citers a"))
        .map(|a| (attr(a, "href").to_owned(), text(a)))
        .collect();
    assert_eq!(
        back,
        [(
            "/topics/budget/#cite-7-a".to_owned(),
            "The roads budget\u{a0}↩".to_owned()
        )]
    );
}

#[test]
fn footnotes_share_the_numbering_and_may_cite() {
    let topic = page("topics/budget/index.html");
    let footnote = note(&topic, 2);
    assert_eq!(
        text(one(footnote, "div.note-text")),
        "The minutes are not online.9"
    );
    assert_eq!(
        citation_refs(footnote),
        [("9".to_owned(), "cite-9-a".to_owned(), "#note-9".to_owned())]
    );
    assert_eq!(
        text(one(note(&topic, 9), "blockquote.note-quote")),
        "Full minutes are available from the town clerk."
    );
}

#[test]
fn every_passage_link_lands_on_its_mark_and_the_mark_links_back() {
    for slug in ["budget", "bridge"] {
        let topic_path = format!("topics/{slug}/index.html");
        let topic = page(&topic_path);
        for n in topic.select(&sel("li.note-passage")) {
            let number = attr(n, "id").trim_start_matches("note-").to_owned();
            let href = attr(one(n, "p.note-links a:not(.external)"), "href");
            let (file, fragment) = target(href);
            let id = fragment.expect("a passage link has a fragment");
            assert!(id.starts_with("q-"), "{href}");
            let source = page(&file);
            let mark = by_id(&source, &id).unwrap_or_else(|| panic!("{href}: no #{id}"));
            assert_eq!(mark.value().name(), "mark", "{href}");
            // The marked pieces, joined, are the words the note shows.
            let pieces: Vec<String> = source
                .select(&sel("mark"))
                .filter(|m| {
                    m.value()
                        .attr("data-q")
                        .unwrap_or("")
                        .split(' ')
                        .any(|q| q == id)
                })
                .map(text)
                .collect();
            assert_eq!(
                pieces.join(" … "),
                text(one(n, "blockquote.note-quote")),
                "{slug} note {number}"
            );
            // Among the "cited in" links after the passage, one returns to
            // a citation of this very note.
            let back: Vec<String> = mark
                .parent()
                .and_then(ElementRef::wrap)
                .expect("a paragraph")
                .select(&sel("span.cited-in a"))
                .map(|a| attr(a, "href").to_owned())
                .collect();
            let wanted = format!("/topics/{slug}/#cite-{number}-a");
            assert!(back.contains(&wanted), "{wanted} not in {back:?}");
        }
    }
}

#[test]
fn cited_in_links_resolve_to_citations_on_the_topic_pages() {
    let source = page("sources/council-report/index.html");
    let links: Vec<ElementRef<'_>> = source.select(&sel("span.cited-in a")).collect();
    assert_eq!(links.len(), 7);
    for a in links {
        let (file, fragment) = target(attr(a, "href"));
        let id = fragment.expect("a fragment");
        let topic = page(&file);
        let cite = by_id(&topic, &id).unwrap_or_else(|| panic!("{file} has no #{id}"));
        assert_eq!(
            cite.value().attr("role"),
            Some("doc-noteref"),
            "{file}#{id}"
        );
    }
    // Passage A is cited twice by one topic and once by the other.
    let p2 = by_id(&source, "p-2").unwrap();
    let cited_in: Vec<(String, String)> = one(p2, "span.cited-in")
        .select(&sel("a"))
        .map(|a| (text(a), attr(a, "href").to_owned()))
        .collect();
    assert_eq!(
        cited_in,
        [
            (
                "The roads budget\u{a0}↩".to_owned(),
                "/topics/budget/#cite-1-a".to_owned()
            ),
            ("b".to_owned(), "/topics/budget/#cite-1-b".to_owned()),
            (
                "Closing the harbour bridge\u{a0}↩".to_owned(),
                "/topics/bridge/#cite-4-a".to_owned()
            ),
        ]
    );
}

#[test]
fn an_elided_quote_marks_each_piece() {
    let source = page("sources/council-report/index.html");
    let p4 = by_id(&source, "p-4").unwrap();
    let marks: Vec<(Option<&str>, String)> = p4
        .select(&sel("mark"))
        .map(|m| (m.value().attr("id"), text(m)))
        .collect();
    assert_eq!(
        marks,
        [
            (Some("q-4-0-50"), "Resurfacing of Mill Lane".to_owned()),
            (None, "completed in October.".to_owned()),
        ]
    );
    assert_eq!(
        text_without(p4, &["pnum", "cited-in"]),
        "Resurfacing of Mill Lane was completed in October."
    );
}

#[test]
fn original_article_links_carry_a_text_fragment_found_in_the_source() {
    let raw = String::from_utf8(site().bytes("sources/council-report.txt")).unwrap();
    let raw = squash(&raw);
    let topic = page("topics/budget/index.html");
    let n1 = note(&topic, 1);
    assert_eq!(
        attr(one(n1, "a.external"), "href"),
        "https://riverton.example.org/reports/roads-2023#:~:text=the%20roads%20budget%20of,been%20spent%20in%20full"
    );
    let mut checked = 0;
    for n in topic.select(&sel("li.note-passage")) {
        let cites_report =
            attr(one(n, "p.note-source cite a"), "href") == "/sources/council-report/";
        let external: Vec<&str> = n
            .select(&sel("a.external"))
            .map(|a| attr(a, "href"))
            .collect();
        if !cites_report {
            // The Harbour Gazette's sidecar has no url.
            assert!(external.is_empty(), "{external:?}");
            continue;
        }
        assert_eq!(external.len(), 1);
        let (url, directive) = external[0]
            .split_once("#:~:text=")
            .unwrap_or_else(|| panic!("no text fragment: {}", external[0]));
        assert_eq!(url, "https://riverton.example.org/reports/roads-2023");
        // Each term of `text=start[,end]` must be words of the article, or
        // the browser finds nothing to scroll to.
        for term in directive.split(',') {
            let words = percent_encoding::percent_decode_str(term)
                .decode_utf8()
                .expect("UTF-8 after decoding");
            assert!(
                raw.contains(words.as_ref()),
                "{}: `{words}` is not in the capture",
                attr(n, "id")
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 5);
}

#[test]
fn drafts_are_left_out_by_default() {
    assert!(!site().has("topics/street-lighting/index.html"));
    let index = page("index.html");
    let topics: Vec<String> = index
        .select(&sel("#topics h3 a"))
        .map(|a| attr(a, "href").to_owned())
        .collect();
    assert_eq!(topics, ["/topics/budget/", "/topics/bridge/"]);
    let source = page("sources/council-report/index.html");
    let p5 = by_id(&source, "p-5").unwrap();
    assert!(p5.select(&sel("mark")).next().is_none());
    let json = String::from_utf8(site().bytes("dossier.json")).unwrap();
    assert!(!json.contains("street-lighting"));
}

#[test]
fn drafts_flag_publishes_the_draft_and_its_passages() {
    let drafts = Site::fixture("good", &["--drafts"]);
    let topic = drafts.page("topics/street-lighting/index.html");
    assert_eq!(text(one(topic.root_element(), "h1")), "Street lighting");
    let source = drafts.page("sources/council-report/index.html");
    let p5 = by_id(&source, "p-5").unwrap();
    let mark = one(p5, "mark");
    assert_eq!(
        text(mark),
        "Street lighting on Quay Road was replaced with low-energy lamps."
    );
    let back = one(p5, "span.cited-in a");
    assert_eq!(attr(back, "href"), "/topics/street-lighting/#cite-1-a");
    let index = drafts.page("index.html");
    assert_eq!(index.select(&sel("#topics h3 a")).count(), 3);
}

#[test]
fn source_text_is_escaped() {
    let source = page("sources/council-report/index.html");
    let scripts: Vec<ElementRef<'_>> = source.select(&sel("script")).collect();
    assert_eq!(scripts.len(), 1, "only the site's own script");
    assert_eq!(attr(scripts[0], "src"), "/dossier.js");
    assert_eq!(text(scripts[0]), "");
    let p7 = by_id(&source, "p-7").unwrap();
    assert_eq!(
        text_without(p7, &["pnum", "cited-in"]),
        "A resident wrote to ask why the council website showed the text <script>alert(1)</script> on the consultation page; officers said the fault had been fixed & would not recur."
    );
    assert_eq!(
        text(one(p7, "mark")),
        "<script>alert(1)</script> on the consultation page"
    );
    // The quoted words in the topic's note are escaped too.
    let topic = page("topics/budget/index.html");
    assert_eq!(topic.select(&sel("script")).count(), 1);
    assert_eq!(
        text(one(note(&topic, 8), "blockquote.note-quote")),
        "<script>alert(1)</script> on the consultation page"
    );
    for path in [
        "sources/council-report/index.html",
        "topics/budget/index.html",
    ] {
        let html = String::from_utf8(site().bytes(path)).unwrap();
        assert!(!html.contains("<script>alert"), "{path}");
    }
}

#[test]
fn a_hard_wrapped_crlf_capture_keeps_its_bytes_and_splits_into_paragraphs() {
    let fixture = common::fixture("good").join("content/sources/harbour-gazette.txt");
    let captured = std::fs::read(fixture).unwrap();
    // Guard against a checkout that rewrote the fixture's line endings.
    assert!(
        captured.starts_with(b"\xEF\xBB\xBF"),
        "the fixture lost its BOM"
    );
    let text_bytes = String::from_utf8_lossy(&captured);
    assert_eq!(text_bytes.matches("\r\n").count(), 12, "CRLF line endings");
    assert_eq!(text_bytes.matches('\n').count(), 12, "no bare LF");

    assert!(site().bytes("sources/harbour-gazette.txt") == captured);
    let source = page("sources/harbour-gazette/index.html");
    let paragraphs: Vec<(String, String)> = source
        .select(&sel("section.capture p.para"))
        .map(|p| {
            (
                attr(p, "id").to_owned(),
                text_without(p, &["pnum", "cited-in"]),
            )
        })
        .collect();
    let expected = [
        "Harbour bridge to close for two weeks",
        "The harbour bridge will close to traffic for two weeks from 2 May, the council said on Friday. Engineers found that the bearings under the northern span had worn faster than expected — a problem first noticed during the winter storms.",
        "“We will keep a footpath open for people on foot,” said the council’s chief engineer, Mara Quist. “Cyclists will need to dismount.”",
        "Shops on Quay Road fear a loss of trade. The harbour-front traders’ association asked the council to delay the work until after the summer fair.",
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("p-{}", i + 1), (*t).to_owned()))
        .collect();
    assert_eq!(paragraphs, expected);
    // Each paragraph's number links to its own anchor.
    for (id, _) in &paragraphs {
        let p = by_id(&source, id).unwrap();
        assert_eq!(attr(one(p, "a.pnum"), "href"), format!("#{id}"));
    }
}

#[test]
fn the_source_page_publishes_the_raw_bytes_and_their_hash() {
    use sha2::{Digest, Sha256};
    for id in ["council-report", "harbour-gazette"] {
        let captured =
            std::fs::read(common::fixture("good").join(format!("content/sources/{id}.txt")))
                .unwrap();
        let hash: String = Sha256::digest(&captured)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let source = page(&format!("sources/{id}/index.html"));
        assert_eq!(text(one(source.root_element(), "code.hash")), hash, "{id}");
        let raw = one(source.root_element(), "dl.source-meta a[href$='.txt']");
        assert_eq!(attr(raw, "href"), format!("/sources/{id}.txt"));
        assert!(
            site().bytes(&format!("sources/{id}.txt")) == captured,
            "{id}"
        );
    }
}

#[test]
fn the_home_page_lists_topics_in_order_and_every_source() {
    let index = page("index.html");
    let topics: Vec<String> = index.select(&sel("#topics h3 a")).map(text).collect();
    assert_eq!(topics, ["The roads budget", "Closing the harbour bridge"]);
    let sources: Vec<String> = index
        .select(&sel("#sources li cite a"))
        .map(|a| attr(a, "href").to_owned())
        .collect();
    assert_eq!(
        sources,
        ["/sources/council-report/", "/sources/harbour-gazette/"]
    );
    assert_eq!(
        text(one(index.root_element(), "h1")),
        "Riverton: roads and the harbour bridge"
    );
}

#[test]
fn dossier_json_offsets_point_at_the_quoted_bytes() {
    let json: serde_json::Value = serde_json::from_slice(&site().bytes("dossier.json")).unwrap();
    let sources = json["sources"].as_array().expect("sources");
    assert_eq!(sources.len(), 2);
    let mut passages = 0;
    for s in sources {
        let id = s["id"].as_str().unwrap();
        let raw = site().bytes(&format!("sources/{id}.txt"));
        for p in s["passages"].as_array().expect("passages") {
            let (start, end) = (p["start"].as_u64().unwrap(), p["end"].as_u64().unwrap());
            let bytes = &raw[start as usize..end as usize];
            let found = squash(std::str::from_utf8(bytes).expect("offsets on char boundaries"));
            let words = p["words"].as_str().unwrap();
            let first = words.split(" … ").next().unwrap();
            assert!(found.starts_with(first), "{id} {}: {found:?}", p["id"]);
            let last = words.rsplit(" … ").next().unwrap();
            assert!(found.ends_with(last), "{id} {}: {found:?}", p["id"]);
            passages += 1;
        }
    }
    assert_eq!(passages, 10);
}

#[test]
fn a_citation_may_wrap_across_lines_of_the_markdown() {
    // A citation wrapped over lines of a paragraph, a list item or a block
    // quote (whose `> ` markers are not part of the words) verifies.
    let site = Site::fixture("wrapped-citations", &[]);
    let topic = site.page("topics/hours/index.html");
    let quotes: Vec<String> = topic
        .select(&sel("li.note-passage blockquote.note-quote"))
        .map(text)
        .collect();
    assert_eq!(
        quotes,
        [
            "The library will open on Sundays from June.",
            "Opening hours will be ten until four",
            "ten until four, the librarian said.",
        ]
    );
}

#[test]
fn printed_notes_show_the_full_url_of_each_passage_under_an_absolute_base_url() {
    let site = common::Site::fixture("good", &["--base-url", "https://example.org/d/"]);
    let topic = site.page("topics/budget/index.html");
    let first = note(&topic, 1);
    let link = first.select(&sel("p.note-links a")).next().unwrap();
    assert_eq!(text(link), "See the passage in the capture");
    let href = attr(link, "href");
    assert!(href.starts_with("/d/sources/"), "{href}");
    // The passage's URL first; the original article's follows it.
    let printed: Vec<String> = first
        .select(&sel("p.note-links .print-url"))
        .map(text)
        .collect();
    assert_eq!(printed[0], format!("https://example.org{href}"));
    let whole = note(&topic, 7);
    assert_eq!(
        text(one(whole, "p.note-links .print-url")),
        "https://example.org/d/sources/harbour-gazette/"
    );
    // A path-only base URL has no host to print.
    let plain = page("topics/budget/index.html");
    let first = note(&plain, 1);
    let printed: Vec<String> = first
        .select(&sel("p.note-links .print-url"))
        .map(text)
        .collect();
    assert!(
        printed.iter().all(|u| !u.contains("/sources/")),
        "{printed:?}"
    );
}

#[test]
fn an_empty_dossiers_home_page_says_so() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("content")).unwrap();
    std::fs::copy(
        common::fixture("good").join("dossier.toml"),
        root.join("dossier.toml"),
    )
    .unwrap();
    std::fs::write(
        root.join("content/index.md"),
        "---\ntitle: Soon\n---\n\nNothing yet.\n",
    )
    .unwrap();
    let home = Site::build(&root, &[]).page("index.html");
    let said: Vec<String> = home.select(&sel("section > p")).map(text).collect();
    assert_eq!(said, ["No topics yet.", "No sources yet."]);
}

/// The good fixture built with templates of one's own, by name and text.
fn good_with_templates(own: &[(&str, &str)]) -> Site {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let root = dir.path().join("root");
    common::copy_tree(&common::fixture("good"), &root);
    std::fs::create_dir_all(root.join("templates")).unwrap();
    for (name, text) in own {
        std::fs::write(root.join("templates").join(name), text).unwrap();
    }
    Site::build(&root, &[])
}

#[test]
fn templates_of_ones_own_can_loop_over_the_listing_pages_lists() {
    // The built-in home page, feed and sitemap read their lists as HTML and
    // XML made in Rust, so a build leaves the lists out of their contexts;
    // templates that name them get every item.
    let own = [
        (
            "index.html",
            "{% extends \"base.html\" %}{% block main %}\
             <ul class=\"own-topics\">{% for t in page.topics %}<li>{{ t.title }}</li>{% endfor %}</ul>\
             <ul class=\"own-sources\">{% for s in page.sources %}<li>{{ s.id }}</li>{% endfor %}</ul>\
             {% endblock main %}",
        ),
        ("atom.xml", "entries: {{ page.entries | length }}"),
        ("sitemap.xml", "urls: {{ page.urls | length }}"),
    ];
    let own_site = good_with_templates(&own);
    let home = own_site.page("index.html");
    let listed =
        |selector: &str| -> Vec<String> { home.select(&sel(selector)).map(text).collect() };
    assert_eq!(
        listed("ul.own-topics > li"),
        ["The roads budget", "Closing the harbour bridge"]
    );
    assert_eq!(
        listed("ul.own-sources > li"),
        ["council-report", "harbour-gazette"]
    );
    let file = |path: &str| String::from_utf8(own_site.bytes(path)).unwrap();
    assert_eq!(file("atom.xml"), "entries: 2");
    let sitemap = String::from_utf8(site().bytes("sitemap.xml")).unwrap();
    assert_eq!(
        file("sitemap.xml"),
        format!("urls: {}", sitemap.matches("<url>").count())
    );
    // The built-in home page still lists every topic and source.
    let built_in = page("index.html");
    assert_eq!(built_in.select(&sel("ul.cards > li")).count(), 2);
    assert_eq!(built_in.select(&sel("ul.source-list > li")).count(), 2);
}

#[test]
fn templates_of_ones_own_can_loop_over_notes_paragraphs_and_citing_topics() {
    // The built-in template reads only `page.notes_html`, so a build leaves
    // the list out of the context; a template that names `page.notes`
    // still gets every note.
    let own = good_with_templates(&[
        (
            "topic.html",
            "{% extends \"base.html\" %}{% block main %}<ol class=\"own\">\
         {% for n in page.notes %}<li id=\"{{ n.id }}\" data-kind=\"{{ n.kind }}\">{{ n.number }}</li>{% endfor %}\
         </ol><ul class=\"own-sources\">{% for s in page.sources %}<li>{{ s.title }}</li>{% endfor %}</ul>\
         <ul class=\"own-headings\">{% for h in page.headings %}<li>{{ h.id }}</li>{% endfor %}</ul>\
         {% endblock main %}",
        ),
        (
            "source.html",
            "{% extends \"base.html\" %}{% block main %}<div class=\"own\">\
         {% for p in page.paragraphs %}<p id=\"{{ p.id }}\">{{ p.html | safe }}</p>{% endfor %}\
         </div><ul class=\"citers\">{% for t in page.card.cited_by %}<li><a href=\"{{ t.url }}\">{{ t.title }}</a></li>{% endfor %}</ul>{% endblock main %}",
        ),
    ]);
    let topic = own.page("topics/budget/index.html");
    let items: Vec<(String, String)> = topic
        .select(&sel("ol.own > li"))
        .map(|li| (attr(li, "id").to_owned(), attr(li, "data-kind").to_owned()))
        .collect();
    assert_eq!(items.len(), 9, "{items:?}");
    assert_eq!(items[0], ("note-1".to_owned(), "passage".to_owned()));
    assert_eq!(items[1], ("note-2".to_owned(), "footnote".to_owned()));
    assert_eq!(items[6], ("note-7".to_owned(), "source".to_owned()));
    // The built-in template still shows the notes, from `notes_html`.
    let built_in = page("topics/budget/index.html");
    assert_eq!(built_in.select(&sel("section.notes > ol > li")).count(), 9);
    // The cited sources and the headings, which the built-in template
    // only counts, are there too when a template names them.
    let listed =
        |selector: &str| -> Vec<String> { topic.select(&sel(selector)).map(text).collect() };
    assert_eq!(
        listed("ul.own-sources > li"),
        [
            "Annual Report on Roads and the Harbour Bridge",
            "Harbour bridge to close for two weeks"
        ]
    );
    assert_eq!(listed("ul.own-headings > li"), ["spending", "works"]);
    assert!(
        text(built_in.select(&sel("p.byline")).next().unwrap())
            .starts_with("9 citations from 2 sources"),
    );
    // A source card's citing topics, likewise.
    let citers: Vec<(String, String)> = own
        .page("sources/council-report/index.html")
        .select(&sel("ul.citers a"))
        .map(|a| (attr(a, "href").to_owned(), text(a)))
        .collect();
    assert_eq!(
        citers,
        owned_pairs(&[
            ("/topics/budget/", "The roads budget"),
            ("/topics/bridge/", "Closing the harbour bridge"),
        ])
    );
    // The same for a source's paragraphs, marks included.
    for source in [
        "sources/harbour-gazette/index.html",
        "sources/council-report/index.html",
    ] {
        let mine = own.page(source);
        let theirs = page(source);
        let ids = |html: &Html, selector: &str| -> Vec<String> {
            html.select(&sel(selector))
                .map(|p| attr(p, "id").to_owned())
                .collect()
        };
        let paragraphs = ids(&mine, "div.own > p");
        assert!(!paragraphs.is_empty(), "{source}");
        assert_eq!(
            paragraphs,
            ids(&theirs, "section.capture > p.para"),
            "{source}"
        );
        assert_eq!(
            mine.select(&sel("div.own mark")).count(),
            theirs.select(&sel("section.capture mark")).count(),
            "{source}"
        );
    }
}

#[test]
fn the_contents_list_and_the_cited_by_lists_link_where_they_say() {
    // A topic with more than two headings gets a contents list of its
    // level-2 headings, each linking to its heading; heading text with
    // markup characters stays text.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let root = dir.path().join("root");
    common::copy_tree(&common::fixture("good"), &root);
    std::fs::write(
        root.join("content/topics/sections.md"),
        "---\ntitle: Sections\nsummary: A topic in parts.\n---\n\n\
         ## Costs & \\<delays\\>\n\nThe roads budget was spent.[@council-report \"the roads budget of 2.4 million pounds had been spent in full\"]\n\n\
         ### Detail\n\nMore.\n\n## Repairs\n\nLater.\n",
    )
    .unwrap();
    let own = Site::build(&root, &[]);
    let topic = own.page("topics/sections/index.html");
    let contents: Vec<(String, String)> = topic
        .select(&sel("nav.toc li a"))
        .map(|a| (attr(a, "href").to_owned(), text(a)))
        .collect();
    let headings: Vec<(String, String)> = topic
        .select(&sel("div.body h2"))
        .map(|h| (format!("#{}", attr(h, "id")), text(h)))
        .collect();
    assert_eq!(contents, headings);
    assert_eq!(contents.len(), 2, "{contents:?}");
    assert_eq!(contents[0].1, "Costs & <delays>");

    // The council report is cited by three published topics (the draft
    // is left out): its card lists each once, with a link to it, on the
    // source's page and on the home page.
    let expected = [
        ("/topics/budget/", "The roads budget"),
        ("/topics/bridge/", "Closing the harbour bridge"),
        ("/topics/sections/", "Sections"),
    ];
    let mut expected: Vec<(String, String)> = expected
        .iter()
        .map(|(u, t)| ((*u).to_owned(), (*t).to_owned()))
        .collect();
    expected.sort();
    let links = |scope: ElementRef<'_>| -> Vec<(String, String)> {
        let mut links: Vec<(String, String)> = scope
            .select(&sel("a"))
            .map(|a| (attr(a, "href").to_owned(), text(a)))
            .filter(|(href, _)| href.starts_with("/topics/"))
            .collect();
        links.sort();
        links
    };
    let source = own.page("sources/council-report/index.html");
    let cited = source
        .select(&sel("dl.source-meta dd"))
        .find(|dd| text(*dd).contains(" in "))
        .expect("the Cited entry");
    assert_eq!(links(cited), expected);
    let home = own.page("index.html");
    let card = home
        .select(&sel("#sources li"))
        .find(|li| {
            li.select(&sel("cite a"))
                .any(|a| attr(a, "href") == "/sources/council-report/")
        })
        .expect("the council report's card");
    assert_eq!(links(one(card, "span.cited-by")), expected);
    assert_eq!(
        text(one(card, "span.cited-by")),
        "cited in The roads budget, Closing the harbour bridge, Sections"
    );
    assert!(
        text(cited).ends_with(" in The roads budget, Closing the harbour bridge, Sections"),
        "{}",
        text(cited)
    );
}
