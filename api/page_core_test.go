package api_test

import (
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/papersearch/papersearch/api"
	"github.com/papersearch/papersearch/search"
)

// facet is one row of a facet list as the page shows it.
type facet struct {
	Label, Count, Href string
	Checked            bool
}

func topicFacets(doc *goquery.Document) []facet {
	var out []facet
	doc.Find("#facet-topics li").Each(func(_ int, li *goquery.Selection) {
		_, checked := li.Find("input[type=checkbox]").Attr("checked")
		out = append(out, facet{
			Label:   squash(li.Find("a.facet-link").Text()),
			Count:   squash(li.Find(".count").Text()),
			Href:    li.Find("a.facet-link").AttrOr("href", ""),
			Checked: checked,
		})
	})
	return out
}

func yearFacets(doc *goquery.Document) []facet {
	var out []facet
	doc.Find("#facet-years ul.years li").Each(func(_ int, li *goquery.Selection) {
		a := li.Find("a.facet-link")
		out = append(out, facet{Label: squash(a.Text()), Count: squash(li.Find(".count").Text()), Href: a.AttrOr("href", ""), Checked: a.HasClass("selected")})
	})
	return out
}

func hitByLink(t *testing.T, doc *goquery.Document, href string) *goquery.Selection {
	t.Helper()
	hit := doc.Find("li.hit").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.Find("h3 a").AttrOr("href", "") == href
	})
	if hit.Length() != 1 {
		t.Fatalf("no single hit linking to %s among %q", href, attrs(doc.Find("li.hit h3 a"), "href"))
	}
	return hit
}

