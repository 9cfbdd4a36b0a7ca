//! Synthetic dossiers for benchmarking: `cargo run --release --example gen --
//! --topics N --sources M --out DIR`.
//!
//! Writes two sites made of the same notes:
//!
//! - `DIR/dossier/`: `dossier.toml`, `content/index.md`, `content/topics/*.md`
//!   and `content/sources/*.txt` + `*.yaml`, in our layout;
//! - `DIR/hugo/`: the same topics (and the sources as plain pages) as a Hugo
//!   site, each citation turned into a standard `[^n]` footnote that quotes
//!   the same words, with minimal layouts so no theme is needed.
//!
//! Topics have 600–1,200 words, `##` headings, lists, links to other topics,
//! a fenced Rust block in about one in five, and 5–15 citations whose quotes
//! are 4–9 consecutive words of one sentence of the cited source — about
//! half of them crossing the source's hard wrap, so they only verify when
//! wraps are normalised. Sources have 500–1,500 words wrapped at 72 columns.
//! Quotes never leave a sentence, so none crosses a paragraph boundary under
//! any of the engine's splitting rules.
//!
//! The output depends only on the arguments: a small seeded PRNG
//! (splitmix64) and a fixed word list stand in for `rand` and real prose.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Parser;

/// Command-line arguments.
#[derive(Parser)]
#[command(about = "Write a deterministic synthetic dossier and the same notes as a Hugo site.")]
struct Args {
    /// Number of topics.
    #[arg(long, default_value_t = 1000)]
    topics: usize,
    /// Number of sources.
    #[arg(long, default_value_t = 200)]
    sources: usize,
    /// Output folder; `dossier/` and `hugo/` are written inside it.
    #[arg(long)]
    out: PathBuf,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Marks a folder as written by this generator, so it may be replaced.
const MARKER: &str = ".synthetic-dossier";
/// Width at which source texts are hard-wrapped.
const WRAP: usize = 72;

const DETS: &[&str] = &[
    "the", "the", "the", "a", "each", "every", "that", "this", "another", "one",
];
const ADJS: &[&str] = &[
    "early",
    "formal",
    "brief",
    "public",
    "secret",
    "regional",
    "naval",
    "annual",
    "northern",
    "southern",
    "quiet",
    "careful",
    "detailed",
    "uncertain",
    "official",
    "rival",
    "local",
    "foreign",
    "joint",
    "former",
    "senior",
    "private",
    "partial",
    "final",
    "new",
    "old",
    "large",
    "small",
    "coastal",
    "rural",
    "urban",
    "strategic",
    "legal",
    "financial",
    "military",
    "civil",
    "written",
    "verbal",
    "disputed",
    "confirmed",
    "leaked",
    "revised",
    "closed",
    "open",
];
const NOUNS: &[&str] = &[
    "treaty",
    "minister",
    "report",
    "harbour",
    "ledger",
    "council",
    "agency",
    "witness",
    "archive",
    "statement",
    "summit",
    "delegation",
    "border",
    "shipment",
    "contract",
    "court",
    "inquiry",
    "budget",
    "pipeline",
    "election",
    "committee",
    "ministry",
    "embassy",
    "cable",
    "memo",
    "briefing",
    "survey",
    "account",
    "vessel",
    "factory",
    "province",
    "audit",
    "letter",
    "agreement",
    "sanction",
    "network",
    "company",
    "official",
    "spokesman",
    "negotiator",
    "analyst",
    "journalist",
    "document",
    "hearing",
    "ruling",
    "payment",
    "transfer",
    "meeting",
    "proposal",
    "deadline",
    "record",
    "camp",
    "station",
    "region",
    "satellite",
    "warehouse",
    "tender",
    "licence",
    "loan",
    "port",
    "railway",
    "bank",
    "fund",
    "office",
    "mission",
    "draft",
    "source",
    "estimate",
    "schedule",
    "register",
    "vote",
    "policy",
    "dispute",
    "charter",
];
const VERBS: &[&str] = &[
    "signed",
    "reviewed",
    "rejected",
    "approved",
    "delayed",
    "described",
    "questioned",
    "confirmed",
    "denied",
    "published",
    "examined",
    "challenged",
    "financed",
    "recorded",
    "reported",
    "disclosed",
    "blocked",
    "revised",
    "cited",
    "ordered",
    "funded",
    "inspected",
    "traced",
    "contested",
    "extended",
    "suspended",
    "drafted",
    "announced",
    "cancelled",
    "supported",
    "opposed",
    "summarised",
    "investigated",
    "accepted",
    "received",
    "shipped",
    "audited",
    "renewed",
    "withdrew",
    "praised",
    "criticised",
    "monitored",
    "concealed",
];
const PREPS: &[&str] = &[
    "of", "in", "near", "for", "from", "under", "after", "before", "against", "with", "about",
    "across", "behind", "beyond", "during",
];
const ADVS: &[&str] = &[
    "again",
    "quietly",
    "publicly",
    "twice",
    "promptly",
    "eventually",
    "abroad",
    "recently",
    "formally",
    "in private",
    "last year",
    "in March",
    "on Tuesday",
    "at once",
    "in writing",
];
const JOINS: &[&str] = &[
    ", and",
    ", but",
    ", while",
    ", although",
    ", because",
    ", so",
    ", after which",
    ", whereas",
];
const PUBLISHERS: &[&str] = &[
    "The Harbour Gazette",
    "Northern Ledger",
    "Coastal Review",
    "The Civic Record",
    "Regional Wire",
    "The Evening Dispatch",
    "Open Archive Weekly",
    "The Provincial Times",
];

/// splitmix64: tiny, fast, and good enough to make varied text.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Self {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }

