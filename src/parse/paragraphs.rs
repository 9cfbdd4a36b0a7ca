//! Splitting a captured article into paragraphs.
//!
//! Captures are imperfect: hard wraps at a fixed width, bullets that lost
//! their line break, lines that end mid-sentence because a link was
//! stripped. The rules (DESIGN "Source text"):
//!
//! 1. a blank line ends a paragraph;
//! 2. a line starting with a bullet (`- `, `• `, `* `) starts its own item,
//!    and so does a bullet that follows a sentence end inside a line
//!    (`…in chief. - Biden pressed…`), which is a lost line break;
//! 3. a line that ends a sentence followed by a line that starts one ends
//!    the paragraph;
//! 4. a line starting with a bare URL starts a paragraph (the link lists
//!    that captures often end with);
//! 5. any other line break is a wrap: the lines are joined with one space.
//!
//! Each paragraph remembers where its pieces lie in the raw bytes, so a
//! quoted passage can be reported as a byte range of the original file.

use std::sync::LazyLock;

use memchr::memmem::Finder;

/// One paragraph of a source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Paragraph {
    /// The paragraph's words, wraps joined with single spaces.
    pub text: String,
    /// Whether the paragraph is a bullet item (its marker removed).
    pub bullet: bool,
    /// `(offset in text, offset in raw bytes)` where each joined piece starts.
    pub pieces: Vec<(usize, usize)>,
}

impl Paragraph {
    /// The raw byte offset of a byte offset in `text`.
    ///
    /// Offsets inside a joining space map to the end of the previous piece.
    pub(crate) fn raw_offset(&self, offset: usize) -> usize {
        let i = self
            .pieces
            .partition_point(|&(t, _)| t <= offset)
            .saturating_sub(1);
        let (t, r) = self.pieces[i];
        r + offset.saturating_sub(t)
    }
}

/// Splits decoded source text. `base` is the raw offset of `text[0]` (the
/// length of a stripped byte-order mark).
pub(crate) fn split(text: &str, base: usize) -> Vec<Paragraph> {
    let mut out = Vec::new();
    let mut current = Gathering::default();
    let mut previous_ends_sentence = false;
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let lead = content.len() - content.trim_start().len();
        let trimmed = content.trim();
        let raw = base + line_start + lead;
        line_start += line.len();
        if trimmed.is_empty() {
            current.end(&mut out);
            previous_ends_sentence = false;
            continue;
        }
        let (bullet, body, marker) = match bullet_marker(trimmed) {
            Some(len) => (
                true,
                trimmed[len..].trim_start(),
                len + leading_ws(&trimmed[len..]),
            ),
            None => (false, trimmed, 0),
        };
        let url = body.starts_with("https://") || body.starts_with("http://");
        if bullet || url || (previous_ends_sentence && starts_sentence(body)) {
            current.end(&mut out);
        }
        let mut pos = 0;
        for (i, (start, end)) in inline_items(body).into_iter().enumerate() {
            if i > 0 {
                current.end(&mut out);
            }
            current.bullet.get_or_insert(bullet || i > 0);
            current
                .pieces
                .push((raw + marker + start, &body[start..end]));
            pos = end;
        }
        debug_assert!(pos <= body.len());
        previous_ends_sentence = ends_sentence(body);
    }
    current.end(&mut out);
    out
}

/// The pieces of the paragraph being read, joined only when it ends: a
/// paragraph's text grown line by line was copied again at each
/// reallocation.
#[derive(Default)]
struct Gathering<'a> {
    /// Whether the paragraph is a bullet item; `None` while there is no
    /// paragraph.
    bullet: Option<bool>,
    /// Each line's words with the raw offset where they start.
    pieces: Vec<(usize, &'a str)>,
}

