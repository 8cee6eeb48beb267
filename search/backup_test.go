package search_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/papersearch/papersearch/search"
)

// A backup of an index opens on its own and answers every query as the
// original does.
func TestBackupAnswersTheSameQueries(t *testing.T) {
	idx := openCorpus(t)
	topics := []search.Topic{{Slug: "pruning", Label: "Pruning"}}
	if err := idx.SetTopics(topics); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "backups", "b1")
	if err := idx.Backup(dst); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	cp, err := search.OpenReadOnly(dst, testLogger(t))
	if err != nil {
		t.Fatalf("OpenReadOnly(backup): %v", err)
	}
	defer cp.Close()
	if a, b := idx.Generation(), cp.Generation(); a != b {
		t.Errorf("backup generation %d, original %d", b, a)
	}
	if got, _ := cp.Topics(); !reflect.DeepEqual(got, topics) {
		t.Errorf("backup topics %+v, want %+v", got, topics)
	}
	ctx := context.Background()
	for _, req := range []search.Request{
		{},
		{Query: "pruning"},
		{Query: "quantization", Topics: []string{"quantization"}, Sort: search.SortUpvotes},
		{Query: "large language models", YearFrom: 2023, Size: 3, Page: 2},
	} {
		want, err := idx.Search(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := cp.Search(ctx, req)
		if err != nil {
			t.Fatalf("search the backup for %+v: %v", req, err)
		}
		want.Took, got.Took = 0, 0
		if !reflect.DeepEqual(got, want) {
			t.Errorf("backup answers %+v with\n%+v\nthe original with\n%+v", req, got, want)
		}
	}
	// The copy is an index of its own: writes to it are refused (it is
	// open read-only), and writes to the original do not reach it.
	if err := cp.Put(corpus()[:1]); err == nil {
		t.Error("Put on a read-only index succeeded")
	}
	if err := idx.Backup(dst); err == nil {
		t.Error("Backup over an existing directory succeeded")
	}
}

// A backup taken while writes go on holds whole batches only: each batch
// below adds ten papers, so a consistent copy has a multiple of ten more
// than the corpus.
func TestBackupDuringWrites(t *testing.T) {
	idx := openCorpus(t)
	base := uint64(len(corpus()))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for b := 0; ctx.Err() == nil && b < 200; b++ {
			batch := make([]search.Paper, 10)
			for i := range batch {
				batch[i] = search.Paper{ID: fmt.Sprintf("batch-%d-%d", b, i), Title: "Paper in a batch", Published: "2024-01-01"}
			}
			if err := idx.Put(batch); err != nil {
				t.Errorf("Put: %v", err)
				return
			}
		}
	})
	var counts []uint64
	for i := range 3 {
		dst := filepath.Join(t.TempDir(), fmt.Sprint("b", i))
		if err := idx.Backup(dst); err != nil {
			t.Fatalf("Backup %d: %v", i, err)
		}
		cp, err := search.OpenReadOnly(dst, testLogger(t))
		if err != nil {
			t.Fatalf("open backup %d: %v", i, err)
		}
		n, err := cp.Count()
		cp.Close()
		if err != nil {
			t.Fatal(err)
		}
		if n < base || (n-base)%10 != 0 {
			t.Errorf("backup %d has %d papers: not the corpus (%d) plus whole batches of 10", i, n, base)
		}
		counts = append(counts, n)
	}
	cancel()
	wg.Wait()
	t.Logf("papers in the backups: %v", counts)
}

func TestOpenReadOnlyOfMissingIndex(t *testing.T) {
	_, err := search.OpenReadOnly(filepath.Join(t.TempDir(), "none"), nil)
	if err == nil {
		t.Fatal("OpenReadOnly of nothing succeeded")
	}
	if errors.Is(err, search.ErrLocked) {
		t.Errorf("OpenReadOnly of nothing: %v; not a lock problem", err)
	}
}
