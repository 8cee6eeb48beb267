package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/papersearch/papersearch/search"
	"github.com/papersearch/papersearch/ui"
)

// pageMeta is what every page's head and header need.
type pageMeta struct {
	Title string
	// FeedURL is the Atom feed of what the page shows, if any.
	FeedURL string
}

// searchPageData is what search.html renders. URLs are built here, so the
// template only places them.
type searchPageData struct {
	pageMeta
	Query string
	// YearFrom and YearTo are the year boxes' contents: as written, on a
	// page that says they are wrong.
	YearFrom string
	YearTo   string
	// YearLow and YearHigh bound the year boxes: the years the search's
	// papers have (whatever its year filter), so that the arrow keys step
	// from them rather than from the year 1000.
	YearLow, YearHigh int
	// YearStepFrom and YearStepTo are where an empty From and To box start
	// stepping (see setYears).
	YearStepFrom, YearStepTo int
	Sorts                    []option
	Error                    string
	Status                   int
	// Summary is the one-line result count, also read out by screen
	// readers after each search-as-you-type update.
	Summary   string
	TookMS    float64
	First     int
	Hits      []hitView
	Topics    facetList
	Years     []yearBar
	YearsMax  int
	Cats      facetList
	Active    []chip
	ClearURL  string
	Suggest   []chip
	Pages     []pageLink
	Prev      string
	Next      string
	FirstPage string
	// LastURL, on a page past the last one (an old bookmark, an edited
	// URL), links to the last page, LastPage; Papers says how many the
	// search has.
	LastURL  string
	LastPage int
	Papers   string
	// Capped says the page numbers stop at the window; Next then follows
	// a cursor.
	Capped bool
	// Corrected is the query searched instead of the one typed, and
	// AsTypedURL searches what was typed, uncorrected.
	Corrected  string
	AsTypedURL string
	Expansions []string
	Notices    []string
}

type option struct {
	Value, Label string
	Selected     bool
}

type hitView struct {
	Link        string
	Title       string
	TitleHTML   template.HTML
	SnippetHTML template.HTML
	Published   string
	AuthorsText string
	// AuthorsHTML, when the query matched an author, is AuthorsText with
	// the names marked.
	AuthorsHTML template.HTML
	Upvotes     int
	Categories  []string
	Topics      []chip
	ArxivURL    string
	PDFURL      string
	HFURL       string
}

// facetList is a facet group: the first few values shown, the rest folded
// away under "more" unless one of them is selected.
type facetList struct {
	Shown, More []facetView
	Open        bool
}

type facetView struct {
	// Name is the query parameter: topic or category.
	Name         string
	Value, Label string
	Count        int
	Selected     bool
	// ID is a safe HTML id for the checkbox.
	ID string
	// Uncounted values belong to a search that could not run.
	Uncounted bool
}

// yearBar is one column of the year histogram.
type yearBar struct {
	Year, Count int
	// Height is the bar's height in tenths of the tallest; a CSS class
	// (h0..h10) draws it, as the CSP allows no style attributes.
	Height   int
	Selected bool
	URL      string
	// Empty marks years without papers, Year to Until, between two with
	// them: a column with no bar and no link.
	Empty bool
	Until int
}

type chip struct {
	Label, URL string
}

type pageLink struct {
	N       int
	URL     string
	Current bool
}

type paperPageData struct {
	pageMeta
	// BackURL is the search the reader came from (see backLink).
	BackURL     string
	Paper       search.Paper
	JSONLink    string // escaped: the template would leave ? # and %xx of an id alone
	AuthorsText string
	Topics      []chip
	Similar     []hitView
}

// similarOnPage is how many similar papers a paper's page lists.
const similarOnPage = 5

var sortLabels = map[string]string{
	bestMatch:          "Best match",
	search.SortNewest:  "Newest",
	search.SortOldest:  "Oldest",
	search.SortUpvotes: "Most upvoted",
}

// bestMatch is the sort menu's default: no sort parameter, so that the
// search's own default applies, relevance with a query and newest without.
// The start page lists the newest papers, but a menu that showed "Newest"
// there would send it with a query typed there (without the script, the
// form sends every field), ranking that query by date.
const bestMatch = ""

