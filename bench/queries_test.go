package bench

import (
	"fmt"
	"strings"
	"testing"

	"github.com/papersearch/papersearch/search"
)

// TestMixDrawsSearchableQueries: a corpus whose common words include stop
// words of the index that the mix's own list lacks ("cannot", "his") still
// gives a mix the server accepts: every query keeps a word the index keeps.
func TestMixDrawsSearchableQueries(t *testing.T) {
	x := newMixer()
	for i := range 100 {
		w := fmt.Sprintf("topicword%c", 'a'+i%20) // letters only, in 5 papers each
		p := search.Paper{Title: "Quantization of " + w, Abstract: w}
		if i%10 < 2 {
			// In a fifth of the papers, the most a word of the mix may be.
			p.Title, p.Abstract = "Cannot his her", "cannot his her"
		}
		if i%10 == 5 {
			p.Abstract += " quantization"
		}
		x.add(&p, []string{"quantization"})
	}
	mix, err := x.mix(1, 300)
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for _, q := range mix {
		if !searchable(q.Q) {
			t.Fatalf("query %q has nothing the index keeps", q.Q)
		}
		if strings.Contains(q.Q, "quantization") || strings.Contains(q.Q, "topicword") {
			kept++
		}
	}
	if kept != len(mix) {
		t.Errorf("%d of %d queries have a word the index keeps", kept, len(mix))
	}
	// Only stop words: no mix, and an error that says why.
	y := newMixer()
	y.add(&search.Paper{Title: "cannot his", Abstract: "cannot his her"}, nil)
	y.add(&search.Paper{Title: "cannot his", Abstract: "cannot his her"}, nil)
	if _, err := y.mix(1, 10); err == nil {
		t.Error("a corpus of stop words gave a mix")
	}
}

func TestIsStopWord(t *testing.T) {
	for w, want := range map[string]bool{"the": true, "cannot": true, "his": true, "quantization": false, "model": false} {
		if got := search.IsStopWord(w); got != want {
			t.Errorf("IsStopWord(%q) = %v, want %v", w, got, want)
		}
	}
}
