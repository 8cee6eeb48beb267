package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	index "github.com/blevesearch/bleve_index_api"
)

// Look-ups in the index's term dictionaries and its vocabulary, for
// prefixes, fuzzy words, spelling correction and suggestions. Counts come
// from postings: Bleve 2.6.3's dictionary iterators do not report them
// reliably.

// maxDictScan bounds how many dictionary entries one look-up reads, so a
// short prefix over a large index stays cheap.
const maxDictScan = 2000

// termCount is an indexed term with the number of papers that have it.
type termCount struct {
	term  string
	count int
	edits int // for fuzzy look-ups
	// seen is, for a word of the vocabulary, how many papers had it as
	// written, as the vocabulary counted them (see vocabFile).
	seen int64
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

// wordCount is how many papers have w's stem in their title or in their
// abstract (the larger of the two): how a word of the vocabulary is counted
// (see vocab.go). Stop words count nothing.
func (x *Index) wordCount(ctx context.Context, r index.IndexReader, w string, stems map[string]int) int {
	t := analyze(x.prose, w)
	if len(t) != 1 {
		return 0
	}
	if c, ok := stems[t[0]]; ok {
		return c
	}
	c := max(x.termCount(ctx, r, fieldTitle, t[0]), x.termCount(ctx, r, fieldAbstract, t[0]))
	stems[t[0]] = c
	return c
}

// wordsWithPrefix returns up to n words of titles and abstracts that start
// with prefix, the most common first. Words of one stem count the same
// papers and search alike, so only the one most often written is kept
// ("quantization", not "quantized" or "quantize").
func (x *Index) wordsWithPrefix(ctx context.Context, r index.IndexReader, prefix string, n int) []termCount {
	words := x.vocab.withPrefixAnyAccents(prefix)
	words = words[:min(len(words), maxDictScan)]
	seen := x.vocab.seenIn(words)
	byStem := map[string]int{} // stem -> index in out
	var out []termCount
	for k, w := range words {
		t := analyze(x.prose, w)
		if len(t) != 1 {
			continue
		}
		if i, ok := byStem[t[0]]; ok {
			if o := &out[i]; seen[k] > o.seen || seen[k] == o.seen && len(w) < len(o.term) {
				o.term, o.seen = w, seen[k]
			}
			continue
		}
		byStem[t[0]] = len(out)
		out = append(out, termCount{term: w, seen: seen[k], count: max(x.termCount(ctx, r, fieldTitle, t[0]), x.termCount(ctx, r, fieldAbstract, t[0]))})
	}
	out = slices.DeleteFunc(out, func(c termCount) bool { return c.count == 0 })
	slices.SortFunc(out, func(a, b termCount) int {
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		return strings.Compare(a.term, b.term)
	})
	return out[:min(len(out), n)]
}

// wordsNear returns up to n words of titles and abstracts within edits of
// w, other than w: the closest, then those whose stem is the most common,
// then those most often written.
func (x *Index) wordsNear(ctx context.Context, r index.IndexReader, w string, edits, n int) []termCount {
	stems := map[string]int{}
	found := x.vocab.near(w, min(edits, maxFuzziness))
	words := make([]string, len(found))
	for i, f := range found {
		words[i] = f.term
	}
	seen := x.vocab.seenIn(words)
	var out []termCount
	for i, f := range found {
		f.seen = seen[i]
		if f.count = x.wordCount(ctx, r, f.term, stems); f.count > 0 {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b termCount) int {
		if c := cmp.Compare(a.edits, b.edits); c != 0 {
			return c
		}
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		if c := cmp.Compare(b.seen, a.seen); c != 0 {
			return c
		}
		return strings.Compare(a.term, b.term)
	})
	return out[:min(len(out), n)]
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