const (
	topicsShown = 12
	catsShown   = 8
)

// recoverPage is deferred by the page handlers: a panic below them becomes
// the page's own error state, as any other 500 does, instead of the JSON
// that the router's recovery writes for the API.
func (s *server) recoverPage(c *gin.Context) {
	v := recover()
	if v == nil {
		return
	}
	s.log.Error("panic serving page", "path", c.Request.URL.Path, "panic", v)
	if c.Writer.Written() {
		c.Abort()
		return
	}
	data := searchPageData{pageMeta: pageMeta{Title: "Server error · papersearch"}, Error: internalMsg,
		Status: http.StatusInternalServerError, Sorts: sortOptions(search.Request{})}
	data.setYears(nil, 0, 0)
	s.render(c, http.StatusInternalServerError, "search.html", data)
	c.Abort()
}

func (s *server) searchPage(c *gin.Context) {
	defer s.recoverPage(c)
	if to, ok := withoutEmpty(c.Request.URL); ok {
		c.Writer.Header().Del("ETag")
		c.Redirect(http.StatusFound, to)
		return
	}
	req, res, err := s.runSearch(c, true)
	if err != nil {
		st, _, msg := status(err)
		if st >= 500 {
			s.log.Error("search page", "err", err)
		}
		data := searchPageData{pageMeta: pageMeta{Title: "Search failed · papersearch"}, Error: msg, Status: st}
		s.fillForm(&data, c.Request.URL)
		s.render(c, st, "search.html", data)
		return
	}
	data := searchPageData{pageMeta: pageMeta{Title: "papersearch"}, Query: req.Query, YearFrom: yearText(req.YearFrom), YearTo: yearText(req.YearTo)}
	data.Sorts = sortOptions(req)
	data.Title = searchTitle(req)
	feed := req
	feed.Page, feed.Cursor, feed.Size = 0, "", 0
	if req.Query != "" && feed.Sort == search.SortRelevance {
		feed.Sort = "" // the feed's default, newest, is what a reader wants
	}
	data.FeedURL = "/feed.atom" + query(feedValues(feed))
	s.fillResults(&data, req, res)
	s.render(c, http.StatusOK, "search.html", data)
}

// searchTitle names a search in the browser's tabs and history: its query
// (cut short), how many filters it has and its page, so that two entries
// for one query can be told apart. The start page is plain "papersearch".
func searchTitle(r search.Request) string {
	name := clipText(r.Query, titleQueryLen)
	filters := len(r.Topics) + len(r.Categories)
	if r.YearFrom != 0 || r.YearTo != 0 {
		filters++
	}
	page := r.Page > 1 && r.Cursor == "" // a cursor's page has no number
	if name == "" {
		if filters == 0 && !page {
			return "papersearch"
		}
		name = "Papers"
	}
	switch {
	case filters == 1:
		name += " (1 filter)"
	case filters > 1:
		name += fmt.Sprintf(" (%d filters)", filters)
	}
	if page {
		name += fmt.Sprintf(", page %d", r.Page)
	}
	return name + " · papersearch"
}

// titleQueryLen is as much of a query, in characters, as a title shows:
// tabs show less, and the rest of the title says more.
const titleQueryLen = 60

// clipText cuts s to n characters, marking the cut with an ellipsis.
func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// withoutEmpty is the address u without its empty search parameters, and
// whether it had any. Without the script the form sends every field, the
// blank ones too (year_from=&year_to=&sort=); a redirect gives the search
// the short address that its links, and the script, use.
func withoutEmpty(u *url.URL) (string, bool) {
	v, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", false // the search says what is wrong with it
	}
	dropped := false
	for _, name := range SearchParams {
		vs, ok := v[name]
		if !ok {
			continue
		}
		kept := slices.DeleteFunc(vs, func(s string) bool { return strings.TrimSpace(s) == "" })
		if len(kept) == len(vs) {
			continue
		}
		dropped = true
		if len(kept) == 0 {
			v.Del(name)
		} else {
			v[name] = kept
		}
	}
	if !dropped {
		return "", false
	}
	return "/" + query(v), true
}

