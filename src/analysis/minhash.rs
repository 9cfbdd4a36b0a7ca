//! Candidate pairs: MinHash signatures over word shingles, LSH banding.
//!
//! A text's shingles are its runs of [`SHINGLE`] consecutive content-word
//! stems (function words dropped, so "pressed Putin on" and "pressured
//! Putin about" still share "putin"-shingles with their neighbours). Its
//! signature is a one-permutation MinHash: each shingle's hash falls into
//! one of [`HASHES`] bins by its top bits, and a bin keeps the smallest
//! hash that falls into it; an empty bin borrows the value of a filled bin
//! chosen by a fixed sequence of hashes of its position ("optimal
//! densification", Shrivastava 2017). Two signatures agree in a given
//! position with probability equal to the Jaccard similarity of the
//! shingle sets, as with [`HASHES`] independent hash functions, for one
//! hash per shingle instead of [`HASHES`].
//!
//! Banding turns that into candidates without comparing every pair: the
//! signature is cut into [`BANDS`] bands of [`ROWS`] values, and texts that
//! agree on a whole band land in the same bucket. With 64 bands of 2 rows a
//! pair is proposed with probability `1 - (1 - J²)⁶⁴`: 0.93 at J = 0.2,
//! 0.47 at J = 0.1, 0.006 at J = 0.01. Buckets are found by sorting
//! `(band key, text)` entries, so the cost is `O(n · BANDS · log n)` plus
//! the pairs within buckets, and a bucket larger than [`MAX_BUCKET`]
//! (boilerplate every text shares) is skipped rather than paired out.
//!
//! Two rows per band are permissive: texts on one subject share enough
//! pairs of words to meet in some bucket (among 2,000 generated texts,
//! about 10,000 pairs do, for 200 rewrites). A proposed pair must also
//! agree in [`MIN_AGREEMENT`] of the [`HASHES`] positions, an estimated
//! Jaccard similarity of 1/16, before the far costlier sentence alignment
//! sees it. A pair at J = 0.15, which banding proposes with probability
//! 0.76, falls below that with probability 0.003; unrelated reports of one
//! event agree in 2 to 7 positions.

use rayon::prelude::*;

/// Consecutive content-word stems per shingle.
pub(crate) const SHINGLE: usize = 2;
/// Hash functions per signature.
pub(crate) const HASHES: usize = 128;
/// Values per band.
pub(crate) const ROWS: usize = 2;
/// Bands per signature.
pub(crate) const BANDS: usize = HASHES / ROWS;
/// Buckets with more texts than this propose no pairs.
pub(crate) const MAX_BUCKET: usize = 64;
/// Signature positions a proposed pair must agree in.
pub(crate) const MIN_AGREEMENT: usize = 8;

/// A MinHash signature.
pub(crate) type Signature = [u64; HASHES];

/// A hash shifted right by this many bits is its bin.
const BIN_SHIFT: u32 = 64 - HASHES.trailing_zeros();
const _: () = assert!(HASHES.is_power_of_two());

/// The shingles of a text given the hashed stems of its content words in
/// text order: each run of [`SHINGLE`] stems hashed, sorted, without
/// repeats.
pub(crate) fn shingles(stems: &[u64]) -> Vec<u64> {
    let mut shingles: Vec<u64> = stems
        .windows(SHINGLE)
        .map(|w| {
            w.iter()
                .fold(0x9e37_79b9_7f4a_7c15_u64, |h, &s| super::words::mix(h ^ s))
        })
        .collect();
    shingles.sort_unstable();
    shingles.dedup();
    shingles
}

/// The signature of a text's [`shingles`]; `None` when it has none.
pub(crate) fn signature(shingles: &[u64]) -> Option<Box<Signature>> {
    if shingles.is_empty() {
        return None;
    }
    let mut signature = Box::new([u64::MAX; HASHES]);
    let mut filled = [false; HASHES];
    for &shingle in shingles {
        // The shingle is already well mixed; its top bits pick the bin, and
        // values in different bins never coincide.
        let bin = (shingle >> BIN_SHIFT) as usize;
        filled[bin] = true;
        signature[bin] = signature[bin].min(shingle);
    }
    let own = *signature;
    for (bin, seed) in SEEDS.iter().enumerate() {
        if filled[bin] {
            continue;
        }
        // At least one bin is filled, so this ends; it takes about
        // HASHES / (filled bins) tries.
        let mut attempt = *seed;
        let from = loop {
            attempt = super::words::mix(attempt.wrapping_add(1));
            let from = (attempt >> BIN_SHIFT) as usize;
            if filled[from] {
                break from;
            }
        };
        signature[bin] = own[from];
    }
    Some(signature)
}

/// Where each bin's sequence of tries starts when it borrows: fixed, so
/// signatures are the same on every run.
static SEEDS: [u64; HASHES] = {
    let mut seeds = [0u64; HASHES];
    let mut i = 0;
    let mut state: u64 = 0x5eed_d055_1e70_0001;
    while i < HASHES {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        seeds[i] = z ^ (z >> 31);
        i += 1;
    }
    seeds
};

