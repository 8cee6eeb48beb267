package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/papersearch/papersearch/api"
	"github.com/papersearch/papersearch/indexer"
	"github.com/papersearch/papersearch/search"
)

// The browser tests drive the real server, on the demo corpus, in Debian's
// headless Chromium through the DevTools protocol, as a person would use
// the page: type, tick, go back, open a paper, on a phone and a desktop, in
// light and dark. axe-core checks accessibility on each state.
//
// axe.min.js is committed under testdata/axe (with its MPL-2.0 licence) so
// that the test needs no network and pins the rules it checks; it is test
// data, never embedded in the binary.

const chromiumPath = "/usr/bin/chromium"

//go:embed testdata/axe/axe.min.js
var axeSource string

// pageWatch runs in every page before its own scripts: it records CSP
// violations and uncaught errors, which the test then requires to be none.
const pageWatch = `
window.__watch = {csp: [], errors: []};
document.addEventListener("securitypolicyviolation", function (e) {
  window.__watch.csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
window.addEventListener("error", function (e) { window.__watch.errors.push(String(e.message)); });
window.addEventListener("unhandledrejection", function (e) { window.__watch.errors.push(String(e.reason)); });
`

type browser struct {
	t      *testing.T
	ctx    context.Context
	base   string
	shots  string
	mu     sync.Mutex
	remote []string // requests that left the page's origin
	pages  []string // the search pages asked for, as /?query
}

func startBrowser(t *testing.T, base string) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests need Chromium at %s (.ci/run installs Debian's chromium): %v", chromiumPath, err)
		}
		t.Skipf("browser tests skipped: no Chromium at %s (apt-get install chromium); CI=true makes this a failure", chromiumPath)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	b := &browser{t: t, ctx: ctx, base: base, shots: os.Getenv("PAPERSEARCH_SCREENSHOTS")}
	if b.shots == "" {
		b.shots = t.TempDir()
	}
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: pageWatch})
		return err
	})); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	origin := base
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			u := e.Request.URL
			if !strings.HasPrefix(u, origin+"/") && u != origin && !strings.HasPrefix(u, "data:") && u != "about:blank" {
				b.mu.Lock()
				b.remote = append(b.remote, u)
				b.mu.Unlock()
			}
			if p := strings.TrimPrefix(u, origin); strings.HasPrefix(p, "/?") {
				b.mu.Lock()
				b.pages = append(b.pages, p)
				b.mu.Unlock()
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	return b
}

// do runs actions with a deadline, failing the test on error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// eval returns the value of a JavaScript expression.
func jsEval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

// waitFor polls until the expression is truthy. A navigation destroys the
// page's JavaScript context under the poll; it then starts again.
func (b *browser) waitFor(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithDeadline(b.ctx, deadline)
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(time.Until(deadline))))
		cancel()
		if err == nil {
			return
		}
		// A navigation in flight destroys the page's execution context or
		// leaves it without a body for a moment; poll again until the deadline.
		if time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		b.t.Fatalf("waiting for %s (%s): %v; page: %s", what, expr, err, jsEval[string](b, `location.href + " | " + ((document.querySelector("main") || document.body || {}).innerText || "").slice(0, 300)`))
	}
}

func (b *browser) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path))
}

// location returns path and query of the page.
func (b *browser) location() string {
	return jsEval[string](b, `location.pathname + location.search`)
}

// quiet waits until the page has no search in flight and its debounce has
// passed, so that a check sees the page at rest.
func (b *browser) quiet() {
	b.t.Helper()
	b.do("settle", chromedp.Sleep(400*time.Millisecond))
	b.waitFor("no search in flight", `!document.querySelector("#main[aria-busy=true]")`)
}

func (b *browser) setTheme(dark bool) {
	b.t.Helper()
	v := "light"
	if dark {
		v = "dark"
	}
	b.do("theme "+v, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}},
		})
		return err
	}))
}

func (b *browser) screenshot(name string, width int64) {
	b.t.Helper()
	b.do("viewport", chromedp.EmulateViewport(width, 900))
	b.quiet()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", path)
	// Nothing may stick out sideways: the page must fit a phone.
	if w := jsEval[int](b, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		b.t.Errorf("%s: the page is %d px wider than the %d px viewport", name, w, width)
	}
}

type axeResult struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
		Fail   string `json:"failureSummary"`
	} `json:"nodes"`
}

// axe runs axe-core on the page as it is and fails on serious or critical
// violations; lesser ones are logged.
func (b *browser) axe(state string) {
	b.t.Helper()
	b.quiet()
	if !jsEval[bool](b, `typeof window.axe === "object"`) {
		// Runtime.evaluate is not subject to the page's CSP, which forbids
		// any script but the page's own.
		ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axeSource)); err != nil {
			b.t.Fatalf("inject axe: %v", err)
		}
	}
	raw := jsEval[string](b, `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify({violations: r.violations, passes: r.passes.length}))`)
	var res struct {
		Violations []axeResult
		Passes     int
	}
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		b.t.Fatal(err)
	}
	if res.Passes < 10 {
		b.t.Fatalf("axe %s: only %d rules passed; did it run?", state, res.Passes)
	}
	for _, v := range res.Violations {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target)+" "+n.HTML)
			if len(where) == 3 {
				break
			}
		}
		msg := fmt.Sprintf("axe %s: %s (%s): %s, %d nodes: %s", state, v.ID, v.Impact, v.Help, len(v.Nodes), strings.Join(where, "; "))
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Error(msg)
		} else {
			b.t.Log(msg)
		}
	}
}

