// Launches Debian's Chromium through playwright-core, kept off the network,
// and opens pages that record every console error, uncaught exception and
// failed request, so a test can assert that a page loaded cleanly.
import assert from "node:assert/strict";
import fs from "node:fs";
import { chromium } from "playwright-core";
import { ARGS, CHROMIUM } from "./chromium.js";

export { ARGS, CHROMIUM };

/**
 * How many pages a suite drives at once (each in its own context). Much of
 * a browser test is waiting on round trips, so two tabs finish sooner than
 * one even on two cores; `BROWSER_TABS=1` runs them one by one.
 */
export const TABS = Math.max(1, Number(process.env.BROWSER_TABS) || 2);

export async function launch() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/**
 * A new page in its own context, with a log of what went wrong while it
 * loaded: `problems()` lists console errors, page errors, requests that
 * failed and responses with an error status.
 */
export async function openPage(browser, options = {}) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    reducedMotion: "reduce",
    ...options,
  });
  const log = [];
  // Nothing a page loads may leave 127.0.0.1: a request elsewhere is a
  // defect (a web font, an analytics script). Listening, not routing: a
  // route would send every request through this process.
  context.on("request", (req) => {
    if (!/^(https?:\/\/127\.0\.0\.1[:/]|data:|blob:|about:)/.test(req.url())) {
      log.push(`request to the outside: ${req.url()}`);
    }
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error") {
      log.push(`console ${msg.type()} on ${page.url()}: ${msg.text()}`);
    }
  });
  page.on("pageerror", (err) => log.push(`uncaught exception on ${page.url()}: ${err.message}`));
  page.on("requestfailed", (req) => {
    const why = req.failure() ? req.failure().errorText : "failed";
    // Moving on to the next page aborts what the last one still had in
    // flight (Chromium fetches the favicon after "load"): not a defect. A
    // missing file shows up as an error status below, not as an abort.
    if (why === "net::ERR_ABORTED") return;
    log.push(`request failed: ${req.url()} (${why})`);
  });
  page.on("response", (res) => {
    if (res.status() >= 400) log.push(`HTTP ${res.status()} for ${res.url()}`);
  });
  return {
    page,
    context,
    problems: () => log.slice(),
    clearProblems: () => {
      log.length = 0;
    },
    assertClean: (what = page.url()) => assert.deepEqual(log, [], `problems while loading ${what}`),
    close: () => context.close(),
  };
}

/** Whether an element is at least partly inside the viewport, and where. */
export async function viewportPosition(locator) {
  return locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return {
      top: r.top,
      bottom: r.bottom,
      height: window.innerHeight,
      inView: r.bottom > 0 && r.top < window.innerHeight && r.height > 0,
      topInView: r.top >= 0 && r.top < window.innerHeight,
    };
  });
}

