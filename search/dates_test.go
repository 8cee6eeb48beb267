package search_test

import (
	"context"
	"slices"
	"testing"

	"github.com/papersearch/papersearch/search"
)

// Dates of any four-digit year sort and filter as they read: columns keep
// them in seconds, which never wrap as nanoseconds do outside 1678-2262.
func TestDatesOfAnyYear(t *testing.T) {
	idx := openIndex(t)
	err := idx.Put([]search.Paper{
		{ID: "old", Title: "Micrographia", Abstract: "observations of minute bodies", Published: "1665-03-06"},
		{ID: "now", Title: "Sparse attention", Abstract: "observations of attention heads", Published: "2024-07-01"},
		{ID: "far", Title: "Future work", Abstract: "observations from the future", Published: "2500-01-01"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name string
		r    search.Request
		want []string
	}{
		{"newest", search.Request{Query: "observations", Sort: search.SortNewest}, []string{"far", "now", "old"}},
		{"oldest", search.Request{Query: "observations", Sort: search.SortOldest}, []string{"old", "now", "far"}},
		{"17th century", search.Request{Query: "observations", YearFrom: 1600, YearTo: 1700}, []string{"old"}},
		{"2240-2260", search.Request{Query: "observations", YearFrom: 2240, YearTo: 2260}, nil},
		{"from 2400", search.Request{YearFrom: 2400}, []string{"far"}},
		{"query language", search.Request{Query: "observations year:1600..1700"}, []string{"old"}},
	}
	for _, tc := range tests {
		res, err := idx.Search(ctx, tc.r)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var ids []string
		for _, h := range res.Hits {
			ids = append(ids, h.Paper.ID)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, ids, tc.want)
		}
	}
}
