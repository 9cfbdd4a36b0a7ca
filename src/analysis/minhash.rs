//! Candidate pairs: MinHash signatures over word shingles, LSH banding.
//!
//! A text's shingles are its runs of [`SHINGLE`] consecutive content-word
//! stems (function words dropped, so "pressed Putin on" and "pressured
//! Putin about" still share "putin"-shingles with their neighbours). Its
//! signature keeps, for each of [`HASHES`] seeded hash functions, the
//! smallest hash of any shingle: two signatures agree in a given position
//! with probability equal to the Jaccard similarity of the shingle sets.
//!
//! Banding turns that into candidates without comparing every pair: the
//! signature is cut into [`BANDS`] bands of [`ROWS`] values, and texts that
//! agree on a whole band land in the same bucket. With 64 bands of 2 rows a
//! pair is proposed with probability `1 - (1 - J²)⁶⁴`: 0.93 at J = 0.2,
//! 0.47 at J = 0.1, 0.006 at J = 0.01. Buckets are found by sorting
//! `(band key, text)` entries, so the cost is `O(n · BANDS · log n)` plus
//! the pairs within buckets, and a bucket larger than [`MAX_BUCKET`]
//! (boilerplate every text shares) is skipped rather than paired out.

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

/// A MinHash signature.
pub(crate) type Signature = [u64; HASHES];

/// The signature of a text given the hashed stems of its content words in
/// text order; `None` when it has too few words to make a shingle.
pub(crate) fn signature(stems: &[u64]) -> Option<Box<Signature>> {
    if stems.len() < SHINGLE {
        return None;
    }
    let mut shingles: Vec<u64> = stems
        .windows(SHINGLE)
        .map(|w| {
            w.iter()
                .fold(0x9e37_79b9_7f4a_7c15_u64, |h, &s| super::words::mix(h ^ s))
        })
        .collect();
    shingles.sort_unstable();
    shingles.dedup();
    let mut signature = Box::new([u64::MAX; HASHES]);
    for &shingle in &shingles {
        for (slot, seed) in signature.iter_mut().zip(SEEDS.iter()) {
            let h = super::words::mix(shingle ^ seed);
            if h < *slot {
                *slot = h;
            }
        }
    }
    Some(signature)
}

/// Seeds of the hash functions: fixed, so signatures are the same on every run.
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

/// Pairs `(a, b)`, `a < b`, of texts that share a bucket in some band;
/// sorted, without repeats.
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
    entries.sort_unstable();
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
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// The share of signature positions where two signatures agree: an
/// estimate of the Jaccard similarity of their shingles.
#[cfg(test)]
pub(crate) fn estimate(a: &Signature, b: &Signature) -> f64 {
    let same = a.iter().zip(b.iter()).filter(|(x, y)| x == y).count();
    same as f64 / HASHES as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(words: &str) -> Vec<u64> {
        words
            .split_whitespace()
            .map(|w| super::super::words::hash(w.as_bytes()))
            .collect()
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
}
