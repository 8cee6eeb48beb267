package search

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// The collector replaces Bleve's for searches: Bleve's searchers find and
// score the papers that match the query text and hand each to the
// collector, which applies the filters, counts facets and keeps the best
// hits in order, all from columns. Filters run here rather than in the
// query so that one pass gives both the hits and the disjunctive facet
// counts (each group counted without its own filter), where Bleve needs a
// search per filtered group; and a filter never changes a score.

// rankKey is what orders a hit. It is also what a cursor carries.
type rankKey struct {
	Score     float64 `json:"s"`
	Published int64   `json:"p"` // Unix seconds, or noDate
	Upvotes   float64 `json:"u"`
	ID        string  `json:"i"`
}

// kept is a hit kept for the page, with its global document number in the
// snapshot it was found in.
type kept struct {
	rankKey
	num  uint64
	expl *bsearch.Explanation // when asked for
}

// compareFunc returns a negative number when a ranks before b. Every order
// ends with the id, so that no two hits tie and a cursor is exact.
type compareFunc func(a, b *rankKey) int

// comparer returns the order of a sort. Papers without a date come last
// whichever way dates run. The keys are compared one after the other, not
// with cmp.Or, which would compare the ids of every pair of hits.
func comparer(sort string) compareFunc {
	byID := func(a, b *rankKey) int { return strings.Compare(a.ID, b.ID) }
	switch sort {
	case SortNewest:
		return func(a, b *rankKey) int {
			if a.Published != b.Published {
				return cmp.Compare(b.Published, a.Published)
			}
			if a.Score != b.Score {
				return cmp.Compare(b.Score, a.Score)
			}
			return byID(a, b)
		}
	case SortOldest:
		return func(a, b *rankKey) int {
			if a.Published != b.Published {
				return cmp.Compare(lastIfMissing(a.Published), lastIfMissing(b.Published))
			}
			if a.Score != b.Score {
				return cmp.Compare(b.Score, a.Score)
			}
			return byID(a, b)
		}
	case SortUpvotes:
		return func(a, b *rankKey) int {
			if a.Upvotes != b.Upvotes {
				return cmp.Compare(b.Upvotes, a.Upvotes)
			}
			if a.Score != b.Score {
				return cmp.Compare(b.Score, a.Score)
			}
			if a.Published != b.Published {
				return cmp.Compare(b.Published, a.Published)
			}
			return byID(a, b)
		}
	default:
		return func(a, b *rankKey) int {
			if a.Score != b.Score {
				return cmp.Compare(b.Score, a.Score)
			}
			if a.Published != b.Published {
				return cmp.Compare(b.Published, a.Published)
			}
			return byID(a, b)
		}
	}
}

func lastIfMissing(published int64) int64 {
	if published == noDate {
		return 1<<63 - 1
	}
	return published
}

// filter is a request's filters in terms of column values.
type filter struct {
	none               bool     // no filter at all
	topics, categories []uint32 // any of; nil means no filter
	dates              bool     // a year range applies
	from, to           int64    // published in [from, to), Unix seconds
}

// The year facet counts years in this range (four-digit years, as
// Normalize accepts).
const (
	minYear = 1000
	maxYear = 9999
)

// collector gathers one search. Its handler runs on Bleve's search
// goroutine, one paper at a time.
type collector struct {
	cols    *snapshotColumns
	snap    *scorch.IndexSnapshot
	filter  filter
	sort    string
	compare compareFunc
	keep    int      // hits to keep: the page and every hit before it
	after   *rankKey // only hits after this one (a cursor)
	explain bool
	// facetGroups are the groups to report; counting a set at a time
	// skips the others' sets.
	facetGroups uint8

	heap   []kept  // the kept hits, worst first
	probe  rankKey // see worseThanAll
	total  uint64
	counts []int32 // per value id
	// valueBits, when a filter applies, has the bits below per value id.
	valueBits []uint8
	years     []int32 // per year - minYear

	// decoded are stored papers the searcher decoded already.
	decoded []decodedPaper

	// The segment of the last paper: papers come in order.
	seg              int
	cur              *columns
	curStart, curEnd uint64
}

var yearCounts = sync.Pool{New: func() any { return make([]int32, maxYear-minYear+1) }}

