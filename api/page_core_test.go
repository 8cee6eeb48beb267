package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/papersearch/papersearch/api"
	"github.com/papersearch/papersearch/search"
)

// facet is one checkbox of the topic facet, in view or folded under "more".
type facet struct {
	Value, Label, Count string
	Checked             bool
}

func topicFacets(doc *goquery.Document) []facet {
	var out []facet
	doc.Find("#facet-topics li").Each(func(_ int, li *goquery.Selection) {
		box := li.Find("input[type=checkbox]")
		_, checked := box.Attr("checked")
		out = append(out, facet{
			Value:   box.AttrOr("value", ""),
			Label:   squash(li.Find("label .name").Text()),
			Count:   squash(li.Find("label .count").Text()),
			Checked: checked,
		})
	})
	return out
}

// yearBar is one column of the year histogram.
type yearBar struct {
	Year, Count, Href string
	Selected          bool
}

// barCount reads the count out of a bar's spoken text ("2024: 2 papers").
var barCount = regexp.MustCompile(`: ([0-9]+) papers?$`)

func yearBars(doc *goquery.Document) []yearBar {
	var out []yearBar
	doc.Find("#facet-years .histogram a.bar-link").Each(func(_ int, a *goquery.Selection) {
		var count string
		if m := barCount.FindStringSubmatch(spoken(a)); m != nil {
			count = m[1]
		}
		out = append(out, yearBar{Year: squash(a.Find(".year").Text()), Count: count, Href: a.AttrOr("href", ""), Selected: a.HasClass("selected")})
	})
	return out
}

// textWithout is the squashed text of s without the elements matching sel.
func textWithout(s *goquery.Selection, sel string) string {
	c := s.Clone()
	c.Find(sel).Remove()
	return squash(c.Text())
}

// shown is the text a sighted reader sees: no visually hidden parts.
func shown(s *goquery.Selection) string { return textWithout(s, ".visually-hidden") }

// spoken is the text a screen reader reads: no aria-hidden parts.
func spoken(s *goquery.Selection) string { return textWithout(s, `[aria-hidden="true"]`) }

func spokenAll(s *goquery.Selection) []string {
	return s.Map(func(_ int, s *goquery.Selection) string { return spoken(s) })
}

// formQuery is the address the page's search form asks for, as a browser
// sends it without JavaScript, after the reader sets one field: a
// checkbox name=value is ticked or unticked, any other field name takes
// value. The form sends every named field, the blank ones too.
func formQuery(t *testing.T, doc *goquery.Document, name, value string) string {
	t.Helper()
	form := doc.Find("form#search")
	if form.Length() != 1 || form.AttrOr("method", "") != "get" || form.AttrOr("action", "") != "/" {
		t.Fatal("no GET form#search with action /")
	}
	set := false
	v := url.Values{}
	form.Find("input[name], select[name]").Each(func(_ int, f *goquery.Selection) {
		n := f.AttrOr("name", "")
		switch {
		case goquery.NodeName(f) == "select":
			opt := f.Find("option[selected]")
			if opt.Length() == 0 {
				opt = f.Find("option").First()
			}
			v.Add(n, opt.AttrOr("value", opt.Text()))
		case f.AttrOr("type", "") == "checkbox":
			_, checked := f.Attr("checked")
			if n == name && f.AttrOr("value", "") == value {
				checked, set = !checked, true
			}
			if checked {
				v.Add(n, f.AttrOr("value", ""))
			}
		case n == name:
			v.Add(n, value)
			set = true
		default:
			v.Add(n, f.AttrOr("value", ""))
		}
	})
	if !set {
		t.Fatalf("no field %s=%s in the form", name, value)
	}
	return "/?" + v.Encode()
}

// submit submits the form as formQuery does and returns the address the
// browser ends at: the server redirects a form's blank fields away.
func submit(t *testing.T, h http.Handler, doc *goquery.Document, name, value string) string {
	t.Helper()
	target := formQuery(t, doc, name, value)
	if w := do(t, h, http.MethodGet, target); w.Code == http.StatusFound {
		return w.Header().Get("Location")
	}
	return target
}

// hitLinks lists the papers the hits link to, by their paths: the links'
// query, the search to go back to, is checked on its own.
func hitLinks(doc *goquery.Document) []string {
	return doc.Find("main ol.hits > li.hit h2.title a").Map(func(_ int, s *goquery.Selection) string {
		return linkPath(s.AttrOr("href", ""))
	})
}

// linkPath is href without its query.
func linkPath(href string) string {
	path, _, _ := strings.Cut(href, "?")
	return path
}

