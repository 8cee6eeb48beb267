package api

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/papersearch/papersearch/search"
	"github.com/papersearch/papersearch/ui"
)

// searchPageData is what search.html renders. URLs are built here, so the
// template only places them.
type searchPageData struct {
	Title      string
	Query      string
	YearFrom   int
	YearTo     int
	Sorts      []option
	Error      string
	TotalText  string
	TookMS     float64
	First      int
	Hits       []hitView
	Topics     []facetView
	Years      []facetView
	Categories []facetView
	Active     []chip
	ClearURL   string
	Suggest    []chip
	Pages      []pageLink
	Prev, Next string
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
	TitleHTML   template.HTML
	SnippetHTML template.HTML
	Published   string
	AuthorsText string
	Upvotes     int
	Categories  []string
	Topics      []chip
	ArxivURL    string
	PDFURL      string
	HFURL       string
}

type facetView struct {
	Value, Label string
	Count        int
	Selected     bool
	URL          string
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
	Title       string
	Paper       search.Paper
	AuthorsText string
	Topics      []chip
	Similar     []chip
}

// similarOnPage is how many similar papers a paper's page lists.
const similarOnPage = 5

var sortLabels = map[string]string{
	search.SortRelevance: "Most relevant",
	search.SortNewest:    "Newest",
	search.SortOldest:    "Oldest",
	search.SortUpvotes:   "Most upvoted",
}

func (s *server) searchPage(c *gin.Context) {
	req, res, err := s.runSearch(c)
	data := searchPageData{Title: "papersearch", Query: req.Query, YearFrom: req.YearFrom, YearTo: req.YearTo}
	for _, v := range search.Sorts {
		data.Sorts = append(data.Sorts, option{v, sortLabels[v], v == req.Sort})
	}
	st := http.StatusOK
	if err != nil {
		var msg string
		st, _, msg = status(err)
		if st >= 500 {
			s.log.Error("search page", "err", err)
		}
		data.Error = msg
		s.render(c, st, "search.html", data)
		return
	}
	if req.Query != "" {
		data.Title = req.Query + " · papersearch"
	}
	s.fillResults(&data, req, res)
	s.render(c, st, "search.html", data)
}

func (s *server) fillResults(d *searchPageData, req search.Request, res search.Result) {
	d.TookMS = NewSearchResponse(res).TookMS
	switch res.Total {
	case 0:
		d.TotalText = "No papers"
	case 1:
		d.TotalText = "1 paper"
	default:
		d.TotalText = fmt.Sprintf("%s papers", thousands(res.Total))
	}
	d.First = (req.Page-1)*req.Size + 1
	for _, h := range res.Hits {
		d.Hits = append(d.Hits, s.hitView(req, h))
	}
	for _, f := range res.Facets.Topics {
		sel := slices.Contains(req.Topics, f.Value)
		d.Topics = append(d.Topics, facetView{f.Value, s.label(f.Value), f.Count, sel, link(toggle(req, "topic", f.Value))})
	}
	// A selected topic with no hits must stay visible so it can be unchecked.
	for _, t := range req.Topics {
		if !slices.ContainsFunc(d.Topics, func(f facetView) bool { return f.Value == t }) {
			d.Topics = append(d.Topics, facetView{t, s.label(t), 0, true, link(toggle(req, "topic", t))})
		}
	}
	for _, f := range res.Facets.Years {
		y, _ := strconv.Atoi(f.Value)
		sel := req.YearFrom == y && req.YearTo == y
		r := req
		r.Page = 0
		if sel {
			r.YearFrom, r.YearTo = 0, 0
		} else {
			r.YearFrom, r.YearTo = y, y
		}
		d.Years = append(d.Years, facetView{f.Value, f.Value, f.Count, sel, link(r)})
	}
	for _, f := range res.Facets.Categories {
		sel := slices.Contains(req.Categories, f.Value)
		d.Categories = append(d.Categories, facetView{f.Value, f.Value, f.Count, sel, link(toggle(req, "category", f.Value))})
	}
	for _, t := range req.Topics {
		d.Active = append(d.Active, chip{"Topic: " + s.label(t), link(toggle(req, "topic", t))})
	}
	for _, cat := range req.Categories {
		d.Active = append(d.Active, chip{"Category: " + cat, link(toggle(req, "category", cat))})
	}
	if req.YearFrom != 0 || req.YearTo != 0 {
		r := req
		r.Page, r.YearFrom, r.YearTo = 0, 0, 0
		d.Active = append(d.Active, chip{"Years: " + yearsText(req.YearFrom, req.YearTo), link(r)})
	}
	d.ClearURL = link(search.Request{Query: req.Query, Sort: req.Sort})
	if len(d.Hits) == 0 {
		for _, t := range s.topics {
			if len(d.Suggest) == 4 {
				break
			}
			d.Suggest = append(d.Suggest, chip{t.Label, link(search.Request{Topics: []string{t.Slug}})})
		}
	}
	d.Pages, d.Prev, d.Next = pages(req, res.Total)
	if res.CorrectedQuery != "" {
		d.Corrected = res.CorrectedQuery
		r := req
		r.NoCorrect, r.Page = true, 0
		d.AsTypedURL = link(r)
	}
	for _, e := range res.Expansions {
		d.Expansions = append(d.Expansions, e.From+" → "+strings.Join(e.To, ", "))
	}
	d.Notices = res.Notices
}