// sortOptions lists the sort menu for r, with r's order selected: "Best
// match" when r has its query's default order.
func sortOptions(r search.Request) []option {
	sel := r.Sort
	if sel == defaultSort(r.Query) || sel == search.SortRelevance {
		sel = bestMatch
	}
	out := []option{{bestMatch, sortLabels[bestMatch], sel == bestMatch}}
	for _, v := range search.Sorts {
		if v != search.SortRelevance { // "Best match" with a query
			out = append(out, option{v, sortLabels[v], v == sel})
		}
	}
	return out
}

func (s *server) fillResults(d *searchPageData, req search.Request, res search.Result) {
	d.TookMS = NewSearchResponse(res).TookMS
	d.Summary = papersText(res.Total)
	if last, _ := lastPage(req, res); len(res.Hits) == 0 && req.Cursor == "" && req.Page > last && last > 0 {
		d.Summary = fmt.Sprintf("No papers on page %d", req.Page)
		d.Papers, d.LastPage = papersText(res.Total), last
		r := req
		r.Page = last
		d.LastURL = link(r)
	}
	if req.Query != "" {
		q := req.Query
		if res.CorrectedQuery != "" {
			q = res.CorrectedQuery
		}
		d.Summary += " for " + quoteQuery(q)
	}
	d.First = (res.Page-1)*req.Size + 1
	for _, h := range res.Hits {
		d.Hits = append(d.Hits, s.hitView(req, h))
	}

	var topics []facetView
	for _, f := range res.Facets.Topics {
		topics = append(topics, facetView{Name: "topic", Value: f.Value, Label: s.label(f.Value), Count: f.Count, Selected: slices.Contains(req.Topics, f.Value), ID: "topic-" + htmlID(f.Value)})
	}
	// A selected topic with no hits must stay visible so it can be unchecked.
	for _, t := range req.Topics {
		if !slices.ContainsFunc(topics, func(f facetView) bool { return f.Value == t }) {
			topics = append(topics, facetView{Name: "topic", Value: t, Label: s.label(t), Selected: true, ID: "topic-" + htmlID(t)})
		}
	}
	d.Topics = fold(topics, topicsShown)
	var cats []facetView
	for _, f := range res.Facets.Categories {
		cats = append(cats, facetView{Name: "category", Value: f.Value, Label: f.Value, Count: f.Count, Selected: slices.Contains(req.Categories, f.Value), ID: "cat-" + htmlID(f.Value)})
	}
	for _, cat := range req.Categories {
		if !slices.ContainsFunc(cats, func(f facetView) bool { return f.Value == cat }) {
			cats = append(cats, facetView{Name: "category", Value: cat, Label: cat, Selected: true, ID: "cat-" + htmlID(cat)})
		}
	}
	d.Cats = fold(cats, catsShown)
	d.Years, d.YearsMax = yearBars(req, res.Facets.Years)
	d.setYears(d.Years, req.YearFrom, req.YearTo)

	d.Active, d.ClearURL = s.activeFilters(req)
	if len(d.Hits) == 0 {
		for _, t := range s.topics {
			if len(d.Suggest) == 4 {
				break
			}
			d.Suggest = append(d.Suggest, chip{t.Label, link(search.Request{Topics: []string{t.Slug}})})
		}
	}
	d.Pages, d.Prev, d.Next, d.Capped = pages(req, res)
	if req.Cursor != "" {
		r := req
		r.Cursor, r.Page = "", 0
		d.FirstPage = link(r)
	}
	if res.CorrectedQuery != "" {
		d.Corrected = res.CorrectedQuery
		r := req
		r.NoCorrect, r.Page, r.Cursor = true, 0, ""
		d.AsTypedURL = link(r)
	}
	for _, e := range res.Expansions {
		d.Expansions = append(d.Expansions, e.From+" → "+strings.Join(e.To, ", "))
	}
	d.Notices = res.Notices
}

// activeFilters lists the chips that each remove one of req's filters, and
// the link that clears them all.
func (s *server) activeFilters(req search.Request) (chips []chip, clear string) {
	for _, t := range req.Topics {
		chips = append(chips, chip{"Topic: " + s.label(t), link(toggle(req, "topic", t))})
	}
	for _, cat := range req.Categories {
		chips = append(chips, chip{"Category: " + cat, link(toggle(req, "category", cat))})
	}
	if req.YearFrom != 0 || req.YearTo != 0 {
		r := req
		r.Page, r.Cursor, r.YearFrom, r.YearTo = 0, "", 0, 0
		chips = append(chips, chip{"Years: " + yearsText(req.YearFrom, req.YearTo), link(r)})
	}
	return chips, link(search.Request{Query: req.Query, Sort: req.Sort, Size: req.Size})
}

