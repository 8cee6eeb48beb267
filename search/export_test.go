package search

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// SearchWithBleve runs a request the way papersearch did before it had its
// own collector: filters in the query, Bleve's sort and term facets, one
// more search per filtered facet group. Tests hold Search to it. It
// ignores cursors and highlights nothing.
func (x *Index) SearchWithBleve(ctx context.Context, r Request) (Result, error) {
	if err := r.Normalize(); err != nil {
		return Result{}, err
	}
	text, err := compileText(r.Query)
	if err != nil {
		return Result{}, err
	}
	from := (r.Page - 1) * r.Size
	req := bleve.NewSearchRequestOptions(withFilters(text, r, ""), r.Size, from, false)
	req.Fields = []string{fieldDoc}
	req.SortByCustom(sortOrder(r.Sort))
	groups := []struct {
		name   string
		size   int
		active bool
	}{
		{fieldTopics, topicFacetSize, len(r.Topics) > 0},
		{fieldYear, yearFacetSize, r.YearFrom != 0 || r.YearTo != 0},
		{fieldCategories, categoryFacetSize, len(r.Categories) > 0},
	}
	for _, g := range groups {
		if !g.active {
			req.AddFacet(g.name, bleve.NewFacetRequest(g.name, g.size))
		}
	}
	res, err := x.bi.SearchInContext(ctx, req)
	if err != nil {
		return Result{}, err
	}
	facets := res.Facets
	for _, g := range groups {
		if !g.active {
			continue
		}
		fr := bleve.NewSearchRequestOptions(withFilters(text, r, g.name), 0, 0, false)
		fr.AddFacet(g.name, bleve.NewFacetRequest(g.name, g.size))
		fres, err := x.bi.SearchInContext(ctx, fr)
		if err != nil {
			return Result{}, err
		}
		if facets == nil {
			facets = bsearch.FacetResults{}
		}
		facets[g.name] = fres.Facets[g.name]
	}
	out := Result{Query: r.Query, Sort: r.Sort, Total: res.Total, Page: r.Page, Size: r.Size}
	for _, h := range res.Hits {
		p, err := fromFields(h.ID, h.Fields)
		if err != nil {
			return Result{}, err
		}
		out.Hits = append(out.Hits, Hit{Paper: p, Score: h.Score})
	}
	out.Facets = Facets{
		Topics:     facetValues(facets[fieldTopics]),
		Years:      facetValues(facets[fieldYear]),
		Categories: facetValues(facets[fieldCategories]),
	}
	slices.SortFunc(out.Facets.Years, func(a, b FacetValue) int { return strings.Compare(b.Value, a.Value) })
	return out, nil
}

// withFilters wraps text in the request's filters, leaving out the group
// named skip (for disjunctive facet counts).
func withFilters(text query.Query, r Request, skip string) query.Query {
	var filters []query.Query
	if skip != fieldTopics && len(r.Topics) > 0 {
		filters = append(filters, anyTerm(fieldTopics, r.Topics))
	}
	if skip != fieldCategories && len(r.Categories) > 0 {
		filters = append(filters, anyTerm(fieldCategories, r.Categories))
	}
	if skip != fieldYear && (r.YearFrom != 0 || r.YearTo != 0) {
		filters = append(filters, yearRange(r.YearFrom, r.YearTo))
	}
	if len(filters) == 0 {
		return text
	}
	// Filters must not change scores: a boolean query's must clauses add
	// to them, so the filters go in with zero boost.
	for _, f := range filters {
		if b, ok := f.(query.BoostableQuery); ok {
			b.SetBoost(0)
		}
	}
	return query.NewConjunctionQuery(append([]query.Query{text}, filters...))
}

func anyTerm(field string, values []string) query.Query {
	qs := make([]query.Query, 0, len(values))
	for _, v := range values {
		t := query.NewTermQuery(v)
		t.SetField(field)
		// The disjunction's own zero boost does not reach its clauses:
		// without this, a filter on two topics changed scores.
		t.SetBoost(0)
		qs = append(qs, t)
	}
	if len(qs) == 1 {
		return qs[0]
	}
	return query.NewDisjunctionQuery(qs)
}

func yearRange(from, to int) query.Query {
	// Dates are keywords that sort as they read.
	var start, end string
	if from != 0 {
		start = fmt.Sprintf("%04d-01-01", from)
	}
	if to != 0 {
		end = fmt.Sprintf("%04d-01-01", to+1)
	}
	incl, excl := true, false
	q := query.NewTermRangeInclusiveQuery(start, end, &incl, &excl)
	q.SetField(fieldPublished)
	return q
}

// sortOrder ends every order with the document id, so that hits never tie
// and a cursor's position is exact. Fields sort as SortFieldAuto, which for
// our single-valued numeric fields orders exactly as the typed sorts do, but
// reports the raw key, missing values included: that is what a cursor can
// hand back to search-after unchanged (the typed sorts would have it parse
// the "missing" marker as a date, and fail).
func sortOrder(s string) bsearch.SortOrder {
	score := &bsearch.SortScore{Desc: true}
	published := func(desc bool) *bsearch.SortField {
		return &bsearch.SortField{Field: fieldPublished, Desc: desc, Type: bsearch.SortFieldAuto, Missing: bsearch.SortFieldMissingLast}
	}
	id := &bsearch.SortDocID{}
	switch s {
	case SortNewest:
		return bsearch.SortOrder{published(true), score, id}
	case SortOldest:
		return bsearch.SortOrder{published(false), score, id}
	case SortUpvotes:
		return bsearch.SortOrder{&bsearch.SortField{Field: fieldUpvotes, Desc: true, Type: bsearch.SortFieldAuto, Missing: bsearch.SortFieldMissingLast}, score, published(true), id}
	default:
		return bsearch.SortOrder{score, published(true), id}
	}
}

func facetValues(fr *bsearch.FacetResult) []FacetValue {
	out := []FacetValue{}
	if fr == nil || fr.Terms == nil {
		return out
	}
	for _, t := range fr.Terms.Terms() {
		out = append(out, FacetValue{Value: t.Term, Count: t.Count})
	}
	return out
}
