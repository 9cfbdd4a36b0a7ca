// Citation previews: hovering or focusing a citation number shows its note
// in a popover; Escape or moving away closes it. Without JavaScript the
// number is a plain link to the note.
//
// Whole-passage highlight: a passage that overlaps another, or is elided,
// is rendered as several <mark> pieces, only the first of which has the
// id that `#q-…` targets; every piece lists the passages it belongs to in
// `data-q`. CSS `:target` can only reach the first piece, so the pieces of
// the targeted passage get the class `is-target` as well.
(function () {
  "use strict";
  var preview = null;
  var owner = null;
  var hideTimer = 0;

  function noteFor(link) {
    var id = decodeURIComponent((link.getAttribute("href") || "").slice(1));
    return id ? document.getElementById(id) : null;
  }

  function hide() {
    if (preview) { preview.remove(); }
    if (owner) { owner.removeAttribute("aria-describedby"); }
    preview = null;
    owner = null;
  }

  function show(link) {
    var note = noteFor(link);
    if (!note) { return; }
    if (owner === link) { return; }
    hide();
    preview = document.createElement("div");
    preview.className = "cite-preview";
    preview.id = "cite-preview";
    preview.setAttribute("role", "tooltip");
    preview.innerHTML = note.innerHTML;
    preview.querySelectorAll("[id]").forEach(function (el) { el.removeAttribute("id"); });
    preview.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
    preview.addEventListener("mouseleave", scheduleHide);
    document.body.appendChild(preview);
    var r = link.getBoundingClientRect();
    var width = preview.offsetWidth;
    var left = Math.min(Math.max(8, r.left + window.scrollX - width / 2), window.scrollX + document.documentElement.clientWidth - width - 8);
    preview.style.left = left + "px";
    preview.style.top = (r.bottom + window.scrollY + 6) + "px";
    owner = link;
    link.setAttribute("aria-describedby", "cite-preview");
  }

  function scheduleHide() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, 250);
  }

  function markTargetPassage() {
    document.querySelectorAll("mark.is-target").forEach(function (m) { m.classList.remove("is-target"); });
    var id = "";
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { return; }
    var target = id ? document.getElementById(id) : null;
    if (!target || target.tagName !== "MARK") { return; }
    target.classList.add("is-target");
    document.querySelectorAll("mark[data-q]").forEach(function (m) {
      if (m.getAttribute("data-q").split(" ").indexOf(id) >= 0) { m.classList.add("is-target"); }
    });
  }

  window.addEventListener("hashchange", markTargetPassage);

  document.addEventListener("DOMContentLoaded", function () {
    markTargetPassage();
    document.querySelectorAll("sup.cite a").forEach(function (link) {
      link.addEventListener("mouseenter", function () { clearTimeout(hideTimer); show(link); });
      link.addEventListener("mouseleave", scheduleHide);
      link.addEventListener("focus", function () { show(link); });
      link.addEventListener("blur", scheduleHide);
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && preview) { var o = owner; hide(); if (o) { o.focus({ preventScroll: true }); } }
    });
  });
})();