// fillForm puts the search u asked for back into the form of a page that
// says the search could not run, so that the reader corrects it instead
// of starting over: the box, the order, the year boxes as written, the
// selected topics and categories (uncounted) and their chips. It reads u
// leniently, as what was asked for may be what is wrong: a value that
// does not parse is left out, and nothing is checked against the index.
func (s *server) fillForm(d *searchPageData, u *url.URL) {
	v := u.Query() // a malformed pair is dropped; the error says so
	text := func(name string) string { return strings.ToValidUTF8(v.Get(name), "\uFFFD") }
	var r search.Request
	r.Query = strings.TrimSpace(text("q"))
	if sort := text("sort"); slices.Contains(search.Sorts, sort) {
		r.Sort = sort
	}
	if n, err := strconv.Atoi(strings.TrimSpace(text("size"))); err == nil && n >= 1 && n <= search.MaxSize {
		r.Size = n
	}
	// A year that is a number, even out of range, is kept for the chip
	// that removes the years and the links that keep them.
	d.YearFrom, d.YearTo = strings.TrimSpace(text("year_from")), strings.TrimSpace(text("year_to"))
	r.YearFrom, _ = strconv.Atoi(d.YearFrom)
	r.YearTo, _ = strconv.Atoi(d.YearTo)
	values := func(name string) []string {
		var out []string
		for _, x := range v[name] {
			if x = strings.ToValidUTF8(strings.TrimSpace(x), "\uFFFD"); x != "" && !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
		return out
	}
	r.Topics, r.Categories = values("topic"), values("category")

	d.Query = r.Query
	d.Sorts = sortOptions(r)
	var topics, cats []facetView
	for _, t := range r.Topics {
		topics = append(topics, facetView{Name: "topic", Value: t, Label: s.label(t), Selected: true, ID: "topic-" + htmlID(t), Uncounted: true})
	}
	for _, c := range r.Categories {
		cats = append(cats, facetView{Name: "category", Value: c, Label: c, Selected: true, ID: "cat-" + htmlID(c), Uncounted: true})
	}
	d.Topics, d.Cats = fold(topics, topicsShown), fold(cats, catsShown)
	d.Active, d.ClearURL = s.activeFilters(r)
	d.setYears(nil, r.YearFrom, r.YearTo)
}

// yearSpan is the first and last year of the histogram, widened to take in
// the years selected; without bars, every year a search may ask for.
// setYears bounds the year boxes by the search's years (yearSpan) and
// says where an empty box steps from: the first and last of those years,
// or, with none (no results, an error), the years asked for, or this year,
// rather than the widest bounds, 1000 and 9999.
func (d *searchPageData) setYears(bars []yearBar, from, to int) {
	d.YearLow, d.YearHigh = yearSpan(bars, from, to)
	if len(bars) > 0 {
		d.YearStepFrom, d.YearStepTo = d.YearLow, d.YearHigh
		return
	}
	valid := func(y int) int {
		if y < search.MinYear || y > search.MaxYear {
			return 0
		}
		return y
	}
	from, to = valid(from), valid(to)
	now := time.Now().Year()
	d.YearStepFrom, d.YearStepTo = cmp.Or(from, to, now), cmp.Or(to, from, now)
}

func yearSpan(bars []yearBar, selected ...int) (low, high int) {
	if len(bars) == 0 {
		return search.MinYear, search.MaxYear
	}
	low, high = bars[0].Year, bars[len(bars)-1].Year
	for _, y := range selected {
		if y != 0 {
			low, high = min(low, y), max(high, y)
		}
	}
	return low, high
}

func yearText(y int) string {
	if y == 0 {
		return ""
	}
	return strconv.Itoa(y)
}

// fold keeps the first n values in view and the rest under "more", opened
// when it holds a selected value.
func fold(vs []facetView, n int) facetList {
	if len(vs) <= n+2 { // folding away one or two saves nothing
		return facetList{Shown: vs}
	}
	l := facetList{Shown: vs[:n], More: vs[n:]}
	l.Open = slices.ContainsFunc(l.More, func(f facetView) bool { return f.Selected })
	return l
}

// yearBars lays the year facet out oldest to newest, as a timeline reads,
// each bar a link that filters to its year (or back, when it is the one
// selected). Years in the selected range are marked.
func yearBars(req search.Request, years []search.FacetValue) ([]yearBar, int) {
	var out []yearBar
	most := 0
	for _, f := range years {
		y, err := strconv.Atoi(f.Value)
		if err != nil {
			continue
		}
		most = max(most, f.Count)
		r := req
		r.Page, r.Cursor = 0, ""
		if req.YearFrom == y && req.YearTo == y {
			r.YearFrom, r.YearTo = 0, 0
		} else {
			r.YearFrom, r.YearTo = y, y
		}
		out = append(out, yearBar{Year: y, Count: f.Count, Selected: yearInRange(req, y), URL: link(r)})
	}
	slices.SortFunc(out, func(a, b yearBar) int { return a.Year - b.Year })
	for i := range out {
		// At least a sliver, so a year with one paper still shows.
		out[i].Height = max(1, (out[i].Count*10+most-1)/max(most, 1))
	}
	if len(years) >= search.MaxFacetSize {
		// The facet may have left years out (it keeps the years with
		// the most papers): a missing year is not one without papers.
		return out, most
	}
	return withEmptyYears(req, out), most
}

// yearInRange says whether y is in the year range req selects.
func yearInRange(req search.Request, y int) bool {
	return (req.YearFrom != 0 || req.YearTo != 0) &&
		(req.YearFrom == 0 || y >= req.YearFrom) && (req.YearTo == 0 || y <= req.YearTo)
}

// withEmptyYears puts a column for each year without papers between two
// with them, so that the timeline reads true: 2022 next to 2024 read as two
// years in a row. A gap of more than two years is one column, "…", so that
// a stray old paper does not push the recent years out of view.
func withEmptyYears(req search.Request, bars []yearBar) []yearBar {
	var out []yearBar
	for i, b := range bars {
		if i > 0 {
			switch from, to := bars[i-1].Year+1, b.Year-1; {
			case to-from+1 > 2:
				out = append(out, yearBar{Year: from, Until: to, Empty: true})
			default:
				for y := from; y <= to; y++ {
					out = append(out, yearBar{Year: y, Until: y, Empty: true, Selected: yearInRange(req, y)})
				}
			}
		}
		out = append(out, b)
	}
	return out
}

func (s *server) hitView(req search.Request, h search.Hit) hitView {
	p := h.Paper
	v := hitView{
		Link:        paperPath(p.ID) + fromQuery(req),
		Title:       p.Title,
		TitleHTML:   ui.Highlighted(first(h.Highlights["title"])),
		SnippetHTML: ui.Highlighted(strings.Join(h.Highlights["abstract"], " … ")),
		Published:   p.Published,
		AuthorsText: authorsText(p, 3),
		AuthorsHTML: authorsHTML(p, h.Highlights["authors"], 3),
		Upvotes:     p.Upvotes,
		Categories:  p.Categories,
		ArxivURL:    p.URL,
		PDFURL:      p.PDFURL,
		HFURL:       p.HFURL,
	}
	for _, t := range p.Topics {
		r := req
		if !slices.Contains(r.Topics, t) {
			r = toggle(req, "topic", t)
		}
		v.Topics = append(v.Topics, chip{s.label(t), link(r)})
	}
	return v
}

func (s *server) paperPage(c *gin.Context) {
	defer s.recoverPage(c)
	id := s.paperID(c)
	p, err := s.idx.Get(c.Request.Context(), id)
	if err != nil {
		st, _, msg := status(err)
		if errors.Is(err, search.ErrNotFound) {
			msg = "No paper has the id " + strconv.Quote(id) + "."
		} else if st >= 500 {
			s.log.Error("paper page", "id", id, "err", err)
		}
		data := searchPageData{pageMeta: pageMeta{Title: "Not found · papersearch"}, Error: msg, Status: st, Sorts: sortOptions(search.Request{})}
		data.setYears(nil, 0, 0)
		s.render(c, st, "search.html", data)
		return
	}
	from := backSearch(c.Query(fromParam))
	d := paperPageData{pageMeta: pageMeta{Title: p.Title + " · papersearch"}, BackURL: link(from), Paper: p, JSONLink: "/api" + paperPath(p.ID), AuthorsText: authorsText(p, 0)}
	for _, t := range p.Topics {
		d.Topics = append(d.Topics, chip{s.label(t), link(search.Request{Topics: []string{t}})})
	}
	// Similar papers are a courtesy: a failure leaves the list out.
	if sim, err := s.idx.Similar(c.Request.Context(), p.ID, similarOnPage); err == nil {
		for _, h := range sim {
			// Marks would only echo this paper's own words.
			h.Highlights = map[string][]string{"title": {unmark.Replace(first(h.Highlights["title"]))}}
			// Their links carry the search on, so that Back from one of
			// them still returns to it.
			d.Similar = append(d.Similar, s.hitView(from, h))
		}
	} else {
		s.log.Warn("similar papers", "id", p.ID, "err", err)
	}
	s.render(c, http.StatusOK, "paper.html", d)
}

// fromParam carries the search a paper page was opened from, as its query
// string, so that the page's "← Search" returns to it.
const fromParam = "from"

// fromQuery is the query string that links a paper page to the search r.
func fromQuery(r search.Request) string {
	q := Values(r).Encode()
	if q == "" {
		return ""
	}
	return "?" + url.Values{fromParam: {q}}.Encode()
}

// backSearch reads a from parameter back into a search. Anyone can write
// one, so only what parses as a search's parameters is kept, and the page
// links to it with link, which always makes our own "/?...": never another
// origin, path or scheme. Anything else is the empty search, "/".
func backSearch(from string) search.Request {
	v, err := url.ParseQuery(from)
	if err != nil || validUTF8(v) != nil {
		return search.Request{}
	}
	v.Del("facets") // the page counts every group, whatever it says
	r, err := ParseSearch(v)
	if err != nil {
		return search.Request{}
	}
	return r
}

var unmark = strings.NewReplacer("<mark>", "", "</mark>", "")

func (s *server) render(c *gin.Context, status int, name string, data any) {
	var b strings.Builder
	if err := s.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		if !errors.Is(err, context.Canceled) {
			s.log.Error("render page", "template", name, "err", err)
		}
		writeJSON(c, http.StatusInternalServerError, ErrorResponse{Error: ErrorBody{Code: "internal", Message: internalMsg}})
		return
	}
	send(c, status, "text/html; charset=utf-8", []byte(b.String()))
}

