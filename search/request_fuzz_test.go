package search_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/papersearch/papersearch/search"
)

// FuzzSearchRequest: any request (every field, not only the query text)
// either fails with ErrBadQuery or runs on a real index and
// returns a page within its size whose highlights are escaped text with
// <mark> tags only.
func FuzzSearchRequest(f *testing.F) {
	idx := openCorpus(f)
	f.Add("pruning", "pruning", "cs.CL", 2023, 2025, "relevance", 1, 10)
	f.Add("", "", "", 0, 0, "", 0, 0)
	f.Add("<script>alert(1)</script>", "", "", 0, 0, "newest", 2, 3)
	f.Add("\"large language\" models", "quantization", "", 0, 2024, "upvotes", 1, 100)
	f.Add("/.*/ *ing prun~2 title:x", "", "", 0, 0, "oldest", 100, 100)
	f.Add("caf\xe9 \u202e", "x", "y", 1999, 1999, "Newest", -1, 101)
	f.Fuzz(func(t *testing.T, q, topic, category string, yearFrom, yearTo int, sort string, page, size int) {
		r := search.Request{Query: q, YearFrom: yearFrom, YearTo: yearTo, Sort: sort, Page: page, Size: size}
		if topic != "" {
			r.Topics = []string{topic}
		}
		if category != "" {
			r.Categories = []string{category}
		}
		res, err := idx.Search(context.Background(), r)
		if err != nil {
			if !errors.Is(err, search.ErrBadQuery) {
				t.Fatalf("Search(%+v): %v, not ErrBadQuery", r, err)
			}
			return
		}
		if len(res.Hits) > res.Size || res.Size > search.MaxSize {
			t.Fatalf("Search(%+v): %d hits on a page of %d", r, len(res.Hits), res.Size)
		}
		for _, h := range res.Hits {
			for _, frags := range h.Highlights {
				for _, frag := range frags {
					bare := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(frag)
					if strings.ContainsAny(bare, "<>") {
						t.Fatalf("Search(%+v): highlight %q has markup besides <mark>", r, frag)
					}
				}
			}
		}
	})
}
