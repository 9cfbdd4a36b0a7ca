//! The `dossier` command: parses arguments, calls the library, and maps the
//! outcome to an exit code in one place: 0 success, 1 content errors,
//! 2 usage or I/O errors.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use dossier::{BuildOptions, Format, Report, ServeOptions, cpu_time, peak_memory};

// A build allocates millions of small strings and frees most of them
// again; jemalloc does that in a fraction of the time glibc's malloc takes.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

// jemalloc's options, read when it starts, before `main`; the environment
// variable `_RJEM_MALLOC_CONF` overrides them.
//
// - One arena per processor rather than four per processor, so that
//   memory one thread frees is found again by the others instead of
//   lying in an arena of its own: at 10,000 topics the peak is 375 to
//   385 MiB, against 382 to 402 with the default.
// - Memory freed and unused for 3 s is given back to the system (10 s by
//   default), so a build takes its fresh memory from what earlier stages
//   freed rather than having the system zero new pages one by one. With
//   mimalloc giving it back within 100 ms, a 10,000-topic build took 4 %
//   longer (medians of 15 builds each, taking turns: 1.96 against
//   1.89 s); with 1 s, 6 % longer than with 3 s.
// - Its memory in transparent huge pages (2 MiB) where the system allows
//   them on request, as most Linux systems do by default: a build touches
//   hundreds of megabytes once each, and takes a page fault per 4 KiB page
//   and a miss of the processor's page cache (TLB) for nearly every
//   reference to a new string. With huge pages a 10,000-topic build took
//   8 % less time and CPU (medians of 11 builds each, taking turns: 2.26
//   against 2.45 s, 4.30 against 4.68 s of CPU; 0.22 against 0.24 s at
//   1,000 topics) and peaked at 378 MiB rather than 361, its last pages
//   partly used. On a system that allows no huge pages it is a no-op.
//
// `percpu_arena` and huge pages need Linux.
#[cfg(all(not(target_env = "msvc"), target_os = "linux"))]
#[allow(non_upper_case_globals)]
#[unsafe(export_name = "_rjem_malloc_conf")]
static malloc_conf: &[u8; 71] =
    b"percpu_arena:percpu,dirty_decay_ms:3000,thp:always,metadata_thp:always\0";
#[cfg(all(not(target_env = "msvc"), not(target_os = "linux")))]
#[allow(non_upper_case_globals)]
#[unsafe(export_name = "_rjem_malloc_conf")]
static malloc_conf: &[u8; 20] = b"dirty_decay_ms:3000\0";

