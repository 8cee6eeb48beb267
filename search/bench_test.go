package search_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/papersearch/papersearch/api"
	"github.com/papersearch/papersearch/indexer"
	"github.com/papersearch/papersearch/search"
)

// One query as GET /api/search runs it, with facets and highlighting, on an
// index of the demo corpus (2,600 real arXiv papers):
//
//	go test ./search -run '^$' -bench . -benchmem

func demoIndex(b *testing.B) *search.Index {
	b.Helper()
	idx, err := search.Open(b.TempDir()+"/idx", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { idx.Close() })
	rc, err := indexer.OpenSource("../cmd/papersearch/demo/arxiv-sample.jsonl.bz2", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer rc.Close()
	ix := indexer.New(idx, indexer.DefaultTaxonomy(), nil)
	if err := ix.IndexReader(context.Background(), rc, "demo", ""); err != nil {
		b.Fatal(err)
	}
	if err := ix.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	return idx
}

func BenchmarkSearch(b *testing.B) {
	idx := demoIndex(b)
	for _, c := range []struct{ name, query string }{
		{"one-word", "q=diffusion"},
		{"three-words", "q=large+language+models"},
		{"topic-filter", "q=attention&topic=efficient-architectures"},
		{"no-query", ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			v, err := parseQuery(c.query)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				req, err := api.ParseSearch(v)
				if err != nil {
					b.Fatal(err)
				}
				res, err := idx.Search(context.Background(), req)
				if err != nil {
					b.Fatal(err)
				}
				if res.Total == 0 {
					b.Fatalf("%s: no hits", c.query)
				}
			}
		})
	}
}

func parseQuery(s string) (url.Values, error) { return url.ParseQuery(s) }
