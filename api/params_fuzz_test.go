package api_test

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/papersearch/papersearch/api"
	"github.com/papersearch/papersearch/search"
)

// Any query string either parses into a request within every limit, which
// survives the round trip through Values, or is refused with ErrBadQuery.
func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{
		"", "q=pruning", "q=%E9", "q=" + strings.Repeat("w+", 40), "size=101", "size=-1", "page=0",
		"page=100&size=100", "page=99999999999999999999", "topic=a&topic=b&topic=a", "category=cs.CL",
		"year_from=2024&year_to=2020", "year_from=24", "sort=newest", "sort=Newest", "q=a&sort=oldest&page=2&size=3",
		"q=%2F.%2A%2F", "q=*", "q=title:x~2", "facets=topic,year", "facets=none", "facets=category,category", "topic=" + strings.Repeat("x", 200),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		r, err := api.ParseSearch(v)
		if err != nil {
			if !errors.Is(err, search.ErrBadQuery) {
				t.Fatalf("ParseSearch(%q): %v, not ErrBadQuery", raw, err)
			}
			return
		}
		switch {
		case r.Size < 1 || r.Size > search.MaxSize, r.Page < 1, r.Page > search.MaxWindow/r.Size:
			t.Fatalf("ParseSearch(%q) passed page %d size %d", raw, r.Page, r.Size)
		case len(r.Query) > search.MaxQueryLen:
			t.Fatalf("ParseSearch(%q) passed a query over the limits", raw)
		case len(r.Topics)+len(r.Categories) > search.MaxFilterValues:
			t.Fatalf("ParseSearch(%q) passed %d filters", raw, len(r.Topics)+len(r.Categories))
		}
		again, err := api.ParseSearch(api.Values(r))
		if err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("round trip of %q: %+v -> %q -> %+v, %v", raw, r, api.Values(r).Encode(), again, err)
		}
	})
}
