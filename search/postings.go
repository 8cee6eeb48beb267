package search

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// segmentView reads postings segment by segment, straight from Bleve's
// segments: the ranker visits every posting of every query term, and
// Bleve's term readers cost several times the decoding itself per
// posting (an id copied into bytes, a match struct filled). Documents are
// numbered as Bleve numbers them across a snapshot: a segment's first
// document follows the last of the segment before, deleted ones included.
//
// The postings of common terms are kept decoded in a postingsCache:
// they are what every broad query and every feedback pass reads, and
// decoding them costs more than the rest of a search.
type segmentView struct {
	segs   []*scorch.SegmentSnapshot
	starts []uint64
	size   uint64 // document numbers spanned
	dicts  map[string][]segment.TermDictionary
	cache  *postingsCache
	pl     segment.PostingsList
	it     segment.PostingsIterator
	local  []uint64 // atSegments' buffer
	// texts, when not nil, reads long lists for a few papers from the
	// papers' text once the cache is full (see textOverList).
	texts *paperTexts
}

func newSegmentView(r index.IndexReader, cache *postingsCache) (*segmentView, error) {
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil, fmt.Errorf("index reader is a %T, not a scorch snapshot", r)
	}
	v := &segmentView{segs: snap.Segments(), dicts: map[string][]segment.TermDictionary{}, cache: cache}
	v.starts = make([]uint64, len(v.segs))
	for i, ss := range v.segs {
		v.starts[i] = v.size
		v.size += ss.Segment().Count()
	}
	return v, nil
}

func (v *segmentView) dictionaries(field string) ([]segment.TermDictionary, error) {
	if d, ok := v.dicts[field]; ok {
		return d, nil
	}
	d := make([]segment.TermDictionary, len(v.segs))
	for i, ss := range v.segs {
		var err error
		if d[i], err = ss.Segment().Dictionary(field); err != nil {
			return nil, fmt.Errorf("read dictionary of %s: %w", field, err)
		}
	}
	v.dicts[field] = d
	return d, nil
}

// decoded are the postings of one term in one field of one segment,
// deleted documents included, in document order.
//
// Six bytes a posting, where document, frequency and field length took
// twelve: the cache holds twice the lists in the same memory. At a million
// papers, where the lists of a query mix outgrow it, decoding them again
// is most of a search: this took the median query there from 107 to 92
// ms, and a cache of a quarter of the index rather than an eighth to 50.
// A field's length is the paper's, not the posting's: it is kept once per
// paper, in the segment's lengths (see lengths).
type decoded struct {
	docs []uint32
	tf   []uint16 // the term's frequency, at most maxTF
	lens []atomic.Uint32
	// posOff and pos, in a list decoded for its positions (and then
	// without tf and lens): the positions of docs[k] are
	// pos[posOff[k]:posOff[k+1]], in order.
	posOff []uint32
	pos    []uint32
	// rank, for a list of at least one paper in rankDensity of its
	// segment, finds a paper's place in docs (see docRank).
	rank *docRank
}

func (d *decoded) bytes() int {
	return 4*(len(d.docs)+len(d.posOff)+len(d.pos)) + 2*len(d.tf) + d.rank.bytes() + 64
}

// find returns the place of doc in d.docs, searching on from k for a
// caller that looks papers up in order, and whether d holds it.
func (d *decoded) find(k int, doc uint64) (int, bool) {
	if d.rank != nil {
		return d.rank.index(doc)
	}
	k = gallop(d.docs, k, doc)
	return k, k < len(d.docs) && uint64(d.docs[k]) == doc
}

// rankDensity: a decoded list of at least one paper in rankDensity of its
// segment gets a docRank, which then costs at most a third of the list's
// own memory (a bit per paper of the segment against 6 bytes a posting).
const rankDensity = 16

