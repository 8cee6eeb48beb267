package search

import (
	"context"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/index/scorch"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Limits on a request. A request over one is refused with ErrBadQuery and
// a message that names the limit; nothing is truncated silently.
const (
	DefaultSize = 10
	MaxSize     = 100
	// MaxWindow bounds page*size so deep pages cannot make Bleve collect and
	// sort an unbounded number of hits.
	MaxWindow = 10000
	// MaxQueryLen bounds the query text, in bytes.
	MaxQueryLen = 1024
	// MaxClauses bounds the words, phrases and filters the query language
	// builds (querylang.go); MaxFuzziness bounds the edit distance of a
	// fuzzy word. The language has no regular expressions, and drops
	// wildcards before the third letter of a word: both would make Bleve
	// visit every term of a field.
	MaxClauses   = 64
	MaxFuzziness = 2
	// MaxFilterValues bounds the topic and category values of a request,
	// together.
	MaxFilterValues = 20
	// MaxFacetSize bounds the buckets of any facet.
	MaxFacetSize = 50
)

// A request past any of these is expensive (see Request.Expensive): a
// deep page, a long query or many filters. They are allowed, but a server
// runs few of them at once so that they cannot crowd out the rest.
const (
	ExpensiveWindow  = 1000
	ExpensiveTerms   = 8
	ExpensiveFilters = 8
)

// Expensive reports whether a normalised request costs well above the
// usual: it collects and sorts a deep window, looks up many words, or
// filters on many values.
func (r Request) Expensive() bool {
	return r.Page*r.Size > ExpensiveWindow || len(strings.Fields(r.Query)) > ExpensiveTerms ||
		len(r.Topics)+len(r.Categories) > ExpensiveFilters
}

// Limits gathers the limits above, for code that hands them on (a query
// parser, documentation).
type Limits struct {
	MaxQueryLen, MaxClauses, MaxFuzziness             int
	MaxSize, MaxWindow, MaxFilterValues, MaxFacetSize int
}

// DefaultLimits returns the limits every search is held to.
func DefaultLimits() Limits {
	return Limits{
		MaxQueryLen: MaxQueryLen, MaxClauses: MaxClauses, MaxFuzziness: MaxFuzziness,
		MaxSize: MaxSize, MaxWindow: MaxWindow, MaxFilterValues: MaxFilterValues, MaxFacetSize: MaxFacetSize,
	}
}

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
	topicFacetSize    = MaxFacetSize
	yearFacetSize     = MaxFacetSize
	categoryFacetSize = 30
	snippetRunes      = 240
	// maxFilterLen bounds one topic or category value; real ones are short.
	maxFilterLen = 100
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
	// NoExpand turns off acronym, synonym, spelling and topic expansions.
	NoExpand bool
	// NoCorrect turns off the correction of words found nowhere in the index.
	NoCorrect bool
	// Explain asks for each hit's score to be explained.
	Explain bool
	// NoFacets names facet groups (of FacetGroups) not to count: a caller
	// that shows no categories, or no facets at all, saves their share of
	// a broad search. The zero value counts all three.
	NoFacets []string
}

// Facet groups, as Request.NoFacets names them.
const (
	FacetTopic    = "topic"
	FacetYear     = "year"
	FacetCategory = "category"
)

// FacetGroups lists the facet groups in the order results give them.
var FacetGroups = []string{FacetTopic, FacetYear, FacetCategory}

// OtherFacetGroups returns the facet groups not in gs, in FacetGroups'
// order: those a request counts, given those it leaves out, and back.
func OtherFacetGroups(gs []string) []string {
	var out []string
	for _, g := range FacetGroups {
		if !slices.Contains(gs, g) {
			out = append(out, g)
		}
	}
	return out
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
	// CorrectedQuery is the query as searched after correcting misspelt
	// words; empty when nothing was corrected.
	CorrectedQuery string
	// Expansions lists the forms searched besides what was typed.
	Expansions []Expansion
	// Notices say how a malformed query was repaired.
	Notices []string
}

