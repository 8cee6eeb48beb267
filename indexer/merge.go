package indexer

import (
	"slices"
	"strings"

	"github.com/papersearch/papersearch/search"
)

// Merge combines two records of one paper. Neither wipes the other: each
// field keeps the better value (the fuller abstract, the earliest date,
// author names over a bare count, the union of categories, the most recent
// upvote count), and b wins only where both are equally good.
func Merge(a, b search.Paper) search.Paper {
	out := a
	if b.Title != "" && (a.Title == "" || strings.EqualFold(normTitle(a.Title), normTitle(b.Title))) {
		out.Title = b.Title
	} else if out.Title == "" {
		out.Title = b.Title
	}
	if len(b.Abstract) >= len(a.Abstract) {
		out.Abstract = b.Abstract
	}
	if len(b.Authors) >= len(a.Authors) && len(b.Authors) > 0 {
		out.Authors = b.Authors
	}
	out.AuthorCount = max(a.AuthorCount, b.AuthorCount, len(out.Authors))
	out.Published = earliest(a.Published, b.Published)
	out.Updated = latest(a.Updated, b.Updated)
	out.Upvotes = max(a.Upvotes, b.Upvotes)
	out.NumComments = max(a.NumComments, b.NumComments)
	out.GitHubStars = max(a.GitHubStars, b.GitHubStars)
	out.Categories = union(a.Categories, b.Categories)
	out.Keywords = union(a.Keywords, b.Keywords)
	out.FeaturedOn = earliest(a.FeaturedOn, b.FeaturedOn)
	for _, f := range []struct{ dst, src *string }{
		{&out.URL, &b.URL}, {&out.PDFURL, &b.PDFURL}, {&out.HFURL, &b.HFURL}, {&out.GitHubRepo, &b.GitHubRepo},
		{&out.Comment, &b.Comment}, {&out.JournalRef, &b.JournalRef}, {&out.DOI, &b.DOI},
	} {
		if *f.dst == "" {
			*f.dst = *f.src
		}
	}
	out.Source = strings.Join(union(strings.Split(a.Source, ","), strings.Split(b.Source, ",")), ",")
	return out
}

func earliest(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "" || a < b:
		return a
	}
	return b
}

func latest(a, b string) string {
	if a > b {
		return a
	}
	return b
}

func union(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	for _, v := range slices.Concat(a, b) {
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
