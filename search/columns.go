package search

import (
	"fmt"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Facet counts, filters and sort keys are computed from columns: a compact
// in-memory copy of the few fields they need, read once per index segment
// from Bleve's doc values. Bleve's own collector decodes those doc values
// again for every document that matches every search, which costs more
// than the search itself; a column lookup costs a few nanoseconds. A
// segment never changes once written, so its columns stay valid until a
// merge replaces it.

// columns hold, for every document number of one segment (deleted ones
// included), what the collector needs.
type columns struct {
	day     []int32 // YYYYMMDD, or 0 when the paper has no date
	upvotes []int32
	ids     []string
	// The topic and category values of document d are vals[off[d]:off[d+1]],
	// as ids in the index's facetDict.
	off  []uint32
	vals []uint32
}

// Facet groups of facetDict values.
const (
	groupTopics uint8 = iota
	groupCategories
)

// facetDict numbers the topic and category values of an index. It only
// grows; a prefix of it is a consistent view.
type facetDict struct {
	ids   map[string]uint32 // group byte + value -> id
	names []string
	group []uint8
}

func (d *facetDict) id(g uint8, value []byte) uint32 {
	key := string(append([]byte{g}, value...))
	if id, ok := d.ids[key]; ok {
		return id
	}
	id := uint32(len(d.names))
	d.ids[key] = id
	d.names = append(d.names, string(value))
	d.group = append(d.group, g)
	return id
}

// columnCache holds the columns of the segments of an index.
type columnCache struct {
	mu   sync.Mutex
	segs map[segment.Segment]*columns
	dict facetDict
}

func newColumnCache() *columnCache {
	return &columnCache{segs: map[segment.Segment]*columns{}, dict: facetDict{ids: map[string]uint32{}}}
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

// locate returns the segment of global document number num, starting the
// search at segment hint (documents mostly arrive in increasing order).
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

// forSnapshot returns the columns of snap, reading those of segments it
// has not seen, and forgets segments that snap no longer has.
func (c *columnCache) forSnapshot(snap *scorch.IndexSnapshot) (*snapshotColumns, error) {
	segs := snap.Segments()
	out := &snapshotColumns{segs: make([]*columns, len(segs)), starts: make([]uint64, len(segs))}
	c.mu.Lock()
	defer c.mu.Unlock()
	var start uint64
	built := false
	for i, ss := range segs {
		seg := ss.Segment()
		out.starts[i] = start
		// Bleve numbers documents across segments by their full count,
		// deleted documents included.
		start += seg.Count()
		cols, ok := c.segs[seg]
		if !ok {
			var err error
			if cols, err = readColumns(seg, &c.dict); err != nil {
				return nil, err
			}
			c.segs[seg] = cols
			built = true
		}
		out.segs[i] = cols
	}
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
	}
	out.names, out.group = c.dict.names, c.dict.group
	return out, nil
}

// columnFields are the doc-value fields columns are read from.
var columnFields = []string{fieldTopics, fieldCategories, fieldPublished, fieldUpvotes}

func readColumns(seg segment.Segment, dict *facetDict) (*columns, error) {
	dv, ok := seg.(segment.DocValueVisitable)
	if !ok {
		return nil, fmt.Errorf("segment %T has no doc values", seg)
	}
	n := int(seg.Count())
	c := &columns{
		day: make([]int32, n), upvotes: make([]int32, n), ids: make([]string, n),
		off: make([]uint32, n+1), vals: make([]uint32, 0, 4*n),
	}
	doc := 0
	visit := func(field string, term []byte) {
		switch field {
		case fieldTopics:
			c.vals = append(c.vals, dict.id(groupTopics, term))
		case fieldCategories:
			c.vals = append(c.vals, dict.id(groupCategories, term))
		case fieldPublished:
			// YYYY-MM-DD
			if len(term) == 10 {
				c.day[doc] = int32(digits(term[0:4])*10000 + digits(term[5:7])*100 + digits(term[8:10]))
			}
		case fieldUpvotes:
			c.upvotes[doc] = int32(digits(term))
		}
	}
	var state segment.DocVisitState
	for doc = range n {
		c.off[doc] = uint32(len(c.vals))
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

// digits reads a run of ASCII digits.
func digits(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}