// Hit is a paper in a result with its score and highlighted fragments.
type Hit struct {
	Paper Paper
	Score float64
	// Highlights maps "title" and "abstract" to HTML fragments: the paper
	// text escaped, with matches wrapped in <mark>. Both are always present
	// (unmatched text comes back escaped, without marks), so a caller can
	// show them as they are. "authors" is there when the query matched an
	// author's name: every author in order, escaped, the names it matched
	// marked, so that a caller showing a few can show that one too.
	Highlights map[string][]string
	// Explanation says why the hit scored as it did, when asked for.
	Explanation []Reason
}

// Facets are counts of the papers matching a request, per value. Each group
// is computed without its own filter (disjunctive faceting), so checking one
// topic still shows what the others would add. A group the request left
// out (Request.NoFacets) is nil; a group counted with no values is empty,
// not nil.
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
	case r.Cursor == "" && r.Page > MaxWindow/r.Size:
		// Divided, not multiplied: a page near the largest int would
		// wrap page*size round to a small number.
		return fmt.Errorf("%w: page*size must be at most %d (page %d of size %d asks for more); narrow the search, or follow next_cursor",
			ErrBadQuery, MaxWindow, r.Page, r.Size)
	}
	for _, y := range []struct {
		name string
		year int
	}{{"year_from", r.YearFrom}, {"year_to", r.YearTo}} {
		if y.year != 0 && (y.year < MinYear || y.year > MaxYear) {
			return fmt.Errorf("%w: %s must be a year between %d and %d, not %d", ErrBadQuery, y.name, MinYear, MaxYear, y.year)
		}
	}
	if r.YearFrom != 0 && r.YearTo != 0 && r.YearFrom > r.YearTo {
		return fmt.Errorf("%w: year_from %d is after year_to %d", ErrBadQuery, r.YearFrom, r.YearTo)
	}
	r.Topics = cleanValues(r.Topics)
	r.Categories = cleanValues(r.Categories)
	for _, g := range r.NoFacets {
		if !slices.Contains(FacetGroups, g) {
			return fmt.Errorf("%w: facet group must be one of %s, not %q", ErrBadQuery, strings.Join(FacetGroups, ", "), clipQuery(g))
		}
	}
	// In FacetGroups' order, once each, so that equal requests compare equal.
	r.NoFacets = OtherFacetGroups(OtherFacetGroups(r.NoFacets))
	if n := len(r.Topics) + len(r.Categories); n > MaxFilterValues {
		return fmt.Errorf("%w: %d topic and category filters; the limit is %d together", ErrBadQuery, n, MaxFilterValues)
	}
	for _, v := range append(slices.Clip(r.Topics), r.Categories...) {
		if len(v) > maxFilterLen {
			return fmt.Errorf("%w: a topic or category value is %d bytes; the limit is %d", ErrBadQuery, len(v), maxFilterLen)
		}
	}
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

// resolveFilters gives r's topic and category filters the spellings the
// index uses, as the query language does for topic: and category:, and
// refuses a topic the index does not know.
func (x *Index) resolveFilters(r *Request) error {
	if len(r.Topics) == 0 && len(r.Categories) == 0 {
		return nil
	}
	tax, err := x.topicList()
	if err != nil {
		return err
	}
	rd, err := x.reader()
	if err != nil {
		return err
	}
	defer rd.Close()
	for i, v := range r.Topics {
		if r.Topics[i], err = resolveTopic(tax, rd, v); err != nil {
			return err
		}
	}
	for i, v := range r.Categories {
		r.Categories[i] = categorySpelling(rd, v)
	}
	return nil
}