// docRank finds a paper's place in a decoded list from a bit per paper of
// the segment and the count of set bits before every eighth word: a bit,
// then at most eight words to count, where galloping through a long list
// for each of a search's best 300 papers (feedback's terms, the query's
// hits, positions for proximity) was 8% of a search's CPU at 74,728
// papers, most of it waiting on memory.
type docRank struct {
	words  []uint64
	before []uint32 // set bits in words before words[8*i]
}

func newDocRank(docs []uint32, n uint64) *docRank {
	r := &docRank{words: make([]uint64, (n+63)/64)}
	for _, doc := range docs {
		r.words[doc/64] |= 1 << (doc % 64)
	}
	r.before = make([]uint32, (len(r.words)+7)/8)
	c := uint32(0)
	for i, w := range r.words {
		if i%8 == 0 {
			r.before[i/8] = c
		}
		c += uint32(bits.OnesCount64(w))
	}
	return r
}

// index returns the place of doc in the list, and whether the list holds
// it.
func (r *docRank) index(doc uint64) (int, bool) {
	w := doc / 64
	if w >= uint64(len(r.words)) {
		return 0, false
	}
	bit := uint64(1) << (doc % 64)
	if r.words[w]&bit == 0 {
		return 0, false
	}
	c := r.before[w/8]
	for _, x := range r.words[w&^7 : w] {
		c += uint32(bits.OnesCount64(x))
	}
	return int(c) + bits.OnesCount64(r.words[w]&(bit-1)), true
}

func (r *docRank) bytes() int {
	if r == nil {
		return 0
	}
	return 8*len(r.words) + 4*len(r.before)
}

// withRank gives d a docRank if it is long enough for one, in a segment
// of n papers.
func (d *decoded) withRank(n uint64) *decoded {
	if uint64(len(d.docs))*rankDensity >= n && n > 0 {
		d.rank = newDocRank(d.docs, n)
	}
	return d
}

// maxTF bounds the frequencies a decoded list keeps, and so the ranker
// takes no more from Bleve's lists either. BM25 saturates long before: a
// term 65,535 times in a field scores as one there more often.
const maxTF = math.MaxUint16

// postings returns the decoded postings of term in segment i, from the
// cache or, for a list long enough to be worth keeping, decoding it into
// the cache; nil means the caller should read Bleve's list (v.pl) itself.
func (v *segmentView) postings(i int, term []byte, field string) (*decoded, error) {
	seg := v.segs[i].Segment()
	key := postingsKey{seg: seg, field: field, term: string(term)}
	if d := v.cache.get(key); d != nil {
		return d, nil
	}
	n, err := v.readList(i, term, field)
	if err != nil {
		return nil, err
	}
	if v.cache == nil || n < uint64(v.cache.minPostings) {
		return nil, nil
	}
	lens := v.cache.lengths(seg, field)
	d := &decoded{docs: make([]uint32, 0, n), tf: make([]uint16, 0, n), lens: lens}
	v.it = v.pl.Iterator(true, true, false, v.it)
	for {
		p, err := v.it.Next()
		if err != nil {
			return nil, fmt.Errorf("read postings of %q: %w", term, err)
		}
		if p == nil {
			break
		}
		num := p.Number()
		d.docs = append(d.docs, uint32(num))
		d.tf = append(d.tf, uint16(min(p.Frequency(), maxTF)))
		// Every list of the field gives the same length for the paper;
		// the store is atomic only because searches decode side by side.
		lens[num].Store(fieldLength(p))
	}
	v.cache.put(key, d.withRank(uint64(len(lens))))
	return d, nil
}

// readList points v.pl at the postings list of term in segment i and
// returns its length.
func (v *segmentView) readList(i int, term []byte, field string) (uint64, error) {
	dicts, err := v.dictionaries(field)
	if err != nil {
		return 0, err
	}
	if v.pl, err = dicts[i].PostingsList(term, nil, v.pl); err != nil {
		return 0, fmt.Errorf("read postings of %q: %w", term, err)
	}
	return v.pl.Count(), nil
}

