// The screenshots in the README: `npm run screenshots` rebuilds the
// repository's dossier with the release binary (DOSSIER_BIN to use another)
// and writes docs/*.png. Not a test; run it after changing the look of a
// page, look at the pictures, and commit them.
import fs from "node:fs";
import path from "node:path";
import { launch, openPage } from "./lib/browser.js";
import { REPO, buildAndServe } from "./lib/site.js";

const DOCS = path.join(REPO, "docs");
fs.mkdirSync(DOCS, { recursive: true });

const browser = await launch();
const site = await buildAndServe("repo");
const desktop = { viewport: { width: 1280, height: 860 } };
const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

async function shot(name, options, visit) {
  const tab = await openPage(browser, options);
  try {
    await visit(tab.page);
    await tab.page.screenshot({ path: path.join(DOCS, name) });
    tab.assertClean();
    console.log(`docs/${name}`);
  } finally {
    await tab.close();
  }
}

try {
  await shot("home.png", desktop, (page) => page.goto(site.url("")));
  // A topic with the citation preview open, as a reader hovering note 2 sees it.
  await shot("topic.png", desktop, async (page) => {
    await page.goto(site.url("topics/afghan-bounties/"));
    await page.locator("sup.cite a").nth(1).hover();
    await page.locator(".cite-preview").waitFor({ state: "visible" });
  });
  // The source page as a reader arrives from a note: the passage targeted.
  await shot("source.png", desktop, async (page) => {
    await page.goto(site.url("topics/afghan-bounties/"));
    const href = await page.locator("p.note-links a").first().getAttribute("href");
    await page.goto(new URL(href, page.url()).href);
    await page.waitForTimeout(300);
  });
  const compare = site.pages().find((f) => f.startsWith("compare/"));
  await shot("compare.png", desktop, (page) => page.goto(site.url(compare.replace(/index\.html$/, ""))));
  await shot("phone-dark.png", { ...phone, colorScheme: "dark" }, async (page) => {
    await page.goto(site.url("topics/navalny/"));
  });
} finally {
  await browser.close();
  await site.close();
}