func (s *server) label(slug string) string {
	if l, ok := s.labels[slug]; ok {
		return l
	}
	return slug
}

// htmlID makes a value usable in an id attribute and a CSS selector:
// letters, digits and dashes, anything else as its code point.
func htmlID(v string) string {
	var b strings.Builder
	for _, r := range v {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "_%x", r)
		}
	}
	return b.String()
}

// toggle adds value to a multi-valued filter, or removes it if present,
// and goes back to page one (the old page may not exist any more).
func toggle(r search.Request, name, value string) search.Request {
	flip := func(vs []string) []string {
		if slices.Contains(vs, value) {
			return slices.DeleteFunc(slices.Clone(vs), func(v string) bool { return v == value })
		}
		return append(slices.Clone(vs), value)
	}
	switch name {
	case "topic":
		r.Topics = flip(r.Topics)
	case "category":
		r.Categories = flip(r.Categories)
	}
	r.Page, r.Cursor = 0, ""
	return r
}

func link(r search.Request) string {
	return "/" + query(Values(r))
}

// pages lays out the pager: numbered pages up to the page window, and past
// it a Next that follows the result's cursor (a page reached by cursor has
// no number to show, only First and Next). capped says the numbers stop
// short of the total.
func pages(r search.Request, res search.Result) (out []pageLink, prev, next string, capped bool) {
	at := func(n int) string { x := r; x.Page, x.Cursor = n, ""; return link(x) }
	if r.Cursor != "" {
		if res.NextCursor != "" {
			x := r
			x.Page, x.Cursor = 0, res.NextCursor
			next = link(x)
		}
		return nil, "", next, false
	}
	last, capped := lastPage(r, res)
	if last == 0 || (last == 1 && r.Page == 1) {
		return nil, "", "", false
	}
	switch {
	case r.Page > last:
		// Past the end, the page before holds nothing either.
		prev = at(last)
	case r.Page > 1:
		prev = at(r.Page - 1)
	}
	if r.Page < last {
		next = at(r.Page + 1)
	} else if capped && res.NextCursor != "" {
		x := r
		x.Page, x.Cursor = 0, res.NextCursor
		next = link(x)
	}
	for n := 1; n <= last; n++ {
		switch {
		case n == 1 || n == last || (n >= r.Page-2 && n <= r.Page+2):
			out = append(out, pageLink{N: n, URL: at(n), Current: n == r.Page})
		case len(out) > 0 && out[len(out)-1].URL != "":
			out = append(out, pageLink{}) // a gap
		}
	}
	return out, prev, next, capped
}