// handle takes one matching paper: its number in the snapshot, its score
// and, when asked for, the explanation of the score.
func (c *collector) handle(num uint64, score float64, expl *bsearch.Explanation) {
	if num < c.curStart || num >= c.curEnd {
		c.seg = c.cols.locate(num, c.seg)
		c.cur = c.cols.segs[c.seg]
		c.curStart = c.cols.starts[c.seg]
		c.curEnd = c.curStart + uint64(len(c.cur.published))
	}
	cols := c.cur
	doc := num - c.curStart
	vals := cols.vals[cols.off[doc]:cols.off[doc+1]]
	year := cols.year[doc]

	f := &c.filter
	if f.none {
		for _, v := range vals {
			c.counts[v]++
		}
	} else {
		// One look at each value says which filters it passes.
		var in uint8
		for _, v := range vals {
			in |= c.valueBits[v]
		}
		inTopics := f.topics == nil || in&wantedTopic != 0
		inCategories := f.categories == nil || in&wantedCategory != 0
		inDates := !f.dates
		if f.dates {
			published := cols.published[doc]
			inDates = published != noDate && published >= f.from && published < f.to
		}
		// Each facet group counts the papers that pass the other groups'
		// filters.
		for _, v := range vals {
			if c.valueBits[v]&isTopic != 0 {
				if inCategories && inDates {
					c.counts[v]++
				}
			} else if inTopics && inDates {
				c.counts[v]++
			}
		}
		if !inTopics || !inCategories {
			return
		}
		c.countYear(year)
		if !inDates {
			return
		}
		c.collect(score, expl, cols, doc, num)
		return
	}
	c.countYear(year)
	c.collect(score, expl, cols, doc, num)
}

func (c *collector) collect(score float64, expl *bsearch.Explanation, cols *columns, doc, num uint64) {
	c.total++
	c.offer(score, expl, cols, doc, num)
}

// offer keeps a paper that passed the filters if it ranks among the best
// c.keep so far.
func (c *collector) offer(score float64, expl *bsearch.Explanation, cols *columns, doc, num uint64) {
	if c.keep == 0 || c.worseThanAll(score, cols, doc) {
		return
	}
	h := kept{rankKey: rankKey{Score: score, Published: cols.published[doc], Upvotes: cols.upvotes[doc], ID: cols.ids[doc]}, num: num}
	if c.explain {
		h.expl = expl
	}
	if c.after != nil && c.compare(c.after, &h.rankKey) >= 0 {
		return
	}
	c.push(h)
}

// Bits of collector.valueBits.
const (
	isTopic        = 1 << iota // the value is a topic, not a category
	wantedTopic                // a topic filter asks for it
	wantedCategory             // a category filter asks for it
)

// worseThanAll reports that a paper ranks after every kept hit of a full
// heap: the common case, decided without building the hit. The first sort
// key, the only column read, mostly decides; a paper that ties the worst
// kept hit on it is compared on every key. Without a query every paper
// ties on score, and by upvotes nearly every one on upvotes (most have
// none): handing each of those to push took 0.2-0.8 s at 2.7 million
// papers.
func (c *collector) worseThanAll(score float64, cols *columns, doc uint64) bool {
	if len(c.heap) < c.keep {
		return false
	}
	worst := &c.heap[0].rankKey
	switch c.sort {
	case SortNewest:
		if p := cols.published[doc]; p != worst.Published {
			return p < worst.Published
		}
	case SortOldest:
		if p := cols.published[doc]; p != worst.Published {
			return lastIfMissing(p) > lastIfMissing(worst.Published)
		}
	case SortUpvotes:
		if u := cols.upvotes[doc]; u != worst.Upvotes {
			return u < worst.Upvotes
		}
	default:
		if score != worst.Score {
			return score < worst.Score
		}
	}
	// In the collector, not on the stack: compare would make a local
	// escape, an allocation per paper.
	c.probe = rankKey{Score: score, Published: cols.published[doc], Upvotes: cols.upvotes[doc], ID: cols.ids[doc]}
	return c.compare(&c.probe, worst) >= 0
}

func (c *collector) countYear(year int16) {
	if year >= minYear && year <= maxYear {
		c.years[year-minYear]++
	}
}