// positions returns the postings of term in segment i with their
// positions, from the cache or decoding them into it; nil means the list is
// too short to keep, and the caller should read Bleve's.
func (v *segmentView) positions(i int, term []byte, field string) (*decoded, error) {
	seg := v.segs[i].Segment()
	key := postingsKey{seg: seg, field: field, term: string(term), positions: true}
	if d := v.cache.get(key); d != nil {
		return d, nil
	}
	if v.cache == nil {
		return nil, nil
	}
	n, err := v.readList(i, term, field)
	if err != nil {
		return nil, err
	}
	if n < uint64(v.cache.minPostings) {
		return nil, nil
	}
	// Room for two positions a paper, the common case of the long lists
	// kept here: growing from nothing was a third of decoding them.
	d := &decoded{docs: make([]uint32, 0, n), posOff: make([]uint32, 1, n+1), pos: make([]uint32, 0, 2*n)}
	v.it = v.pl.Iterator(true, true, true, v.it)
	for {
		p, err := v.it.Next()
		if err != nil {
			return nil, fmt.Errorf("read postings of %q: %w", term, err)
		}
		if p == nil {
			break
		}
		d.docs = append(d.docs, uint32(p.Number()))
		from := len(d.pos)
		for _, l := range p.Locations() {
			d.pos = append(d.pos, uint32(l.Pos()))
		}
		slices.Sort(d.pos[from:])
		d.posOff = append(d.posOff, uint32(len(d.pos)))
	}
	if cap(d.pos)-len(d.pos) > len(d.pos)/4 {
		d.pos = slices.Clone(d.pos) // a title's list: about one a paper
	}
	v.cache.put(key, d.withRank(seg.Count()))
	return d, nil
}

// liveDeleted returns segment i's deleted documents, or nil when none are.
func (v *segmentView) liveDeleted(i int) *roaring.Bitmap {
	if del := v.segs[i].Deleted(); del != nil && !del.IsEmpty() {
		return del
	}
	return nil
}

// count returns how many live papers have term in field. It reads a
// cached list when there is one, and never decodes one to count it.
func (v *segmentView) count(term []byte, field string) (uint64, error) {
	dicts, err := v.dictionaries(field)
	if err != nil {
		return 0, err
	}
	var n uint64
	for i := range v.segs {
		del := v.liveDeleted(i)
		if d := v.cache.get(postingsKey{seg: v.segs[i].Segment(), field: field, term: string(term)}); d != nil {
			if del == nil {
				n += uint64(len(d.docs))
				continue
			}
			for _, doc := range d.docs {
				if !del.Contains(doc) {
					n++
				}
			}
			continue
		}
		if v.pl, err = dicts[i].PostingsList(term, del, v.pl); err != nil {
			return 0, fmt.Errorf("read postings of %q: %w", term, err)
		}
		n += v.pl.Count()
	}
	return n, nil
}

// postingFunc receives one posting: the paper's number in the snapshot,
// the term's frequency in the field, and the field's length in tokens.
type postingFunc func(num uint64, tf uint32, length uint32)

// fieldLength returns the length of a posting's field. zap keeps the
// length itself, and Norm works 1/sqrt of it out for every posting, which
// the ranker then turned back into the length: a tenth of decoding.
func fieldLength(p segment.Posting) uint32 {
	if l, ok := p.(interface{ NormUint64() uint64 }); ok {
		return uint32(l.NormUint64())
	}
	norm := float32(p.Norm())
	return uint32(math.Round(1 / float64(norm*norm)))
}

// each calls f with every live posting of term in field, in document
// order, and returns how many there were.
func (v *segmentView) each(ctx context.Context, term []byte, field string, f postingFunc) (uint64, error) {
	var n uint64
	for i := range v.segs {
		m, err := v.eachIn(ctx, i, term, field, f)
		if err != nil {
			return 0, err
		}
		n += m
	}
	return n, nil
}

