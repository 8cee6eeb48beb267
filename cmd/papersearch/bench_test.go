package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

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
}

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench"},
		{"bench", "--corpus", "x", "--clients", "0"},
		{"bench", "--corpus", "x", "extra"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, nil, &stdout, &stderr, func(string) string { return "" })
		if code := exitCode(err, &stderr); code != exitUsage {
			t.Errorf("%s: exit %d (%v), want %d", strings.Join(args, " "), code, err, exitUsage)
		}
	}
}
