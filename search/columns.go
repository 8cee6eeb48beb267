package search

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Filters, facet counts and sort keys come from columns: a compact
// in-memory copy of the few fields they need, read once per index segment
// from its keyword fields (or a column file, colfile.go). Bleve's collector
// decodes doc values for every paper that matches every search, which
// costs more than the search itself; a column lookup costs nanoseconds.
// A segment never changes once written, so its columns stay valid until a
// merge replaces it.

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
	// files, when not nil, keeps columns on disk between processes.
	files *colFiles
	// latest, when not nil, returns the file names of the segments of the
	// index's latest snapshot, for files.prune.
	latest func() (map[string]bool, error)
	log    *slog.Logger
	// fromFiles and fromSegments count the segments whose columns were
	// read each way.
	fromFiles, fromSegments atomic.Int64
}

func newColumnCache(postings *postingsCache, files *colFiles, log *slog.Logger) *columnCache {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &columnCache{segs: map[segment.Segment]*columns{}, dict: facetDict{ids: map[string]uint32{}}, postings: postings, files: files, log: log}
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

// read reads the columns of segs[i] for each i of missing into out[i],
// on every core: at 2.7 million papers, in 32 segments, reading them one
// after the other took 3.2-4.2 s, which a search from the command line
// pays every time. Each segment's values are numbered in a dictionary of
// its own, and its sets made, then renumbered in the cache's. c.mu is held.
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
				seg := segs[missing[k]].Segment()
				cols := c.files.load(seg, seg.Count(), &dicts[k])
				var err error
				if cols != nil {
					c.fromFiles.Add(1)
				} else {
					c.fromSegments.Add(1)
					if cols, err = readColumnsSafely(seg, &dicts[k]); err == nil {
						if serr := c.files.save(seg, cols, &dicts[k]); serr != nil {
							c.log.Warn("columns not kept for the next open", "err", serr)
						}
					}
				}
				if err == nil {
					cols.sets = valueSets(cols, len(dicts[k].names))
				}
				out[missing[k]], errs[k] = cols, err
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	c.log.Debug("columns read", "segments", len(missing), "from_files", c.fromFiles.Load(), "from_segments", c.fromSegments.Load())
	// New segments mean merges, which replace others: their files go.
	if c.latest != nil && c.files != nil && c.files.write {
		live, err := c.latest()
		if err == nil {
			err = c.files.prune(live)
		}
		if err != nil {
			c.log.Warn("old column files left", "err", err)
		}
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
		for j := range cols.sets {
			if vs := &cols.sets[j]; vs.year == 0 {
				vs.value = ids[vs.value]
			}
		}
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
// categories in dict, and makes their sets.
//
// It reads them from the fields' postings rather than their doc values.
// The fields are keywords, so a field's terms are its values, and a
// segment has a few thousand of them (dates) at most: walking each term's
// papers as a bitset costs a few nanoseconds a paper, where visiting each
// paper's doc values, and reading its stored id, cost a microsecond. At
// 2.7 million papers that was 2.95 s of CPU that every command-line
// search paid before it searched. The postings hold deleted papers too,
// as doc values do.
func readColumns(seg segment.Segment, dict *facetDict) (*columns, error) {
	n := int(seg.Count())
	c := &columns{
		published: make([]int64, n), year: make([]int16, n), upvotes: make([]float64, n), ids: make([]string, n),
		off: make([]uint32, n+1),
	}
	for doc := range c.published {
		c.published[doc] = noDate
	}
	// A paper's topics and categories are gathered per paper from the
	// values' lists: counted first, then placed.
	type valueDocs struct {
		id   uint32
		docs []uint32
	}
	var multi []valueDocs
	counts := make([]uint32, n)
	err := visitTerms(seg, columnFields, func(field string, term []byte, docs []uint32) error {
		switch field {
		case fieldTopics, fieldCategories:
			g := groupTopics
			if field == fieldCategories {
				g = groupCategories
			}
			multi = append(multi, valueDocs{id: dict.id(g, term), docs: slices.Clone(docs)})
			for _, d := range docs {
				counts[d]++
			}
		case fieldYear:
			if y, err := strconv.Atoi(string(term)); err == nil && y > 0 && y <= math.MaxInt16 {
				for _, d := range docs {
					c.year[d] = int16(y)
				}
			}
		case fieldPublished:
			if t, err := time.Parse(time.DateOnly, string(term)); err == nil {
				for _, d := range docs {
					c.published[d] = t.Unix()
				}
			}
		case fieldUpvotes:
			if v, err := strconv.Atoi(string(term)); err == nil {
				for _, d := range docs {
					c.upvotes[d] = float64(v)
				}
			}
		case fieldID:
			id := string(term)
			for _, d := range docs {
				c.ids[d] = id
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var total uint32
	for doc, k := range counts {
		c.off[doc] = total
		total += k
	}
	c.off[n] = total
	c.vals = make([]uint32, total)
	next := counts // reused: where each paper's next value goes
	copy(next, c.off[:n])
	for _, vd := range multi {
		for _, d := range vd.docs {
			c.vals[next[d]] = vd.id
			next[d]++
		}
	}
	return c, nil
}

// fieldID is Bleve's field of document ids.
const fieldID = "_id"

// columnFields are the fields columns are read from.
var columnFields = []string{fieldTopics, fieldCategories, fieldYear, fieldPublished, fieldUpvotes, fieldID}

// visitTerms calls f with every term of each field of seg and the
// segment's document numbers that have it, deleted ones included, in
// order. docs is only valid during the call.
func visitTerms(seg segment.Segment, fields []string, f func(field string, term []byte, docs []uint32) error) error {
	var (
		pl   segment.PostingsList
		it   segment.PostingsIterator
		docs []uint32
	)
	for _, field := range fields {
		d, err := seg.Dictionary(field)
		if err != nil {
			return fmt.Errorf("read dictionary of %s: %w", field, err)
		}
		// zap can list the terms without decoding each one's postings
		// to count them, which the look-up below does anyway.
		var terms segment.DictionaryIterator
		if oc, ok := d.(omitCounter); ok {
			terms = oc.AutomatonIteratorOmitCount(nil, nil, nil)
		} else {
			terms = d.AutomatonIterator(nil, nil, nil)
		}
		for {
			e, err := terms.Next()
			if err != nil {
				return fmt.Errorf("read dictionary of %s: %w", field, err)
			}
			if e == nil {
				break
			}
			if pl, err = d.PostingsList([]byte(e.Term), nil, pl); err != nil {
				return fmt.Errorf("read postings of %s: %w", field, err)
			}
			it = pl.Iterator(false, false, false, it)
			docs = docs[:0]
			if one, ok := it.(oneHit); ok {
				if doc, ok := one.DocNum1Hit(); ok {
					docs = append(docs, uint32(doc))
				}
			}
			if len(docs) == 0 {
				if all, ok := it.(bitmapIterator); ok && all.ActualBitmap() != nil {
					all.ActualBitmap().Iterate(func(doc uint32) bool {
						docs = append(docs, doc)
						return true
					})
				} else {
					for p, err := it.Next(); p != nil || err != nil; p, err = it.Next() {
						if err != nil {
							return fmt.Errorf("read postings of %s: %w", field, err)
						}
						docs = append(docs, uint32(p.Number()))
					}
				}
			}
			if err := f(field, []byte(e.Term), docs); err != nil {
				return err
			}
		}
	}
	return nil
}

// oneHit and bitmapIterator are what zap's postings iterator offers beyond
// the segment API: a list of one paper is kept in the dictionary itself,
// and a longer one as a bitset, which is read whole rather than a posting
// at a time. omitCounter is zap's dictionary listing its terms only.
type (
	oneHit         interface{ DocNum1Hit() (uint64, bool) }
	bitmapIterator interface{ ActualBitmap() *roaring.Bitmap }
	omitCounter    interface {
		AutomatonIteratorOmitCount(a segment.Automaton, start, end []byte) segment.DictionaryIterator
	}
)

// valueSets makes the sets of the values and years of c, whose value ids
// are below values.
func valueSets(c *columns, values int) []valueSet {
	n := uint64(len(c.published))
	var sets []valueSet
	// Where each value's and year's set is in sets, plus one (0: none
	// yet); slices rather than a map, which cost a third of reading
	// the columns at 2.7 million papers.
	at := make([]int32, values+maxYear-minYear+1)
	add := func(slot int, vs valueSet, doc uint64) {
		i := at[slot] - 1
		if i < 0 {
			i = int32(len(sets))
			at[slot] = i + 1
			sets = append(sets, vs)
		}
		sets[i].list = append(sets[i].list, uint32(doc))
	}
	for doc := range n {
		for _, v := range c.vals[c.off[doc]:c.off[doc+1]] {
			add(int(v), valueSet{value: v}, doc)
		}
		if y := c.year[doc]; y >= minYear && y <= maxYear {
			add(values+int(y-minYear), valueSet{year: y}, doc)
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