#[derive(Parser)]
#[command(
    name = "dossier",
    version,
    about = "Build a source dossier: every claim cites, quotes and verifies its source."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Verify every citation and write the site.
    Build {
        /// The dossier root (holds dossier.toml and content/).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Where to write the site [default: ROOT/public].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the config's base_url (e.g. https://example.org/dossier/).
        #[arg(long)]
        base_url: Option<String>,
        /// Include topics marked `draft: true`.
        #[arg(long)]
        drafts: bool,
        /// How to print problems.
        #[arg(long, value_enum, default_value_t = FormatArg::Human)]
        format: FormatArg,
        /// Print nothing but problems: no progress, no summary line.
        #[arg(long, short)]
        quiet: bool,
        /// Print how long each stage took, its processor time on all cores,
        /// and the peak memory by then, on standard error.
        #[arg(long)]
        timings: bool,
    },
    /// Build into memory, serve on localhost, rebuild and reload on change.
    Serve {
        /// The dossier root (holds dossier.toml and content/).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Port to listen on; 0 picks a free one.
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Include topics marked `draft: true`.
        #[arg(long)]
        drafts: bool,
    },
    /// Create a new dossier in DIR (which must be new or empty).
    Init {
        /// The folder to create.
        dir: PathBuf,
    },
    /// Verify every citation (drafts included) without writing anything.
    Check {
        /// The dossier root (holds dossier.toml and content/).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// How to print problems.
        #[arg(long, value_enum, default_value_t = FormatArg::Human)]
        format: FormatArg,
        /// Also list the source paragraphs that mention a topic's aliases
        /// but are not cited by that topic (on standard output).
        #[arg(long)]
        coverage: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Human,
    Json,
    Github,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Github => Format::Github,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (verb, format, result) = match cli.command {
        Command::Build {
            root,
            out,
            base_url,
            drafts,
            format,
            quiet,
            timings,
        } => {
            let options = BuildOptions {
                root,
                out,
                base_url,
                drafts,
            };
            let progress = Progress::new(quiet);
            let stages = std::cell::RefCell::new(Vec::new());
            let result = dossier::build_observed(&options, &|stage| {
                progress.stage(stage);
                stages.borrow_mut().push((stage, Mark::now()));
            });
            progress.finish();
            if timings {
                print_timings(&stages.into_inner());
            }
            match result {
                Ok(report) if quiet => {
                    let _ = dossier::diagnostics::emit(&report.diagnostics, format.into());
                    let ok = report.summary.is_some() && report.diagnostics.error_count() == 0;
                    return if ok {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(1)
                    };
                }
                result => ("build", format, result),
            }
        }
        Command::Check {
            root,
            format,
            coverage: false,
        } => ("check", format, dossier::check(&root)),
        Command::Check {
            root,
            format,
            coverage: true,
        } => {
            let result = dossier::check_coverage(&root).map(|(report, uncited)| {
                let _ = print_coverage(&uncited, format);
                report
            });
            ("check", format, result)
        }
        Command::Serve {
            root,
            port,
            bind,
            drafts,
        } => {
            return run_serve(ServeOptions {
                root,
                bind,
                port,
                drafts,
            });
        }
        Command::Init { dir } => return run_init(&dir),
    };
    match result {
        Ok(report) => finish(verb, format.into(), &report),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn finish(verb: &str, format: Format, report: &Report) -> ExitCode {
    // A closed pipe (`dossier check | head`) is not worth a panic or a message.
    let _ = dossier::diagnostics::emit(&report.diagnostics, format);
    let errors = report.diagnostics.error_count();
    let warnings = report.diagnostics.warning_count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match &report.summary {
        Some(s) if errors == 0 => {
            let ms = s.elapsed.as_millis();
            let line = if verb == "build" {
                format!(
                    "Built {}, {}, {} into {} ({}) in {ms} ms: {}",
                    plural(s.topics, "topic"),
                    plural(s.sources, "source"),
                    plural(s.citations, "citation"),
                    plural(s.pages, "page"),
                    plural(s.files, "file"),
                    s.out.display()
                )
            } else {
                format!(
                    "Checked {}, {}, {}: no errors{} in {ms} ms",
                    plural(s.topics, "topic"),
                    plural(s.sources, "source"),
                    plural(s.citations, "citation"),
                    if warnings > 0 {
                        format!(", {}", plural(warnings, "warning"))
                    } else {
                        String::new()
                    },
                )
            };
            let _ = writeln!(std::io::stdout(), "{line}");
            ExitCode::SUCCESS
        }
        // JSON output stays one object a line; the exit code tells the rest.
        _ if format == Format::Json => ExitCode::from(1),
        _ => {
            let what = if verb == "build" {
                "build failed"
            } else {
                "check failed"
            };
            let _ = writeln!(
                std::io::stderr(),
                "{what}: {}{}",
                plural(errors, "error"),
                if warnings > 0 {
                    format!(", {}", plural(warnings, "warning"))
                } else {
                    String::new()
                }
            );
            ExitCode::from(1)
        }
    }
}

/// Prints `check --coverage`'s list on standard output: grouped by topic
/// for people, one JSON object a line, or GitHub notices.
fn print_coverage(uncited: &[dossier::Uncited], format: FormatArg) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        FormatArg::Json => {
            for u in uncited {
                let line = serde_json::json!({
                    "topic": u.topic,
                    "topic_title": u.topic_title,
                    "topic_file": u.topic_file,
                    "source": u.source,
                    "file": u.file,
                    "line": u.line,
                    "paragraph": u.paragraph,
                    "aliases": u.aliases,
                    "text": u.text,
                });
                writeln!(out, "{line}")?;
            }
        }
        FormatArg::Github => {
            for u in uncited {
                writeln!(
                    out,
                    "::notice file={},line={}::Topic \"{}\" does not cite paragraph p-{}, which mentions {}",
                    u.file,
                    u.line,
                    u.topic_title,
                    u.paragraph,
                    u.aliases.join(", ")
                )?;
            }
        }
        FormatArg::Human => {
            if uncited.is_empty() {
                writeln!(
                    out,
                    "Coverage: every paragraph that mentions a topic's aliases is cited by that topic."
                )?;
                return Ok(());
            }
            writeln!(
                out,
                "Coverage: {} paragraph{} mention a topic's aliases but {} not cited by that topic.",
                uncited.len(),
                if uncited.len() == 1 { "" } else { "s" },
                if uncited.len() == 1 { "is" } else { "are" },
            )?;
            let mut topic = "";
            for u in uncited {
                if u.topic != topic {
                    topic = &u.topic;
                    writeln!(out, "\n{} ({})", u.topic_title, u.topic_file)?;
                }
                writeln!(
                    out,
                    "  {}:{} p-{} [{}] {}",
                    u.file,
                    u.line,
                    u.paragraph,
                    u.aliases.join(", "),
                    excerpt(&u.text, 80)
                )?;
            }
            writeln!(out)?;
        }
    }
    Ok(())
}

/// The first `chars` characters of a text, with `…` when cut.
fn excerpt(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((i, _)) => format!("{}…", text[..i].trim_end()),
        None => text.to_owned(),
    }
}