func TestSearchPage(t *testing.T) {
	h := newHandler(t)
	doc := page(t, h, "/?q=pruning", http.StatusOK)

	if got := doc.Find("title").Text(); got != "pruning · papersearch" {
		t.Errorf("<title> = %q", got)
	}
	if got := doc.Find("input#q").AttrOr("value", ""); got != "pruning" {
		t.Errorf("search box value = %q, want the query", got)
	}
	if got := doc.Find("select#sort option[selected]").AttrOr("value", ""); got != "relevance" {
		t.Errorf("selected sort = %q, want relevance", got)
	}
	summary := squash(doc.Find("#summary").Text())
	if !strings.HasPrefix(summary, "3 papers for pruning (") || !strings.HasSuffix(summary, " ms)") {
		t.Errorf("summary = %q", summary)
	}
	if n := doc.Find("li.hit").Length(); n != 3 {
		t.Fatalf("%d hits on the page, want 3", n)
	}
	if got := doc.Find("ol.hits").AttrOr("start", ""); got != "1" {
		t.Errorf("ol start = %q, want 1", got)
	}

	t.Run("a title hit", func(t *testing.T) {
		hit := hitByLink(t, doc, "/papers/2401.00001")
		if got := squash(hit.Find("h3 a").Text()); got != "Structured Pruning of Large Language Models" {
			t.Errorf("title text = %q", got)
		}
		if got := texts(hit.Find("h3 a mark")); !reflect.DeepEqual(got, []string{"Pruning"}) {
			t.Errorf("marked in title = %q, want [Pruning]", got)
		}
		if got := hit.Find("time").AttrOr("datetime", ""); got != "2024-03-01" {
			t.Errorf("time datetime = %q", got)
		}
		if got := squash(hit.Find(".authors").Text()); got != "Ada Lovelace, Alan Turing, Grace Hopper and 2 more" {
			t.Errorf("authors = %q", got)
		}
		if got := squash(hit.Find(".upvotes").Text()); got != "▲ 10" {
			t.Errorf("upvotes = %q", got)
		}
		if got := texts(hit.Find(".cat")); !reflect.DeepEqual(got, []string{"cs.CL"}) {
			t.Errorf("categories = %q", got)
		}
		chips := hit.Find("ul.chips a.chip")
		if got := texts(chips); !reflect.DeepEqual(got, []string{"Pruning"}) {
			t.Errorf("topic chips = %q", got)
		}
		if got := attrs(chips, "href"); !reflect.DeepEqual(got, []string{"/?q=pruning&topic=pruning"}) {
			t.Errorf("topic chip links = %q", got)
		}
		if got := attrs(hit.Find(".links a"), "href"); !reflect.DeepEqual(got, []string{"https://arxiv.org/abs/2401.00001", "https://arxiv.org/pdf/2401.00001"}) {
			t.Errorf("links = %q", got)
		}
	})

	t.Run("an abstract-only hit", func(t *testing.T) {
		hit := hitByLink(t, doc, "/papers/2305.00002")
		if hit.Find("h3 mark").Length() != 0 {
			t.Error("title has a mark but does not match")
		}
		if got := texts(hit.Find(".snippet mark")); !reflect.DeepEqual(got, []string{"pruning"}) {
			t.Errorf("marked in snippet = %q", got)
		}
		if got := squash(hit.Find(".authors").Text()); got != "4 authors" {
			t.Errorf("authors = %q, want the count when names are unknown", got)
		}
		if got := squash(hit.Find(".upvotes").Text()); got != "▲ 3" {
			t.Errorf("upvotes = %q", got)
		}
	})

	t.Run("facets", func(t *testing.T) {
		want := []facet{
			{"Pruning", "2", "/?q=pruning&topic=pruning", false},
			{"inference-efficiency", "1", "/?q=pruning&topic=inference-efficiency", false},
			{"Quantization", "1", "/?q=pruning&topic=quantization", false},
		}
		if got := topicFacets(doc); !reflect.DeepEqual(got, want) {
			t.Errorf("topic facets =\n%+v\nwant\n%+v", got, want)
		}
		wantYears := []facet{
			{"2024", "2", "/?q=pruning&year_from=2024&year_to=2024", false},
			{"2023", "1", "/?q=pruning&year_from=2023&year_to=2023", false},
		}
		if got := yearFacets(doc); !reflect.DeepEqual(got, wantYears) {
			t.Errorf("year facets =\n%+v\nwant\n%+v", got, wantYears)
		}
		if got := attrs(doc.Find("#facet-categories input"), "value"); !reflect.DeepEqual(got, []string{"cs.CL", "cs.LG"}) {
			t.Errorf("category facet values = %q", got)
		}
		if doc.Find("section.active").Length() != 0 {
			t.Error("active filters shown without filters")
		}
		if doc.Find("nav.pager").Length() != 0 {
			t.Error("pager shown for one page")
		}
	})
}

func TestSearchPageNoQuery(t *testing.T) {
	h := newHandler(t)
	doc := page(t, h, "/", http.StatusOK)
	if got := doc.Find("title").Text(); got != "papersearch" {
		t.Errorf("<title> = %q", got)
	}
	if got := doc.Find("select#sort option[selected]").AttrOr("value", ""); got != "newest" {
		t.Errorf("selected sort = %q, want newest", got)
	}
	// Newest first.
	want := []string{"/papers/2502.00005", "/papers/2407.00004", "/papers/2401.00001", "/papers/2305.00002", "/papers/2301.00003", "/papers/2206.00006", "/papers/hep-th/9901001"}
	if got := attrs(doc.Find("li.hit h3 a"), "href"); !reflect.DeepEqual(got, want) {
		t.Errorf("hit links = %q\nwant %q", got, want)
	}
	if got := squash(doc.Find("#summary").Text()); !strings.HasPrefix(got, "7 papers (") {
		t.Errorf("summary = %q", got)
	}
}