// lastPage is the last page of numbered pages of res; capped says the
// page window (search.MaxWindow) ends them short of the total.
func lastPage(r search.Request, res search.Result) (last int, capped bool) {
	last = int((res.Total + uint64(r.Size) - 1) / uint64(r.Size))
	if window := search.MaxWindow / r.Size; last > window {
		return window, true
	}
	return last, false
}

// quoteQuery puts a query in curly quotes for the summary line, unless
// it already starts and ends with straight ones ("Rongrong Ji"), where
// more would read “"Rongrong Ji"”.
func quoteQuery(q string) string {
	if len(q) >= 2 && strings.HasPrefix(q, `"`) && strings.HasSuffix(q, `"`) {
		return q
	}
	return "“" + q + "”"
}

func papersText(n uint64) string {
	switch n {
	case 0:
		return "No papers"
	case 1:
		return "1 paper"
	}
	return thousands(n) + " papers"
}

func authorsText(p search.Paper, max int) string {
	switch {
	case len(p.Authors) == 0 && p.AuthorCount == 0:
		return ""
	case len(p.Authors) == 0:
		if p.AuthorCount == 1 {
			return "1 author"
		}
		return fmt.Sprintf("%d authors", p.AuthorCount)
	case max > 0 && p.AuthorCount > max:
		return strings.Join(p.Authors[:min(max, len(p.Authors))], ", ") + fmt.Sprintf(" and %d more", p.AuthorCount-min(max, len(p.Authors)))
	case p.AuthorCount > len(p.Authors):
		return strings.Join(p.Authors, ", ") + fmt.Sprintf(" and %d more", p.AuthorCount-len(p.Authors))
	}
	return strings.Join(p.Authors, ", ")
}

