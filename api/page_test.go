package api

import (
	"bytes"
	"encoding/xml"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func page(t *testing.T, r response) *goquery.Document {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("Content-Type %q: %s", ct, clipBody(r.body))
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestSearchPage(t *testing.T) {
	e := newTestEnv(t)
	r := e.get(t, "/?q=quantization&topic=quantization")
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	doc := page(t, r)
	api := decode[SearchResponse](t, e.get(t, "/api/search?q=quantization&topic=quantization"))

	if got := doc.Find("main#main h1#summary").Text(); got != strconv.FormatUint(api.Total, 10)+" papers for “quantization”" {
		t.Errorf("summary %q (API total %d)", got, api.Total)
	}
	hits := doc.Find("ol.hits > li.hit")
	if hits.Length() != len(api.Hits) {
		t.Fatalf("%d hits on the page, %d in the API", hits.Length(), len(api.Hits))
	}
	hits.Each(func(i int, h *goquery.Selection) {
		want := api.Hits[i]
		// The link carries the search, for the paper page's way back.
		link := paperPath(want.ID) + "?from=q%3Dquantization%26topic%3Dquantization"
		if href, _ := h.Find("h2.title a").Attr("href"); href != link {
			t.Errorf("hit %d links to %q, want %q", i, href, link)
		}
		if h.Find("h2.title mark").Length() == 0 && strings.Contains(strings.ToLower(want.Title), "quantiz") {
			t.Errorf("hit %d: no <mark> in title %q", i, want.Title)
		}
		if href, _ := h.Find(`.links a[href$="#similar"]`).Attr("href"); href != link+"#similar" {
			t.Errorf("hit %d: similar link %q", i, href)
		}
		// Topic chips filter: they keep the query and add their topic.
		h.Find("ul.chips a.chip").Each(func(_ int, c *goquery.Selection) {
			href, _ := c.Attr("href")
			u, err := url.Parse(href)
			if err != nil || u.Query().Get("q") != "quantization" || !slices.Contains(u.Query()["topic"], "quantization") {
				t.Errorf("hit %d: chip %q links to %q", i, c.Text(), href)
			}
		})
	})

	// Disjunctive topics: quantization is checked, and the other topics
	// keep the counts they would add.
	box := doc.Find(`#facet-topics input[type=checkbox][value=quantization]`)
	if _, checked := box.Attr("checked"); !checked {
		t.Error("the quantization checkbox is not checked")
	}
	counts := map[string]string{}
	doc.Find("#facet-topics li").Each(func(_ int, li *goquery.Selection) {
		v, _ := li.Find("input").Attr("value")
		counts[v] = li.Find(".count").Text()
		id, _ := li.Find("input").Attr("id")
		if f, _ := li.Find("label").Attr("for"); f != id || id == "" {
			t.Errorf("topic %s: label for=%q, input id=%q", v, f, id)
		}
	})
	for _, f := range api.Facets.Topics {
		if counts[f.Value] != strconv.Itoa(f.Count) {
			t.Errorf("topic %s shows %q, API says %d", f.Value, counts[f.Value], f.Count)
		}
	}
	if len(counts) < 3 {
		t.Errorf("only %d topics listed with one checked: %v", len(counts), counts)
	}

	// Active filter chips remove their filter; clear all keeps the query.
	if doc.Find(".active a.chip").Length() != 1 {
		t.Errorf("%d active chips", doc.Find(".active a.chip").Length())
	}
	if href, _ := doc.Find(".active a.chip").Attr("href"); href != "/?q=quantization" {
		t.Errorf("removing the topic links to %q", href)
	}
	if href, _ := doc.Find("a.clear").Attr("href"); href != "/?q=quantization" {
		t.Errorf("clear all links to %q", href)
	}

	// Year histogram: one bar per year, oldest first, each a filter link.
	var years []int
	doc.Find("#facet-years .histogram a.bar-link").Each(func(_ int, a *goquery.Selection) {
		y, _ := strconv.Atoi(a.Find(".year").Text())
		years = append(years, y)
		href, _ := a.Attr("href")
		if !strings.Contains(href, "year_from="+strconv.Itoa(y)) || !strings.Contains(href, "year_to="+strconv.Itoa(y)) {
			t.Errorf("year %d links to %q", y, href)
		}
		if !regexp.MustCompile(`\bh([1-9]|10)\b`).MatchString(a.Find(".bar").AttrOr("class", "")) {
			t.Errorf("year %d bar has class %q", y, a.Find(".bar").AttrOr("class", ""))
		}
	})
	if len(years) != len(api.Facets.Years) || !slices.IsSorted(years) {
		t.Errorf("histogram years %v, API facets %v", years, api.Facets.Years)
	}
	if doc.Find("#facet-categories input[name=category]").Length() == 0 {
		t.Error("no arXiv category checkboxes")
	}
	if href, _ := doc.Find(`link[rel=alternate][type="application/atom+xml"]`).Attr("href"); href != "/feed.atom?q=quantization&topic=quantization" {
		t.Errorf("feed link %q", href)
	}
	if sel := doc.Find("#sort option[selected]"); sel.Length() != 1 || sel.AttrOr("value", "?") != "" {
		t.Errorf("selected sort %q, want Best match (no sort: relevance, with a query)", sel.AttrOr("value", "none"))
	}
}

// TestPageIsSelfContained checks what the CSP promises: no inline script,
// style or handler, and nothing loaded from another origin.
func TestPageIsSelfContained(t *testing.T) {
	e := newTestEnv(t)
	for _, path := range []string{"/", "/?q=quantization&topic=pruning&year_from=2024", "/papers/2405.00003", "/papers/nope", "/?size=1000"} {
		doc := page(t, e.get(t, path))
		doc.Find("*").Each(func(_ int, s *goquery.Selection) {
			node := s.Get(0)
			for _, a := range node.Attr {
				if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
					t.Errorf("%s: <%s %s=%q>", path, node.Data, a.Key, a.Val)
				}
			}
		})
		doc.Find("script").Each(func(_ int, s *goquery.Selection) {
			if src, ok := s.Attr("src"); !ok || !strings.HasPrefix(src, "/static/") || strings.TrimSpace(s.Text()) != "" {
				t.Errorf("%s: inline or foreign script %q", path, src)
			}
		})
		if doc.Find("style").Length() > 0 {
			t.Errorf("%s: <style> element", path)
		}
		doc.Find("link[href], img[src], script[src]").Each(func(_ int, s *goquery.Selection) {
			ref := s.AttrOr("href", s.AttrOr("src", ""))
			if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
				t.Errorf("%s: loads %q", path, ref)
			}
		})
		if doc.Find("main").Length() != 1 || doc.Find("header").Length() != 1 || doc.Find("footer").Length() != 1 || doc.Find("h1").Length() != 1 {
			t.Errorf("%s: landmarks main %d header %d footer %d, h1 %d", path,
				doc.Find("main").Length(), doc.Find("header").Length(), doc.Find("footer").Length(), doc.Find("h1").Length())
		}
		if lang, _ := doc.Find("html").Attr("lang"); lang != "en" {
			t.Errorf("%s: lang %q", path, lang)
		}
	}
}