func TestSearchPageNoResults(t *testing.T) {
	h := newHandler(t)
	doc := page(t, h, "/?q=xylophone", http.StatusOK)
	if got := squash(doc.Find("#summary").Text()); !strings.HasPrefix(got, "No papers for xylophone") {
		t.Errorf("summary = %q", got)
	}
	if got := squash(doc.Find(".empty h2").Text()); got != "No papers found" {
		t.Errorf("empty state heading = %q", got)
	}
	// Suggestions are the first topics of the taxonomy.
	want := []string{"/?topic=quantization", "/?topic=pruning", "/?topic=perplexity", "/?topic=long-context"}
	if got := attrs(doc.Find(".empty li a"), "href"); !reflect.DeepEqual(got, want) {
		t.Errorf("suggestion links = %q, want %q", got, want)
	}
	if doc.Find("li.hit").Length() != 0 {
		t.Error("hits shown for no results")
	}
}

// Clicking a topic facet adds it to the URL; the page then shows it
// checked, as a removable chip, with the other topics still counted as if
// it were not selected; clicking it again removes it.
func TestFacetToggle(t *testing.T) {
	h := newHandler(t)
	before := page(t, h, "/?q=pruning", http.StatusOK)
	var href string
	for _, f := range topicFacets(before) {
		if f.Label == "Quantization" {
			href = f.Href
		}
	}
	if href != "/?q=pruning&topic=quantization" {
		t.Fatalf("Quantization facet links to %q", href)
	}

	on := page(t, h, href, http.StatusOK)
	if got := squash(on.Find("#summary").Text()); !strings.HasPrefix(got, "1 paper for pruning") {
		t.Errorf("summary with the topic = %q", got)
	}
	if got := attrs(on.Find("li.hit h3 a"), "href"); !reflect.DeepEqual(got, []string{"/papers/2407.00004"}) {
		t.Errorf("hits with the topic = %q", got)
	}
	wantOn := []facet{
		{"Pruning", "2", "/?q=pruning&topic=quantization&topic=pruning", false},
		{"inference-efficiency", "1", "/?q=pruning&topic=quantization&topic=inference-efficiency", false},
		{"Quantization", "1", "/?q=pruning", true},
	}
	if got := topicFacets(on); !reflect.DeepEqual(got, wantOn) {
		t.Errorf("topic facets with the topic =\n%+v\nwant\n%+v", got, wantOn)
	}
	chip := on.Find("section.active a.chip")
	if got := texts(chip); !reflect.DeepEqual(got, []string{"Topic: Quantization ×"}) {
		t.Errorf("active chips = %q", got)
	}
	if got := chip.AttrOr("href", ""); got != "/?q=pruning" {
		t.Errorf("chip removes the filter via %q, want /?q=pruning", got)
	}
	if got := chip.AttrOr("aria-label", ""); got != "Remove filter Topic: Quantization" {
		t.Errorf("chip aria-label = %q", got)
	}

	// A second topic ORs in.
	two := page(t, h, wantOn[1].Href, http.StatusOK)
	if got := squash(two.Find("#summary").Text()); !strings.HasPrefix(got, "2 papers for pruning") {
		t.Errorf("summary with two topics = %q", got)
	}

	off := page(t, h, wantOn[2].Href, http.StatusOK)
	if got := topicFacets(off); !reflect.DeepEqual(got, topicFacets(before)) {
		t.Errorf("after unchecking, facets = %+v, want as before %+v", got, topicFacets(before))
	}
	if off.Find("section.active").Length() != 0 {
		t.Error("active filters still shown after removing the only one")
	}
}

// A selected topic with no hits stays in the list so it can be unchecked.
func TestSelectedTopicWithoutHits(t *testing.T) {
	h := newHandler(t)
	doc := page(t, h, "/?q=pruning&topic=tokenization", http.StatusOK)
	var found bool
	for _, f := range topicFacets(doc) {
		if f.Label == "Tokenization" {
			found = true
			if !f.Checked || f.Count != "0" || f.Href != "/?q=pruning" {
				t.Errorf("tokenization facet = %+v, want checked, 0, unlinking", f)
			}
		}
	}
	if !found {
		t.Errorf("selected topic missing from the facet list: %+v", topicFacets(doc))
	}
	if got := attrs(doc.Find(".empty a"), "href"); !slices.Contains(got, "/?q=pruning") {
		t.Errorf("empty state links %q lack clear-all /?q=pruning", got)
	}
}

