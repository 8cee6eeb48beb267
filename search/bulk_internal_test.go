package search

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/index/scorch"
)

// A load past rawMergesUpTo turns the codec on for its merges and ends by
// merging only its small last segments; every paper is there after it.
func TestBigBulkLoadMergesItsTail(t *testing.T) {
	defer func(raw, tail int64) { rawMergesUpTo, tailSegmentDocs = raw, tail }(rawMergesUpTo, tailSegmentDocs)
	rawMergesUpTo, tailSegmentDocs = 300, 200

	var logs bytes.Buffer
	dir := filepath.Join(t.TempDir(), "index")
	x, err := OpenBulk(dir, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	papers := demoPapers(t)[:1000]
	for i := 0; i < len(papers); i += 50 {
		if err := x.Put(papers[i : i+50]); err != nil {
			t.Fatal(err)
		}
	}
	if rawMerging(storePath(x.path)) {
		t.Error("the load still merges without the codec past rawMergesUpTo")
	}
	if err := x.FinishBulk(true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `msg="bulk load compacted"`) || !strings.Contains(logs.String(), "segments_up_to=200") {
		t.Errorf("the load did not end by merging its tail:\n%s", logs.String())
	}
	y, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if n, err := y.Count(); err != nil || n != 1000 {
		t.Errorf("after the load: %d papers, %v; want 1000", n, err)
	}
	res, err := y.Search(context.Background(), Request{Query: `"language models"`, Size: 5})
	if err != nil || res.Total == 0 {
		t.Errorf("phrase search after the load: %d hits, %v", res.Total, err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "store", "*.zap"))
	coded := 0
	for _, s := range segs {
		if b, err := os.ReadFile(s); err == nil && bytes.Contains(b, []byte(codecID)) {
			coded++
		}
	}
	if coded == 0 {
		t.Errorf("none of the %d segments was written with the codec", len(segs))
	}
	t.Logf("%d segments, %d with the codec", len(segs), coded)
}

// A bulk load merges wider than an open index (see bulkMergePlan), and
// only the load does.
func TestBulkMergePlan(t *testing.T) {
	dir := t.TempDir()
	bulk, err := OpenBulk(filepath.Join(dir, "bulk"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bulk.FinishBulk(false)
	x, err := Open(filepath.Join(dir, "open"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for _, c := range []struct {
		name string
		x    *Index
		want any
	}{{"bulk load", bulk, 30}, {"open index", x, nil}} {
		if got := c.x.merges["SegmentsPerMergeTask"]; got != c.want {
			t.Errorf("%s merges %v segments at once, want %v", c.name, got, c.want)
		}
		if got := c.x.merges["MaxSegmentSize"]; got != maxSegmentDocs {
			t.Errorf("%s caps segments at %v papers, want %d", c.name, got, maxSegmentDocs)
		}
	}
}

// forceMerge writes one merged segment per plan, so that Bleve lets go of
// each round's segments before the next round reads its own.
func TestForceMergeOneSegmentAtATime(t *testing.T) {
	x, err := open(filepath.Join(t.TempDir(), "index"), nil, neverMerge())
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	papers := demoPapers(t)[:600]
	for i := 0; i < len(papers); i += 50 {
		if err := x.Put(papers[i : i+50]); err != nil {
			t.Fatal(err)
		}
	}
	segments := func() int {
		t.Helper()
		r, err := x.reader()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		return len(r.(*scorch.IndexSnapshot).Segments())
	}
	if n := segments(); n != 12 {
		t.Fatalf("%d segments before the merge; the test needs 12", n)
	}
	// Segments of 50 papers, merged into segments of under 200: 4 of 150.
	if err := x.forceMerge(context.Background(), 200); err != nil {
		t.Fatal(err)
	}
	if n := segments(); n != 4 {
		t.Errorf("%d segments after the merge, want 4", n)
	}
	adv, err := x.bi.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	stats := adv.(*scorch.Scorch).StatsMap()
	plans, tasks := stats["TotFileMergePlanOk"], stats["TotFileMergePlanTasks"]
	if plans != uint64(4) || tasks != uint64(4) {
		t.Errorf("%v merge plans with %v tasks, want 4 plans of one task each", plans, tasks)
	}
	if n, err := x.Count(); err != nil || n != 600 {
		t.Errorf("after the merge: %d papers, %v; want 600", n, err)
	}
}
