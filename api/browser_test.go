package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/papersearch/papersearch/api"
	"github.com/papersearch/papersearch/search"
)

// hostilePaper carries markup and script links in every field a page
// shows. It is written straight to the index, past the indexer's
// cleaning (which drops javascript: links), so that the pages alone must
// make it harmless.
func hostilePaper() search.Paper {
	const (
		img    = `<img src=x onerror="window.__xss=1;alert(1)">`
		script = `</script><script>window.__xss=2;alert(2)</script>`
		svg    = `<svg onload="window.__xss=3;alert(3)">`
		link   = `<a href="javascript:window.__xss=4;alert(4)">click</a>`
	)
	return search.Paper{
		ID:          `2207.00666`,
		Title:       "Alert " + img + " " + script,
		Abstract:    "An abstract about alert payloads: " + svg + " " + link + " " + img + " and `javascript:alert(5)` text.",
		Authors:     []string{img, "Mallory " + script, svg},
		AuthorCount: 3,
		Published:   "2022-07-01",
		Categories:  []string{"cs.CR" + img},
		Topics:      []string{"retrieval-augmented"},
		URL:         "javascript:window.__xss=6;alert(6)",
		PDFURL:      " JaVaScRiPt:window.__xss=7;alert(7)",
		HFURL:       "data:text/html,<script>alert(8)</script>",
		GitHubRepo:  "javascript:alert(9)",
		Comment:     script,
		DOI:         img,
		Source:      svg,
	}
}

func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("the XSS browser test needs Chromium (.ci/run installs Debian's chromium)")
	}
	t.Skip("no Chromium (apt-get install chromium); CI=true makes this a failure")
	return ""
}

// A headless Chromium loads every page that shows the hostile paper, and
// uses the page's own script to search for it: no dialog opens, no
// injected script runs, no injected element exists, and no link runs
// script when clicked.
func TestBrowserShowsHostileTextAsText(t *testing.T) {
	exe := chromium(t)
	idx := newIndex(t)
	p := hostilePaper()
	if err := idx.Put([]search.Paper{p}); err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Index: idx, Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "chromium")),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	// Every dialog is recorded and dismissed, so that none blocks the page.
	var mu sync.Mutex
	var dialogs []string
	opening := chromedp.Events(ctx, cdppage.JavascriptDialogOpening)
	go func() {
		for ev, err := range opening {
			if err != nil {
				return
			}
			mu.Lock()
			dialogs = append(dialogs, ev.Message)
			mu.Unlock()
			chromedp.Call(ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: false})
		}
	}()

	// check runs in the page: no sentinel set, no injected element, no
	// script link, and the payload visible as text.
	const check = `(() => {
		const bad = [];
		if (window.__xss !== undefined) bad.push("window.__xss = " + window.__xss);
		const injected = document.querySelectorAll('img[src="x"], svg, script:not([src]), iframe, object, embed');
		if (injected.length) bad.push(injected.length + " injected elements: " + injected[0].outerHTML);
		for (const a of document.querySelectorAll("a[href]")) {
			const href = a.getAttribute("href").trim().toLowerCase();
			if (href.startsWith("javascript:") || href.startsWith("data:") || href.startsWith("vbscript:")) bad.push("script link " + href);
		}
		for (const s of document.querySelectorAll("script")) {
			if (s.src && new URL(s.src).pathname !== "/static/app.js") bad.push("script " + s.src);
		}
		for (const el of document.querySelectorAll("*")) {
			for (const at of el.attributes) if (at.name.startsWith("on")) bad.push("handler " + at.name + " on " + el.tagName);
		}
		return {bad, text: document.body.innerText};
	})()`
	type verdict struct {
		Bad  []string `json:"bad"`
		Text string   `json:"text"`
	}
	inspect := func(what string, wantText ...string) {
		t.Helper()
		// A moment for any handler an injected element might carry
		// (onerror, onload) to fire.
		if err := chromedp.Do(ctx, chromedp.Sleep(100*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		// A click may have started a navigation: wait until the new page
		// has loaded (its context may be torn down while we ask).
		for range 50 {
			ready, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && document.body !== null`))
			if err == nil && ready {
				break
			}
			if err := chromedp.Do(ctx, chromedp.Sleep(100*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
		}
		v, err := chromedp.Run(ctx, chromedp.Evaluate[verdict](check))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		for _, b := range v.Bad {
			t.Errorf("%s: %s", what, b)
		}
		for _, w := range wantText {
			if !strings.Contains(v.Text, w) {
				t.Errorf("%s: the page does not show %q as text", what, w)
			}
		}
	}

	// First a control: a page that shows the title unescaped must fail
	// every check, so that passing them means something.
	vuln := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><title>vulnerable</title><body><h1>"+p.Title+"</h1><a href=\""+p.URL+"\">x</a></body>")
	}))
	defer vuln.Close()
	if err := chromedp.Do(ctx, chromedp.Navigate(vuln.URL), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	control, err := chromedp.Run(ctx, chromedp.Evaluate[verdict](check))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	caught := len(dialogs)
	dialogs = nil
	mu.Unlock()
	if len(control.Bad) < 3 || caught == 0 {
		t.Fatalf("the checks missed an unescaped page: %d findings %q, %d dialogs", len(control.Bad), control.Bad, caught)
	}
	t.Logf("control page: %d dialogs, findings %q", caught, control.Bad)

	paperURL := srv.URL + "/papers/" + url.PathEscape(p.ID)
	for _, tt := range []struct {
		url  string
		want []string
	}{
		{srv.URL + "/?q=alert", []string{"<img src=x onerror=", "</script><script>"}},
		{srv.URL + "/?q=mallory", nil},
		{srv.URL + "/?topic=retrieval-augmented&sort=oldest", []string{"Alert <img"}},
		{srv.URL + "/?category=" + url.QueryEscape(p.Categories[0]), []string{"cs.CR<img"}},
		{paperURL, []string{"<svg onload=", `<a href="javascript:`, "</script><script>"}},
		{srv.URL + "/api/papers/" + p.ID, []string{`"title":"Alert <img`}},
		{srv.URL + "/api/search?q=alert", []string{"&lt;img"}},
	} {
		if err := chromedp.Do(ctx, chromedp.Navigate(tt.url)); err != nil {
			t.Fatalf("navigate to %s: %v", tt.url, err)
		}
		inspect(tt.url, tt.want...)
	}

	// Every link on the paper page, clicked, runs no script.
	if err := chromedp.Do(ctx, chromedp.Navigate(paperURL)); err != nil {
		t.Fatal(err)
	}
	hrefs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("main a[href]")].map(a => a.getAttribute("href"))`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("links on the paper page: %q", hrefs)
	for i := range hrefs {
		if err := chromedp.Do(ctx, chromedp.Navigate(paperURL)); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.querySelectorAll("main a[href]")[`+strconv.Itoa(i)+`].click(), true)`)); err != nil {
			t.Fatalf("click link %d (%s): %v", i, hrefs[i], err)
		}
		inspect("after clicking " + hrefs[i])
	}

	// The page's script fetches results and swaps them in: the same text
	// must stay text on that path too.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.SendKeys(chromedp.CSS("#q"), "alert payloads"),
		chromedp.Sleep(800*time.Millisecond),
	); err != nil {
		t.Fatal(err)
	}
	inspect("live search by app.js", "<img src=x onerror=")

	mu.Lock()
	defer mu.Unlock()
	if len(dialogs) > 0 {
		t.Errorf("dialogs opened: %q", dialogs)
	}
}
