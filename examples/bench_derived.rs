//! Benchmark of derived-copy detection: `cargo run --release --example
//! bench_derived [-- --sources N --runs R --root DIR]`.
//!
//! Without `--root`, generates N sources (default 2,000) of about 800 words
//! in memory, one in ten of them a paraphrased copy of another (words
//! replaced, sentences dropped, swapped and added), runs
//! [`dossier::find_rewrites`] on all of them R times (default 5) and prints
//! the median time and how many planted copies were found. With `--root`,
//! runs detection on the `content/sources/*.txt` of that dossier instead.
//!
//! The texts depend only on the arguments: a seeded PRNG (splitmix64)
//! and synthetic words stand in for `rand` and real prose.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;

// The allocator of the `dossier` binary. Its options are jemalloc's
// defaults rather than the binary's (`src/main.rs`: one arena per
// processor, memory returned after 3 s); a detection run is over well
// before either return delay, so only the number of arenas differs.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Command-line arguments.
#[derive(Parser)]
#[command(about = "Time derived-copy detection over many sources.")]
struct Args {
    /// Number of generated sources (ignored with --root).
    #[arg(long, default_value_t = 2000)]
    sources: usize,
    /// Timed runs; the median is reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// A dossier whose content/sources/*.txt to use instead.
    #[arg(long)]
    root: Option<PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let (texts, planted) = match &args.root {
        Some(root) => (read_sources(root)?, Vec::new()),
        None => generate(args.sources),
    };
    let words: usize = texts.iter().map(|t| t.split_whitespace().count()).sum();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    let mut found = Vec::new();
    for _ in 0..args.runs.max(1) {
        let (started, cpu_before) = (Instant::now(), dossier::cpu_time());
        found = dossier::find_rewrites(&refs);
        times.push(started.elapsed());
        if let (Some(before), Some(after)) = (cpu_before, dossier::cpu_time()) {
            cpu.push(after.saturating_sub(before));
        }
    }
    times.sort();
    cpu.sort();
    let median = times[times.len() / 2];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "- derived copies: {} sources, {} words, {} threads: median {} over {} runs (min {}, max {})",
        texts.len(),
        words,
        threads,
        seconds(median),
        times.len(),
        seconds(times[0]),
        seconds(times[times.len() - 1]),
    );
    if let Some(c) = cpu.get(cpu.len() / 2) {
        println!(
            "- derived copies: median CPU time (all threads) {} per run",
            seconds(*c)
        );
    }
    if args.root.is_none() {
        let hits = planted
            .iter()
            .filter(|&&(a, b)| found.iter().any(|r| (r.a, r.b) == (a.min(b), a.max(b))))
            .count();
        // Two copies of one original are rewrites of each other too.
        let family = families(texts.len(), &planted);
        let others = found.len() - hits;
        let unrelated = found.iter().filter(|r| family[r.a] != family[r.b]).count();
        println!(
            "- derived copies: found {hits} of {} planted copies; {others} other pairs, {unrelated} of them between unrelated texts",
            planted.len()
        );
    } else {
        println!("- derived copies: {} pairs found", found.len());
    }
    Ok(())
}

/// For each text, the first text of its family (itself, its original, its
/// original's other copies, and so on).
fn families(n: usize, planted: &[(usize, usize)]) -> Vec<usize> {
    let mut family: Vec<usize> = (0..n).collect();
    // Copies come after their originals, so one pass in order suffices.
    for &(original, copy) in planted {
        family[copy] = family[original];
    }
    family
}

fn seconds(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn read_sources(root: &std::path::Path) -> Result<Vec<String>> {
    let dir = root.join("content/sources");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display())))
        .collect()
}

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

const FUNCTION_WORDS: &[&str] = &[
    "the", "of", "and", "to", "a", "in", "that", "is", "was", "for", "on", "with", "as", "by",
    "at", "from", "it", "his", "her", "their", "had", "has", "have", "not", "but", "which", "this",
    "were", "be", "an", "said", "after", "over", "into", "about",
];

/// The synthetic language: content words drawn with a Zipf-like skew, so
/// a few are common to every text and most are rare, as in news prose.
struct Language {
    words: Vec<String>,
    names: Vec<String>,
    /// Cumulative weights of `words`.
    cumulative: Vec<f64>,
}

