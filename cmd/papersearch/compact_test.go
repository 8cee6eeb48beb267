package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/papersearch/papersearch/search"
)

// compact merges an index loaded in several runs and leaves every search
// as it was; it refuses, saying what to do, an index serve holds or none.
func TestCompact(t *testing.T) {
	t.Parallel()
	dir := seededIndex(t)
	// More runs, more segments.
	for i := range 3 {
		var b strings.Builder
		for j := range 20 {
			fmt.Fprintf(&b, `{"id":"2505.%05d","title":"Compacted paper %d of run %d","abstract":"Quantized language models with pruning, batch %d."}`+"\n", i*100+j, j, i, i)
		}
		file := filepath.Join(t.TempDir(), "more.jsonl")
		if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if r := runCLI(t, "", nil, "index", "--index", dir, file); r.code != 0 {
			t.Fatalf("index run %d: exit %d, %v", i, r.code, r.err)
		}
	}
	queries := [][]string{{"quantization"}, {"--topic", "pruning", "models"}, {`"language models"`}, {"--sort", "newest"}}
	runSearches := func() []string {
		var out []string
		for _, q := range queries {
			r := runCLI(t, "", nil, append([]string{"search", "--index", dir, "--json", "--size", "50"}, q...)...)
			if r.code != 0 {
				t.Fatalf("search %q: exit %d, %v", q, r.code, r.err)
			}
			// Timings differ from run to run.
			out = append(out, regexp.MustCompile(`"took_ms":[0-9.]+`).ReplaceAllString(r.stdout, ""))
		}
		return out
	}
	before := runSearches()

	r := runCLI(t, "", nil, "compact", "--index", dir)
	if r.code != 0 || !regexp.MustCompile(`compacted 96 papers in .* in [0-9.]+s: [0-9.]+ MiB -> [0-9.]+ MiB\n$`).MatchString(r.stdout) {
		t.Fatalf("compact: exit %d, %v, stdout %q", r.code, r.err, r.stdout)
	}
	segs, err := filepath.Glob(filepath.Join(dir, "store", "*.zap"))
	if err != nil || len(segs) != 1 {
		t.Errorf("after compact the index has segments %v, want one", segs)
	}
	for i, got := range runSearches() {
		if got != before[i] {
			t.Errorf("search %q after compact:\n%s\nwant\n%s", queries[i], got, before[i])
		}
	}

	if r := runCLI(t, "", nil, "compact", "--index", filepath.Join(t.TempDir(), "none")); r.code != 2 || !strings.Contains(r.err.Error(), "no index at") {
		t.Errorf("compact of no index: exit %d, %v", r.code, r.err)
	}
	srv, _ := startServeProc(t, nil, "--index", dir)
	r = runCLI(t, "", nil, "compact", "--index", dir)
	if r.code != 2 || !errors.Is(r.err, search.ErrLocked) || !strings.Contains(r.err.Error(), "stop it, compact, and start it again") {
		t.Errorf("compact of a served index: exit %d, %v", r.code, r.err)
	}
	stopProc(t, srv)
}
