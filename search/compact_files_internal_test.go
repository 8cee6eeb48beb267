package search

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// indexOfSegments opens a new index at dir holding 200 demo papers in
// batches of 20: a segment each, until Bleve merges some.
func indexOfSegments(t *testing.T, dir string) *Index {
	t.Helper()
	x, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	papers := demoPapers(t)[:200]
	for i := 0; i < len(papers); i += 20 {
		if err := x.Put(papers[i : i+20]); err != nil {
			x.Close()
			t.Fatal(err)
		}
	}
	return x
}

// segmentFiles lists the segment files on disk of the index at dir.
func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(storePath(dir), "*.zap"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestCompactLeavesOnlyLiveFiles: once Compact returns, the segment files
// the merge replaced are gone from disk, where Bleve deletes them from its
// persister's loop, a moment later; a process that closed the index at
// once (papersearch compact) kept them, and reported their size.
func TestCompactLeavesOnlyLiveFiles(t *testing.T) {
	for round := range 5 {
		dir := filepath.Join(t.TempDir(), "index")
		x := indexOfSegments(t, dir)
		if _, err := x.Compact(context.Background()); err != nil {
			t.Fatal(err)
		}
		if files := segmentFiles(t, dir); len(files) != 1 {
			t.Errorf("round %d: after Compact, %d segment files on disk, want 1: %v", round, len(files), files)
		}
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCompactWhileSearched: a search holding the snapshot before the merge
// keeps its files; once it lets go, Compact's wait clears them, though
// letting go does not wake Bleve's clean-up (the wait writes to wake it).
func TestCompactWhileSearched(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	x := indexOfSegments(t, dir)
	defer x.Close()
	adv, err := x.bi.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	r, err := adv.Reader()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		r.Close()
	}()
	if _, err := x.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	if files := segmentFiles(t, dir); len(files) != 1 {
		t.Errorf("after Compact, %d segment files on disk, want 1: %v", len(files), files)
	}
}
