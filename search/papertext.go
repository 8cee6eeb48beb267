package search

import (
	"fmt"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2/analysis"
)

// A search reads the postings of feedback terms, and the positions of
// paired query terms, for a few hundred papers only: its candidates (see
// rerankDepth and proxCandidates). From a decoded list, that costs a
// look-up per paper; but a list that is not decoded yet costs its whole
// length to decode, since zap's chunks hold a thousand postings each and
// the candidates fall in most of them. While the postings cache has room,
// the decoded list is kept, and the next searches find it. Once the cache
// is full, a list decoded for a few hundred papers mostly evicts another
// and is itself evicted before it is read again: at a million papers, the
// mix of "papersearch bench" still spent about 40% of its search CPU
// decoding after it had run once whole. Then a long list is read from the candidates' own
// text instead: analysed as the index analysed it, a paper's title and
// abstract give the same frequencies, positions and field lengths as its
// postings (TestRankSameFromText).
//
// Reading a paper's text costs about as much as decoding a few thousand
// postings, but it is done once per search, for all the lists read that
// way: up to ten feedback terms and the paired query terms, in title and
// abstract.

// textOverList: once the cache is full, a list not in it is read from the
// papers' text when it holds more than this many postings per paper
// looked up. At 75,000 papers in one segment, whose 300 candidates are
// looked up at once, that is lists of papers more than half the index
// has; at a million, with about 18 candidates in each of 17 segments,
// lists of 2,300 papers of a segment's 60,000. There, against the same
// index and mix (bench --index, 40 s, runs in pairs): p95 156-169 to
// 97-120 ms, p99 292-322 to 224-248 ms, 14.3-15.8 to 16.4-18.4 queries a
// second (with want, below); 64 did about as well, 256 worse.
var textOverList = 128

// paperTexts analyses the stored text of the papers a search looks up,
// each once.
type paperTexts struct {
	prose  analysis.Analyzer
	papers map[uint64]*paperTerms
	// want, when not nil, are the only terms a paper's text is read for:
	// the bag's, feedback terms included, which are all the lists a
	// search looks papers up in. Keeping every term of every paper
	// took 8-15% off the q/s of the bench mix at a million papers.
	want map[string]bool
}

// paperTerms are the prose terms of a paper with their positions, by
// field, and the fields' lengths, as the index has them.
type paperTerms struct {
	len   [2]uint32
	terms map[string]*[2][]uint32
}

func newPaperTexts(prose analysis.Analyzer) *paperTexts {
	return &paperTexts{prose: prose, papers: map[uint64]*paperTerms{}}
}

// proseField returns the index in proseFields of field, or -1.
func proseField(field string) int {
	for i, f := range proseFields {
		if f == field {
			return i
		}
	}
	return -1
}

// fromText says whether segment i's list of term in field should be read
// from the text of the papers local looks up (see textOverList), and
// leaves v.pl at the list when it read it.
func (v *segmentView) fromText(i int, term []byte, field string, positions bool, local []uint64) (bool, error) {
	if v.texts == nil || v.cache == nil || !v.cache.full() || proseField(field) < 0 {
		return false, nil
	}
	key := postingsKey{seg: v.segs[i].Segment(), field: field, term: string(term), positions: positions}
	if v.cache.get(key) != nil {
		return false, nil
	}
	n, err := v.readList(i, term, field)
	if err != nil {
		return false, err
	}
	return n > uint64(textOverList)*uint64(len(local)), nil
}

