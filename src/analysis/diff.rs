//! Word-level differences between aligned sentences, and what each one is.
//!
//! The two runs of sentences are compared word by word on their keys
//! ([`words::key`]) with Myers' algorithm (`similar`); punctuation and
//! spacing are not compared. Each run of removed or added words is a
//! [`Change`], weighed without a thesaurus, from what can be read off the
//! words themselves:
//!
//! - **major** when it touches a number, a name (a word the document only
//!   ever writes capitalised, away from the start of a sentence), a
//!   negation, words inside quotation marks (quotations must be verbatim),
//!   or a term one of the dossier's topics tracks (its `aliases`). Numbers,
//!   names and negations count only when the two sides use them a different
//!   number of times, so a date that merely moved within the sentence is not
//!   a change of fact; an acronym of the words it replaces ("United States"
//!   → "US") is not a change of name;
//! - **wording** when content words with different stems replace each
//!   other ("pressed" → "pressured": a synonym or not, only a reader can
//!   tell);
//! - **minor** when only function words or inflections differ.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Range;

use similar::{Algorithm, DiffTag, capture_diff_slices};

use super::sentences::Place;
use super::words::{self, Stems};
use crate::parse::paragraphs::Paragraph;

/// How much a change matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Weight {
    Minor,
    Wording,
    Major,
}

/// Why a change is major.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Reason {
    Number,
    Name,
    Negation,
    Quotation,
    /// A term of the topic with this index.
    Term(usize),
}

/// One run of removed and/or added words.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Change {
    /// The removed words, as written (empty for a pure addition).
    pub old: String,
    /// The added words, as written (empty for a pure removal).
    pub new: String,
    /// Up to four words of the old side just before the change.
    pub before: String,
    pub weight: Weight,
    pub reasons: Vec<Reason>,
}

/// A piece of one side's text: unchanged, or part of a change.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Segment {
    pub text: String,
    /// Index of the change in [`RowDiff::changes`], if changed.
    pub change: Option<usize>,
}

/// The comparison of an aligned row.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RowDiff {
    pub old: Vec<Segment>,
    pub new: Vec<Segment>,
    pub changes: Vec<Change>,
}

/// A term a topic tracks, as word keys.
#[derive(Clone, Debug)]
pub(crate) struct Term {
    pub keys: Vec<String>,
    pub topic: usize,
}

impl Term {
    pub(crate) fn new(alias: &str, topic: usize) -> Term {
        Term {
            keys: words::spans(alias)
                .into_iter()
                .map(|r| words::key(&alias[r]))
                .collect(),
            topic,
        }
    }
}

/// What the diff needs to know about a whole document: its names and
/// where its quotations are.
pub(crate) struct Document<'a> {
    paragraphs: &'a [Paragraph],
    places: &'a [Place],
    names: HashSet<String>,
    quotes: Vec<Vec<Range<usize>>>,
}

/// One side of a row: its sentences joined by spaces, and their words.
pub(crate) struct Side {
    text: String,
    words: Vec<Range<usize>>,
    keys: Vec<String>,
    quoted: Vec<bool>,
    names: Vec<bool>,
}

impl<'a> Document<'a> {
    pub(crate) fn new(paragraphs: &'a [Paragraph], places: &'a [Place]) -> Document<'a> {
        let mut capitalised = HashSet::new();
        let mut lower = HashSet::new();
        for place in places {
            let sentence = &paragraphs[place.paragraph].text[place.range.clone()];
            for (i, r) in words::spans(sentence).into_iter().enumerate() {
                let word = &sentence[r];
                let key = words::key(word);
                if !words::is_capitalised(word) {
                    lower.insert(key);
                } else if i > 0 && !words::is_stopword(&key) && !key.starts_with("i'") {
                    capitalised.insert(key);
                }
            }
        }
        let names = capitalised.difference(&lower).cloned().collect();
        let quotes = paragraphs.iter().map(|p| quotations(&p.text)).collect();
        Document {
            paragraphs,
            places,
            names,
            quotes,
        }
    }

    /// The run of sentences `run` as one side of a row.
    pub(crate) fn side(&self, run: Range<usize>) -> Side {
        let mut side = Side {
            text: String::new(),
            words: Vec::new(),
            keys: Vec::new(),
            quoted: Vec::new(),
            names: Vec::new(),
        };
        for place in &self.places[run] {
            let paragraph = &self.paragraphs[place.paragraph].text;
            let sentence = &paragraph[place.range.clone()];
            if !side.text.is_empty() {
                side.text.push(' ');
            }
            let base = side.text.len();
            side.text.push_str(sentence);
            for r in words::spans(sentence) {
                let word = &sentence[r.clone()];
                let key = words::key(word);
                let at = place.range.start + r.start;
                side.quoted
                    .push(self.quotes[place.paragraph].iter().any(|q| q.contains(&at)));
                side.names
                    .push(words::is_capitalised(word) && self.names.contains(&key));
                side.keys.push(key);
                side.words.push(base + r.start..base + r.end);
            }
        }
        side
    }
}

