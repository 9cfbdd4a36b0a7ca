//! Pages and files that list the dossier rather than show one item:
//! `/people/`, `/people/<slug>/`, `/atom.xml`, `/sitemap.xml`, `/robots.txt`.
//!
//! People are gathered from the topics' `people` front matter and grouped by
//! slug, so "Alexei Navalny" in two topics is one page. Feeds and sitemaps
//! need absolute URLs: they are made from `base_url` (when it is only a
//! path, the URLs stay root-relative). Dates come from the content, never
//! from the clock, so builds stay reproducible.

use std::collections::BTreeMap;

use serde::Serialize;

use super::templates::{escape_into, push_all};
use super::views::{Links, TopicCard, topic_card};
use crate::resolve::{Dossier, NoteTarget, ResolvedTopic};

/// A person and the topics about them.
#[derive(Serialize)]
pub(crate) struct PersonView<'a> {
    pub name: &'a str,
    pub slug: String,
    pub url: String,
    pub topics: Vec<TopicCard<'a>>,
}

/// `/people/`.
#[derive(Serialize)]
pub(crate) struct PeopleView<'a> {
    pub people: Vec<PersonView<'a>>,
}

/// Groups the topics' people by slug, sorted by name.
pub(crate) fn people<'a>(d: &'a Dossier, links: &Links<'_>) -> PeopleView<'a> {
    let mut groups: BTreeMap<String, (&'a str, Vec<usize>)> = BTreeMap::new();
    for (i, t) in d.topics.iter().enumerate() {
        for name in &t.topic.meta.people {
            let slug = slug::slugify(name);
            if slug.is_empty() {
                continue;
            }
            let entry = groups.entry(slug).or_insert((name.as_str(), Vec::new()));
            if entry.1.last() != Some(&i) {
                entry.1.push(i);
            }
        }
    }
    let mut people: Vec<PersonView<'a>> = groups
        .into_iter()
        .map(|(slug, (name, topics))| PersonView {
            name,
            url: links.person(name),
            slug,
            topics: topics
                .into_iter()
                .map(|t| topic_card(d, &d.topics[t], links))
                .collect(),
        })
        .collect();
    people.sort_by_key(|a| surname_key(a.name));
    PeopleView { people }
}

/// People are listed by surname, as an index would.
fn surname_key(name: &str) -> (String, String) {
    let last = name.rsplit(' ').next().unwrap_or(name);
    (last.to_lowercase(), name.to_lowercase())
}

/// `/atom.xml`.
#[derive(Serialize)]
pub(crate) struct FeedView<'a> {
    pub self_url: String,
    pub home_url: String,
    pub updated: String,
    pub entries: Vec<FeedEntry<'a>>,
    /// `entries` as the built-in `atom.xml` writes them, each `<entry>` on
    /// lines of its own: a feed has an entry per topic, and looped over in
    /// tera each is six lookups of a dotted name.
    pub entries_xml: String,
}

/// One topic in the feed.
#[derive(Serialize)]
pub(crate) struct FeedEntry<'a> {
    pub title: &'a str,
    pub url: String,
    pub updated: String,
    pub summary: &'a str,
    pub tags: &'a [String],
}

/// The feed: one entry per topic, newest first.
pub(crate) fn feed<'a>(d: &'a Dossier) -> FeedView<'a> {
    let base = &d.config.base_url;
    let mut entries: Vec<(String, FeedEntry<'a>)> = d
        .topics
        .iter()
        .map(|t| {
            let date = topic_date(d, t);
            let entry = FeedEntry {
                title: &t.topic.meta.title,
                url: format!("{base}topics/{}/", t.topic.slug),
                updated: timestamp(&date),
                summary: &t.topic.meta.summary,
                tags: &t.topic.meta.tags,
            };
            (date, entry)
        })
        .collect();
    entries.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.url.cmp(&b.1.url)));
    let newest = entries
        .first()
        .map(|e| e.0.clone())
        .unwrap_or_else(|| EPOCH.to_owned());
    let entries: Vec<FeedEntry<'a>> = entries.into_iter().map(|e| e.1).collect();
    FeedView {
        self_url: format!("{base}atom.xml"),
        home_url: base.clone(),
        updated: timestamp(&newest),
        entries_xml: entries_xml(&entries),
        entries: if d.templates.reads_entries {
            entries
        } else {
            Vec::new()
        },
    }
}

