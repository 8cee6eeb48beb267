package search_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/papersearch/papersearch/search"
)

func TestSearchOrderAndFilters(t *testing.T) {
	idx := openCorpus(t)
	tests := []struct {
		name     string
		req      search.Request
		want     []string // hit ids in order
		wantSort string
	}{
		{
			name:     "empty query lists all, newest first, undated last",
			req:      search.Request{},
			want:     []string{idLongContext, idLighthouse, idJoint, idPruningTitle, idPruningAbstract, idGPTQ, idXSS, idOldStyle, idUndated},
			wantSort: search.SortNewest,
		},
		{
			name:     "oldest first, undated still last",
			req:      search.Request{Sort: search.SortOldest},
			want:     []string{idOldStyle, idXSS, idGPTQ, idPruningAbstract, idPruningTitle, idJoint, idLighthouse, idLongContext, idUndated},
			wantSort: search.SortOldest,
		},
		{
			name: "most upvoted first, ties newest first",
			req:  search.Request{Sort: search.SortUpvotes},
			// 50, 10, 7, 3, 2, 1, then the three with 0 by date.
			want:     []string{idGPTQ, idPruningTitle, idLongContext, idPruningAbstract, idLighthouse, idXSS, idJoint, idOldStyle, idUndated},
			wantSort: search.SortUpvotes,
		},
		{
			name:     "relevance on an empty query falls back to newest",
			req:      search.Request{Sort: search.SortRelevance, Topics: []string{"quantization"}},
			want:     []string{idJoint, idGPTQ},
			wantSort: search.SortRelevance,
		},
		{
			name:     "one topic",
			req:      search.Request{Topics: []string{"pruning"}},
			want:     []string{idJoint, idPruningTitle},
			wantSort: search.SortNewest,
		},
		{
			name:     "topics are ORed",
			req:      search.Request{Topics: []string{"pruning", "long-context"}},
			want:     []string{idLongContext, idJoint, idPruningTitle},
			wantSort: search.SortNewest,
		},
		{
			name:     "duplicate and blank topics are ignored",
			req:      search.Request{Topics: []string{" pruning ", "pruning", ""}},
			want:     []string{idJoint, idPruningTitle},
			wantSort: search.SortNewest,
		},
		{
			name:     "unknown topic matches nothing",
			req:      search.Request{Topics: []string{"no-such-topic"}},
			want:     []string{},
			wantSort: search.SortNewest,
		},
		{
			name:     "category",
			req:      search.Request{Categories: []string{"cs.CL"}},
			want:     []string{idLongContext, idJoint, idPruningTitle, idUndated},
			wantSort: search.SortNewest,
		},
		{
			name:     "categories are ORed",
			req:      search.Request{Categories: []string{"cs.CR", "hep-th"}},
			want:     []string{idXSS, idOldStyle},
			wantSort: search.SortNewest,
		},
		{
			name:     "topic and category are ANDed",
			req:      search.Request{Topics: []string{"quantization"}, Categories: []string{"cs.CL"}},
			want:     []string{idJoint},
			wantSort: search.SortNewest,
		},
		{
			name:     "year range, inclusive on both ends",
			req:      search.Request{YearFrom: 2023, YearTo: 2024},
			want:     []string{idLighthouse, idJoint, idPruningTitle, idPruningAbstract, idGPTQ},
			wantSort: search.SortNewest,
		},
		{
			name:     "year_from alone",
			req:      search.Request{YearFrom: 2024},
			want:     []string{idLongContext, idLighthouse, idJoint, idPruningTitle},
			wantSort: search.SortNewest,
		},
		{
			name:     "year_to alone",
			req:      search.Request{YearTo: 2022},
			want:     []string{idXSS, idOldStyle},
			wantSort: search.SortNewest,
		},
		{
			name:     "single year",
			req:      search.Request{YearFrom: 1999, YearTo: 1999},
			want:     []string{idOldStyle},
			wantSort: search.SortNewest,
		},
		{
			name:     "query with a filter",
			req:      search.Request{Query: "quantization", Topics: []string{"pruning"}},
			want:     []string{idJoint},
			wantSort: search.SortRelevance,
		},
		{
			name:     "query sorted by date",
			req:      search.Request{Query: "models", Sort: search.SortOldest},
			want:     []string{idPruningAbstract, idPruningTitle, idJoint, idLighthouse, idLongContext},
			wantSort: search.SortOldest,
		},
		{
			name:     "author names are searchable",
			req:      search.Request{Query: "lovelace"},
			want:     []string{idPruningTitle},
			wantSort: search.SortRelevance,
		},
		{
			name:     "stemming: quantize finds quantization",
			req:      search.Request{Query: "quantized", Sort: search.SortNewest},
			want:     []string{idJoint, idGPTQ},
			wantSort: search.SortNewest,
		},
		{
			name:     "no match",
			req:      search.Request{Query: "xylophone"},
			want:     []string{},
			wantSort: search.SortRelevance,
		},
		{
			name:     "query is trimmed",
			req:      search.Request{Query: "  lovelace \n"},
			want:     []string{idPruningTitle},
			wantSort: search.SortRelevance,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := idx.Search(context.Background(), tt.req)
			if err != nil {
				t.Fatalf("Search(%+v): %v", tt.req, err)
			}
			if got := hitIDs(res.Hits); !slices.Equal(got, tt.want) {
				t.Errorf("hits = %q\nwant   %q", got, tt.want)
			}
			if res.Total != uint64(len(tt.want)) {
				t.Errorf("Total = %d, want %d", res.Total, len(tt.want))
			}
			if res.Sort != tt.wantSort {
				t.Errorf("Sort = %q, want %q", res.Sort, tt.wantSort)
			}
			if res.Page != 1 || res.Size != search.DefaultSize {
				t.Errorf("Page, Size = %d, %d; want the defaults 1, %d", res.Page, res.Size, search.DefaultSize)
			}
		})
	}
}