func (s *server) hitView(req search.Request, h search.Hit) hitView {
	p := h.Paper
	v := hitView{
		Link:        "/papers/" + p.ID,
		TitleHTML:   ui.Highlighted(first(h.Highlights["title"])),
		SnippetHTML: ui.Highlighted(strings.Join(h.Highlights["abstract"], " … ")),
		Published:   p.Published,
		AuthorsText: authorsText(p, 3),
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
	id := paperID(c)
	p, err := s.idx.Get(c.Request.Context(), id)
	if err != nil {
		st, _, msg := status(err)
		if errors.Is(err, search.ErrNotFound) {
			msg = "No paper has the id " + strconv.Quote(id) + "."
		}
		data := searchPageData{Title: "Not found · papersearch", Error: msg}
		for _, v := range search.Sorts {
			data.Sorts = append(data.Sorts, option{v, sortLabels[v], v == search.SortRelevance})
		}
		s.render(c, st, "search.html", data)
		return
	}
	d := paperPageData{Title: p.Title + " · papersearch", Paper: p, AuthorsText: authorsText(p, 0)}
	for _, t := range p.Topics {
		d.Topics = append(d.Topics, chip{s.label(t), link(search.Request{Topics: []string{t}})})
	}
	// Similar papers are a courtesy: a failure leaves the list out.
	if sim, err := s.idx.Similar(c.Request.Context(), id, similarOnPage); err == nil {
		for _, h := range sim {
			d.Similar = append(d.Similar, chip{h.Paper.Title, "/papers/" + h.Paper.ID})
		}
	} else {
		s.log.Warn("similar papers", "id", id, "err", err)
	}
	s.render(c, http.StatusOK, "paper.html", d)
}

func (s *server) render(c *gin.Context, status int, name string, data any) {
	var b strings.Builder
	if err := s.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		if !errors.Is(err, context.Canceled) {
			s.log.Error("render page", "template", name, "err", err)
		}
		writeJSON(c, http.StatusInternalServerError, ErrorResponse{Error: ErrorBody{Code: "internal", Message: "internal error; it has been logged"}})
		return
	}
	c.Data(status, "text/html; charset=utf-8", []byte(b.String()))
}

func (s *server) label(slug string) string {
	if l, ok := s.labels[slug]; ok {
		return l
	}
	return slug
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
	r.Page = 0
	return r
}

func link(r search.Request) string {
	v := Values(r)
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

func pages(r search.Request, total uint64) (out []pageLink, prev, next string) {
	last := int((total + uint64(r.Size) - 1) / uint64(r.Size))
	last = min(last, search.MaxWindow/r.Size)
	if last <= 1 {
		return nil, "", ""
	}
	at := func(n int) string { x := r; x.Page = n; return link(x) }
	if r.Page > 1 {
		prev = at(r.Page - 1)
	}
	if r.Page < last {
		next = at(r.Page + 1)
	}
	for n := 1; n <= last; n++ {
		switch {
		case n == 1 || n == last || (n >= r.Page-2 && n <= r.Page+2):
			out = append(out, pageLink{N: n, URL: at(n), Current: n == r.Page})
		case len(out) > 0 && out[len(out)-1].URL != "":
			out = append(out, pageLink{}) // a gap
		}
	}
	return out, prev, next
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
