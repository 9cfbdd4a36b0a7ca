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
    FeedView {
        self_url: format!("{base}atom.xml"),
        home_url: base.clone(),
        updated: timestamp(&newest),
        entries: entries.into_iter().map(|e| e.1).collect(),
    }
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
    SitemapView { urls }
}

/// `/robots.txt`.
#[derive(Serialize)]
pub(crate) struct RobotsView {
    pub sitemap_url: String,
}