// Search runs a request.
func (x *Index) Search(ctx context.Context, r Request) (Result, error) {
	start := time.Now()
	if err := r.Normalize(); err != nil {
		return Result{}, err
	}
	if err := x.rlock(); err != nil {
		return Result{}, err
	}
	defer x.mu.RUnlock()
	if err := x.resolveFilters(&r); err != nil {
		return Result{}, err
	}
	p, text, err := x.plan(ctx, r)
	if err != nil {
		return Result{}, err
	}

	from := (r.Page - 1) * r.Size
	o := collectOptions{sort: r.Sort, keep: from + r.Size, explain: r.Explain, facets: facetGroups(r.NoFacets)}
	if r.Cursor != "" {
		c, err := decodeCursor(r.Cursor, &r)
		if err != nil {
			return Result{}, err
		}
		from, o.keep, o.after = c.Offset, r.Size, &c.Key
	}
	c, err := x.collect(ctx, text, &r, o)
	if err != nil {
		return Result{}, fmt.Errorf("search %q: %w", r.Query, err)
	}
	defer c.release()
	hits := c.ranked()
	if r.Cursor == "" {
		hits = hits[min(from, len(hits)):]
	}
	papers, err := c.load(hits)
	if err != nil {
		return Result{}, err
	}
	out := Result{
		Query: r.Query, Sort: r.Sort, Total: c.total, Page: from/r.Size + 1, Size: r.Size, Hits: make([]Hit, 0, len(hits)),
		CorrectedQuery: p.corrected, Expansions: p.expansions, Notices: p.notices,
	}
	if n := len(hits); n > 0 && uint64(from+n) < c.total {
		out.NextCursor = encodeCursor(cursor{Search: r.fingerprint(), Key: hits[n-1].rankKey, Offset: from + n})
	}
	for i, h := range hits {
		pp := papers[i]
		hit := Hit{Paper: pp, Score: h.Score, Highlights: map[string][]string{
			fieldTitle:    {highlightTitle(pp.Title, x.matchSpans(pp.Title, p.highlight))},
			fieldAbstract: {highlightAbstract(pp.Abstract, x.matchSpans(pp.Abstract, p.highlight))},
		}}
		if hl := x.highlightAuthors(pp.Authors, p.names); hl != nil {
			hit.Highlights[fieldAuthors] = hl
		}
		if r.Explain {
			hit.Explanation = flatten(h.expl)
		}
		out.Hits = append(out.Hits, hit)
	}
	if c.facetGroups&countTopics != 0 {
		out.Facets.Topics = c.facets(groupTopics, topicFacetSize)
	}
	if c.facetGroups&countYears != 0 {
		out.Facets.Years = c.yearFacets(yearFacetSize)
		// Years read best in order, newest first, like a timeline.
		slices.SortFunc(out.Facets.Years, func(a, b FacetValue) int { return strings.Compare(b.Value, a.Value) })
	}
	if c.facetGroups&countCategories != 0 {
		out.Facets.Categories = c.facets(groupCategories, categoryFacetSize)
	}
	out.Took = time.Since(start)
	return out, nil
}

// MaxRank bounds Rank's depth.
const MaxRank = 1000

// MinYear and MaxYear bound the years a request filters on: years are
// indexed as four-digit keywords.
const (
	MinYear = 1000
	MaxYear = 9999
)

// Scored is a paper id with the score that ranked it.
type Scored struct {
	ID    string
	Score float64
}

// Rank returns the ids and scores of the top n papers for a request,
// ranked exactly as Search ranks them (page and size are ignored), without
// stored fields, highlights or facets. Evaluation uses it to go 1000 deep.
func (x *Index) Rank(ctx context.Context, r Request, n int) ([]Scored, error) {
	r.Page, r.Size = 1, 1
	if err := r.Normalize(); err != nil {
		return nil, err
	}
	if n < 1 || n > MaxRank {
		return nil, fmt.Errorf("%w: rank depth must be between 1 and %d, not %d", ErrBadQuery, MaxRank, n)
	}
	if err := x.rlock(); err != nil {
		return nil, err
	}
	defer x.mu.RUnlock()
	_, text, err := x.plan(ctx, r)
	if err != nil {
		return nil, err
	}
	c, err := x.collect(ctx, text, &r, collectOptions{sort: r.Sort, keep: n})
	if err != nil {
		return nil, fmt.Errorf("rank %q: %w", r.Query, err)
	}
	defer c.release()
	hits := c.ranked()
	out := make([]Scored, len(hits))
	for i, h := range hits {
		out[i] = Scored{ID: h.ID, Score: h.Score}
	}
	return out, nil
}

