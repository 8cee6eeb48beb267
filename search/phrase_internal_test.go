package search

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bsearch "github.com/blevesearch/bleve/v2/search"
	index "github.com/blevesearch/bleve_index_api"
)

// matchPhrase matches what Bleve's phrase searcher matches: repeated
// words, stop words inside and around the phrase, terms in no paper, over
// several segments with deleted and updated papers, with positions read
// from decoded lists, from Bleve's lists, and with no postings cache.
func TestMatchPhraseAsBleve(t *testing.T) {
	words := strings.Fields("alpha beta gamma delta kernel sparse tensor of the and in")
	text := func(rng *rand.Rand, n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = words[rng.IntN(len(words))]
		}
		return strings.Join(w, " ")
	}
	saved := mergePlan
	mergePlan = neverMerge
	x, err := Open(filepath.Join(t.TempDir(), "index"), slog.New(slog.DiscardHandler))
	mergePlan = saved
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rng := rand.New(rand.NewPCG(3, 5))
	for batch := range 4 {
		var ps []Paper
		for i := range 150 {
			// Later batches rewrite some papers of earlier ones.
			id := batch*120 + i
			ps = append(ps, Paper{ID: fmt.Sprintf("p%d", id), Title: text(rng, 3+rng.IntN(5)), Abstract: text(rng, 10+rng.IntN(40))})
		}
		if err := x.Put(ps); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Delete([]string{"p0", "p7", "p200", "p333", "p500"}); err != nil {
		t.Fatal(err)
	}

	phrases := []string{"alpha of beta", "the alpha", "alpha the", "kernel and the sparse", "alpha zzz", "zzz", "alpha", "of the"}
	for _, a := range words[:7] {
		for _, b := range words[:7] {
			phrases = append(phrases, a+" "+b)
		}
	}
	for range 60 {
		phrases = append(phrases, text(rng, 3+rng.IntN(3)))
	}
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		postings *postingsCache
	}{
		{"decoded lists", &postingsCache{m: map[postingsKey]*decoded{}, minPostings: 1, limit: 1 << 30}},
		{"Bleve's lists", &postingsCache{m: map[postingsKey]*decoded{}, minPostings: 1 << 30, limit: 1 << 30}},
		{"no cache", nil},
	} {
		r, v := snapshotView(t, x, c.postings)
		if len(v.segs) < 3 {
			t.Fatalf("%d segments; the test needs several", len(v.segs))
		}
		for _, f := range []string{fieldTitle, fieldAbstract} {
			matched := 0
			for _, ph := range phrases {
				want, err := matches(ctx, phraseQuery(f, ph), r, x.bi.Mapping())
				if err != nil {
					t.Fatal(err)
				}
				p, ok := proseTerms(x.prose, ph)
				if !ok {
					if len(want) > 0 {
						t.Errorf("%s: %q has no terms, and Bleve matches %d papers", f, ph, len(want))
					}
					continue
				}
				got, err := v.matchPhrase(ctx, f, p)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s, %s: %q matches %d papers, Bleve %d\n%v\n%v", c.name, f, ph, len(got), len(want), got, want)
				}
				if len(want) > 0 {
					matched++
				}
			}
			if matched < len(phrases)/2 {
				t.Errorf("%s, %s: only %d phrases of %d match anything; the test is too weak", c.name, f, matched, len(phrases))
			}
		}
	}
}