    /// True with probability `1 / n`.
    fn one_in(&mut self, n: u64) -> bool {
        self.next().is_multiple_of(n)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.range(0, items.len() - 1)]
    }
}

/// A noun phrase: determiner, optional adjective, noun, optional complement.
fn noun_phrase(rng: &mut Rng, words: &mut Vec<String>, complement: bool) {
    let det = rng.pick(DETS);
    let adj = rng.one_in(2).then(|| rng.pick(ADJS));
    let noun = rng.pick(NOUNS);
    let next = adj.unwrap_or(noun);
    let vowel = next.starts_with(['a', 'e', 'i', 'o', 'u']);
    words.push(if det == "a" && vowel { "an" } else { det }.to_owned());
    words.extend(adj.map(str::to_owned));
    words.push(noun.to_owned());
    if complement && rng.one_in(3) {
        words.push(rng.pick(PREPS).to_owned());
        words.push("the".to_owned());
        words.push(rng.pick(NOUNS).to_owned());
    }
}

/// One clause: subject, verb, object, sometimes an adverb.
fn clause(rng: &mut Rng, words: &mut Vec<String>) {
    noun_phrase(rng, words, true);
    words.push(rng.pick(VERBS).to_owned());
    noun_phrase(rng, words, true);
    if rng.one_in(3) {
        words.extend(rng.pick(ADVS).split(' ').map(str::to_owned));
    }
}