// checkWatch fails on CSP violations and script errors so far.
func (b *browser) checkWatch(state string) {
	b.t.Helper()
	raw := jsEval[string](b, `JSON.stringify(window.__watch || {csp: ["watch script missing"], errors: []})`)
	var w struct{ CSP, Errors []string }
	json.Unmarshal([]byte(raw), &w)
	for _, v := range w.CSP {
		b.t.Errorf("%s: CSP violation: %s", state, v)
	}
	for _, e := range w.Errors {
		b.t.Errorf("%s: script error: %s", state, e)
	}
}

// urlIs is a JavaScript test that the page is at path?query, parameters
// in any order (the server's links sort them, the form keeps its own).
func urlIs(pathQuery string) string {
	p, q, _ := strings.Cut(pathQuery, "?")
	return fmt.Sprintf(`(() => { const a = new URLSearchParams(location.search), b = new URLSearchParams(%q); a.sort(); b.sort(); return location.pathname === %q && a.toString() === b.toString(); })()`, q, p)
}

// barContrast is a JavaScript expression: the contrast ratio of an
// unselected year bar's colour with the page's background, by WCAG's
// relative luminance.
const barContrast = `(() => {
  const rgb = s => s.match(/[\d.]+/g).slice(0, 3).map(Number);
  const lum = c => {
    const [r, g, b] = c.map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const bar = lum(rgb(getComputedStyle(document.querySelector(".bar-link:not(.selected) .bar")).backgroundColor));
  const page = lum(rgb(getComputedStyle(document.body).backgroundColor));
  return (Math.max(bar, page) + 0.05) / (Math.min(bar, page) + 0.05);
})()`

func key(k string) chromedp.Action[chromedp.Void] { return chromedp.KeyEvent(k) }

// typeOnStartPage opens the start page, types word into the box and waits
// for its search; it returns the history's length before typing.
func (b *browser) typeOnStartPage(word string) int {
	b.t.Helper()
	b.open("/")
	b.waitFor("the script", `document.documentElement.classList.contains("js")`)
	start := jsEval[int](b, `history.length`)
	b.do("type", chromedp.Click(chromedp.CSS("#q")), chromedp.SendKeys(chromedp.CSS("#q"), word))
	b.waitFor("results for the query", urlIs("/?q="+word))
	return start
}

// frontGate sits in front of the real router. It counts the page's requests
// for suggestions; with missing set it answers them as a server without
// /api/suggest would, 404 in the API's error shape, so that the page's
// fallback to a plain search box can be tested. With hold set it keeps
// one page's answer back, so that a test can act while that page is on
// its way, as it would be on a slow connection.
type frontGate struct {
	missing atomic.Bool
	calls   atomic.Int32
	hold    atomic.Pointer[pageHold]
	next    http.Handler
}

// pageHold holds back the answer to GET /?rawQuery until release is
// closed, or the browser gives up on it.
type pageHold struct {
	rawQuery string
	arrived  chan struct{} // closed when the request comes in
	release  chan struct{}
	once     sync.Once
}

func newPageHold(rawQuery string) *pageHold {
	return &pageHold{rawQuery: rawQuery, arrived: make(chan struct{}), release: make(chan struct{})}
}

func (s *frontGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := s.hold.Load(); h != nil && r.URL.Path == "/" && r.URL.RawQuery == h.rawQuery {
		h.once.Do(func() { close(h.arrived) })
		select {
		case <-h.release:
		case <-r.Context().Done():
			return
		}
	}
	if r.URL.Path == "/api/suggest" {
		s.calls.Add(1)
		if s.missing.Load() {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintln(w, `{"error":{"code":"not_found","message":"no route GET /api/suggest"}}`)
			return
		}
	}
	s.next.ServeHTTP(w, r)
}

// suggestionsOpen is a JavaScript test that the suggestion list shows.
const suggestionsOpen = `!document.querySelector("#suggestions").hidden && document.querySelectorAll("#suggestions [role=option]").length > 0`

type shownSuggestion struct {
	Text string `json:"text"`
	Kind string `json:"kind"` // as the list labels it: topic, paper or ""
}

// suggestions returns the list as the page shows it.
func (b *browser) suggestions() []shownSuggestion {
	b.t.Helper()
	return jsEval[[]shownSuggestion](b, `[...document.querySelectorAll("#suggestions [role=option]")].map(li => ({text: li.firstChild.textContent, kind: li.querySelector(".kind").textContent}))`)
}

