package api

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/papersearch/papersearch/search"
)

// The histogram is a timeline: oldest first, a column for each year
// without papers between two with them, and a gap of more than two years
// as one column, so that a stray old paper does not push the recent years
// out of view.
func TestYearBarsTimeline(t *testing.T) {
	type col struct {
		year, until, count int
		empty              bool
	}
	tests := []struct {
		name  string
		years map[string]int
		want  []col
	}{
		{"no years", nil, nil},
		{"one year", map[string]int{"2024": 3}, []col{{2024, 0, 3, false}}},
		{"years in a row", map[string]int{"2024": 3, "2023": 1}, []col{{2023, 0, 1, false}, {2024, 0, 3, false}}},
		{"one year missing", map[string]int{"2024": 3, "2022": 1}, []col{{2022, 0, 1, false}, {2023, 2023, 0, true}, {2024, 0, 3, false}}},
		{"two years missing", map[string]int{"2025": 3, "2022": 1}, []col{{2022, 0, 1, false}, {2023, 2023, 0, true}, {2024, 2024, 0, true}, {2025, 0, 3, false}}},
		{"a long gap", map[string]int{"1999": 1, "2022": 2, "2023": 2}, []col{{1999, 0, 1, false}, {2000, 2021, 0, true}, {2022, 0, 2, false}, {2023, 0, 2, false}}},
	}
	// A facet at its cap may have left years out: no year is shown as
	// without papers then.
	capped := map[string]int{}
	var cappedCols []col
	for i := range search.MaxFacetSize {
		y := 1900 + 2*i
		capped[fmt.Sprint(y)] = 1
		cappedCols = append(cappedCols, col{y, 0, 1, false})
	}
	tests = append(tests, struct {
		name  string
		years map[string]int
		want  []col
	}{"the facet at its cap", capped, cappedCols})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var facet []search.FacetValue
			for y, n := range tt.years {
				facet = append(facet, search.FacetValue{Value: y, Count: n})
			}
			bars, _ := yearBars(search.Request{Query: "x"}, facet)
			var got []col
			for _, b := range bars {
				if b.Empty != (b.URL == "") {
					t.Errorf("%d: empty %v with link %q", b.Year, b.Empty, b.URL)
				}
				got = append(got, col{b.Year, b.Until, b.Count, b.Empty})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("columns %+v, want %+v", got, tt.want)
			}
		})
	}
}

// A year without papers inside the selected range is marked as the years
// around it are.
func TestEmptyYearInSelectedRange(t *testing.T) {
	facet := []search.FacetValue{{Value: "2022", Count: 1}, {Value: "2024", Count: 2}}
	bars, _ := yearBars(search.Request{Query: "x", YearFrom: 2022, YearTo: 2024}, facet)
	for _, b := range bars {
		if !b.Selected {
			t.Errorf("%d (empty %v) not marked in the range 2022-2024", b.Year, b.Empty)
		}
	}
	if len(bars) != 3 {
		t.Errorf("bars %+v, want 2022, an empty 2023, 2024", bars)
	}
}
