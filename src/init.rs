//! `dossier init DIR`: a small dossier that builds and checks at once.
//!
//! It has a config, a home page, one topic and one source with its sidecar;
//! no templates or static files, since the built-in ones serve. A folder
//! that exists and is not empty is refused, so nothing is overwritten.

use std::path::Path;

use anyhow::{Result, bail};

use crate::fs;

const FILES: &[(&str, &str)] = &[
    (
        "dossier.toml",
        r#"title = "My dossier"
description = "Claims about one subject, each citing and quoting its source."
base_url = "/"
language = "en"
author = ""
"#,
    ),
    (
        "content/index.md",
        r#"---
title: My dossier
---

Every claim in these notes carries a numbered note that quotes its source.
Follow a number to read the passage, highlighted, in the captured article.
"#,
    ),
    (
        "content/topics/harbour-bridge.md",
        r#"---
title: The harbour bridge repairs
summary: What the council decided about repairing the harbour bridge, and when the work is due to end.
updated: 2026-01-15
tags: [infrastructure]
people: [Mara Lind]
aliases: [harbour bridge]
---

The council approved the repairs at its March meeting.[@council-bulletin "voted to approve the repair of the harbour bridge"]
The work is expected to close the bridge to cars for six weeks.[@council-bulletin "closed to motor traffic for about six weeks"]

## Cost

The engineer's estimate puts the cost at 2.4 million.[@council-bulletin "estimated the cost at 2.4 million"]
"#,
    ),
    (
        "content/sources/council-bulletin.txt",
        "Council approves bridge repairs\n\nAt its March meeting the town council voted to approve the repair of\nthe harbour bridge, whose deck was found to be corroded last winter.\n\nMara Lind, the town engineer, estimated the cost at 2.4 million and said\nthe bridge would be closed to motor traffic for about six weeks. Cyclists\nand pedestrians will be able to cross throughout.\n",
    ),
    (
        "content/sources/council-bulletin.yaml",
        r#"title: Council approves bridge repairs
publisher: Town council bulletin
published: 2026-01-12
language: en
note: |
  An example source: replace it with a capture of your own. Keep the text
  exactly as captured; put your assessment of it here.
"#,
    ),
];

/// Writes the example dossier into `dir`.
pub fn init(dir: &Path) -> Result<()> {
    if dir.exists() {
        if !dir.is_dir() {
            bail!("{} exists and is not a folder", dir.display());
        }
        if !fs::is_empty_dir(dir)? {
            bail!(
                "{} is not empty; choose a new or empty folder",
                dir.display()
            );
        }
    }
    for (path, text) in FILES {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&target, text.as_bytes())?;
    }
    Ok(())
}
