//! Answering one HTTP request from the in-memory site.
//!
//! Paths are percent-decoded and checked before lookup: a `..` or `.`
//! segment, a backslash, a NUL or an over-long path is a 404. Lookup is in
//! the site map only, so nothing outside the built site can be reached.
//! HTML gets the live-reload script and, after a failed rebuild, the
//! diagnostics overlay.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use percent_encoding::percent_decode_str;
use tiny_http::{Header, Request, Response, StatusCode};

use super::Shared;
use crate::render::templates::escape;

const LIVE_JS: &str = r#"// dossier serve: reload the page when a rebuild changed it.
(function () {
  "use strict";
  var source = new EventSource("/__dossier/events");
  var first = true;
  source.addEventListener("reload", function (event) {
    if (first) { first = false; return; }
    var changed = null;
    try { changed = JSON.parse(event.data).changed; } catch (e) { changed = null; }
    if (changed === null || changed.indexOf(window.location.pathname) >= 0) {
      window.location.reload();
    }
  });
})();
"#;

const OVERLAY_CSS: &str = ".dossier-overlay{position:fixed;inset:auto 1rem 1rem 1rem;max-height:60vh;overflow:auto;z-index:1000;background:#fff4f4;color:#3b0000;border:2px solid #b00020;border-radius:8px;padding:1rem 1.25rem;font:14px/1.45 ui-monospace,Menlo,Consolas,monospace;box-shadow:0 8px 30px rgb(0 0 0/.3)}.dossier-overlay h2{font:700 16px/1.3 system-ui,sans-serif;margin:0 0 .5rem}.dossier-overlay pre{white-space:pre-wrap;margin:0}";

const MAX_PATH: usize = 2048;

pub(super) fn answer(request: Request, shared: &Arc<Shared>) {
    let url = request.url().to_owned();
    let path = url.split(['?', '#']).next().unwrap_or("/");
    let response = match path {
        "/__dossier/events" => return events(request, shared),
        "/__dossier/live.js" => Ok(text(LIVE_JS, "text/javascript; charset=utf-8")),
        "/__dossier/overlay.css" => Ok(text(OVERLAY_CSS, "text/css; charset=utf-8")),
        _ => page(path, shared),
    };
    let response = response.unwrap_or_else(|()| not_found(shared));
    // The client may have gone away; nothing to do about it.
    let _ = request.respond(response);
}

fn text(body: &str, content_type: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    Response::from_data(body.as_bytes().to_vec()).with_header(header("Content-Type", content_type))
}

/// A header from names and values written in this file (all ASCII).
fn header(name: &str, value: &str) -> Header {
    match Header::from_bytes(name.as_bytes(), value.as_bytes()) {
        Ok(h) => h,
        // Unreachable for ASCII input; an inert header keeps the response valid.
        Err(()) => Header {
            field: "X-Dossier"
                .parse()
                .unwrap_or_else(|_| unreachable!("ASCII header name")),
            value: Default::default(),
        },
    }
}

/// The site-relative file a URL path names, or `None` if it is not a path
/// the site could hold.
pub(crate) fn site_path(url_path: &str) -> Option<String> {
    if url_path.len() > MAX_PATH || !url_path.starts_with('/') {
        return None;
    }
    let decoded = percent_decode_str(url_path).decode_utf8().ok()?;
    if decoded.contains(['\\', '\0']) || decoded.starts_with("//") {
        return None;
    }
    let rel = decoded.trim_start_matches('/');
    if rel.split('/').any(|seg| seg == ".." || seg == ".") {
        return None;
    }
    if rel.is_empty() || rel.ends_with('/') {
        Some(format!("{rel}index.html"))
    } else {
        Some(rel.to_owned())
    }
}

fn page(url_path: &str, shared: &Shared) -> Result<Response<std::io::Cursor<Vec<u8>>>, ()> {
    let path = site_path(url_path).ok_or(())?;
    let site = shared.site.read().map_err(|_| ())?;
    let (path, bytes) = match site.files.get(&path) {
        Some(bytes) => (path, Arc::clone(bytes)),
        None => {
            // `/topics/x` without its slash: serve the folder's index.
            let index = format!("{path}/index.html");
            let bytes = site.files.get(&index).ok_or(())?;
            (index, Arc::clone(bytes))
        }
    };
    let errors = site.errors.clone();
    drop(site);
    let content_type = content_type(&path);
    let body = if content_type.starts_with("text/html") {
        inject(&bytes, errors.as_deref())
    } else {
        bytes.to_vec()
    };
    Ok(Response::from_data(body)
        .with_header(header("Content-Type", content_type))
        .with_header(header("Cache-Control", "no-store")))
}