// mark adds the papers with term in field to set: each, without a call
// per posting for the decoded lists.
func (v *segmentView) mark(ctx context.Context, term []byte, field string, set bitset) error {
	for i := range v.segs {
		d, err := v.postings(i, term, field)
		if err != nil {
			return err
		}
		if d == nil {
			if _, err := v.eachIn(ctx, i, term, field, func(num uint64, _, _ uint32) { set.set(num) }); err != nil {
				return err
			}
			continue
		}
		start, del := v.starts[i], v.liveDeleted(i)
		for _, doc := range d.docs {
			if del == nil || !del.Contains(doc) {
				set.set(start + uint64(doc))
			}
		}
	}
	return nil
}

// eachIn is each in segment i.
func (v *segmentView) eachIn(ctx context.Context, i int, term []byte, field string, f postingFunc) (uint64, error) {
	d, err := v.postings(i, term, field)
	if err != nil {
		return 0, err
	}
	var n uint64
	start := v.starts[i]
	del := v.liveDeleted(i)
	if d != nil {
		for k, doc := range d.docs {
			if del != nil && del.Contains(doc) {
				continue
			}
			n++
			f(start+uint64(doc), uint32(d.tf[k]), d.lens[doc].Load())
		}
		return n, nil
	}
	if del != nil {
		dicts, _ := v.dictionaries(field)
		if v.pl, err = dicts[i].PostingsList(term, del, v.pl); err != nil {
			return 0, fmt.Errorf("read postings of %q: %w", term, err)
		}
	}
	if v.pl.Count() == 0 {
		return 0, nil
	}
	v.it = v.pl.Iterator(true, true, false, v.it)
	for k := 0; ; k++ {
		if k%4096 == 4095 && ctx.Err() != nil {
			return 0, ctx.Err()
		}
		p, err := v.it.Next()
		if err != nil {
			return 0, fmt.Errorf("read postings of %q: %w", term, err)
		}
		if p == nil {
			break
		}
		n++
		f(start+p.Number(), uint32(p.Frequency()), fieldLength(p))
	}
	return n, nil
}

// at calls f with the postings of term in field of the papers nums (sorted
// numbers of live papers, as a searcher found them) that have it.
func (v *segmentView) at(term []byte, field string, nums []uint64, f postingFunc) error {
	return v.atSegments(nums, func(i int, local []uint64) error {
		if text, err := v.fromText(i, term, field, false, local); err != nil || text {
			if err != nil {
				return err
			}
			return v.textPostings(i, term, field, local, f)
		}
		d, err := v.postings(i, term, field)
		if err != nil {
			return err
		}
		start := v.starts[i]
		if d != nil {
			// Search the decoded list for each paper: both are sorted.
			k := 0
			for _, doc := range local {
				var ok bool
				if k, ok = d.find(k, doc); ok {
					f(start+doc, uint32(d.tf[k]), d.lens[doc].Load())
				} else if k == len(d.docs) {
					break
				}
			}
			return nil
		}
		// postings read the list with readList, and kept it there.
		return v.advance(i, term, field, false, true, local, func(p segment.Posting) {
			f(start+p.Number(), uint32(p.Frequency()), fieldLength(p))
		})
	})
}