impl Gathering<'_> {
    /// Ends the paragraph, if one is open, and adds it to `out`.
    fn end(&mut self, out: &mut Vec<Paragraph>) {
        let Some(bullet) = self.bullet.take() else {
            return;
        };
        let len = self.pieces.iter().map(|(_, words)| words.len() + 1).sum();
        let mut para = Paragraph {
            text: String::with_capacity(len),
            bullet,
            pieces: Vec::with_capacity(self.pieces.len()),
        };
        for (raw, words) in self.pieces.drain(..) {
            if !para.text.is_empty() {
                para.text.push(' ');
            }
            para.pieces.push((para.text.len(), raw));
            para.text.push_str(words);
        }
        out.push(para);
    }
}

/// Length of a bullet marker at the start of a trimmed line.
fn bullet_marker(line: &str) -> Option<usize> {
    ["- ", "• ", "* ", "•\t", "-\t", "*\t"]
        .iter()
        .find(|m| line.starts_with(**m))
        .map(|m| m.len() - 1)
}

fn leading_ws(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

/// Byte ranges of the items of one line: the whole line, unless a bullet
/// follows a sentence end inside it (`<sentence end> - X` or
/// `<sentence end> • X`).
fn inline_items(line: &str) -> Vec<(usize, usize)> {
    let mut items = Vec::new();
    let mut start = 0;
    for (at, next) in inline_markers(line) {
        let bullet = at >= start
            && ends_sentence(&line[start..at])
            && line[next..]
                .chars()
                .next()
                .is_some_and(|c| !c.is_whitespace());
        if bullet {
            // White space before the marker ends no item.
            items.push((start, start + line[start..at].trim_end().len()));
            start = next;
        }
    }
    items.push((start, line.len()));
    items
}

/// Where ` - ` and ` • ` stand in a line, in order of position: the start
/// of the marker and the byte after it.
///
/// One pass over the line for each marker: looking for the next bullet
/// from each item on read the rest of the line again per item, quadratic
/// on a long line of them.
///
/// The searchers are built once: setting one up for every line of every
/// source cost more than the search.
fn inline_markers(line: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    static DASH: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(" - "));
    static DOT: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(" • "));
    let bytes = line.as_bytes();
    let mut dashes = DASH
        .find_iter(bytes)
        .map(|at| (at, DASH.needle().len()))
        .peekable();
    let mut dots = DOT
        .find_iter(bytes)
        .map(|at| (at, DOT.needle().len()))
        .peekable();
    std::iter::from_fn(move || {
        let dash_first = match (dashes.peek(), dots.peek()) {
            (Some(dash), Some(dot)) => dash.0 < dot.0,
            (dash, _) => dash.is_some(),
        };
        let (at, len) = if dash_first {
            dashes.next()
        } else {
            dots.next()
        }?;
        Some((at, at + len))
    })
}

/// Whether a line's last words end a sentence: `.`, `!` or `?`, possibly
/// followed by closing quotes or brackets.
pub(crate) fn ends_sentence(line: &str) -> bool {
    let t = line
        .trim_end()
        .trim_end_matches(['"', '\'', '”', '’', ')', ']']);
    t.ends_with(['.', '!', '?'])
}

