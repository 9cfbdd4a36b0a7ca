// The reading experience, end to end, as a reader would check it by hand:
// claim → note → highlighted passage → back to the claim; citation previews
// by mouse and keyboard; print; search; and no page that logs an error or
// fails a request. Runs on the repository's dossier and on the `good`
// fixture, both built under the sub-path /dossier/.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { TABS, launch, openPage } from "./lib/browser.js";
import { eventually, passagePaint, waitForVisibleTarget } from "./lib/reader.js";
import { buildAndServe, pageKind, pageUrlPath } from "./lib/site.js";

const browser = await launch();
const sites = [await buildAndServe("repo"), await buildAndServe("fixture")];
after(async () => {
  await browser.close();
  for (const site of sites) await site.close();
});

/** Absolute form of `href` as read from a page at `pageUrl`. */
const abs = (href, pageUrl) => new URL(href, pageUrl).href;

for (const site of sites) {
  const topics = site.pages().filter((p) => pageKind(p) === "topic");

  describe(`${site.name} dossier`, { concurrency: TABS }, () => {
    test("has topics to read", () => {
      assert.ok(topics.length > 0, `no topic pages in ${site.out}`);
    });

    test("every page and file loads with no console error and no failed request", async () => {
      const tab = await openPage(browser);
      try {
        for (const file of site.pages()) {
          const res = await tab.page.goto(site.url(pageUrlPath(file)), { waitUntil: "load" });
          assert.equal(res.status(), 200, file);
          assert.equal(await tab.page.locator('link[rel="icon"]').count(), 1, `${file} names its favicon`);
          tab.assertClean(file);
        }
        // Every other file is served: raw captures, feeds, the search index.
        for (const file of site.files().filter((f) => !f.endsWith(".html"))) {
          const res = await tab.page.request.get(site.url(file));
          assert.equal(res.status(), 200, file);
        }
        // Every page names a favicon that exists, so no browser logs a 404 for
        // /favicon.ico.
        await tab.page.goto(site.url());
        const icon = await tab.page.locator('link[rel="icon"]').evaluate((l) => l.href);
        const res0 = await tab.page.request.get(icon);
        assert.equal(res0.status(), 200, icon);
        assert.match(res0.headers()["content-type"], /^image\//);
        // A missing address gets the site's own 404 page, styled, from any depth.
        const res = await tab.page.goto(site.url("topics/no-such-topic/"), { waitUntil: "load" });
        assert.equal(res.status(), 404);
        const problems = tab.problems().filter((p) => !p.includes("no-such-topic"));
        assert.deepEqual(problems, [], "the 404 page loads its assets");
        await assertStyled(tab.page);
        assert.match(await tab.page.locator("h1").innerText(), /not found/i);
      } finally {
        await tab.close();
      }
    });

    for (const file of topics) {
      const slug = file.split("/")[1];

      // One walk per topic, in reading order: click each citation, land on
      // its note; follow the note to the source page, where the passage is
      // highlighted and on screen; follow "cited in" back to the very
      // citation we came from, and go on to the next.
      test(`topic ${slug}: claim → note → highlighted passage → back to the claim, for every citation`, async () => {
        const tab = await openPage(browser);
        try {
          const { page } = tab;
          const topicUrl = site.url(pageUrlPath(file));
          await page.goto(topicUrl);
          const cites = await page.$$eval("sup.cite a", (as) => as.map((a) => ({ id: a.id, href: a.getAttribute("href") })));
          assert.ok(cites.length > 0, "the topic has citations");
          const visited = new Set();
          let passages = 0;
          for (const { id, href } of cites) {
            assert.match(id, /^cite-\d+-[a-z]+$/);
            assert.match(href, /^#note-\d+$/);
            // A preview left open by the pointer may cover this citation, as
            // it would for a reader: Escape closes it first.
            await page.keyboard.press("Escape");
            await page.locator(`sup.cite a#${id}`).click();
            let state = await waitForVisibleTarget(page);
            assert.ok(state.found && state.isTarget && state.inView, `citation ${id} → ${href}: ${JSON.stringify(state)}`);
            assert.equal(state.id, href.slice(1));
            assert.equal(state.tag, "li");
            const note = page.locator(`li${href}`);
            assert.equal(await note.locator(`.backlinks a[href="#${id}"]`).count(), 1, `${href} links back to #${id}`);

            if (visited.has(href)) continue;
            visited.add(href);
            if (await note.evaluate((li) => li.classList.contains("note-footnote"))) continue;

            const backlinks = await note.locator(":scope > .backlinks a").evaluateAll((as) => as.map((a) => a.href));
            const capture = note.locator(":scope > .note-links a:not(.external)").first();
            const captureHref = await capture.getAttribute("href");
            await capture.click();
            await page.waitForURL(abs(captureHref, topicUrl));
            const sourceUrl = page.url();
            let backs;
            if (captureHref.includes("#")) {
              passages++;
              state = await waitForVisibleTarget(page);
              assert.ok(state.found && state.isTarget && state.inView, `${href} → ${captureHref}: ${JSON.stringify(state)}`);
              assert.equal(state.tag, "mark", `${captureHref} is a <mark>`);
              const paint = await passagePaint(page, state.id);
              assert.deepEqual(paint.unhighlighted, [], `every word of ${state.id} is highlighted as the target: ${JSON.stringify(paint)}`);
              backs = page.locator(".cited-in a");
            } else {
              backs = page.locator(".whole-citers a");
            }
            // The source page links back to every place that cites this note,
            // and "cited in" returns to the citation we came from.
            const hrefs = await backs.evaluateAll((as) => as.map((a) => a.href));
            for (const b of backlinks) assert.ok(hrefs.includes(b), `${sourceUrl} links back to ${b}`);
            const here = abs(`#${id}`, topicUrl);
            assert.ok(hrefs.includes(here), `${sourceUrl} links back to #${id}`);
            await backs.nth(hrefs.indexOf(here)).click();
            await page.waitForURL(here);
            state = await waitForVisibleTarget(page);
            assert.ok(state.found && state.isTarget && state.inView, `back to #${id}: ${JSON.stringify(state)}`);
            assert.equal(state.id, id);
          }
          if (await page.locator("li.note-passage").count()) assert.ok(passages > 0);
          tab.assertClean();
        } finally {
          await tab.close();
        }
      });
    }

    test("citation preview opens on hover and on keyboard focus, and closes with Escape", async () => {
      const tab = await openPage(browser);
      try {
        const { page } = tab;
        await page.goto(site.url(pageUrlPath(topics[0])));
        const preview = page.locator(".cite-preview");
        const link = page.locator("sup.cite a").first();
        const noteId = (await link.getAttribute("href")).slice(1);
        const noteText = (await page.locator(`#${noteId} .note-quote, #${noteId} .note-text`).first().innerText()).trim();

        // Hover: the preview shows the note and describes the link.
        await link.hover();
        await preview.waitFor({ state: "visible" });
        assert.equal(await preview.getAttribute("role"), "tooltip");
        assert.ok((await preview.innerText()).includes(noteText.replace(/^“|”$/g, "").slice(0, 40)), "the preview shows the note");
        assert.equal(await link.getAttribute("aria-describedby"), await preview.getAttribute("id"));
        assert.equal(await preview.locator("[id]").count(), 0, "the preview copies no ids");
        const box = await preview.boundingBox();
        const vw = page.viewportSize().width;
        assert.ok(box.x >= 0 && box.x + box.width <= vw, `the preview fits the window: ${JSON.stringify(box)}`);
        // Moving away closes it.
        await page.mouse.move(2, 2);
        await preview.waitFor({ state: "detached" });

        // Keyboard: Tab until a citation has focus.
        await page.goto(site.url(pageUrlPath(topics[0])));
        await page.locator("body").click({ position: { x: 1, y: 1 } });
        let focused = null;
        for (let i = 0; i < 80 && !focused; i++) {
          await page.keyboard.press("Tab");
          focused = await page.evaluate(() => (document.activeElement?.matches("sup.cite a") ? document.activeElement.id : null));
        }
        assert.ok(focused, "a citation can be reached with Tab");
        assert.ok(await page.evaluate(() => document.activeElement.matches(":focus-visible")), "focus is visible");
        await preview.waitFor({ state: "visible" });
        await page.keyboard.press("Escape");
        await preview.waitFor({ state: "detached" });
        assert.equal(await page.evaluate(() => document.activeElement.id), focused, "Escape keeps focus on the citation");
        // Enter follows the link, as a keyboard reader expects.
        await page.keyboard.press("Enter");
        const state = await waitForVisibleTarget(page);
        assert.ok(state.isTarget && state.inView && state.id.startsWith("note-"), JSON.stringify(state));
        tab.assertClean();
      } finally {
        await tab.close();
      }
    });

    test("without JavaScript, citations are plain links to their notes", async () => {
      const tab = await openPage(browser, { javaScriptEnabled: false });
      try {
        const { page } = tab;
        await page.goto(site.url(pageUrlPath(topics[0])));
        const link = page.locator("sup.cite a").first();
        const href = await link.getAttribute("href");
        await link.click();
        const state = await waitForVisibleTarget(page);
        assert.equal(state.id, href.slice(1));
        assert.ok(state.isTarget && state.inView);
        tab.assertClean();
      } finally {
        await tab.close();
      }
    });

    test("print hides navigation and shows the URLs of the originals", async () => {
      const tab = await openPage(browser);
      try {
        const { page } = tab;
        await page.emulateMedia({ media: "print" });
        for (const file of [topics[0], "index.html", ...site.pages().filter((p) => pageKind(p) === "source").slice(0, 1)]) {
          await page.goto(site.url(pageUrlPath(file)));
          const hidden = await page.$$eval(".site-header, .site-footer, .skip-link, nav, .backlinks, .cite-preview", (els) =>
            els.filter((e) => e.checkVisibility()).map((e) => e.outerHTML.slice(0, 80)),
          );
          assert.deepEqual(hidden, [], `${file}: navigation is hidden in print`);
          assert.ok(await page.locator("main h1").isVisible(), `${file}: the page's content prints`);
        }
        // Every link to an original article carries its URL in print.
        let shown = 0;
        for (const file of topics) {
          await page.goto(site.url(pageUrlPath(file)));
          const missing = await page.$$eval("li.note a.external", (as) =>
            as
              .filter((a) => {
                const url = a.href.split("#")[0];
                const text = a.closest("li").innerText;
                return !text.includes(url);
              })
              .map((a) => a.href),
          );
          assert.deepEqual(missing, [], `${file}: URLs of originals are printed`);
          shown += await page.locator("li.note a.external").count();
        }
        if (site.name === "repo") assert.ok(shown > 0, "the repository's dossier has originals to print");
        tab.assertClean();
      } finally {
        await tab.close();
      }
    });

    const hasSearch = site.pages().includes("search/index.html");
    test("search finds a quoted phrase and leads to its passage", { skip: hasSearch ? false : "no /search/ page in this build" }, async () => {
      const tab = await openPage(browser);
      try {
        const { page } = tab;
        // A phrase a reader remembers from a note: the first words of a quotation.
        await page.goto(site.url(pageUrlPath(topics[0])));
        const note = page.locator("li.note-passage").filter({ has: page.locator(".note-quote") }).first();
        const quote = (await note.locator(".note-quote").innerText()).replace(/^“|”$/g, "").trim();
        const passage = await note.locator('.note-links a[href*="#q-"]').evaluate((a) => a.href);
        const phrase = quote.split(/\s+/).slice(0, 6).join(" ");

        await page.goto(site.url("search/"));
        const box = page.getByRole("searchbox");
        await box.fill(`"${phrase}"`);
        await box.press("Enter");
        const results = page.locator("#search-results a");
        await results.first().waitFor();
        const hrefs = await eventually(async () => {
          const all = await results.evaluateAll((as) => as.map((a) => a.href));
          return all.includes(passage) ? all : null;
        });
        assert.ok(hrefs, `a result for “${phrase}” is the passage ${passage}: ${JSON.stringify(await results.evaluateAll((as) => as.map((a) => a.href)))}`);
        assert.match(await page.locator("#search-status").innerText(), /\d+ results? for/);
        assert.match(new URL(page.url()).search, /[?&]q=/, "the query is kept in the address");

        // Following the result opens the source page with the passage highlighted.
        await results.nth(hrefs.indexOf(passage)).click();
        await page.waitForURL(passage);
        const state = await waitForVisibleTarget(page);
        assert.ok(state.isTarget && state.inView && state.tag === "mark", JSON.stringify(state));
        const paint = await passagePaint(page, state.id);
        assert.deepEqual(paint.unhighlighted, []);
        tab.assertClean();
      } finally {
        await tab.close();
      }
    });
  });
}

async function assertStyled(page) {
  const font = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.notEqual(font, "rgba(0, 0, 0, 0)", "the stylesheet is applied");
}