// gallop returns the first index from k on where docs (sorted) holds doc
// or more, or len(docs). It steps out in doubling strides before a binary
// search, so that looking up papers in order costs the log of the gap
// between them rather than of the whole list.
func gallop(docs []uint32, k int, doc uint64) int {
	lo, step := k, 1
	hi := k
	for hi < len(docs) && uint64(docs[hi]) < doc {
		lo = hi + 1
		hi += step
		step *= 2
	}
	hi = min(hi, len(docs))
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if uint64(docs[m]) < doc {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// positionsAt calls f with the positions of term in field in each of the
// papers nums (sorted numbers) that have it, in order. f may keep pos:
// nothing changes it afterwards (a cached list's positions are the
// cache's own).
func (v *segmentView) positionsAt(term []byte, field string, nums []uint64, f func(num uint64, pos []uint32)) error {
	var buf []uint32
	return v.atSegments(nums, func(i int, local []uint64) error {
		if text, err := v.fromText(i, term, field, true, local); err != nil || text {
			if err != nil {
				return err
			}
			return v.textPositions(i, term, field, local, f)
		}
		start := v.starts[i]
		d, err := v.positions(i, term, field)
		if err != nil {
			return err
		}
		if d != nil {
			k := 0
			for _, doc := range local {
				var ok bool
				if k, ok = d.find(k, doc); ok {
					f(start+doc, d.pos[d.posOff[k]:d.posOff[k+1]:d.posOff[k+1]])
				} else if k == len(d.docs) {
					break
				}
			}
			return nil
		}
		// positions read the list with readList, unless there is no
		// cache.
		return v.advance(i, term, field, true, v.cache != nil, local, func(p segment.Posting) {
			from := len(buf)
			for _, l := range p.Locations() {
				buf = append(buf, uint32(l.Pos()))
			}
			pos := buf[from:len(buf):len(buf)]
			slices.Sort(pos)
			f(start+p.Number(), pos)
		})
	})
}

// atSegments splits sorted numbers by segment and calls f with each
// segment's share, as numbers within the segment.
func (v *segmentView) atSegments(nums []uint64, f func(i int, local []uint64) error) error {
	local := v.local[:0]
	defer func() { v.local = local }()
	for i := 0; i < len(v.segs) && len(nums) > 0; i++ {
		end := v.size
		if i+1 < len(v.starts) {
			end = v.starts[i+1]
		}
		k := sort.Search(len(nums), func(j int) bool { return nums[j] >= end })
		if k == 0 {
			continue
		}
		local = local[:0]
		for _, num := range nums[:k] {
			local = append(local, num-v.starts[i])
		}
		nums = nums[k:]
		if err := f(i, local); err != nil {
			return err
		}
	}
	return nil
}

// advance reads the postings of local (sorted numbers of live papers in
// segment i) from Bleve's list, skipping ahead. read says v.pl is the
// list already, as readList left it: with deleted papers, which is no
// matter, since only papers of local are looked at.
func (v *segmentView) advance(i int, term []byte, field string, locations, read bool, local []uint64, f func(segment.Posting)) error {
	if !read {
		dicts, err := v.dictionaries(field)
		if err != nil {
			return err
		}
		if v.pl, err = dicts[i].PostingsList(term, v.segs[i].Deleted(), v.pl); err != nil {
			return fmt.Errorf("read postings of %q: %w", term, err)
		}
	}
	var err error
	if v.pl.Count() == 0 {
		return nil
	}
	v.it = v.pl.Iterator(true, true, locations, v.it)
	var cur segment.Posting
	for _, doc := range local {
		if cur == nil || cur.Number() < doc {
			if cur, err = v.it.Advance(doc); err != nil {
				return fmt.Errorf("read postings of %q: %w", term, err)
			}
			if cur == nil {
				return nil
			}
		}
		if cur.Number() == doc {
			f(cur)
		}
	}
	return nil
}

// stored calls f with the stored fields of paper num.
func (v *segmentView) stored(num uint64, f func(field string, value []byte)) error {
	i := sort.Search(len(v.starts), func(j int) bool { return v.starts[j] > num }) - 1
	if i < 0 {
		return fmt.Errorf("no paper numbered %d", num)
	}
	return v.segs[i].VisitDocument(num-v.starts[i], func(field string, _ byte, value []byte, _ []uint64) bool {
		f(field, value)
		return true
	})
}

// cacheMinPostings is the shortest postings list worth keeping decoded.
// Even short lists pay: feedback and proximity look up a few papers in
// them, and setting up Bleve's iterator for that costs more than a search
// of the decoded list (16 rather than 128 took a tenth off the median
// query at 75,000 papers).
const cacheMinPostings = 16

// The decoded postings an index keeps are bounded by a quarter of the
// index's size on disk, within these bounds: common terms' lists grow
// with the collection, and a cache that cannot hold those of a query
// decodes them again for every query (at a million papers, 560 MB of
// cache halved the median query against 280 MB; see decoded).
const (
	minPostingsCacheBytes = 128 << 20
	maxPostingsCacheBytes = 1 << 30
)

// postingsCacheBytes sizes the postings cache of the index at path.
func postingsCacheBytes(path string) int {
	size := DiskSize(path)
	return int(min(max(size/4, minPostingsCacheBytes), maxPostingsCacheBytes))
}

type postingsKey struct {
	seg   segment.Segment
	field string
	term  string
	// positions keys the list decoded with its positions, for proximity:
	// about twice the bytes, for the few terms queries pair.
	positions bool
}

// postingsCache keeps decoded postings lists of live segments, up to a
// number of bytes; past it, entries picked at random make room (Go's map
// order), which keeps the commonest terms most of the time at no
// bookkeeping cost per hit.
type postingsCache struct {
	mu    sync.RWMutex
	m     map[postingsKey]*decoded
	bytes int
	limit int
	lens  map[lengthsKey][]atomic.Uint32
	// minPostings is the shortest list kept (cacheMinPostings but in tests).
	minPostings int
}

func newPostingsCache(limit int) *postingsCache {
	return &postingsCache{m: map[postingsKey]*decoded{}, limit: limit, minPostings: cacheMinPostings}
}

func (c *postingsCache) get(k postingsKey) *decoded {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[k]
}

func (c *postingsCache) put(k postingsKey, d *decoded) {
	n := d.bytes()
	if n > c.limit/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return
	}
	for key, old := range c.m {
		if c.bytes+n <= c.limit {
			break
		}
		c.bytes -= old.bytes()
		delete(c.m, key)
	}
	c.m[k] = d
	c.bytes += n
}

// full says whether a list put in the cache now would mostly evict
// another.
func (c *postingsCache) full() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.bytes >= c.limit-c.limit/16
}

