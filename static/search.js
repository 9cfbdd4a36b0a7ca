// Site search for the /search/ page. It reads the index that `dossier build`
// writes under search/ (the format is described in src/render/search.rs):
// index.json lists the word shards and document chunks; a query loads only
// the shards of its words and the chunks of the results it shows. Every file
// comes from this site, so search needs no other host and, once the files
// are loaded (all of them at once when the index is small), works offline.
//
// Keyboard: results update as you type; the down arrow moves from the box to
// the results, the arrow keys (or Tab) move between them, Enter opens one,
// Escape returns to the box. The query is kept in the address as ?q=.
(function () {
  "use strict";
  var WORD = /[\p{Alphabetic}\p{N}]+/gu;
  var PAGE = 20;
  var MAX_PREFIX_SHARDS = 6;
  var PREFETCH_BYTES = 2000000;
  var SNIPPET_CHARS = 220;

  var form = document.getElementById("search-form");
  if (!form) { return; }
  var input = document.getElementById("search-q");
  var statusLine = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var more = document.getElementById("search-more");
  var base = form.getAttribute("data-base") || "/";
  var meta = null;
  var files = new Map();
  var generation = 0;
  var current = null;
  var timer = 0;

  function fetchJson(url, options) {
    return fetch(url, options).then(function (r) {
      if (!r.ok) { throw new Error(r.status + " " + url); }
      return r.json();
    });
  }

  // One request per file, shared by every query that needs it.
  function load(name) {
    if (!files.has(name)) {
      var promise = fetchJson(base + "search/" + name);
      promise.catch(function () { files.delete(name); });
      files.set(name, promise);
    }
    return files.get(name);
  }

  function chars(s) { return Array.from(s).length; }

  // The same words the build indexed: alphanumeric runs, lower-cased, long
  // enough, not stop words; each once.
  function words(text) {
    var out = [];
    (text.match(WORD) || []).forEach(function (w) {
      w = w.toLowerCase();
      if (chars(w) >= meta.min_chars && meta.stop_words.indexOf(w) < 0 && out.indexOf(w) < 0) {
        out.push(w);
      }
    });
    return out;
  }

  // Shards holding words equal to q and words whose stem q starts with (the
  // shards whose key q starts with), and words q is a prefix of (the shards
  // whose key starts with q) when q has 3+ characters. On a large site a
  // short q would need many shards: those wait for the next letters.
  function shardsFor(q) {
    var own = meta.shards.filter(function (s) { return q.startsWith(s[0]); });
    var longer = chars(q) < 3 ? [] : meta.shards.filter(function (s) {
      return s[0].startsWith(q) && s[0] !== q;
    });
    if (longer.length > MAX_PREFIX_SHARDS) { longer = []; }
    return own.concat(longer).map(function (s) { return s[1]; });
  }

  // How much a word counts for query word q. A longer word that q begins
  // counts for less once q is itself a word of the site (the reader has
  // probably finished typing it): otherwise a rare "navalnys" would outrank
  // the "Navalny" that was asked for.
  function factor(q, word, stem, complete) {
    if (word === q) { return 1; }
    if (chars(stem) >= 3 && q.startsWith(stem) && q.length - stem.length <= 4) { return 0.7; }
    if (chars(q) >= 3 && word.startsWith(q)) { return complete ? 0.3 : 0.7; }
    return 0;
  }

  // Best weighted score per document for one query word.
  function scoreWord(q, shards, matched) {
    var best = new Map();
    var complete = shards.some(function (data) { return Object.prototype.hasOwnProperty.call(data, q); });
    shards.forEach(function (data) {
      Object.keys(data).forEach(function (word) {
        var entry = data[word];
        var stem = typeof entry[0] === "number" ? word.slice(0, entry[0]) : entry[0];
        var f = factor(q, word, stem, complete);
        if (!f) { return; }
        matched.add(word);
        var postings = entry[1];
        var doc = 0;
        for (var i = 0; i < postings.length; i += 2) {
          doc += postings[i];
          var s = postings[i + 1] * f;
          if (!(best.get(doc) >= s)) { best.set(doc, s); }
        }
      });
    });
    return best;
  }

  // Documents matching every query word, best first.
  function rank(qs, loaded) {
    var matched = new Set();
    var total = null;
    qs.forEach(function (q) {
      var best = scoreWord(q, shardsFor(q).map(function (f) { return loaded.get(f); }), matched);
      if (total === null) { total = best; return; }
      var both = new Map();
      total.forEach(function (s, doc) { if (best.has(doc)) { both.set(doc, s + best.get(doc)); } });
      total = both;
    });
    var ranked = Array.from(total || new Map());
    ranked.sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
    return { docs: ranked.map(function (r) { return r[0]; }), matched: matched };
  }

  function say(text) { statusLine.textContent = text; }

  function search(query) {
    var gen = ++generation;
    var qs = words(query);
    if (!qs.length) {
      current = null;
      list.replaceChildren();
      more.hidden = true;
      say(query.trim() ? "Type a word of at least " + meta.min_chars + " letters." : "");
      return;
    }
    var needed = new Set();
    qs.forEach(function (q) { shardsFor(q).forEach(function (f) { needed.add(f); }); });
    var names = Array.from(needed);
    Promise.all(names.map(load)).then(function (data) {
      if (gen !== generation) { return; }
      var loaded = new Map(names.map(function (n, i) { return [n, data[i]]; }));
      current = rank(qs, loaded);
      current.query = query.trim();
      current.shown = 0;
      list.replaceChildren();
      return showMore(gen);
    }).catch(function () {
      if (gen === generation) { say("Search failed: part of the index could not be loaded."); }
    });
  }

  function chunkOf(doc) {
    var lo = 0;
    var hi = meta.chunks.length - 1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (meta.chunks[mid][0] <= doc) { lo = mid; } else { hi = mid - 1; }
    }
    return meta.chunks[lo];
  }

  function showMore(gen) {
    var page = current.docs.slice(current.shown, current.shown + PAGE);
    return Promise.all(page.map(function (doc) {
      var chunk = chunkOf(doc);
      return load(chunk[1]).then(function (rows) { return rows[doc - chunk[0]]; });
    })).then(function (rows) {
      if (gen !== generation) { return; }
      var first = list.children.length;
      rows.forEach(function (row) { if (row) { list.appendChild(item(row, current.matched)); } });
      current.shown += page.length;
      var n = current.docs.length;
      more.hidden = current.shown >= n;
      say(n === 0 ? "No results for “" + current.query + "”."
        : n + (n === 1 ? " result" : " results") + " for “" + current.query + "”" +
          (n > current.shown ? ", showing the first " + current.shown + "." : "."));
      return first;
    });
  }

  function item(row, matched) {
    var li = document.createElement("li");
    li.className = "search-result";
    var a = document.createElement("a");
    a.href = base + row[0];
    a.textContent = row[1];
    var context = document.createElement("span");
    context.className = "search-context";
    context.textContent = row[3];
    li.append(a, " ", context, snippet(row[4], matched));
    return li;
  }

  // The text around the first matched word, matched words marked.
  function snippet(text, matched) {
    var hits = [];
    var re = new RegExp(WORD.source, "gu");
    var m;
    while ((m = re.exec(text))) {
      if (matched.has(m[0].toLowerCase())) { hits.push([m.index, m.index + m[0].length]); }
    }
    var start = 0;
    var end = text.length;
    if (end > SNIPPET_CHARS) {
      start = hits.length ? Math.max(0, hits[0][0] - 60) : 0;
      if (start > 0) { start = text.indexOf(" ", start) + 1 || start; }
      end = Math.min(text.length, start + SNIPPET_CHARS);
      var space = text.lastIndexOf(" ", end);
      if (end < text.length && space > start) { end = space; }
    }
    var p = document.createElement("p");
    p.className = "search-snippet";
    var at = start;
    if (start > 0) { p.append("… "); }
    hits.forEach(function (h) {
      if (h[0] < at || h[1] > end) { return; }
      p.append(text.slice(at, h[0]));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(h[0], h[1]);
      p.append(mark);
      at = h[1];
    });
    p.append(text.slice(at, end));
    if (end < text.length) { p.append(" …"); }
    return p;
  }

  function links() { return Array.from(list.querySelectorAll("a")); }

  function keepInAddress(query) {
    var url = new URL(window.location.href);
    if (query.trim()) { url.searchParams.set("q", query); } else { url.searchParams.delete("q"); }
    window.history.replaceState(null, "", url);
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      keepInAddress(input.value);
      if (meta) { search(input.value); }
    }, 120);
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clearTimeout(timer);
    keepInAddress(input.value);
    if (meta) { search(input.value); }
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown" && links().length) { e.preventDefault(); links()[0].focus(); }
  });
  list.addEventListener("keydown", function (e) {
    var all = links();
    var i = all.indexOf(document.activeElement);
    if (i < 0) { return; }
    if (e.key === "ArrowDown" && i + 1 < all.length) { e.preventDefault(); all[i + 1].focus(); }
    if (e.key === "ArrowUp") { e.preventDefault(); (i > 0 ? all[i - 1] : input).focus(); }
    if (e.key === "Escape") { e.preventDefault(); input.focus(); }
  });
  more.addEventListener("click", function () {
    if (!current) { return; }
    showMore(generation).then(function (first) {
      var next = list.children[first];
      if (next) { next.querySelector("a").focus(); }
    }).catch(function () { say("Search failed: part of the index could not be loaded."); });
  });

  var initial = new URLSearchParams(window.location.search).get("q") || "";
  input.value = initial;
  document.getElementById("search-help").hidden = false;
  if (initial) { say("Loading the search index…"); }
  fetchJson(form.getAttribute("data-index"), { cache: "no-cache" }).then(function (m) {
    meta = m;
    if (input.value) { search(input.value); }
    if (meta.bytes <= PREFETCH_BYTES) {
      meta.shards.concat(meta.chunks).forEach(function (f) { load(f[1]).catch(function () {}); });
    }
  }).catch(function () {
    say("Search is unavailable: the search index could not be loaded.");
  });
}());
