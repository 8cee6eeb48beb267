package search

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Filters, facet counts and sort keys come from columns: a compact
// in-memory copy of the few fields they need, read once per index segment
// from Bleve's doc values. Bleve's collector decodes those doc values again
// for every paper that matches every search, which costs more than the
// search itself; a column lookup costs nanoseconds. A segment never changes
// once written, so its columns stay valid until a merge replaces it.

// noDate marks a paper without a publication date in columns.published.
const noDate = math.MinInt64

// columns hold, for every document number of one segment (deleted ones
// included, since Bleve numbers them too), what the collector needs.
type columns struct {
	published []int64 // Unix seconds (any year, unlike nanoseconds), or noDate
	year      []int16 // the year facet's value, or 0
	upvotes   []float64
	ids       []string
	// The topic and category values of document d are vals[off[d]:off[d+1]],
	// as ids in the cache's facetDict.
	off  []uint32
	vals []uint32
	// sets hold, for each topic or category value and each year that
	// papers of the segment have, the papers that have it, so that a
	// search matching many papers counts its facets a set at a time (see
	// collector.countSets).
	sets []valueSet
}

// valueSet is the papers of a segment that have one facet value: a topic
// or category (value), or else a year. Common values keep them as a
// bitset, the others (most of arXiv's 1,200 categories) as a list.
type valueSet struct {
	value  uint32
	year   int16
	papers bitset   // when not nil
	list   []uint32 // otherwise, in order
}

// denseValue: a value of at least one paper in denseValue of its segment
// keeps a bitset. Counting a bitset's papers costs a word per 64 papers
// of the segment, a list's a look-up per paper.
const denseValue = 128

// count returns how many of the papers in m the set has.
func (vs *valueSet) count(m bitset) int {
	if vs.papers != nil {
		return andCount(m, vs.papers)
	}
	n := 0
	for _, doc := range vs.list {
		if m.has(uint64(doc)) {
			n++
		}
	}
	return n
}

// addTo adds the set's papers to b.
func (vs *valueSet) addTo(b bitset) {
	if vs.papers != nil {
		for w, word := range vs.papers {
			b[w] |= word
		}
		return
	}
	for _, doc := range vs.list {
		b.set(uint64(doc))
	}
}

// Facet groups of facetDict values.
const (
	groupTopics uint8 = iota
	groupCategories
)

// facetDict numbers the topic and category values of an index. It only
// grows, so a prefix of it is a consistent view for a search that started
// earlier.
type facetDict struct {
	ids   map[string]uint32 // group byte + value -> id
	names []string
	group []uint8
	key   []byte // id's buffer: a look-up converts it without a copy
}

func (d *facetDict) id(g uint8, value []byte) uint32 {
	d.key = append(append(d.key[:0], g), value...)
	if id, ok := d.ids[string(d.key)]; ok {
		return id
	}
	if d.ids == nil {
		d.ids = map[string]uint32{}
	}
	id := uint32(len(d.names))
	d.ids[string(d.key)] = id
	d.names = append(d.names, string(value))
	d.group = append(d.group, g)
	return id
}

// columnCache holds the columns of an index's live segments.
type columnCache struct {
	mu   sync.Mutex
	segs map[segment.Segment]*columns
	dict facetDict
	// postings, when not nil, forgets segments when this cache does.
	postings *postingsCache
}

func newColumnCache(postings *postingsCache) *columnCache {
	return &columnCache{segs: map[segment.Segment]*columns{}, dict: facetDict{ids: map[string]uint32{}}, postings: postings}
}

// snapshotColumns are the columns of one index snapshot, in its segment
// order, with the global document number each segment starts at.
type snapshotColumns struct {
	segs   []*columns
	starts []uint64
	// names and group describe every value id the columns use.
	names []string
	group []uint8
}

