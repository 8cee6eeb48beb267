package search

import (
	"context"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Limits on a request; larger values are refused with ErrBadQuery.
const (
	DefaultSize = 10
	MaxSize     = 100
	// MaxWindow bounds page*size so deep pages cannot make Bleve collect and
	// sort an unbounded number of hits.
	MaxWindow = 10000
	// MaxQueryLen bounds the query text, in bytes.
	MaxQueryLen = 1024
)

// Sort orders.
const (
	SortRelevance = "relevance"
	SortNewest    = "newest"
	SortOldest    = "oldest"
	SortUpvotes   = "upvotes"
)

// Sorts lists the accepted sort orders.
var Sorts = []string{SortRelevance, SortNewest, SortOldest, SortUpvotes}

const (
	topicFacetSize    = 50
	yearFacetSize     = 50
	categoryFacetSize = 30
	snippetRunes      = 240
)

// Request is a search as a caller states it. The zero value lists every
// paper, newest first.
type Request struct {
	Query      string
	Topics     []string // any of these (OR)
	Categories []string // any of these (OR)
	YearFrom   int      // inclusive; 0 means open
	YearTo     int      // inclusive; 0 means open
	Sort       string   // one of Sorts; empty means relevance, or newest without a query
	Page       int      // 1-based; 0 means 1
	Size       int      // 0 means DefaultSize
	// Cursor continues from a Result.NextCursor of the same search, past
	// MaxWindow if need be; Page must then be 0 or 1.
	Cursor string
}

// Result is one page of hits with facet counts.
type Result struct {
	Query  string
	Sort   string
	Total  uint64
	Took   time.Duration
	Page   int
	Size   int
	Hits   []Hit
	Facets Facets
	// NextCursor, when there are more hits, continues after this page
	// (see Request.Cursor).
	NextCursor string
}

// Hit is a paper in a result with its score and highlighted fragments.
type Hit struct {
	Paper Paper
	Score float64
	// Highlights maps "title" and "abstract" to HTML fragments: the paper
	// text escaped, with matches wrapped in <mark>. Both are always present
	// (unmatched text comes back escaped, without marks), so a caller can
	// show them as they are.
	Highlights map[string][]string
}

// Facets are counts of the papers matching a request, per value. Each group
// is computed without its own filter (disjunctive faceting), so checking one
// topic still shows what the others would add.
type Facets struct {
	Topics     []FacetValue
	Years      []FacetValue
	Categories []FacetValue
}

// FacetValue is one facet bucket.
type FacetValue struct {
	Value string
	Count int
}

// Normalize fills defaults and validates; errors wrap ErrBadQuery.
func (r *Request) Normalize() error {
	r.Query = strings.TrimSpace(r.Query)
	if len(r.Query) > MaxQueryLen {
		return fmt.Errorf("%w: query is %d bytes; the limit is %d", ErrBadQuery, len(r.Query), MaxQueryLen)
	}
	if !utf8.ValidString(r.Query) {
		return fmt.Errorf("%w: query is not valid UTF-8", ErrBadQuery)
	}
	if r.Sort == "" {
		r.Sort = SortRelevance
		if r.Query == "" {
			r.Sort = SortNewest
		}
	}
	if !slices.Contains(Sorts, r.Sort) {
		return fmt.Errorf("%w: sort must be one of %s, not %q", ErrBadQuery, strings.Join(Sorts, ", "), r.Sort)
	}
	if r.Page == 0 {
		r.Page = 1
	}
	if r.Size == 0 {
		r.Size = DefaultSize
	}
	switch {
	case r.Page < 1:
		return fmt.Errorf("%w: page must be 1 or more, not %d", ErrBadQuery, r.Page)
	case r.Size < 1 || r.Size > MaxSize:
		return fmt.Errorf("%w: size must be between 1 and %d, not %d", ErrBadQuery, MaxSize, r.Size)
	case r.Cursor != "" && r.Page != 1:
		return fmt.Errorf("%w: use either page or cursor, not both", ErrBadQuery)
	case r.Cursor == "" && r.Page*r.Size > MaxWindow:
		return fmt.Errorf("%w: page*size must be at most %d (page %d of size %d asks for %d); narrow the search, or follow next_cursor",
			ErrBadQuery, MaxWindow, r.Page, r.Size, r.Page*r.Size)
	}
	for _, y := range []int{r.YearFrom, r.YearTo} {
		if y != 0 && (y < 1000 || y > 9999) {
			return fmt.Errorf("%w: year %d is not a four-digit year", ErrBadQuery, y)
		}
	}
	if r.YearFrom != 0 && r.YearTo != 0 && r.YearFrom > r.YearTo {
		return fmt.Errorf("%w: year_from %d is after year_to %d", ErrBadQuery, r.YearFrom, r.YearTo)
	}
	r.Topics = cleanValues(r.Topics)
	r.Categories = cleanValues(r.Categories)
	return nil
}

func cleanValues(vs []string) []string {
	var out []string
	for _, v := range vs {
		v = strings.TrimSpace(v)
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Search runs a request.
func (x *Index) Search(ctx context.Context, r Request) (Result, error) {
	start := time.Now()
	if err := r.Normalize(); err != nil {
		return Result{}, err
	}
	text, err := compileText(r.Query)
	if err != nil {
		return Result{}, err
	}

	from := (r.Page - 1) * r.Size
	var after *rankKey
	if r.Cursor != "" {
		c, err := decodeCursor(r.Cursor, &r)
		if err != nil {
			return Result{}, err
		}
		from, after = c.Offset, &c.key
	}
	keep := from + r.Size
	if after != nil {
		keep = r.Size
	}
	c, err := x.collect(ctx, text, &r, keep, after)
	if err != nil {
		return Result{}, fmt.Errorf("search %q: %w", r.Query, err)
	}
	defer c.release()
	hits := c.ranked()
	if after == nil {
		hits = hits[min(from, len(hits)):]
	}
	papers, err := c.load(hits)
	if err != nil {
		return Result{}, err
	}

	out := Result{Query: r.Query, Sort: r.Sort, Total: c.total, Page: from/r.Size + 1, Size: r.Size, Hits: make([]Hit, 0, len(hits))}
	if n := len(hits); n > 0 && uint64(from+n) < c.total {
		out.NextCursor = encodeCursor(cursor{Search: r.fingerprint(), Offset: from + n}, hits[n-1].rankKey)
	}
	var terms map[string]*termSet
	var titleAnalyzer, abstractAnalyzer analysis.Analyzer
	if r.Query != "" {
		m := x.bi.Mapping()
		terms = queryTerms(text, m)
		titleAnalyzer = m.AnalyzerNamed(m.AnalyzerNameForPath(fieldTitle))
		abstractAnalyzer = m.AnalyzerNamed(m.AnalyzerNameForPath(fieldAbstract))
	}
	for i, h := range hits {
		p := papers[i]
		var titleLocs, abstractLocs bsearch.TermLocationMap
		if len(terms) > 0 {
			titleLocs = locations(titleAnalyzer, p.Title, terms[fieldTitle], terms[""])
			abstractLocs = locations(abstractAnalyzer, p.Abstract, terms[fieldAbstract], terms[""])
		}
		out.Hits = append(out.Hits, Hit{Paper: p, Score: h.score, Highlights: map[string][]string{
			fieldTitle:    {highlightTitle(p.Title, titleLocs)},
			fieldAbstract: {highlightAbstract(p.Abstract, abstractLocs)},
		}})
	}
	out.Facets = Facets{
		Topics:     c.facets(groupTopics, topicFacetSize),
		Years:      c.yearFacets(yearFacetSize),
		Categories: c.facets(groupCategories, categoryFacetSize),
	}
	// Years read best in order, newest first, like a timeline.
	slices.SortFunc(out.Facets.Years, func(a, b FacetValue) int { return strings.Compare(b.Value, a.Value) })
	out.Took = time.Since(start)
	return out, nil
}

// compileText turns the query text into a Bleve query; empty text matches all.
func compileText(q string) (query.Query, error) {
	if q == "" {
		return query.NewMatchAllQuery(), nil
	}
	title := query.NewMatchQuery(q)
	title.SetField(fieldTitle)
	title.SetBoost(2)
	abstract := query.NewMatchQuery(q)
	abstract.SetField(fieldAbstract)
	authors := query.NewMatchQuery(q)
	authors.SetField(fieldAuthors)
	authors.SetBoost(0.5)
	parts := []query.Query{title, abstract, authors}
	if len(strings.Fields(q)) > 1 {
		for _, f := range []string{fieldTitle, fieldAbstract} {
			ph := query.NewMatchPhraseQuery(q)
			ph.SetField(f)
			ph.SetBoost(1.5)
			parts = append(parts, ph)
		}
	}
	return query.NewDisjunctionQuery(parts), nil
}

// Snippet returns the start of text, HTML-escaped, cut at a word boundary.
func Snippet(text string) string {
	if utf8.RuneCountInString(text) <= snippetRunes {
		return html.EscapeString(text)
	}
	cut := 0
	for i := range text {
		if cut >= snippetRunes {
			text = text[:i]
			break
		}
		cut++
	}
	if sp := strings.LastIndexByte(text, ' '); sp > len(text)/2 {
		text = text[:sp]
	}
	return html.EscapeString(strings.TrimRight(text, " ,.;:")) + "…"
}

// TopicCounts returns how many papers carry each topic.
func (x *Index) TopicCounts(ctx context.Context) (map[string]int, error) {
	r := Request{Sort: SortNewest}
	c, err := x.collect(ctx, query.NewMatchAllQuery(), &r, 0, nil)
	if err != nil {
		return nil, fmt.Errorf("count topics: %w", err)
	}
	defer c.release()
	out := map[string]int{}
	for _, v := range c.facets(groupTopics, len(c.counts)) {
		out[v.Value] = v.Count
	}
	return out, nil
}
