//! What the templates see: one serialisable view per page kind.
//!
//! Views borrow from the [`Dossier`] where they can and carry ready-made
//! URLs (already prefixed with the base path), so templates never build
//! links themselves and a sub-path deployment cannot break them.

use serde::Serialize;

use super::templates::{escape_into, push_all};
use crate::config::Config;
use crate::parse::markdown::Heading;
use crate::resolve::{Dossier, NoteTarget, ResolvedSource, ResolvedTopic};

/// Site-wide values, available to every template as `site`.
#[derive(Serialize)]
pub(crate) struct SiteView<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub base_url: &'a str,
    /// Prefix of every internal link: `/` or `/sub/path/`.
    pub base_path: &'a str,
    pub language: &'a str,
    pub author: &'a str,
    /// `https://host` when `base_url` is absolute, else empty: what turns
    /// a root-relative link into the URL a printed page shows.
    pub origin: &'a str,
}

impl<'a> SiteView<'a> {
    pub(crate) fn new(config: &'a Config, base_path: &'a str) -> Self {
        SiteView {
            title: &config.title,
            description: &config.description,
            base_url: &config.base_url,
            base_path,
            language: &config.language,
            author: &config.author,
            origin: if config.base_url.starts_with("http") {
                config.base_url.strip_suffix(base_path).unwrap_or_default()
            } else {
                ""
            },
        }
    }
}

/// A link with its text.
#[derive(Serialize)]
pub(crate) struct LinkView<'a> {
    pub title: &'a str,
    pub url: String,
}

/// A topic as listed on the home page.
#[derive(Serialize)]
pub(crate) struct TopicCard<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub url: String,
    pub citations: usize,
    pub sources: usize,
    pub updated: Option<String>,
    pub updated_iso: Option<String>,
}

/// A source as a note or a list names it.
#[derive(Serialize)]
pub(crate) struct SourceRef<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub publisher: &'a str,
    pub published: Option<String>,
    pub published_iso: Option<String>,
    pub url: String,
    pub original_url: Option<&'a str>,
}

/// A source as listed on the home page and heading its own page: a
/// [`SourceRef`] and what cites it.
#[derive(Serialize)]
pub(crate) struct SourceCard<'a> {
    #[serde(flatten)]
    pub source: SourceRef<'a>,
    pub cited_by: Vec<LinkView<'a>>,
    /// `cited_by` as the built-in templates show it: the links, separated
    /// by commas. A source is cited by dozens of topics, and looped over in
    /// tera each link is two lookups of a dotted name.
    pub cited_by_html: String,
    pub citations: usize,
    pub derived_from: Option<LinkView<'a>>,
}

/// `index.html`.
#[derive(Serialize)]
pub(crate) struct IndexView<'a> {
    pub title: &'a str,
    pub intro_html: &'a str,
    pub topics: Vec<TopicCard<'a>>,
    pub sources: Vec<SourceCard<'a>>,
    /// `topics` and `sources` as the built-in `index.html` lists them, one
    /// `<li>` each: the home page lists every topic and source, and looped
    /// over in tera each card is some ten lookups of a dotted name.
    pub topics_html: String,
    pub sources_html: String,
    pub extra: &'a serde_json::Map<String, serde_json::Value>,
}

/// One entry of "Notes and sources".
#[derive(Serialize)]
pub(crate) struct NoteView<'a> {
    pub number: usize,
    pub id: String,
    /// `passage`, `source` or `footnote`.
    pub kind: &'static str,
    /// A footnote's rendered text.
    pub html: Option<&'a str>,
    /// The quoted words, normalised.
    pub words: Option<&'a str>,
    pub source: Option<&'a SourceRef<'a>>,
    /// The marked passage on the source page.
    pub passage_url: Option<String>,
    /// The original article, scrolled to the words where browsers support it.
    pub original_url: Option<String>,
    pub archive_url: Option<&'a str>,
    pub backlinks: Vec<BacklinkView>,
}

/// A link from a note back to a place that cites it.
#[derive(Serialize)]
pub(crate) struct BacklinkView {
    pub href: String,
    pub label: String,
}

