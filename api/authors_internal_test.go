package api

import (
	"testing"

	"github.com/papersearch/papersearch/search"
)

// The page lists the first three authors; the first one a query matched
// is listed too when it comes later, and the authors left out are counted
// where they are: before it, after it, or both.
func TestAuthorsHTML(t *testing.T) {
	names := []string{"A", "B", "C", "D", "<mark>Rongrong</mark> <mark>Ji</mark>", "F", "G", "H"}
	tests := []struct {
		name    string
		authors []string
		count   int
		hl      []string
		want    string
	}{
		{"no author matched", []string{"A", "B"}, 2, nil, ""},
		{"among the first three", []string{"A", "B", "C", "D"}, 4, []string{"A", "<mark>B</mark>", "C", "D"}, "A, <mark>B</mark>, C and 1 more"},
		{"past the first three, with three after", make([]string, 8), 8, names, "A, B, C, 1 more, <mark>Rongrong</mark> <mark>Ji</mark> and 3 more"},
		{"past them, more authors than names", make([]string, 8), 40, names, "A, B, C, 1 more, <mark>Rongrong</mark> <mark>Ji</mark> and 35 more"},
		// Nobody follows Ji: no "and 1 more" after the name.
		{"the last one", make([]string, 5), 5, names[:5], "A, B, C, 1 more, <mark>Rongrong</mark> <mark>Ji</mark>"},
		{"the last one, several before", make([]string, 6), 6, []string{"A", "B", "C", "D", "E", "<mark>Ji</mark>"}, "A, B, C, 2 more, <mark>Ji</mark>"},
		{"the fourth, next to them", make([]string, 4), 4, []string{"A", "B", "C", "<mark>D</mark>"}, "A, B, C, <mark>D</mark>"},
		{"the fourth, with one after", make([]string, 5), 5, []string{"A", "B", "C", "<mark>D</mark>", "E"}, "A, B, C, <mark>D</mark> and 1 more"},
		{"only the first of two marked past them", make([]string, 7), 7, []string{"A", "B", "C", "D", "<mark>E</mark>", "F", "<mark>G</mark>"}, "A, B, C, 1 more, <mark>E</mark> and 2 more"},
		{"escaped names stay escaped", make([]string, 5), 5, []string{"A", "B", "C", "&lt;b&gt;", "<mark>&lt;i&gt;Ji</mark>"}, "A, B, C, 1 more, <mark>&lt;i&gt;Ji</mark>"},
		{"highlights that do not line up", []string{"A"}, 1, names, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := search.Paper{Authors: tt.authors, AuthorCount: tt.count}
			if got := string(authorsHTML(p, tt.hl, 3)); got != tt.want {
				t.Errorf("authorsHTML = %q, want %q", got, tt.want)
			}
		})
	}
}