// locate returns the segment of global document number num, trying hint
// first: a searcher hands documents over in increasing order.
func (s *snapshotColumns) locate(num uint64, hint int) int {
	if hint < len(s.starts) && num >= s.starts[hint] && (hint+1 == len(s.starts) || num < s.starts[hint+1]) {
		return hint
	}
	lo, hi := 0, len(s.starts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if s.starts[mid] <= num {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// size is the number of document numbers the snapshot spans.
func (s *snapshotColumns) size() uint64 {
	if len(s.segs) == 0 {
		return 0
	}
	last := len(s.segs) - 1
	return s.starts[last] + uint64(len(s.segs[last].published))
}

// forSnapshot returns the columns of snap, reading those of segments it has
// not seen, and forgets segments that snap no longer has.
func (c *columnCache) forSnapshot(snap *scorch.IndexSnapshot) (*snapshotColumns, error) {
	segs := snap.Segments()
	out := &snapshotColumns{segs: make([]*columns, len(segs)), starts: make([]uint64, len(segs))}
	c.mu.Lock()
	defer c.mu.Unlock()
	var start uint64
	var missing []int
	for i, ss := range segs {
		seg := ss.Segment()
		out.starts[i] = start
		start += seg.Count()
		if cols, ok := c.segs[seg]; ok {
			out.segs[i] = cols
		} else {
			missing = append(missing, i)
		}
	}
	if err := c.read(segs, missing, out.segs); err != nil {
		return nil, err
	}
	built := len(missing) > 0
	if built && len(c.segs) > len(segs) {
		live := make(map[segment.Segment]bool, len(segs))
		for _, ss := range segs {
			live[ss.Segment()] = true
		}
		for seg := range c.segs {
			if !live[seg] {
				delete(c.segs, seg)
			}
		}
		if c.postings != nil {
			c.postings.forget(func(seg segment.Segment) bool { return !live[seg] })
		}
	}
	out.names, out.group = c.dict.names, c.dict.group
	return out, nil
}

// columnFields are the doc-value fields columns are read from.
var columnFields = []string{fieldTopics, fieldCategories, fieldYear, fieldPublished, fieldUpvotes}

// read reads the columns of segs[i] for each i of missing into out[i],
// on every core: at 2.7 million papers, in 32 segments, reading them one
// after the other took 3.2-4.2 s, which a search from the command line
// pays every time. Each segment's values are numbered in a dictionary of
// its own, then renumbered in the cache's. c.mu is held.
func (c *columnCache) read(segs []*scorch.SegmentSnapshot, missing []int, out []*columns) error {
	if len(missing) == 0 {
		return nil
	}
	dicts := make([]facetDict, len(missing))
	errs := make([]error, len(missing))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(missing)) {
		wg.Go(func() {
			for k := int(next.Add(1) - 1); k < len(missing); k = int(next.Add(1) - 1) {
				out[missing[k]], errs[k] = readColumnsSafely(segs[missing[k]].Segment(), &dicts[k])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for k, i := range missing {
		cols, d := out[i], &dicts[k]
		ids := make([]uint32, len(d.names))
		for local, name := range d.names {
			ids[local] = c.dict.id(d.group[local], []byte(name))
		}
		for j, v := range cols.vals {
			cols.vals[j] = ids[v]
		}
		cols.sets = valueSets(cols)
		c.segs[segs[i].Segment()] = cols
	}
	return nil
}

// readColumnsSafely is readColumns, with a panic of Bleve's over a
// damaged segment made an error: on a goroutine of its own, it would end
// the process where the search's own recovery would have failed the
// search.
func readColumnsSafely(seg segment.Segment, dict *facetDict) (c *columns, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("read columns: %v", r)
		}
	}()
	return readColumns(seg, dict)
}

// readColumns reads the columns of seg, numbering its topics and
// categories in dict; their sets are left to the caller.
func readColumns(seg segment.Segment, dict *facetDict) (*columns, error) {
	dv, ok := seg.(segment.DocValueVisitable)
	if !ok {
		return nil, fmt.Errorf("segment %T has no doc values", seg)
	}
	n := int(seg.Count())
	c := &columns{
		published: make([]int64, n), year: make([]int16, n), upvotes: make([]float64, n), ids: make([]string, n),
		off: make([]uint32, n+1), vals: make([]uint32, 0, 4*n),
	}
	doc := 0
	visit := func(field string, term []byte) {
		switch field {
		case fieldTopics:
			c.vals = append(c.vals, dict.id(groupTopics, term))
		case fieldCategories:
			c.vals = append(c.vals, dict.id(groupCategories, term))
		case fieldYear:
			if y, err := strconv.Atoi(string(term)); err == nil && y > 0 && y <= math.MaxInt16 {
				c.year[doc] = int16(y)
			}
		case fieldPublished:
			if t, err := time.Parse(time.DateOnly, string(term)); err == nil {
				c.published[doc] = t.Unix()
			}
		case fieldUpvotes:
			if n, err := strconv.Atoi(string(term)); err == nil {
				c.upvotes[doc] = float64(n)
			}
		}
	}
	var state segment.DocVisitState
	for doc = range n {
		c.off[doc] = uint32(len(c.vals))
		c.published[doc] = noDate
		var err error
		if state, err = dv.VisitDocValues(uint64(doc), columnFields, visit, state); err != nil {
			return nil, fmt.Errorf("read doc values: %w", err)
		}
		id, err := seg.DocID(uint64(doc))
		if err != nil {
			return nil, fmt.Errorf("read document id: %w", err)
		}
		c.ids[doc] = string(id)
	}
	c.off[n] = uint32(len(c.vals))
	return c, nil
}

// valueSets makes the sets of the values and years of c.
func valueSets(c *columns) []valueSet {
	n := uint64(len(c.published))
	var sets []valueSet
	type key struct {
		value uint32
		year  int16
	}
	at := map[key]int{}
	add := func(k key, doc uint64) {
		i, ok := at[k]
		if !ok {
			i = len(sets)
			at[k] = i
			sets = append(sets, valueSet{value: k.value, year: k.year})
		}
		sets[i].list = append(sets[i].list, uint32(doc))
	}
	for doc := range n {
		for _, v := range c.vals[c.off[doc]:c.off[doc+1]] {
			add(key{value: v}, doc)
		}
		if y := c.year[doc]; y >= minYear && y <= maxYear {
			add(key{year: y}, doc)
		}
	}
	for i := range sets {
		if vs := &sets[i]; uint64(len(vs.list))*denseValue >= n {
			vs.papers = newBitset(n)
			for _, doc := range vs.list {
				vs.papers.set(uint64(doc))
			}
			vs.list = nil
		} else {
			vs.list = slices.Clip(vs.list)
		}
	}
	return sets
}
