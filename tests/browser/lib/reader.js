// What a reader sees, measured in the page: is this element the target of
// the address, is it on screen, is it highlighted.

/** Polls `fn` until it returns a truthy value or `ms` pass; returns the last value. */
export async function eventually(fn, ms = 3000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (last || Date.now() > end) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The element the address points at, and whether a reader sees it: is it
 * `:target`, is it inside the viewport (partly, and its top edge).
 */
export function targetState(page) {
  return page.evaluate(() => {
    const id = decodeURIComponent(location.hash.slice(1));
    const el = id ? document.getElementById(id) : null;
    if (!el) return { id, found: false };
    const r = el.getBoundingClientRect();
    return {
      id,
      found: true,
      tag: el.tagName.toLowerCase(),
      isTarget: el.matches(":target"),
      inView: r.bottom > 0 && r.top < window.innerHeight && r.width > 0 && r.height > 0,
      topInView: r.top >= 0 && r.top < window.innerHeight,
    };
  });
}

/** Waits until the address's target is `:target` and on screen; returns its state. */
export async function waitForVisibleTarget(page) {
  return eventually(async () => {
    const s = await targetState(page);
    return s.found && s.isTarget && s.inView ? s : null;
  }).then(async (s) => s || targetState(page));
}

/**
 * How the passage `id` is painted on its source page. A passage can be one
 * `<mark id>` or, when it overlaps others or is elided, several pieces that
 * share it in `data-q`. For every text node of every piece this finds the
 * background a reader sees (the nearest painted ancestor) and compares it
 * with an ordinary, untargeted `<mark>` and with the page.
 */
export function passagePaint(page, id) {
  return page.evaluate((id) => {
    const el = document.getElementById(id);
    if (!el) return { found: false };
    const painted = (node) => {
      for (let n = node.nodeType === 1 ? node : node.parentElement; n; n = n.parentElement) {
        const bg = getComputedStyle(n).backgroundColor;
        if (bg && bg !== "rgba(0, 0, 0, 0)" && bg !== "transparent") return bg;
      }
      return "none";
    };
    const probe = document.createElement("mark");
    probe.textContent = "probe";
    // Inside the paragraph, not inside a (perhaps highlighted) enclosing mark.
    (el.closest("p") || el.parentElement).appendChild(probe);
    const plainMark = painted(probe.firstChild);
    probe.remove();
    const pageBg = painted(document.body);
    const pieces = [el, ...document.querySelectorAll(`mark[data-q~="${CSS.escape(id)}"]`)];
    const seen = new Map();
    for (const piece of pieces) {
      const walker = document.createTreeWalker(piece, NodeFilter.SHOW_TEXT);
      for (let t = walker.nextNode(); t; t = walker.nextNode()) {
        if (!t.textContent.trim()) continue;
        // A "cited in" note inside a piece is not part of the passage.
        if (t.parentElement.closest(".cited-in")) continue;
        seen.set(t, painted(t));
      }
    }
    const colours = [...seen.values()];
    return {
      found: true,
      plainMark,
      pageBg,
      colours: [...new Set(colours)],
      unhighlighted: [...seen].filter(([, c]) => c === plainMark || c === pageBg).map(([t]) => t.textContent.trim()),
      text: pieces.map((p) => p.textContent).join(""),
    };
  }, id);
}
