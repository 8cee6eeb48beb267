package search_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/papersearch/papersearch/search"
)

func bulkPapers(from, n int) []search.Paper {
	ps := make([]search.Paper, n)
	for i := range ps {
		ps[i] = search.Paper{ID: fmt.Sprintf("bulk-%04d", from+i), Title: "sparse attention kernels", Abstract: fmt.Sprintf("paper %d on sparse attention", from+i)}
	}
	return ps
}

func TestBulkLoad(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "index")
	x, err := search.OpenBulk(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if !x.Bulk() {
		t.Fatal("OpenBulk made an index that is not a bulk load")
	}
	// Batches commit side by side.
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for b := range 5 {
				if err := x.Put(bulkPapers(w*1000+b*50, 50)); err != nil {
					t.Errorf("Put: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); err == nil {
		t.Error("the index is in place before the load ends")
	}
	if err := x.FinishBulk(true); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(parent, ".index.loading-*")); len(left) > 0 {
		t.Errorf("a finished load left %v", left)
	}
	// The load ends compacted: twenty batches, one segment, written with
	// the locations codec.
	y, err := search.Open(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	y.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "store", "*.zap"))
	if len(segs) != 1 {
		t.Errorf("the loaded index has segments %v, want one", segs)
	} else if b, err := os.ReadFile(segs[0]); err != nil || !bytes.Contains(b, []byte("papersearch-locs-1")) {
		t.Errorf("the loaded index's segment was not written with the locations codec (%v)", err)
	}
	y, err = search.Open(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if n, err := y.Count(); err != nil || n != 1000 {
		t.Errorf("after the load: %d papers, %v; want 1000", n, err)
	}
	res, err := y.Search(context.Background(), search.Request{Query: "sparse attention"})
	if err != nil || res.Total != 1000 {
		t.Errorf("search after the load: %d hits, %v", res.Total, err)
	}
	if _, err := search.OpenBulk(dir, testLogger(t)); err == nil || !strings.Contains(err.Error(), "holds an index already") {
		t.Errorf("OpenBulk over an index: %v", err)
	}
}

func TestBulkLoadAbandoned(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "index")
	x, err := search.OpenBulk(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Put(bulkPapers(0, 10)); err != nil {
		t.Fatal(err)
	}
	if err := x.FinishBulk(false); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("an abandoned load left %v", entries)
	}

	// What a crashed load leaves (its owner gone) goes with the next load.
	left := filepath.Join(parent, ".index.loading-123")
	if err := os.MkdirAll(filepath.Join(left, "index"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(left, "index", "papersearch.pid"), []byte(`{"pid":999999999}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// So does a failed load that a crash stopped while it was being
	// removed: renamed, its owner record maybe gone already.
	discarded := filepath.Join(parent, ".index.loading-456.discarded")
	if err := os.MkdirAll(filepath.Join(discarded, "index", "store"), 0o755); err != nil {
		t.Fatal(err)
	}
	y, err := search.OpenBulk(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer y.FinishBulk(false)
	for _, d := range []string{left, discarded} {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("the leftover %s of a crashed load is still there: %v", d, err)
		}
	}
}

func TestBulkLoadRefusesNonEmptyTarget(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := search.OpenBulk(dir, testLogger(t)); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("OpenBulk into a directory of other files: %v", err)
	}
}
