package api

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/papersearch/papersearch/search"
)

// SearchParams lists the query parameters of /api/search and the page.
var SearchParams = []string{"q", "topic", "category", "year_from", "year_to", "sort", "page", "size", "cursor", "expand", "correct", "explain", "facets"}

// singleParams are the search parameters that take one value; topic and
// category may repeat.
var singleParams = []string{"q", "year_from", "year_to", "sort", "page", "size", "cursor", "expand", "correct", "explain", "facets"}

// ParseSearch turns query parameters into a search request. Errors wrap
// search.ErrBadQuery.
func ParseSearch(v url.Values) (search.Request, error) {
	if err := givenOnce(v, singleParams...); err != nil {
		return search.Request{}, err
	}
	r := search.Request{
		Query:      v.Get("q"),
		Topics:     v["topic"],
		Categories: v["category"],
		Sort:       v.Get("sort"),
		Cursor:     v.Get("cursor"),
	}
	for _, f := range []struct {
		name string
		dst  *int
		want string // what a value must be, for the error about 0
		year bool   // checked here, so that every year gets one message
	}{
		{"year_from", &r.YearFrom, yearWant, true},
		{"year_to", &r.YearTo, yearWant, true},
		{"page", &r.Page, "1 or more", false},
		{"size", &r.Size, fmt.Sprintf("between 1 and %d", search.MaxSize), false},
	} {
		s := strings.TrimSpace(v.Get(f.name))
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return r, fmt.Errorf("%w: %s must be a whole number, not %q", search.ErrBadQuery, f.name, clip(s))
		}
		// 0 stands for the default in a search.Request; a client that
		// writes it asked for something else. A year is also checked
		// here, not left to Request.Normalize, whose message for 24
		// differed from this one for 0. The value is quoted as written:
		// "0001" is four digits, but not a year of the range.
		if n == 0 || f.year && (n < search.MinYear || n > search.MaxYear) {
			return r, fmt.Errorf("%w: %s must be %s, not %s", search.ErrBadQuery, f.name, f.want, clip(s))
		}
		*f.dst = n
	}
	for _, f := range []struct {
		name string
		dst  *bool
		neg  bool // the request field says the opposite of the parameter
	}{{"expand", &r.NoExpand, true}, {"correct", &r.NoCorrect, true}, {"explain", &r.Explain, false}} {
		s := strings.TrimSpace(v.Get(f.name))
		if s == "" {
			continue
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			return r, fmt.Errorf("%w: %s must be true or false, not %q", search.ErrBadQuery, f.name, clip(s))
		}
		*f.dst = b != f.neg
	}
	if s := strings.TrimSpace(v.Get("facets")); s != "" {
		skip, err := parseFacets(s)
		if err != nil {
			return r, err
		}
		r.NoFacets = skip
	}
	return r, r.Normalize()
}

// yearWant says what a year parameter takes, as search.Request.Normalize
// (and openapi.json) have it.
var yearWant = fmt.Sprintf("a year between %d and %d", search.MinYear, search.MaxYear)

// noFacets is the facets value that counts no group.
const noFacets = "none"

// facetPlurals are the names the answer gives the facet groups (see
// FacetsJSON), which a client reads and so writes back in facets=; each
// means the group search names in the singular.
var facetPlurals = map[string]string{"topics": "topic", "years": "year", "categories": "category"}

// parseFacets reads the facets parameter, the groups to count ("topic,year",
// or as the answer names them, "topics,years") or none, into the groups to
// leave out.
func parseFacets(s string) ([]string, error) {
	s = strings.ToLower(s)
	if s == noFacets {
		return slices.Clone(search.FacetGroups), nil
	}
	var want []string
	for g := range strings.SplitSeq(s, ",") {
		g = strings.TrimSpace(g)
		if singular, ok := facetPlurals[g]; ok {
			g = singular
		}
		if g == noFacets {
			return nil, fmt.Errorf("%w: facets=none counts no group, so it cannot be given with others", search.ErrBadQuery)
		}
		if !slices.Contains(search.FacetGroups, g) {
			return nil, fmt.Errorf("%w: facets must be %s, or some of %s separated by commas; %q is not one of them",
				search.ErrBadQuery, noFacets, strings.Join(search.FacetGroups, ", "), clip(g))
		}
		want = append(want, g)
	}
	return search.OtherFacetGroups(want), nil
}

// Values is the inverse of ParseSearch: the query parameters that ask for r,
// without defaults, so URLs stay short and canonical.
func Values(r search.Request) url.Values {
	v := url.Values{}
	if r.Query != "" {
		v.Set("q", r.Query)
	}
	for _, t := range r.Topics {
		v.Add("topic", t)
	}
	for _, c := range r.Categories {
		v.Add("category", c)
	}
	if r.YearFrom != 0 {
		v.Set("year_from", strconv.Itoa(r.YearFrom))
	}
	if r.YearTo != 0 {
		v.Set("year_to", strconv.Itoa(r.YearTo))
	}
	if r.Sort != "" && r.Sort != defaultSort(r.Query) {
		v.Set("sort", r.Sort)
	}
	if r.Page > 1 {
		v.Set("page", strconv.Itoa(r.Page))
	}
	if r.Size != 0 && r.Size != search.DefaultSize {
		v.Set("size", strconv.Itoa(r.Size))
	}
	if r.Cursor != "" {
		v.Set("cursor", r.Cursor)
	}
	if r.NoExpand {
		v.Set("expand", "false")
	}
	if r.NoCorrect {
		v.Set("correct", "false")
	}
	if r.Explain {
		v.Set("explain", "true")
	}
	if len(r.NoFacets) > 0 {
		want := search.OtherFacetGroups(r.NoFacets)
		if len(want) == 0 {
			want = []string{noFacets}
		}
		v.Set("facets", strings.Join(want, ","))
	}
	return v
}

// defaultSort is the order of a search with no sort parameter, as
// search.Request.Normalize picks it.
func defaultSort(query string) string {
	if strings.TrimSpace(query) == "" {
		return search.SortNewest
	}
	return search.SortRelevance
}

// givenOnce refuses a parameter of names given more than once: it would be
// read as its first value, silently. The error wraps search.ErrBadQuery.
func givenOnce(v url.Values, names ...string) error {
	for _, name := range names {
		if n := len(v[name]); n > 1 {
			return fmt.Errorf("%w: %s is given %d times; give it once", search.ErrBadQuery, name, n)
		}
	}
	return nil
}

// validUTF8 refuses a parameter value that is not UTF-8, as %ff decodes
// to: read on, it would be searched or echoed as U+FFFD. The error wraps
// search.ErrBadQuery.
func validUTF8(v url.Values) error {
	for _, name := range slices.Sorted(maps.Keys(v)) {
		for _, s := range v[name] {
			if !utf8.ValidString(s) {
				return fmt.Errorf("%w: %s is not valid UTF-8", search.ErrBadQuery, strings.ToValidUTF8(clip(name), "\ufffd"))
			}
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
