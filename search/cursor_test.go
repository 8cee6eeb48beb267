package search_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/papersearch/papersearch/search"
)

// cursorIndex holds papers built to tie: shared dates, shared upvotes,
// identical titles (equal scores) and some with no date at all, which is
// where a cursor can lose or repeat hits if its keys are not exact.
func cursorIndex(t *testing.T) *search.Index {
	t.Helper()
	idx, err := search.Open(t.TempDir()+"/index", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	var papers []search.Paper
	for i := range 137 {
		p := search.Paper{
			ID:       fmt.Sprintf("p%03d", i),
			Title:    []string{"Quantized attention", "Pruning quantized networks", "Sparse attention"}[i%3],
			Abstract: "We study quantized models and attention.",
			Upvotes:  i % 4,
			Topics:   []string{[]string{"quantization", "pruning"}[i%2]},
		}
		if i%10 != 0 {
			p.Published = fmt.Sprintf("20%02d-0%d-1%d", 20+i%5, 1+i%9, i%7)
		}
		papers = append(papers, p)
	}
	if err := idx.Put(papers); err != nil {
		t.Fatal(err)
	}
	return idx
}

func ids(hits []search.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Paper.ID
	}
	return out
}

// TestCursorWalksEveryHitOnce follows next_cursor from the first page to
// the end and expects exactly the order that one big page gives.
func TestCursorWalksEveryHitOnce(t *testing.T) {
	idx := cursorIndex(t)
	ctx := context.Background()
	for _, sort := range search.Sorts {
		for _, q := range []string{"", "quantized attention"} {
			t.Run(sort+"/"+q, func(t *testing.T) {
				all, err := idx.Search(ctx, search.Request{Query: q, Sort: sort, Size: search.MaxSize})
				if err != nil {
					t.Fatal(err)
				}
				rest, err := idx.Search(ctx, search.Request{Query: q, Sort: sort, Size: search.MaxSize, Page: 2})
				if err != nil {
					t.Fatal(err)
				}
				want := append(ids(all.Hits), ids(rest.Hits)...)
				if uint64(len(want)) != all.Total {
					t.Fatalf("pages hold %d hits, total is %d", len(want), all.Total)
				}

				var got []string
				req := search.Request{Query: q, Sort: sort, Size: 7}
				for pages := 0; ; pages++ {
					if pages > 30 {
						t.Fatal("cursor does not end")
					}
					res, err := idx.Search(ctx, req)
					if err != nil {
						t.Fatalf("page %d: %v", pages+1, err)
					}
					if res.Total != all.Total {
						t.Errorf("page %d: total %d, want %d", pages+1, res.Total, all.Total)
					}
					if res.Page != pages+1 {
						t.Errorf("page reported as %d, want %d", res.Page, pages+1)
					}
					got = append(got, ids(res.Hits)...)
					if res.NextCursor == "" {
						break
					}
					req.Cursor = res.NextCursor
				}
				if !slices.Equal(got, want) {
					t.Errorf("cursor walk\n got %v\nwant %v", got, want)
				}
			})
		}
	}
}

func TestCursorNoneOnLastPage(t *testing.T) {
	idx := cursorIndex(t)
	res, err := idx.Search(context.Background(), search.Request{Size: search.MaxSize, Page: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.NextCursor != "" {
		t.Errorf("last page has next cursor %q", res.NextCursor)
	}
	res, err = idx.Search(context.Background(), search.Request{Size: search.MaxSize})
	if err != nil {
		t.Fatal(err)
	}
	if res.NextCursor == "" {
		t.Error("first of two pages has no next cursor")
	}
}

func TestCursorRefused(t *testing.T) {
	idx := cursorIndex(t)
	ctx := context.Background()
	first, err := idx.Search(ctx, search.Request{Query: "attention", Size: 5})
	if err != nil {
		t.Fatal(err)
	}
	for name, req := range map[string]search.Request{
		"garbage":        {Query: "attention", Cursor: "not a cursor!"},
		"base64 garbage": {Query: "attention", Cursor: "eyJ2Ijo5fQ"},
		"other query":    {Query: "pruning", Cursor: first.NextCursor},
		"other sort":     {Query: "attention", Sort: search.SortNewest, Cursor: first.NextCursor},
		"other filter":   {Query: "attention", Topics: []string{"pruning"}, Cursor: first.NextCursor},
		"with page":      {Query: "attention", Page: 3, Cursor: first.NextCursor},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := idx.Search(ctx, req)
			if !errors.Is(err, search.ErrBadQuery) {
				t.Errorf("err = %v, want ErrBadQuery", err)
			}
		})
	}
	// The page size may change along the way.
	if _, err := idx.Search(ctx, search.Request{Query: "attention", Size: 50, Cursor: first.NextCursor}); err != nil {
		t.Errorf("size change with cursor: %v", err)
	}
}
