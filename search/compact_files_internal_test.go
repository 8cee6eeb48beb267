package search

import (
	"context"
	"path/filepath"
	"testing"
)

// TestCompactLeavesOnlyLiveFiles: once Compact returns, the segment files
// the merge replaced are gone from disk, where Bleve deletes them from its
// persister's loop, a moment later; a process that closed the index at
// once (papersearch compact) kept them, and reported their size.
func TestCompactLeavesOnlyLiveFiles(t *testing.T) {
	papers := demoPapers(t)[:200]
	for round := range 5 {
		dir := filepath.Join(t.TempDir(), "index")
		x, err := Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(papers); i += 20 {
			if err := x.Put(papers[i : i+20]); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := x.Compact(context.Background()); err != nil {
			t.Fatal(err)
		}
		files, err := filepath.Glob(filepath.Join(storePath(dir), "*.zap"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 1 {
			t.Errorf("round %d: after Compact, %d segment files on disk, want 1: %v", round, len(files), files)
		}
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
