//! Sentence alignment between two texts.
//!
//! Each sentence is the set of its content-word stems. Two sentences are
//! linked when their Dice coefficient (`2|A∩B| / (|A|+|B|)`) reaches
//! [`LINK`]; links are made greedily, best first, one partner each
//! ("competitive linking"), so order does not matter: a copy that shuffles
//! its sentences aligns as well as one that keeps them.
//!
//! A rewrite that keeps the order of its original also rewords some
//! sentences more heavily: a sentence whose neighbour is linked to the
//! neighbour of another is linked to it from a lower Dice coefficient,
//! [`ANCHORED`].
//!
//! Rewrites also split and join sentences (and captures lose the full stop
//! between two). A second pass lets a sentence left over join its aligned
//! neighbour's group when it is mostly contained in the neighbour's partner
//! and the joined group matches that partner better than the neighbour
//! alone. Groups are therefore one-to-many or many-to-one, never
//! many-to-many.
//!
//! Sentences with fewer than [`MIN_STEMS`] content words (captions, stray
//! punctuation) take no part and are not counted.

use std::collections::HashMap;
use std::ops::Range;

/// Dice coefficient from which two sentences are linked.
pub(crate) const LINK: f64 = 0.5;
/// Dice coefficient from which two sentences are linked when their
/// neighbours are linked to each other.
pub(crate) const ANCHORED: f64 = 0.3;
/// Share of a left-over sentence's words that its neighbour's partner must
/// hold for it to join the neighbour's group.
pub(crate) const JOIN: f64 = 0.5;
/// Content words a sentence needs to count.
pub(crate) const MIN_STEMS: usize = 2;

/// Aligned sentences: a run of sentences on each side.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Group {
    pub left: Range<usize>,
    pub right: Range<usize>,
    /// Dice coefficient of the two runs' stems.
    pub score: f64,
}

/// The alignment of two texts.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Alignment {
    /// Groups, by their first left sentence.
    pub groups: Vec<Group>,
    /// Sentences that count, on each side.
    pub counted: (usize, usize),
    /// Counted sentences in some group, on each side.
    pub aligned: (usize, usize),
}

impl Alignment {
    /// Share of each side's counted sentences that are aligned.
    pub(crate) fn coverage(&self) -> (f64, f64) {
        let share = |a: usize, n: usize| if n == 0 { 0.0 } else { a as f64 / n as f64 };
        (
            share(self.aligned.0, self.counted.0),
            share(self.aligned.1, self.counted.1),
        )
    }

    /// Whether a sentence takes part in the alignment.
    pub(crate) fn counts(stems: &[u64]) -> bool {
        stems.len() >= MIN_STEMS
    }
}

/// Aligns two texts given each sentence's sorted, deduplicated stems.
pub(crate) fn align(left: &[Vec<u64>], right: &[Vec<u64>]) -> Alignment {
    let mut links = link(left, right);
    links.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut left_group: Vec<Option<usize>> = vec![None; left.len()];
    let mut right_group: Vec<Option<usize>> = vec![None; right.len()];
    let mut groups = Vec::new();
    for (score, i, j) in links {
        if left_group[i].is_none() && right_group[j].is_none() {
            left_group[i] = Some(groups.len());
            right_group[j] = Some(groups.len());
            groups.push(Group {
                left: i..i + 1,
                right: j..j + 1,
                score,
            });
        }
    }
    link_anchored(left, right, &mut groups, &mut left_group, &mut right_group);
    join_neighbours(left, right, &mut groups, &mut left_group, &mut right_group);
    groups.sort_by_key(|g| (g.left.start, g.right.start));
    let counted = (
        left.iter().filter(|s| Alignment::counts(s)).count(),
        right.iter().filter(|s| Alignment::counts(s)).count(),
    );
    let aligned = (
        groups.iter().map(|g| g.left.len()).sum(),
        groups.iter().map(|g| g.right.len()).sum(),
    );
    Alignment {
        groups,
        counted,
        aligned,
    }
}