func TestYearFacetToggle(t *testing.T) {
	h := newHandler(t)
	doc := page(t, h, "/?q=models", http.StatusOK)
	years := yearFacets(doc)
	var labels []string
	for _, y := range years {
		labels = append(labels, y.Label)
	}
	if !slices.IsSortedFunc(labels, func(a, b string) int { return strings.Compare(b, a) }) || len(labels) < 2 {
		t.Fatalf("year facet %q is not newest first", labels)
	}
	var href string
	for _, y := range years {
		if y.Label == "2024" {
			href = y.Href
		}
	}
	if href != "/?q=models&year_from=2024&year_to=2024" {
		t.Fatalf("2024 links to %q", href)
	}
	on := page(t, h, href, http.StatusOK)
	for _, y := range yearFacets(on) {
		if y.Label == "2024" && (!y.Checked || y.Href != "/?q=models") {
			t.Errorf("selected year = %+v, want selected and linking to /?q=models", y)
		}
		if y.Label != "2024" && y.Checked {
			t.Errorf("year %s selected too", y.Label)
		}
	}
	if got := on.Find(`#facet-years a[aria-current="true"]`).Text(); got != "2024" {
		t.Errorf("aria-current year = %q", got)
	}
	if got := texts(on.Find("section.active a.chip")); !reflect.DeepEqual(got, []string{"Years: 2024 ×"}) {
		t.Errorf("chips = %q", got)
	}
	if got := on.Find("input#year_from").AttrOr("value", ""); got != "2024" {
		t.Errorf("year_from box = %q", got)
	}
	for _, hit := range attrs(on.Find("li.hit time"), "datetime") {
		if !strings.HasPrefix(hit, "2024-") {
			t.Errorf("hit from %s under a 2024 filter", hit)
		}
	}
}

func TestActiveFilterChips(t *testing.T) {
	h := newHandler(t)
	doc := page(t, h, "/?topic=pruning&category=cs.CL&year_from=2023&year_to=2024&sort=upvotes", http.StatusOK)
	chips := doc.Find("section.active a.chip")
	wantText := []string{"Topic: Pruning ×", "Category: cs.CL ×", "Years: 2023–2024 ×"}
	if got := texts(chips); !reflect.DeepEqual(got, wantText) {
		t.Errorf("chips = %q, want %q", got, wantText)
	}
	// Each chip removes its own filter and keeps the rest.
	wantHref := []string{
		"/?category=cs.CL&sort=upvotes&year_from=2023&year_to=2024",
		"/?sort=upvotes&topic=pruning&year_from=2023&year_to=2024",
		"/?category=cs.CL&sort=upvotes&topic=pruning",
	}
	if got := attrs(chips, "href"); !reflect.DeepEqual(got, wantHref) {
		t.Errorf("chip links = %q\nwant %q", got, wantHref)
	}
	if got := doc.Find("section.active a.clear").AttrOr("href", ""); got != "/?sort=upvotes" {
		t.Errorf("clear all = %q, want /?sort=upvotes (keeps query and sort)", got)
	}
	for _, href := range wantHref {
		if p := page(t, h, href, http.StatusOK); p.Find("section.active a.chip").Length() != 2 {
			t.Errorf("%s: want two chips left", href)
		}
	}
	yearsOnly := page(t, h, "/?year_from=2024", http.StatusOK)
	if got := texts(yearsOnly.Find("section.active a.chip")); !reflect.DeepEqual(got, []string{"Years: from 2024 ×"}) {
		t.Errorf("open range chip = %q", got)
	}
}

