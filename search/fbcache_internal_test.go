package search

import (
	"fmt"
	"reflect"
	"runtime"
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
	// Filling a generation and a half keeps the papers used since the
	// last turn, and a paper of the old generation that is used again;
	// the cache never holds more than two generations.
	text := func(i int) string { return fmt.Sprintf("word%d other%d", i, i%7) }
	for i := range fbTextCacheGen + fbTextCacheGen/2 {
		c.dist(prose, text(i))
		if i == fbTextCacheGen+10 {
			c.dist(prose, text(3)) // from old, back into cur
		}
	}
	for _, i := range []int{3, fbTextCacheGen - 1, fbTextCacheGen + 100} {
		if c.get(fbTextKey(text(i))) == nil {
			t.Errorf("paper %d was dropped", i)
		}
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