/// `topics/<slug>/index.html`. The template also gets `notes_html`:
/// `notes` as the HTML list the built-in template shows, made for the
/// page and moved into its view (see `render`).
#[derive(Serialize)]
pub(crate) struct TopicView<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub updated: Option<String>,
    pub updated_iso: Option<String>,
    pub tags: &'a [String],
    pub people: Vec<LinkView<'a>>,
    pub aliases: &'a [String],
    pub url: String,
    pub body_html: &'a str,
    /// The level-2 headings; empty unless a template names `headings`.
    pub headings: &'a [Heading],
    pub heading_count: usize,
    /// The level-2 headings as the items of the built-in template's
    /// contents list (`<li><a href="#id">text</a></li>`).
    pub toc_html: String,
    pub notes: Vec<NoteView<'a>>,
    /// The sources cited; empty unless a template that can show a topic
    /// names `sources` (see [`super::templates::Templates`]).
    pub sources: Vec<&'a SourceRef<'a>>,
    pub source_count: usize,
    pub citation_count: usize,
    pub extra: &'a serde_json::Map<String, serde_json::Value>,
    /// The page has highlighted code and needs `syntax.css`.
    pub has_code: bool,
    /// "Also in the sources": uncited paragraphs that mention an alias.
    pub also: Vec<super::compare::MentionView<'a>>,
}

/// One paragraph of a source page.
#[derive(Serialize)]
pub(crate) struct ParagraphView {
    pub number: usize,
    pub id: String,
    pub bullet: bool,
    pub html: String,
    pub cited: bool,
}

/// `sources/<id>/index.html`. The template also gets `paragraphs_html`:
/// `paragraphs` as the HTML the built-in template shows, moved in like a
/// topic's `notes_html`.
#[derive(Serialize)]
pub(crate) struct SourceView<'a> {
    pub card: SourceCard<'a>,
    pub author: Option<&'a str>,
    pub retrieved: Option<String>,
    pub retrieved_iso: Option<String>,
    pub archive_url: Option<&'a str>,
    pub language: Option<&'a str>,
    pub note_html: Option<String>,
    pub sha256: &'a str,
    pub raw_url: String,
    pub raw_bytes: usize,
    pub paragraphs: Vec<ParagraphView>,
    /// Topics citing the whole source rather than a passage.
    pub whole_citers: Vec<LinkView<'a>>,
    pub passage_count: usize,
    /// Rewrites this source takes part in (cross-source analysis).
    pub rewrites: super::compare::RewritesView<'a>,
}

/// Builds links for one build (fixed base path).
pub(crate) struct Links<'a> {
    pub base: &'a str,
}

impl Links<'_> {
    // Joined rather than formatted: these are made for every link of
    // every page, and `format!` grows its string as it goes.
    pub(crate) fn topic(&self, slug: &str) -> String {
        [self.base, "topics/", slug, "/"].concat()
    }

    pub(crate) fn source(&self, id: &str) -> String {
        [self.base, "sources/", id, "/"].concat()
    }

    /// A place in a topic's page: `#anchor` after its link.
    pub(crate) fn topic_at(&self, slug: &str, anchor: &str) -> String {
        [self.base, "topics/", slug, "/#", anchor].concat()
    }

    /// A place in a source's page: `#anchor` after its link.
    pub(crate) fn source_at(&self, id: &str, anchor: &str) -> String {
        [self.base, "sources/", id, "/#", anchor].concat()
    }

    pub(crate) fn person(&self, name: &str) -> String {
        format!("{}people/{}/", self.base, slug::slugify(name))
    }

    pub(crate) fn raw(&self, id: &str) -> String {
        format!("{}sources/{id}.txt", self.base)
    }
}

pub(crate) fn topic_card<'a>(
    d: &'a Dossier,
    t: &'a ResolvedTopic,
    links: &Links<'_>,
) -> TopicCard<'a> {
    let meta = &t.topic.meta;
    TopicCard {
        title: &meta.title,
        summary: &meta.summary,
        url: links.topic(&t.topic.slug),
        citations: t.topic.doc.citations.len(),
        sources: cited_sources(d, t).len(),
        updated: meta.updated.map(|u| u.long()),
        updated_iso: meta.updated.map(|u| u.iso()),
    }
}

