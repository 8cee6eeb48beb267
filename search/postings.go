package search

import (
	"context"
	"fmt"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// segmentView reads postings segment by segment, straight from Bleve's
// segments: the ranker visits every posting of every query term, and
// Bleve's term readers cost several times the decoding itself per
// posting (an id copied into bytes, a match struct filled). Documents are
// numbered as Bleve numbers them across a snapshot: a segment's first
// document follows the last of the segment before, deleted ones included.
type segmentView struct {
	segs   []*scorch.SegmentSnapshot
	starts []uint64
	size   uint64 // document numbers spanned
	dicts  map[string][]segment.TermDictionary
	pl     segment.PostingsList
	it     segment.PostingsIterator
}

func newSegmentView(r index.IndexReader) (*segmentView, error) {
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil, fmt.Errorf("index reader is a %T, not a scorch snapshot", r)
	}
	v := &segmentView{segs: snap.Segments(), dicts: map[string][]segment.TermDictionary{}}
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

// count returns how many live papers have term in field.
func (v *segmentView) count(term []byte, field string) (uint64, error) {
	dicts, err := v.dictionaries(field)
	if err != nil {
		return 0, err
	}
	var n uint64
	for i, d := range dicts {
		if v.pl, err = d.PostingsList(term, v.segs[i].Deleted(), v.pl); err != nil {
			return 0, fmt.Errorf("read postings of %q: %w", term, err)
		}
		n += v.pl.Count()
	}
	return n, nil
}

// each calls f with every live posting of term in field, in document
// order, and returns how many there were.
func (v *segmentView) each(ctx context.Context, term []byte, field string, locations bool, f func(num uint64, p segment.Posting)) (uint64, error) {
	dicts, err := v.dictionaries(field)
	if err != nil {
		return 0, err
	}
	var n uint64
	for i, d := range dicts {
		if v.pl, err = d.PostingsList(term, v.segs[i].Deleted(), v.pl); err != nil {
			return 0, fmt.Errorf("read postings of %q: %w", term, err)
		}
		if v.pl.Count() == 0 {
			continue
		}
		n += v.pl.Count()
		v.it = v.pl.Iterator(true, true, locations, v.it)
		start := v.starts[i]
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
			f(start+p.Number(), p)
		}
	}
	return n, nil
}

// at calls f with the postings of term in field of the papers nums (sorted
// global numbers) that have it, skipping ahead in the postings.
func (v *segmentView) at(term []byte, field string, locations bool, nums []uint64, f func(num uint64, p segment.Posting)) error {
	dicts, err := v.dictionaries(field)
	if err != nil {
		return err
	}
	seg, loaded, exhausted := 0, -1, false
	var cur segment.Posting
	for _, num := range nums {
		for seg+1 < len(v.starts) && v.starts[seg+1] <= num {
			seg++
		}
		if seg != loaded {
			if v.pl, err = dicts[seg].PostingsList(term, v.segs[seg].Deleted(), v.pl); err != nil {
				return fmt.Errorf("read postings of %q: %w", term, err)
			}
			loaded, cur, exhausted = seg, nil, v.pl.Count() == 0
			if !exhausted {
				v.it = v.pl.Iterator(true, true, locations, v.it)
			}
		}
		if exhausted {
			continue
		}
		local := num - v.starts[seg]
		if cur == nil || cur.Number() < local {
			if cur, err = v.it.Advance(local); err != nil {
				return fmt.Errorf("read postings of %q: %w", term, err)
			}
			if cur == nil {
				exhausted = true
				continue
			}
		}
		if cur.Number() == local {
			f(num, cur)
		}
	}
	return nil
}

// stored calls f with the stored fields of paper num.
func (v *segmentView) stored(num uint64, f func(field string, value []byte)) error {
	i := len(v.starts) - 1
	for i > 0 && v.starts[i] > num {
		i--
	}
	if i < 0 {
		return fmt.Errorf("no paper numbered %d", num)
	}
	return v.segs[i].VisitDocument(num-v.starts[i], func(field string, _ byte, value []byte, _ []uint64) bool {
		f(field, value)
		return true
	})
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

// putSlots recycles s once the slots of the papers in accs are reset.
func putSlots(s *[]int32, accs []docAcc) {
	for _, d := range accs {
		(*s)[d.id] = -1
	}
	slotPool.Put(s)
}