// paper returns the terms of paper doc of segment i, analysing its stored
// text the first time.
func (v *segmentView) paper(i int, doc uint64) (*paperTerms, error) {
	t := v.texts
	num := v.starts[i] + doc
	if p := t.papers[num]; p != nil {
		return p, nil
	}
	var text [2]string
	var derr error
	err := v.stored(num, func(field string, value []byte) {
		if field == fieldMeta {
			derr = readStored("", value, func(title, abstract []byte, _ storedMeta) error {
				text = [2]string{string(title), string(abstract)}
				return nil
			})
		}
	})
	if err == nil {
		err = derr
	}
	if err != nil {
		return nil, fmt.Errorf("read paper %d for its terms: %w", num, err)
	}
	p := &paperTerms{terms: map[string]*[2][]uint32{}}
	for fi, text := range text {
		var toks analysis.TokenStream
		read := false
		if t.want != nil {
			// Only the wanted terms are kept: the words that cannot stem
			// to one of them are left unstemmed, which was half of
			// reading a paper. The field's length is then counted apart:
			// the decoded lists of the field have mostly filled it in
			// already (0 is not known), and counting it was 30% of
			// reading a paper at a million papers.
			n, ok := v.cache.lengths(v.segs[i].Segment(), proseFields[fi])[doc].Load(), true
			if n == 0 {
				var l int
				l, ok = proseLength(t.prose, text)
				n = uint32(l)
			}
			if ok {
				toks, read = analyzeFor(t.prose, text, t.want), true
				p.len[fi] = n
			}
		}
		if !read {
			toks = t.prose.Analyze([]byte(text))
			p.len[fi] = uint32(len(toks))
		}
		for _, tok := range toks {
			if t.want != nil && !t.want[string(tok.Term)] {
				continue
			}
			e := p.terms[string(tok.Term)]
			if e == nil {
				e = new([2][]uint32)
				p.terms[string(tok.Term)] = e
			}
			e[fi] = append(e[fi], uint32(tok.Position))
		}
	}
	t.papers[num] = p
	papersReadForTerms.Add(1)
	return p, nil
}

// proseLength returns the length of text's field as the index has it, the
// tokens the prose analyzer keeps, without stemming them: no stemmer drops
// a token. ok is false when a is not an analyzer of that shape.
func proseLength(a analysis.Analyzer, text string) (n int, ok bool) {
	da, ok := a.(*analysis.DefaultAnalyzer)
	if !ok || len(da.CharFilters) > 0 {
		return 0, false
	}
	toks := da.Tokenizer.Tokenize([]byte(text))
	for _, f := range da.TokenFilters {
		if _, stems := f.(*cachedSnowball); !stems {
			toks = f.Filter(toks)
		}
	}
	return len(toks), true
}

// papersReadForTerms counts the papers whose text searches have read for
// their terms, for tests to see the text read.
var papersReadForTerms atomic.Int64

// textPostings calls f, as at does, with the postings of term in field of
// the papers local (numbers within segment i), from their text.
func (v *segmentView) textPostings(i int, term []byte, field string, local []uint64, f postingFunc) error {
	fi := proseField(field)
	return v.textOf(i, term, fi, local, func(num uint64, p *paperTerms, pos []uint32) {
		f(num, uint32(min(len(pos), maxTF)), p.len[fi])
	})
}

// textPositions calls f, as positionsAt does, with the positions of term
// in field in the papers local (numbers within segment i), from their
// text.
func (v *segmentView) textPositions(i int, term []byte, field string, local []uint64, f func(num uint64, pos []uint32)) error {
	return v.textOf(i, term, proseField(field), local, func(num uint64, _ *paperTerms, pos []uint32) {
		f(num, pos)
	})
}

// textOf calls f with each paper of local (numbers within segment i) that
// has term in prose field fi, and the term's positions there.
func (v *segmentView) textOf(i int, term []byte, fi int, local []uint64, f func(num uint64, p *paperTerms, pos []uint32)) error {
	for _, doc := range local {
		num := v.starts[i] + doc
		p, err := v.paper(i, doc)
		if err != nil {
			return err
		}
		if e := p.terms[string(term)]; e != nil && len(e[fi]) > 0 {
			f(num, p, e[fi][:len(e[fi]):len(e[fi])])
		}
	}
	return nil
}
