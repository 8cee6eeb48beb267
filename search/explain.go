package search

import (
	"cmp"
	"slices"
	"strings"

	bsearch "github.com/blevesearch/bleve/v2/search"
)

// Reason is one part of a hit's score: how much it added and why.
type Reason struct {
	Score float64
	Why   string
}

// flatten turns Bleve's explanation tree into the parts that added to the
// score, largest first. Interior nodes ("sum of") only restate their
// children, and the parts that select papers without ranking them add 0.
func flatten(e *bsearch.Explanation) []Reason {
	var out []Reason
	var walk func(e *bsearch.Explanation)
	walk = func(e *bsearch.Explanation) {
		if e == nil {
			return
		}
		if len(e.Children) == 0 {
			// Bleve's coord factor multiplies rather than adds; ours is 1.
			if e.Value != 0 && !strings.HasPrefix(e.Message, "coord(") {
				out = append(out, Reason{Score: e.Value, Why: e.Message})
			}
			return
		}
		for _, c := range e.Children {
			walk(c)
		}
	}
	walk(e)
	slices.SortStableFunc(out, func(a, b Reason) int { return cmp.Compare(b.Score, a.Score) })
	return out
}
