package search_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/papersearch/papersearch/search"
)

// Batches written at once may be applied in any order; the generation that
// survives a reopen must still be the last one handed out.
func TestConcurrentPutsKeepGeneration(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	idx, err := search.Open(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 5 {
				p := search.Paper{ID: fmt.Sprintf("2401.%05d", w*100+i), Title: fmt.Sprintf("Paper %d of writer %d", i, w)}
				if err := idx.Put([]search.Paper{p}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	gen := idx.Generation()
	if gen != 20 {
		t.Errorf("Generation() after 20 puts = %d, want 20", gen)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	idx, err = search.Open(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if g := idx.Generation(); g != gen {
		t.Errorf("Generation() after reopen = %d, want %d", g, gen)
	}
	if n, _ := idx.Count(); n != 20 {
		t.Errorf("Count() = %d, want 20", n)
	}
}