/// Indices of the sources a topic cites, in id order, without repeats.
pub(crate) fn cited_sources(_d: &Dossier, t: &ResolvedTopic) -> Vec<usize> {
    let mut ids: Vec<usize> = t
        .notes
        .iter()
        .filter_map(|n| match n.target {
            NoteTarget::Passage { source, .. } | NoteTarget::Source { source } => Some(source),
            NoteTarget::Footnote => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

pub(crate) fn source_ref<'a>(s: &'a ResolvedSource, links: &Links<'_>) -> SourceRef<'a> {
    let meta = &s.source.meta;
    SourceRef {
        id: &s.source.id,
        title: &meta.title,
        publisher: &meta.publisher,
        published: meta.published.map(|p| p.long()),
        published_iso: meta.published.map(|p| p.iso()),
        url: links.source(&s.source.id),
        original_url: meta.url.as_ref().map(|u| u.0.as_str()),
    }
}

pub(crate) fn source_card<'a>(
    d: &'a Dossier,
    s: &'a ResolvedSource,
    links: &Links<'_>,
) -> SourceCard<'a> {
    let mut citing: Vec<usize> = s
        .passages
        .iter()
        .flat_map(|p| p.backlinks.iter().map(|b| b.topic))
        .chain(s.citers.iter().map(|b| b.topic))
        .collect();
    citing.sort_unstable();
    citing.dedup();
    let derived_from = s.source.meta.derived_from.as_deref().and_then(|id| {
        d.sources
            .iter()
            .find(|o| o.source.id == id)
            .map(|o| LinkView {
                title: &o.source.meta.title,
                url: links.source(id),
            })
    });
    let cited_by: Vec<LinkView<'_>> = citing
        .into_iter()
        .map(|t| {
            let topic = &d.topics[t].topic;
            LinkView {
                title: &topic.meta.title,
                url: links.topic(&topic.slug),
            }
        })
        .collect();
    SourceCard {
        source: source_ref(s, links),
        cited_by_html: links_html(&cited_by),
        cited_by: if d.templates.reads_cited_by {
            cited_by
        } else {
            Vec::new()
        },
        citations: s.citation_count,
        derived_from,
    }
}

/// `links` as HTML links separated by commas.
fn links_html(links: &[LinkView<'_>]) -> String {
    let size = links.iter().map(|l| l.url.len() + l.title.len() + 17).sum();
    let mut out = String::with_capacity(size);
    for (i, link) in links.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_link(&mut out, &link.url, link.title);
    }
    out
}

/// Appends `<a href="url">title</a>`, both escaped.
fn push_link(out: &mut String, url: &str, title: &str) {
    out.push_str("<a href=\"");
    escape_into(out, url);
    out.push_str("\">");
    escape_into(out, title);
    out.push_str("</a>");
}

/// The home page's topic cards (see [`IndexView::topics_html`]).
pub(crate) fn cards_html(cards: &[TopicCard<'_>]) -> String {
    let mut out = String::new();
    let mut number = itoa::Buffer::new();
    for card in cards {
        out.push_str("      <li class=\"card\">\n        <h3>");
        push_link(&mut out, &card.url, card.title);
        out.push_str("</h3>\n        <p>");
        escape_into(&mut out, card.summary);
        out.push_str("</p>\n        <p class=\"card-meta\">");
        out.push_str(number.format(card.citations));
        out.push_str(plural(card.citations, " citation", " citations"));
        out.push_str(" from ");
        out.push_str(number.format(card.sources));
        out.push_str(plural(card.sources, " source", " sources"));
        if let (Some(long), Some(iso)) = (&card.updated, &card.updated_iso) {
            push_all(
                &mut out,
                &[" · updated <time datetime=\"", iso, "\">", long, "</time>"],
            );
        }
        out.push_str("</p>\n      </li>\n");
    }
    out
}

/// The home page's list of sources (see [`IndexView::sources_html`]):
/// each as the `source_line` macro of `macros.html` names it, then what it
/// is a copy of and what cites it.
pub(crate) fn source_lines_html(cards: &[SourceCard<'_>]) -> String {
    let mut out = String::new();
    for card in cards {
        let s = &card.source;
        out.push_str("      <li>\n        <cite>");
        push_link(&mut out, &s.url, s.title);
        out.push_str("</cite>, ");
        escape_into(&mut out, s.publisher);
        if let (Some(long), Some(iso)) = (&s.published, &s.published_iso) {
            push_all(
                &mut out,
                &[", <time datetime=\"", iso, "\">", long, "</time>"],
            );
        }
        out.push_str("\n        ");
        if let Some(original) = &card.derived_from {
            out.push_str("<span class=\"badge badge-warn\">rewritten copy of ");
            push_link(&mut out, &original.url, original.title);
            out.push_str("</span>\n        ");
        }
        if card.cited_by_html.is_empty() {
            out.push_str("<span class=\"cited-by\">not cited yet</span>");
        } else {
            push_all(
                &mut out,
                &[
                    "<span class=\"cited-by\">cited in ",
                    &card.cited_by_html,
                    "</span>",
                ],
            );
        }
        out.push_str("\n      </li>\n");
    }
    out
}

/// `singular` for one, else `plural` (tera's `pluralize`).
fn plural(n: usize, singular: &'static str, plural: &'static str) -> &'static str {
    if n == 1 { singular } else { plural }
}

/// The level-2 `headings` as contents-list items.
pub(crate) fn toc_html(headings: &[Heading]) -> String {
    let mut out = String::new();
    for h in headings.iter().filter(|h| h.level == 2) {
        out.push_str("<li><a href=\"#");
        escape_into(&mut out, &h.id);
        out.push_str("\">");
        escape_into(&mut out, &h.text);
        out.push_str("</a></li>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference<'a>(title: &'a str, published: Option<&str>) -> SourceRef<'a> {
        SourceRef {
            id: "memo",
            title,
            publisher: "The <Post>",
            published: published.map(|_| "2 May 2023".to_owned()),
            published_iso: published.map(str::to_owned),
            url: "/sources/memo/".to_owned(),
            original_url: None,
        }
    }

    #[test]
    fn topic_cards_count_in_words_and_escape_their_text() {
        let cards = [
            TopicCard {
                title: "Roads & <bridges>",
                summary: "“Quoted” summary",
                url: "/topics/roads/".to_owned(),
                citations: 1,
                sources: 1,
                updated: None,
                updated_iso: None,
            },
            TopicCard {
                title: "Budget",
                summary: "Spending",
                url: "/topics/budget/".to_owned(),
                citations: 12,
                sources: 0,
                updated: Some("30 April 2023".to_owned()),
                updated_iso: Some("2023-04-30".to_owned()),
            },
        ];
        assert_eq!(
            cards_html(&cards),
            "      <li class=\"card\">\n        <h3><a href=\"/topics/roads/\">Roads &amp; &lt;bridges&gt;</a></h3>\n        \
             <p>“Quoted” summary</p>\n        <p class=\"card-meta\">1 citation from 1 source</p>\n      </li>\n      \
             <li class=\"card\">\n        <h3><a href=\"/topics/budget/\">Budget</a></h3>\n        <p>Spending</p>\n        \
             <p class=\"card-meta\">12 citations from 0 sources · updated <time datetime=\"2023-04-30\">30 April 2023</time></p>\n      </li>\n"
        );
        assert_eq!(cards_html(&[]), "");
    }

    #[test]
    fn source_lines_name_the_original_of_a_copy_and_what_cites_them() {
        let cited = SourceCard {
            source: reference("Memo", Some("2023-05-02")),
            cited_by: Vec::new(),
            cited_by_html: "<a href=\"/topics/roads/\">Roads</a>".to_owned(),
            citations: 2,
            derived_from: None,
        };
        let copy = SourceCard {
            source: reference("Memo, again", None),
            cited_by: Vec::new(),
            cited_by_html: String::new(),
            citations: 0,
            derived_from: Some(LinkView {
                title: "Memo",
                url: "/sources/memo/".to_owned(),
            }),
        };
        assert_eq!(
            source_lines_html(&[cited, copy]),
            "      <li>\n        <cite><a href=\"/sources/memo/\">Memo</a></cite>, The &lt;Post&gt;, \
             <time datetime=\"2023-05-02\">2 May 2023</time>\n        \
             <span class=\"cited-by\">cited in <a href=\"/topics/roads/\">Roads</a></span>\n      </li>\n      \
             <li>\n        <cite><a href=\"/sources/memo/\">Memo, again</a></cite>, The &lt;Post&gt;\n        \
             <span class=\"badge badge-warn\">rewritten copy of <a href=\"/sources/memo/\">Memo</a></span>\n        \
             <span class=\"cited-by\">not cited yet</span>\n      </li>\n"
        );
    }
}
