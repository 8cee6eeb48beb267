package search

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
)

// Feedback terms come out the same from the cache of analysed papers as
// from analysing them, and the second search's papers come from the cache.
func TestFeedbackTextCache(t *testing.T) {
	prose := openProse(t)
	papers := demoPapers(t)[:50]
	var tops []fbPaper
	for i, p := range papers[:3] {
		tops = append(tops, fbPaper{text: p.Title + "\n" + p.Abstract, score: float64(3 - i)})
	}
	rk := defaultRanking()
	want := feedbackTerms(rk, prose, nil, tops)
	if len(want) == 0 {
		t.Fatal("no feedback terms")
	}
	var c fbTextCache
	for round := range 2 {
		if got := feedbackTerms(rk, prose, &c, tops); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: feedback terms with the cache\n%v\nwant\n%v", round, got, want)
		}
	}
	if d := c.dist(prose, tops[0].text); d != c.get(fbTextKey(tops[0].text)) {
		t.Error("an analysed paper was analysed again")
	}
	// A paper used again moves to the newer generation and outlives the
	// older one; a paper not used again goes with its generation.
	text := func(i int) string { return fmt.Sprintf("word%d other%d", i, i%7) }
	var c2 fbTextCache
	for i := range fbTextCacheGen + 10 { // a full generation, then a turn
		c2.dist(prose, text(i))
	}
	c2.dist(prose, text(3))                                      // from the older generation
	for i := fbTextCacheGen + 10; i < 2*fbTextCacheGen+10; i++ { // another turn
		c2.dist(prose, text(i))
	}
	if c2.get(fbTextKey(text(3))) == nil {
		t.Error("a paper used again went with its old generation")
	}
	if c2.get(fbTextKey(text(5))) != nil {
		t.Error("a paper of a generation two turns old is still there")
	}
	if c2.get(fbTextKey(text(2*fbTextCacheGen))) == nil {
		t.Error("a paper of the newest generation was dropped")
	}
	for i := range 3 * fbTextCacheGen {
		c.dist(prose, text(i))
	}
	if n := c.len(); n > 2*fbTextCacheGen || n < fbTextCacheGen {
		t.Errorf("cache holds %d papers, want between %d and %d", n, fbTextCacheGen, 2*fbTextCacheGen)
	}
}

// A full cache holds 2*fbTextCacheGen papers at about 2 KB each: 16 MB.
func TestFeedbackTextCacheSize(t *testing.T) {
	prose := openProse(t)
	papers := demoPapers(t)
	var c fbTextCache
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, p := range papers[:2000] {
		c.dist(prose, p.Title+"\n"+p.Abstract)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(&c)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / 2000
	t.Logf("%d bytes per paper", per)
	if per > 4<<10 {
		t.Errorf("the cache takes %d bytes per paper, want under 4 KiB", per)
	}
}

func openProse(t *testing.T) analysis.Analyzer {
	t.Helper()
	x, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x.prose
}

// keepBest keeps the k best terms, in the order a full sort gives them:
// heaviest first, ties by term.
func TestKeepBest(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for _, c := range []struct{ n, k, weights int }{
		{0, 10, 5}, {5, 10, 5}, {10, 10, 3}, {300, 10, 1000}, {300, 10, 4}, {50, 1, 2}, {20, 0, 3},
	} {
		var all, best []weightedTerm
		for i := range c.n {
			wt := weightedTerm{term: fmt.Sprintf("t%03d", rng.IntN(1000)) + fmt.Sprint(i), w: float64(rng.IntN(c.weights)) / 7}
			all = append(all, wt)
			best = keepBest(best, wt, c.k)
		}
		slices.SortFunc(all, func(a, b weightedTerm) int {
			if c := cmp.Compare(b.w, a.w); c != 0 {
				return c
			}
			return cmp.Compare(a.term, b.term)
		})
		want := all[:min(len(all), c.k)]
		if !slices.Equal(best, want) && !(len(best) == 0 && len(want) == 0) {
			t.Errorf("%d terms, k %d: kept %v, want %v", c.n, c.k, best, want)
		}
	}
}
