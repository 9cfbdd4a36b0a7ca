// Accessibility: axe-core's WCAG 2.1 A and AA rules on every page of both
// builds, in the light and the dark colour scheme, with no violation
// allowed. Source pages are checked with a passage targeted (its stronger
// highlight must keep the text readable) and topic pages with a citation
// preview open.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, describe, test } from "node:test";
import { TABS, launch, openPage } from "./lib/browser.js";
import { buildAndServe, pageKind, pageUrlPath } from "./lib/site.js";

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

const browser = await launch();
const sites = [await buildAndServe("repo"), await buildAndServe("fixture")];
after(async () => {
  await browser.close();
  for (const site of sites) await site.close();
});

/** Runs axe on the page as it is now; returns its violations, summarised. */
async function axe(page) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) {
    await page.addScriptTag({ path: AXE });
  }
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }),
    TAGS,
  );
  return results.violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary.replace(/\s+/g, " ").slice(0, 300)}`),
  }));
}

/**
 * The pages to check: all of them, except that of the many person pages
 * (one template, a name and a list of topics) two are enough.
 */
function pagesToCheck(site) {
  const persons = site.pages().filter((p) => pageKind(p) === "person");
  return site.pages().filter((p) => pageKind(p) !== "person" || persons.indexOf(p) < 2);
}

for (const site of sites) {
  describe(`axe, WCAG 2.1 A and AA: ${site.name} dossier`, { concurrency: TABS }, () => {
    for (const file of pagesToCheck(site)) {
      test(`${file}, light and dark`, async () => {
        // axe is injected as a script, which the pages' Content-Security-Policy
        // would block; the reading tests keep the policy on.
        const tab = await openPage(browser, { bypassCSP: true });
        const { page } = tab;
        const found = {};
        const check = async (label) => {
          for (const scheme of ["light", "dark"]) {
            await page.emulateMedia({ colorScheme: scheme });
            const dark = await page.evaluate(() => matchMedia("(prefers-color-scheme: dark)").matches);
            assert.equal(dark, scheme === "dark");
            const violations = await axe(page);
            if (violations.length) found[`${label}, ${scheme}`] = violations;
          }
        };
        try {
          const url = site.url(pageUrlPath(file));
          await page.goto(url);
          await check(file);
          const kind = pageKind(file);
          if (kind === "source") {
            // With a passage targeted, as a reader arrives from a note: its
            // stronger highlight must keep the text readable.
            const first = await page.locator("mark[id]").first().getAttribute("id", { timeout: 1000 }).catch(() => null);
            if (first) {
              await page.goto(`${url}#${first}`);
              await check(`${file}#${first}`);
            }
          }
          if (kind === "topic") {
            // With a citation preview open, as a keyboard reader sees it.
            const link = page.locator("sup.cite a").first();
            if (await link.count()) {
              await link.focus();
              await page.locator(".cite-preview").waitFor({ state: "visible" });
              await check(`${file} with a preview open`);
            }
          }
          tab.assertClean();
        } finally {
          await tab.close();
        }
        assert.deepEqual(found, {}, `axe found violations:\n${JSON.stringify(found, null, 2)}`);
      });
    }
  });
}
