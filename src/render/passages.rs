//! A source paragraph as HTML, with its cited passages marked.
//!
//! Passages may overlap (two notes quoting overlapping words) and may be
//! split by `...` into pieces. The paragraph is cut at every piece boundary;
//! each cut covered by some piece becomes a `<mark>`, and the first cut of a
//! passage carries its anchor id (`q-…`). After a passage's last piece come
//! the links back to each topic that cites it: "cited in New START ↩".
//! All source text is escaped: it is untrusted.

use smallvec::SmallVec;

use super::templates::{escape as escape_html, escape_into, push_all};

use crate::resolve::Passage;

/// The links back from a passage to the places of one citing note.
#[derive(Debug)]
pub(crate) struct CitedIn<'a> {
    /// The citing topic's title.
    pub title: &'a str,
    /// The citing topic's page.
    pub page: &'a str,
    /// The anchors of each citing place of that note, first one first.
    pub sites: &'a [String],
}

/// Renders a paragraph's text with `passages` (all in this paragraph)
/// marked; `cited_in[i]` are the backlinks of `passages[i]`.
pub(crate) fn mark(text: &str, passages: &[&Passage], cited_in: &[Vec<CitedIn<'_>>]) -> String {
    let mut cuts: Vec<usize> = vec![0, text.len()];
    for p in passages {
        for r in &p.found.ranges {
            cuts.extend([r.start, r.end]);
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut html = String::with_capacity(text.len() * 2);
    let mut anchored = vec![false; passages.len()];
    let mut covering: SmallVec<[usize; 8]> = SmallVec::new();
    let mut ids: SmallVec<[&str; 8]> = SmallVec::new();
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        covering.clear();
        covering.extend((0..passages.len()).filter(|&i| {
            passages[i]
                .found
                .ranges
                .iter()
                .any(|r| r.start <= a && b <= r.end)
        }));
        let segment = &text[a..b];
        if covering.is_empty() {
            escape_into(&mut html, segment);
        } else {
            ids.clear();
            for &i in &covering {
                if !anchored[i] {
                    anchored[i] = true;
                    ids.push(passages[i].id.as_str());
                }
            }
            // One element carries one id: passages starting at the same
            // place get nested marks, the innermost holding the text.
            let push_data = |html: &mut String| {
                html.push_str("data-q=\"");
                for (k, &i) in covering.iter().enumerate() {
                    if k > 0 {
                        html.push(' ');
                    }
                    html.push_str(&passages[i].id);
                }
                html.push_str("\">");
            };
            if ids.is_empty() {
                html.push_str("<mark ");
                push_data(&mut html);
            }
            for id in &ids {
                push_all(&mut html, &["<mark id=\"", id, "\" "]);
                push_data(&mut html);
            }
            escape_into(&mut html, segment);
            for _ in 0..ids.len().max(1) {
                html.push_str("</mark>");
            }
        }
        for (i, p) in passages.iter().enumerate() {
            if p.found.ranges.last().is_some_and(|r| r.end == b) {
                push_cited_in(&mut html, &cited_in[i]);
            }
        }
    }
    html
}

fn push_cited_in(html: &mut String, cited_in: &[CitedIn<'_>]) {
    html.push_str("<span class=\"cited-in\">cited in ");
    for (n, c) in cited_in.iter().enumerate() {
        if n > 0 {
            html.push_str(", ");
        }
        let title = escape_html(c.title);
        for (k, site) in c.sites.iter().enumerate() {
            if k == 0 {
                push_all(
                    html,
                    &[
                        "<a href=\"",
                        c.page,
                        "#",
                        site,
                        "\">",
                        &title,
                        "&nbsp;↩</a>",
                    ],
                );
            } else {
                let letter = crate::parse::markdown::letter(k);
                push_all(
                    html,
                    &[
                        " <a href=\"",
                        c.page,
                        "#",
                        site,
                        "\" aria-label=\"",
                        &title,
                        ", citation ",
                        &letter,
                        "\">",
                        &letter,
                        "</a>",
                    ],
                );
            }
        }
    }
    html.push_str("</span>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quote::QuoteMatch;

    fn passage(id: &str, ranges: &[(usize, usize)]) -> Passage {
        Passage {
            cited: std::sync::Arc::new(crate::resolve::Cited {
                id: id.into(),
                found: QuoteMatch {
                    paragraph: 0,
                    ranges: ranges.iter().map(|&(a, b)| a..b).collect(),
                },
                words: String::new(),
                raw: 0..0,
            }),
            backlinks: smallvec::SmallVec::new(),
        }
    }

    fn cited(title: &str) -> Vec<CitedIn<'_>> {
        static SITES: std::sync::LazyLock<Vec<String>> =
            std::sync::LazyLock::new(|| vec!["cite-1-a".to_owned()]);
        vec![CitedIn {
            title,
            page: "/t/",
            sites: &SITES,
        }]
    }

    #[test]
    fn marks_escape_and_link_back() {
        let p = passage("q-1-4-9", &[(4, 9)]);
        let html = mark("say <b>it</b> now", &[&p], &[cited("A & B")]);
        assert_eq!(
            html,
            "say <mark id=\"q-1-4-9\" data-q=\"q-1-4-9\">&lt;b&gt;it</mark><span class=\"cited-in\">cited in <a href=\"/t/#cite-1-a\">A &amp; B&nbsp;↩</a></span>&lt;/b&gt; now"
        );
    }

    #[test]
    fn passages_starting_together_get_nested_marks() {
        let a = passage("qa", &[(0, 3)]);
        let b = passage("qb", &[(0, 5)]);
        let html = mark("abcdef", &[&a, &b], &[cited("A"), cited("B")]);
        assert!(
            html.starts_with("<mark id=\"qa\" data-q=\"qa qb\"><mark id=\"qb\" data-q=\"qa qb\">abc</mark></mark>"),
            "{html}"
        );
    }

    #[test]
    fn overlapping_and_elided_passages() {
        let a = passage("qa", &[(0, 5)]);
        let b = passage("qb", &[(2, 4), (6, 8)]);
        let html = mark("abcdefghij", &[&a, &b], &[cited("A"), cited("B")]);
        assert_eq!(html.matches("<mark").count(), 4, "{html}");
        assert!(
            html.starts_with(
                "<mark id=\"qa\" data-q=\"qa\">ab</mark><mark id=\"qb\" data-q=\"qa qb\">cd</mark>"
            ),
            "{html}"
        );
        assert_eq!(html.matches("class=\"cited-in\"").count(), 2);
        assert!(html.ends_with("<mark data-q=\"qb\">gh</mark><span class=\"cited-in\">cited in <a href=\"/t/#cite-1-a\">B&nbsp;↩</a></span>ij"), "{html}");
    }
}