func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests skipped with -short")
	}
	if _, err := os.Stat(chromiumPath); err != nil && os.Getenv("CI") != "true" {
		t.Skipf("browser tests skipped: no Chromium at %s (apt-get install chromium); CI=true makes this a failure", chromiumPath)
	}
	idx, err := search.Open(t.TempDir()+"/index", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if _, err := buildDemo(context.Background(), idx, indexer.DefaultTaxonomy()); err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Index: idx})
	if err != nil {
		t.Fatal(err)
	}
	gate := &frontGate{next: h}
	srv := httptest.NewServer(gate)
	defer srv.Close()
	b := startBrowser(t, srv.URL)

	t.Run("typing updates results and URL", func(t *testing.T) {
		b.t = t
		start := b.typeOnStartPage("quantization")
		b.waitFor("the summary", `document.querySelector("#summary").textContent.includes("quantization")`)
		if n := jsEval[int](b, `document.querySelectorAll("ol.hits > li.hit").length`); n != 10 {
			t.Errorf("%d hits on the first page", n)
		}
		if n := jsEval[int](b, `document.querySelectorAll("ol.hits h2 mark").length`); n == 0 {
			t.Error("no highlighted title")
		}
		// Typing is one history entry, not one per key.
		if n := jsEval[int](b, `history.length`); n != start+1 {
			t.Errorf("history grew from %d to %d entries while typing one word", start, n)
		}
		if jsEval[string](b, `document.getElementById("status").textContent`) == "" {
			t.Error("the result count is not announced")
		}
		// Suggestions open as one types, and cover the filters below the
		// box; Esc closes them and keeps the query.
		b.waitFor("suggestions", suggestionsOpen)
		if got := b.suggestions(); got[0] != (shownSuggestion{"Quantization", "topic"}) {
			t.Errorf("first suggestion %+v, want the topic", got[0])
		}
		b.do("close the suggestions", key(kb.Escape))
		b.waitFor("closed suggestions", `document.querySelector("#suggestions").hidden && document.querySelector("#q").getAttribute("aria-expanded") === "false"`)
		b.quiet()
		if got := b.location(); got != "/?q=quantization" || jsEval[string](b, `document.querySelector("#q").value`) != "quantization" {
			t.Errorf("Esc with suggestions open left %s, box %q", got, jsEval[string](b, `document.querySelector("#q").value`))
		}
		// Enter on results that already follow the typing searches again,
		// but the same search makes no second entry.
		b.do("enter", key(kb.Enter))
		b.quiet()
		if n := jsEval[int](b, `history.length`); n != start+1 {
			t.Errorf("history has %d entries after Enter on the typed search, want %d", n, start+1)
		}
	})

	t.Run("checking a topic filters, keeps counts, changes URL", func(t *testing.T) {
		b.t = t
		before := jsEval[map[string]string](b, `Object.fromEntries([...document.querySelectorAll("#facet-topics li")].map(li => [li.querySelector("input").value, li.querySelector(".count").textContent]))`)
		totalBefore := jsEval[string](b, `document.querySelector("#summary").textContent`)
		b.do("tick quantization", chromedp.Click(chromedp.CSS("#topic-quantization")))
		b.waitFor("the filtered page", urlIs("/?q=quantization&topic=quantization")+` && document.querySelector(".active a.chip") !== null`)
		after := jsEval[map[string]string](b, `Object.fromEntries([...document.querySelectorAll("#facet-topics li")].map(li => [li.querySelector("input").value, li.querySelector(".count").textContent]))`)
		totalAfter := jsEval[string](b, `document.querySelector("#summary").textContent`)
		if totalAfter == totalBefore {
			t.Errorf("total unchanged: %q", totalAfter)
		}
		if !strings.HasPrefix(totalAfter, before["quantization"]+" papers") {
			t.Errorf("total %q, but the topic's count was %s", totalAfter, before["quantization"])
		}
		// Disjunctive: the other topics still count what they would add.
		for slug, n := range before {
			if after[slug] != n {
				t.Errorf("topic %s: count %s before, %s after", slug, n, after[slug])
			}
		}
		if !jsEval[bool](b, `document.querySelector("#topic-quantization").checked`) {
			t.Error("the box is not checked after the update")
		}
		if jsEval[string](b, `document.activeElement && document.activeElement.id`) != "topic-quantization" {
			t.Error("focus left the checkbox")
		}
		if jsEval[int](b, `history.length`) != 4 { // about:blank, /, typing, the topic
			t.Errorf("history length %d", jsEval[int](b, `history.length`))
		}
	})

	t.Run("back and forward", func(t *testing.T) {
		b.t = t
		b.do("back", chromedp.Evaluate[chromedp.Void](`history.back()`))
		b.waitFor("the unfiltered page", urlIs("/?q=quantization")+` && !document.querySelector("#topic-quantization").checked && document.querySelector(".active") === null`)
		b.do("back", chromedp.Evaluate[chromedp.Void](`history.back()`))
		b.waitFor("the start page", urlIs("/")+` && document.querySelector("#q").value === "" && document.querySelector("#summary").textContent.includes("papers") && !document.querySelector("#summary").textContent.includes("for")`)
		b.do("forward", chromedp.Evaluate[chromedp.Void](`history.forward()`))
		// The address and the box change at once, the results when their
		// page lands: wait for those, which the next test clicks in.
		b.waitFor("the query again", urlIs("/?q=quantization")+` && document.querySelector("#q").value === "quantization" && document.querySelector("#summary").textContent.includes("quantization")`)
		b.checkWatch("back and forward")
	})

	t.Run("year histogram, chips, sort and pages", func(t *testing.T) {
		b.t = t
		// A link that changes the search goes with the old results or
		// filters; focus goes on from the new results' heading.
		focusOnSummary := func(after string) {
			t.Helper()
			if got := jsEval[string](b, `document.activeElement.id || document.activeElement.tagName`); got != "summary" {
				t.Errorf("after %s, focus is on %s, want the results heading", after, got)
			}
		}
		b.do("click a year", chromedp.Click(chromedp.CSS("#facet-years .histogram li:last-child a")))
		b.waitFor("a year filter", `/year_from=\d{4}&year_to=\d{4}/.test(location.search) && document.querySelector(".active a.chip")`)
		focusOnSummary("a year's bar")
		b.do("remove it", chromedp.Click(chromedp.CSS(".active a.chip")))
		b.waitFor("no filter", urlIs("/?q=quantization"))
		// Back puts the year's results in place of the heading that had
		// focus; the new heading takes it.
		b.do("back", chromedp.Evaluate[chromedp.Void](`history.back()`))
		b.waitFor("the year's results again", `/year_from=\d{4}&year_to=\d{4}/.test(location.search) && document.querySelector(".active a.chip")`)
		b.quiet()
		focusOnSummary("Back")
		b.do("forward", chromedp.Evaluate[chromedp.Void](`history.forward()`))
		b.waitFor("no filter", urlIs("/?q=quantization")+` && !document.querySelector(".active a.chip")`)
		focusOnSummary("removing a filter")
		b.do("sort", chromedp.SetValue(chromedp.CSS("#sort"), "newest"), chromedp.Evaluate[chromedp.Void](`document.querySelector("#sort").dispatchEvent(new Event("change", {bubbles: true}))`))
		b.waitFor("newest first", urlIs("/?q=quantization&sort=newest"))
		dates := jsEval[[]string](b, `[...document.querySelectorAll("ol.hits time")].map(t => t.getAttribute("datetime"))`)
		for i := 1; i < len(dates); i++ {
			if dates[i] > dates[i-1] {
				t.Errorf("not newest first: %v", dates)
				break
			}
		}
		b.do("next page", chromedp.Click(chromedp.CSS(`.pager a[rel=next]`)))
		b.waitFor("page 2", urlIs("/?q=quantization&sort=newest&page=2")+` && document.querySelector(".pager .current").textContent.includes("2")`)
		focusOnSummary("Next")
		b.do("a chip on a hit", chromedp.Click(chromedp.CSS(`ol.hits li.hit ul.chips a.chip`)))
		b.waitFor("its topic", `/topic=/.test(location.search) && !/page=/.test(location.search)`)
		focusOnSummary("a hit's topic chip")
		b.do("clear all", chromedp.Click(chromedp.CSS(`a.clear`)))
		b.waitFor("no filters", `!/topic=/.test(location.search)`)
		focusOnSummary("Clear all filters")
		// The year boxes step from the years the results have (From from
		// the first, To from the last), and a run of steps is one search
		// and one history entry. The pauses between steps are a quick
		// hand's, long enough for a search to come back (the cause of an
		// entry per step); the burst that makes one entry lasts 1.5 s.
		b.quiet()
		years := jsEval[[]int](b, `[...document.querySelectorAll("#facet-years .histogram .year")].map(y => +y.textContent)`)
		if len(years) < 3 {
			t.Fatalf("years %v: too few to step through", years)
		}
		first, last := years[0], years[len(years)-1]
		start := jsEval[int](b, `history.length`)
		step := chromedp.Sleep(100 * time.Millisecond)
		b.do("step From up", chromedp.Focus(chromedp.CSS("#year_from")), key(kb.ArrowUp), step, key(kb.ArrowUp), step, key(kb.ArrowUp))
		b.waitFor("the stepped year", fmt.Sprintf(`new URLSearchParams(location.search).get("year_from") === "%d"`, first+2))
		b.quiet()
		if n := jsEval[int](b, `history.length`); n != start+1 {
			t.Errorf("three steps made %d history entries, want 1", n-start)
		}
		if got := jsEval[string](b, `document.activeElement.id`); got != "year_from" {
			t.Errorf("focus on %q after stepping, want the year box", got)
		}
		b.do("step To down", chromedp.Focus(chromedp.CSS("#year_to")), key(kb.ArrowDown))
		b.waitFor("the last year", fmt.Sprintf(`new URLSearchParams(location.search).get("year_to") === "%d"`, last))
	})

	t.Run("year boxes while searches are on their way", func(t *testing.T) {
		b.t = t
		b.open("/?q=llm")
		b.waitFor("the script", `document.documentElement.classList.contains("js")`)
		first := jsEval[int](b, `+document.querySelector("#year_from").min`)
		// Steps taken while the first step's search is on its way are
		// not undone when it lands.
		hold := newPageHold(fmt.Sprintf("q=llm&year_from=%d", first))
		gate.hold.Store(hold)
		b.do("step From up", chromedp.Focus(chromedp.CSS("#year_from")), key(kb.ArrowUp))
		select {
		case <-hold.arrived:
		case <-time.After(10 * time.Second):
			t.Fatalf("the page never asked for year_from=%d", first)
		}
		b.do("step on", key(kb.ArrowUp), key(kb.ArrowUp), key(kb.ArrowUp))
		close(hold.release)
		gate.hold.Store(nil)
		b.waitFor("the last step", fmt.Sprintf(`new URLSearchParams(location.search).get("year_from") === "%d" && document.querySelector("#year_from").value === "%[1]d"`, first+3))
		// A year typed in To after Tab from From is read whole: From's
		// search waits until the reader leaves the year boxes.
		b.open("/?q=llm")
		b.waitFor("the script", `document.documentElement.classList.contains("js")`)
		b.mu.Lock()
		b.pages = nil
		b.mu.Unlock()
		b.do("type From", chromedp.Focus(chromedp.CSS("#year_from")), chromedp.SendKeys(chromedp.CSS("#year_from"), "2024"), key(kb.Tab))
		for _, k := range "2025" {
			// A hand's pace: slower than From's pause of 250 ms in all.
			b.do("type To", key(string(k)), chromedp.Sleep(120*time.Millisecond))
		}
		b.do("enter", key(kb.Enter))
		b.waitFor("both years", `new URLSearchParams(location.search).get("year_from") === "2024" && new URLSearchParams(location.search).get("year_to") === "2025" && document.querySelector("#year_to").value === "2025"`)
		b.mu.Lock()
		for _, p := range b.pages {
			if v, err := url.ParseQuery(strings.TrimPrefix(p, "/?")); err == nil && v.Has("year_to") && v.Get("year_to") != "2025" {
				t.Errorf("the page searched %s, a year half typed", p)
			}
		}
		b.mu.Unlock()
		// A link clicked straight after typing is the reader's latest
		// word: the typing's search does not run after it and take focus
		// from the results heading.
		b.open("/?q=llm")
		b.waitFor("the script", `document.documentElement.classList.contains("js")`)
		b.mu.Lock()
		b.pages = nil
		b.mu.Unlock()
		b.do("type and click a year", chromedp.SendKeys(chromedp.CSS("#q"), " kv"), chromedp.Click(chromedp.CSS("#facet-years .histogram li:last-child a")))
		b.waitFor("the year's results", `/year_from=\d{4}&year_to=\d{4}/.test(location.search) && document.querySelector(".active a.chip")`)
		b.quiet()
		if got := jsEval[string](b, `document.activeElement.id || document.activeElement.tagName`); got != "summary" {
			t.Errorf("after a year's bar clicked straight after typing, focus is on %s, want the results heading", got)
		}
		b.mu.Lock()
		if len(b.pages) != 1 {
			t.Errorf("a year's bar clicked straight after typing asked for %q, want its page alone", b.pages)
		}
		b.mu.Unlock()
	})

	t.Run("typing while a link's page is on its way", func(t *testing.T) {
		b.t = t
		b.open("/?q=quantization")
		b.waitFor("the script", `document.documentElement.classList.contains("js")`)
		start := jsEval[int](b, `history.length`)
		next := jsEval[string](b, `document.querySelector(".pager a[rel=next]").getAttribute("href")`)
		hold := newPageHold(strings.TrimPrefix(next, "/?"))
		gate.hold.Store(hold)
		defer gate.hold.Store(nil)
		b.do("next page", chromedp.Click(chromedp.CSS(`.pager a[rel=next]`)))
		select {
		case <-hold.arrived:
		case <-time.After(10 * time.Second):
			t.Fatalf("the page never asked for %s", next)
		}
		// The reader types on before page 2 arrives; it then arrives
		// (unless typing gave up on it) while the typing waits its pause.
		b.do("type", chromedp.Evaluate[chromedp.Void](`const box = document.querySelector("#q"); box.focus(); box.setSelectionRange(box.value.length, box.value.length)`), chromedp.SendKeys(chromedp.CSS("#q"), " kv"))
		close(hold.release)
		b.waitFor("the typed search", urlIs("/?q=quantization+kv"))
		b.quiet()
		if got := jsEval[string](b, `document.querySelector("#q").value`); got != "quantization kv" {
			t.Errorf("the box says %q after page 2 came in, want what was typed", got)
		}
		if got := jsEval[string](b, `document.activeElement.id`); got != "q" {
			t.Errorf("focus moved to %q while typing", got)
		}
		if got := b.location(); got != "/?q=quantization+kv" {
			t.Errorf("at %s, want the typed search", got)
		}
		if n := jsEval[int](b, `history.length`); n != start+1 {
			t.Errorf("history grew by %d entries, want 1 (the typing; page 2 never showed)", n-start)
		}
		b.checkWatch("typing over a click")
	})

	t.Run("slash focuses and Esc clears", func(t *testing.T) {
		b.t = t
		b.open("/?q=pruning")
		b.do("leave the box", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`), key("/"))
		if jsEval[string](b, `document.activeElement.id`) != "q" {
			t.Fatal("/ did not focus the search box")
		}
		// A checkbox takes no text: "/" there is the shortcut too.
		b.do("from a checkbox", chromedp.Focus(chromedp.CSS("#topic-pruning")), key("/"))
		if got := jsEval[string](b, `document.activeElement.id`); got != "q" {
			t.Fatalf("/ on a checkbox left focus on %q, want the search box", got)
		}
		b.do("escape", key(kb.Escape))
		b.waitFor("a cleared search", `document.querySelector("#q").value === "" && `+urlIs("/"))
	})

	t.Run("suggestions degrade when the endpoint is missing", func(t *testing.T) {
		b.t = t
		gate.missing.Store(true)
		defer gate.missing.Store(false)
		b.open("/")
		b.do("type", chromedp.Click(chromedp.CSS("#q")), chromedp.SendKeys(chromedp.CSS("#q"), "qua"))
		b.waitFor("results", urlIs("/?q=qua"))
		b.waitFor("the 404 to be taken in", `document.querySelector("#q").dataset.suggest === "off"`)
		if gate.calls.Load() == 0 {
			t.Error("the page never asked for suggestions")
		}
		if jsEval[bool](b, `!document.querySelector("#suggestions").hidden`) || jsEval[string](b, `document.querySelector("#q").getAttribute("aria-expanded")`) != "false" {
			t.Error("a suggestion list is open without suggestions")
		}
		calls := gate.calls.Load()
		b.do("type on", chromedp.SendKeys(chromedp.CSS("#q"), "nt"))
		b.quiet()
		if gate.calls.Load() != calls {
			t.Error("the page kept asking after a 404")
		}
		b.checkWatch("suggest 404")
	})

	t.Run("suggestions by keyboard and mouse", func(t *testing.T) {
		b.t = t
		calls := gate.calls.Load()
		b.open("/")
		b.do("type", chromedp.Click(chromedp.CSS("#q")), chromedp.SendKeys(chromedp.CSS("#q"), "quan"))
		b.waitFor("the list", suggestionsOpen)
		b.axe("suggestions open")
		b.screenshot("suggestions-1280", 1280)
		if jsEval[bool](b, `document.querySelector("#suggestions").hidden`) {
			// A viewport change may take focus away; ↓ opens the list again.
			b.do("reopen", chromedp.Focus(chromedp.CSS("#q")), key(kb.ArrowDown))
			b.waitFor("the list", suggestionsOpen)
		}
		if gate.calls.Load() == calls {
			t.Error("the page never asked for suggestions")
		}
		// The demo corpus suggests the topic, then words, then papers.
		sugs := b.suggestions()
		if len(sugs) < 3 || sugs[0].Kind != "topic" || sugs[1].Kind != "" || sugs[len(sugs)-1].Kind != "paper" {
			t.Fatalf("suggestions for quan: %+v; want the topic, words, then papers", sugs)
		}
		b.do("down twice", key(kb.ArrowDown), key(kb.ArrowDown))
		if got := jsEval[string](b, `document.querySelector("#q").getAttribute("aria-activedescendant")`); got != "suggestion-1" {
			t.Errorf("active descendant %q", got)
		}
		if jsEval[string](b, `document.querySelector("#suggestion-1").getAttribute("aria-selected")`) != "true" {
			t.Error("the active option is not selected")
		}
		b.do("choose", key(kb.Enter))
		b.waitFor("the chosen word", urlIs("/?"+url.Values{"q": {sugs[1].Text}}.Encode())+` && document.querySelector("#suggestions").hidden`)
		// A topic suggestion ticks the topic instead of searching its name.
		b.do("clear", chromedp.Evaluate[chromedp.Void](`document.querySelector("#q").select()`), chromedp.SendKeys(chromedp.CSS("#q"), "quan"))
		b.waitFor("the list", suggestionsOpen)
		b.do("first", key(kb.ArrowDown), key(kb.Enter))
		b.waitFor("the topic filter", urlIs("/?topic=quantization")+` && document.querySelector("#topic-quantization").checked && document.querySelector("#q").value === ""`)
		b.do("type", chromedp.SendKeys(chromedp.CSS("#q"), "quan"))
		b.waitFor("the list", suggestionsOpen)
		b.do("esc", key(kb.Escape))
		if jsEval[bool](b, `!document.querySelector("#suggestions").hidden`) || jsEval[string](b, `document.querySelector("#q").value`) != "quan" {
			t.Error("Esc with the list open should close it and keep the text")
		}
		b.checkWatch("suggestions")
		// A paper suggestion, clicked, opens the paper.
		b.do("reopen", key(kb.ArrowDown))
		b.waitFor("the list", suggestionsOpen)
		sugs = b.suggestions()
		last := sugs[len(sugs)-1]
		if last.Kind != "paper" {
			t.Fatalf("last suggestion %+v, want a paper", last)
		}
		b.do("click the paper", chromedp.Click(chromedp.CSS(`#suggestions [role=option]:last-child`)))
		b.waitFor("the paper page", `location.pathname.startsWith("/papers/") && document.readyState === "complete" && document.querySelector("h1") !== null`)
		if got := jsEval[string](b, `document.querySelector("h1").textContent`); got != last.Text {
			t.Errorf("paper page %q, suggestion %q", got, last.Text)
		}
		// Its "← Search" returns to the search it was chosen from.
		if back := jsEval[string](b, `document.querySelector("a[data-back]").getAttribute("href")`); !strings.HasPrefix(back, "/?") || !strings.Contains(back, "q=quan") {
			t.Errorf("← Search on a paper chosen from the suggestions goes to %q, want the search for quan", back)
		}
	})

	t.Run("each burst of typing is a history entry", func(t *testing.T) {
		b.t = t
		start := b.typeOnStartPage("pruning")
		// The reader reads, then types on: a second entry, and Back
		// returns to the first search rather than the start page.
		time.Sleep(2 * time.Second)
		b.do("type more", chromedp.SendKeys(chromedp.CSS("#q"), " llm"))
		b.waitFor("results for the longer query", urlIs("/?q=pruning+llm"))
		if n := jsEval[int](b, `history.length`); n != start+2 {
			t.Errorf("history has %d entries after two bursts of typing, want %d", n, start+2)
		}
		b.waitFor("suggestions for the longer query", suggestionsOpen)
		b.do("back", chromedp.Evaluate[chromedp.Void](`history.back()`))
		b.waitFor("the first burst's search", urlIs("/?q=pruning")+` && document.querySelector("#q").value === "pruning"`)
		// The suggestions were for the query left behind.
		b.quiet()
		if !jsEval[bool](b, `document.querySelector("#suggestions").hidden`) {
			t.Error("suggestions for the later query are still open after Back")
		}
		// Typing soon after Back (within the burst that Back left)
		// makes an entry of its own: the search Back returned to stays.
		b.do("type on", chromedp.SendKeys(chromedp.CSS("#q"), " kv"))
		b.waitFor("results for the longer query", urlIs("/?q=pruning+kv"))
		b.do("back", chromedp.Evaluate[chromedp.Void](`history.back()`))
		b.waitFor("the first search", urlIs("/?q=pruning")+` && document.querySelector("#q").value === "pruning"`)
		b.do("type again", chromedp.SendKeys(chromedp.CSS("#q"), " x"))
		b.waitFor("results for the new query", urlIs("/?q=pruning+x"))
		b.do("back", chromedp.Evaluate[chromedp.Void](`history.back()`))
		b.waitFor("the first search, kept", urlIs("/?q=pruning")+` && document.querySelector("#q").value === "pruning"`)
		b.quiet()
		// Back also drops a typing search still waiting for its pause:
		// run late, it would search this entry's query with the filters
		// of the page left behind. The held answer keeps those filters
		// on the page meanwhile, as a slow server would.
		b.do("tick a topic", chromedp.Click(chromedp.CSS("#topic-pruning")))
		b.waitFor("the topic", urlIs("/?q=pruning&topic=pruning"))
		hold := newPageHold("q=pruning")
		gate.hold.Store(hold)
		defer gate.hold.Store(nil)
		b.do("type, then back", chromedp.SendKeys(chromedp.CSS("#q"), "s"), chromedp.Evaluate[chromedp.Void](`history.back()`))
		select {
		case <-hold.arrived:
		case <-time.After(10 * time.Second):
			t.Fatal("Back never asked for its page")
		}
		// Long enough for a typing search left pending to start; with
		// none pending, nothing happens meanwhile.
		time.Sleep(600 * time.Millisecond)
		close(hold.release)
		b.waitFor("the entry Back went to", `!document.querySelector("#main[aria-busy=true]") && !document.querySelector("#topic-pruning").checked`)
		if got := b.location(); got != "/?q=pruning" {
			t.Errorf("Back with a typing search pending ended at %s, want /?q=pruning", got)
		}
		b.checkWatch("bursts of typing")
	})

	t.Run("open a paper", func(t *testing.T) {
		b.t = t
		b.open("/?q=quantization")
		title := jsEval[string](b, `document.querySelector("ol.hits h2 a").textContent`)
		b.do("click the first title", chromedp.Click(chromedp.CSS("ol.hits h2 a")))
		b.waitFor("the paper page", `location.pathname.startsWith("/papers/") && document.querySelector("h1") && document.readyState === "complete"`)
		if got := jsEval[string](b, `document.querySelector("h1").textContent`); got != title {
			t.Errorf("paper page h1 %q, hit title %q", got, title)
		}
		if n := jsEval[int](b, `document.querySelectorAll("#similar li a").length`); n == 0 {
			t.Error("no similar papers")
		}
		if back := jsEval[string](b, `document.querySelector("a[data-back]").getAttribute("href")`); back != "/?q=quantization" {
			t.Errorf("back link %q", back)
		}
		b.axe("paper page")
		b.setTheme(true)
		b.axe("paper page, dark")
		b.screenshot("paper-390-dark", 390)
		b.setTheme(false)
		b.screenshot("paper-1280-light", 1280)
		b.checkWatch("paper page")
		// The link carries the search (from=), so it works without
		// the script, and without a Referer.
		b.do("click ← Search", chromedp.Click(chromedp.CSS("a[data-back]")))
		b.waitFor("the search again", `location.pathname === "/" && location.search === "?q=quantization" && document.querySelector("ol.hits h2 a")`)
	})

	t.Run("screenshots and axe", func(t *testing.T) {
		b.t = t
		for _, width := range []int64{390, 1280} {
			for _, dark := range []bool{false, true} {
				theme := "light"
				if dark {
					theme = "dark"
				}
				b.setTheme(dark)
				b.do("viewport", chromedp.EmulateViewport(width, 900))
				b.open("/?q=quantization&topic=quantization")
				bg := jsEval[string](b, `getComputedStyle(document.body).backgroundColor`)
				if want := map[bool]string{false: "rgb(255, 255, 255)", true: "rgb(13, 17, 23)"}[dark]; bg != want {
					t.Errorf("%s background %s, want %s", theme, bg, want)
				}
				name := fmt.Sprintf("search-%d-%s", width, theme)
				b.screenshot(name, width)
				b.axe(name)
				// axe checks text, not graphics: a year's bar must stand out
				// 3:1 from the page (WCAG 1.4.11), and its label be legible.
				if c := jsEval[float64](b, barContrast); c < 3 {
					t.Errorf("%s: the year bars contrast %.2f:1 with the page, want 3:1", name, c)
				}
				if px := jsEval[float64](b, `parseFloat(getComputedStyle(document.querySelector(".bar-link .year")).fontSize)`); px < 12 {
					t.Errorf("%s: year labels are %g px, want 12 or more", name, px)
				}
			}
		}
		b.setTheme(false)
		b.do("phone", chromedp.EmulateViewport(360, 800))
		b.open("/?q=zzzzqqqq")
		b.waitFor("the empty state", `document.querySelector(".empty")`)
		b.screenshot("empty-360", 360)
		b.axe("empty state")
		// With no results, an empty year box steps from this year, not
		// from 9999.
		b.do("step To up", chromedp.Evaluate[chromedp.Void](`document.querySelector("details.filters").open = true`), chromedp.Focus(chromedp.CSS("#year_to")), key(kb.ArrowUp))
		b.waitFor("this year", fmt.Sprintf(`document.querySelector("#year_to").value === "%d"`, time.Now().Year()))
		// A long unbroken query, and a filter value as long as one may be,
		// wrap rather than push the page sideways.
		b.open("/?q=" + strings.Repeat("x", 300) + "&category=" + strings.Repeat("y", 100))
		b.waitFor("the long query's results", `document.querySelector("#summary") && document.querySelector(".active a.chip")`)
		for _, width := range []int64{360, 1280} {
			b.do("viewport", chromedp.EmulateViewport(width, 800))
			if w := jsEval[int](b, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
				t.Errorf("a long query makes the page %d px wider than the %d px viewport", w, width)
			}
		}
		// Nor does the filter's chip stick out of the filters' column
		// into the results (the filters start folded on the phone).
		if w := jsEval[int](b, `document.querySelector("details.filters").open = true, Math.ceil(document.querySelector(".active a.chip").getBoundingClientRect().right - document.querySelector(".facets").getBoundingClientRect().right)`); w > 0 {
			t.Errorf("a long filter value's chip sticks %d px out of the filters", w)
		}
		// Filters folded on a phone open when the window widens, where
		// their toggle is hidden.
		b.do("phone", chromedp.EmulateViewport(360, 800))
		b.open("/?q=pruning")
		b.waitFor("the folded filters", `document.querySelector("details.filters") && !document.querySelector("details.filters").open`)
		b.do("desktop", chromedp.EmulateViewport(1280, 800))
		b.waitFor("the filters to open on a wide window", `document.querySelector("details.filters").open`)
		b.do("phone again", chromedp.EmulateViewport(360, 800))
		b.waitFor("the filters to fold on a narrow window", `!document.querySelector("details.filters").open`)
		b.do("phone", chromedp.EmulateViewport(360, 800))
		b.open("/?size=1000")
		b.waitFor("the error state", `document.querySelector(".error[role=alert]")`)
		b.axe("error state")
		b.checkWatch("screenshots")
	})

	t.Run("no request left the origin", func(t *testing.T) {
		b.t = t
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, u := range b.remote {
			if p, err := url.Parse(u); err != nil || p.Host != strings.TrimPrefix(srv.URL, "http://") {
				t.Errorf("request to another origin: %s", u)
			}
		}
	})
}
