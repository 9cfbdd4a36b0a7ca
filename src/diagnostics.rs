//! Content errors as data.
//!
//! Parse and resolve never stop at the first bad file: every problem becomes a
//! [`Diagnostic`] (path, 1-based line and column, message, help) and the run
//! goes on, so a writer sees all of them at once. A [`Diagnostic`] keeps the
//! text of its file (shared, not copied) so it can be shown with the offending
//! line and a caret under it. Resolve's errors about a topic are made once
//! the topic's text is gone (a build keeps no topic text it has parsed): they
//! carry the line and column found while parsing, and
//! `Diagnostics::read_texts` reads the file again for its snippet.
//!
//! Output formats: `human` (codespan-reporting snippets, coloured only on a
//! terminal and never when `NO_COLOR` is set), `json` (one object a line) and
//! `github` (workflow commands that annotate a pull request).

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::ops::Range;
use std::sync::Arc;

use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use codespan_reporting::term::{self, Config as TermConfig};
use serde::Serialize;

/// How bad a diagnostic is: errors fail the run, warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The content is wrong; the build fails.
    Error,
    /// Worth a look; the build goes on.
    Warning,
}

/// One problem found in the content, located in its file.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Path relative to the dossier root, with `/` separators.
    pub path: String,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column in characters; 0 when the problem concerns the whole file.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// Suggestions and context ("did you mean …", "closest passage: …").
    pub help: Vec<String>,
    text: Option<Arc<str>>,
    span: Range<usize>,
    /// For a diagnostic made without its file's text: the hash of the
    /// bytes it was made from ([`crate::parse::content_hash`]), which the
    /// file must still have for its text to be shown.
    unread: Option<u64>,
}

impl Diagnostic {
    /// An error at a byte range of a file whose text is known.
    pub(crate) fn at(path: &str, text: &Arc<str>, span: Range<usize>, message: String) -> Self {
        let start = span.start.min(text.len());
        let end = span.end.clamp(start, text.len());
        let (line, column) = line_column(text, start);
        Diagnostic {
            severity: Severity::Error,
            path: path.to_owned(),
            line,
            column,
            message,
            help: Vec::new(),
            text: Some(Arc::clone(text)),
            span: start..end,
            unread: None,
        }
    }

    /// An error at a byte range of a file whose text is no longer at hand:
    /// `line_column` is where the range starts, `hash` the hash of the
    /// bytes the range was found in.
    pub(crate) fn unread(
        path: &str,
        (line, column): (usize, usize),
        span: Range<usize>,
        hash: u64,
        message: String,
    ) -> Self {
        Diagnostic {
            severity: Severity::Error,
            path: path.to_owned(),
            line,
            column,
            message,
            help: Vec::new(),
            text: None,
            span,
            unread: Some(hash),
        }
    }

    /// An error about a whole file (unreadable text, missing companion file).
    pub(crate) fn file(path: &str, message: String) -> Self {
        Diagnostic {
            severity: Severity::Error,
            path: path.to_owned(),
            line: 0,
            column: 0,
            message,
            help: Vec::new(),
            text: None,
            span: 0..0,
            unread: None,
        }
    }

    /// Adds a line of help.
    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    /// Turns the error into a warning.
    pub(crate) fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    fn sort_key(&self) -> (&str, usize, usize, Severity, &str) {
        (
            &self.path,
            self.line,
            self.column,
            self.severity,
            &self.message,
        )
    }

    fn location(&self) -> String {
        if self.line == 0 {
            self.path.clone()
        } else {
            format!("{}:{}:{}", self.path, self.line, self.column)
        }
    }
}

/// 1-based line and character column of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    // memchr counts with SIMD: dossier.json asks this for every citation.
    let line_start = memchr::memrchr(b'\n', before.as_bytes()).map_or(0, |i| i + 1);
    let line = memchr::memchr_iter(b'\n', before.as_bytes()).count() + 1;
    (line, before[line_start..].chars().count() + 1)
}