/// A sentence as words, the first capitalised, the last ending in `.`;
/// joining words carry their comma.
fn sentence(rng: &mut Rng) -> Vec<String> {
    let mut words = Vec::new();
    clause(rng, &mut words);
    if rng.one_in(2) {
        let join = rng.pick(JOINS);
        if let Some(last) = words.last_mut() {
            last.push(',');
        }
        words.extend(join[2..].split(' ').map(str::to_owned));
        clause(rng, &mut words);
    }
    words[0] = capitalise(&words[0]);
    if let Some(last) = words.last_mut() {
        last.push('.');
    }
    words
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Title Case of `n` random nouns and adjectives.
fn title_words(rng: &mut Rng, n: usize) -> String {
    let mut title = vec![capitalise(rng.pick(ADJS))];
    for _ in 1..n {
        title.push(capitalise(rng.pick(NOUNS)));
    }
    title.join(" ")
}

/// One sentence of a source text, with the line each word was wrapped onto.
struct SourceSentence {
    words: Vec<String>,
    lines: Vec<usize>,
}

/// A generated source: its id, sidecar fields, text and sentences.
struct Source {
    id: String,
    title: String,
    publisher: &'static str,
    text: String,
    sentences: Vec<SourceSentence>,
}

fn make_source(seed: u64, index: usize) -> Source {
    let mut rng = Rng::new(seed, 1_000_000 + index as u64);
    let title = title_words(&mut rng, 3);
    let id = format!("s{index:05}-{}", title.to_lowercase().replace(' ', "-"));
    let target = rng.range(500, 1500);
    let (mut text, mut sentences, mut count, mut line) = (String::new(), Vec::new(), 0, 0);
    while count < target {
        if !text.is_empty() {
            text.push('\n');
            line += 1;
        }
        let mut width = 0;
        for _ in 0..rng.range(2, 6) {
            let words = sentence(&mut rng);
            let mut lines = Vec::with_capacity(words.len());
            for word in &words {
                if width > 0 && width + 1 + word.len() > WRAP {
                    text.push('\n');
                    line += 1;
                    width = 0;
                }
                if width > 0 {
                    text.push(' ');
                    width += 1;
                }
                text.push_str(word);
                width += word.len();
                lines.push(line);
            }
            count += words.len();
            sentences.push(SourceSentence { words, lines });
        }
        text.push('\n');
        line += 1;
    }
    let publisher = rng.pick(PUBLISHERS);
    Source {
        id,
        title,
        publisher,
        text,
        sentences,
    }
}

/// Picks 4–9 consecutive words of one sentence; with `cross`, words that
/// lie on two lines of the source when the sentence allows it.
fn pick_quote(rng: &mut Rng, source: &Source, cross: bool) -> String {
    let sentence = &source.sentences[rng.range(0, source.sentences.len() - 1)];
    let n = sentence.words.len();
    let len = rng.range(4, 9.min(n));
    let windows: Vec<usize> = (0..=n - len)
        .filter(|&s| !cross || sentence.lines[s] != sentence.lines[s + len - 1])
        .collect();
    let start = if windows.is_empty() {
        rng.range(0, n - len)
    } else {
        windows[rng.range(0, windows.len() - 1)]
    };
    let quote = sentence.words[start..start + len].join(" ");
    quote.trim_end_matches(['.', ',']).to_owned()
}

/// A topic's identity, known before any body is written so bodies can link.
struct TopicHead {
    slug: String,
    title: String,
}

/// One citation: the source index and the quoted words.
struct Cite {
    source: usize,
    quote: String,
}

/// A topic body in both syntaxes: `[@id "…"]` citations and `[^n]` notes.
#[derive(Default)]
struct Body {
    dossier: String,
    hugo: String,
    notes: Vec<Cite>,
}

impl Body {
    fn push(&mut self, s: &str) {
        self.dossier.push_str(s);
        self.hugo.push_str(s);
    }

    /// Appends citations after the text just written.
    fn cite(&mut self, cites: Vec<Cite>, sources: &[Source]) {
        let list: Vec<String> = cites
            .iter()
            .map(|c| format!("@{} \"{}\"", sources[c.source].id, c.quote))
            .collect();
        let _ = write!(self.dossier, "[{}]", list.join("; "));
        for cite in cites {
            self.notes.push(cite);
            let _ = write!(self.hugo, "[^{}]", self.notes.len());
        }
    }
}

/// Prose with a link and citations mixed in; returns the words written.
fn prose(ctx: &mut TopicCtx<'_>, sentences: usize, body: &mut Body) -> usize {
    let mut count = 0;
    for i in 0..sentences {
        let mut words = sentence(ctx.rng);
        count += words.len();
        if ctx.rng.one_in(8) && words.len() > 4 {
            let other = &ctx.heads[ctx.rng.range(0, ctx.heads.len() - 1)];
            let at = ctx.rng.range(1, words.len() - 3);
            words[at] = format!("[{}](../{}/)", words[at], other.slug);
        }
        if i > 0 {
            body.push(" ");
        }
        body.push(&words.join(" "));
        if ctx.cites_left > 0 && ctx.rng.one_in(ctx.cite_every) {
            let n = if ctx.cites_left > 1 && ctx.rng.one_in(8) {
                2
            } else {
                1
            };
            let cites = (0..n).map(|_| ctx.cite()).collect();
            body.cite(cites, ctx.sources);
            ctx.cites_left -= n;
        }
    }
    count
}

/// What writing one topic's body needs.
struct TopicCtx<'a> {
    rng: &'a mut Rng,
    heads: &'a [TopicHead],
    sources: &'a [Source],
    /// The few sources this topic draws on.
    cited: Vec<usize>,
    cites_left: usize,
    /// One sentence in this many carries a citation.
    cite_every: u64,
}