func hitByLink(t *testing.T, doc *goquery.Document, href string) *goquery.Selection {
	t.Helper()
	hit := doc.Find("main ol.hits > li.hit").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return linkPath(s.Find("h2.title a").AttrOr("href", "")) == href
	})
	if hit.Length() != 1 {
		t.Fatalf("no single hit linking to %s among %q", href, hitLinks(doc))
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
	if got := doc.Find("main#main h1#summary").Text(); got != "3 papers for “pruning”" {
		t.Errorf("summary = %q", got)
	}
	if got := squash(doc.Find("main .took").Text()); !tookText.MatchString(got) {
		t.Errorf("took = %q, want the time alone on page one", got)
	}
	if n := doc.Find("main ol.hits > li.hit").Length(); n != 3 {
		t.Fatalf("%d hits on the page, want 3", n)
	}
	if got := doc.Find("ol.hits").AttrOr("start", ""); got != "1" {
		t.Errorf("ol start = %q, want 1", got)
	}

	t.Run("a title hit", func(t *testing.T) {
		hit := hitByLink(t, doc, "/papers/2401.00001")
		if got := squash(hit.Find("h2.title a").Text()); got != "Structured Pruning of Large Language Models" {
			t.Errorf("title text = %q", got)
		}
		if got := texts(hit.Find("h2.title a mark")); !reflect.DeepEqual(got, []string{"Pruning"}) {
			t.Errorf("marked in title = %q, want [Pruning]", got)
		}
		if got := hit.Find("time").AttrOr("datetime", ""); got != "2024-03-01" {
			t.Errorf("time datetime = %q", got)
		}
		if got := squash(hit.Find(".authors").Text()); got != "Ada Lovelace, Alan Turing, Grace Hopper and 2 more" {
			t.Errorf("authors = %q", got)
		}
		if got := shown(hit.Find(".upvotes")); got != "▲ 10" {
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
		wantLinks := []string{"https://arxiv.org/pdf/2401.00001", "https://arxiv.org/abs/2401.00001", "/papers/2401.00001?from=q%3Dpruning#similar"}
		if got := attrs(hit.Find(".links a"), "href"); !reflect.DeepEqual(got, wantLinks) {
			t.Errorf("links = %q, want %q", got, wantLinks)
		}
	})

	t.Run("an abstract-only hit", func(t *testing.T) {
		hit := hitByLink(t, doc, "/papers/2305.00002")
		if hit.Find("h2.title mark").Length() != 0 {
			t.Error("title has a mark but does not match")
		}
		if got := texts(hit.Find(".snippet mark")); !reflect.DeepEqual(got, []string{"pruning"}) {
			t.Errorf("marked in snippet = %q", got)
		}
		if got := squash(hit.Find(".authors").Text()); got != "4 authors" {
			t.Errorf("authors = %q, want the count when names are unknown", got)
		}
		if got := shown(hit.Find(".upvotes")); got != "▲ 3" {
			t.Errorf("upvotes = %q", got)
		}
	})

	t.Run("facets", func(t *testing.T) {
		want := []facet{
			{"pruning", "Pruning", "2", false},
			{"inference-efficiency", "inference-efficiency", "1", false},
			{"quantization", "Quantization", "1", false},
		}
		if got := topicFacets(doc); !reflect.DeepEqual(got, want) {
			t.Errorf("topic facets =\n%+v\nwant\n%+v", got, want)
		}
		// A timeline: oldest year first (the JSON facet lists newest first).
		wantYears := []yearBar{
			{"2023", "1", "/?q=pruning&year_from=2023&year_to=2023", false},
			{"2024", "2", "/?q=pruning&year_from=2024&year_to=2024", false},
		}
		if got := yearBars(doc); !reflect.DeepEqual(got, wantYears) {
			t.Errorf("year bars =\n%+v\nwant\n%+v", got, wantYears)
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

// tookText is the search time alone; past page one it follows "from #N · ".
var tookText = regexp.MustCompile(`^[0-9]+(\.[0-9]+)? ms$`)

func TestSearchPageNoQuery(t *testing.T) {
	h := newHandler(t)
	doc := page(t, h, "/", http.StatusOK)
	if got := doc.Find("title").Text(); got != "papersearch" {
		t.Errorf("<title> = %q", got)
	}
	// "Best match" (no sort), which is newest without a query, so that a
	// query typed here is not sent with sort=newest.
	if sel := doc.Find("select#sort option[selected]"); sel.Length() != 1 || sel.AttrOr("value", "?") != "" || sel.Text() != "Best match" {
		t.Errorf("selected sort %q (%q), want Best match", sel.AttrOr("value", "none"), sel.Text())
	}
	// Newest first.
	want := []string{"/papers/2502.00005", "/papers/2407.00004", "/papers/2401.00001", "/papers/2305.00002", "/papers/2301.00003", "/papers/2206.00006", "/papers/hep-th/9901001"}
	if got := hitLinks(doc); !reflect.DeepEqual(got, want) {
		t.Errorf("hit links = %q\nwant %q", got, want)
	}
	if got := doc.Find("#summary").Text(); got != "7 papers" {
		t.Errorf("summary = %q", got)
	}
}

func TestSearchPageNoResults(t *testing.T) {
	h := newHandler(t)
	doc := page(t, h, "/?q=xylophone", http.StatusOK)
	if got := doc.Find("#summary").Text(); got != "No papers for “xylophone”" {
		t.Errorf("summary = %q", got)
	}
	if got := squash(doc.Find(".empty h2").Text()); got != "Nothing matches" {
		t.Errorf("empty state heading = %q", got)
	}
	// Suggestions are the first topics of the taxonomy; with no filter to
	// clear there is no clear-all link.
	want := []string{"/?topic=quantization", "/?topic=pruning", "/?topic=perplexity", "/?topic=long-context"}
	if got := attrs(doc.Find(".empty li a"), "href"); !reflect.DeepEqual(got, want) {
		t.Errorf("empty state links = %q, want %q", got, want)
	}
	if doc.Find("li.hit").Length() != 0 {
		t.Error("hits shown for no results")
	}
}

// The summary quotes the query once: a query in straight quotes already
// gets no curly ones around them.
func TestSearchPageSummaryQuotes(t *testing.T) {
	h := newHandler(t)
	tests := []struct{ q, want string }{
		{"xylophone", "No papers for “xylophone”"},
		{`"xylophone"`, `No papers for "xylophone"`},
		{`"xylophone bells"`, `No papers for "xylophone bells"`},
		// A phrase and a word: the quotes do not enclose the query.
		{`"xylophone bells" zither`, `No papers for “"xylophone bells" zither”`},
		{`<b>"xylophone"</b>`, `No papers for “<b>"xylophone"</b>”`},
		{`"<i>xylophone</i>"`, `No papers for "<i>xylophone</i>"`},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			target := "/?correct=false&q=" + url.QueryEscape(tt.q)
			w := do(t, h, http.MethodGet, target)
			doc, err := goquery.NewDocumentFromReader(w.Body)
			if err != nil {
				t.Fatal(err)
			}
			// Text() is the text as shown: markup in the query was escaped.
			if got := doc.Find("#summary").Text(); got != tt.want {
				t.Errorf("GET %s: summary %q, want %q", target, got, tt.want)
			}
			if n := doc.Find("#summary *").Length(); n != 0 {
				t.Errorf("GET %s: %d elements in the summary", target, n)
			}
		})
	}
}

// Checking a topic facet and submitting the form adds the topic to the
// URL; the page then shows it checked, as a removable chip, with the other
// topics still counted as if it were not selected; unchecking removes it.
func TestFacetToggle(t *testing.T) {
	h := newHandler(t)
	before := page(t, h, "/?q=pruning", http.StatusOK)

	target := submit(t, h, before, "topic", "quantization")
	u, _ := url.Parse(target)
	if got := u.Query(); got.Get("q") != "pruning" || !reflect.DeepEqual(got["topic"], []string{"quantization"}) {
		t.Fatalf("checking Quantization asks for %s", target)
	}
	on := page(t, h, target, http.StatusOK)
	if got := on.Find("#summary").Text(); got != "1 paper for “pruning”" {
		t.Errorf("summary with the topic = %q", got)
	}
	if got := hitLinks(on); !reflect.DeepEqual(got, []string{"/papers/2407.00004"}) {
		t.Errorf("hits with the topic = %q", got)
	}
	wantOn := []facet{
		{"pruning", "Pruning", "2", false},
		{"inference-efficiency", "inference-efficiency", "1", false},
		{"quantization", "Quantization", "1", true},
	}
	if got := topicFacets(on); !reflect.DeepEqual(got, wantOn) {
		t.Errorf("topic facets with the topic =\n%+v\nwant\n%+v", got, wantOn)
	}
	chip := on.Find("section.active a.chip")
	if got := spokenAll(chip); !reflect.DeepEqual(got, []string{"Topic: Quantization (remove)"}) {
		t.Errorf("active chips read %q", got)
	}
	if got := chip.Find(".x").Text(); got != "×" {
		t.Errorf("chip mark = %q, want ×", got)
	}
	if got := chip.AttrOr("href", ""); got != "/?q=pruning" {
		t.Errorf("chip removes the filter via %q, want /?q=pruning", got)
	}
	// A hit's topic chip adds its topic to the selection.
	if got := attrs(hitByLink(t, on, "/papers/2407.00004").Find("ul.chips a.chip"), "href"); !reflect.DeepEqual(got, []string{"/?q=pruning&topic=quantization", "/?q=pruning&topic=quantization&topic=pruning"}) {
		t.Errorf("hit chips with the topic link to %q", got)
	}

	// A second topic ORs in.
	target = submit(t, h, on, "topic", "inference-efficiency")
	u, _ = url.Parse(target)
	if got := slices.Sorted(slices.Values(u.Query()["topic"])); !reflect.DeepEqual(got, []string{"inference-efficiency", "quantization"}) {
		t.Errorf("checking a second topic asks for %s", target)
	}
	two := page(t, h, target, http.StatusOK)
	if got := two.Find("#summary").Text(); got != "2 papers for “pruning”" {
		t.Errorf("summary with two topics = %q", got)
	}

	target = submit(t, h, on, "topic", "quantization")
	u, _ = url.Parse(target)
	if got := u.Query(); got.Get("q") != "pruning" || got.Has("topic") {
		t.Errorf("unchecking Quantization asks for %s", target)
	}
	off := page(t, h, target, http.StatusOK)
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
		if f.Value == "tokenization" {
			found = true
			if want := (facet{"tokenization", "Tokenization", "0", true}); f != want {
				t.Errorf("tokenization facet = %+v, want %+v", f, want)
			}
		}
	}
	if !found {
		t.Fatalf("selected topic missing from the facet list: %+v", topicFacets(doc))
	}
	target := submit(t, h, doc, "topic", "tokenization")
	if u, _ := url.Parse(target); u.Query().Get("q") != "pruning" || u.Query().Has("topic") {
		t.Errorf("unchecking Tokenization asks for %s", target)
	}
	if got := attrs(doc.Find(".empty a"), "href"); !slices.Contains(got, "/?q=pruning") {
		t.Errorf("empty state links %q lack clear-all /?q=pruning", got)
	}

	// Past a dozen topics the rest fold under "more"; the fold opens when
	// it holds a selected topic, which then comes last.
	t.Run("in the fold", func(t *testing.T) {
		idx := newIndex(t)
		var many []search.Paper
		for i := range 10 {
			many = append(many, search.Paper{ID: fmt.Sprintf("many-%d", i), Title: "Zanzibar", Topics: []string{fmt.Sprintf("zz-%02d", i)}})
		}
		if err := idx.Put(many); err != nil {
			t.Fatal(err)
		}
		h, err := api.New(api.Config{Index: idx, Log: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		if more := page(t, h, "/", http.StatusOK).Find("#facet-topics details.more"); more.Length() != 1 || more.Is("[open]") {
			t.Errorf("with nothing selected, %d folds, open %v; want one, closed", more.Length(), more.Is("[open]"))
		}
		doc := page(t, h, "/?topic=tokenization", http.StatusOK)
		box := doc.Find(`#facet-topics details.more[open] input[value="tokenization"][checked]`)
		if box.Length() != 1 {
			t.Errorf("the selected topic is not in an open fold: %+v", topicFacets(doc))
		}
	})
}

func TestYearFacetToggle(t *testing.T) {
	h := newHandler(t)
	doc := page(t, h, "/?q=models", http.StatusOK)
	bars := yearBars(doc)
	if len(bars) < 2 {
		t.Fatalf("year bars %+v: want a few years to choose from", bars)
	}
	var href string
	for _, b := range bars {
		if b.Year == "2024" {
			href = b.Href
		}
	}
	if href != "/?q=models&year_from=2024&year_to=2024" {
		t.Fatalf("2024 links to %q", href)
	}
	on := page(t, h, href, http.StatusOK)
	onBars := yearBars(on)
	if len(onBars) != len(bars) {
		t.Errorf("with 2024 chosen, bars %+v; want every year still there to switch to", onBars)
	}
	for _, b := range onBars {
		if b.Year == "2024" && (!b.Selected || b.Href != "/?q=models") {
			t.Errorf("selected year = %+v, want selected and linking to /?q=models", b)
		}
		if b.Year != "2024" && b.Selected {
			t.Errorf("year %s selected too", b.Year)
		}
	}
	if got := on.Find(`#facet-years a[aria-current="true"] .year`).Text(); got != "2024" {
		t.Errorf("aria-current year = %q", got)
	}
	if got := spokenAll(on.Find("section.active a.chip")); !reflect.DeepEqual(got, []string{"Years: 2024 (remove)"}) {
		t.Errorf("chips = %q", got)
	}
	if from, to := on.Find("input#year_from").AttrOr("value", ""), on.Find("input#year_to").AttrOr("value", ""); from != "2024" || to != "2024" {
		t.Errorf("year boxes = %q to %q, want 2024 to 2024", from, to)
	}
	for _, hit := range attrs(on.Find("main li.hit time"), "datetime") {
		if !strings.HasPrefix(hit, "2024-") {
			t.Errorf("hit from %s under a 2024 filter", hit)
		}
	}
}

// The year boxes' arrows start from the years the search has, and the
// form leaves checking them to the server.
func TestYearBoxesBounds(t *testing.T) {
	h := newHandler(t)
	now := strconv.Itoa(time.Now().Year())
	for _, tt := range []struct {
		target           string
		status           int
		min, max         string
		stepFrom, stepTo string // where an empty box starts
	}{
		{"/?q=pruning", http.StatusOK, "2023", "2024", "2023", "2024"},
		{"/?q=pruning&year_from=2020", http.StatusOK, "2020", "2024", "2020", "2024"},
		{"/?q=xylophone", http.StatusOK, "1000", "9999", now, now},
		{"/?q=xylophone&year_from=2021", http.StatusOK, "1000", "9999", "2021", "2021"},
		{"/?q=pruning&year_to=20", http.StatusBadRequest, "1000", "9999", now, now},
	} {
		doc := page(t, h, tt.target, tt.status)
		for _, id := range []string{"#year_from", "#year_to"} {
			box := doc.Find(id)
			if lo, hi := box.AttrOr("min", ""), box.AttrOr("max", ""); lo != tt.min || hi != tt.max {
				t.Errorf("%s: %s steps within %s-%s, want %s-%s", tt.target, id, lo, hi, tt.min, tt.max)
			}
		}
		if from, to := doc.Find("#year_from").AttrOr("data-step", ""), doc.Find("#year_to").AttrOr("data-step", ""); from != tt.stepFrom || to != tt.stepTo {
			t.Errorf("%s: empty boxes step from %s and %s, want %s and %s", tt.target, from, to, tt.stepFrom, tt.stepTo)
		}
		if _, ok := doc.Find("form#search").Attr("novalidate"); !ok {
			t.Errorf("%s: the form checks the years' bounds itself", tt.target)
		}
	}
}

func TestActiveFilterChips(t *testing.T) {
	h := newHandler(t)
	doc := page(t, h, "/?topic=pruning&category=cs.CL&year_from=2023&year_to=2024&sort=upvotes", http.StatusOK)
	chips := doc.Find("section.active a.chip")
	wantText := []string{"Topic: Pruning (remove)", "Category: cs.CL (remove)", "Years: 2023–2024 (remove)"}
	if got := spokenAll(chips); !reflect.DeepEqual(got, wantText) {
		t.Errorf("chips read %q, want %q", got, wantText)
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
	for i, href := range wantHref {
		p := page(t, h, href, http.StatusOK)
		want := slices.Delete(slices.Clone(wantText), i, i+1)
		if got := spokenAll(p.Find("section.active a.chip")); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: chips %q, want %q", href, got, want)
		}
	}
	for target, want := range map[string]string{
		"/?year_from=2024": "Years: from 2024 (remove)",
		"/?year_to=2023":   "Years: until 2023 (remove)",
	} {
		if got := spokenAll(page(t, h, target, http.StatusOK).Find("section.active a.chip")); !reflect.DeepEqual(got, []string{want}) {
			t.Errorf("%s: open range chip = %q, want %q", target, got, want)
		}
	}
}

// Without the script, a query typed on the start page is ranked by
// relevance, and the blank fields the form sends leave the address.
func TestSearchFormWithoutScript(t *testing.T) {
	h := newHandler(t)
	target := formQuery(t, page(t, h, "/", http.StatusOK), "q", "pruning")
	w := do(t, h, http.MethodGet, target)
	if w.Code != http.StatusFound || w.Header().Get("Location") != "/?q=pruning" {
		t.Fatalf("GET %s: %d to %q, want 302 to /?q=pruning", target, w.Code, w.Header().Get("Location"))
	}
	doc := page(t, h, "/?q=pruning", http.StatusOK)
	if got, want := hitLinks(doc), hitLinks(page(t, h, "/?q=pruning&sort=relevance", http.StatusOK)); !reflect.DeepEqual(got, want) {
		t.Errorf("hits %q, want by relevance %q", got, want)
	}
	if got := doc.Find("select#sort option[selected]").Text(); got != "Best match" {
		t.Errorf("sort menu shows %q", got)
	}

	for _, tt := range []struct{ target, want string }{
		{"/?q=&sort=&year_from=&year_to=", "/"},
		{"/?q=pruning&sort=newest&year_from=+&year_to=2024&topic=", "/?q=pruning&sort=newest&year_to=2024"},
		{"/?topic=pruning&topic=&category=cs.CL", "/?category=cs.CL&topic=pruning"},
	} {
		w := do(t, h, http.MethodGet, tt.target)
		if w.Code != http.StatusFound || w.Header().Get("Location") != tt.want {
			t.Errorf("GET %s: %d to %q, want 302 to %q", tt.target, w.Code, w.Header().Get("Location"), tt.want)
		}
	}
	// Nothing blank, nothing to shorten.
	page(t, h, "/?q=pruning&year_from=2024", http.StatusOK)
	page(t, h, "/?q=pruning;x", http.StatusBadRequest)
}

// The title tells a search's tabs and history entries apart; the results
// count is the page's first heading, filters or not.
func TestSearchPageTitleAndHeadings(t *testing.T) {
	h := newHandler(t)
	long := strings.Repeat("x", 100)
	tests := []struct{ target, title string }{
		{"/", "papersearch"},
		{"/?q=pruning", "pruning · papersearch"},
		{"/?q=pruning&topic=pruning", "pruning (1 filter) · papersearch"},
		{"/?q=models&category=cs.CL&year_from=2023&size=1&page=2", "models (2 filters), page 2 · papersearch"},
		{"/?topic=pruning&topic=quantization", "Papers (2 filters) · papersearch"},
		{"/?size=1&page=3", "Papers, page 3 · papersearch"},
		{"/?q=" + long, strings.Repeat("x", 59) + "… · papersearch"},
		{"/?q=%3Cscript%3E", "<script> · papersearch"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			w := do(t, h, http.MethodGet, tt.target)
			if strings.Contains(w.Body.String(), "<title><script>") {
				t.Fatal("the query is in the title unescaped")
			}
			doc, err := goquery.NewDocumentFromReader(w.Body)
			if err != nil {
				t.Fatal(err)
			}
			if got := doc.Find("title").Text(); got != tt.title {
				t.Errorf("<title> = %q, want %q", got, tt.title)
			}
			if first := goquery.NodeName(doc.Find("h1, h2, h3, h4, h5, h6").First()); first != "h1" {
				t.Errorf("the first heading is an %s, want the h1", first)
			}
		})
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
			Current: shown(nav.Find(`[aria-current="page"]`)),
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
				p.Links = append(p.Links, shown(s)+"="+href)
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
			if got := spoken(doc.Find(`nav.pager [aria-current="page"]`)); got != "Page "+tt.want.Current {
				t.Errorf("current page reads %q", got)
			}
			if got := doc.Find("ol.hits").AttrOr("start", ""); got != tt.wantStart {
				t.Errorf("ol start = %q, want %q", got, tt.wantStart)
			}
			took := squash(doc.Find("main .took").Text())
			if rest, ok := strings.CutPrefix(took, "from #"+tt.wantStart+" · "); tt.wantStart != "1" && (!ok || !tookText.MatchString(rest)) {
				t.Errorf("took = %q, want it to say from #%s", took, tt.wantStart)
			}
			if n := doc.Find("main ol.hits > li.hit").Length(); n != tt.wantHits {
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
		for _, href := range hitLinks(doc) {
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

// A page past the last one (an old bookmark, an edited URL) says that
// it is empty, not that nothing matches, and links to the last page that
// has papers, not to the empty page before it.
func TestSearchPagePastTheEnd(t *testing.T) {
	h := newHandler(t)
	tests := []struct {
		target                           string
		summary, heading, lastLink, prev string
	}{
		{"/?size=2&page=9", "No papers on page 9", "This page is past the end", "/?page=4&size=2", "/?page=4&size=2"},
		{"/?page=2", "No papers on page 2", "This page is past the end", "/", "/"},
		{"/?q=pruning&page=5&size=1", "No papers on page 5 for “pruning”", "This page is past the end", "/?page=3&q=pruning&size=1", "/?page=3&q=pruning&size=1"},
		// Nothing matches at all: there is no last page to go to.
		{"/?q=xylophone&page=3", "No papers for “xylophone”", "Nothing matches", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			doc := page(t, h, tt.target, http.StatusOK)
			if got := squash(doc.Find("#summary").Text()); got != tt.summary {
				t.Errorf("summary %q, want %q", got, tt.summary)
			}
			if got := squash(doc.Find(".empty h2").Text()); got != tt.heading {
				t.Errorf("heading %q, want %q", got, tt.heading)
			}
			if got := doc.Find(".empty p a").AttrOr("href", ""); got != tt.lastLink {
				t.Errorf("link to the last page %q, want %q", got, tt.lastLink)
			}
			if got := doc.Find(`nav.pager a[rel="prev"]`).AttrOr("href", ""); got != tt.prev {
				t.Errorf("previous page %q, want %q", got, tt.prev)
			}
		})
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
		{"q=pruning&page=922337203685477581", "page*size must be at most 10000"},
		{"q=pruning&topic=nosuch", `no topic "nosuch"`},
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

// A search that cannot run keeps what the reader asked for in the form,
// so that correcting the wrong value keeps the rest.
func TestSearchPageErrorKeepsForm(t *testing.T) {
	h := newHandler(t)
	doc := page(t, h, "/?q=pruning&topic=pruning&topic=pruning&category=cs.CL&year_from=2023&year_to=20&sort=upvotes", http.StatusBadRequest)
	if got := squash(doc.Find(`.error[role="alert"] p`).First().Text()); !strings.Contains(got, "year_to must be a year") {
		t.Errorf("error text = %q", got)
	}
	if got := doc.Find("input#q").AttrOr("value", ""); got != "pruning" {
		t.Errorf("search box = %q", got)
	}
	if got := doc.Find("#sort option[selected]").AttrOr("value", ""); got != "upvotes" {
		t.Errorf("sort = %q, want upvotes", got)
	}
	if from, to := doc.Find("#year_from").AttrOr("value", ""), doc.Find("#year_to").AttrOr("value", ""); from != "2023" || to != "20" {
		t.Errorf("year boxes %q to %q, want 2023 to 20 as written", from, to)
	}
	checked := attrs(doc.Find("form#search input[type=checkbox][checked]"), "id")
	if want := []string{"topic-pruning", "cat-cs_2eCL"}; !reflect.DeepEqual(checked, want) {
		t.Errorf("checked boxes %q, want %q", checked, want)
	}
	if n := doc.Find("form#search .count").Length(); n != 0 {
		t.Errorf("%d counts shown for a search that did not run", n)
	}
	wantChips := []string{"Topic: Pruning (remove)", "Category: cs.CL (remove)", "Years: 2023–20 (remove)"}
	if got := spokenAll(doc.Find("section.active a.chip")); !reflect.DeepEqual(got, wantChips) {
		t.Errorf("chips %q, want %q", got, wantChips)
	}
	if got := goquery.NodeName(doc.Find("h1, h2, h3, h4, h5, h6").First()); got != "h1" {
		t.Errorf("the first heading is an %s", got)
	}
	// Correcting the year, the topic and category stay.
	fixed := submit(t, h, doc, "year_to", "2024")
	want := "/?category=cs.CL&q=pruning&sort=upvotes&topic=pruning&year_from=2023&year_to=2024"
	if fixed != want {
		t.Errorf("the corrected form asks for %s, want %s", fixed, want)
	}
	page(t, h, fixed, http.StatusOK)
	// Removing the years through their chip fixes it too.
	if got := doc.Find("section.active a.chip").Last().AttrOr("href", ""); got != "/?category=cs.CL&q=pruning&sort=upvotes&topic=pruning" {
		t.Errorf("the years' chip links to %s", got)
	}

	// What the reader asked for is shown as text, whatever it is.
	w := do(t, h, http.MethodGet, "/?q=x&topic="+url.QueryEscape(imgTag)+"&year_from=1")
	if w.Code != http.StatusBadRequest || strings.Contains(w.Body.String(), imgTag) {
		t.Errorf("status %d; the page has the topic's markup unescaped: %t", w.Code, strings.Contains(w.Body.String(), imgTag))
	}
}

// A query string the server cannot read is an error page, not a page of
// every paper with the query dropped.
func TestSearchPageMalformedQuery(t *testing.T) {
	doc := page(t, newHandler(t), "/?q=quantization;llm", http.StatusBadRequest)
	if got := squash(doc.Find(`.error[role="alert"] p`).First().Text()); !strings.Contains(got, "the query string is malformed") {
		t.Errorf("error text = %q", got)
	}
	if doc.Find("li.hit").Length() != 0 {
		t.Error("results shown with an error")
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
			wantLinks:   []string{"https://arxiv.org/pdf/2401.00001", "https://arxiv.org/abs/2401.00001", "/api/papers/2401.00001"},
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
// have injected: a script other than ours, an image other than the
// layout's logo, an event handler attribute, a javascript: URL.
func checkInert(t *testing.T, target string, body string) *goquery.Document {
	t.Helper()
	for _, raw := range []string{scriptTag, imgTag, "<script>alert", "<img src=x", "onerror=alert(1)>"} {
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
	if imgs := doc.Find("img"); imgs.Length() != 1 || !imgs.Is(`header.top a.brand > img[src="/static/icon.svg"]`) {
		t.Errorf("%s: images %q; want only the logo in the header", target, attrs(imgs, "src"))
	}
	if n := doc.Find("iframe, object, embed, svg").Length(); n != 0 {
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
			if got := hit.Find("h2.title a").Text(); got != xss.Title {
				t.Errorf("hit title shows %q, want the text %q", got, xss.Title)
			}
			if got := texts(hit.Find("h2.title a mark")); !reflect.DeepEqual(got, []string{"alert", "alert"}) {
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
			if got := hitByLink(t, doc, "/papers/"+idXSS).Find("h2.title a").Text(); got != xss.Title {
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
			if got := doc.Find("#summary").Text(); !strings.HasSuffix(got, " for “"+scriptTag+imgTag+"”") {
				t.Errorf("summary shows %q", got)
			}
		}},
		{"unknown topic reflected in the error", "/?topic=" + payload, 400, func(t *testing.T, doc *goquery.Document) {
			if got := doc.Find(`.error[role="alert"] p`).First().Text(); !strings.Contains(got, `no topic "`+scriptTag+imgTag+`"`) {
				t.Errorf("error shows %q", got)
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
	doc.Find("main ol.hits > li.hit h2.title a").Each(func(_ int, s *goquery.Selection) {
		links[s.Text()] = s.AttrOr("href", "")
	})
	for _, p := range odd {
		t.Run(p.ID, func(t *testing.T) {
			href, ok := links[p.Title]
			if !ok {
				t.Fatalf("no hit for %q in %v", p.Title, links)
			}
			u, err := url.Parse(href)
			if err != nil || u.Query().Encode() != "from=q%3Dzanzibar" || u.Fragment != "" {
				t.Fatalf("link %q: %v; want a path and the search to go back to", href, err)
			}
			paper := page(t, h, href, http.StatusOK)
			if got := paper.Find("article h1").Text(); got != p.Title {
				t.Errorf("link %q leads to %q, want %q", href, got, p.Title)
			}
		})
	}
}

// "← Search" on a paper page returns to the search the paper was opened
// from: the results link to it with the search in from, which the paper
// page reads back as a search, and so can only ever link to our own "/?".
func TestPaperPageBackLink(t *testing.T) {
	h := newHandler(t)
	from := func(q string) string { return "/papers/2401.00001?from=" + url.QueryEscape(q) }
	tests := []struct {
		name, target, back string
	}{
		{"no search", "/papers/2401.00001", "/"},
		{"a search", from("q=pruning"), "/?q=pruning"},
		{"a page of it, filtered and sorted", from("sort=oldest&topic=pruning&size=1&page=2&q=models"), "/?page=2&q=models&size=1&sort=oldest&topic=pruning"},
		{"defaults left out", from("q=pruning&sort=relevance&page=1&size=10&facets=none"), "/?q=pruning"},
		{"unknown parameters left out", from("q=pruning&evil=1"), "/?q=pruning"},
		{"markup is a query like any other", from("q=" + scriptTag), "/?q=" + url.QueryEscape(scriptTag)},
		{"a javascript: query is only searched for", from("q=javascript:alert(1)"), "/?q=javascript%3Aalert%281%29"},
		// Not a search: back to the empty one.
		{"another origin", from("//evil.example/"), "/"},
		{"another origin with a query", from("//evil.example/?q=x"), "/"},
		{"a URL", from("https://evil.example/?q=x"), "/"},
		{"a javascript: URL", from("javascript:alert(1)"), "/"},
		{"a path of ours", from("/admin"), "/"},
		{"a bad search", from("q=pruning&size=1000"), "/"},
		{"a malformed query string", from("q=a;b"), "/"},
		{"not UTF-8", from("q=%ff"), "/"},
		{"from given twice: the first", "/papers/2401.00001?from=q%3Dpruning&from=q%3Dother", "/?q=pruning"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := page(t, h, tt.target, http.StatusOK)
			if got := doc.Find("a[data-back]").AttrOr("href", ""); got != tt.back {
				t.Errorf("GET %s: back link %q, want %q", tt.target, got, tt.back)
			}
		})
	}

	// From a page of results to a paper and back; and on through a
	// similar paper, which keeps the way back.
	for _, search := range []string{"/?q=pruning", "/?page=2&q=models&size=1&sort=oldest", "/?category=cs.CL&topic=long-context"} {
		t.Run(search, func(t *testing.T) {
			results := page(t, h, search, http.StatusOK)
			paperURL := results.Find("main ol.hits > li.hit h2.title a").First().AttrOr("href", "")
			paper := page(t, h, paperURL, http.StatusOK)
			if got := paper.Find("a[data-back]").AttrOr("href", ""); got != search {
				t.Errorf("%s, then %s: back link %q", search, paperURL, got)
			}
			similar := paper.Find("#similar li a").First().AttrOr("href", "")
			if similar == "" {
				// The test corpus has neighbours for every paper: without
				// one, the way back through a similar paper goes untested.
				t.Fatalf("%s: no similar paper to follow", paperURL)
			}
			next := page(t, h, similar, http.StatusOK)
			if got := next.Find("a[data-back]").AttrOr("href", ""); got != search {
				t.Errorf("%s, then %s, then %s: back link %q", search, paperURL, similar, got)
			}
		})
	}
}

// A hit found by an author's name shows the name marked among the authors,
// the rest of the text escaped.
func TestPageMarksMatchedAuthors(t *testing.T) {
	h := newHandler(t)
	w := do(t, h, http.MethodGet, "/?q=mallory")
	doc, err := goquery.NewDocumentFromReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	authors, err := doc.Find(".hit .authors").First().Html()
	if err != nil {
		t.Fatal(err)
	}
	if want := `&lt;img src=x onerror=alert(1)&gt;, <mark>Mallory</mark> &lt;script&gt;alert(1)&lt;/script&gt;`; authors != want {
		t.Errorf("authors %q, want %q", authors, want)
	}
	// Found by other words, the authors are plain text.
	w = do(t, h, http.MethodGet, "/?q=retrieval+attacks")
	if doc, err = goquery.NewDocumentFromReader(w.Body); err != nil {
		t.Fatal(err)
	}
	if n := doc.Find(".hit .authors mark").Length(); n != 0 {
		t.Errorf("%d marks among the authors of a search that named none", n)
	}
}

// Years without papers are columns without a bar or a link, and a gap of
// more than two years is one column: the test papers are from 1999 and
// 2022-2025.
func TestYearHistogramGaps(t *testing.T) {
	doc := page(t, newHandler(t), "/", http.StatusOK)
	var cols []string
	doc.Find("#facet-years .histogram li").Each(func(_ int, li *goquery.Selection) {
		cols = append(cols, spoken(li))
	})
	want := []string{"1999: 1 paper", "2000–2021: no papers", "2022: 1 paper", "2023: 2 papers", "2024: 2 papers", "2025: 1 paper"}
	if !reflect.DeepEqual(cols, want) {
		t.Errorf("columns %q, want %q", cols, want)
	}
	if n := doc.Find("#facet-years .histogram li.gap a, #facet-years .histogram li.gap .bar").Length(); n != 0 {
		t.Errorf("the gap has %d links or bars", n)
	}
	if got := shown(doc.Find("#facet-years .histogram li.gap")); got != "…" {
		t.Errorf("the gap shows %q, want …", got)
	}
}