func TestSearchRanking(t *testing.T) {
	idx := openCorpus(t)
	tests := []struct {
		query         string
		higher, lower string
	}{
		// A title match beats a passing mention in the abstract.
		{"pruning", idPruningTitle, idPruningAbstract},
		// Both words, adjacent, in the title beat one word in an abstract.
		{"context windows", idLongContext, idLighthouse},
		{"sparsity", idJoint, idPruningTitle},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res, err := idx.Search(context.Background(), search.Request{Query: tt.query})
			if err != nil {
				t.Fatal(err)
			}
			ids := hitIDs(res.Hits)
			hi, lo := slices.Index(ids, tt.higher), slices.Index(ids, tt.lower)
			if hi < 0 || (lo >= 0 && hi > lo) {
				t.Errorf("hits %q: want %s ranked above %s", ids, tt.higher, tt.lower)
			}
			if hi != 0 {
				t.Errorf("hits %q: want %s first", ids, tt.higher)
			}
			for i := 1; i < len(res.Hits); i++ {
				if res.Hits[i].Score > res.Hits[i-1].Score {
					t.Errorf("scores not descending at %d: %v > %v", i, res.Hits[i].Score, res.Hits[i-1].Score)
				}
			}
		})
	}
}

// A filter must select, not rank: the filtered hits keep the scores they
// have without the filter.
func TestFiltersDoNotChangeScores(t *testing.T) {
	idx := openCorpus(t)
	ctx := context.Background()
	all, err := idx.Search(ctx, search.Request{Query: "models"})
	if err != nil {
		t.Fatal(err)
	}
	filtered, err := idx.Search(ctx, search.Request{Query: "models", Topics: []string{"pruning"}, YearFrom: 2024})
	if err != nil {
		t.Fatal(err)
	}
	scores := map[string]float64{}
	for _, h := range all.Hits {
		scores[h.Paper.ID] = h.Score
	}
	if len(filtered.Hits) == 0 {
		t.Fatal("filtered search has no hits")
	}
	for _, h := range filtered.Hits {
		if h.Score != scores[h.Paper.ID] {
			t.Errorf("%s: score %v with filters, %v without", h.Paper.ID, h.Score, scores[h.Paper.ID])
		}
	}
}

