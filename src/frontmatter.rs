//! YAML front matter and sidecars: the one module that knows serde_yaml.
//!
//! serde_yaml reports positions relative to the YAML it was given; a topic's
//! front matter starts on line 2 of its file, so every location is shifted by
//! the byte offset of the YAML inside the file before it becomes a
//! [`Diagnostic`]. Keeping the crate behind this module lets it be swapped for
//! a maintained fork without touching the rest.
//!
//! Also here: the value types that validate while deserialising ([`Date`],
//! [`WebUrl`]), so a bad date is reported at the value itself.

use std::ops::Range;
use std::sync::Arc;

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::diagnostics::Diagnostic;

/// Where the parts of a Markdown file with front matter lie.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Split {
    /// Byte range of the YAML between the `---` lines.
    pub yaml: Range<usize>,
    /// Byte range of the Markdown after the closing `---` line.
    pub body: Range<usize>,
}

/// Finds front matter delimited by `---` lines at the top of `text`.
///
/// `Ok(None)` when the file does not start with `---`; an error span (the
/// opening line) when it is never closed.
pub(crate) fn split(text: &str) -> Result<Option<Split>, Range<usize>> {
    let first_end = text.find('\n').map_or(text.len(), |i| i + 1);
    if text[..first_end].trim_end() != "---" {
        return Ok(None);
    }
    let mut pos = first_end;
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        if text[pos..end].trim_end() == "---" {
            return Ok(Some(Split {
                yaml: first_end..pos,
                body: end..text.len(),
            }));
        }
        pos = end;
    }
    Err(0..3)
}

/// Deserialises YAML found at `range` of a file's `text`.
///
/// `path_name` and `text` name the whole file, so the error lands on the file's
/// own line and column.
pub(crate) fn parse<T: DeserializeOwned>(
    path_name: &str,
    text: &Arc<str>,
    range: Range<usize>,
) -> Result<T, Diagnostic> {
    let yaml = &text[range.clone()];
    // An empty document is null to serde_yaml; an empty mapping reports the
    // missing required keys instead, which is what the writer needs to hear.
    let doc = if yaml.trim().is_empty() { "{}" } else { yaml };
    let deserializer = serde_yaml::Deserializer::from_str(doc);
    serde_path_to_error::deserialize::<_, T>(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let e = e.into_inner();
        // serde_yaml locates errors raised by a value's own Deserialize impl
        // (a bad date, a bad URL) at the start of the mapping; the path to
        // the field finds the value itself.
        let reported = e.location().map_or(0, |l| l.index().min(yaml.len()));
        let top_key = path.split(['.', '[']).next().unwrap_or("");
        let value = value_start(text, &key_span(text, range.clone(), top_key), range.end);
        let start = match value {
            Some(v) if !top_key.is_empty() && !e.to_string().starts_with("unknown field") => v,
            _ => range.start + reported,
        };
        let end = token_end(text, start);
        let message = strip_location(&e.to_string());
        let d = Diagnostic::at(path_name, text, start..end, message.clone());
        match nearest_key_help(&message) {
            Some(help) => d.with_help(help),
            None => d,
        }
    })
}

/// Where the value after `key:` starts, when the key was found.
fn value_start(text: &str, key: &Range<usize>, limit: usize) -> Option<usize> {
    if key.is_empty() {
        return None;
    }
    let rest = &text[key.end..limit];
    let colon = rest.find(':')?;
    let after = &rest[colon + 1..];
    let skip = after.len() - after.trim_start_matches([' ', '\t']).len();
    Some(key.end + colon + 1 + skip)
}

/// Byte offset of `key:` at the start of a line of a YAML document, for
/// errors found after deserialising (an unknown `derived_from` id, say).
pub(crate) fn key_span(text: &str, range: Range<usize>, key: &str) -> Range<usize> {
    let yaml = &text[range.clone()];
    let mut pos = 0;
    for line in yaml.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(key)
            && rest.trim_start().starts_with(':')
        {
            return range.start + pos..range.start + pos + key.len();
        }
        pos += line.len();
    }
    range.start..range.start
}

/// The end of the word or token starting at `start`, so a caret underlines
/// the offending key or value rather than one character.
fn token_end(text: &str, start: usize) -> usize {
    let rest = &text[start.min(text.len())..];
    let len = rest.find([':', '\n', ',', ']']).unwrap_or(rest.len());
    start + len.max(1).min(rest.len())
}

