package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// The collector replaces Bleve's for searches: Bleve finds and scores the
// documents that match the query text, and hands each to the collector,
// which applies the filters, counts facets and keeps the best hits in
// order, all from columns. Filters run here rather than in the query so
// that one pass gives both the hits and the disjunctive facet counts (each
// group counted without its own filter), where Bleve needs a search per
// filtered group.

// rankKey is what orders a hit. It is also what a cursor carries.
type rankKey struct {
	score   float64
	day     int32
	upvotes int32
	id      string
}

// hit is a document kept for the page, with its global number in the
// snapshot it was found in.
type hit struct {
	rankKey
	num uint64
}

// compareFunc returns a negative number when a ranks before b. Every order
// ends with the id, so that no two hits tie and a cursor is exact.
type compareFunc func(a, b *rankKey) int

func comparer(sort string) compareFunc {
	// Papers without a date come last whichever way dates run. The keys
	// are compared one after the other, not with cmp.Or, which would
	// compare the ids of every pair of hits.
	switch sort {
	case SortNewest:
		return func(a, b *rankKey) int {
			if a.day != b.day {
				return cmp.Compare(b.day, a.day)
			}
			if a.score != b.score {
				return cmp.Compare(b.score, a.score)
			}
			return strings.Compare(a.id, b.id)
		}
	case SortOldest:
		return func(a, b *rankKey) int {
			if a.day != b.day {
				return cmp.Compare(lastIfZero(a.day), lastIfZero(b.day))
			}
			if a.score != b.score {
				return cmp.Compare(b.score, a.score)
			}
			return strings.Compare(a.id, b.id)
		}
	case SortUpvotes:
		return func(a, b *rankKey) int {
			if a.upvotes != b.upvotes {
				return cmp.Compare(b.upvotes, a.upvotes)
			}
			if a.score != b.score {
				return cmp.Compare(b.score, a.score)
			}
			if a.day != b.day {
				return cmp.Compare(b.day, a.day)
			}
			return strings.Compare(a.id, b.id)
		}
	default:
		return func(a, b *rankKey) int {
			if a.score != b.score {
				return cmp.Compare(b.score, a.score)
			}
			if a.day != b.day {
				return cmp.Compare(b.day, a.day)
			}
			return strings.Compare(a.id, b.id)
		}
	}
}

func lastIfZero(day int32) int32 {
	if day == 0 {
		return 1<<31 - 1
	}
	return day
}

// filter is a request's filters in terms of column values.
type filter struct {
	none               bool     // no filter at all
	topics, categories []uint32 // any of; nil means no filter
	years              bool
	yearFrom, yearTo   int32 // inclusive; 0 means open
}

func anyOf(vals, want []uint32) bool {
	for _, v := range vals {
		if slices.Contains(want, v) {
			return true
		}
	}
	return false
}

// minYear and maxYear bound the years counted (ParseDate's range).
const (
	minYear = 1000
	maxYear = 9999
)

// collector gathers one search. Its handler runs on Bleve's search
// goroutine, one document at a time.
type collector struct {
	cols    *snapshotColumns
	snap    *scorch.IndexSnapshot
	filter  filter
	compare compareFunc
	keep    int      // hits to keep: the page and every hit before it
	after   *rankKey // only hits after this one (a cursor)

	heap   []hit // the kept hits, worst first
	total  uint64
	counts []int32 // per value id
	years  []int32 // per year - minYear

	// The segment of the last document: documents mostly come in order.
	seg              int
	cur              *columns
	curStart, curEnd uint64
}

var yearCounts = sync.Pool{New: func() any { return make([]int32, maxYear-minYear+1) }}

func (c *collector) handle(d *bsearch.DocumentMatch) {
	num := d.IndexInternalID.Value()
	if num < c.curStart || num >= c.curEnd {
		c.seg = c.cols.locate(num, c.seg)
		c.cur = c.cols.segs[c.seg]
		c.curStart = c.cols.starts[c.seg]
		c.curEnd = c.curStart + uint64(len(c.cur.day))
	}
	cols := c.cur
	doc := num - c.curStart
	vals := cols.vals[cols.off[doc]:cols.off[doc+1]]
	day := cols.day[doc]
	year := day / 10000

	f := &c.filter
	if f.none {
		for _, v := range vals {
			c.counts[v]++
		}
	} else {
		inTopics := f.topics == nil || anyOf(vals, f.topics)
		inCategories := f.categories == nil || anyOf(vals, f.categories)
		inYears := !f.years || (year > 0 && (f.yearFrom == 0 || year >= f.yearFrom) && (f.yearTo == 0 || year <= f.yearTo))
		// Each facet group counts the documents that pass the other
		// groups' filters.
		for _, v := range vals {
			if c.cols.group[v] == groupTopics {
				if inCategories && inYears {
					c.counts[v]++
				}
			} else if inTopics && inYears {
				c.counts[v]++
			}
		}
		if !(inTopics && inCategories) {
			return
		}
		if !inYears {
			c.countYear(year)
			return
		}
	}
	c.countYear(year)
	c.total++
	if c.keep == 0 {
		return
	}
	h := hit{rankKey{score: d.Score, day: day, upvotes: cols.upvotes[doc], id: cols.ids[doc]}, num}
	if c.after != nil && c.compare(c.after, &h.rankKey) >= 0 {
		return
	}
	c.push(h)
}

func (c *collector) countYear(year int32) {
	if year >= minYear && year <= maxYear {
		c.years[year-minYear]++
	}
}