/// Every pair of counted sentences whose Dice coefficient reaches [`LINK`],
/// found through an index of the right side's stems.
fn link(left: &[Vec<u64>], right: &[Vec<u64>]) -> Vec<(f64, usize, usize)> {
    let mut index: HashMap<u64, Vec<usize>> = HashMap::new();
    for (j, stems) in right.iter().enumerate() {
        if Alignment::counts(stems) {
            for &s in stems {
                index.entry(s).or_default().push(j);
            }
        }
    }
    let mut shared = vec![0usize; right.len()];
    let mut touched = Vec::new();
    let mut links = Vec::new();
    for (i, stems) in left.iter().enumerate() {
        if !Alignment::counts(stems) {
            continue;
        }
        for s in stems {
            for &j in index.get(s).map_or(&[][..], Vec::as_slice) {
                if shared[j] == 0 {
                    touched.push(j);
                }
                shared[j] += 1;
            }
        }
        for &j in &touched {
            let score = 2.0 * shared[j] as f64 / (stems.len() + right[j].len()) as f64;
            if score >= LINK {
                links.push((score, i, j));
            }
            shared[j] = 0;
        }
        touched.clear();
    }
    links
}

/// The second pass: a left-over sentence is linked to the sentence next to
/// its neighbour's partner, on the same side, from [`ANCHORED`].
fn link_anchored(
    left: &[Vec<u64>],
    right: &[Vec<u64>],
    groups: &mut Vec<Group>,
    left_group: &mut [Option<usize>],
    right_group: &mut [Option<usize>],
) {
    // Each pass links at least one sentence or stops.
    loop {
        let mut linked = false;
        for i in 0..left.len() {
            if left_group[i].is_some() || !Alignment::counts(&left[i]) {
                continue;
            }
            let after_previous = i
                .checked_sub(1)
                .and_then(|p| left_group[p])
                .filter(|&g| groups[g].left.end == i)
                .map(|g| groups[g].right.end);
            let before_next = left_group
                .get(i + 1)
                .copied()
                .flatten()
                .filter(|&g| groups[g].left.start == i + 1)
                .and_then(|g| groups[g].right.start.checked_sub(1));
            let best = [after_previous, before_next]
                .into_iter()
                .flatten()
                .filter(|&j| j < right.len() && right_group[j].is_none())
                .filter(|&j| Alignment::counts(&right[j]))
                .map(|j| (dice(&left[i], &right[j]), j))
                .filter(|&(score, _)| score >= ANCHORED)
                .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
            if let Some((score, j)) = best {
                left_group[i] = Some(groups.len());
                right_group[j] = Some(groups.len());
                groups.push(Group {
                    left: i..i + 1,
                    right: j..j + 1,
                    score,
                });
                linked = true;
            }
        }
        if !linked {
            break;
        }
    }
}

/// The third pass: left-over sentences join a neighbour's group.
fn join_neighbours(
    left: &[Vec<u64>],
    right: &[Vec<u64>],
    groups: &mut [Group],
    left_group: &mut [Option<usize>],
    right_group: &mut [Option<usize>],
) {
    // Each pass joins at least one sentence or stops; a sentence joins once.
    loop {
        let mut joined = false;
        for (side, this, other) in [(0, left, right), (1, right, left)] {
            for i in 0..this.len() {
                let mine = if side == 0 {
                    &*left_group
                } else {
                    &*right_group
                };
                if mine[i].is_some() || !Alignment::counts(&this[i]) {
                    continue;
                }
                let Some((g, extended)) = best_join(side, i, this, other, groups, mine) else {
                    continue;
                };
                let group = &mut groups[g];
                let run = if side == 0 {
                    &mut group.left
                } else {
                    &mut group.right
                };
                *run = extended;
                group.score = dice(&union_of(left, &group.left), &union_of(right, &group.right));
                if side == 0 {
                    left_group[i] = Some(g);
                } else {
                    right_group[i] = Some(g);
                }
                joined = true;
            }
        }
        if !joined {
            break;
        }
    }
}

