package main

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"maps"
)

func TestBenchJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	getenv := func(string) string { return "" }
	args := []string{"bench", "--corpus", "demo/arxiv-sample.jsonl.bz2", "--docs", "200", "--duration", "200ms", "--clients", "2", "--json"}
	if err := run(context.Background(), args, nil, &stdout, &stderr, getenv); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var got map[string]float64
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	want := []string{"build_seconds", "docs", "docs_per_sec", "failed", "index_bytes", "p50_ms", "p95_ms", "p99_ms", "peak_rss_bytes", "qps", "queries"}
	if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, want) {
		t.Errorf("keys %q, want %q", keys, want)
	}
	if got["docs"] != 200 || got["queries"] < 1 || got["failed"] != 0 {
		t.Errorf("report %v", got)
	}

	// --slowest adds the queries that took longest, slowest first, in JSON
	// and in text.
	stdout.Reset()
	args = append(args[:len(args)-1], "--slowest", "3", "--json")
	if err := run(context.Background(), args, nil, &stdout, &stderr, getenv); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var withSlowest struct {
		P99Ms   float64 `json:"p99_ms"`
		Slowest []struct {
			Q     string  `json:"q"`
			Topic string  `json:"topic"`
			Ms    float64 `json:"ms"`
		} `json:"slowest"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &withSlowest); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	sl := withSlowest.Slowest
	if len(sl) != 3 || sl[0].Q == "" || sl[0].Ms < withSlowest.P99Ms || sl[0].Ms < sl[1].Ms || sl[1].Ms < sl[2].Ms {
		t.Errorf("slowest %+v (p99 %.2f ms)", sl, withSlowest.P99Ms)
	}
	stdout.Reset()
	args = args[:len(args)-1]
	if err := run(context.Background(), args, nil, &stdout, &stderr, getenv); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if lines := strings.Split(strings.TrimSpace(stdout.String()), "\n"); len(lines) != 5 || !strings.Contains(lines[2], " ms  \"") {
		t.Errorf("text report with --slowest 3:\n%s", stdout.String())
	}
}

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench"},
		{"bench", "--corpus", "x", "--clients", "0"},
		{"bench", "--corpus", "x", "extra"},
		{"bench", "--corpus", "x", "--slowest", "-1"},
		{"bench", "--corpus", "x", "--facets", "authors"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, nil, &stdout, &stderr, func(string) string { return "" })
		if code := exitCode(err, &stderr); code != exitUsage {
			t.Errorf("%s: exit %d (%v), want %d", strings.Join(args, " "), code, err, exitUsage)
		}
	}
}

// A build's memory limit stays at bulkMemoryLimit while the live heap is
// small, and follows it up, never down, once it is not.
func TestBulkLimitFollowsLiveHeap(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live uint64
		want int64
	}{
		{0, bulkMemoryLimit},
		{100 * mib, bulkMemoryLimit},
		{bulkMemoryLimit / 5 * 2, bulkMemoryLimit},
		{200 * mib, 500 * mib},
		{1000 * mib, 2500 * mib},
	} {
		if got := bulkLimit(c.live); got != c.want {
			t.Errorf("live heap %d MiB: limit %d MiB, want %d MiB", c.live/mib, got/mib, c.want/mib)
		}
	}

	lives := []uint64{50 * mib, 120 * mib, 300 * mib, 150 * mib, 400 * mib}
	var set []int64
	done := make(chan struct{})
	var i int
	live := func() uint64 {
		if i == len(lives) {
			close(done)
		}
		if i >= len(lives) {
			i++
			return 0
		}
		i++
		return lives[i-1]
	}
	followLiveHeap(done, time.Millisecond, live, func(l int64) int64 { set = append(set, l); return 0 })
	if want := []int64{300 * mib, 750 * mib, 1000 * mib}; !slices.Equal(set, want) {
		t.Errorf("limits set %v, want %v", set, want)
	}
}

// A build runs at GOGC=200 under a memory limit; stopping it puts back what
// was there, so that bench's queries and anything after a load run as
// serve does. A GOGC or GOMEMLIMIT in the environment is left alone.
func TestBulkGCRestores(t *testing.T) {
	// Start from settings that are nobody's default, and leave the
	// process's own as they were.
	gc, limit := debug.SetGCPercent(150), debug.SetMemoryLimit(1<<30)
	t.Cleanup(func() { debug.SetGCPercent(gc); debug.SetMemoryLimit(limit) })
	for _, c := range []struct {
		name        string
		env         map[string]string
		during      int
		duringLimit int64
	}{
		{"defaults", nil, bulkGCPercent, bulkMemoryLimit},
		{"GOGC set", map[string]string{"GOGC": "150"}, 150, bulkMemoryLimit},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, bulkGCPercent, 1 << 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := &env{getenv: func(k string) string { return c.env[k] }}
			stop := e.bulkGC()
			gotGC := debug.SetGCPercent(bulkGCPercent)
			debug.SetGCPercent(gotGC)
			if gotGC != c.during {
				t.Errorf("GC percent during the build %d, want %d", gotGC, c.during)
			}
			if got := debug.SetMemoryLimit(-1); got != c.duringLimit {
				t.Errorf("memory limit during the build %d, want %d", got, c.duringLimit)
			}
			stop()
			stop()
			gotGC = debug.SetGCPercent(150)
			if gotGC != 150 {
				t.Errorf("GC percent after the build %d, want 150 as before", gotGC)
			}
			if got := debug.SetMemoryLimit(1 << 30); got != 1<<30 {
				t.Errorf("memory limit after the build %d, want 1 GiB as before", got)
			}
		})
	}
}