// plan compiles a request's query, correcting short unknown words when
// the query as typed finds little, and returns the plan with the query
// that ranks it.
func (x *Index) plan(ctx context.Context, r Request) (*plan, query.Query, error) {
	opts := compileOptions{expand: !r.NoExpand, correct: !r.NoCorrect}
	p, err := x.compile(ctx, r.Query, opts)
	if err != nil {
		return nil, nil, err
	}
	if p.shortUnknown {
		n, err := x.count(ctx, p.filter(), &r)
		if err != nil {
			return nil, nil, err
		}
		if n < fewHits {
			opts.correctShort = true
			if p2, err := x.compile(ctx, r.Query, opts); err == nil && p2.corrected != "" {
				if n2, err := x.count(ctx, p2.filter(), &r); err == nil && n2 > n {
					p = p2
				}
			}
		}
	}
	return p, x.rankQuery(p, r), nil
}

// count returns how many papers a query matches within a request's
// filters.
func (x *Index) count(ctx context.Context, q query.Query, r *Request) (uint64, error) {
	c, err := x.collect(ctx, q, r, collectOptions{sort: SortRelevance})
	if err != nil {
		return 0, fmt.Errorf("count matches: %w", err)
	}
	c.release()
	return c.total, nil
}

func yearRange(from, to int) query.Query {
	if from == 0 && to == 0 {
		return query.NewMatchAllQuery()
	}
	// Years are four-digit keywords, so their order is the string order.
	var lo, hi string
	if from != 0 {
		lo = fmt.Sprintf("%04d", from)
	}
	if to != 0 {
		hi = fmt.Sprintf("%04d", to)
	}
	incl := true
	q := query.NewTermRangeInclusiveQuery(lo, hi, &incl, &incl)
	q.SetField(fieldYear)
	return q
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

func facetValues(fr *bsearch.FacetResult) []FacetValue {
	out := []FacetValue{}
	if fr == nil || fr.Terms == nil {
		return out
	}
	for _, t := range fr.Terms.Terms() {
		out = append(out, FacetValue{Value: t.Term, Count: t.Count})
	}
	return out
}

// TopicCounts returns how many papers carry each topic. It counts the
// columns' sets of each topic, less the papers deleted since their
// segments were written; Bleve's facet over every paper, which it
// replaces, read each paper's doc values: 1.1-1.6 s at 2.7 million papers.
func (x *Index) TopicCounts(ctx context.Context) (map[string]int, error) {
	if err := x.rlock(); err != nil {
		return nil, err
	}
	defer x.mu.RUnlock()
	r, err := x.reader()
	if err != nil {
		return nil, fmt.Errorf("count topics: %w", err)
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil, fmt.Errorf("count topics: index reader is a %T, not a scorch snapshot", r)
	}
	cols, err := x.cols.forSnapshot(snap)
	if err != nil {
		return nil, fmt.Errorf("count topics: %w", err)
	}
	out := map[string]int{}
	for i, ss := range snap.Segments() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		seg := cols.segs[i]
		n := uint64(len(seg.published))
		// Every paper, less the deleted; past n nothing is counted, since
		// no set holds a paper there.
		live := newBitset(n)
		for w := range live {
			live[w] = ^uint64(0)
		}
		if deleted := ss.Deleted(); deleted != nil {
			deleted.Iterate(func(doc uint32) bool {
				if uint64(doc) < n {
					live[doc/64] &^= 1 << (doc % 64)
				}
				return true
			})
		}
		for k := range seg.sets {
			vs := &seg.sets[k]
			if vs.year != 0 || cols.group[vs.value] != groupTopics {
				continue
			}
			if c := vs.count(live); c > 0 {
				out[cols.names[vs.value]] += c
			}
		}
	}
	return out, nil
}