func TestSearchPaging(t *testing.T) {
	idx := openCorpus(t)
	ctx := context.Background()
	all, err := idx.Search(ctx, search.Request{Size: search.MaxSize})
	if err != nil {
		t.Fatal(err)
	}
	var paged []string
	for page := 1; page <= 4; page++ {
		res, err := idx.Search(ctx, search.Request{Page: page, Size: 4})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if res.Total != all.Total || res.Page != page || res.Size != 4 {
			t.Errorf("page %d: Total, Page, Size = %d, %d, %d; want %d, %d, 4", page, res.Total, res.Page, res.Size, all.Total, page)
		}
		wantLen := []int{4, 4, 1, 0}[page-1]
		if len(res.Hits) != wantLen {
			t.Errorf("page %d has %d hits, want %d", page, len(res.Hits), wantLen)
		}
		paged = append(paged, hitIDs(res.Hits)...)
	}
	if want := hitIDs(all.Hits); !slices.Equal(paged, want) {
		t.Errorf("pages joined = %q\nwant            %q", paged, want)
	}
	// The largest window allowed is served.
	if _, err := idx.Search(ctx, search.Request{Page: search.MaxWindow / search.MaxSize, Size: search.MaxSize}); err != nil {
		t.Errorf("page*size = MaxWindow: %v", err)
	}
}