/// Whether a line begins a sentence: a capital, a digit, or an opening
/// quote or bracket.
fn starts_sentence(line: &str) -> bool {
    line.chars()
        .next()
        .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || "\"“‘'([".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<String> {
        split(text, 0).into_iter().map(|p| p.text).collect()
    }

    #[test]
    fn rules_table() {
        let cases: &[(&str, &[&str])] = &[
            ("one\ntwo\n", &["one two"]),
            ("One.\nTwo.\n", &["One.", "Two."]),
            ("One.\ntwo.\n", &["One. two."]),
            ("One\n\nTwo\n", &["One", "Two"]),
            ("Intro:\n- a b\n- c\nd\n", &["Intro:", "a b", "c d"]),
            ("  • First.\n  • Second.\n", &["First.", "Second."]),
            ("* star item\n", &["star item"]),
            (
                "He said \"no.\"\n\"Yes,\" she said.\n",
                &["He said \"no.\"", "\"Yes,\" she said."],
            ),
            (
                "Ends in U.S.\nintelligence.\n",
                &["Ends in U.S. intelligence."],
            ),
            (
                "A sentence. - Next item here.\n",
                &["A sentence.", "Next item here."],
            ),
            ("Range 1 - 2 here.\n", &["Range 1 - 2 here."]),
            ("crlf\r\nline\r\n\r\nNext\r\n", &["crlf line", "Next"]),
            ("\n\n  \n", &[]),
        ];
        for (input, expected) in cases {
            assert_eq!(texts(input), *expected, "input {input:?}");
        }
    }

    #[test]
    fn bullets_are_marked_and_raw_offsets_map_back() {
        let text = "Intro.\n  - Item one\ncontinued.\n";
        let paras = split(text, 3);
        assert_eq!(paras.len(), 2);
        assert!(!paras[0].bullet && paras[1].bullet);
        let p = &paras[1];
        assert_eq!(p.text, "Item one continued.");
        // "Item" starts after "Intro.\n  - " (11 bytes) plus the 3-byte base.
        assert_eq!(p.raw_offset(0), 14);
        let cont = p.text.find("continued").unwrap();
        assert_eq!(&text[p.raw_offset(cont) - 3..][..9], "continued");
    }

    fn seed(name: &str) -> String {
        let path = format!("{}/content/sources/{name}.txt", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn moscow_times_capture_joins_hard_wraps() {
        let paras = texts(&seed("moscow-times-blinken-lavrov"));
        assert_eq!(
            paras[0],
            "U.S. Secretary of State Antony Blinken spoke with his Russian counterpart Sergei Lavrov on Thursday."
        );
        assert!(paras[1].starts_with("U.S. Secretary of State Antony Blinken voiced concern"));
        assert!(paras[1].contains(
            "voiced concern over jailed opposition figure Alexei Navalny and imprisoned Americans"
        ));
        assert!(paras[1].ends_with("with Russian Foreign Minister Sergei Lavrov."));
        assert!(
            paras
                .iter()
                .any(|p| p.starts_with("Related article: How Will the West"))
        );
        assert!(paras.iter().any(
            |p| p.starts_with("Blinken also \"raised Russian interference")
                && p.ends_with("intelligence suspected Russia.")
        ));
        assert_eq!(paras.len(), 15, "{paras:#?}");
        assert_eq!(paras[10], "Original url:");
        assert!(paras[11].ends_with("-with-r ussia-a72838"));
        assert!(paras[14].starts_with("https://www.themoscowtimes.com/2020/07/29/"));
    }

    #[test]
    fn rewritten_capture_keeps_each_bullet_apart() {
        let paras = split(&seed("rewrite-biden-putin-call"), 0);
        assert_eq!(
            paras[0].text,
            "Biden pushed Putin in first call on hack, Navalny, Afghan bounty plot"
        );
        let bullets: Vec<&str> = paras
            .iter()
            .filter(|p| p.bullet)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(bullets.len(), 4);
        assert!(bullets[0].starts_with("President Joe Biden spoke for the first time"));
        assert_eq!(
            bullets[3],
            "Visit Business Insider’s homepage for more stories."
        );
    }

    #[test]
    fn insider_capture_splits_a_bullet_that_lost_its_line_break() {
        let paras = split(&seed("insider-biden-putin-call"), 0);
        let bullets: Vec<&str> = paras
            .iter()
            .filter(|p| p.bullet)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(
            bullets,
            [
                "President Joe Biden on Tuesday spoke to Russian PresidentVladimir Putin for the first time as commander-in-chief.",
                "Biden pressed Putin on an array of topics, including Russian election interference.",
                "The president has pledged to be more assertive with Putin than his predecessor, President Donald Trump .",
            ]
        );
        assert!(
            paras
                .iter()
                .any(|p| p.text.starts_with("New START places limitations"))
        );
    }
}