// push keeps h if it is among the best c.keep so far. The heap has the
// worst kept hit at its root.
func (c *collector) push(h kept) {
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
func (c *collector) ranked() []kept {
	out := slices.Clone(c.heap)
	slices.SortFunc(out, func(a, b kept) int { return c.compare(&a.rankKey, &b.rankKey) })
	return out
}

// facets returns the counted values of one group, most frequent first (ties
// by value), at most size of them, as Bleve's term facets would.
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
			out = append(out, FacetValue{Value: strconv.Itoa(minYear + i), Count: int(n)})
		}
	}
	return topFacets(out, size)
}

// topFacets returns the size values of vs with the highest counts, ties in
// order of value, best first. It reorders vs. A broad search counts
// hundreds of categories and shows 30: sorting them all, ties compared by
// name, was 2% of a search's CPU, where most values fall below the 30th
// on their count alone.
func topFacets(vs []FacetValue, size int) []FacetValue {
	if size <= 0 {
		return vs[:0]
	}
	if len(vs) <= size {
		slices.SortFunc(vs, compareFacets)
		return vs
	}
	top := vs[:size]
	slices.SortFunc(top, compareFacets)
	for _, v := range vs[size:] {
		if compareFacets(v, top[size-1]) >= 0 {
			continue
		}
		// v takes the place of the last; shift the worse ones down.
		at, _ := slices.BinarySearchFunc(top, v, compareFacets)
		copy(top[at+1:], top[at:size-1])
		top[at] = v
	}
	return top
}

