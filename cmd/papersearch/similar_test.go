package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestSimilarAndQueryFlags(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	getenv := func(string) string { return "" }
	var out, errb bytes.Buffer
	fixture := filepath.Join("..", "..", "search", "testdata", "papers.jsonl")
	if err := run(context.Background(), []string{"index", "--index", dir, fixture}, nil, &out, &errb, getenv); err != nil {
		t.Fatalf("index: %v\n%s", err, errb.String())
	}

	out.Reset()
	// The id as cited, with its prefix and version: the answer names the
	// paper by its id in the index, as the API does.
	if err := run(context.Background(), []string{"similar", "--index", dir, "--json", "--size", "3", "arXiv:2506.11093v2"}, nil, &out, &errb, getenv); err != nil {
		t.Fatalf("similar: %v\n%s", err, errb.String())
	}
	var sim struct {
		ID   string `json:"id"`
		Hits []struct {
			ID string `json:"id"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(out.Bytes(), &sim); err != nil || sim.ID != "2506.11093" || len(sim.Hits) == 0 || len(sim.Hits) > 3 {
		t.Errorf("similar --json = %s (err %v)", out.String(), err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"similar", "--index", dir, "2506.11093"}, nil, &out, &errb, getenv); err != nil || !strings.HasPrefix(out.String(), "10 papers like 2506.11093") {
		t.Errorf("similar: %q, %v", out.String(), err)
	}
	if err := run(context.Background(), []string{"similar", "--index", dir}, nil, &out, &errb, getenv); err == nil {
		t.Error("similar without an id succeeded")
	}

	out.Reset()
	if err := run(context.Background(), []string{"search", "--index", dir, "quantizaton", "LLM"}, nil, &out, &errb, getenv); err != nil {
		t.Fatalf("search: %v", err)
	}
	for _, want := range []string{`Showing results for "quantization LLM"`, `for "LLM"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("search output lacks %q:\n%.500s", want, out.String())
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"search", "--index", dir, "--json", "--expand=false", "--correct=false", "--explain", "kv cache"}, nil, &out, &errb, getenv); err != nil {
		t.Fatalf("search --json: %v", err)
	}
	if s := out.String(); strings.Contains(s, `"expansions"`) || !strings.Contains(s, `"explanation"`) {
		t.Errorf("search --json --expand=false --explain: %.400s", s)
	}
}