func TestEmptyAndErrorStates(t *testing.T) {
	e := newTestEnv(t)
	doc := page(t, e.get(t, "/?q=zzzyzzx&topic=pruning"))
	if doc.Find(".empty").Length() != 1 || doc.Find(".empty a").Length() < 2 {
		t.Errorf("empty state: %q", doc.Find("main").Text())
	}
	if doc.Find(`#facet-topics input[value=pruning][checked]`).Length() != 1 {
		t.Error("a checked topic with no hits must stay so it can be unchecked")
	}
	r := e.get(t, "/?size=1000")
	if r.status != 400 {
		t.Errorf("status %d", r.status)
	}
	doc = page(t, r)
	if !strings.Contains(doc.Find(`.error[role=alert]`).Text(), "size must be between 1 and 100") {
		t.Errorf("error state: %q", doc.Find("main").Text())
	}
}

func TestPaperPage(t *testing.T) {
	e := newTestEnv(t)
	doc := page(t, e.get(t, "/papers/2405.00003"))
	if got := doc.Find("h1").Text(); got != "Pruning and quantization for long-context retrieval" {
		t.Errorf("h1 %q", got)
	}
	for sel, want := range map[string]string{
		`a[href="https://huggingface.co/papers/2405.00003"]`: "Hugging Face",
		`a[href="https://arxiv.org/pdf/2405.00003"]`:         "PDF",
		`a[href="https://arxiv.org/abs/2405.00003"]`:         "arXiv page",
		`a[href="https://github.com/example/prune"]`:         "https://github.com/example/prune",
	} {
		if got := strings.TrimSpace(doc.Find(sel).Text()); got != want {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
	if !strings.Contains(doc.Find(".abstract").Text(), "KV cache") {
		t.Error("no full abstract")
	}
	sim := doc.Find("section#similar li a")
	if sim.Length() == 0 {
		t.Error("no similar papers")
	}
	sim.Each(func(_ int, a *goquery.Selection) {
		if a.AttrOr("href", "") == "/papers/2405.00003" {
			t.Error("a paper is similar to itself")
		}
	})
	if doc.Find(".chips a.chip").Length() == 0 {
		t.Error("no topic chips")
	}

	old := e.get(t, "/papers/hep-th/9901001")
	if old.status != 200 || !strings.Contains(string(old.body), "An old-style arXiv id") {
		t.Errorf("old-style id: %d", old.status)
	}
	missing := e.get(t, "/papers/0000.00000")
	if missing.status != 404 || !strings.Contains(page(t, missing).Find(".error").Text(), `"0000.00000"`) {
		t.Errorf("missing paper: %d", missing.status)
	}
}

func TestScriptInPaperTextIsEscaped(t *testing.T) {
	e := newTestEnv(t)
	const raw = "<script>alert(1)</script>"
	for _, path := range []string{"/?q=quantization+attacks", "/papers/2501.00001", "/api/search?q=quantization+attacks", "/feed.atom?q=quantization+attacks", "/api/papers/2501.00001"} {
		body := string(e.get(t, path).body)
		// JSON carries the title as plain text (its highlights are HTML).
		if strings.Contains(body, raw) && !strings.HasPrefix(path, "/api/") {
			t.Errorf("%s: raw %s in the body", path, raw)
		}
		if !strings.Contains(body, "alert(1)") {
			t.Errorf("%s: the paper is not there", path)
		}
	}
	// In JSON, highlights are HTML and escaped; the plain title stays plain.
	res := decode[SearchResponse](t, e.get(t, "/api/search?q=quantization+attacks"))
	for _, h := range res.Hits {
		if h.ID == "2501.00001" {
			if !strings.Contains(h.Highlights["title"][0], "&lt;script&gt;") {
				t.Errorf("title highlight %q", h.Highlights["title"][0])
			}
			return
		}
	}
	t.Error("the paper was not found")
}

// feedDoc is the part of an Atom feed the tests read.
type feedDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Links   []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Entries []struct {
		ID        string `xml:"id"`
		Title     string `xml:"title"`
		Updated   string `xml:"updated"`
		Published string `xml:"published"`
		Authors   []struct {
			Name string `xml:"name"`
		} `xml:"author"`
		Links []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Categories []struct {
			Term string `xml:"term,attr"`
		} `xml:"category"`
	} `xml:"entry"`
}

// entryIDs are a feed's entries, by id, in order.
func (f feedDoc) entryIDs() []string {
	var ids []string
	for _, e := range f.Entries {
		ids = append(ids, e.ID)
	}
	return ids
}

func TestFeed(t *testing.T) {
	e := newTestEnv(t)
	r := e.get(t, "/feed.atom?q=quantization&topic=quantization")
	if r.status != 200 || r.header.Get("Content-Type") != "application/atom+xml; charset=utf-8" {
		t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
	}
	var f feedDoc
	if err := xml.Unmarshal(r.body, &f); err != nil {
		t.Fatalf("not Atom: %v", err)
	}
	api := decode[SearchResponse](t, e.get(t, "/api/search?q=quantization&topic=quantization&sort=newest&size=30"))
	if len(f.Entries) != len(api.Hits) || len(f.Entries) == 0 {
		t.Fatalf("%d entries, API has %d hits", len(f.Entries), len(api.Hits))
	}
	base := e.srv.URL
	if f.Links[0].Rel != "self" || f.Links[0].Href != base+"/feed.atom?q=quantization&topic=quantization" {
		t.Errorf("self link %v", f.Links[0])
	}
	if f.Updated != f.Entries[0].Updated {
		t.Errorf("feed updated %s, newest entry %s", f.Updated, f.Entries[0].Updated)
	}
	for i, en := range f.Entries {
		h := api.Hits[i]
		if en.Title != h.Title || en.ID != base+paperPath(h.ID) || en.Links[0].Href != base+paperPath(h.ID) {
			t.Errorf("entry %d: %q %s, want %q", i, en.Title, en.ID, h.Title)
		}
		if len(en.Authors) == 0 || en.Authors[0].Name == "" {
			t.Errorf("entry %d has no author", i)
		}
		if !slices.ContainsFunc(en.Categories, func(c struct {
			Term string `xml:"term,attr"`
		}) bool {
			return c.Term == "quantization"
		}) {
			t.Errorf("entry %d lacks the topic category", i)
		}
		if h.Published != "" && en.Published != h.Published+"T00:00:00Z" {
			t.Errorf("entry %d published %q, paper %q", i, en.Published, h.Published)
		}
	}
}

func TestMetrics(t *testing.T) {
	e := newTestEnv(t)
	e.get(t, "/api/search?q=x")
	e.get(t, "/api/search?size=1000")
	e.get(t, "/no/such/path")
	r := e.get(t, "/metrics")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
	}
	body := string(r.body)
	n, _ := e.idx.Count()
	for _, want := range []string{
		`papersearch_http_requests_total{route="/api/search",method="GET",code="200"} 1`,
		`papersearch_http_requests_total{route="/api/search",method="GET",code="400"} 1`,
		`papersearch_http_requests_total{route="unmatched",method="GET",code="404"} 1`,
		`papersearch_http_request_duration_seconds_bucket{route="/api/search",le="+Inf"} 2`,
		`papersearch_http_request_duration_seconds_count{route="/api/search"} 2`,
		"# TYPE papersearch_http_request_duration_seconds histogram",
		"papersearch_documents " + strconv.FormatUint(n, 10) + "\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	line := regexp.MustCompile(`^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$`)
	for _, l := range strings.Split(strings.TrimSpace(body), "\n") {
		if !strings.HasPrefix(l, "# ") && !line.MatchString(l) {
			t.Errorf("not a sample line: %q", l)
		}
		if v, ok := strings.CutPrefix(l, "papersearch_index_size_bytes "); ok && (v == "0" || v == "") {
			t.Errorf("index size %q", v)
		}
	}
	if !strings.Contains(body, "papersearch_index_size_bytes ") {
		t.Error("no index size")
	}
}

// A feed's self link and id name every parameter that shapes it, in one
// order, and none at the feed's defaults: a reader that follows the self
// link gets the same feed.
func TestFeedSelfLink(t *testing.T) {
	e := newTestEnv(t)
	get := func(t *testing.T, path string) (feedDoc, map[string]string) {
		t.Helper()
		r := e.get(t, path)
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", path, r.status, clipBody(r.body))
		}
		var f feedDoc
		if err := xml.Unmarshal(r.body, &f); err != nil {
			t.Fatalf("GET %s: not Atom: %v", path, err)
		}
		links := map[string]string{}
		for _, l := range f.Links {
			links[l.Rel] = strings.TrimPrefix(l.Href, e.srv.URL)
		}
		return f, links
	}
	tests := []struct {
		name, path, self, alternate string
	}{
		{"relevance is not the feed's default", "/feed.atom?sort=relevance&q=quantization", "/feed.atom?q=quantization&sort=relevance", "/?q=quantization&size=30"},
		{"newest is", "/feed.atom?q=quantization&sort=newest", "/feed.atom?q=quantization", "/?q=quantization&size=30&sort=newest"},
		{"the defaults", "/feed.atom?q=quantization", "/feed.atom?q=quantization", "/?q=quantization&size=30&sort=newest"},
		{"size 10 is not the feed's default", "/feed.atom?size=10&q=quantization", "/feed.atom?q=quantization&size=10", "/?q=quantization&sort=newest"},
		{"size 30 is", "/feed.atom?size=30", "/feed.atom", "/?size=30"},
		{"filters in one order", "/feed.atom?year_to=2026&topic=quantization&sort=upvotes&category=cs.LG&year_from=2020&expand=false&q=models&facets=topic",
			"/feed.atom?category=cs.LG&expand=false&q=models&sort=upvotes&topic=quantization&year_from=2020&year_to=2026",
			"/?category=cs.LG&expand=false&q=models&size=30&sort=upvotes&topic=quantization&year_from=2020&year_to=2026"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, links := get(t, tt.path)
			if links["self"] != tt.self {
				t.Errorf("self link %q, want %q", links["self"], tt.self)
			}
			if f.ID != e.srv.URL+links["self"] {
				t.Errorf("id %q, self link %q", f.ID, links["self"])
			}
			if links["alternate"] != tt.alternate {
				t.Errorf("alternate link %q, want %q", links["alternate"], tt.alternate)
			}
			again, againLinks := get(t, links["self"])
			if againLinks["self"] != links["self"] || !slices.Equal(again.entryIDs(), f.entryIDs()) {
				t.Errorf("the self link gives another feed: self %q, entries %v, want %v", againLinks["self"], again.entryIDs(), f.entryIDs())
			}
		})
	}
}