/// A spinner naming the current stage, shown on a terminal once a build
/// has taken a second; never shown in CI, without a terminal, or with
/// `--quiet`.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    started: std::time::Instant,
}

impl Progress {
    fn new(quiet: bool) -> Progress {
        use std::io::IsTerminal;
        let wanted = !quiet && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let bar = wanted.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::hidden(),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            started: std::time::Instant::now(),
        }
    }

    fn stage(&self, stage: dossier::Stage) {
        if let Some(bar) = &self.bar {
            if bar.is_hidden() && self.started.elapsed() >= std::time::Duration::from_secs(1) {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            bar.set_message(stage.to_string());
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A moment of a build, for `--timings`.
struct Mark {
    at: std::time::Instant,
    /// The process's peak memory by then, in KiB, where the system tells it.
    peak: Option<u64>,
    /// The processor time of all the process's threads by then, where the
    /// system tells it.
    cpu: Option<std::time::Duration>,
}

impl Mark {
    fn now() -> Mark {
        Mark {
            at: std::time::Instant::now(),
            peak: peak_memory(),
            cpu: cpu_time(),
        }
    }
}

/// `build --timings`: each stage that started, how long it ran until the
/// next one started or the build ended, the processor time it took on all
/// cores, and the process's peak memory by then.
fn print_timings(stages: &[(dossier::Stage, Mark)]) {
    let end = Mark::now();
    let mut err = std::io::stderr().lock();
    // The kernel's high-water mark is kept from approximate counts, and a
    // later reading can be a little lower: the peak by then is the highest
    // reading so far.
    let mut highest = None;
    for (i, (stage, start)) in stages.iter().enumerate() {
        let until = stages.get(i + 1).map_or(&end, |next| &next.1);
        let peak = until.peak.map(|kib| kib.max(highest.unwrap_or(0)));
        highest = peak.or(highest);
        let ms = until.at.duration_since(start.at).as_secs_f64() * 1000.0;
        let cpu = start.cpu.zip(until.cpu).map(|(from, to)| {
            format!(
                "{:.0} ms CPU",
                to.saturating_sub(from).as_secs_f64() * 1000.0
            )
        });
        let peak = peak.map(|kib| format!("peak {:.0} MiB", kib as f64 / 1024.0));
        let notes: Vec<String> = cpu.into_iter().chain(peak).collect();
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("  ({})", notes.join(", "))
        };
        let _ = writeln!(err, "{ms:>9.1} ms  {stage}{notes}");
    }
}

fn run_serve(options: ServeOptions) -> ExitCode {
    keep_freed_memory();
    // Ctrl-C ends the server; say so and leave with success.
    let _ = ctrlc::set_handler(|| {
        let _ = writeln!(std::io::stdout(), "Stopped.");
        std::process::exit(0);
    });
    let root = options.root.display().to_string();
    let result = dossier::serve(&options, |addr| {
        let _ = writeln!(
            std::io::stdout(),
            "Serving {root} at http://{addr}/ (Ctrl-C to stop)"
        );
        let _ = std::io::stdout().flush();
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run_init(dir: &std::path::Path) -> ExitCode {
    match dossier::init(dir) {
        Ok(()) => {
            let _ = writeln!(
                std::io::stdout(),
                "Created a dossier in {}. Next: dossier serve --root {}",
                dir.display(),
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// A server rebuilds again and again: memory freed by one rebuild is kept
/// for the next for 10 s (jemalloc's own default) rather than the 3 s of a
/// build, so that an edit soon after another takes no fresh pages from the
/// system, zeroed one by one. At 10,000 topics an edit reached the page in
/// a median 11.0 ms with 10 s and 11.8 ms with 3 s; never giving memory
/// back was no faster (12.7 ms) and held 1.8 GiB rather than 1.1 GiB.
/// Applies to the arenas that exist and to those made later.
#[cfg(not(target_env = "msvc"))]
fn keep_freed_memory() {
    let decay_ms: isize = 10_000;
    // SAFETY: these controls take a `ssize_t` (and `arenas.narenas` gives
    // an `unsigned`); the names are NUL-terminated. A failure leaves the
    // build's setting, which is only slower.
    unsafe {
        let _ = tikv_jemalloc_ctl::raw::write(b"arenas.dirty_decay_ms\0", decay_ms);
        let arenas: u32 = tikv_jemalloc_ctl::raw::read(b"arenas.narenas\0").unwrap_or(0);
        for arena in 0..arenas {
            let name = format!("arena.{arena}.dirty_decay_ms\0");
            let _ = tikv_jemalloc_ctl::raw::write(name.as_bytes(), decay_ms);
        }
    }
}

#[cfg(target_env = "msvc")]
fn keep_freed_memory() {}