// authorsHTML is authorsText with the names the query matched marked (hl
// is the hit's highlights.authors), and the first author it matched shown
// even when it comes after the first limit. The authors left out are
// counted where they are, before that author and after it:
// "A, B, C, 1 more, D and 5 more", or "A, B, C, 2 more, D" when D is last.
func authorsHTML(p search.Paper, hl []string, limit int) template.HTML {
	if len(hl) == 0 || len(hl) != len(p.Authors) {
		return ""
	}
	parts := slices.Clone(hl[:min(limit, len(hl))])
	listed := len(parts) // the authors shown or counted so far, in order
	for i := listed; i < len(hl); i++ {
		if strings.Contains(hl[i], "<mark>") {
			if skipped := i - listed; skipped > 0 {
				parts = append(parts, fmt.Sprintf("%d more", skipped))
			}
			parts = append(parts, hl[i])
			listed = i + 1
			break
		}
	}
	text := strings.Join(parts, ", ")
	if more := max(p.AuthorCount, len(p.Authors)) - listed; more > 0 {
		text += fmt.Sprintf(" and %d more", more)
	}
	return ui.Highlighted(text)
}

func yearsText(from, to int) string {
	switch {
	case from == to:
		return strconv.Itoa(from)
	case from == 0:
		return "until " + strconv.Itoa(to)
	case to == 0:
		return "from " + strconv.Itoa(from)
	}
	return strconv.Itoa(from) + "–" + strconv.Itoa(to)
}

func thousands(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}
