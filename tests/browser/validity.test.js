// Validity: the Nu HTML Checker (vnu.jar, on the machine's Java) over every
// HTML file of both builds, with the stylesheet and the SVG favicon: zero
// errors. The Atom feed and the sitemap parse as XML (Chromium's own
// parser) and say what they should; dossier.json parses as JSON.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { after, describe, test } from "node:test";
import { launch, openPage } from "./lib/browser.js";
import { buildAndServe, pageKind, pageUrlPath } from "./lib/site.js";

const VNU = createRequire(import.meta.url).resolve("vnu-jar/build/dist/vnu.jar");
const JAVA = process.env.JAVA || "java";

const sites = [await buildAndServe("repo"), await buildAndServe("fixture")];
const browser = await launch();
after(async () => {
  await browser.close();
  for (const site of sites) await site.close();
});

/** Runs vnu.jar over files; resolves to its parsed JSON report. */
function vnu(files) {
  // vnu reads the files from disk (it refuses to fetch from 127.0.0.1), so
  // the pages' Content-Security-Policy 'self' is a file: origin that no
  // /dossier/… address can match, and vnu warns about every stylesheet and
  // script. Those warnings say nothing about the site; the browser tests
  // check the policy for real (a blocked resource is a console error).
  const args = [
    "-Xss4m",
    "-jar",
    VNU,
    "--format",
    "json",
    "--also-check-css",
    "--also-check-svg",
    "--filterpattern",
    "Resource violates Content Security Policy.*",
    ...files,
  ];
  return new Promise((resolve, reject) => {
    // vnu exits 1 when it finds errors; its report is on stderr either way.
    execFile(JAVA, args, { maxBuffer: 64 << 20 }, (err, _stdout, stderr) => {
      try {
        resolve(JSON.parse(stderr));
      } catch {
        reject(err || new Error(`vnu printed no JSON report:\n${stderr}`));
      }
    });
  });
}

test("Nu HTML Checker: every HTML file, the stylesheet and the favicon of both builds, zero errors", async (t) => {
  const files = [];
  for (const site of sites) {
    for (const f of site.files()) {
      if (/\.(html|css|svg)$/.test(f)) files.push(path.join(site.out, f));
    }
  }
  assert.ok(files.filter((f) => f.endsWith(".html")).length >= 10, "there are pages to check");
  const report = await vnu(files);
  const where = (m) => `${(m.url ?? "?").replace(/^file:.*?\/site\//, "")}:${m.lastLine ?? "?"}:${m.firstColumn ?? m.lastColumn ?? "?"}`;
  const errors = report.messages.filter((m) => m.type !== "info"); // "error", "non-document-error"
  const warnings = report.messages.filter((m) => m.type === "info" && m.subType === "warning");
  for (const w of warnings) t.diagnostic(`vnu warning ${where(w)}: ${w.message}`);
  t.diagnostic(`vnu checked ${files.length} files: ${errors.length} errors, ${warnings.length} warnings`);
  assert.deepEqual(
    errors.map((m) => `${where(m)}: ${m.message} [${(m.extract || "").replace(/\s+/g, " ").slice(0, 120)}]`),
    [],
    "vnu errors",
  );
});

for (const site of sites) {
  describe(`${site.name} dossier: feeds and data`, () => {
    test("atom.xml and sitemap.xml parse as XML and list the pages", async () => {
      const tab = await openPage(browser);
      try {
        const { page } = tab;
        await page.goto(site.url());
        const parse = (name) =>
          page.evaluate((text) => {
            const doc = new DOMParser().parseFromString(text, "application/xml");
            const err = doc.getElementsByTagName("parsererror")[0];
            const ns = doc.documentElement.namespaceURI;
            const texts = (tag) => [...doc.getElementsByTagNameNS(ns, tag)].map((e) => e.textContent.trim());
            const attrs = (tag, attr) => [...doc.getElementsByTagNameNS(ns, tag)].map((e) => e.getAttribute(attr));
            return {
              error: err ? err.textContent : null,
              root: doc.documentElement.localName,
              ns,
              entryTitles: texts("title"),
              ids: texts("id"),
              links: attrs("link", "href"),
              updated: texts("updated"),
              locs: texts("loc"),
              lastmods: texts("lastmod"),
            };
          }, fs.readFileSync(path.join(site.out, name), "utf8"));

        const topics = site.pages().filter((p) => pageKind(p) === "topic").map((p) => site.url(pageUrlPath(p)));
        const atom = await parse("atom.xml");
        assert.equal(atom.error, null, "atom.xml is well-formed XML");
        assert.equal(atom.root, "feed");
        assert.equal(atom.ns, "http://www.w3.org/2005/Atom");
        for (const u of atom.updated) assert.match(u, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/, "RFC 3339 dates");
        for (const url of topics) assert.ok(atom.links.includes(url), `the feed links to ${url}`);
        for (const link of atom.links) assert.ok(link.startsWith(site.base), `feed link ${link} is under ${site.base}`);

        const sitemap = await parse("sitemap.xml");
        assert.equal(sitemap.error, null, "sitemap.xml is well-formed XML");
        assert.equal(sitemap.root, "urlset");
        assert.equal(sitemap.ns, "http://www.sitemaps.org/schemas/sitemap/0.9");
        for (const url of topics) assert.ok(sitemap.locs.includes(url), `the sitemap lists ${url}`);
        for (const loc of sitemap.locs) {
          assert.ok(loc.startsWith(site.base), `sitemap URL ${loc} is under ${site.base}`);
          const res = await page.request.get(loc);
          assert.equal(res.status(), 200, `${loc} is served`);
        }
        for (const d of sitemap.lastmods) assert.match(d, /^\d{4}-\d\d-\d\d/);

        const robots = fs.readFileSync(path.join(site.out, "robots.txt"), "utf8");
        assert.match(robots, new RegExp(`^Sitemap: ${site.url("sitemap.xml").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
        tab.assertClean();
      } finally {
        await tab.close();
      }
    });

    test("dossier.json parses as JSON", () => {
      const data = JSON.parse(fs.readFileSync(path.join(site.out, "dossier.json"), "utf8"));
      assert.equal(typeof data, "object");
    });
  });
}
