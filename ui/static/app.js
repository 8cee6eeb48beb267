// papersearch: progressive enhancement of the search form. Without this
// file the page is a plain GET form and links; with it, results follow the
// keyboard, facets apply on click, and the URL tracks every change.
"use strict";
(function () {
  const form = document.getElementById("search");
  if (!form) return;
  document.documentElement.classList.add("js");
  const q = document.getElementById("q");
  let timer = 0;
  let inflight = null;

  function urlFor(f) {
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(f)) {
      if (v === "" || (k === "sort" && v === defaultSort())) continue;
      params.append(k, v);
    }
    const s = params.toString();
    return s ? "/?" + s : "/";
  }

  function defaultSort() {
    return q.value.trim() === "" ? "newest" : "relevance";
  }

  async function load(url, push) {
    if (inflight) inflight.abort();
    inflight = new AbortController();
    try {
      const res = await fetch(url, { signal: inflight.signal, headers: { Accept: "text/html" } });
      const html = await res.text();
      const doc = new DOMParser().parseFromString(html, "text/html");
      for (const sel of ["#results", ".facets"]) {
        const fresh = doc.querySelector(sel);
        const old = document.querySelector(sel);
        if (fresh && old) old.replaceWith(fresh);
      }
      document.title = doc.title;
      if (push) history.pushState({}, "", url);
      else history.replaceState({}, "", url);
    } catch (e) {
      if (e.name !== "AbortError") window.location.href = url;
    }
  }

  q.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { load(urlFor(form), false); }, 200);
  });

  form.addEventListener("change", function (e) {
    if (e.target === q) return;
    if (e.target.name === "page") return;
    const page = form.querySelector("input[name=page]");
    if (page) page.remove();
    load(urlFor(form), true);
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    load(urlFor(form), true);
  });

  document.addEventListener("click", function (e) {
    const a = e.target.closest("a.facet-link, a.chip, .pager a, a.clear");
    if (!a || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    load(a.getAttribute("href"), true).then(syncForm);
  });

  // Facet links change the URL; the form must follow so typing keeps them.
  function syncForm() {
    const params = new URLSearchParams(window.location.search);
    q.value = params.get("q") || "";
  }

  window.addEventListener("popstate", function () {
    load(window.location.pathname + window.location.search, false).then(syncForm);
  });

  document.addEventListener("keydown", function (e) {
    if (e.key === "/" && document.activeElement !== q && !(e.target instanceof HTMLInputElement)) {
      e.preventDefault();
      q.focus();
      q.select();
    } else if (e.key === "Escape" && document.activeElement === q && q.value !== "") {
      q.value = "";
      load(urlFor(form), false);
    }
  });
})();
