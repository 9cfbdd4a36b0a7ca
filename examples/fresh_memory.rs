//! What memory costs the first time it is touched: `cargo run --release
//! --example fresh_memory -- [--mib N] [--pages 2m|4k] [--rounds N]
//! [--pause-ms MS]`.
//!
//! Maps `N` MiB (default 256), asks for 2 MiB pages or forbids them, and
//! writes one byte in each 4 KiB, which makes the kernel find, zero and map
//! every page; prints the milliseconds per MiB that took, in wall and in
//! CPU time. Then unmaps it, waits `MS`, and does it again, `N` rounds in
//! all (default 3).
//!
//! On a virtual machine whose kernel hands free memory back to the host
//! (free page reporting), memory the host took back is faulted in from the
//! host as well: a round that follows another at once reuses what the one
//! before freed, and one after a pause of a minute may not. A build of a
//! large dossier touches a few hundred MiB this way, so that difference is
//! a part of its time (see docs/performance.md). Linux only.

#[cfg(target_os = "linux")]
fn main() -> anyhow::Result<()> {
    use anyhow::Context;
    use clap::{Parser, ValueEnum};
    use std::time::{Duration, Instant};

    /// The size of page to ask the kernel for.
    #[derive(Clone, Copy, ValueEnum)]
    enum Pages {
        /// Transparent huge pages of 2 MiB.
        #[value(name = "2m")]
        Huge,
        /// Ordinary 4 KiB pages only.
        #[value(name = "4k")]
        Small,
    }

    /// Command-line arguments.
    #[derive(Parser)]
    #[command(about = "Time the first touch of freshly mapped memory.")]
    struct Args {
        /// MiB to map and touch in each round.
        #[arg(long, default_value_t = 256)]
        mib: usize,
        /// Page size to ask for.
        #[arg(long, value_enum, default_value = "2m")]
        pages: Pages,
        /// How many rounds.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Milliseconds to wait after each round.
        #[arg(long, default_value_t = 0)]
        pause_ms: u64,
    }

    /// The process's CPU time so far.
    fn cpu() -> anyhow::Result<Duration> {
        dossier::cpu_time().context("reading the process's CPU clock")
    }

    const HUGE: usize = 2 << 20;
    let args = Args::parse();
    let (advice, pages) = match args.pages {
        Pages::Huge => (libc::MADV_HUGEPAGE, "2 MiB"),
        Pages::Small => (libc::MADV_NOHUGEPAGE, "4 KiB"),
    };
    let bytes = args.mib << 20;
    for round in 1..=args.rounds {
        // One huge page more than asked, so that the touched range can
        // start on a huge page's boundary.
        let mapped = bytes + HUGE;
        // SAFETY: a fresh private anonymous mapping; nothing else uses it.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                mapped,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error()).context("mmap");
        }
        let start = (base as usize).next_multiple_of(HUGE) as *mut u8;
        // SAFETY: `start..start + bytes` lies inside the mapping.
        if unsafe { libc::madvise(start.cast(), bytes, advice) } != 0 {
            return Err(std::io::Error::last_os_error())
                .with_context(|| format!("madvise for {pages} pages"));
        }
        let (wall, time) = (Instant::now(), cpu()?);
        for offset in (0..bytes).step_by(4096) {
            // SAFETY: inside the mapping, which is writable; volatile so
            // that the write is not left out.
            unsafe { start.add(offset).write_volatile(1) };
        }
        let (wall, time) = (wall.elapsed(), cpu()? - time);
        let per_mib = |d: Duration| d.as_secs_f64() * 1000.0 / args.mib as f64;
        println!(
            "round {round}: {} MiB in {pages} pages: {:.3} ms per MiB wall, {:.3} ms per MiB CPU",
            args.mib,
            per_mib(wall),
            per_mib(time)
        );
        // SAFETY: the mapping made above, no longer used.
        unsafe { libc::munmap(base, mapped) };
        std::thread::sleep(Duration::from_millis(args.pause_ms));
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("fresh_memory: Linux only");
    std::process::exit(2);
}