/// The sink that parse and resolve report into.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Records one diagnostic.
    pub(crate) fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Records many.
    pub(crate) fn extend(&mut self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(diagnostics);
    }

    /// The diagnostics, in the order they were reported.
    pub(crate) fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }

    /// Reads again, from `root`, the files of the diagnostics made without
    /// their text, so that they are shown with their lines. A file that
    /// is gone or whose bytes changed since it was parsed (an editor saved
    /// it during the build) is left unread: its diagnostics keep their
    /// line and column, and show no snippet that might not match them.
    pub(crate) fn read_texts(&mut self, root: &std::path::Path) {
        let mut read: std::collections::HashMap<(String, u64), Option<Arc<str>>> =
            std::collections::HashMap::new();
        for d in &mut self.items {
            let (Some(hash), None) = (d.unread, &d.text) else {
                continue;
            };
            let text = read
                .entry((d.path.clone(), hash))
                .or_insert_with(|| {
                    let bytes = std::fs::read(root.join(&d.path)).ok()?;
                    if crate::parse::content_hash(&[&bytes]) != hash {
                        return None;
                    }
                    let file = crate::load::RawFile {
                        path: d.path.clone(),
                        bytes,
                    };
                    let (text, _) = crate::parse::source::decode(&file).ok()?;
                    Some(Arc::from(text))
                })
                .clone();
            if let Some(text) = text {
                d.span.start = d.span.start.min(text.len());
                d.span.end = d.span.end.clamp(d.span.start, text.len());
                d.text = Some(text);
            }
        }
    }

    /// Number of errors (warnings not counted).
    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    /// All diagnostics sorted by file, line and column.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut items: Vec<&Diagnostic> = self.items.iter().collect();
        items.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        items
    }
}

/// How `check` and `build` print diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// Snippets with a caret, for people.
    #[default]
    Human,
    /// One JSON object a line, for tools.
    Json,
    /// GitHub Actions workflow commands, for pull-request annotations.
    Github,
}

/// Writes every diagnostic to standard error in the chosen format.
pub fn emit(diagnostics: &Diagnostics, format: Format) -> std::io::Result<()> {
    let stderr = std::io::stderr();
    match format {
        Format::Human => {
            let color =
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && stderr.is_terminal();
            let choice = if color {
                ColorChoice::Auto
            } else {
                ColorChoice::Never
            };
            let stream = StandardStream::stderr(choice);
            let mut lock = stream.lock();
            let config = TermConfig::default();
            for d in diagnostics.sorted() {
                emit_human(&mut lock, &config, d)?;
            }
            Ok(())
        }
        Format::Json | Format::Github => {
            let mut out = stderr.lock();
            for d in diagnostics.sorted() {
                let line = if format == Format::Json {
                    json_line(d)
                } else {
                    github_line(d)
                };
                writeln!(out, "{line}")?;
            }
            Ok(())
        }
    }
}

/// Renders diagnostics as plain human text (no colour), as `emit` prints them.
pub fn to_human_string(diagnostics: &Diagnostics) -> String {
    let config = TermConfig::default();
    let mut out = String::new();
    for d in diagnostics.sorted() {
        let mut buf = Vec::new();
        let mut writer = codespan_reporting::term::termcolor::NoColor::new(&mut buf);
        // Writing into memory cannot fail.
        let _ = emit_human(&mut writer, &config, d);
        out.push_str(&String::from_utf8_lossy(&buf));
    }
    out
}

fn emit_human<W>(writer: &mut W, config: &TermConfig, d: &Diagnostic) -> std::io::Result<()>
where
    W: codespan_reporting::term::WriteStyle + ?Sized,
{
    let report = match d.severity {
        Severity::Error => Report::error(),
        Severity::Warning => Report::warning(),
    }
    .with_message(d.message.clone())
    .with_notes(d.help.iter().map(|h| format!("help: {h}")).collect());
    match &d.text {
        Some(text) => {
            let file = SimpleFile::new(d.path.as_str(), text.as_ref());
            let report = report.with_labels(vec![Label::primary((), d.span.clone())]);
            term::emit_to_write_style(writer, config, &file, &report).map_err(std::io::Error::other)
        }
        None => {
            let mut text = String::new();
            let word = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let _ = writeln!(text, "{word}: {}", d.message);
            let _ = writeln!(text, "  ┌─ {}", d.location());
            for h in &d.help {
                let _ = writeln!(text, "  = help: {h}");
            }
            text.push('\n');
            writer.write_all(text.as_bytes())
        }
    }
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: Severity,
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
    help: &'a [String],
}