func TestPagination(t *testing.T) {
	h := newHandler(t)
	type pager struct {
		Current    string
		Links      []string // page numbers linked, and … for a gap
		Prev, Next string
	}
	read := func(doc *goquery.Document) pager {
		nav := doc.Find("nav.pager")
		p := pager{
			Current: nav.Find(`[aria-current="page"]`).Text(),
			Prev:    nav.Find(`a[rel="prev"]`).AttrOr("href", ""),
			Next:    nav.Find(`a[rel="next"]`).AttrOr("href", ""),
		}
		nav.Children().Each(func(_ int, s *goquery.Selection) {
			if _, ok := s.Attr("rel"); ok {
				return
			}
			if s.HasClass("gap") {
				p.Links = append(p.Links, "…")
			} else if href, ok := s.Attr("href"); ok {
				p.Links = append(p.Links, s.Text()+"="+href)
			}
		})
		return p
	}
	tests := []struct {
		target    string
		want      pager
		wantStart string
		wantHits  int
	}{
		{"/?size=2", pager{"1", []string{"2=/?page=2&size=2", "3=/?page=3&size=2", "4=/?page=4&size=2"}, "", "/?page=2&size=2"}, "1", 2},
		{"/?size=2&page=2", pager{"2", []string{"1=/?size=2", "3=/?page=3&size=2", "4=/?page=4&size=2"}, "/?size=2", "/?page=3&size=2"}, "3", 2},
		{"/?size=2&page=4", pager{"4", []string{"1=/?size=2", "2=/?page=2&size=2", "3=/?page=3&size=2"}, "/?page=3&size=2", ""}, "7", 1},
		{"/?size=1", pager{"1", []string{"2=/?page=2&size=1", "3=/?page=3&size=1", "…", "7=/?page=7&size=1"}, "", "/?page=2&size=1"}, "1", 1},
		{"/?sort=oldest&size=1&page=7", pager{"7", []string{"1=/?size=1&sort=oldest", "…", "5=/?page=5&size=1&sort=oldest", "6=/?page=6&size=1&sort=oldest"}, "/?page=6&size=1&sort=oldest", ""}, "7", 1},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			doc := page(t, h, tt.target, http.StatusOK)
			if got := read(doc); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("pager =\n%+v\nwant\n%+v", got, tt.want)
			}
			if got := doc.Find("ol.hits").AttrOr("start", ""); got != tt.wantStart {
				t.Errorf("ol start = %q, want %q", got, tt.wantStart)
			}
			if n := doc.Find("li.hit").Length(); n != tt.wantHits {
				t.Errorf("%d hits, want %d", n, tt.wantHits)
			}
		})
	}

	// Following Next from page 1 to the end visits every paper once.
	seen := map[string]bool{}
	for target, n := "/?size=2", 0; target != ""; n++ {
		if n > 10 {
			t.Fatal("Next links do not end")
		}
		doc := page(t, h, target, http.StatusOK)
		for _, href := range attrs(doc.Find("li.hit h3 a"), "href") {
			if seen[href] {
				t.Errorf("%s shown twice", href)
			}
			seen[href] = true
		}
		target = read(doc).Next
	}
	if len(seen) != 7 {
		t.Errorf("pages showed %d papers, want 7", len(seen))
	}
}

// A bad parameter shows the error on the page, with status 400, and keeps
// the search box filled.
func TestSearchPageBadParams(t *testing.T) {
	h := newHandler(t)
	tests := []struct {
		query, wantMsg string
	}{
		{"q=pruning&size=abc", `size must be a whole number, not "abc"`},
		{"q=pruning&size=500", "size must be between 1 and 100, not 500"},
		{"q=pruning&sort=best", `not "best"`},
		{"q=pruning&year_from=2025&year_to=2020", "year_from 2025 is after year_to 2020"},
		{"q=pruning&page=1001", "page*size must be at most 10000"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			doc := page(t, h, "/?"+tt.query, http.StatusBadRequest)
			alert := doc.Find(`.error[role="alert"]`)
			if alert.Length() != 1 {
				t.Fatal("no error alert on the page")
			}
			if got := squash(alert.Find("p").First().Text()); !strings.Contains(got, tt.wantMsg) {
				t.Errorf("error text = %q, want %q", got, tt.wantMsg)
			}
			if got := alert.Find("a").AttrOr("href", ""); got != "/" {
				t.Errorf("start-over link = %q", got)
			}
			if doc.Find("li.hit").Length() != 0 || doc.Find("#summary").Length() != 0 {
				t.Error("results shown with an error")
			}
			if got := doc.Find("input#q").AttrOr("value", ""); got != "pruning" {
				t.Errorf("search box = %q, want the query kept", got)
			}
		})
	}
}

