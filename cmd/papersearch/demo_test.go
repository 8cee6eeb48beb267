package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// With no index yet, a command builds one from the demo corpus embedded in
// the binary: the 33 seed papers and 2600 arXiv papers, all accepted.
func TestDemoIndex(t *testing.T) {
	t.Parallel() // building the demo takes a second or two
	dir := filepath.Join(t.TempDir(), "fresh", "index")

	// A mistyped --index is an error, not a demo index at the typo.
	r := runCLI(t, "", nil, "search", "--index", dir, "--json", "pruning")
	if r.code != 2 || r.err == nil || !strings.Contains(r.err.Error(), "no index at "+dir) {
		t.Errorf("search --index with no index there: exit %d, %v", r.code, r.err)
	}
	if indexExists(dir) {
		t.Fatalf("search --index made an index at %s", dir)
	}

	// The default index (here from PAPERSEARCH_INDEX) is built.
	env := testEnv(t)
	env["PAPERSEARCH_INDEX"] = dir
	r = runCLI(t, "", env, "search", "--json", "--size", "1", "Just read twice: closing the recall gap")
	if r.code != 0 {
		t.Fatalf("search on a fresh machine: exit %d, %v", r.code, r.err)
	}
	if !strings.Contains(r.stderr, "building one from the built-in demo corpus") || !strings.Contains(r.stderr, "demo index ready") {
		t.Errorf("stderr does not say the demo index was built:\n%s", r.stderr)
	}
	var res struct {
		Hits []struct {
			Title string `json:"title"`
		} `json:"hits"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res.Hits) != 1 {
		t.Fatalf("search output: %v, %.300s", err, r.stdout)
	}
	if want := "Just read twice: closing the recall gap for recurrent language models"; res.Hits[0].Title != want {
		t.Errorf("best hit %q, want the seed paper %q", res.Hits[0].Title, want)
	}

	// The second command reuses it.
	r = runCLI(t, "", nil, "topics", "--index", dir, "--json")
	if r.code != 0 {
		t.Fatalf("topics: exit %d, %v", r.code, r.err)
	}
	if strings.Contains(r.stderr, "demo") {
		t.Errorf("the demo index was built again:\n%s", r.stderr)
	}
	var topics struct {
		Topics []struct {
			Slug  string `json:"slug"`
			Count int    `json:"count"`
		} `json:"topics"`
		Papers int `json:"papers"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &topics); err != nil {
		t.Fatal(err)
	}
	if topics.Papers != 2633 {
		t.Errorf("demo index holds %d papers, want 2633 (33 seed + 2600 arXiv)", topics.Papers)
	}
	// The built-in taxonomy, recorded in the index, with every required
	// slug and enough papers under each to make the facets useful.
	counts := map[string]int{}
	for _, tp := range topics.Topics {
		counts[tp.Slug] = tp.Count
	}
	if n := len(topics.Topics); n < 20 || n > 40 {
		t.Errorf("%d topics, want 20 to 40", n)
	}
	for _, slug := range []string{"quantization", "pruning", "perplexity", "distillation", "scaling-laws", "tokenization",
		"multimodal", "long-context", "retrieval-augmented", "efficient-architectures"} {
		if counts[slug] == 0 {
			t.Errorf("topic %s: %d papers in the demo index", slug, counts[slug])
		}
	}
}
