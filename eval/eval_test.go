package eval_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papersearch/papersearch/eval"
	"github.com/papersearch/papersearch/search"
)

func open(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestEndToEnd indexes the CACM fixture, runs its queries as a user's
// searches and scores them.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	queries, err := eval.ReadQueries(open(t, "queries.jsonl"), "queries.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	qrels, err := eval.ReadQrels(open(t, "qrels.tsv"), "qrels.tsv")
	if err != nil {
		t.Fatal(err)
	}
	idx, err := search.Open(filepath.Join(t.TempDir(), "index"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	n, err := eval.Build(ctx, idx, eval.ReadCorpus(open(t, "corpus.jsonl"), "corpus.jsonl"), func(err error) { t.Error(err) })
	if err != nil || n != 40 {
		t.Fatalf("Build = %d, %v; want 40 documents", n, err)
	}
	runs, err := eval.Run(ctx, idx, queries, func(q eval.Query, err error) { t.Errorf("query %s: %v", q.ID, err) })
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(queries))
	for i, q := range queries {
		ids[i] = q.ID
	}
	s := eval.Evaluate(runs, qrels, ids, 10)
	if s.Queries != 4 || s.Unjudged != 1 {
		t.Fatalf("evaluated %d queries, skipped %d; want 4 and 1", s.Queries, s.Unjudged)
	}
	// On 40 documents, 18 of them relevant, ranking should be good; the
	// floor catches a broken ranking, not a small change.
	if s.NDCG < 0.6 || s.MAP < 0.5 || s.Recall < 0.9 || s.MRR < 0.75 {
		t.Errorf("summary %+v is below the floor (nDCG 0.6, MAP 0.5, R@100 0.9, MRR 0.75)", s)
	}
	// BEIR ids are kept as written: every ranked id is a fixture id.
	var buf bytes.Buffer
	if err := eval.WriteRun(&buf, queries, runs, "t"); err != nil {
		t.Fatal(err)
	}
	corpus, _ := os.ReadFile(filepath.Join("testdata", "corpus.jsonl"))
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		f := strings.Fields(line)
		if len(f) != 6 || f[1] != "Q0" || f[5] != "t" {
			t.Fatalf("run line %q is not TREC run format", line)
		}
		if !bytes.Contains(corpus, []byte(`"_id": "`+f[2]+`"`)) {
			t.Fatalf("run line %q names a document not in the corpus", line)
		}
	}
}

func TestReaders(t *testing.T) {
	t.Run("TREC qrels and three-column queries", func(t *testing.T) {
		qrels, err := eval.ReadQrels(strings.NewReader("1 0 184 3\n1 0 29 -1\n2 0 12 1\n"), "q")
		if err != nil {
			t.Fatal(err)
		}
		if qrels["1"]["184"] != 3 || qrels["1"]["29"] != -1 || qrels["2"]["12"] != 1 {
			t.Errorf("qrels = %v", qrels)
		}
		qs, err := eval.ReadQueries(strings.NewReader("qid\toriginal_I\ttext\n1\t001\twhat similarity laws\n2\theat conduction\n"), "q")
		if err != nil {
			t.Fatal(err)
		}
		if len(qs) != 2 || qs[0].Text != "what similarity laws" || qs[1].ID != "2" {
			t.Errorf("queries = %+v", qs)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		if _, err := eval.ReadQrels(strings.NewReader("query-id\tcorpus-id\tscore\n1\t2\tx\n"), "q"); err == nil || !strings.Contains(err.Error(), "q:2:") {
			t.Errorf("bad grade: err = %v, want one naming q:2", err)
		}
		if _, err := eval.ReadQueries(strings.NewReader("{\"_id\": \"1\", \"text\": \"a\"}\n{\"_id\": \"1\", \"text\": \"b\"}\n"), "q"); err == nil {
			t.Error("a repeated query id was accepted")
		}
	})
	t.Run("BEIR ids verbatim, our papers through the indexer", func(t *testing.T) {
		var got []search.Paper
		for p, err := range eval.ReadCorpus(strings.NewReader(`{"_id": 4983, "title": "T", "text": "x"}`+"\n"+`{"_id": "hep-th/9901001v2", "title": "U", "text": "y"}`+"\n"), "c") {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, p)
		}
		if len(got) != 2 || got[0].ID != "4983" || got[1].ID != "hep-th/9901001v2" {
			t.Errorf("BEIR ids = %q, %q; want them verbatim", got[0].ID, got[1].ID)
		}
		for p, err := range eval.ReadCorpus(strings.NewReader(`{"id": "2402.18668v1", "title": "T", "abstract": "x"}`+"\n"), "c") {
			if err != nil || p.ID != "2402.18668" {
				t.Errorf("our paper: id %q, err %v; want the indexer's 2402.18668", p.ID, err)
			}
		}
	})
}