func TestPaperPage(t *testing.T) {
	h := newHandler(t)
	tests := []struct {
		id          string
		wantTitle   string
		wantAuthors string
		wantChips   []string
		wantLinks   []string
	}{
		{
			id: "2401.00001", wantTitle: "Structured Pruning of Large Language Models",
			wantAuthors: "Ada Lovelace, Alan Turing, Grace Hopper, Edsger Dijkstra and 1 more",
			wantChips:   []string{"Pruning=/?topic=pruning"},
			wantLinks:   []string{"https://arxiv.org/abs/2401.00001", "https://arxiv.org/pdf/2401.00001", "/api/papers/2401.00001"},
		},
		{
			id: idOld, wantTitle: "Strings and Branes", wantAuthors: "Old Timer",
			wantLinks: []string{"https://arxiv.org/abs/hep-th/9901001", "/api/papers/hep-th/9901001"},
		},
		{
			id: "2305.00002", wantTitle: "Efficient Inference for Transformers", wantAuthors: "4 authors",
			wantChips: []string{"inference-efficiency=/?topic=inference-efficiency"},
			wantLinks: []string{"/api/papers/2305.00002"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			want := paperByID(t, tt.id)
			doc := page(t, h, "/papers/"+tt.id, http.StatusOK)
			if got := doc.Find("title").Text(); got != tt.wantTitle+" · papersearch" {
				t.Errorf("<title> = %q", got)
			}
			if got := doc.Find("article h1").Text(); got != tt.wantTitle {
				t.Errorf("h1 = %q", got)
			}
			if got := doc.Find("article .abstract").Text(); got != want.Abstract {
				t.Errorf("abstract = %q, want %q", got, want.Abstract)
			}
			if got := squash(doc.Find("article p.authors").Text()); got != tt.wantAuthors {
				t.Errorf("authors = %q, want %q", got, tt.wantAuthors)
			}
			if got := doc.Find("article time").AttrOr("datetime", ""); got != want.Published {
				t.Errorf("date = %q, want %q", got, want.Published)
			}
			var chips []string
			doc.Find("article a.chip").Each(func(_ int, s *goquery.Selection) {
				chips = append(chips, s.Text()+"="+s.AttrOr("href", ""))
			})
			if !reflect.DeepEqual(chips, tt.wantChips) {
				t.Errorf("topic chips = %q, want %q", chips, tt.wantChips)
			}
			if got := attrs(doc.Find("article .links a"), "href"); !reflect.DeepEqual(got, tt.wantLinks) {
				t.Errorf("links = %q, want %q", got, tt.wantLinks)
			}
			if got := doc.Find("dl.details dd").First().Text(); got != tt.id {
				t.Errorf("id shown = %q", got)
			}
		})
	}
}

func TestPaperPageNotFound(t *testing.T) {
	h := newHandler(t)
	for _, id := range []string{"0000.00000", "hep-th/0000000", ""} {
		t.Run(id, func(t *testing.T) {
			doc := page(t, h, "/papers/"+id, http.StatusNotFound)
			if got := doc.Find("title").Text(); got != "Not found · papersearch" {
				t.Errorf("<title> = %q", got)
			}
			want := "No paper has the id \"" + id + "\"."
			if got := squash(doc.Find(`.error[role="alert"] p`).First().Text()); got != want {
				t.Errorf("error = %q, want %q", got, want)
			}
			if doc.Find("form#search input#q").Length() != 1 {
				t.Error("the not-found page has no search box")
			}
		})
	}
}

