package search

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/papersearch/papersearch/internal/smalldisk"
)

// A write that fails because the disk is full leaves the index usable:
// Bleve (v2.6.3) would crash the next read of the failed batch's segment,
// so the index reopens itself from disk, without that batch. Searches run
// throughout. The disk is a small tmpfs, which needs root.
func TestFailedWriteReopensIndex(t *testing.T) {
	mnt := smalldisk.Mount(t, "2m", "TestWriteErrorInjected covers write errors")
	x, err := Open(filepath.Join(mnt, "index"), slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()

	// Searches and look-ups run all along, as a server's would.
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if _, err := x.Search(ctx, Request{Query: "word5 word17"}); err != nil && ctx.Err() == nil {
					t.Errorf("search during writes: %v", err)
				}
				if _, err := x.Lookup(ctx, []string{"p0-1", "p3-2"}); err != nil && ctx.Err() == nil {
					t.Errorf("lookup during writes: %v", err)
				}
			}
		})
	}
	acked := 0
	var perr error
	for i := 0; i < 1000 && perr == nil; i++ {
		var ps []Paper
		for j := range 20 {
			ps = append(ps, Paper{ID: fmt.Sprintf("p%d-%d", i, j), Title: fmt.Sprint("title ", i, j), Abstract: strings.Repeat(fmt.Sprintf("word%d ", i*100+j), 300)})
		}
		if perr = x.Put(ps); perr == nil {
			acked += len(ps)
		}
	}
	stop()
	wg.Wait()
	if perr == nil || !strings.Contains(perr.Error(), "no space left on device") {
		t.Fatalf("Put on a full disk: %v", perr)
	}
	// Every acknowledged paper is there. The failed batch is not
	// acknowledged, and is in the index wholly or not at all: Bleve's
	// merger may have written it to disk inside a merged segment before
	// the batch's own persist failed.
	n, err := x.Count()
	if err != nil || n != uint64(acked) && n != uint64(acked+20) {
		t.Errorf("after the failed write: %d papers, %v; want the %d acknowledged, or those and the failed batch of 20", n, err, acked)
	}
	if res, err := x.Search(context.Background(), Request{Query: "word5"}); err != nil || res.Total != 1 {
		t.Errorf("search after the failed write: %d hits, %v", res.Total, err)
	}
	if h := x.Health(); !h.Degraded || !strings.Contains(h.LastError, "no space left on device") {
		t.Errorf("Health after the failed write: %+v", h)
	}
	t.Logf("disk full after %d papers: %v", acked, perr)
}

// Compact on a full disk fails with the disk's error and leaves the index
// usable: the paper it writes again to recode a lone segment goes through
// commit, which reopens the index after a failed write (Bleve would crash
// the next search on the failed segment).
func TestCompactOnFullDisk(t *testing.T) {
	mnt := smalldisk.Mount(t, "8m", "Compact on a full disk is tested only with root (CI runs as root)")
	x, err := Open(filepath.Join(mnt, "index"), slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	papers := demoPapers(t)[:300]
	if err := x.Put(papers); err != nil {
		t.Fatal(err)
	}
	smalldisk.Fill(t, filepath.Join(mnt, "filler"))
	if _, err := x.Compact(context.Background()); err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("Compact on a full disk: %v", err)
	}
	for range 3 {
		res, err := x.Search(context.Background(), Request{Query: "language models"})
		if err != nil || res.Total == 0 {
			t.Fatalf("search after the failed compaction: %d hits, %v", res.Total, err)
		}
	}
	if n, err := x.Count(); err != nil || n != uint64(len(papers)) {
		t.Errorf("after the failed compaction: %d papers, %v; want %d", n, err, len(papers))
	}
}