func TestSearchBadRequests(t *testing.T) {
	idx := openCorpus(t)
	tests := []struct {
		name    string
		req     search.Request
		wantMsg string
	}{
		{"size over the limit", search.Request{Size: search.MaxSize + 1}, "size must be between 1 and 100"},
		{"negative size", search.Request{Size: -1}, "size must be between"},
		{"negative page", search.Request{Page: -1}, "page must be 1 or more"},
		{"page*size over the window", search.Request{Page: search.MaxWindow/search.MaxSize + 1, Size: search.MaxSize}, "page*size must be at most 10000"},
		{"unknown sort", search.Request{Sort: "best"}, `sort must be one of relevance, newest, oldest, upvotes, not "best"`},
		{"sort is case-sensitive", search.Request{Sort: "Newest"}, "sort must be one of"},
		{"year_from after year_to", search.Request{YearFrom: 2025, YearTo: 2020}, "year_from 2025 is after year_to 2020"},
		{"two-digit year", search.Request{YearFrom: 99}, "year_from must be a year between 1000 and 9999, not 99"},
		{"five-digit year", search.Request{YearTo: 20240}, "year_to must be a year between 1000 and 9999, not 20240"},
		{"query too long", search.Request{Query: strings.Repeat("a", search.MaxQueryLen+1)}, "the limit is 1024"},
		{"query not UTF-8", search.Request{Query: "caf\xe9"}, "not valid UTF-8"},
		{"too many filters", search.Request{Topics: manyValues("t", 15), Categories: manyValues("c", 6)}, "21 topic and category filters; the limit is 20"},
		{"filter value too long", search.Request{Topics: []string{strings.Repeat("x", 101)}}, "a topic or category value is 101 bytes; the limit is 100"},
		{"unknown facet group", search.Request{NoFacets: []string{"topics"}}, `facet group must be one of topic, year, category, not "topics"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := idx.Search(context.Background(), tt.req)
			if !errors.Is(err, search.ErrBadQuery) {
				t.Fatalf("Search(%+v) error = %v, want ErrBadQuery", tt.req, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

func TestNormalizeDefaults(t *testing.T) {
	tests := []struct {
		in, want search.Request
	}{
		{search.Request{}, search.Request{Sort: search.SortNewest, Page: 1, Size: search.DefaultSize}},
		{search.Request{Query: " q "}, search.Request{Query: "q", Sort: search.SortRelevance, Page: 1, Size: search.DefaultSize}},
		{search.Request{Query: "q", Sort: search.SortUpvotes, Page: 3, Size: 7}, search.Request{Query: "q", Sort: search.SortUpvotes, Page: 3, Size: 7}},
		{search.Request{Topics: []string{"", "a", "a", " b"}}, search.Request{Topics: []string{"a", "b"}, Sort: search.SortNewest, Page: 1, Size: search.DefaultSize}},
		{search.Request{NoFacets: []string{"category", "topic", "category"}}, search.Request{NoFacets: []string{"topic", "category"}, Sort: search.SortNewest, Page: 1, Size: search.DefaultSize}},
		{search.Request{NoFacets: []string{}}, search.Request{Sort: search.SortNewest, Page: 1, Size: search.DefaultSize}},
	}
	for _, tt := range tests {
		got := tt.in
		if err := got.Normalize(); err != nil {
			t.Errorf("Normalize(%+v): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Normalize(%+v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func facetMap(vs []search.FacetValue) map[string]int {
	m := map[string]int{}
	for _, v := range vs {
		m[v.Value] = v.Count
	}
	return m
}

func TestFacets(t *testing.T) {
	idx := openCorpus(t)
	ctx := context.Background()
	run := func(t *testing.T, r search.Request) search.Result {
		t.Helper()
		res, err := idx.Search(ctx, r)
		if err != nil {
			t.Fatalf("Search(%+v): %v", r, err)
		}
		return res
	}

	t.Run("counts without filters", func(t *testing.T) {
		res := run(t, search.Request{})
		wantTopics := map[string]int{
			"pruning": 2, "quantization": 2, "retrieval-augmented": 2, "perplexity": 1,
			"inference-efficiency": 1, "long-context": 1, "tokenization": 1,
		}
		if got := facetMap(res.Facets.Topics); !reflect.DeepEqual(got, wantTopics) {
			t.Errorf("topic facet = %v, want %v", got, wantTopics)
		}
		// Years newest first, whatever their counts; the undated paper has none.
		wantYears := []search.FacetValue{{"2025", 1}, {"2024", 3}, {"2023", 2}, {"2022", 1}, {"1999", 1}}
		if !reflect.DeepEqual(res.Facets.Years, wantYears) {
			t.Errorf("year facet = %v, want %v", res.Facets.Years, wantYears)
		}
		wantCats := map[string]int{"cs.CL": 4, "cs.LG": 3, "cs.CR": 1, "hep-th": 1, "cs.IR": 1}
		if got := facetMap(res.Facets.Categories); !reflect.DeepEqual(got, wantCats) {
			t.Errorf("category facet = %v, want %v", got, wantCats)
		}
		for i := 1; i < len(res.Facets.Topics); i++ {
			if res.Facets.Topics[i].Count > res.Facets.Topics[i-1].Count {
				t.Errorf("topic facet not by count: %v", res.Facets.Topics)
			}
		}
	})

	// Each facet group is counted without its own filter, with the others.
	tests := []struct {
		name     string
		filtered search.Request
		// unfiltered is filtered without the group's own filter.
		unfiltered search.Request
		group      func(search.Facets) []search.FacetValue
		wantTotal  uint64
	}{
		{
			name:       "topic",
			filtered:   search.Request{Topics: []string{"pruning"}},
			unfiltered: search.Request{},
			group:      func(f search.Facets) []search.FacetValue { return f.Topics },
			wantTotal:  2,
		},
		{
			name:       "topic with a query",
			filtered:   search.Request{Query: "models", Topics: []string{"long-context"}},
			unfiltered: search.Request{Query: "models"},
			group:      func(f search.Facets) []search.FacetValue { return f.Topics },
			wantTotal:  1,
		},
		{
			name:       "two topics with a year filter",
			filtered:   search.Request{Topics: []string{"pruning", "quantization"}, YearFrom: 2024},
			unfiltered: search.Request{YearFrom: 2024},
			group:      func(f search.Facets) []search.FacetValue { return f.Topics },
			wantTotal:  2,
		},
		{
			name:       "year",
			filtered:   search.Request{YearFrom: 2024, YearTo: 2024},
			unfiltered: search.Request{},
			group:      func(f search.Facets) []search.FacetValue { return f.Years },
			wantTotal:  3,
		},
		{
			name:       "category",
			filtered:   search.Request{Categories: []string{"cs.CR"}},
			unfiltered: search.Request{},
			group:      func(f search.Facets) []search.FacetValue { return f.Categories },
			wantTotal:  1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := run(t, tt.filtered)
			u := run(t, tt.unfiltered)
			if f.Total != tt.wantTotal {
				t.Errorf("Total = %d, want %d (the filter applies to the hits)", f.Total, tt.wantTotal)
			}
			if got, want := tt.group(f.Facets), tt.group(u.Facets); !reflect.DeepEqual(got, want) {
				t.Errorf("facet with its own filter = %v\nwant it as without  = %v", got, want)
			}
		})
	}

	t.Run("other groups follow the filter", func(t *testing.T) {
		res := run(t, search.Request{Topics: []string{"pruning"}})
		wantYears := []search.FacetValue{{"2024", 2}}
		if !reflect.DeepEqual(res.Facets.Years, wantYears) {
			t.Errorf("year facet with topic=pruning = %v, want %v", res.Facets.Years, wantYears)
		}
		res = run(t, search.Request{YearTo: 2022})
		want := map[string]int{"retrieval-augmented": 1}
		if got := facetMap(res.Facets.Topics); !reflect.DeepEqual(got, want) {
			t.Errorf("topic facet with year_to=2022 = %v, want %v", got, want)
		}
	})

	t.Run("empty result has empty, not nil, groups", func(t *testing.T) {
		res := run(t, search.Request{Query: "xylophone"})
		if res.Facets.Topics == nil || res.Facets.Years == nil || res.Facets.Categories == nil || res.Hits == nil {
			t.Errorf("nil slices in an empty result: %+v", res)
		}
	})
}

func manyValues(prefix string, n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprint(prefix, i))
	}
	return out
}

// At the limits, requests are served.
func TestSearchAtTheLimits(t *testing.T) {
	idx := openCorpus(t)
	for _, req := range []search.Request{
		{Query: strings.TrimSpace(strings.Repeat("pruning ", search.MaxClauses))},
		{Topics: manyValues("t", 10), Categories: manyValues("c", 10)},
		{Query: "models", Size: search.MaxSize, Page: search.MaxWindow / search.MaxSize},
		// Years past the dates Bleve can store (1677 to 2262) are open
		// bounds, not errors; found by FuzzSearch.
		{YearFrom: 1000, YearTo: 9999},
		{YearFrom: 2073, YearTo: 2269},
		{YearFrom: 1000, YearTo: 1677},
		{YearFrom: 2300, YearTo: 2400},
		{YearFrom: 1000, YearTo: 1500},
		{YearTo: 1200},
		{YearFrom: 9999},
	} {
		if _, err := idx.Search(context.Background(), req); err != nil {
			t.Errorf("Search(%.60v): %v", req, err)
		}
	}
}

// A search whose deadline has passed returns the context's error at once;
// callers map it to 504.
func TestSearchDeadline(t *testing.T) {
	idx := openCorpus(t)
	ctx, cancel := context.WithTimeout(context.Background(), -time.Second)
	defer cancel()
	for _, req := range []search.Request{{}, {Query: "pruning"}, {Query: "quantization", Topics: []string{"quantization"}}} {
		_, err := idx.Search(ctx, req)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Search(%+v) past its deadline: %v, want context.DeadlineExceeded", req, err)
		}
	}
}

func TestExpensive(t *testing.T) {
	tests := []struct {
		req  search.Request
		want bool
	}{
		{search.Request{Query: "pruning"}, false},
		{search.Request{Query: "pruning", Page: 10, Size: 100}, false},
		{search.Request{Query: "pruning", Page: 11, Size: 100}, true},
		{search.Request{Query: strings.Repeat("w ", search.ExpensiveTerms)}, false},
		{search.Request{Query: strings.Repeat("w ", search.ExpensiveTerms+1)}, true},
		{search.Request{Topics: manyValues("t", 5), Categories: manyValues("c", 3)}, false},
		{search.Request{Topics: manyValues("t", 5), Categories: manyValues("c", 4)}, true},
	}
	for _, tt := range tests {
		if err := tt.req.Normalize(); err != nil {
			t.Fatal(err)
		}
		if got := tt.req.Expensive(); got != tt.want {
			t.Errorf("Expensive(%+v) = %v, want %v", tt.req, got, tt.want)
		}
	}
}