impl TopicCtx<'_> {
    fn cite(&mut self) -> Cite {
        let source = self.cited[self.rng.range(0, self.cited.len() - 1)];
        let cross = self.rng.one_in(2);
        let quote = pick_quote(self.rng, &self.sources[source], cross);
        Cite { source, quote }
    }
}

fn code_block(rng: &mut Rng, body: &mut Body) {
    let (f, a, b) = (rng.pick(VERBS), rng.pick(NOUNS), rng.pick(NOUNS));
    let code = format!(
        "```rust\n/// Totals the {a} of each {b}.\nfn {f}_{a}(records: &[{}]) -> u64 {{\n    \
         records.iter().map(|r| r.{a}).filter(|&n| n > {}).sum()\n}}\n```\n\n",
        capitalise(b),
        rng.range(1, 99),
    );
    body.push(&code);
}

/// Writes a topic body of about `target` words.
fn topic_body(ctx: &mut TopicCtx<'_>, target: usize) -> Body {
    let mut body = Body::default();
    let mut count = 0;
    let mut has_code = ctx.rng.one_in(5);
    while count < target {
        let heading = title_words(ctx.rng, 2);
        body.push(&format!("## {heading}\n\n"));
        for _ in 0..ctx.rng.range(1, 3) {
            let n = ctx.rng.range(3, 6);
            count += prose(ctx, n, &mut body);
            body.push("\n\n");
        }
        if ctx.rng.one_in(3) {
            for _ in 0..ctx.rng.range(3, 5) {
                body.push("- ");
                count += prose(ctx, 1, &mut body);
                body.push("\n");
            }
            body.push("\n");
        }
        if has_code {
            code_block(ctx.rng, &mut body);
            has_code = false;
        }
    }
    // Citations the prose did not place close the last paragraph.
    while ctx.cites_left > 0 {
        body.push("Another account agrees.");
        let cite = ctx.cite();
        body.cite(vec![cite], ctx.sources);
        body.push("\n\n");
        ctx.cites_left -= 1;
    }
    body
}

fn write(path: &Path, contents: &str) -> Result<()> {
    fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

/// Creates `dir` afresh, removing an earlier run's output (never a folder
/// this generator did not write).
fn fresh_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        if !dir.join(MARKER).exists() {
            bail!(
                "{} exists and was not written by gen; not touching it",
                dir.display()
            );
        }
        fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    write(&dir.join(MARKER), "written by examples/gen.rs\n")
}

fn yaml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn write_source(root: &Path, hugo: &Path, source: &Source, rng: &mut Rng) -> Result<()> {
    let dir = root.join("content/sources");
    write(&dir.join(format!("{}.txt", source.id)), &source.text)?;
    let (month, day) = (rng.range(1, 12), rng.range(1, 28));
    let sidecar = format!(
        "title: {}\npublisher: {}\nurl: https://example.org/{}\npublished: 2021-{month:02}-{day:02}\nlanguage: en\n",
        yaml_str(&source.title),
        yaml_str(source.publisher),
        source.id,
    );
    write(&dir.join(format!("{}.yaml", source.id)), &sidecar)?;
    let page = format!(
        "---\ntitle: {}\nsummary: {}\n---\n\n{}",
        yaml_str(&source.title),
        yaml_str(source.publisher),
        source.text
    );
    write(
        &hugo.join(format!("content/sources/{}.md", source.id)),
        &page,
    )
}