/// The `<entry>` elements of the feed, each line indented as in
/// `atom.xml` and each entry preceded by a line break.
fn entries_xml(entries: &[FeedEntry<'_>]) -> String {
    let mut out = String::new();
    for e in entries {
        out.push_str("\n  <entry>\n    <title>");
        escape_into(&mut out, e.title);
        out.push_str("</title>\n    <link rel=\"alternate\" type=\"text/html\" href=\"");
        escape_into(&mut out, &e.url);
        out.push_str("\"/>\n    <id>");
        escape_into(&mut out, &e.url);
        push_all(
            &mut out,
            &[
                "</id>\n    <updated>",
                &e.updated,
                "</updated>\n    <summary>",
            ],
        );
        escape_into(&mut out, e.summary);
        out.push_str("</summary>");
        for tag in e.tags {
            out.push_str("\n    <category term=\"");
            escape_into(&mut out, tag);
            out.push_str("\"/>");
        }
        out.push_str("\n  </entry>");
    }
    out
}

const EPOCH: &str = "1970-01-01";

/// A topic's date: its `updated`, else the newest publication date among
/// the sources it cites, else the epoch.
pub(crate) fn topic_date(d: &Dossier, t: &ResolvedTopic) -> String {
    if let Some(u) = t.topic.meta.updated {
        return u.iso();
    }
    t.notes
        .iter()
        .filter_map(|n| match n.target {
            NoteTarget::Passage { source, .. } | NoteTarget::Source { source } => {
                d.sources[source].source.meta.published.map(|p| p.iso())
            }
            NoteTarget::Footnote => None,
        })
        .max()
        .unwrap_or_else(|| EPOCH.to_owned())
}

fn timestamp(date: &str) -> String {
    format!("{date}T00:00:00Z")
}

/// `/sitemap.xml`.
#[derive(Serialize)]
pub(crate) struct SitemapView {
    pub urls: Vec<SitemapUrl>,
    /// `urls` as the built-in `sitemap.xml` writes them (see
    /// [`FeedView::entries_xml`]).
    pub urls_xml: String,
}

/// One page in the sitemap.
#[derive(Serialize)]
pub(crate) struct SitemapUrl {
    pub loc: String,
    pub lastmod: Option<String>,
}

/// Every page but the 404, in path order.
pub(crate) fn sitemap(d: &Dossier, people: &PeopleView<'_>) -> SitemapView {
    let base = &d.config.base_url;
    let mut urls = vec![SitemapUrl {
        loc: base.clone(),
        lastmod: None,
    }];
    for t in &d.topics {
        let lastmod = Some(topic_date(d, t)).filter(|date| date != EPOCH);
        urls.push(SitemapUrl {
            loc: format!("{base}topics/{}/", t.topic.slug),
            lastmod,
        });
    }
    for s in &d.sources {
        let lastmod = s
            .source
            .meta
            .retrieved
            .or(s.source.meta.published)
            .map(|p| p.iso());
        urls.push(SitemapUrl {
            loc: format!("{base}sources/{}/", s.source.id),
            lastmod,
        });
    }
    urls.push(SitemapUrl {
        loc: format!("{base}people/"),
        lastmod: None,
    });
    for p in &people.people {
        urls.push(SitemapUrl {
            loc: format!("{base}people/{}/", p.slug),
            lastmod: None,
        });
    }
    SitemapView {
        urls_xml: urls_xml(&urls),
        urls: if d.templates.reads_urls {
            urls
        } else {
            Vec::new()
        },
    }
}

/// The `<url>` elements of the sitemap, as [`entries_xml`] writes entries.
fn urls_xml(urls: &[SitemapUrl]) -> String {
    let mut out = String::new();
    for u in urls {
        out.push_str("\n  <url>\n    <loc>");
        escape_into(&mut out, &u.loc);
        out.push_str("</loc>");
        if let Some(lastmod) = &u.lastmod {
            push_all(&mut out, &["\n    <lastmod>", lastmod, "</lastmod>"]);
        }
        out.push_str("\n  </url>");
    }
    out
}

/// `/robots.txt`.
#[derive(Serialize)]
pub(crate) struct RobotsView {
    pub sitemap_url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_entries_escape_their_text_and_list_each_tag() {
        let tags = ["roads".to_owned(), "a&b".to_owned()];
        let entries = [
            FeedEntry {
                title: "Roads <and> bridges",
                url: "https://x.org/topics/roads/".to_owned(),
                updated: "2023-04-30T00:00:00Z".to_owned(),
                summary: "Tom & Jerry",
                tags: &tags,
            },
            FeedEntry {
                title: "Budget",
                url: "https://x.org/topics/budget/".to_owned(),
                updated: "1970-01-01T00:00:00Z".to_owned(),
                summary: "Spending",
                tags: &[],
            },
        ];
        assert_eq!(
            entries_xml(&entries),
            "\n  <entry>\n    <title>Roads &lt;and&gt; bridges</title>\n    \
             <link rel=\"alternate\" type=\"text/html\" href=\"https://x.org/topics/roads/\"/>\n    \
             <id>https://x.org/topics/roads/</id>\n    <updated>2023-04-30T00:00:00Z</updated>\n    \
             <summary>Tom &amp; Jerry</summary>\n    <category term=\"roads\"/>\n    \
             <category term=\"a&amp;b\"/>\n  </entry>\n  <entry>\n    <title>Budget</title>\n    \
             <link rel=\"alternate\" type=\"text/html\" href=\"https://x.org/topics/budget/\"/>\n    \
             <id>https://x.org/topics/budget/</id>\n    <updated>1970-01-01T00:00:00Z</updated>\n    \
             <summary>Spending</summary>\n  </entry>"
        );
    }

    #[test]
    fn sitemap_urls_give_a_date_only_when_there_is_one() {
        let urls = [
            SitemapUrl {
                loc: "/".to_owned(),
                lastmod: None,
            },
            SitemapUrl {
                loc: "/topics/a&b/".to_owned(),
                lastmod: Some("2023-04-30".to_owned()),
            },
        ];
        assert_eq!(
            urls_xml(&urls),
            "\n  <url>\n    <loc>/</loc>\n  </url>\n  <url>\n    <loc>/topics/a&amp;b/</loc>\n    \
             <lastmod>2023-04-30</lastmod>\n  </url>"
        );
    }
}