// push keeps h if it is among the best c.keep so far. The heap has the
// worst kept hit at its root.
func (c *collector) push(h hit) {
	worse := func(i, j int) bool { return c.compare(&c.heap[i].rankKey, &c.heap[j].rankKey) > 0 }
	if len(c.heap) < c.keep {
		c.heap = append(c.heap, h)
		for i := len(c.heap) - 1; i > 0; {
			p := (i - 1) / 2
			if !worse(i, p) {
				break
			}
			c.heap[i], c.heap[p] = c.heap[p], c.heap[i]
			i = p
		}
		return
	}
	if c.compare(&h.rankKey, &c.heap[0].rankKey) >= 0 {
		return
	}
	c.heap[0] = h
	for i := 0; ; {
		l, r, w := 2*i+1, 2*i+2, i
		if l < len(c.heap) && worse(l, w) {
			w = l
		}
		if r < len(c.heap) && worse(r, w) {
			w = r
		}
		if w == i {
			break
		}
		c.heap[i], c.heap[w] = c.heap[w], c.heap[i]
		i = w
	}
}

// ranked returns the kept hits, best first.
func (c *collector) ranked() []hit {
	out := slices.Clone(c.heap)
	slices.SortFunc(out, func(a, b hit) int { return c.compare(&a.rankKey, &b.rankKey) })
	return out
}

// facets returns the counted values of one group, most frequent first, at
// most size of them, as Bleve's term facets would.
func (c *collector) facets(g uint8, size int) []FacetValue {
	out := []FacetValue{}
	for v, n := range c.counts {
		if n > 0 && c.cols.group[v] == g {
			out = append(out, FacetValue{Value: c.cols.names[v], Count: int(n)})
		}
	}
	return topFacets(out, size)
}

func (c *collector) yearFacets(size int) []FacetValue {
	out := []FacetValue{}
	for i, n := range c.years {
		if n > 0 {
			out = append(out, FacetValue{Value: fmt.Sprint(minYear + i), Count: int(n)})
		}
	}
	return topFacets(out, size)
}

func topFacets(vs []FacetValue, size int) []FacetValue {
	slices.SortFunc(vs, func(a, b FacetValue) int { return cmp.Or(b.Count-a.Count, strings.Compare(a.Value, b.Value)) })
	return vs[:min(len(vs), size)]
}

// release lets go of the snapshot the search ran on.
func (c *collector) release() {
	if c.years != nil {
		clear(c.years)
		yearCounts.Put(c.years)
		c.years = nil
	}
	if c.snap != nil {
		_ = c.snap.DecRef()
		c.snap = nil
	}
}

// collect runs text through Bleve with the collector. On success the
// collector holds a reference to the snapshot searched, so that its hits
// can be loaded; the caller must release it.
func (x *Index) collect(ctx context.Context, text query.Query, r *Request, keep int, after *rankKey) (*collector, error) {
	c := &collector{compare: comparer(r.Sort), keep: keep, after: after}
	makeHandler := func(sc *bsearch.SearchContext) (bsearch.DocumentMatchHandler, bool, error) {
		snap, ok := sc.IndexReader.(*scorch.IndexSnapshot)
		if !ok {
			return nil, false, fmt.Errorf("index reader is a %T, not a scorch snapshot", sc.IndexReader)
		}
		cols, err := x.cols.forSnapshot(snap)
		if err != nil {
			return nil, false, err
		}
		snap.AddRef()
		c.snap, c.cols = snap, cols
		c.filter = x.cols.filter(r)
		c.counts = make([]int32, len(cols.names))
		c.years = yearCounts.Get().([]int32)
		return func(d *bsearch.DocumentMatch) error {
			if d != nil {
				c.handle(d)
				sc.DocumentMatchPool.Put(d)
			}
			return nil
		}, false, nil
	}
	ctx = context.WithValue(ctx, bsearch.MakeDocumentMatchHandlerKey, bsearch.MakeDocumentMatchHandler(makeHandler))
	// Size 0 and the default order (by score) keep Bleve's own collector
	// out of the way: it neither sorts nor reads doc values.
	req := bleve.NewSearchRequestOptions(text, 0, 0, false)
	if _, err := x.bi.SearchInContext(ctx, req); err != nil {
		c.release()
		return nil, err
	}
	return c, nil
}

// filter resolves a request's filters to value ids. A value the index has
// never seen matches nothing.
func (c *columnCache) filter(r *Request) filter {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := func(g uint8, values []string) []uint32 {
		if len(values) == 0 {
			return nil
		}
		out := []uint32{}
		for _, v := range values {
			if id, ok := c.dict.ids[string(append([]byte{g}, v...))]; ok {
				out = append(out, id)
			}
		}
		return out
	}
	f := filter{
		topics: ids(groupTopics, r.Topics), categories: ids(groupCategories, r.Categories),
		years: r.YearFrom != 0 || r.YearTo != 0, yearFrom: int32(r.YearFrom), yearTo: int32(r.YearTo),
	}
	f.none = f.topics == nil && f.categories == nil && !f.years
	return f
}

// load reads the stored papers of hits from the collector's snapshot.
func (c *collector) load(hits []hit) ([]Paper, error) {
	segs := c.snap.Segments()
	out := make([]Paper, len(hits))
	for i, h := range hits {
		s := c.cols.locate(h.num, 0)
		var stored []byte
		err := segs[s].VisitDocument(h.num-c.cols.starts[s], func(field string, _ byte, value []byte, _ []uint64) bool {
			if field == fieldDoc {
				// value is Bleve's buffer, reused once this returns.
				stored = append([]byte(nil), value...)
				return false
			}
			return true
		})
		if err != nil {
			return nil, fmt.Errorf("load paper %s: %w", h.id, err)
		}
		if out[i], err = decodeStored(h.id, stored); err != nil {
			return nil, err
		}
	}
	return out, nil
}
