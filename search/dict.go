package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	index "github.com/blevesearch/bleve_index_api"
)

// Look-ups in the index's term dictionaries, for prefixes, fuzzy words,
// spelling correction and suggestions. Counts come from postings: Bleve
// 2.6.3's dictionary iterators do not report them reliably.

// maxDictScan bounds how many dictionary entries one look-up reads, so a
// short prefix over a large index stays cheap.
const maxDictScan = 2000

// termCount is an indexed term with the number of papers that have it.
type termCount struct {
	term  string
	count int
	edits int // for fuzzy look-ups
}

func (x *Index) reader() (index.IndexReader, error) {
	// A closed scorch index hands out a nil snapshot without an error;
	// DocCount reports the closed index properly.
	if _, err := x.bi.DocCount(); err != nil {
		return nil, fmt.Errorf("open index reader: %w", err)
	}
	ix, err := x.bi.Advanced()
	if err != nil {
		return nil, fmt.Errorf("open index reader: %w", err)
	}
	r, err := ix.Reader()
	if err != nil {
		return nil, fmt.Errorf("open index reader: %w", err)
	}
	return r, nil
}

// termCount returns how many papers have term in field.
func (x *Index) termCount(ctx context.Context, r index.IndexReader, field, term string) int {
	tfr, err := r.TermFieldReader(ctx, []byte(term), field, false, false, false)
	if err != nil {
		return 0
	}
	defer tfr.Close()
	return int(tfr.Count())
}

// prefixTerms returns up to n terms of field that start with prefix, the
// most common first.
func (x *Index) prefixTerms(ctx context.Context, r index.IndexReader, field, prefix string, n int) ([]termCount, error) {
	fd, err := r.FieldDictPrefix(field, []byte(prefix))
	if err != nil {
		return nil, err
	}
	return x.collectTerms(ctx, r, fd, field, n)
}

// fuzzyTerms returns up to n terms of field within edits of term, the
// closest and then the most common first.
func (x *Index) fuzzyTerms(ctx context.Context, r index.IndexReader, field, term string, edits, n int) ([]termCount, error) {
	fr, ok := r.(index.IndexReaderFuzzy)
	if !ok || edits < 1 {
		return nil, nil
	}
	// Sharing the first letter keeps the automaton small and the
	// suggestions sane: typos rarely hit the first letter.
	prefix := ""
	if len(term) > 0 {
		prefix = term[:1]
	}
	fd, err := fr.FieldDictFuzzy(field, term, min(edits, maxFuzziness), prefix)
	if err != nil {
		return nil, err
	}
	found, err := x.collectTerms(ctx, r, fd, field, maxDictScan)
	if err != nil {
		return nil, err
	}
	for i := range found {
		found[i].edits = levenshtein(term, found[i].term)
	}
	slices.SortStableFunc(found, func(a, b termCount) int {
		if c := cmp.Compare(a.edits, b.edits); c != 0 {
			return c
		}
		return cmp.Compare(b.count, a.count)
	})
	out := found[:0]
	for _, f := range found {
		if f.term != term && f.count > 0 {
			out = append(out, f)
		}
	}
	return out[:min(len(out), n)], nil
}

// collectTerms reads a dictionary iterator, counts each term's papers and keeps
// the n most common.
func (x *Index) collectTerms(ctx context.Context, r index.IndexReader, fd index.FieldDict, field string, n int) ([]termCount, error) {
	defer fd.Close()
	var out []termCount
	for len(out) < maxDictScan {
		e, err := fd.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			break
		}
		if c := x.termCount(ctx, r, field, e.Term); c > 0 {
			out = append(out, termCount{term: e.Term, count: c})
		}
	}
	slices.SortStableFunc(out, func(a, b termCount) int {
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		return strings.Compare(a.term, b.term)
	})
	return out[:min(len(out), n)], nil
}

// levenshtein is the edit distance between two words, in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