fn json_line(d: &Diagnostic) -> String {
    let value = JsonDiagnostic {
        severity: d.severity,
        file: &d.path,
        line: d.line,
        column: d.column,
        message: &d.message,
        help: &d.help,
    };
    serde_json::to_string(&value).unwrap_or_default()
}

/// GitHub workflow commands need `%`, CR and LF escaped in the message, and
/// also `,` and `:` in properties.
fn github_line(d: &Diagnostic) -> String {
    fn escape(s: &str, property: bool) -> String {
        let mut out = s
            .replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A");
        if property {
            out = out.replace(':', "%3A").replace(',', "%2C");
        }
        out
    }
    let kind = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut message = d.message.clone();
    for h in &d.help {
        message.push('\n');
        message.push_str(h);
    }
    let mut props = format!("file={}", escape(&d.path, true));
    if d.line > 0 {
        let _ = write!(props, ",line={},col={}", d.line, d.column);
    }
    format!("::{kind} {props}::{}", escape(&message, false))
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location(), self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let text = "ab\ncé d\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        // 'é' is two bytes but one column.
        assert_eq!(line_column(text, 6), (2, 3));
    }

    /// A diagnostic made after its file's text was let go shows the line
    /// read again from the file, but only while the file still has the
    /// bytes it was made from: a file saved since keeps its line and column
    /// and shows no snippet.
    #[test]
    fn a_file_read_again_shows_its_line_only_while_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let before = "\u{feff}intro\nsaid [@memo \"x\"] here\n";
        std::fs::write(dir.path().join("t.md"), before).unwrap();
        // The span is in the text without its byte-order mark.
        let span = 11..23;
        let d = || {
            Diagnostic::unread(
                "t.md",
                (2, 6),
                span.clone(),
                crate::parse::content_hash(&[before.as_bytes()]),
                "quoted words are not in source `memo`".into(),
            )
        };
        let mut sink = Diagnostics::default();
        sink.push(d());
        sink.read_texts(dir.path());
        let shown = to_human_string(&sink);
        assert!(shown.contains("t.md:2:6"), "{shown}");
        assert!(shown.contains("2 │ said [@memo \"x\"] here"), "{shown}");
        assert!(shown.contains("^^^^^^^^^^^^"), "{shown}");

        std::fs::write(dir.path().join("t.md"), "rewritten\n").unwrap();
        let mut sink = Diagnostics::default();
        sink.push(d());
        sink.read_texts(dir.path());
        let shown = to_human_string(&sink);
        assert!(shown.contains("t.md:2:6"), "{shown}");
        assert!(
            !shown.contains("rewritten") && !shown.contains('^'),
            "{shown}"
        );

        std::fs::remove_file(dir.path().join("t.md")).unwrap();
        let mut sink = Diagnostics::default();
        sink.push(d());
        sink.read_texts(dir.path());
        assert!(to_human_string(&sink).contains("t.md:2:6"));
    }

    #[test]
    fn github_format_escapes_newlines_and_property_separators() {
        let text: Arc<str> = Arc::from("x\ny\n");
        let d = Diagnostic::at("a,b.md", &text, 2..3, "bad\nthing".into()).with_help("fix");
        assert_eq!(
            github_line(&d),
            "::error file=a%2Cb.md,line=2,col=1::bad%0Athing%0Afix"
        );
    }

    #[test]
    fn sorted_orders_by_file_then_line() {
        let text: Arc<str> = Arc::from("a\nb\nc\n");
        let mut sink = Diagnostics::default();
        sink.push(Diagnostic::at("b.md", &text, 0..1, "3".into()));
        sink.push(Diagnostic::at("a.md", &text, 4..5, "2".into()));
        sink.push(Diagnostic::at("a.md", &text, 0..1, "1".into()));
        let order: Vec<&str> = sink.sorted().iter().map(|d| d.message.as_str()).collect();
        assert_eq!(order, ["1", "2", "3"]);
    }
}
