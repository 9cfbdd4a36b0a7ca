//! The citation syntax inside `[` … `]`.
//!
//! ```text
//! citations := item (";" item)*
//! item      := "@" id (quote)?
//! quote     := '"' (char | '\"' | '\' punct)* '"'
//! id        := [a-z0-9][a-z0-9-]*
//! ```
//!
//! The input is the label as written in the Markdown file (pulldown-cmark
//! hands it over through its broken-link callback), so backslash escapes are
//! undone here: `\"` is a quote mark inside the words, `\\` a backslash.

use std::ops::Range;

/// One cited source, with or without quoted words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CiteItem {
    /// The source id after `@`.
    pub id: String,
    /// Byte range of `@id` in the label.
    pub id_span: Range<usize>,
    /// The quoted words, escapes undone; `None` cites the whole source.
    pub words: Option<String>,
    /// The words' pieces ([`crate::quote::pieces`]): never empty when
    /// there are words, empty when there are none.
    pub pieces: Vec<String>,
    /// Byte range of the whole item (id and quote) in the label.
    pub span: Range<usize>,
}

/// A malformed citation: where in the label, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CiteError {
    /// Byte range in the label.
    pub span: Range<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is something to say.
    pub help: Option<&'static str>,
}

/// Whether a label looks like a citation at all (its first non-space is `@`).
pub(crate) fn is_citation(label: &str) -> bool {
    label.trim_start().starts_with('@')
}

/// Whether `id` is a valid source id: `[a-z0-9][a-z0-9-]*`.
pub(crate) fn is_valid_id(id: &str) -> bool {
    let mut bytes = id.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Parses the inside of a citation's brackets.
pub(crate) fn parse(label: &str) -> Result<Vec<CiteItem>, CiteError> {
    let mut items = Vec::new();
    let mut cursor = Cursor {
        text: label,
        pos: 0,
    };
    loop {
        cursor.skip_ws();
        let start = cursor.pos;
        if !cursor.eat('@') {
            return Err(cursor.error(1, "expected `@` and a source id", Some(SYNTAX_HELP)));
        }
        let id_start = cursor.pos;
        while cursor
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            cursor.bump();
        }
        let id = &label[id_start..cursor.pos];
        if id.is_empty() {
            return Err(cursor.error(1, "expected a source id after `@`", Some(SYNTAX_HELP)));
        }
        if !is_valid_id(id) {
            return Err(CiteError {
                span: start..cursor.pos,
                message: format!("`{id}` is not a valid source id"),
                help: Some(
                    "source ids are lowercase letters, digits and hyphens, like `moscow-times-2021`",
                ),
            });
        }
        let id_span = start..cursor.pos;
        cursor.skip_ws();
        let (words, pieces) = if cursor.peek() == Some('"') {
            let (words, pieces) = cursor.quote()?;
            (Some(words), pieces)
        } else {
            (None, Vec::new())
        };
        items.push(CiteItem {
            id: id.to_owned(),
            id_span,
            words,
            pieces,
            span: start..cursor.pos,
        });
        cursor.skip_ws();
        match cursor.peek() {
            None => return Ok(items),
            Some(';') => cursor.bump(),
            Some(c) => {
                let message = if c == '“' || c == '”' {
                    "quoted words must be in straight quotes `\"`".to_owned()
                } else {
                    format!("unexpected `{c}` in citation")
                };
                return Err(cursor.error(c.len_utf8(), &message, Some(SYNTAX_HELP)));
            }
        }
    }
}

const SYNTAX_HELP: &str =
    "write `[@source-id]`, `[@source-id \"quoted words\"]`, or several separated by `;`";

struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        // Ids and separators are ASCII: a byte is a character, with no
        // decoding.
        match self.text.as_bytes().get(self.pos) {
            Some(&b) if b.is_ascii() => Some(char::from(b)),
            Some(_) => self.text[self.pos..].chars().next(),
            None => None,
        }
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek() {
            self.pos += c.len_utf8();
        }
    }

    fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.bump();
        }
        hit
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn error(&self, len: usize, message: &str, help: Option<&'static str>) -> CiteError {
        let end = (self.pos + len).min(self.text.len());
        CiteError {
            span: self.pos..end,
            message: message.to_owned(),
            help,
        }
    }

    /// Reads a `"…"` quote at the cursor, undoing backslash escapes; with
    /// its pieces.
    fn quote(&mut self) -> Result<(String, Vec<String>), CiteError> {
        let open = self.pos;
        self.bump();
        let mut words = String::new();
        loop {
            // Copied a run at a time, up to the next quote mark or escape.
            let rest = &self.text[self.pos..];
            let Some(at) = memchr::memchr2(b'"', b'\\', rest.as_bytes()) else {
                return Err(CiteError {
                    span: open..open + 1,
                    message: "quoted words are never closed".into(),
                    help: Some(
                        "end the words with `\"`; write `\\\"` for a quote mark inside them",
                    ),
                });
            };
            words.push_str(&rest[..at]);
            self.pos += at + 1;
            if rest.as_bytes()[at] == b'"' {
                break;
            }
            match self.peek() {
                Some(c) if c.is_ascii_punctuation() => {
                    words.push(c);
                    self.bump();
                }
                _ => words.push('\\'),
            }
        }
        let pieces = crate::quote::pieces(&words);
        if pieces.is_empty() {
            return Err(CiteError {
                span: open..self.pos,
                message: "empty quote".into(),
                help: Some(
                    "quote the source's words, or write `[@source-id]` to cite the whole source",
                ),
            });
        }
        Ok((words, pieces))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(label: &str) -> Vec<(String, Option<String>)> {
        parse(label)
            .unwrap()
            .into_iter()
            .map(|i| (i.id, i.words))
            .collect()
    }

    fn err(label: &str) -> (Range<usize>, String) {
        let e = parse(label).unwrap_err();
        (e.span, e.message)
    }

    #[test]
    fn valid_citations() {
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(ok("@a"), [("a".into(), None)]);
        assert_eq!(ok(" @a-1 \"x y\" "), [("a-1".into(), some("x y"))]);
        assert_eq!(
            ok("@a; @b \"two words\";@c"),
            [
                ("a".into(), None),
                ("b".into(), some("two words")),
                ("c".into(), None)
            ]
        );
        assert_eq!(
            ok(r#"@a "on \"the hack""#),
            [("a".into(), some("on \"the hack"))]
        );
        assert_eq!(
            ok(r#"@a "back\\slash \*x""#),
            [("a".into(), some("back\\slash *x"))]
        );
        assert_eq!(
            ok("@a \"first ... last\""),
            [("a".into(), some("first ... last"))]
        );
        assert_eq!(ok("@a \"line\nwrap\""), [("a".into(), some("line\nwrap"))]);
    }

    #[test]
    fn malformed_citations() {
        assert_eq!(
            err("@a \"never closed"),
            (3..4, "quoted words are never closed".into())
        );
        assert_eq!(err("@a \"  \""), (3..7, "empty quote".into()));
        assert_eq!(err("@a \"...\""), (3..8, "empty quote".into()));
        // Nothing is left of these once normalised.
        assert_eq!(err("@a \"\u{200B}\"").1, "empty quote");
        assert_eq!(err("@a \" … \"").1, "empty quote");
        assert_eq!(
            parse("@a \"\u{00AD} x...y\"").unwrap()[0].pieces,
            ["x", "y"]
        );
        assert_eq!(err("@"), (1..1, "expected a source id after `@`".into()));
        assert_eq!(
            err("@Bad_Id"),
            (0..7, "`Bad_Id` is not a valid source id".into())
        );
        assert_eq!(err("@a x"), (3..4, "unexpected `x` in citation".into()));
        assert_eq!(err("@a; b"), (4..5, "expected `@` and a source id".into()));
        assert_eq!(
            err("@a “curly”").1,
            "quoted words must be in straight quotes `\"`"
        );
    }

    #[test]
    fn ids() {
        for id in ["a", "0", "a-b", "abc-123"] {
            assert!(is_valid_id(id), "{id}");
        }
        for id in [
            "", "-a", "A", "a_b", "a/b", "..", "a.b", "c:", "a\\b", "a\0b", "../x", "C:\\x",
        ] {
            assert!(!is_valid_id(id), "{id}");
        }
    }
}
