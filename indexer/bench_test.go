package indexer

import (
	"bytes"
	"compress/bzip2"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/papersearch/papersearch/search"
)

// The hot paths of a build, on the demo corpus (2,600 real arXiv papers):
//
//	go test ./indexer -run '^$' -bench . -benchmem

func demoCorpus(b testing.TB) []byte {
	b.Helper()
	f, err := os.Open("../cmd/papersearch/demo/arxiv-sample.jsonl.bz2")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	raw, err := io.ReadAll(bzip2.NewReader(f))
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// fixtureFiles returns the contents of the fixtures that match pattern,
// and of testdata/papers.jsonl.
func fixtureFiles(t testing.TB, pattern string) [][]byte {
	t.Helper()
	names, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, name := range append(names, "testdata/papers.jsonl") {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func demoPapers(b testing.TB) []search.Paper {
	b.Helper()
	var out []search.Paper
	for p, err := range ParseJSON(bytes.NewReader(demoCorpus(b)), "demo") {
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func BenchmarkParseDemo(b *testing.B) {
	raw := demoCorpus(b)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		n := 0
		for _, err := range ParseJSON(bytes.NewReader(raw), "demo") {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n == 0 {
			b.Fatal("no papers")
		}
	}
	b.ReportMetric(float64(b.N*2600)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkTagDemo(b *testing.B) {
	papers := demoPapers(b)
	tax := DefaultTaxonomy()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		p := &papers[i%len(papers)]
		tax.Tag(p.Title, p.Abstract)
		i++
	}
}

// BenchmarkIndexBatch indexes one batch of DefaultBatchSize papers into a
// fresh index per iteration, committed durably.
func BenchmarkIndexBatch(b *testing.B) {
	papers := demoPapers(b)[:DefaultBatchSize]
	tax := DefaultTaxonomy()
	for b.Loop() {
		b.StopTimer()
		idx, err := search.Open(b.TempDir()+"/idx", nil)
		if err != nil {
			b.Fatal(err)
		}
		ix := New(idx, tax, nil)
		b.StartTimer()
		for _, p := range papers {
			if err := ix.Add(context.Background(), p); err != nil {
				b.Fatal(err)
			}
		}
		if err := ix.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		idx.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(papers)*b.N)/b.Elapsed().Seconds(), "papers/s")
}
