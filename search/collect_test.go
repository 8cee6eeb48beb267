package search_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/papersearch/papersearch/indexer"
	"github.com/papersearch/papersearch/search"
)

// Search computes filters, facets and the order of hits itself; it must
// agree exactly with Bleve doing all of that, on real papers, for every
// sort, filter and page.
func TestSearchAgreesWithBleve(t *testing.T) {
	idx, err := search.Open(t.TempDir()+"/idx", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	rc, err := indexer.OpenSource("../cmd/papersearch/demo/arxiv-sample.jsonl.bz2", nil)
	if err != nil {
		t.Fatal(err)
	}
	ix := indexer.New(idx, indexer.DefaultTaxonomy(), nil)
	ix.BatchSize = 300 // several segments
	ix.Limit = 800
	var words []string
	ix.OnReject = func(err error) { t.Error(err) }
	if err := ix.IndexReader(context.Background(), rc, "demo", ""); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if err := ix.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A paper updated in place leaves a deleted document behind.
	p, err := idx.Get(context.Background(), "2503.11731")
	if err == nil {
		p.Upvotes = 7
		if err := idx.Put([]search.Paper{p}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := idx.SearchWithBleve(context.Background(), search.Request{Size: search.MaxSize})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range all.Hits {
		words = append(words, strings.Fields(h.Paper.Title)...)
	}

	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(vs []search.FacetValue) string { return vs[rng.IntN(len(vs))].Value }
	for i := range 200 {
		r := search.Request{Sort: search.Sorts[rng.IntN(len(search.Sorts))], Page: 1 + rng.IntN(3), Size: []int{1, 10, 25}[rng.IntN(3)]}
		for range rng.IntN(4) {
			r.Query += " " + strings.Trim(words[rng.IntN(len(words))], ":,.()")
		}
		if rng.IntN(3) == 0 {
			r.Topics = append(r.Topics, pick(all.Facets.Topics))
			if rng.IntN(2) == 0 {
				r.Topics = append(r.Topics, pick(all.Facets.Topics))
			}
		}
		if rng.IntN(4) == 0 {
			r.Categories = []string{pick(all.Facets.Categories)}
		}
		if rng.IntN(4) == 0 {
			r.YearFrom = 2025
		}
		if rng.IntN(5) == 0 {
			r.Topics = append(r.Topics, "no-such-topic")
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			// Scores depend on index statistics, which a background merge
			// that drops the deleted document changes: compare only
			// results that Bleve gives the same before and after.
			var want, got search.Result
			for try := 0; ; try++ {
				want, err = idx.SearchWithBleve(context.Background(), r)
				if err != nil {
					t.Fatal(err)
				}
				got, err = idx.Search(context.Background(), r)
				if err != nil {
					t.Fatal(err)
				}
				again, err := idx.SearchWithBleve(context.Background(), r)
				if err != nil {
					t.Fatal(err)
				}
				if reflect.DeepEqual(want, again) || try == 10 {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if got.Total != want.Total {
				t.Errorf("%+v: total %d, want %d", r, got.Total, want.Total)
			}
			type scored struct {
				id    string
				score float64
			}
			hits := func(hs []search.Hit) (out []scored) {
				for _, h := range hs {
					out = append(out, scored{h.Paper.ID, h.Score})
				}
				return out
			}
			if g, w := hits(got.Hits), hits(want.Hits); !slices.Equal(g, w) {
				t.Errorf("%+v: hits\n got %v\nwant %v", r, g, w)
			}
			if !slices.Equal(got.Facets.Topics, want.Facets.Topics) || !slices.Equal(got.Facets.Years, want.Facets.Years) ||
				!slices.Equal(got.Facets.Categories, want.Facets.Categories) {
				t.Errorf("%+v: facets\n got %v\nwant %v", r, got.Facets, want.Facets)
			}
		})
	}
}
