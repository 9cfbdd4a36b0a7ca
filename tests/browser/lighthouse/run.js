// Lighthouse on the repository's dossier, built under /dossier/ and served
// from 127.0.0.1: the home page and one topic page, on a simulated phone
// (Lighthouse's default). A guide, run by hand (`npm run lighthouse`), not
// part of CI: its performance score moves from run to run on two cores.
// Accessibility and SEO are expected at 1.0; the process exits 1 if not.
// Reports are written to target/browser/lighthouse/.
import fs from "node:fs";
import path from "node:path";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import { ARGS, CHROMIUM } from "../lib/chromium.js";
import { artifactsDir, buildAndServe } from "../lib/site.js";

const PAGES = { home: "", topic: "topics/new-start/" };
const CATEGORIES = ["performance", "accessibility", "best-practices", "seo"];
const MUST_BE_PERFECT = ["accessibility", "seo"];

const out = artifactsDir("lighthouse");
const site = await buildAndServe("repo");
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH || CHROMIUM,
  chromeFlags: ["--headless=new", ...ARGS],
});
let failed = false;
try {
  const rows = [];
  for (const [name, rel] of Object.entries(PAGES)) {
    const result = await lighthouse(site.url(rel), {
      port: chrome.port,
      output: ["html", "json"],
      onlyCategories: CATEGORIES,
      logLevel: "error",
    });
    const [html, json] = result.report;
    fs.writeFileSync(path.join(out, `${name}.html`), html);
    fs.writeFileSync(path.join(out, `${name}.json`), json);
    const lhr = result.lhr;
    const row = { page: `/${rel}` };
    for (const c of CATEGORIES) row[c] = lhr.categories[c].score;
    rows.push(row);
    for (const c of MUST_BE_PERFECT) {
      if (lhr.categories[c].score !== 1) {
        failed = true;
        const audits = lhr.categories[c].auditRefs
          .map((r) => lhr.audits[r.id])
          .filter((a) => a.score !== null && a.score < 1)
          .map((a) => `  - ${a.id}: ${a.title}`);
        console.error(`${name}: ${c} is ${lhr.categories[c].score}\n${audits.join("\n")}`);
      }
    }
  }
  console.table(rows);
  console.log(`reports: ${out}`);
} finally {
  await chrome.kill();
  await site.close();
}
process.exit(failed ? 1 : 0);
