// Layout: nothing overflows sideways on a 390 px phone, and screenshots of
// each kind of page at 1280 px, at 390 px, in the dark scheme and as
// printed are saved under target/browser/screenshots/ for a person to look
// at (they are not compared with anything).
import assert from "node:assert/strict";
import path from "node:path";
import { after, describe, test } from "node:test";
import { TABS, launch, openPage } from "./lib/browser.js";
import { artifactsDir, buildAndServe, pageKind, pageUrlPath } from "./lib/site.js";

const SHOTS = artifactsDir("screenshots");
const VARIANTS = {
  "1280": { viewport: { width: 1280, height: 900 } },
  "390": { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
  dark: { viewport: { width: 1280, height: 900 }, colorScheme: "dark" },
  print: { viewport: { width: 1280, height: 900 }, media: "print" },
};

/** What the search page's screenshots search for. */
const QUERY = { repo: "Navalny poisoned", fixture: "bridge" };

const browser = await launch();
const sites = [await buildAndServe("repo"), await buildAndServe("fixture")];
after(async () => {
  await browser.close();
  for (const site of sites) await site.close();
});

/** The first page of each kind (the home page, a topic, a source, …). */
function onePerKind(site) {
  const seen = new Map();
  for (const file of site.pages()) {
    const kind = pageKind(file);
    if (!seen.has(kind)) seen.set(kind, file);
  }
  return seen;
}

for (const site of sites) {
  describe(`${site.name} dossier`, { concurrency: TABS }, () => {
    test("no page is wider than a 390 px phone", async () => {
      const tab = await openPage(browser, VARIANTS["390"]);
      try {
        const wide = [];
        for (const file of site.pages()) {
          await tab.page.goto(site.url(pageUrlPath(file)));
          const w = await tab.page.evaluate(() => {
            const over = [...document.querySelectorAll("body *")]
              .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
              .filter((e) => getComputedStyle(e).position !== "absolute" || e.getBoundingClientRect().width > 0)
              .slice(0, 3)
              .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")}`);
            return { scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, over };
          });
          if (w.scroll > w.client) wide.push(`${file}: ${w.scroll}px > ${w.client}px (${w.over.join(", ")})`);
        }
        assert.deepEqual(wide, []);
        tab.assertClean();
      } finally {
        await tab.close();
      }
    });

    for (const [variant, options] of Object.entries(VARIANTS)) {
      test(`screenshots at ${variant}`, async () => {
        const { media, ...contextOptions } = options;
        const tab = await openPage(browser, contextOptions);
        try {
          const { page } = tab;
          if (media) await page.emulateMedia({ media });
          for (const [kind, file] of onePerKind(site)) {
            let address = site.url(pageUrlPath(file));
            if (kind === "source") {
              // As a reader arrives from a note: a passage targeted.
              await page.goto(address);
              const q = await page.locator("mark[id]").first().getAttribute("id", { timeout: 1000 }).catch(() => null);
              if (q) address += `#${q}`;
            }
            if (kind === "search") address += `?q=${encodeURIComponent(QUERY[site.name])}`;
            await page.goto(address);
            if (kind === "search") await page.locator("#search-results a").first().waitFor();
            const name = `${site.name}-${kind}-${variant}.png`;
            await page.screenshot({ path: path.join(SHOTS, name), fullPage: kind !== "source" || variant === "print" });
            if (kind === "topic" && !media) {
              // The citation preview, open by keyboard focus.
              const link = page.locator("sup.cite a").nth(1);
              await link.focus();
              await page.locator(".cite-preview").waitFor({ state: "visible" });
              await page.locator(".cite-preview").scrollIntoViewIfNeeded();
              await page.screenshot({ path: path.join(SHOTS, `${site.name}-preview-${variant}.png`) });
            }
          }
          tab.assertClean();
        } finally {
          await tab.close();
        }
      });
    }
  });
}