// forget drops the entries of segments that are gone.
func (c *postingsCache) forget(gone func(segment.Segment) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, d := range c.m {
		if gone(key.seg) {
			c.bytes -= d.bytes()
			delete(c.m, key)
		}
	}
	for key := range c.lens {
		if gone(key.seg) {
			delete(c.lens, key)
		}
	}
}

type lengthsKey struct {
	seg   segment.Segment
	field string
}

// lengths returns the lengths of field in the papers of seg, by local
// document number, as the decoded lists of the field have filled them in:
// a list's papers have their lengths before the list is in the cache.
// They take 4 bytes a paper and field, outside the cache's limit, and go
// with their segment.
func (c *postingsCache) lengths(seg segment.Segment, field string) []atomic.Uint32 {
	k := lengthsKey{seg, field}
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.lens[k]
	if !ok {
		l = make([]atomic.Uint32, seg.Count())
		if c.lens == nil {
			c.lens = map[lengthsKey][]atomic.Uint32{}
		}
		c.lens[k] = l
	}
	return l
}

// matchCache keeps the papers that recent phrases matched in the latest
// snapshot. Expansions make the same phrases recur across queries ("large
// language model" for every query that says LLM), and a phrase of common
// words costs more to match than the rest of the search; a new snapshot
// (any write) empties the cache.
type matchCache struct {
	mu   sync.Mutex
	snap index.IndexReader // held so that its address is not reused
	m    map[string]matchSet
	size int // bytes held
}

// maxMatchCache bounds the bytes a matchCache holds; one phrase may take an
// eighth of it. Dense matches are held as bitsets (see matchSet), so at
// 2.7 million papers a phrase takes at most 340 KB.
const maxMatchCache = 32 << 20

