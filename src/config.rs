//! `dossier.toml`: the site's configuration.
//!
//! Read in the parse stage like any other content file, so a bad key is a
//! diagnostic with line and column rather than an I/O error.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::diagnostics::Diagnostic;
use crate::frontmatter::nearest_key_help;

/// The site configuration.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    /// Site title, shown in every page's header.
    pub title: String,
    /// One or two sentences about the dossier.
    #[serde(default)]
    pub description: String,
    /// Where the site is published; its path part prefixes every link.
    #[serde(default)]
    pub base_url: String,
    /// Language of the pages (`lang` attribute).
    #[serde(default = "default_language")]
    pub language: String,
    /// Who publishes the dossier.
    #[serde(default)]
    pub author: String,
    /// The largest source text a build accepts, in MiB.
    #[serde(default = "default_max_source_mib")]
    pub max_source_mib: u32,
}

fn default_language() -> String {
    "en".to_owned()
}

/// A capture of a long report is well under a MiB; a source larger than
/// this is more likely a mistake (a PDF's bytes, a log) than an article,
/// and would slow every build.
pub(crate) const DEFAULT_MAX_SOURCE_MIB: u32 = 4;

fn default_max_source_mib() -> u32 {
    DEFAULT_MAX_SOURCE_MIB
}

impl Config {
    /// The largest source text a build accepts, in bytes.
    pub(crate) fn max_source_bytes(&self) -> usize {
        (self.max_source_mib as usize).saturating_mul(1024 * 1024)
    }
}

impl Config {
    /// Parses `dossier.toml`; errors are located in the file.
    pub(crate) fn parse(path: &str, text: &Arc<str>) -> Result<Config, Diagnostic> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let message = e.message().trim().to_owned();
            let d = Diagnostic::at(path, text, span, message.clone());
            match nearest_key_help(&message) {
                Some(help) => d.with_help(help),
                None => d,
            }
        })?;
        if config.title.trim().is_empty() {
            let span = text.find("title").map_or(0..0, |i| i..i + 5);
            return Err(Diagnostic::at(
                path,
                text,
                span,
                "`title` must not be empty".into(),
            ));
        }
        if !config.base_url.is_empty()
            && let Err(message) = check_base_url(&config.base_url)
        {
            let span = text.find("base_url").map_or(0..0, |i| i..i + 8);
            return Err(Diagnostic::at(path, text, span, message));
        }
        config.base_url = normalise_base_url(&config.base_url);
        Ok(config)
    }
}

/// A base URL must be absolute http(s) or a root-relative path.
pub(crate) fn check_base_url(value: &str) -> Result<(), String> {
    if value.starts_with('/') {
        return Ok(());
    }
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
        _ => Err(format!(
            "`base_url` must be an http(s) URL or a path starting with `/`, not `{value}`"
        )),
    }
}

/// Ends the base URL with exactly one `/`, so links can be appended.
pub(crate) fn normalise_base_url(value: &str) -> String {
    let trimmed = value.trim().trim_end_matches('/');
    format!("{trimmed}/")
}

/// The path part of a base URL (`/` or `/sub/path/`): the prefix of every link.
pub(crate) fn base_path(base_url: &str) -> String {
    if base_url.starts_with('/') {
        return base_url.to_owned();
    }
    match url::Url::parse(base_url) {
        Ok(u) => {
            let p = u.path().trim_end_matches('/');
            format!("{p}/")
        }
        Err(_) => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_path_takes_the_path_of_the_url() {
        assert_eq!(base_path("https://example.org/"), "/");
        assert_eq!(base_path("https://example.org/dossier/"), "/dossier/");
        assert_eq!(base_path("/"), "/");
        assert_eq!(
            base_path(&normalise_base_url("http://127.0.0.1:8000/a/b")),
            "/a/b/"
        );
    }

    #[test]
    fn unknown_key_is_located_and_suggests_the_nearest() {
        let text: Arc<str> = Arc::from("title = \"x\"\ndescriptoin = \"y\"\n");
        let d = Config::parse("dossier.toml", &text).unwrap_err();
        assert_eq!((d.line, d.column), (2, 1));
        assert!(d.message.contains("descriptoin"), "{}", d.message);
        assert_eq!(d.help, ["did you mean `description`?"]);
    }

    #[test]
    fn base_url_must_be_http() {
        let text: Arc<str> = Arc::from("title = \"x\"\nbase_url = \"ftp://x/\"\n");
        let d = Config::parse("dossier.toml", &text).unwrap_err();
        assert_eq!(d.line, 2);
    }
}
