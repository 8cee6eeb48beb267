package search

import (
	"context"

	"github.com/blevesearch/bleve/v2/analysis"
)

// phraseTerms are the analysed terms of a phrase in a prose field, with
// each one's place after the first: a stop word between two terms leaves a
// gap, as in the index.
type phraseTerms struct {
	terms []string
	offs  []uint32
}

// proseTerms analyses text as Bleve's phrase query does for a prose field.
// ok is false for a phrase matchPhrase does not read: one of no terms, or
// of two terms at one place, which Bleve matches as alternatives.
func proseTerms(a analysis.Analyzer, text string) (phraseTerms, bool) {
	var p phraseTerms
	first, last := 0, 0
	for i, t := range a.Analyze([]byte(text)) {
		if i == 0 {
			first = t.Position
		} else if t.Position <= last {
			return phraseTerms{}, false
		}
		last = t.Position
		p.terms = append(p.terms, string(t.Term))
		p.offs = append(p.offs, uint32(t.Position-first))
	}
	return p, len(p.terms) > 0
}

// matchPhrase returns the live papers, as sorted snapshot numbers, whose
// field holds the terms of p at their places after the first: what Bleve's
// phrase searcher matches (TestMatchPhraseAsBleve). Bleve's searcher
// builds a match, with every term's locations, for each paper holding all
// the terms. At 2.7 million synthetic papers, "large language model",
// the expansion of every query that says LLM, held all three in 1.5
// million papers and took 2.4 s, past the 2 s a search may take, so it was
// never cached. This marks the papers with every term in a bitset from the
// decoded lists, then reads positions for those papers only, one term at a
// time, keeping the places where the phrase can still start.
func (v *segmentView) matchPhrase(ctx context.Context, field string, p phraseTerms) ([]uint64, error) {
	set := newBitset(v.size)
	if err := v.mark(ctx, []byte(p.terms[0]), field, set); err != nil {
		return nil, err
	}
	if len(p.terms) > 1 {
		other := newBitset(v.size)
		for _, t := range p.terms[1:] {
			clear(other)
			if err := v.mark(ctx, []byte(t), field, other); err != nil {
				return nil, err
			}
			for i := range set {
				set[i] &= other[i]
			}
		}
	}
	alive := set.appendTo(nil)
	if len(p.terms) == 1 || len(alive) == 0 {
		return alive, nil
	}
	// A search past its deadline stops within 4,096 papers: reading the
	// first term's positions for 1.5 million papers is most of a second.
	var stopped error
	calls := 0
	stop := func() bool {
		if calls++; calls%4096 == 0 && stopped == nil {
			stopped = ctx.Err()
		}
		return stopped != nil
	}
	// starts[ends[k]:ends[k+1]] are the places where the phrase may start
	// in paper alive[k], in order.
	var starts []uint32
	ends := make([]uint32, 1, len(alive)+1)
	k := 0
	err := v.positionsAt([]byte(p.terms[0]), field, alive, func(num uint64, pos []uint32) {
		if stop() {
			return
		}
		for ; alive[k] != num; k++ {
			ends = append(ends, uint32(len(starts)))
		}
		starts = append(starts, pos...)
		ends = append(ends, uint32(len(starts)))
		k++
	})
	if err == nil {
		err = stopped
	}
	if err != nil {
		return nil, err
	}
	for ; k < len(alive); k++ {
		ends = append(ends, uint32(len(starts)))
	}
	for j := 1; j < len(p.terms) && len(alive) > 0; j++ {
		off := p.offs[j]
		var next []uint64
		var nextStarts []uint32
		nextEnds := []uint32{0}
		k := 0
		err := v.positionsAt([]byte(p.terms[j]), field, alive, func(num uint64, pos []uint32) {
			if stop() {
				return
			}
			for alive[k] != num {
				k++
			}
			from := len(nextStarts)
			i := 0
			for _, s := range starts[ends[k]:ends[k+1]] {
				for i < len(pos) && pos[i] < s+off {
					i++
				}
				if i == len(pos) {
					break
				}
				if pos[i] == s+off {
					nextStarts = append(nextStarts, s)
				}
			}
			if len(nextStarts) > from {
				next = append(next, num)
				nextEnds = append(nextEnds, uint32(len(nextStarts)))
			}
			k++
		})
		if err == nil {
			err = stopped
		}
		if err != nil {
			return nil, err
		}
		alive, starts, ends = next, nextStarts, nextEnds
	}
	return alive, nil
}
