package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalCommand runs `papersearch eval` end to end on the CACM fixture
// of package eval.
func TestEvalCommand(t *testing.T) {
	dir := filepath.Join("..", "..", "eval", "testdata")
	run1 := filepath.Join(t.TempDir(), "run.txt")
	args := []string{"eval", "--corpus", filepath.Join(dir, "corpus.jsonl"), "--queries", filepath.Join(dir, "queries.jsonl"),
		"--qrels", filepath.Join(dir, "qrels.tsv")}
	getenv := func(string) string { return "" }

	var out, errb bytes.Buffer
	if err := run(context.Background(), append(args, "--json", "--run", run1), nil, &out, &errb, getenv); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, errb.String())
	}
	var got map[string]float64
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("eval --json printed %q: %v", out.String(), err)
	}
	for _, k := range []string{"queries", "ndcg@10", "map", "recall@100", "mrr@10"} {
		if _, ok := got[k]; !ok {
			t.Errorf("eval --json lacks %q: %s", k, out.String())
		}
	}
	if got["queries"] != 4 {
		t.Errorf("queries = %v, want 4 (query 5 has no judgments)", got["queries"])
	}
	if !strings.HasPrefix(out.String(), `{"queries": 4, "ndcg@10": `) {
		t.Errorf("keys out of the documented order: %s", out.String())
	}
	b, err := os.ReadFile(run1)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(b), "\n"); lines < 40 {
		t.Errorf("run file has %d lines, want a ranking per query", lines)
	}

	out.Reset()
	if err := run(context.Background(), append(args, "--k", "5"), nil, &out, &errb, getenv); err != nil {
		t.Fatalf("eval: %v", err)
	}
	for _, want := range []string{"40 documents, 5 queries: 4 evaluated, 1 skipped without relevant judgments", "nDCG@5", "MAP", "Recall@100", "MRR@5"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("eval output lacks %q:\n%s", want, out.String())
		}
	}

	for _, bad := range [][]string{{"eval"}, {"eval", "--corpus", "x", "--queries", "y"}, append(args[:len(args):len(args)], "--k", "0")} {
		err := run(context.Background(), bad, nil, &out, &errb, getenv)
		if _, ok := err.(usageError); !ok {
			t.Errorf("run %q: err = %v, want a usage error", bad, err)
		}
	}
}
