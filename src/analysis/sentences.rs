//! Sentence segmentation of a source's paragraphs.
//!
//! A sentence never crosses a paragraph. Inside one, a sentence ends at `.`,
//! `!` or `?` (possibly followed by closing quotes or brackets) when white
//! space and then a capital, a digit or an opening quote follow, unless the
//! word before the period is an abbreviation: a single letter (`U.S.`,
//! `J. Smith`), a word with an inner period, or a title such as `Mr.` or
//! `Gen.`. Unicode's sentence rules (UAX #29) would split "U.S. Secretary";
//! news text needs this narrower rule.

use std::ops::Range;

use crate::parse::paragraphs::Paragraph;

/// Where a sentence lies: its paragraph and byte range in the paragraph's
/// text (trimmed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    pub paragraph: usize,
    pub range: Range<usize>,
}

/// The sentences of a text, in order.
pub(crate) fn split(paragraphs: &[Paragraph]) -> Vec<Place> {
    paragraphs
        .iter()
        .enumerate()
        .flat_map(|(p, para)| {
            ranges(&para.text).into_iter().map(move |range| Place {
                paragraph: p,
                range,
            })
        })
        .collect()
}

/// Byte ranges of the sentences of one paragraph.
pub(crate) fn ranges(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while let Some(found) = memchr::memchr3(b'.', b'!', b'?', &bytes[i..]) {
        i += found;
        // Past closing quotes and brackets (straight or curly).
        let mut end = i + 1;
        loop {
            let rest = &text[end..];
            match rest.chars().next() {
                Some(c @ ('"' | '\'' | ')' | ']' | '”' | '’')) => end += c.len_utf8(),
                _ => break,
            }
        }
        let after = &text[end..];
        let gap = after.len() - after.trim_start().len();
        let next = after.trim_start().chars().next();
        let starts =
            next.is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || "\"“‘'([".contains(c));
        if gap > 0 && starts && !(bytes[i] == b'.' && is_abbreviation(&text[start..i])) {
            push_trimmed(text, start..end, &mut out);
            start = end + gap;
            i = start;
        } else {
            i = end.max(i + 1);
        }
    }
    push_trimmed(text, start..text.len(), &mut out);
    out
}

fn push_trimmed(text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
    let piece = &text[range.clone()];
    let lead = piece.len() - piece.trim_start().len();
    let trimmed = piece.trim();
    if trimmed.chars().any(char::is_alphanumeric) {
        let start = range.start + lead;
        out.push(start..start + trimmed.len());
    }
}

/// Whether the word that ends `before` (the text up to a period) is an
/// abbreviation rather than the end of a sentence.
fn is_abbreviation(before: &str) -> bool {
    let word = before
        .rsplit(|c: char| c.is_whitespace() || "\"“‘([".contains(c))
        .next()
        .unwrap_or("");
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    if letters == 1 && word.chars().all(char::is_alphabetic) && is_upper_initial(word) {
        return true;
    }
    if word.contains('.') {
        return true;
    }
    ABBREVIATIONS.contains(&word)
}

fn is_upper_initial(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

/// Titles and short forms that a period follows without ending a sentence.
const ABBREVIATIONS: &[&str] = &[
    "Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Jr", "Sr", "Gen", "Sen", "Rep", "Gov", "Lt", "Col",
    "Sgt", "Capt", "Cmdr", "Adm", "Maj", "Rev", "Hon", "Inc", "Co", "Corp", "Ltd", "No", "vs",
    "etc", "e.g", "i.e", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct",
    "Nov", "Dec", "approx", "Fig", "Vol", "pp", "Mt",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(text: &str) -> Vec<&str> {
        ranges(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn segmentation_table() {
        let cases: &[(&str, &[&str])] = &[
            ("One. Two.", &["One.", "Two."]),
            ("One.  Two? Three!", &["One.", "Two?", "Three!"]),
            (
                "He said \"no.\" She left.",
                &["He said \"no.\"", "She left."],
            ),
            (
                "He said “no.” “Yes,” she said.",
                &["He said “no.”", "“Yes,” she said."],
            ),
            (
                "U.S. Secretary of State spoke.",
                &["U.S. Secretary of State spoke."],
            ),
            (
                "Mr. Smith left. Gen. Jones stayed.",
                &["Mr. Smith left.", "Gen. Jones stayed."],
            ),
            (
                "It cost 2.4 million. Then more.",
                &["It cost 2.4 million.", "Then more."],
            ),
            ("lower. case stays", &["lower. case stays"]),
            ("In 2019. 2020 followed.", &["In 2019.", "2020 followed."]),
            ("No end", &["No end"]),
            ("New START. .", &["New START. ."]),
            ("Joe A. Biden spoke.", &["Joe A. Biden spoke."]),
            ("", &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(sentences(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn places_name_their_paragraph() {
        let paras = crate::parse::paragraphs::split("One. Two.\n\nThree.\n", 0);
        let places = split(&paras);
        assert_eq!(
            places,
            [
                Place {
                    paragraph: 0,
                    range: 0..4
                },
                Place {
                    paragraph: 0,
                    range: 5..9
                },
                Place {
                    paragraph: 1,
                    range: 0..6
                },
            ]
        );
    }
}
