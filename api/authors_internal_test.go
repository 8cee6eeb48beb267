package api

import (
	"testing"

	"github.com/papersearch/papersearch/search"
)

// The page lists the first three authors; the first one a query matched
// is listed too when it comes later, and the count of the rest stays true.
func TestAuthorsHTML(t *testing.T) {
	names := []string{"A", "B", "C", "D", "<mark>Rongrong</mark> <mark>Ji</mark>", "F"}
	tests := []struct {
		name    string
		authors []string
		count   int
		hl      []string
		want    string
	}{
		{"no author matched", []string{"A", "B"}, 2, nil, ""},
		{"among the first three", []string{"A", "B", "C", "D"}, 4, []string{"A", "<mark>B</mark>", "C", "D"}, "A, <mark>B</mark>, C and 1 more"},
		// D and F are not listed.
		{"past the first three", make([]string, 6), 6, names, "A, B, C, …, <mark>Rongrong</mark> <mark>Ji</mark> and 2 more"},
		{"past them, more authors than names", make([]string, 6), 40, names, "A, B, C, …, <mark>Rongrong</mark> <mark>Ji</mark> and 36 more"},
		{"the last one", make([]string, 5), 5, names[:5], "A, B, C, …, <mark>Rongrong</mark> <mark>Ji</mark> and 1 more"},
		{"the fourth, next to them", make([]string, 4), 4, []string{"A", "B", "C", "<mark>D</mark>"}, "A, B, C, <mark>D</mark>"},
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