/// The group that sentence `i` of `this` side should join, and that
/// group's extended run on this side.
fn best_join(
    side: usize,
    i: usize,
    this: &[Vec<u64>],
    other: &[Vec<u64>],
    groups: &[Group],
    mine: &[Option<usize>],
) -> Option<(usize, Range<usize>)> {
    let runs = |g: &Group| {
        if side == 0 {
            (g.left.clone(), g.right.clone())
        } else {
            (g.right.clone(), g.left.clone())
        }
    };
    let neighbours = [i.checked_sub(1), Some(i + 1)];
    let mut best: Option<(f64, usize, Range<usize>)> = None;
    for n in neighbours.into_iter().flatten() {
        let Some(g) = mine.get(n).copied().flatten() else {
            continue;
        };
        let (own, partner) = runs(&groups[g]);
        // Only the side that already has several sentences (or a 1:1
        // group) may grow, and only at its ends.
        if partner.len() > 1 || !(own.end == i || own.start == i + 1) {
            continue;
        }
        let target = union_of(other, &partner);
        let contained = shared(&this[i], &target) as f64 / this[i].len() as f64;
        if contained < JOIN {
            continue;
        }
        let before = dice(&union_of(this, &own), &target);
        let extended = own.start.min(i)..own.end.max(i + 1);
        let after = dice(&union_of(this, &extended), &target);
        if after > before && best.as_ref().is_none_or(|b| after > b.0) {
            best = Some((after, g, extended));
        }
    }
    best.map(|(_, g, run)| (g, run))
}

/// The sorted union of the stems of a run of sentences.
fn union_of(sentences: &[Vec<u64>], run: &Range<usize>) -> Vec<u64> {
    let mut all: Vec<u64> = sentences[run.clone()].iter().flatten().copied().collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// Size of the intersection of two sorted sets.
///
/// Candidate pairs of long texts spend most of their time here (at 2,000
/// sources, some ten thousand pairs of sets of a few hundred hashes). Four
/// values of each side are compared at once where the processor has AVX2;
/// elsewhere, and for what is left past the last whole block, the sets
/// are merged one value at a time.
pub(crate) fn shared(a: &[u64], b: &[u64]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2, just checked.
        return unsafe { shared_avx2(a, b) };
    }
    shared_from(a, b, 0, 0, 0)
}

/// [`shared`] from `a[i..]` and `b[j..]` on, `n` found before.
///
/// The merge steps without branching on the comparison: which side moves
/// is unpredictable, and a mispredicted branch per step cost more than
/// the step itself.
fn shared_from(a: &[u64], b: &[u64], mut i: usize, mut j: usize, mut n: usize) -> usize {
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        n += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    n
}

/// [`shared`] a block of four values of each side at a time: each value of
/// one block is compared with each of the other (the second block rotated
/// three times), and the block whose last value is smaller moves on (both,
/// when they end alike). Values are unique within a set, so a value common
/// to both is counted once, when the two blocks holding it meet; the
/// blocks skipped on one side hold only values below everything still
/// ahead on the other. The values left past the last whole block of either
/// side are merged one at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn shared_avx2(a: &[u64], b: &[u64]) -> usize {
    use std::arch::x86_64::{
        __m256i, _mm256_castsi256_pd, _mm256_cmpeq_epi64, _mm256_loadu_si256, _mm256_movemask_pd,
        _mm256_or_si256, _mm256_permute4x64_epi64,
    };
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i + 4 <= a.len() && j + 4 <= b.len() {
        let (x, y) = (&a[i..i + 4], &b[j..j + 4]);
        // SAFETY: each slice holds four u64, the 32 bytes an unaligned
        // load reads.
        let (va, vb) = unsafe {
            (
                _mm256_loadu_si256(x.as_ptr().cast::<__m256i>()),
                _mm256_loadu_si256(y.as_ptr().cast::<__m256i>()),
            )
        };
        let equal = _mm256_or_si256(
            _mm256_or_si256(
                _mm256_cmpeq_epi64(va, vb),
                _mm256_cmpeq_epi64(va, _mm256_permute4x64_epi64::<0b00_11_10_01>(vb)),
            ),
            _mm256_or_si256(
                _mm256_cmpeq_epi64(va, _mm256_permute4x64_epi64::<0b01_00_11_10>(vb)),
                _mm256_cmpeq_epi64(va, _mm256_permute4x64_epi64::<0b10_01_00_11>(vb)),
            ),
        );
        n += _mm256_movemask_pd(_mm256_castsi256_pd(equal)).count_ones() as usize;
        let (last_a, last_b) = (x[3], y[3]);
        i += 4 * usize::from(last_a <= last_b);
        j += 4 * usize::from(last_b <= last_a);
    }
    shared_from(a, b, i, j, n)
}