// A matchSet holds a phrase's papers as a list or, when denser than one in
// 64, as a bitset; either way it marks and hands over the same papers.
func TestMatchSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name  string
		n     int    // papers matched
		span  uint64 // numbers they are drawn from
		dense bool
	}{
		{"none", 0, 1000, false},
		{"sparse", 20, 100_000, false},
		{"one in 64", 16, 1024, false},
		{"just past one in 64", 17, 1024, true},
		{"dense", 700, 1000, true},
		{"every paper", 4096, 4096, true},
		{"word ends", 2, 128, false},
	} {
		seen := map[uint64]bool{}
		var nums []uint64
		if c.name == "word ends" {
			nums = []uint64{63, 127}
		}
		for len(nums) < c.n {
			if num := rng.Uint64N(c.span); !seen[num] {
				seen[num] = true
				nums = append(nums, num)
			}
		}
		if c.n == int(c.span) {
			nums = nums[:0]
			for i := range c.span {
				nums = append(nums, i)
			}
		}
		slices.Sort(nums)
		m := newMatchSet(slices.Clone(nums))
		if (m.bits != nil) != c.dense {
			t.Errorf("%s: held as a bitset %v, want %v", c.name, m.bits != nil, c.dense)
		}
		if m.n != uint64(len(nums)) {
			t.Errorf("%s: counts %d papers, want %d", c.name, m.n, len(nums))
		}
		// Marked into a set that holds papers already, it keeps them.
		set := newBitset(c.span + 64)
		set.set(c.span + 1)
		m.markIn(set)
		if got := set.appendTo(nil); !slices.Equal(got, append(slices.Clone(nums), c.span+1)) {
			t.Errorf("%s: marks %v, want %v and %d", c.name, got, nums, c.span+1)
		}
		// A searcher over it: Next, and Advance forward, backward (Bleve
		// never does) and past the end.
		s := &setSearcher{set: m}
		sc := &bsearch.SearchContext{DocumentMatchPool: bsearch.NewDocumentMatchPool(2, 0)}
		var walked []uint64
		for dm, _ := s.Next(sc); dm != nil; dm, _ = s.Next(sc) {
			walked = append(walked, dm.IndexInternalID.Value())
		}
		if !slices.Equal(walked, nums) && len(nums) > 0 {
			t.Errorf("%s: Next walks %v, want %v", c.name, walked, nums)
		}
		if s.Count() != uint64(len(nums)) {
			t.Errorf("%s: Count %d, want %d", c.name, s.Count(), len(nums))
		}
		for to := range c.span + 2 {
			s := &setSearcher{set: m, next: c.span / 4}
			dm, _ := s.Advance(sc, index.NewIndexInternalID(nil, to))
			from := max(to, c.span/4)
			i, _ := slices.BinarySearch(nums, from)
			switch {
			case i == len(nums) && dm != nil:
				t.Errorf("%s: Advance(%d) from %d = %d, want none", c.name, to, c.span/4, dm.IndexInternalID.Value())
			case i < len(nums) && (dm == nil || dm.IndexInternalID.Value() != nums[i]):
				t.Errorf("%s: Advance(%d) from %d = %v, want %d", c.name, to, c.span/4, dm, nums[i])
			}
		}
		// from, from every number: the next paper at or after it.
		k := 0
		for num := range c.span + 2 {
			for k < len(nums) && nums[k] < num {
				k++
			}
			got, ok := m.from(num)
			if want := k < len(nums); ok != want || ok && got != nums[k] {
				t.Fatalf("%s: from(%d) = %d, %v", c.name, num, got, ok)
			}
		}
	}
}

// A search past its deadline stops matching a phrase part-way, rather than
// reading the positions of every paper first.
func TestMatchPhraseStopsAtDeadline(t *testing.T) {
	x, err := Open(filepath.Join(t.TempDir(), "index"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	ps := make([]Paper, 10_000)
	for i := range ps {
		ps[i] = Paper{ID: fmt.Sprintf("p%d", i), Title: "alpha beta", Abstract: "gamma alpha beta delta"}
	}
	if err := x.Put(ps); err != nil {
		t.Fatal(err)
	}
	_, v := snapshotView(t, x, x.postings)
	p, _ := proseTerms(x.prose, "alpha beta")
	got, err := v.matchPhrase(context.Background(), fieldAbstract, p)
	if err != nil || len(got) != len(ps) {
		t.Fatalf("matched %d papers (%v), want %d", len(got), err, len(ps))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got, err := v.matchPhrase(ctx, fieldAbstract, p); err == nil {
		t.Errorf("after its deadline: matched %d papers and no error", len(got))
	}
}