func TestStaticFiles(t *testing.T) {
	h := newHandler(t)
	for _, tt := range []struct{ path, ctype string }{
		{"/static/style.css", "text/css; charset=utf-8"},
		{"/static/app.js", "text/javascript; charset=utf-8"},
	} {
		w := do(t, h, http.MethodGet, tt.path)
		if w.Code != http.StatusOK || w.Body.Len() == 0 {
			t.Errorf("GET %s: %d, %d bytes", tt.path, w.Code, w.Body.Len())
		}
		if ct := w.Header().Get("Content-Type"); ct != tt.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", tt.path, ct, tt.ctype)
		}
	}
}

// checkInert fails if the page holds anything paper or request text could
// have injected: a script other than ours, an image, an event handler
// attribute, a javascript: URL.
func checkInert(t *testing.T, target string, body string) *goquery.Document {
	t.Helper()
	for _, raw := range []string{"<script>alert", "<img", "onerror=alert(1)>"} {
		if strings.Contains(body, raw) {
			t.Errorf("%s: body contains raw %q", target, raw)
		}
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	scripts := doc.Find("script")
	if scripts.Length() != 1 || scripts.AttrOr("src", "") != "/static/app.js" || strings.TrimSpace(scripts.Text()) != "" {
		h, _ := goquery.OuterHtml(scripts)
		t.Errorf("%s: script elements other than /static/app.js: %s", target, h)
	}
	if n := doc.Find("img, iframe, object, embed, svg").Length(); n != 0 {
		t.Errorf("%s: %d injected elements", target, n)
	}
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") {
				t.Errorf("%s: <%s %s=%q>", target, goquery.NodeName(s), a.Key, a.Val)
			}
			if (a.Key == "href" || a.Key == "src" || a.Key == "action") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
				t.Errorf("%s: <%s %s=%q>", target, goquery.NodeName(s), a.Key, a.Val)
			}
		}
	})
	return doc
}