impl Language {
    fn new(rng: &mut Rng) -> Language {
        let syllables = [
            "ba", "ke", "lo", "mi", "nu", "ra", "se", "ti", "vo", "za", "dor", "fen", "gal", "hum",
            "jor", "kel", "mar", "nis", "pol", "quin", "rus", "sol", "tam", "ver", "wyn",
        ];
        let word = |n: usize, rng: &mut Rng| -> String {
            (0..n)
                .map(|_| syllables[rng.below(syllables.len())])
                .collect()
        };
        let words: Vec<String> = (0..30_000).map(|i| word(2 + i % 3, rng)).collect();
        let names = (0..3_000)
            .map(|_| {
                let w = word(2, rng);
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect())
                    .unwrap_or_default()
            })
            .collect();
        let mut total = 0.0;
        let cumulative = (1..=words.len())
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect();
        Language {
            words,
            names,
            cumulative,
        }
    }

    fn content_word(&self, rng: &mut Rng) -> &str {
        let total = self.cumulative[self.cumulative.len() - 1];
        let x = (rng.next() >> 11) as f64 / (1u64 << 53) as f64 * total;
        let i = self.cumulative.partition_point(|&c| c < x);
        &self.words[i.min(self.words.len() - 1)]
    }

    /// A sentence as words; the first is capitalised when it is joined.
    fn sentence(&self, rng: &mut Rng) -> Vec<String> {
        let len = 12 + rng.below(17);
        (0..len)
            .map(|_| {
                if rng.chance(0.45) {
                    FUNCTION_WORDS[rng.below(FUNCTION_WORDS.len())].to_owned()
                } else if rng.chance(0.08) {
                    self.names[rng.below(self.names.len())].clone()
                } else {
                    self.content_word(rng).to_owned()
                }
            })
            .collect()
    }

    /// A paraphrase of a sentence: about a third of its content words and
    /// a tenth of its function words replaced.
    fn paraphrase(&self, sentence: &[String], rng: &mut Rng) -> Vec<String> {
        sentence
            .iter()
            .map(|w| {
                let function = FUNCTION_WORDS.contains(&w.as_str());
                if function && rng.chance(0.1) {
                    FUNCTION_WORDS[rng.below(FUNCTION_WORDS.len())].to_owned()
                } else if !function && rng.chance(0.3) {
                    self.content_word(rng).to_owned()
                } else {
                    w.clone()
                }
            })
            .collect()
    }
}

/// Sentences grouped in paragraphs, as text.
fn render(paragraphs: &[Vec<Vec<String>>]) -> String {
    let mut out = String::new();
    for p in paragraphs {
        let sentences: Vec<String> = p
            .iter()
            .map(|s| {
                let mut text = s.join(" ");
                if let Some(first) = text.get(..1) {
                    let upper = first.to_uppercase();
                    text.replace_range(..1, &upper);
                }
                text.push('.');
                text
            })
            .collect();
        out.push_str(&sentences.join(" "));
        out.push_str("\n\n");
    }
    out
}

/// `n` texts of about 800 words; every tenth a paraphrased copy of an
/// earlier one. Returns the texts and the planted `(original, copy)` pairs.
fn generate(n: usize) -> (Vec<String>, Vec<(usize, usize)>) {
    let mut rng = Rng(0x00d0_551e);
    let language = Language::new(&mut rng);
    let mut originals: Vec<Vec<Vec<Vec<String>>>> = Vec::with_capacity(n);
    let mut texts = Vec::with_capacity(n);
    let mut planted = Vec::new();
    for i in 0..n {
        let paragraphs = if i % 10 == 9 {
            let original = rng.below(i);
            planted.push((original, i));
            copy_of(&originals[original], &language, &mut rng)
        } else {
            let mut words = 0;
            let mut paragraphs = Vec::new();
            while words < 800 {
                let p: Vec<Vec<String>> = (0..3 + rng.below(3))
                    .map(|_| language.sentence(&mut rng))
                    .collect();
                words += p.iter().map(Vec::len).sum::<usize>();
                paragraphs.push(p);
            }
            paragraphs
        };
        texts.push(render(&paragraphs));
        originals.push(paragraphs);
    }
    (texts, planted)
}

/// A rewrite: sentences paraphrased, one in ten dropped, one in twenty
/// swapped with the next, and a new sentence in one paragraph in four.
fn copy_of(
    original: &[Vec<Vec<String>>],
    language: &Language,
    rng: &mut Rng,
) -> Vec<Vec<Vec<String>>> {
    original
        .iter()
        .map(|p| {
            let mut sentences: Vec<Vec<String>> = Vec::new();
            for s in p {
                if !rng.chance(0.1) {
                    sentences.push(language.paraphrase(s, rng));
                }
            }
            for i in 0..sentences.len().saturating_sub(1) {
                if rng.chance(0.05) {
                    sentences.swap(i, i + 1);
                }
            }
            if rng.chance(0.25) {
                sentences.push(language.sentence(rng));
            }
            sentences
        })
        .collect()
}