fn not_found(shared: &Shared) -> Response<std::io::Cursor<Vec<u8>>> {
    let site = shared.site.read();
    let body = match site.as_ref().ok().and_then(|s| {
        s.files
            .get("404.html")
            .map(|b| (Arc::clone(b), s.errors.clone()))
    }) {
        Some((bytes, errors)) => inject(&bytes, errors.as_deref()),
        None => {
            let errors = site.as_ref().ok().and_then(|s| s.errors.clone());
            inject(b"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found</title></head><body><h1>Not found</h1></body></html>", errors.as_deref())
        }
    };
    Response::from_data(body)
        .with_status_code(StatusCode(404))
        .with_header(header("Content-Type", "text/html; charset=utf-8"))
}

/// Adds the reload script (and the error overlay) to an HTML page.
fn inject(html: &[u8], errors: Option<&str>) -> Vec<u8> {
    let html = String::from_utf8_lossy(html);
    let mut head = String::from("<script src=\"/__dossier/live.js\" defer></script>");
    let mut body = String::new();
    if let Some(errors) = errors {
        head.push_str("<link rel=\"stylesheet\" href=\"/__dossier/overlay.css\">");
        body = format!(
            "<div class=\"dossier-overlay\" role=\"alert\"><h2>The last rebuild failed; this is the last good build.</h2><pre>{}</pre></div>",
            escape(errors)
        );
    }
    let with_head = match html.find("</head>") {
        Some(i) => format!("{}{head}{}", &html[..i], &html[i..]),
        None => format!("{head}{html}"),
    };
    let out = match with_head.rfind("</body>") {
        Some(i) => format!("{}{body}{}", &with_head[..i], &with_head[i..]),
        None => format!("{with_head}{body}"),
    };
    out.into_bytes()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// A server-sent events stream: one `reload` event per rebuild, and a
/// comment every 15 s to notice a closed connection.
///
/// tiny_http buffers chunked bodies in 8 KiB chunks, which would hold events
/// back; taking the raw connection (its `upgrade`, with no body framing)
/// lets each event be flushed as it happens. The stream ends when the
/// browser goes away and a write fails.
fn events(request: Request, shared: &Arc<Shared>) {
    let headers = vec![
        header("Content-Type", "text/event-stream"),
        header("Cache-Control", "no-store"),
    ];
    let response = Response::new(StatusCode(200), headers, std::io::empty(), None, None);
    let mut stream = request.upgrade("dossier-events", response);
    let mut seen = shared.generation.lock().map(|g| g.current).unwrap_or(0);
    // The first event tells the page it is connected; reloads follow.
    let mut message = reload_event(seen, Some(&[]));
    loop {
        if stream
            .write_all(message.as_bytes())
            .and_then(|()| stream.flush())
            .is_err()
        {
            return;
        }
        let Ok(guard) = shared.generation.lock() else {
            return;
        };
        let Ok((guard, _)) =
            shared
                .changed
                .wait_timeout_while(guard, Duration::from_secs(15), |g| g.current == seen)
        else {
            return;
        };
        if guard.current == seen {
            message = ": keep-alive\n\n".to_owned();
        } else {
            let changed = guard.changed_since(seen);
            seen = guard.current;
            message = reload_event(seen, changed.as_deref());
        }
    }
}

/// A `reload` event: the generation, and the URL paths that changed (JSON
/// `null` when any page may have).
fn reload_event(generation: u64, changed: Option<&[String]>) -> String {
    let data = serde_json::json!({ "generation": generation, "changed": changed });
    format!("event: reload\ndata: {data}\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_paths_never_leave_the_site() {
        let cases: &[(&str, Option<&str>)] = &[
            ("/", Some("index.html")),
            ("/topics/x/", Some("topics/x/index.html")),
            ("/style.css", Some("style.css")),
            ("/a%20b.txt", Some("a b.txt")),
            ("/../etc/passwd", None),
            ("/%2e%2e/etc/passwd", None),
            ("/topics/%2E%2E/%2E%2E/x", None),
            ("/a/%2f..%2f..%2fx", None),
            ("/..%5c..%5cx", None),
            ("/a\\b", None),
            ("//etc/passwd", None),
            ("/%00", None),
            ("relative", None),
            ("/./x", None),
        ];
        for (input, expected) in cases {
            assert_eq!(site_path(input).as_deref(), *expected, "{input}");
        }
        assert_eq!(site_path(&format!("/{}", "a".repeat(5000))), None);
    }

    #[test]
    fn inject_adds_script_and_overlay() {
        let html = b"<html><head></head><body><p>x</p></body></html>";
        let out = String::from_utf8(inject(html, Some("bad <thing>"))).unwrap();
        assert!(out.contains(
            "<script src=\"/__dossier/live.js\" defer></script><link rel=\"stylesheet\" href=\"/__dossier/overlay.css\"></head>"
        ));
        let clean = String::from_utf8(inject(html, None)).unwrap();
        assert!(clean.contains("<script src=\"/__dossier/live.js\" defer></script></head>"));
        assert!(!clean.contains("overlay"));
        assert!(out.contains("<pre>bad &lt;thing&gt;</pre></div></body>"));
    }
}