/// Byte ranges of the quotations of a paragraph: from an opening `“` or
/// `"` to the matching closing mark, or to the end of the paragraph when a
/// capture lost it.
fn quotations(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for (i, c) in text.char_indices() {
        match (c, open) {
            ('“', None) | ('"', None) => open = Some(i),
            ('”', Some(s)) | ('"', Some(s)) => {
                out.push(s..i + c.len_utf8());
                open = None;
            }
            _ => {}
        }
    }
    if let Some(s) = open {
        out.push(s..text.len());
    }
    out
}

/// Compares the old and the new side of a row.
pub(crate) fn diff(old: &Side, new: &Side, terms: &[Term], stems: &Stems) -> RowDiff {
    let ops = capture_diff_slices(Algorithm::Myers, &old.keys, &new.keys);
    let tallies = [Tally::new(old), Tally::new(new)];
    let mut old_out = Pieces::new(old);
    let mut new_out = Pieces::new(new);
    let mut changes = Vec::new();
    for op in ops {
        let (tag, o, n) = op.as_tag_tuple();
        if tag == DiffTag::Equal {
            old_out.same_to(o.end);
            new_out.same_to(n.end);
            continue;
        }
        let (weight, reasons) = weigh(old, o.clone(), new, n.clone(), &tallies, terms, stems);
        let index = changes.len();
        let before = old.words[o.start.saturating_sub(4)..o.start]
            .first()
            .map_or(String::new(), |first| {
                old.text[first.start..old.words[o.start - 1].end].to_owned()
            });
        changes.push(Change {
            old: old.slice(o.clone()).to_owned(),
            new: new.slice(n.clone()).to_owned(),
            before,
            weight,
            reasons,
        });
        old_out.changed(o, index);
        new_out.changed(n, index);
    }
    RowDiff {
        old: old_out.finish(),
        new: new_out.finish(),
        changes,
    }
}

impl Side {
    /// The text from the first to the last word of a range of words.
    fn slice(&self, words: Range<usize>) -> &str {
        if words.is_empty() {
            return "";
        }
        &self.text[self.words[words.start].start..self.words[words.end - 1].end]
    }
}

/// How often one side uses each word, for telling a changed number or
/// name from one that only moved.
struct Tally<'a> {
    keys: HashMap<&'a str, usize>,
    /// Parts of hyphenated words ("US-Russia") counted apart.
    parts: HashMap<String, usize>,
    /// The side's letters and digits, lowercased, without spaces: a name
    /// a capture glued to its neighbour ("PresidentVladimir") is still found.
    squashed: String,
}