/// Pairs `(a, b)`, `a < b`, of texts that share a bucket in some band and
/// agree in at least [`MIN_AGREEMENT`] positions; sorted, without repeats.
pub(crate) fn candidates(signatures: &[Option<&Signature>]) -> Vec<(usize, usize)> {
    let mut entries: Vec<(u64, u32)> = Vec::with_capacity(signatures.len() * BANDS);
    for (text, signature) in signatures.iter().enumerate() {
        let Some(signature) = signature else { continue };
        for (band, rows) in signature.chunks_exact(ROWS).enumerate() {
            let key = rows
                .iter()
                .fold(band as u64, |h, &v| super::words::mix(h ^ v));
            // Text indices fit: a dossier does not hold four billion sources.
            entries.push((key, text as u32));
        }
    }
    // Sorted and checked on every core: this runs beside verification,
    // and whichever of the two ends last ends alone.
    entries.par_sort_unstable();
    let mut pairs = Vec::new();
    for bucket in entries.chunk_by(|a, b| a.0 == b.0) {
        if bucket.len() < 2 || bucket.len() > MAX_BUCKET {
            continue;
        }
        for (i, a) in bucket.iter().enumerate() {
            for b in &bucket[i + 1..] {
                pairs.push((a.1 as usize, b.1 as usize));
            }
        }
    }
    pairs.par_sort_unstable();
    pairs.dedup();
    pairs
        .into_par_iter()
        .with_max_len(crate::PIECE)
        .filter(|&(a, b)| match (signatures[a], signatures[b]) {
            (Some(x), Some(y)) => agreement(x, y) >= MIN_AGREEMENT,
            _ => false,
        })
        .collect()
}

/// How many signature positions two signatures agree in.
fn agreement(a: &Signature, b: &Signature) -> usize {
    a.iter().zip(b.iter()).filter(|(x, y)| x == y).count()
}

/// The exact Jaccard similarity of two sorted sets without repeats.
pub(crate) fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let shared = super::align::shared(a, b);
    let union = a.len() + b.len() - shared;
    if union == 0 {
        0.0
    } else {
        shared as f64 / union as f64
    }
}

/// The share of signature positions where two signatures agree: an
/// estimate of the Jaccard similarity of their shingles.
#[cfg(test)]
pub(crate) fn estimate(a: &Signature, b: &Signature) -> f64 {
    agreement(a, b) as f64 / HASHES as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(words: &str) -> Vec<u64> {
        let stems: Vec<u64> = words
            .split_whitespace()
            .map(|w| super::super::words::hash(w.as_bytes()))
            .collect();
        shingles(&stems)
    }

    #[test]
    fn jaccard_is_exact_on_sorted_sets() {
        assert_eq!(jaccard(&[1, 2, 3, 4], &[3, 4, 5, 6]), 2.0 / 6.0);
        assert_eq!(jaccard(&[1, 2], &[1, 2]), 1.0);
        assert_eq!(jaccard(&[1], &[2]), 0.0);
        assert_eq!(jaccard(&[], &[]), 0.0);
    }

    #[test]
    fn identical_texts_agree_everywhere_and_unrelated_ones_almost_nowhere() {
        let a = signature(&stems("alpha beta gamma delta epsilon zeta eta theta")).unwrap();
        let b = signature(&stems("one two three four five six seven eight nine")).unwrap();
        assert_eq!(estimate(&a, &a), 1.0);
        assert!(estimate(&a, &b) < 0.05);
        assert!(signature(&stems("alone")).is_none());
    }

    #[test]
    fn estimates_follow_jaccard() {
        // 100 shared shingles out of 300 distinct: J = 1/3 for 200-shingle texts.
        let common: Vec<String> = (0..101).map(|i| format!("c{i}")).collect();
        let a_only: Vec<String> = (0..100).map(|i| format!("a{i}")).collect();
        let b_only: Vec<String> = (0..100).map(|i| format!("b{i}")).collect();
        let a = signature(&stems(&[common.join(" "), a_only.join(" ")].join(" "))).unwrap();
        let b = signature(&stems(&[common.join(" "), b_only.join(" ")].join(" "))).unwrap();
        let e = estimate(&a, &b);
        assert!((0.2..0.47).contains(&e), "{e}");
    }

    #[test]
    fn candidates_pair_similar_texts_only() {
        let base = "the harbour bridge closes for two weeks while engineers replace worn bearings under the northern span";
        let near = "the harbour bridge closes for two weeks while engineers replace worn bearings below the north span";
        let other = "council budget for roads spent in full during the year with lighting replaced on quay road";
        let sigs: Vec<_> = [base, near, other]
            .iter()
            .map(|t| signature(&stems(t)))
            .collect();
        let refs: Vec<Option<&Signature>> = sigs.iter().map(|s| s.as_deref()).collect();
        assert_eq!(candidates(&refs), [(0, 1)]);
    }

    #[test]
    fn sharing_one_band_is_not_enough() {
        let mut a: Signature = std::array::from_fn(|i| i as u64);
        let mut b: Signature = std::array::from_fn(|i| 1000 + i as u64);
        // Both rows of the first band, and no more: agreement 2.
        b[0] = a[0];
        b[1] = a[1];
        assert!(candidates(&[Some(&a), Some(&b)]).is_empty());
        // Enough positions elsewhere: a candidate.
        for i in (10..10 + MIN_AGREEMENT).step_by(1) {
            a[i] = 7 * i as u64;
            b[i] = 7 * i as u64;
        }
        assert_eq!(candidates(&[Some(&a), Some(&b)]), [(0, 1)]);
    }
}