// compareFacets orders facet values by count, highest first, then by value.
func compareFacets(a, b FacetValue) int {
	return cmp.Or(b.Count-a.Count, strings.Compare(a.Value, b.Value))
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

// collectOptions say what a collection keeps besides the total.
type collectOptions struct {
	sort    string
	keep    int      // the best hits to keep
	after   *rankKey // keep only hits after this key
	explain bool     // keep each kept hit's score explanation
	facets  uint8    // the facet groups to count (facetGroups)
}

// Bits of collector.facetGroups.
const (
	countTopics = 1 << iota
	countYears
	countCategories
)

// facetGroups turns the groups a request leaves out into the bits of
// those it counts.
func facetGroups(skip []string) uint8 {
	bits := uint8(countTopics | countYears | countCategories)
	for _, g := range skip {
		switch g {
		case FacetTopic:
			bits &^= countTopics
		case FacetYear:
			bits &^= countYears
		case FacetCategory:
			bits &^= countCategories
		}
	}
	return bits
}

// collect runs text through Bleve's searchers with the collector. On
// success the collector holds a reference to the snapshot searched, so that
// its hits can be loaded; the caller must release it.
func (x *Index) collect(ctx context.Context, text query.Query, r *Request, o collectOptions) (*collector, error) {
	c := &collector{sort: o.sort, compare: comparer(o.sort), keep: o.keep, after: o.after, explain: o.explain, facetGroups: o.facets}
	if bag, ok := text.(*bagQuery); ok && !o.explain {
		if err := x.collectBag(ctx, bag, r, c); err != nil {
			c.release()
			return nil, err
		}
		return c, nil
	}
	if _, all := text.(*query.MatchAllQuery); all && !o.explain && directMatchAll {
		if err := x.collectAll(ctx, r, c); err != nil {
			c.release()
			return nil, err
		}
		return c, nil
	}
	makeHandler := func(sc *bsearch.SearchContext) (bsearch.DocumentMatchHandler, bool, error) {
		if err := x.startCollector(c, sc.IndexReader, r); err != nil {
			return nil, false, err
		}
		return func(d *bsearch.DocumentMatch) error {
			if d != nil {
				c.handle(d.IndexInternalID.Value(), d.Score, d.Expl)
				sc.DocumentMatchPool.Put(d)
			}
			return nil
		}, false, nil
	}
	ctx = context.WithValue(ctx, bsearch.MakeDocumentMatchHandlerKey, bsearch.MakeDocumentMatchHandler(makeHandler))
	// Size 0 and the default order (by score) keep Bleve's own collector
	// out of the way: it neither sorts nor reads doc values.
	req := bleve.NewSearchRequestOptions(text, 0, 0, o.explain)
	if _, err := x.bi.SearchInContext(ctx, req); err != nil {
		c.release()
		return nil, err
	}
	if c.cols == nil {
		// The handler is made once the index has a snapshot; this one
		// had none to search.
		c.cols = &snapshotColumns{}
		c.years = yearCounts.Get().([]int32)
	}
	return c, nil
}

// directMatchAll sends every live paper to the collector without Bleve's
// match-all searcher (collectAll); a variable only so that a test can
// compare the two.
var directMatchAll = true

// collectAll collects every live paper of the latest snapshot, with the
// score Bleve's match-all searcher gives (1): a request without a query,
// such as the page without one, a topic alone, or browsing by date.
// Bleve's searcher made a match object for each paper, about 60 ns of a
// paper's 60-130 at 2.7 million papers (0.16-0.35 s a request); here the
// facets and the total are counted a value's set at a time, and only the
// papers that pass the filters are offered to c.
func (x *Index) collectAll(ctx context.Context, req *Request, c *collector) error {
	if err := ctx.Err(); err != nil {
		return err // past its deadline already: at once, however few papers
	}
	r, err := x.startLatest(c, req)
	if err != nil {
		return err
	}
	defer r.Close()
	var seen int
	var bufs setBuffers
	for i, ss := range c.snap.Segments() {
		n := ss.Segment().Count() // deleted papers too, as numbers run
		start := c.cols.starts[i]
		// The facets and the total are counted a value's set at a time,
		// and only the papers that pass the filters are offered: counting
		// a paper at a time took most of a request at 2.7 million papers,
		// and a topic's papers are few. Few may pass, so the deadline is
		// checked for each segment too.
		if ctx.Err() != nil {
			return ctx.Err()
		}
		cols := c.cols.segs[i]
		var dates bitset
		if f := &c.filter; f.dates {
			dates = newBitset(n)
			for doc, published := range cols.published {
				if published != noDate && published >= f.from && published < f.to {
					dates.set(uint64(doc))
				}
			}
		}
		live := newBitset(n)
		for w := range live {
			live[w] = ^uint64(0)
		}
		if r := n % 64; r != 0 {
			live[len(live)-1] = 1<<r - 1
		}
		if del := ss.Deleted(); del != nil {
			del.Iterate(func(doc uint32) bool {
				if uint64(doc) < n {
					live[doc/64] &^= 1 << (doc % 64)
				}
				return true
			})
		}
		for w, word := range c.countSegment(&bufs, i, live, dates) {
			for word != 0 {
				if seen++; seen%4096 == 0 && ctx.Err() != nil {
					return ctx.Err()
				}
				doc := uint64(w)*64 + uint64(bits.TrailingZeros64(word))
				c.offer(1, nil, cols, doc, start+doc)
				word &= word - 1
			}
		}
	}
	return nil
}

// startLatest readies c to collect from the index's latest snapshot and
// returns a reader of it, which the caller closes (c holds the snapshot
// until released).
func (x *Index) startLatest(c *collector, req *Request) (index.IndexReader, error) {
	r, err := x.reader()
	if err != nil {
		return nil, err
	}
	if err := x.startCollector(c, r, req); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// startCollector readies c to collect from the snapshot r, which it holds
// until released.
func (x *Index) startCollector(c *collector, r index.IndexReader, req *Request) error {
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return fmt.Errorf("index reader is a %T, not a scorch snapshot", r)
	}
	cols, err := x.cols.forSnapshot(snap)
	if err != nil {
		return err
	}
	snap.AddRef()
	c.snap, c.cols = snap, cols
	c.filter = x.cols.filter(req)
	c.counts = make([]int32, len(cols.names))
	if !c.filter.none {
		c.valueBits = make([]uint8, len(cols.names))
		for v, g := range cols.group {
			if g == groupTopics {
				c.valueBits[v] |= isTopic
			}
		}
		// A filter value the index has seen since these columns were
		// read has no papers in them.
		for _, v := range c.filter.topics {
			if int(v) < len(c.valueBits) {
				c.valueBits[v] |= wantedTopic
			}
		}
		for _, v := range c.filter.categories {
			if int(v) < len(c.valueBits) {
				c.valueBits[v] |= wantedCategory
			}
		}
	}
	c.years = yearCounts.Get().([]int32)
	return nil
}

// collectBag hands the papers a bag ranks to the collector straight from
// its searcher: Bleve's collector would wrap each in a document match,
// which cost more than collecting it.
func (x *Index) collectBag(ctx context.Context, q *bagQuery, req *Request, c *collector) error {
	r, err := x.startLatest(c, req)
	if err != nil {
		return err
	}
	defer r.Close()
	s, err := q.searcher(ctx, r, x.mapping, bsearch.SearcherOptions{}, false)
	if err != nil {
		return err
	}
	defer s.Close()
	c.decoded = s.decoded
	if s.cands != nil && c.sort == SortRelevance && c.keep > 0 && !c.filter.dates &&
		uint64(len(s.docs))*setCounting >= c.cols.size() {
		return c.collectCands(ctx, s)
	}
	for i, d := range s.docs {
		if i%4096 == 4095 && ctx.Err() != nil {
			return ctx.Err()
		}
		c.handle(s.accs[d.acc].id, d.score, nil)
	}
	return nil
}

// setCounting: a search that matches at least one paper in setCounting
// of the index counts its facets a set at a time (see countSets).
const setCounting = 64

// collectCands collects what s found when its cands, its best papers by
// far, are known (see bagSearcher.cands): facets and the total are counted
// a set at a time, and the kept hits are offered the cands first and the
// other papers only if one of them could still be kept. Counting paper by
// paper, as handle does, was a tenth of a search.
func (c *collector) collectCands(ctx context.Context, s *bagSearcher) error {
	// Each segment's share of the papers found. Reading the accumulators
	// for their numbers and scores, as this did, was a tenth of a search
	// that matches most of a million papers.
	match := make([]bitset, len(c.cols.segs))
	for i, cols := range c.cols.segs {
		match[i] = bitRange(s.found, c.cols.starts[i], uint64(len(cols.published)))
	}
	// docs are in the order of accs: the searcher was not asked for
	// document order.
	restMax := math.Inf(-1)
	if s.rest >= 0 {
		restMax = s.docs[s.rest].score
	}
	c.countSets(match)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for _, d := range s.cands {
		num := s.accs[d.acc].id
		if cols, doc, ok := c.passes(num); ok {
			c.offer(s.docs[d.acc].score, nil, cols, doc, num)
		}
	}
	if len(c.heap) == c.keep && c.heap[0].Score > restMax {
		return nil
	}
	for i, d := range s.docs {
		if i%4096 == 4095 && ctx.Err() != nil {
			return ctx.Err()
		}
		if a := &s.accs[d.acc]; !a.cand {
			if cols, doc, ok := c.passes(a.id); ok {
				c.offer(d.score, nil, cols, doc, a.id)
			}
		}
	}
	return nil
}

// countSets counts the facets and the total of the papers in match (a set
// per segment) as handle would, one value's set at a time. It does not
// apply date filters.
func (c *collector) countSets(match []bitset) {
	var bufs setBuffers
	for i := range c.cols.segs {
		c.countSegment(&bufs, i, match[i], nil)
	}
}

// setBuffers are countSegment's, reused from segment to segment.
type setBuffers struct{ t, c, tc, td, cd, tcd bitset }

// countSegment counts the facets and the total of the papers m of
// segment i, as countSets, and returns those that pass every filter (in
// one of bufs, until the next call, or m). dates, when not nil, are the
// segment's papers that pass the date filter; without it countSegment
// applies none.
func (c *collector) countSegment(bufs *setBuffers, i int, m, dates bitset) bitset {
	f := &c.filter
	cols := c.cols.segs[i]
	// The matching papers that pass the topic filter, the category
	// filter, and both.
	mt, mc, mtc := m, m, m
	if f.topics != nil {
		bufs.t = c.filtered(bufs.t, m, cols, wantedTopic)
		mt, mtc = bufs.t, bufs.t
	}
	if f.categories != nil {
		bufs.c = c.filtered(bufs.c, m, cols, wantedCategory)
		mc, mtc = bufs.c, bufs.c
		if f.topics != nil {
			bufs.tc = append(bufs.tc[:0], bufs.t...)
			for w := range bufs.tc {
				bufs.tc[w] &= bufs.c[w]
			}
			mtc = bufs.tc
		}
	}
	// Each facet group counts the papers that pass the other groups'
	// filters, as handle does: years are counted before dates.
	mtd, mcd, mtcd := mt, mc, mtc
	if dates != nil {
		bufs.td, bufs.cd, bufs.tcd = and(bufs.td, mt, dates), and(bufs.cd, mc, dates), and(bufs.tcd, mtc, dates)
		mtd, mcd, mtcd = bufs.td, bufs.cd, bufs.tcd
	}
	for i := range cols.sets {
		vs := &cols.sets[i]
		switch {
		case !c.wants(vs):
		case vs.year != 0:
			c.years[vs.year-minYear] += int32(vs.count(mtc))
		case f.none:
			c.counts[vs.value] += int32(vs.count(m))
		case c.valueBits[vs.value]&isTopic != 0:
			c.counts[vs.value] += int32(vs.count(mcd))
		default:
			c.counts[vs.value] += int32(vs.count(mtd))
		}
	}
	c.total += uint64(andCount(mtcd, mtcd))
	return mtcd
}

// and returns a AND b, in buf.
func and(buf, a, b bitset) bitset {
	buf = append(buf[:0], a...)
	for w := range buf {
		buf[w] &= b[w]
	}
	return buf
}

// wants reports whether the request counts vs's facet group: a set of a
// group left out is not counted at all, which is what leaving it out saves
// (most of a segment's sets are rare categories, counted a paper at a
// time).
func (c *collector) wants(vs *valueSet) bool {
	switch {
	case vs.year != 0:
		return c.facetGroups&countYears != 0
	case c.cols.group[vs.value] == groupTopics:
		return c.facetGroups&countTopics != 0
	default:
		return c.facetGroups&countCategories != 0
	}
}

// filtered returns (in buf) the papers of m with a value whose bits have
// want.
func (c *collector) filtered(buf, m bitset, cols *columns, want uint8) bitset {
	if cap(buf) < len(m) {
		buf = make(bitset, len(m))
	}
	buf = buf[:len(m)]
	clear(buf)
	for i := range cols.sets {
		if vs := &cols.sets[i]; vs.year == 0 && c.valueBits[vs.value]&want != 0 {
			vs.addTo(buf)
		}
	}
	for w := range buf {
		buf[w] &= m[w]
	}
	return buf
}

// bitRange returns the n bits of b from start on, as a bitset of their own.
func bitRange(b bitset, start, n uint64) bitset {
	out := newBitset(n)
	w, sh := start/64, start%64
	for k := range out {
		word := b[w+uint64(k)] >> sh
		if sh != 0 && w+uint64(k)+1 < uint64(len(b)) {
			word |= b[w+uint64(k)+1] << (64 - sh)
		}
		out[k] = word
	}
	if r := n % 64; r != 0 {
		out[len(out)-1] &= 1<<r - 1
	}
	return out
}

// andCount returns how many papers a and b have in common.
func andCount(a, b bitset) int {
	n := 0
	for w, word := range a {
		n += bits.OnesCount64(word & b[w])
	}
	return n
}

// passes reports whether paper num passes the filters, with its columns
// and its number in them.
func (c *collector) passes(num uint64) (*columns, uint64, bool) {
	seg := c.cols.locate(num, c.seg)
	c.seg = seg
	cols, doc := c.cols.segs[seg], num-c.cols.starts[seg]
	f := &c.filter
	if f.none {
		return cols, doc, true
	}
	var in uint8
	for _, v := range cols.vals[cols.off[doc]:cols.off[doc+1]] {
		in |= c.valueBits[v]
	}
	ok := (f.topics == nil || in&wantedTopic != 0) && (f.categories == nil || in&wantedCategory != 0)
	if f.dates {
		published := cols.published[doc]
		ok = ok && published != noDate && published >= f.from && published < f.to
	}
	return cols, doc, ok
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
	f := filter{topics: ids(groupTopics, r.Topics), categories: ids(groupCategories, r.Categories)}
	if r.YearFrom != 0 || r.YearTo != 0 {
		f.dates = true
		f.from, f.to = dateBounds(r.YearFrom, r.YearTo)
	}
	f.none = f.topics == nil && f.categories == nil && !f.dates
	return f
}

// dateBounds turns an inclusive year range (0 for open) into the half-open
// range of publication times it admits.
func dateBounds(from, to int) (int64, int64) {
	lo, hi := int64(noDate+1), int64(1<<63-1)
	if from != 0 {
		lo = time.Date(from, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	}
	if to != 0 {
		hi = time.Date(to+1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	}
	return lo, hi
}

// load reads the stored papers of hits from the collector's snapshot.
func (c *collector) load(hits []kept) ([]Paper, error) {
	if len(hits) == 0 {
		return nil, nil
	}
	segs := c.snap.Segments()
	out := make([]Paper, len(hits))
hits:
	for i, h := range hits {
		for _, d := range c.decoded {
			if d.num == h.num {
				out[i] = d.paper
				out[i].ID = h.ID
				for _, l := range []*[]string{&out[i].Authors, &out[i].Categories, &out[i].Topics} {
					if *l == nil {
						*l = []string{} // as fromFields gives them
					}
				}
				continue hits
			}
		}
		s := c.cols.locate(h.num, 0)
		fields := map[string]any{}
		err := segs[s].VisitDocument(h.num-c.cols.starts[s], func(field string, _ byte, value []byte, _ []uint64) bool {
			switch field {
			case fieldTitle, fieldAbstract, fieldMeta:
				// value is Bleve's buffer, reused once this returns.
				fields[field] = string(value)
			}
			return true
		})
		if err != nil {
			return nil, fmt.Errorf("load paper %s: %w", h.ID, err)
		}
		if out[i], err = fromFields(h.ID, fields); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Warm reads what the first search of a fresh process would otherwise
// read on its user's time: the columns of every segment (about a second
// at a million papers), the ranker's collection statistics, and the
// decoded lists of the commonest words (see warmLists).
func (x *Index) Warm(ctx context.Context) error {
	if err := x.warmColumns(ctx); err != nil {
		return err
	}
	// Not under the read lock: warmTerm takes it a word at a time, and Go's
	// read lock is not reentrant (a write waiting between the two would
	// wait for this one, and this one for it).
	return x.warmLists(ctx)
}

// warmColumns reads the columns and the collection statistics.
func (x *Index) warmColumns(ctx context.Context) error {
	if err := x.rlock(); err != nil {
		return err
	}
	defer x.mu.RUnlock()
	c, err := x.collect(ctx, query.NewMatchAllQuery(), &Request{}, collectOptions{sort: SortNewest})
	if err != nil {
		return fmt.Errorf("warm the index: %w", err)
	}
	c.release()
	r, err := x.reader()
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = x.stats.get(ctx, r)
	return err
}

// warmWords bounds the words whose lists Warm decodes.
const warmWords = 256

// warmLists decodes the lists of the commonest words of titles and
// abstracts, with their positions, into the postings cache, until about
// half of it is used (it looks between words): nearly every search reads
// some of them, and the first search to need one decodes it whole. At 2.7
// million papers that made the first search saying LLM after a start time
// out (the lists of llm, large, language and model, and their positions
// for the phrase). The read lock is taken a word at a time, so that a
// write waits for one word at most.
func (x *Index) warmLists(ctx context.Context) error {
	if err := x.rlock(); err != nil {
		return err
	}
	// The analyzer and vocabulary are swapped under the write lock when
	// the index is opened again.
	prose, vocab, postings := x.prose, x.vocab, x.postings
	x.mu.RUnlock()
	if postings == nil || vocab == nil {
		return nil
	}
	var terms []string
	seen := map[string]bool{}
	for _, w := range vocab.commonest(warmWords) {
		for _, t := range prose.Analyze([]byte(w)) {
			if term := string(t.Term); !seen[term] {
				seen[term] = true
				terms = append(terms, term)
			}
		}
	}
	for i, term := range terms {
		if err := ctx.Err(); err != nil {
			return err
		}
		postings.mu.RLock()
		held := postings.bytes
		postings.mu.RUnlock()
		if held >= postings.limit/2 {
			x.log.Debug("lists warmed", "words", i, "of", len(terms), "bytes", held)
			return nil
		}
		if err := x.warmTerm(term); err != nil {
			return fmt.Errorf("warm the lists of %q: %w", term, err)
		}
	}
	return nil
}

func (x *Index) warmTerm(term string) error {
	if err := x.rlock(); err != nil {
		return err
	}
	defer x.mu.RUnlock()
	r, err := x.reader()
	if err != nil {
		return err
	}
	defer r.Close()
	v, err := newSegmentView(r, x.postings)
	if err != nil {
		return err
	}
	for _, field := range []string{fieldTitle, fieldAbstract} {
		for i := range v.segs {
			if _, err := v.postings(i, []byte(term), field); err != nil {
				return err
			}
			if _, err := v.positions(i, []byte(term), field); err != nil {
				return err
			}
		}
	}
	return nil
}