/// Dice coefficient of two sorted sets.
pub(crate) fn dice(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 0.0;
    }
    2.0 * shared(a, b) as f64 / (a.len() + b.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sentences as sets of small numbers standing for stems.
    fn text(sentences: &[&[u64]]) -> Vec<Vec<u64>> {
        sentences
            .iter()
            .map(|s| {
                let mut v = s.to_vec();
                v.sort_unstable();
                v.dedup();
                v
            })
            .collect()
    }

    #[test]
    fn same_sentences_in_another_order_align() {
        let a = text(&[&[1, 2, 3, 4], &[5, 6, 7, 8], &[9, 10, 11, 12]]);
        let b = text(&[&[9, 10, 11, 12], &[1, 2, 3, 40], &[5, 6, 7, 8]]);
        let al = align(&a, &b);
        let pairs: Vec<(usize, usize)> = al
            .groups
            .iter()
            .map(|g| (g.left.start, g.right.start))
            .collect();
        assert_eq!(pairs, [(0, 1), (1, 2), (2, 0)]);
        assert_eq!(al.aligned, (3, 3));
        assert_eq!(al.coverage(), (1.0, 1.0));
    }

    #[test]
    fn unrelated_sentences_stay_apart_and_short_ones_do_not_count() {
        let a = text(&[&[1, 2, 3, 4], &[5], &[20, 21, 22]]);
        let b = text(&[&[1, 2, 30, 31, 32, 33], &[5]]);
        let al = align(&a, &b);
        assert!(al.groups.is_empty());
        assert_eq!(al.counted, (2, 1));
    }

    #[test]
    fn a_sentence_split_in_two_joins_its_neighbour() {
        // One long sentence on the left became two on the right.
        let a = text(&[&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], &[50, 51, 52]]);
        let b = text(&[&[1, 2, 3, 4, 5, 6], &[7, 8, 9, 10], &[50, 51, 52]]);
        let al = align(&a, &b);
        assert_eq!(al.groups.len(), 2);
        assert_eq!(al.groups[0].left, 0..1);
        assert_eq!(al.groups[0].right, 0..2);
        assert_eq!(al.groups[0].score, 1.0);
        assert_eq!(al.aligned, (2, 3));
    }

    #[test]
    fn a_reworded_sentence_between_aligned_ones_is_linked() {
        // The middle sentences share only a third of their words, too few
        // on their own, but their neighbours are aligned.
        let a = text(&[&[1, 2, 3, 4], &[5, 6, 7, 8, 9, 10], &[11, 12, 13, 14]]);
        let b = text(&[&[1, 2, 3, 4], &[5, 6, 20, 21, 22, 23], &[11, 12, 13, 14]]);
        let al = align(&a, &b);
        assert_eq!(al.aligned, (3, 3));
        // Without aligned neighbours, the same pair stays apart.
        let al = align(&a[1..2], &b[1..2]);
        assert!(al.groups.is_empty());
    }

    proptest::proptest! {
        /// The blockwise intersection agrees with a plain count, whatever
        /// the sizes (whole blocks or not) and however much is shared.
        #[test]
        fn shared_counts_the_common_values(
            common in proptest::collection::btree_set(0u64..2_000, 0..60),
            only_a in proptest::collection::btree_set(0u64..2_000, 0..60),
            only_b in proptest::collection::btree_set(0u64..2_000, 0..60),
        ) {
            let a: std::collections::BTreeSet<u64> = common.union(&only_a).copied().collect();
            let b: std::collections::BTreeSet<u64> = common.union(&only_b).copied().collect();
            let expected = a.intersection(&b).count();
            let (a, b): (Vec<u64>, Vec<u64>) = (a.into_iter().collect(), b.into_iter().collect());
            proptest::prop_assert_eq!(shared(&a, &b), expected);
            proptest::prop_assert_eq!(shared(&b, &a), expected);
            proptest::prop_assert_eq!(shared_from(&a, &b, 0, 0, 0), expected);
        }
    }

    #[test]
    fn set_arithmetic() {
        assert_eq!(shared(&[1, 3, 5, 7], &[3, 4, 5]), 2);
        assert_eq!(dice(&[1, 2], &[2, 3]), 0.5);
        assert_eq!(dice(&[], &[]), 0.0);
    }
}