// Paper text and request parameters carrying markup reach the page as
// text, never as elements.
func TestXSSOnPages(t *testing.T) {
	h := newHandler(t)
	xss := paperByID(t, idXSS)
	payload := url.QueryEscape(scriptTag + imgTag)
	tests := []struct {
		name, target string
		status       int
		// check looks at the parsed page.
		check func(t *testing.T, doc *goquery.Document)
	}{
		{"hit with a match in the markup", "/?q=alert", 200, func(t *testing.T, doc *goquery.Document) {
			hit := hitByLink(t, doc, "/papers/"+idXSS)
			if got := hit.Find("h3 a").Text(); got != xss.Title {
				t.Errorf("hit title shows %q, want the text %q", got, xss.Title)
			}
			if got := texts(hit.Find("h3 a mark")); !reflect.DeepEqual(got, []string{"alert", "alert"}) {
				t.Errorf("marks in title = %q", got)
			}
			if got := hit.Find(".snippet").Text(); got != xss.Abstract {
				t.Errorf("snippet shows %q, want %q", got, xss.Abstract)
			}
			if got := squash(hit.Find(".authors").Text()); got != squash(strings.Join(xss.Authors, ", ")) {
				t.Errorf("authors show %q", got)
			}
		}},
		{"hit matched elsewhere", "/?q=retrieval", 200, func(t *testing.T, doc *goquery.Document) {
			if got := hitByLink(t, doc, "/papers/"+idXSS).Find("h3 a").Text(); got != xss.Title {
				t.Errorf("hit title shows %q", got)
			}
		}},
		{"listing without a query", "/", 200, func(t *testing.T, doc *goquery.Document) {
			if got := hitByLink(t, doc, "/papers/"+idXSS).Find(".snippet").Text(); got != xss.Abstract {
				t.Errorf("snippet shows %q", got)
			}
		}},
		{"paper page", "/papers/" + idXSS, 200, func(t *testing.T, doc *goquery.Document) {
			if got := doc.Find("article h1").Text(); got != xss.Title {
				t.Errorf("h1 shows %q", got)
			}
			if got := doc.Find("title").Text(); got != xss.Title+" · papersearch" {
				t.Errorf("<title> shows %q", got)
			}
			if got := doc.Find("article .abstract").Text(); got != xss.Abstract {
				t.Errorf("abstract shows %q", got)
			}
			if got := doc.Find("article p.authors").Text(); got != strings.Join(xss.Authors, ", ") {
				t.Errorf("authors show %q", got)
			}
		}},
		{"query reflected", "/?q=" + payload, 200, func(t *testing.T, doc *goquery.Document) {
			if got := doc.Find("input#q").AttrOr("value", ""); got != scriptTag+imgTag {
				t.Errorf("search box holds %q", got)
			}
			if got := doc.Find("#summary strong").Text(); got != scriptTag+imgTag {
				t.Errorf("summary shows %q", got)
			}
		}},
		{"topic reflected", "/?topic=" + payload, 200, func(t *testing.T, doc *goquery.Document) {
			if got := texts(doc.Find("section.active a.chip")); !reflect.DeepEqual(got, []string{"Topic: " + scriptTag + imgTag + " ×"}) {
				t.Errorf("chip shows %q", got)
			}
			if got := doc.Find("#facet-topics input[checked]").AttrOr("value", ""); got != scriptTag+imgTag {
				t.Errorf("checked facet value = %q", got)
			}
		}},
		{"bad parameter reflected in the error", "/?size=" + url.QueryEscape(scriptTag), 400, func(t *testing.T, doc *goquery.Document) {
			if got := doc.Find(`.error[role="alert"] p`).First().Text(); !strings.Contains(got, scriptTag) {
				t.Errorf("error shows %q", got)
			}
		}},
		{"unknown paper id reflected", "/papers/" + url.PathEscape(scriptTag), 404, func(t *testing.T, doc *goquery.Document) {
			if got := doc.Find(`.error[role="alert"] p`).First().Text(); !strings.Contains(got, scriptTag) {
				t.Errorf("error shows %q", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(t, h, http.MethodGet, tt.target)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			doc := checkInert(t, tt.target, w.Body.String())
			tt.check(t, doc)
		})
	}
}

// Ids from JSON sources are free text; a hit's link must still lead to its
// paper page.
func TestPaperLinksWithOddIDs(t *testing.T) {
	idx := newIndex(t)
	odd := []search.Paper{
		{ID: "doi:10.1000/x?y=1#z", Title: "Zanzibar query marks"},
		{ID: "50%off", Title: "Zanzibar percent signs"},
		{ID: "a b/c", Title: "Zanzibar spaces"},
	}
	if err := idx.Put(odd); err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Index: idx, Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	doc := page(t, h, "/?q=zanzibar", http.StatusOK)
	links := map[string]string{} // title -> href
	doc.Find("li.hit h3 a").Each(func(_ int, s *goquery.Selection) {
		links[s.Text()] = s.AttrOr("href", "")
	})
	for _, p := range odd {
		t.Run(p.ID, func(t *testing.T) {
			href, ok := links[p.Title]
			if !ok {
				t.Fatalf("no hit for %q in %v", p.Title, links)
			}
			u, err := url.Parse(href)
			if err != nil || u.RawQuery != "" || u.Fragment != "" {
				t.Fatalf("link %q: %v; want a path only", href, err)
			}
			paper := page(t, h, href, http.StatusOK)
			if got := paper.Find("article h1").Text(); got != p.Title {
				t.Errorf("link %q leads to %q, want %q", href, got, p.Title)
			}
		})
	}
}
