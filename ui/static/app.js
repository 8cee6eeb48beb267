// papersearch: progressive enhancement of the search page. Without this
// file the page is a plain GET form and links. With it, results follow the
// keyboard (debounced), filters apply on click, the URL follows every
// change (so back, forward and bookmarks work), suggestions come from
// /api/suggest, "/" focuses the search box and Esc clears it.
//
// The server renders every state; this file only fetches the same page and
// swaps the results and the filters in. It touches no inline style (the
// CSP forbids it) and talks to no origin but its own.
"use strict";
(function () {
  const TYPING_DELAY = 250;
  const BURST_GAP = 1500;
  const SUGGEST_DELAY = 120;
  const SUGGEST_MAX = 8;

  if (location.hash === "#similar") {
    const sim = document.getElementById("similar");
    if (sim) sim.focus();
  }

  const form = document.getElementById("search");
  if (!form) return;
  document.documentElement.classList.add("js");
  const q = document.getElementById("q");
  const sort = document.getElementById("sort");
  const status = document.getElementById("status");
  let typingTimer = 0;
  // A burst of typing ends BURST_GAP after its last key: the next one
  // (or typing after Back) makes a history entry of its own.
  let burstStart = true;
  let burstTimer = 0;
  let inflight = null;
  let inflightHow = "";
  // yearPending is set while a year box's search waits for the reader to
  // stop stepping or to leave the year boxes.
  let yearPending = false;

  // On a phone the filters start folded; the server sends them open so
  // that they work without this script.
  const narrow = window.matchMedia("(max-width: 760px)");
  function filtersDetails() { return document.querySelector(".facets details.filters"); }
  if (narrow.matches && filtersDetails()) filtersDetails().open = false;
  // At desktop widths the fold's toggle is hidden, so filters folded on a
  // narrow window open when it widens, and fold again, as a narrow page
  // starts, when it narrows (a phone turned back upright).
  narrow.addEventListener("change", function (e) {
    if (filtersDetails()) filtersDetails().open = !e.matches;
  });

  // defaultSort is the order the server gives a search without a sort:
  // what the sort menu's "Best match" (value "") stands for.
  function defaultSort() {
    return q.value.trim() === "" ? "newest" : "relevance";
  }

  // urlFor is the URL the form asks for, without empty fields or the
  // default sort, so it matches the links the server builds.
  function urlFor() {
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(form)) {
      if (typeof v !== "string" || v.trim() === "") continue;
      if (k === "sort" && v === defaultSort()) continue;
      params.append(k, k === "q" ? v.trim() : v);
    }
    const s = params.toString();
    return s ? "/?" + s : "/";
  }

  function main() { return document.getElementById("main"); }

  // load fetches a search page and swaps it in. how is "push" (a new
  // history entry), "replace", "typing" (one entry per burst of typing) or
  // "none" (the URL is already right: back/forward). It resolves to true
  // when the page was swapped in, and to false when a newer search
  // superseded it or it failed: a caller then leaves the form, focus and
  // history to whatever came later.
  async function load(url, how) {
    if (inflight) inflight.abort();
    const ctl = new AbortController();
    inflight = ctl;
    inflightHow = how;
    const m = main();
    if (m) m.setAttribute("aria-busy", "true");
    let doc;
    try {
      const res = await fetch(url, { signal: ctl.signal, headers: { Accept: "text/html" }, credentials: "same-origin" });
      const type = res.headers.get("Content-Type") || "";
      if (!type.startsWith("text/html")) throw new Error("the server answered " + res.status);
      doc = new DOMParser().parseFromString(await res.text(), "text/html");
    } catch (e) {
      if (e.name === "AbortError") return false;
      showError(e.message || String(e));
      return false;
    } finally {
      if (inflight === ctl) inflight = null;
    }
    swap(doc);
    // A search for the URL already shown (Enter after the results followed
    // the typing) makes no entry of its own: Back would seem to do nothing.
    const to = new URL(url, location.href);
    const same = to.pathname + to.search === location.pathname + location.search;
    if (how === "push") {
      // The entry stops being a typing one, so that typing on starts a
      // new entry rather than rewriting this search.
      if (same) history.replaceState({}, "", url);
      else history.pushState({}, "", url);
    } else if (how === "typing") {
      // Typed back to the search shown: nothing to record.
      if (!same) {
        if (!burstStart && history.state && history.state.typing) history.replaceState({ typing: true }, "", url);
        else history.pushState({ typing: true }, "", url);
        burstStart = false;
      }
    } else if (how === "replace") {
      history.replaceState(history.state, "", url);
    }
    return true;
  }

  // swap puts the fresh results and filters in place, keeping focus and
  // the open/closed state of folded lists, and announces the count.
  function swap(doc) {
    const focusedId = document.activeElement && document.activeElement.id;
    const wasOpen = Array.from(document.querySelectorAll(".facets details"), function (d) { return d.open; });
    for (const sel of ["#main", ".facets"]) {
      const fresh = doc.querySelector(sel);
      const old = document.querySelector(sel);
      if (fresh && old) old.replaceWith(document.adoptNode(fresh));
    }
    // Folds keep the state the reader gave them; a list the server opens
    // (it holds a selected value) stays open.
    document.querySelectorAll(".facets details").forEach(function (d, i) {
      if (i >= wasOpen.length) return;
      d.open = d.classList.contains("filters") ? wasOpen[i] : (d.open || wasOpen[i]);
    });
    document.title = doc.title;
    const feed = doc.querySelector('link[rel="alternate"]');
    const myFeed = document.querySelector('link[rel="alternate"]');
    if (feed && myFeed) myFeed.href = feed.getAttribute("href");
    const feedLink = doc.querySelector(".toplinks a[href^='/feed.atom']");
    const myFeedLink = document.querySelector(".toplinks a[href^='/feed.atom']");
    if (feedLink && myFeedLink) myFeedLink.href = feedLink.getAttribute("href");
    if (focusedId && focusedId !== "q") {
      const el = document.getElementById(focusedId);
      if (el) el.focus();
    }
    const summary = document.getElementById("summary");
    const err = document.querySelector("#main .error");
    status.textContent = err ? err.textContent.trim().replace(/\s+/g, " ") : (summary ? summary.textContent : "");
  }

  function showError(msg) {
    const m = main();
    if (!m) return;
    m.removeAttribute("aria-busy");
    const box = document.createElement("div");
    box.className = "error";
    box.setAttribute("role", "alert");
    const h = document.createElement("h1");
    h.textContent = "The search could not reach the server";
    const p = document.createElement("p");
    p.textContent = msg + ". Check the connection and try again.";
    box.append(h, p);
    m.replaceChildren(box);
    status.textContent = h.textContent;
  }

  // syncForm makes the fields outside the swapped parts match the URL,
  // the sort menu as the server marks it: the default order is "Best
  // match".
  function syncForm() {
    const params = new URLSearchParams(location.search);
    q.value = params.get("q") || "";
    if (sort) {
      const s = params.get("sort") || "";
      sort.value = s === defaultSort() || s === "relevance" ? "" : s;
      if (sort.selectedIndex < 0) sort.value = "";
    }
  }

  function searchNow(how) {
    clearTimeout(typingTimer);
    yearPending = false;
    load(urlFor(), how);
  }

  // searchSoon searches once the keyboard pauses: typing in the box, or
  // stepping a year box with the arrow keys, searches once per pause and
  // makes one history entry per burst.
  function searchSoon(fromYear) {
    // It supersedes a click or filter change still on its way: were that
    // to land now it would put its own query back in the box, or its own
    // year boxes in place, and take focus away mid-word. A year box is
    // among the filters a page swaps in, so stepping one supersedes any
    // search on its way, typed ones too.
    if (inflight && (fromYear || inflightHow === "push" || inflightHow === "replace")) {
      inflight.abort();
      inflight = null;
    }
    clearTimeout(typingTimer);
    yearPending = fromYear === true;
    typingTimer = setTimeout(function () { yearPending = false; load(urlFor(), "typing"); }, TYPING_DELAY);
    clearTimeout(burstTimer);
    burstTimer = setTimeout(function () { burstStart = true; }, BURST_GAP);
  }

  q.addEventListener("input", function () {
    searchSoon();
    suggest.schedule();
  });

  function isYear(el) { return el.name === "year_from" || el.name === "year_to"; }

  // An empty year box steps from where the server says (data-step): the
  // first or last year the search has, or this year when it has none.
  // The browser would start both at min, 1000 with no results.
  form.addEventListener("keydown", function (e) {
    const el = e.target;
    if (!isYear(el) || el.value !== "" || (e.key !== "ArrowUp" && e.key !== "ArrowDown")) return;
    e.preventDefault();
    el.value = el.dataset.step || (el.name === "year_to" ? el.max : el.min);
    searchSoon(true);
  });

  // Moving from one year box to the other holds the first one's search
  // until the reader leaves both: it would read the other box half typed
  // ("20" of 2025) and swap it out under the cursor.
  form.addEventListener("focusin", function (e) {
    if (isYear(e.target) && yearPending) clearTimeout(typingTimer);
  });
  form.addEventListener("focusout", function (e) {
    if (isYear(e.target) && yearPending && !(e.relatedTarget && isYear(e.relatedTarget))) searchSoon(true);
  });

  form.addEventListener("change", function (e) {
    if (e.target === q) return;
    if (isYear(e.target)) {
      // Each arrow step is a change: search when the stepping stops.
      searchSoon(true);
    } else if (e.target === sort || e.target.name === "topic" || e.target.name === "category") {
      searchNow("push");
    }
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    suggest.close();
    searchNow("push");
  });

  // Links that change the search (chips, histogram, pager, clear) load in
  // place; links elsewhere (papers, PDFs) navigate as usual.
  document.addEventListener("click", function (e) {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target.closest("a[href]");
    if (!a || !form.contains(a)) return;
    const href = a.getAttribute("href");
    if (href !== "/" && !href.startsWith("/?")) return;
    e.preventDefault();
    // The link is the reader's latest word: words typed just before it
    // and not yet searched go with the query it has.
    clearTimeout(typingTimer);
    yearPending = false;
    const fromPager = a.closest(".pager") !== null;
    load(href, "push").then(function (done) {
      if (!done) return;
      syncForm();
      // The link went with the results or filters it was in, which would
      // leave focus on the body: start reading (and tabbing) from the top
      // of the new results instead.
      const h = document.getElementById("summary") || document.querySelector("#main .error h1");
      if (h) h.focus(); // the server makes it focusable (tabindex -1)
      if (fromPager) window.scrollTo(0, 0);
    });
  });

  window.addEventListener("popstate", function () {
    // Suggestions were for the query left behind.
    suggest.close();
    // So was any typing: a search it still had pending must not run on
    // top of this entry, and typing from here starts an entry of its own
    // instead of rewriting the one Back or Forward came to.
    clearTimeout(typingTimer);
    clearTimeout(burstTimer);
    burstStart = true;
    yearPending = false;
    syncForm();
    load(location.pathname + location.search, "none");
  });

  document.addEventListener("keydown", function (e) {
    if (e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && !isEditable(e.target)) {
      e.preventDefault();
      q.focus();
      q.select();
    } else if (e.key === "Escape" && e.target === q) {
      if (suggest.isOpen()) {
        suggest.close();
      } else if (q.value !== "") {
        q.value = "";
        searchNow("typing");
      }
      e.preventDefault();
    }
  });

  // isEditable says whether el takes typed text, where "/" is a character
  // to type; on a checkbox, button or select it can only mean the shortcut.
  const NOT_TEXT = new Set(["checkbox", "radio", "button", "submit", "reset", "image", "file", "range", "color", "hidden"]);
  function isEditable(el) {
    if (el instanceof HTMLInputElement) return !NOT_TEXT.has(el.type);
    return el instanceof HTMLTextAreaElement || (el && el.isContentEditable);
  }

  // Suggestions: an ARIA 1.2 combobox over GET /api/suggest?q=PREFIX&size=N,
  // which answers {"suggestions":[{"text","kind","topic","id"}]}: kind is
  // topic (with its slug in topic), word, phrase or title (with the
  // paper's id). When the endpoint is missing (404) or fails, the box stays
  // a plain search box; a 404 stops asking for the rest of the visit.
  const suggest = (function () {
    const combo = q.parentElement;
    const list = document.createElement("ul");
    list.id = "suggestions";
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    combo.appendChild(list);
    q.setAttribute("role", "combobox");
    q.setAttribute("aria-autocomplete", "list");
    q.setAttribute("aria-controls", list.id);
    q.setAttribute("aria-expanded", "false");

    let timer = 0;
    let ctl = null;
    let items = [];
    let active = -1;
    let disabled = false;

    function schedule() {
      clearTimeout(timer);
      if (disabled) return;
      timer = setTimeout(fetchFor, SUGGEST_DELAY);
    }

    async function fetchFor() {
      const prefix = q.value.trim();
      if (prefix.length < 2) { close(); return; }
      if (ctl) ctl.abort();
      ctl = new AbortController();
      try {
        const res = await fetch("/api/suggest?q=" + encodeURIComponent(prefix) + "&size=" + SUGGEST_MAX, { signal: ctl.signal, headers: { Accept: "application/json" } });
        if (res.status === 404 || res.status === 405) {
          disabled = true;
          q.dataset.suggest = "off"; // for the curious, and for the tests
          close();
          return;
        }
        if (!res.ok) { close(); return; }
        const body = await res.json();
        if (q.value.trim() !== prefix) return; // typed on meanwhile
        const got = (body && Array.isArray(body.suggestions)) ? body.suggestions : [];
        show(got.filter(function (s) { return s && typeof s.text === "string" && s.text !== ""; }).slice(0, SUGGEST_MAX));
      } catch (e) {
        if (e.name !== "AbortError") close();
      }
    }

    function show(sugs) {
      items = sugs;
      active = -1;
      list.replaceChildren();
      if (sugs.length === 0 || document.activeElement !== q) { close(); return; }
      sugs.forEach(function (s, i) {
        const li = document.createElement("li");
        li.id = "suggestion-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        const text = document.createElement("span");
        text.textContent = s.text;
        const kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = s.kind === "topic" ? "topic" : s.kind === "title" ? "paper" : "";
        li.append(text, kind);
        // mousedown, not click: the box must keep focus.
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.hidden = false;
      q.setAttribute("aria-expanded", "true");
    }

    function close() {
      clearTimeout(timer);
      // An answer still on its way must not open the list again.
      if (ctl) { ctl.abort(); ctl = null; }
      list.hidden = true;
      list.replaceChildren();
      items = [];
      active = -1;
      q.setAttribute("aria-expanded", "false");
      q.removeAttribute("aria-activedescendant");
    }

    function isOpen() { return !list.hidden; }

    function move(delta) {
      if (!isOpen()) return;
      active = (active + 1 + delta + items.length + 1) % (items.length + 1) - 1;
      list.querySelectorAll("li").forEach(function (li, i) {
        li.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      if (active >= 0) q.setAttribute("aria-activedescendant", "suggestion-" + active);
      else q.removeAttribute("aria-activedescendant");
    }

    // choose applies a suggestion: a topic becomes a topic filter in
    // place of the query, a title opens its paper, a word or phrase
    // becomes the query.
    function choose(i) {
      const s = items[i];
      close();
      if (!s) return;
      if (s.kind === "title" && typeof s.id === "string" && s.id !== "") {
        // As a result's link does, the paper page is told the search it
        // was opened from, for its "← Search".
        const from = urlFor().slice(2);
        location.assign("/papers/" + s.id.split("/").map(encodeURIComponent).join("/") +
          (from ? "?from=" + encodeURIComponent(from) : ""));
        return;
      }
      if (s.kind === "topic" && typeof s.topic === "string" && s.topic !== "") {
        q.value = "";
        const box = Array.from(form.querySelectorAll('input[name="topic"]')).find(function (b) { return b.value === s.topic; });
        if (box) {
          box.checked = true;
          searchNow("push");
        } else {
          // The facet lists only topics the current results have.
          const params = new URLSearchParams(urlFor().slice(2));
          params.append("topic", s.topic);
          load("/?" + params.toString(), "push");
        }
        return;
      }
      q.value = s.text;
      searchNow("push");
    }

    q.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") {
        if (!isOpen()) { fetchFor(); return; }
        e.preventDefault();
        move(1);
      } else if (e.key === "ArrowUp" && isOpen()) {
        e.preventDefault();
        move(-1);
      } else if (e.key === "Enter" && isOpen() && active >= 0) {
        e.preventDefault();
        choose(active);
      } else if (e.key === "Tab") {
        close();
      }
    });
    q.addEventListener("blur", function () { setTimeout(close, 0); });

    return { schedule: schedule, close: close, isOpen: isOpen };
  })();
})();