// matchSet is the papers a phrase matched, in the snapshot's numbers: a
// sorted list, or a bitset where that is smaller. A phrase of common words
// matches most papers: "large language model" matched 1.5 million of 2.7
// million synthetic papers, 12 MB as a list. Held as a list it was too big
// to cache, and matching it again took 2.4 s of every search that said LLM.
type matchSet struct {
	list []uint64
	bits bitset // when not nil, the papers; list is nil
	n    uint64 // papers
}

// newMatchSet holds nums (sorted) in the smaller of the two forms.
func newMatchSet(nums []uint64) matchSet {
	if len(nums) == 0 {
		return matchSet{}
	}
	last := nums[len(nums)-1]
	if uint64(len(nums)) <= last/64+1 {
		return matchSet{list: nums, n: uint64(len(nums))}
	}
	b := newBitset(last + 1)
	for _, num := range nums {
		b.set(num)
	}
	return matchSet{bits: b, n: uint64(len(nums))}
}

func (m matchSet) bytes() int { return 8 * (len(m.list) + len(m.bits)) }

// markIn adds m's papers to set, which spans the snapshot's numbers.
func (m matchSet) markIn(set bitset) {
	for i, w := range m.bits {
		set[i] |= w
	}
	for _, num := range m.list {
		set.set(num)
	}
}

// from returns m's first paper numbered num or more, and whether there is one.
func (m matchSet) from(num uint64) (uint64, bool) {
	if m.bits == nil {
		i := sort.Search(len(m.list), func(i int) bool { return m.list[i] >= num })
		if i == len(m.list) {
			return 0, false
		}
		return m.list[i], true
	}
	w := num / 64
	if w >= uint64(len(m.bits)) {
		return 0, false
	}
	word := m.bits[w] &^ (1<<(num%64) - 1)
	for word == 0 {
		if w++; w == uint64(len(m.bits)) {
			return 0, false
		}
		word = m.bits[w]
	}
	return w*64 + uint64(bits.TrailingZeros64(word)), true
}