impl<'a> Tally<'a> {
    fn new(side: &'a Side) -> Tally<'a> {
        let mut keys = HashMap::new();
        let mut parts = HashMap::new();
        for k in &side.keys {
            *keys.entry(k.as_str()).or_insert(0) += 1;
            for part in k.split('-') {
                *parts.entry(part.to_owned()).or_insert(0) += 1;
            }
        }
        Tally {
            keys,
            parts,
            squashed: squash(&side.text),
        }
    }

    fn key(&self, key: &str) -> usize {
        self.keys.get(key).copied().unwrap_or(0)
    }

    /// Occurrences of a name (one part of a word): as a run of letters
    /// when it is long enough not to hide inside other words, else as a word.
    fn name(&self, part: &str) -> usize {
        let squashed = squash(part);
        if squashed.chars().count() >= 4 {
            self.squashed.matches(squashed.as_str()).count()
        } else {
            self.parts.get(&words::key(part)).copied().unwrap_or(0)
        }
    }
}

fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn weigh(
    old: &Side,
    o: Range<usize>,
    new: &Side,
    n: Range<usize>,
    tallies: &[Tally<'_>; 2],
    terms: &[Term],
    stems: &Stems,
) -> (Weight, Vec<Reason>) {
    let acronym = is_acronym_of(old, &o, new, &n) || is_acronym_of(new, &n, old, &o);
    let mut reasons = BTreeSet::new();
    for (s, (side, range)) in [(old, &o), (new, &n)].into_iter().enumerate() {
        // A word removed counts only if the old side has more of it than
        // the new one, an added word only if the new side has more: the
        // same name removed here and added there merely moved.
        let (this, other) = (&tallies[s], &tallies[1 - s]);
        let more = |key: &str| this.key(key) > other.key(key);
        for w in range.clone() {
            let (word, key) = (&side.text[side.words[w].clone()], side.keys[w].as_str());
            if words::is_number(word) && more(key) {
                reasons.insert(Reason::Number);
            }
            let renamed = word
                .split('-')
                .filter(|part| words::is_capitalised(part))
                .any(|part| {
                    let part = part.trim_end_matches("'s").trim_end_matches("’s");
                    this.name(part) > other.name(part)
                });
            if side.names[w] && renamed && !acronym {
                reasons.insert(Reason::Name);
            }
            if words::is_negation(key) && more(key) {
                reasons.insert(Reason::Negation);
            }
            if side.quoted[w] {
                reasons.insert(Reason::Quotation);
            }
        }
        for t in terms {
            if side.keys[range.clone()]
                .windows(t.keys.len().max(1))
                .any(|w| w == t.keys.as_slice())
            {
                reasons.insert(Reason::Term(t.topic));
            }
        }
    }
    if !reasons.is_empty() {
        return (Weight::Major, reasons.into_iter().collect());
    }
    if acronym {
        return (Weight::Minor, Vec::new());
    }
    let stems_of = |side: &Side, range: Range<usize>| -> BTreeSet<u64> {
        range
            .filter_map(|w| stems.of(&side.text[side.words[w].clone()]))
            .collect()
    };
    let weight = if stems_of(old, o) == stems_of(new, n) {
        Weight::Minor
    } else {
        Weight::Wording
    };
    (weight, Vec::new())
}

/// Whether `a`'s words in `ra` are the capitalised words whose initials
/// make an acronym among `b`'s words in `rb` ("United States" → "US").
fn is_acronym_of(a: &Side, ra: &Range<usize>, b: &Side, rb: &Range<usize>) -> bool {
    let initials: String = ra
        .clone()
        .map(|w| &a.text[a.words[w].clone()])
        .filter(|w| words::is_capitalised(w))
        .filter_map(|w| w.chars().next())
        .collect();
    initials.chars().count() >= 2 && b.keys[rb.clone()].contains(&initials)
}

/// Builds one side's segments as the diff walks through it.
struct Pieces<'a> {
    side: &'a Side,
    /// Byte offset in the side's text up to which segments are made.
    done: usize,
    out: Vec<Segment>,
}

impl<'a> Pieces<'a> {
    fn new(side: &'a Side) -> Pieces<'a> {
        Pieces {
            side,
            done: 0,
            out: Vec::new(),
        }
    }

    fn push(&mut self, end: usize, change: Option<usize>) {
        if end <= self.done {
            return;
        }
        let text = &self.side.text[self.done..end];
        match self.out.last_mut() {
            Some(last) if last.change.is_none() && change.is_none() => last.text.push_str(text),
            _ => self.out.push(Segment {
                text: text.to_owned(),
                change,
            }),
        }
        self.done = end;
    }

    /// Unchanged text up to the end of word `end - 1`.
    fn same_to(&mut self, end: usize) {
        if end > 0 {
            self.push(self.side.words[end - 1].end, None);
        }
    }

    /// The words `range` as part of change `index`.
    fn changed(&mut self, range: Range<usize>, index: usize) {
        if range.is_empty() {
            return;
        }
        self.push(self.side.words[range.start].start, None);
        self.push(self.side.words[range.end - 1].end, Some(index));
    }

    fn finish(mut self) -> Vec<Segment> {
        self.push(self.side.text.len(), None);
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::sentences;
    use crate::parse::paragraphs::split;

    /// Diffs the first sentence of two one-paragraph texts.
    fn compare(old: &str, new: &str, aliases: &[&str]) -> RowDiff {
        let (po, pn) = (split(old, 0), split(new, 0));
        let (so, sn) = (sentences::split(&po), sentences::split(&pn));
        let (dold, dnew) = (Document::new(&po, &so), Document::new(&pn, &sn));
        let terms: Vec<Term> = aliases.iter().map(|a| Term::new(a, 0)).collect();
        diff(&dold.side(0..1), &dnew.side(0..1), &terms, &Stems::new())
    }

    fn summary(d: &RowDiff) -> Vec<(String, String, Weight)> {
        d.changes
            .iter()
            .map(|c| (c.old.clone(), c.new.clone(), c.weight))
            .collect()
    }

    #[test]
    fn segments_rebuild_both_texts() {
        let old = "The council met on 14 March to review spending.";
        let new = "The council gathered on 16 March to review the spending.";
        let d = compare(old, new, &[]);
        let join = |s: &[Segment]| s.iter().map(|x| x.text.as_str()).collect::<String>();
        assert_eq!(join(&d.old), old);
        assert_eq!(join(&d.new), new);
        assert_eq!(
            summary(&d),
            [
                ("met".into(), "gathered".into(), Weight::Wording),
                ("14".into(), "16".into(), Weight::Major),
                (String::new(), "the".into(), Weight::Minor),
            ]
        );
        assert_eq!(d.changes[1].reasons, [Reason::Number]);
        assert_eq!(d.changes[1].before, "The council met on");
    }

    #[test]
    fn names_count_but_acronyms_and_moves_do_not() {
        let d = compare(
            "Reports of bounties on United States soldiers in the United States press. Later the United States said so.",
            "Reports of foreign troops in the US press. Later the United States said so.",
            &[],
        );
        let s = summary(&d);
        assert_eq!(s[0].0, "bounties on United States soldiers");
        assert_eq!(s[0].1, "foreign troops");
        assert_eq!(d.changes[0].reasons, [Reason::Name]);
        assert_eq!(s[1], ("United States".into(), "US".into(), Weight::Minor));
        let moved = compare(
            "They agreed to finish the work by February 5 in full.",
            "They agreed by February 5 to finish the work in full.",
            &[],
        );
        assert!(
            moved.changes.iter().all(|c| c.reasons.is_empty()),
            "{moved:?}"
        );
    }

    #[test]
    fn quotations_negations_and_terms_are_major() {
        let d = compare(
            "He called the talks \"businesslike and sincere\" on Friday.",
            "He called the talks \"matter-of-fact and sincere\" on Friday.",
            &[],
        );
        assert_eq!(d.changes[0].reasons, [Reason::Quotation]);
        let d = compare(
            "The mayor did confirm the closure.",
            "The mayor did not confirm the closure.",
            &[],
        );
        assert_eq!(d.changes[0].reasons, [Reason::Negation]);
        let d = compare(
            "The first time Trump was impeached in December 2019.",
            "The first time Trump was arrested in December 2019.",
            &["impeached"],
        );
        assert_eq!(d.changes[0].reasons, [Reason::Term(0)]);
        assert_eq!(d.changes[0].weight, Weight::Major);
        let d = compare(
            "The first time Trump was impeached in December 2019.",
            "The first time Trump was arrested in December 2019.",
            &[],
        );
        assert_eq!(d.changes[0].weight, Weight::Wording);
    }

    #[test]
    fn quotation_ranges() {
        assert_eq!(quotations("a “b” c \"d\" e"), [2..9, 12..15]);
        assert_eq!(quotations("open \"quote"), vec![(5..11)]);
    }
}
