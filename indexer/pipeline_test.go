package indexer

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// With several batches in flight, a paper that comes back in a later batch
// must still merge with what the earlier batch stored.
func TestConcurrentWritesMergeInOrder(t *testing.T) {
	idx := openIndex(t)
	ix := New(idx, DefaultTaxonomy(), nil)
	ix.BatchSize, ix.Writers = 1, 4
	commits := 0
	ix.OnCommit = func(Stats) { commits++ }
	var in strings.Builder
	for i := range 20 {
		fmt.Fprintf(&in, `{"id": "2401.%05d", "title": "Paper %d", "abstract": "Short."}`+"\n", i, i)
		// Paper 0 again, with more to merge each time.
		fmt.Fprintf(&in, `{"id": "2401.00000", "title": "Paper 0", "abstract": "Short.", "categories": ["cs.%c"], "upvotes": %d}`+"\n", 'A'+i, i)
	}
	ctx := context.Background()
	if err := ix.IndexReader(ctx, strings.NewReader(in.String()), "s", ""); err != nil {
		t.Fatal(err)
	}
	if err := ix.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	s := ix.Stats()
	if s.Read != 40 || s.Added != 20 || s.Updated != 20 || commits != 40 {
		t.Errorf("stats %v after %d commits; want 40 read, 20 added, 20 updated, 40 commits", s, commits)
	}
	p, err := idx.Get(ctx, "2401.00000")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Categories) != 20 || p.Upvotes != 19 {
		t.Errorf("paper 0 has categories %q and %d upvotes; want all 20 merged and 19", p.Categories, p.Upvotes)
	}
}