func (c *matchCache) get(r index.IndexReader, key string) (matchSet, bool) {
	if c == nil {
		return matchSet{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap != r {
		return matchSet{}, false
	}
	m, ok := c.m[key]
	return m, ok
}

func (c *matchCache) put(r index.IndexReader, key string, m matchSet) {
	if c == nil || m.bytes() > maxMatchCache/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap != r {
		c.snap, c.m, c.size = r, map[string]matchSet{}, 0
	}
	if old, ok := c.m[key]; ok {
		c.size -= old.bytes() // two searches missed it at once
	}
	for k, old := range c.m {
		if c.size+m.bytes() <= maxMatchCache {
			break
		}
		c.size -= old.bytes()
		delete(c.m, k)
	}
	c.m[key] = m
	c.size += m.bytes()
}

// matched returns the papers q matches in r, from c when r has matched q
// before.
func (c *matchCache) matched(ctx context.Context, q cachedQuery, r index.IndexReader, m mapping.IndexMapping) (matchSet, error) {
	if set, ok := c.get(r, q.key); ok {
		return set, nil
	}
	var nums []uint64
	var err error
	if q.phrase.terms != nil {
		var v *segmentView
		if v, err = newSegmentView(r, q.postings); err == nil {
			nums, err = v.matchPhrase(ctx, q.field, q.phrase)
		}
	} else {
		nums, err = matches(ctx, q.q, r, m)
	}
	if err != nil {
		return matchSet{}, err
	}
	set := newMatchSet(nums)
	c.put(r, q.key, set)
	return set, nil
}

// slotPool recycles the dense maps from document numbers to accumulator
// slots, all -1 between uses.
var slotPool sync.Pool

func getSlots(n uint64) *[]int32 {
	if s, ok := slotPool.Get().(*[]int32); ok && uint64(len(*s)) >= n {
		return s
	}
	s := make([]int32, n)
	for i := range s {
		s[i] = -1
	}
	return &s
}

// putSlots recycles s once the slots of the papers in accs are reset. When
// a search found half the papers or more, resetting every slot in order
// beats resetting theirs, scattered: at a million papers, reading the
// accumulators again for their numbers was 3% of such searches. (From one
// paper in eight on, the 74,728-paper bench mix ran 5-14% slower.)
func putSlots(s *[]int32, accs []docAcc) {
	if len(accs)*2 >= len(*s) {
		for i := range *s {
			(*s)[i] = -1
		}
	} else {
		for _, d := range accs {
			(*s)[d.id] = -1
		}
	}
	slotPool.Put(s)
}

// bagBuffers are a bag searcher's per-paper buffers, recycled between
// searches (see bagSearcher.Close).
type bagBuffers struct {
	accs      []docAcc
	arena     []hit
	docs      []scoredDoc
	byID      []scoredDoc
	norms     [2][]float64
	foundBits bitset
	gmax      []float64 // see scoreAsRead
	// The second half of a split first pass (see readFirstPass): its
	// accumulators, hundreds of thousands at a million papers, grown
	// afresh for every search were a third of such a search's time in
	// copying and garbage collection.
	accs2  []docAcc
	found2 bitset
}

// found returns an empty bitset of n papers.
func (b *bagBuffers) found(n uint64) bitset { return emptyBitset(&b.foundBits, n) }

// emptyBitset returns *buf cleared and resized to n papers, reallocated
// only when too short.
func emptyBitset(buf *bitset, n uint64) bitset {
	words := int((n + 63) / 64)
	if cap(*buf) < words {
		*buf = make(bitset, words)
	}
	*buf = (*buf)[:words]
	clear(*buf)
	return *buf
}

var bagBufferPool sync.Pool

func getBagBuffers() *bagBuffers {
	if b, ok := bagBufferPool.Get().(*bagBuffers); ok {
		return b
	}
	return &bagBuffers{}
}

// putBagBuffers recycles b.
func putBagBuffers(b *bagBuffers) {
	b.accs, b.arena = b.accs[:0], b.arena[:0]
	bagBufferPool.Put(b)
}

// growScored returns buf resized to n, reallocated only when too short.
func growScored(buf []scoredDoc, n int) []scoredDoc {
	if cap(buf) < n {
		return make([]scoredDoc, n)
	}
	return buf[:n]
}

// cachedQuery matches what q matches, taking the papers from a matchCache
// when this snapshot has seen q before. It scores nothing: it only ever
// selects papers. A phrase in a prose field (phrase.terms not nil) is
// matched by matchPhrase, from postings, not by Bleve's searcher.
type cachedQuery struct {
	q        query.Query
	key      string
	cache    *matchCache // nil: match every time
	field    string
	phrase   phraseTerms
	postings *postingsCache
}

func (c cachedQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, _ bsearch.SearcherOptions) (bsearch.Searcher, error) {
	set, err := c.cache.matched(ctx, c, r, m)
	if err != nil {
		return nil, err
	}
	return &setSearcher{set: set}, nil
}

// setSearcher hands over the papers of a matchSet in order.
type setSearcher struct {
	set  matchSet
	next uint64 // the lowest number not handed over yet
}

func (l *setSearcher) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	num, ok := l.set.from(l.next)
	if !ok {
		l.next = math.MaxUint64
		return nil, nil
	}
	l.next = num + 1
	dm := ctx.DocumentMatchPool.Get()
	dm.IndexInternalID = index.NewIndexInternalID(dm.IndexInternalID[:0], num)
	return dm, nil
}

func (l *setSearcher) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	if want := id.Value(); want > l.next {
		l.next = want
	}
	return l.Next(ctx)
}

func (l *setSearcher) Close() error               { return nil }
func (l *setSearcher) Weight() float64            { return 0 }
func (l *setSearcher) SetQueryNorm(float64)       {}
func (l *setSearcher) Count() uint64              { return l.set.n }
func (l *setSearcher) Min() int                   { return 0 }
func (l *setSearcher) Size() int                  { return 64 + l.set.bytes() }
func (l *setSearcher) DocumentMatchPoolSize() int { return 1 }