/// serde_yaml appends " at line L column C" to its messages; the diagnostic
/// shows the location itself.
fn strip_location(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    message.trim().to_owned()
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" messages: the
/// valid key nearest to the unknown one.
pub(crate) fn nearest_key_help(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, expected) = rest.split_once('`')?;
    let candidates: Vec<&str> = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|k| !k.is_empty())
        .collect();
    let best = candidates
        .iter()
        .map(|k| (strsim::damerau_levenshtein(unknown, k), *k))
        .min()?;
    if best.0 <= (unknown.len() / 2).max(2) {
        Some(format!("did you mean `{}`?", best.1))
    } else {
        let list: Vec<String> = candidates.iter().map(|k| format!("`{k}`")).collect();
        Some(format!(
            "valid keys are {}; put free-form data under `extra:`",
            list.join(", ")
        ))
    }
}

/// A calendar date written `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Date(pub jiff::civil::Date);

impl Date {
    /// The date as `YYYY-MM-DD`.
    pub(crate) fn iso(&self) -> String {
        self.0.strftime("%Y-%m-%d").to_string()
    }

    /// The date for readers: "26 January 2021".
    pub(crate) fn long(&self) -> String {
        self.0.strftime("%-d %B %Y").to_string()
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let valid = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
        match text.parse::<jiff::civil::Date>() {
            Ok(date) if valid => Ok(Date(date)),
            _ => Err(D::Error::custom(format!(
                "invalid date `{text}`: expected a real date written YYYY-MM-DD"
            ))),
        }
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.iso())
    }
}

/// An absolute `http` or `https` URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct WebUrl(pub String);

impl<'de> Deserialize<'de> for WebUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match url::Url::parse(&text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                Ok(WebUrl(u.to_string()))
            }
            Ok(u) => Err(D::Error::custom(format!(
                "URL scheme `{}` is not allowed: use http or https",
                u.scheme()
            ))),
            Err(e) => Err(D::Error::custom(format!("invalid URL `{text}`: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Meta {
        title: String,
        summary: String,
        updated: Option<Date>,
        url: Option<WebUrl>,
    }

    fn parse_doc(doc: &str) -> Result<Meta, Diagnostic> {
        let text: Arc<str> = Arc::from(doc);
        let split = split(&text).unwrap().unwrap();
        parse::<Meta>("t.md", &text, split.yaml)
    }

    #[test]
    fn split_finds_yaml_and_body() {
        let s = split("---\na: 1\n---\nbody\n").unwrap().unwrap();
        assert_eq!(
            s,
            Split {
                yaml: 4..9,
                body: 13..18
            }
        );
        assert_eq!(split("no front matter\n").unwrap(), None);
        assert_eq!(
            split("---\r\na: 1\r\n---\r\n").unwrap().unwrap().yaml,
            5..11
        );
        assert_eq!(split("---\na: 1\n"), Err(0..3));
    }

    #[test]
    fn errors_land_on_the_file_line() {
        let d = parse_doc("---\ntitle: x\nsumary: y\n---\n").unwrap_err();
        assert_eq!((d.line, d.column), (3, 1));
        assert!(
            d.message.starts_with("unknown field `sumary`"),
            "{}",
            d.message
        );
        assert_eq!(d.help, ["did you mean `summary`?"]);
    }

    #[test]
    fn bad_date_and_url_are_located_at_the_value() {
        let d = parse_doc("---\ntitle: x\nsummary: y\nupdated: 2021-02-30\n---\n").unwrap_err();
        assert_eq!(d.line, 4);
        assert!(
            d.message.contains("invalid date `2021-02-30`"),
            "{}",
            d.message
        );
        let d =
            parse_doc("---\ntitle: x\nsummary: y\nurl: javascript:alert(1)\n---\n").unwrap_err();
        assert_eq!(d.line, 4);
        assert!(d.message.contains("`javascript`"), "{}", d.message);
    }

    #[test]
    fn missing_and_mistyped_keys() {
        let d = parse_doc("---\ntitle: x\n---\n").unwrap_err();
        assert!(
            d.message.contains("missing field `summary`"),
            "{}",
            d.message
        );
        let d = parse_doc("---\ntitle: [1, 2]\nsummary: y\n---\n").unwrap_err();
        assert_eq!(d.line, 2);
        assert!(d.message.contains("invalid type"), "{}", d.message);
    }

    #[test]
    fn key_span_finds_a_top_level_key() {
        let text = "---\ntitle: x\nderived_from: y\n---\n";
        let span = key_span(text, 4..29, "derived_from");
        assert_eq!(&text[span], "derived_from");
    }
}