/// Writes topic `index` to both sites.
fn write_topic(args: &Args, index: usize, heads: &[TopicHead], sources: &[Source]) -> Result<()> {
    let mut rng = Rng::new(args.seed, index as u64);
    let cites = rng.range(5, 15);
    let cited = (0..rng.range(1, 4))
        .map(|_| rng.range(0, sources.len() - 1))
        .collect();
    let summary = sentence(&mut rng).join(" ");
    let target = rng.range(600, 1200);
    // About 13 words a sentence: spread the citations over the whole body.
    let cite_every = (target / 13 / cites).max(2) as u64;
    let mut ctx = TopicCtx {
        rng: &mut rng,
        heads,
        sources,
        cited,
        cites_left: cites,
        cite_every,
    };
    let body = topic_body(&mut ctx, target);
    let head = &heads[index];
    let front = format!(
        "---\ntitle: {}\nsummary: {}\nupdated: 2022-01-{:02}\n---\n\n",
        yaml_str(&head.title),
        yaml_str(&summary),
        index % 28 + 1
    );
    let slug = &head.slug;
    let dossier_path = args.out.join(format!("dossier/content/topics/{slug}.md"));
    write(&dossier_path, &format!("{front}{}", body.dossier))?;
    let mut hugo = format!("{front}{}", body.hugo);
    for (n, note) in body.notes.iter().enumerate() {
        let source = &sources[note.source];
        let _ = writeln!(
            hugo,
            "\n[^{}]: *{}*, {}: “{}”",
            n + 1,
            source.title,
            source.publisher,
            note.quote
        );
    }
    write(
        &args.out.join(format!("hugo/content/topics/{slug}.md")),
        &hugo,
    )
}

const HUGO_CONFIG: &str = r#"baseURL = "http://localhost/"
title = "Synthetic dossier"
languageCode = "en"
disableKinds = ["taxonomy", "term"]
"#;
const HUGO_BASEOF: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><main>{{ block "main" . }}{{ end }}</main></body></html>
"#;
const HUGO_SINGLE: &str = r#"{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p>{{ .Summary }}</p>{{ .Content }}</article>{{ end }}
"#;
const HUGO_LIST: &str = r#"{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}
"#;

fn write_skeletons(args: &Args) -> Result<()> {
    let dossier = args.out.join("dossier");
    let hugo = args.out.join("hugo");
    fresh_dir(&dossier)?;
    fresh_dir(&hugo)?;
    for dir in ["content/topics", "content/sources"] {
        fs::create_dir_all(dossier.join(dir))?;
        fs::create_dir_all(hugo.join(dir))?;
    }
    fs::create_dir_all(hugo.join("layouts/_default"))?;
    let config = format!(
        "title = \"Synthetic dossier ({} topics, {} sources)\"\ndescription = \"Generated by examples/gen.rs for benchmarks.\"\nbase_url = \"/\"\nlanguage = \"en\"\nauthor = \"gen\"\n",
        args.topics, args.sources
    );
    write(&dossier.join("dossier.toml"), &config)?;
    let intro = "A synthetic dossier for benchmarks: every quote is taken from its source.\n";
    write(
        &dossier.join("content/index.md"),
        &format!("---\ntitle: \"Synthetic dossier\"\n---\n\n{intro}"),
    )?;
    write(
        &hugo.join("content/_index.md"),
        &format!("---\ntitle: \"Synthetic dossier\"\n---\n\n{intro}"),
    )?;
    write(&hugo.join("config.toml"), HUGO_CONFIG)?;
    let layouts = hugo.join("layouts/_default");
    write(&layouts.join("baseof.html"), HUGO_BASEOF)?;
    write(&layouts.join("single.html"), HUGO_SINGLE)?;
    write(&layouts.join("list.html"), HUGO_LIST)
}

fn main() -> Result<()> {
    let args = Args::parse();
    if args.topics == 0 || args.sources == 0 {
        bail!("--topics and --sources must be at least 1");
    }
    write_skeletons(&args)?;
    let sources: Vec<Source> = (0..args.sources)
        .map(|i| make_source(args.seed, i))
        .collect();
    let mut meta_rng = Rng::new(args.seed, u64::MAX);
    let root = args.out.join("dossier");
    let hugo = args.out.join("hugo");
    for source in &sources {
        write_source(&root, &hugo, source, &mut meta_rng)?;
    }
    let heads: Vec<TopicHead> = (0..args.topics)
        .map(|i| {
            let mut rng = Rng::new(args.seed, 2_000_000 + i as u64);
            let title = title_words(&mut rng, 3);
            let slug = format!("t{i:05}-{}", title.to_lowercase().replace(' ', "-"));
            TopicHead { slug, title }
        })
        .collect();
    for index in 0..args.topics {
        write_topic(&args, index, &heads, &sources)?;
    }
    println!(
        "wrote {} topics and {} sources to {}/{{dossier,hugo}}",
        args.topics,
        args.sources,
        args.out.display()
    );
    Ok(())
}
