package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// query combines a plan's matching and ranking into one Bleve query.
func (p *plan) query() query.Query {
	switch {
	case p.match == nil:
		return p.bag
	case p.bag.empty():
		if _, all := p.match.(*query.MatchAllQuery); all {
			return p.match
		}
		return zeroScore{p.match}
	}
	return query.NewBooleanQuery([]query.Query{zeroScore{p.match}}, []query.Query{p.bag}, nil)
}

// filter is the query that selects the plan's papers, unscored.
func (p *plan) filter() query.Query {
	if p.match == nil {
		return zeroScore{p.bag}
	}
	return zeroScore{p.match}
}

// rankQuery returns the query that ranks a request: the plan's, or, for a
// relevance-sorted text query, a second pass whose bag is enriched with
// terms typical of the first pass's top papers (RM3 pseudo-relevance
// feedback). The second pass matches exactly the papers the first did.
func (x *Index) rankQuery(ctx context.Context, p *plan, r Request) (query.Query, error) {
	base := p.query()
	rk := p.bag.rank
	if r.Sort != SortRelevance || len(p.bag.terms) == 0 || rk.fbDocs == 0 {
		return base, nil
	}
	// Feedback comes from the query alone, not from its filters: a filter
	// then only selects papers and never changes their scores.
	req := bleve.NewSearchRequestOptions(base, rk.fbDocs, 0, false)
	req.SortByCustom(sortOrder(SortRelevance))
	var found []uint64
	p.bag.seen = &found
	res, err := x.bi.SearchInContext(ctx, req)
	p.bag.seen = nil
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", r.Query, err)
	}
	if len(res.Hits) == 0 {
		return base, nil
	}
	ids := make([]string, len(res.Hits))
	var total float64
	for i, h := range res.Hits {
		ids[i] = h.ID
		total += h.Score
	}
	if total <= 0 {
		return base, nil
	}
	papers, err := x.lookup(ctx, ids)
	if err != nil {
		return nil, err
	}
	// P(w|R): each top paper's term distribution, weighted by its share of
	// the top scores.
	fb := map[string]float64{}
	for _, h := range res.Hits {
		p := papers[h.ID]
		toks := analyze(x.prose, p.Title+"\n"+p.Abstract)
		if len(toks) == 0 {
			continue
		}
		tf := map[string]float64{}
		for _, t := range toks {
			tf[t]++
		}
		for t, n := range tf {
			fb[t] += n / float64(len(toks)) * h.Score / total
		}
	}
	type weighted struct {
		term string
		w    float64
	}
	var cands []weighted
	for t, w := range fb {
		if len(t) < 2 {
			continue
		}
		if _, err := strconv.Atoi(t); err == nil {
			continue // numbers say little about a topic
		}
		cands = append(cands, weighted{t, w})
	}
	slices.SortFunc(cands, func(a, b weighted) int {
		if c := cmp.Compare(b.w, a.w); c != 0 {
			return c
		}
		return cmp.Compare(a.term, b.term)
	})
	cands = cands[:min(len(cands), rk.fbTerms)]
	var fbSum, qSum float64
	for _, c := range cands {
		fbSum += c.w
	}
	for _, t := range p.bag.terms {
		qSum += t.weight
	}
	if fbSum == 0 || qSum == 0 {
		return base, nil
	}
	keep := rk.fbKeep / qSum
	// The second pass ranks the first pass's papers only: reading the
	// postings of common feedback words for all papers would cost more
	// than the rest of the search.
	bag := &bagQuery{rank: rk, pairs: p.bag.pairs, within: found}
	at := map[string]int{}
	for _, t := range p.bag.terms {
		t.weight *= keep
		if t.fields == 0 || t.fields == 3 {
			at[t.text] = len(bag.terms)
		}
		bag.terms = append(bag.terms, t)
	}
	for _, t := range p.bag.names {
		t.weight *= keep
		bag.names = append(bag.names, t)
	}
	for _, c := range cands {
		w := (1 - rk.fbKeep) * c.w / fbSum
		if i, ok := at[c.term]; ok {
			bag.terms[i].weight += w
			continue
		}
		bag.terms = append(bag.terms, queryTerm{text: c.term, weight: w, fields: 3, note: "from the top results (feedback)"})
	}
	return query.NewBooleanQuery([]query.Query{p.filter()}, []query.Query{bag}, nil), nil
}
