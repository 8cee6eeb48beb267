package search

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"math/bits"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// The collector (filters, facets, order from columns) and the ranker's own
// posting reader replace Bleve's. These tests hold Search to an answer
// computed another way: Bleve's own collector finds the papers and their
// scores, and the filters, facet counts and order are worked out here from
// the stored papers.

var refVocab = strings.Fields("alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega tensor sparse kernel")

func refCorpus(rng *rand.Rand, n, gen int) []Paper {
	topics := []string{"quantization", "pruning", "distillation", "perplexity", "reasoning", "agents"}
	cats := []string{"cs.LG", "cs.CL", "cs.CV", "stat.ML", "cs.AI"}
	words := func(k int) string {
		w := make([]string, k)
		for i := range w {
			w[i] = refVocab[rng.IntN(len(refVocab))]
		}
		return strings.Join(w, " ")
	}
	pick := func(from []string, k int) []string {
		out := []string{}
		for _, i := range rng.Perm(len(from))[:k] {
			out = append(out, from[i])
		}
		return out
	}
	ps := make([]Paper, n)
	for i := range ps {
		p := Paper{
			ID:         fmt.Sprintf("ref-%03d", i),
			Title:      words(3 + rng.IntN(4)),
			Abstract:   words(10 + rng.IntN(30)),
			Authors:    []string{"Ada Lovelace", "Alan Turing"}[:1+rng.IntN(2)],
			Upvotes:    rng.IntN(4), // few values: ties are the point
			Topics:     pick(topics, rng.IntN(3)),
			Categories: pick(cats, 1+rng.IntN(2)),
		}
		if rng.IntN(10) > 0 {
			p.Published = time.Date(2019+rng.IntN(7), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC).Format("2006-01-02")
		}
		if gen > 0 {
			p.Title += " revised"
		}
		ps[i] = p
	}
	return ps
}

// openRefIndex builds an index over several segments, with updated and
// deleted papers, so that columns and postings meet deleted documents.
func openRefIndex(t *testing.T) *Index {
	t.Helper()
	x, err := Open(filepath.Join(t.TempDir(), "index"), slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	rng := rand.New(rand.NewPCG(7, 11))
	ps := refCorpus(rng, 400, 0)
	for i := 0; i < len(ps); i += 100 {
		if err := x.Put(ps[i : i+100]); err != nil {
			t.Fatal(err)
		}
		// Search between batches, so that caches hold segments that
		// later batches delete from or merge away.
		if _, err := x.Search(context.Background(), Request{Query: "alpha beta"}); err != nil {
			t.Fatal(err)
		}
	}
	updated := refCorpus(rng, 40, 1)
	if err := x.Put(updated); err != nil {
		t.Fatal(err)
	}
	if err := x.Delete([]string{"ref-100", "ref-101", "ref-102", "ref-250", "ref-399"}); err != nil {
		t.Fatal(err)
	}
	return x
}

// neverMerge is a merge plan that keeps every batch a segment of its own.
func neverMerge() map[string]any {
	return map[string]any{"MaxSegmentSize": maxSegmentDocs, "MaxSegmentsPerTier": 1000, "SegmentsPerMergeTask": 1000, "FloorSegmentSize": 1}
}

// openSegmentedRefIndex is openRefIndex, kept in several segments.
func openSegmentedRefIndex(t *testing.T) *Index {
	t.Helper()
	// Bleve merges a small index into one segment, and deleted papers with
	// it: a plan that never merges keeps every batch a segment of its own.
	saved := mergePlan
	mergePlan = neverMerge
	x := openRefIndex(t)
	mergePlan = saved
	r, err := x.reader()
	if err != nil {
		t.Fatal(err)
	}
	segs := len(r.(*scorch.IndexSnapshot).Segments())
	r.Close()
	if segs < 3 {
		t.Fatalf("the index has %d segments; the test needs several", segs)
	}
	t.Logf("%d segments", segs)
	return x
}

// snapshotView opens a reader on x's latest snapshot, closed when the test
// ends, and a segmentView of it with cache.
func snapshotView(t *testing.T, x *Index, cache *postingsCache) (index.IndexReader, *segmentView) {
	t.Helper()
	r, err := x.reader()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	v, err := newSegmentView(r, cache)
	if err != nil {
		t.Fatal(err)
	}
	return r, v
}

type refAnswer struct {
	total  int
	ids    []string // every matching paper, in order
	facets Facets
}

// reference answers r with Bleve's collector and the stored papers.
func reference(t *testing.T, x *Index, r Request) refAnswer {
	t.Helper()
	ctx := context.Background()
	if err := r.Normalize(); err != nil {
		t.Fatal(err)
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	p, text, err := x.plan(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	all := func(q query.Query) map[string]float64 {
		req := bleve.NewSearchRequestOptions(q, 10000, 0, false)
		res, err := x.bi.SearchInContext(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, h := range res.Hits {
			out[h.ID] = h.Score
		}
		return out
	}
	// Which papers match comes from the plan's filter, which Bleve's own
	// searchers evaluate; their order from the ranking query's scores.
	scores := all(text)
	selected := all(bleveMatch(p))
	if len(selected) != len(scores) {
		t.Errorf("%q: the ranking query finds %d papers, the plan's filter %d", r.Query, len(scores), len(selected))
	}
	papers := map[string]Paper{}
	{
		ids := make([]string, 0, len(selected))
		for id := range selected {
			ids = append(ids, id)
		}
		papers, err = x.lookup(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
	}
	inYears := func(p Paper) bool {
		if r.YearFrom == 0 && r.YearTo == 0 {
			return true
		}
		if p.Published == "" {
			return false
		}
		y, _ := strconv.Atoi(p.Published[:4])
		return (r.YearFrom == 0 || y >= r.YearFrom) && (r.YearTo == 0 || y <= r.YearTo)
	}
	anyOfStrings := func(have, want []string) bool {
		if len(want) == 0 {
			return true
		}
		for _, h := range have {
			if slices.Contains(want, h) {
				return true
			}
		}
		return false
	}
	var ans refAnswer
	topicCounts, catCounts, yearCounts := map[string]int{}, map[string]int{}, map[string]int{}
	for id := range selected {
		pp := papers[id]
		inT, inC, inY := anyOfStrings(pp.Topics, r.Topics), anyOfStrings(pp.Categories, r.Categories), inYears(pp)
		if inC && inY {
			for _, v := range pp.Topics {
				topicCounts[v]++
			}
		}
		if inT && inY {
			for _, v := range pp.Categories {
				catCounts[v]++
			}
		}
		if inT && inC && pp.Published != "" {
			yearCounts[pp.Published[:4]]++
		}
		if inT && inC && inY {
			ans.ids = append(ans.ids, id)
		}
	}
	ans.total = len(ans.ids)
	key := func(id string) rankKey {
		pp := papers[id]
		k := rankKey{Score: scores[id], Published: noDate, Upvotes: float64(pp.Upvotes), ID: id}
		if pp.Published != "" {
			tm, err := time.Parse("2006-01-02", pp.Published)
			if err != nil {
				t.Fatal(err)
			}
			k.Published = tm.Unix()
		}
		return k
	}
	compare := comparer(r.Sort)
	slices.SortFunc(ans.ids, func(a, b string) int {
		ka, kb := key(a), key(b)
		return compare(&ka, &kb)
	})
	facet := func(m map[string]int, size int) []FacetValue {
		out := []FacetValue{}
		for v, n := range m {
			out = append(out, FacetValue{Value: v, Count: n})
		}
		slices.SortFunc(out, func(a, b FacetValue) int { return cmp.Or(b.Count-a.Count, strings.Compare(a.Value, b.Value)) })
		return out[:min(len(out), size)]
	}
	ans.facets = Facets{Topics: facet(topicCounts, topicFacetSize), Years: facet(yearCounts, yearFacetSize), Categories: facet(catCounts, categoryFacetSize)}
	slices.SortFunc(ans.facets.Years, func(a, b FacetValue) int { return strings.Compare(b.Value, a.Value) })
	return ans
}

func TestSearchMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		name        string
		minPostings int
	}{
		{"postings read from Bleve", 1 << 30},
		{"postings read from the cache", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := openRefIndex(t)
			x.postings.minPostings = tc.minPostings
			checkAgainstReference(t, x)
		})
	}
}

func checkAgainstReference(t *testing.T, x *Index) {
	queries := []string{"", "alpha", "alpha beta", `"alpha beta"`, "alpha -beta", "gamma OR delta", "kernel sparse tensor", "author:turing sigma"}
	filters := []Request{
		{},
		{Topics: []string{"pruning"}},
		{Topics: []string{"pruning", "agents"}, Categories: []string{"cs.CL"}},
		{YearFrom: 2021, YearTo: 2023},
		{Topics: []string{"reasoning"}, Categories: []string{"cs.LG", "stat.ML"}, YearFrom: 2024},
		{Topics: []string{"no-such-topic"}},
	}
	rng := rand.New(rand.NewPCG(3, 5))
	for _, q := range queries {
		// Fresh updates leave deleted documents in live segments, which
		// every reader of postings and columns must skip (a merge would
		// otherwise have removed them by now).
		updates := refCorpus(rng, 60, 2)[rng.IntN(50):][:10]
		if err := x.Put(updates); err != nil {
			t.Fatal(err)
		}
		for fi, f := range filters {
			for _, sort := range Sorts {
				r := f
				r.Query, r.Sort, r.Size = q, sort, 7
				checkRequest(t, x, fmt.Sprintf("%s/filters%d/%s", q, fi, sort), r, []int{1, 3})
			}
		}
	}
}

// checkRequest holds the given pages of r, and a walk of its cursors, to
// the reference answer.
func checkRequest(t *testing.T, x *Index, name string, r Request, pages []int) {
	t.Helper()
	ctx := context.Background()
	want := reference(t, x, r)
	for _, page := range pages {
		r.Page = page
		got, err := x.Search(ctx, r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if int(got.Total) != want.total {
			t.Errorf("%s: total %d, want %d", name, got.Total, want.total)
		}
		from := min((page-1)*r.Size, len(want.ids))
		wantIDs := want.ids[from:min(from+r.Size, len(want.ids))]
		if ids := hitIDs(got.Hits); !slices.Equal(ids, wantIDs) {
			t.Errorf("%s page %d: hits %v, want %v", name, page, ids, wantIDs)
		}
		if fmt.Sprint(got.Facets) != fmt.Sprint(want.facets) {
			t.Errorf("%s: facets\n%v\nwant\n%v", name, got.Facets, want.facets)
		}
	}
	// Leaving facet groups out changes nothing else, and the groups kept
	// count as before.
	for _, skip := range [][]string{{FacetTopic}, {FacetYear}, {FacetCategory}, {FacetCategory, FacetTopic}, FacetGroups} {
		s := r
		s.Page, s.NoFacets = 1, skip
		got, err := x.Search(ctx, s)
		if err != nil {
			t.Fatalf("%s without facets %v: %v", name, skip, err)
		}
		wantFacets := want.facets
		for _, g := range skip {
			switch g {
			case FacetTopic:
				wantFacets.Topics = nil
			case FacetYear:
				wantFacets.Years = nil
			case FacetCategory:
				wantFacets.Categories = nil
			}
		}
		wantIDs := want.ids[:min(r.Size, len(want.ids))]
		if ids := hitIDs(got.Hits); int(got.Total) != want.total || !slices.Equal(ids, wantIDs) {
			t.Errorf("%s without facets %v: %d hits %v, want %d %v", name, skip, got.Total, ids, want.total, wantIDs)
		}
		if !reflect.DeepEqual(got.Facets, wantFacets) {
			t.Errorf("%s without facets %v: facets\n%#v\nwant\n%#v", name, skip, got.Facets, wantFacets)
		}
	}
	// Following cursors walks the whole order.
	r.Page = 0
	var walked []string
	for range 200 {
		got, err := x.Search(ctx, r)
		if err != nil {
			t.Fatalf("%s cursor: %v", name, err)
		}
		walked = append(walked, hitIDs(got.Hits)...)
		if got.NextCursor == "" {
			break
		}
		r.Cursor = got.NextCursor
	}
	if !slices.Equal(walked, want.ids) {
		t.Errorf("%s: cursor walk %v, want %v", name, walked, want.ids)
	}
}

// TestSearchBeyondFeedbackDepth holds searches that match more papers than
// feedback reranks (rerankDepth) to the reference: the collector offers the
// reranked papers first and the others only when one could still be kept
// (a deep page, a cursor past them, a filter that few of them pass).
func TestSearchBeyondFeedbackDepth(t *testing.T) {
	x, err := Open(filepath.Join(t.TempDir(), "index"), slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rng := rand.New(rand.NewPCG(13, 17))
	ps := refCorpus(rng, 3*rerankDepth, 0)
	for i := range ps {
		ps[i].ID = fmt.Sprintf("deep-%04d", i)
		// Rare categories, as most of arXiv's are: too few papers each
		// for the collector to keep them as a bitset (see denseValue).
		if i%2 == 0 {
			ps[i].Categories = append(ps[i].Categories, fmt.Sprintf("rare.%d", i%200))
		}
	}
	if err := x.Put(ps); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		r     Request
		pages []int
	}{
		{"first page", Request{Query: "alpha beta", Size: 10}, []int{1, 2}},
		{"past the reranked papers", Request{Query: "alpha", Size: 10}, []int{rerankDepth/10 - 1, rerankDepth/10 + 1, rerankDepth/10 + 5}},
		{"a filter", Request{Query: "alpha beta", Topics: []string{"pruning"}, Size: 10}, []int{1, 5}},
		{"a filter few pass", Request{Query: "kernel sparse tensor", Topics: []string{"agents"}, Categories: []string{"stat.ML"}, YearFrom: 2024, Size: 10}, []int{1, 2}},
		{"a filter none pass", Request{Query: "alpha", Topics: []string{"no-such-topic"}, Size: 10}, []int{1}},
		{"a rare category", Request{Query: "alpha", Categories: []string{"rare.4", "rare.6"}, Size: 10}, []int{1}},
		{"a topic and a rare category", Request{Query: "alpha beta", Topics: []string{"pruning"}, Categories: []string{"rare.8", "cs.CL"}, Size: 10}, []int{1, 3}},
		{"a big page", Request{Query: "sigma omega", Size: MaxSize}, []int{1, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.r.Sort = SortRelevance
			if want := reference(t, x, tc.r); len(want.ids) <= rerankDepth && tc.r.Topics == nil && tc.r.Categories == nil {
				t.Fatalf("%q matches %d papers, not more than feedback reranks (%d)", tc.r.Query, len(want.ids), rerankDepth)
			}
			checkRequest(t, x, tc.name, tc.r, tc.pages)
		})
	}
}

// bleveMatch is a query of Bleve's own that selects what the plan does: its
// match, or any of its bag's terms.
func bleveMatch(p *plan) query.Query {
	if p.match != nil {
		return p.match
	}
	var qs []query.Query
	for _, t := range p.bag.terms {
		for fi, field := range proseFields {
			if t.fields == 0 || t.fields&(1<<fi) != 0 {
				qs = append(qs, termQuery(field, t.text))
			}
		}
	}
	for _, t := range p.bag.names {
		qs = append(qs, termQuery(fieldAuthors, t.text))
	}
	return query.NewDisjunctionQuery(qs)
}

func hitIDs(hits []Hit) []string {
	ids := []string{}
	for _, h := range hits {
		ids = append(ids, h.Paper.ID)
	}
	return ids
}

// TestPostingsCacheEvicts holds the cache to its byte budget.
func TestPostingsCacheEvicts(t *testing.T) {
	c := newPostingsCache(64 * 1024)
	for i := range 100 {
		d := &decoded{docs: make([]uint32, 1000), tf: make([]uint16, 1000)}
		c.put(postingsKey{field: "abstract", term: strconv.Itoa(i)}, d)
		if c.bytes > c.limit {
			t.Fatalf("after %d entries: %d bytes held, over the limit of %d", i+1, c.bytes, c.limit)
		}
	}
	if len(c.m) == 0 || len(c.m) > 10 {
		t.Errorf("%d entries of 6 KB each held in 64 KB", len(c.m))
	}
	c.forget(func(segment.Segment) bool { return true })
	if len(c.m) != 0 || c.bytes != 0 {
		t.Errorf("after forgetting every segment: %d entries, %d bytes", len(c.m), c.bytes)
	}
}

func TestWarmReadsColumnsAndStats(t *testing.T) {
	x, err := Open(filepath.Join(t.TempDir(), "index"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if err := x.Put(refCorpus(rand.New(rand.NewPCG(1, 2)), 50, 0)); err != nil {
		t.Fatal(err)
	}
	if err := x.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	x.cols.mu.Lock()
	segs := len(x.cols.segs)
	x.cols.mu.Unlock()
	x.stats.mu.Lock()
	st := x.stats.st
	x.stats.mu.Unlock()
	if segs == 0 || st.n != 50 || st.avgLen[1] <= 0 {
		t.Errorf("after Warm: columns of %d segments, statistics %+v", segs, st)
	}
}

// Warm decodes the lists of the commonest words, with and without their
// positions, in both prose fields, until half the postings cache is used.
func TestWarmDecodesCommonestLists(t *testing.T) {
	for _, c := range []struct {
		name  string
		limit int
		all   bool // every word's lists decoded
	}{
		{"room for all", 1 << 20, true},
		{"room for some", 24 << 10, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			x, err := Open(filepath.Join(t.TempDir(), "index"), slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			if err := x.Put(refCorpus(rand.New(rand.NewPCG(1, 2)), 200, 0)); err != nil {
				t.Fatal(err)
			}
			x.postings.mu.Lock()
			x.postings.m, x.postings.bytes, x.postings.minPostings, x.postings.limit = map[postingsKey]*decoded{}, 0, 1, c.limit
			x.postings.mu.Unlock()
			if err := x.Warm(context.Background()); err != nil {
				t.Fatal(err)
			}
			x.postings.mu.RLock()
			defer x.postings.mu.RUnlock()
			kinds := map[string]int{} // term: lists decoded
			for k := range x.postings.m {
				kinds[k.term]++
			}
			words := 0
			for _, w := range refVocab {
				w = analyze(x.prose, w)[0] // sparse: spars
				switch kinds[w] {
				case 4: // title and abstract, with and without positions
					words++
				case 0:
				default:
					t.Errorf("%q: %d of its 4 lists decoded", w, kinds[w])
				}
			}
			if c.all && words != len(refVocab) {
				t.Errorf("lists of %d words of %d decoded", words, len(refVocab))
			}
			if !c.all && (words == 0 || words == len(refVocab) || x.postings.bytes > c.limit*3/4) {
				t.Errorf("lists of %d words of %d decoded, %d bytes of %d", words, len(refVocab), x.postings.bytes, c.limit)
			}
		})
	}
}

// Writes go on while Warm runs, and neither waits for the other for long:
// Warm once held the read lock and took it again for each word, and a
// write waiting between the two deadlocked both, and every search behind
// them.
func TestWarmBesideWrites(t *testing.T) {
	x, err := Open(filepath.Join(t.TempDir(), "index"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	// Not deferred: closing a stuck index would be stuck too.
	stuck := false
	defer func() {
		if !stuck {
			x.Close()
		}
	}()
	rng := rand.New(rand.NewPCG(1, 2))
	if err := x.Put(refCorpus(rng, 200, 0)); err != nil {
		t.Fatal(err)
	}
	x.postings.mu.Lock()
	x.postings.minPostings = 1
	x.postings.mu.Unlock()
	done := make(chan error, 2)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if err := x.Warm(context.Background()); err != nil {
				done <- err
				return
			}
			// Warm again from nothing: the cache keeps what it decoded.
			x.postings.forget(func(segment.Segment) bool { return true })
		}
	}()
	go func() {
		for i := range 40 {
			if err := x.Put(refCorpus(rng, 5, i+1)); err != nil {
				done <- err
				return
			}
		}
		close(stop)
		done <- nil
	}()
	for range 2 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(30 * time.Second):
			stuck = true
			t.Fatal("Warm and writes beside it are stuck")
		}
	}
}

// After a reopen that failed, reads say the index is unavailable and bring
// it back in the background, without waiting for a write.
func TestReadsReopenAfterFailedReopen(t *testing.T) {
	x, err := Open(filepath.Join(t.TempDir(), "index"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if err := x.Put(refCorpus(rand.New(rand.NewPCG(1, 2)), 20, 0)); err != nil {
		t.Fatal(err)
	}
	// What a failed reopen leaves.
	x.mu.Lock()
	x.bi.Close()
	x.bi = nil
	x.mu.Unlock()
	if _, err := x.Search(context.Background(), Request{Query: "alpha"}); !errors.Is(err, errUnavailable) {
		t.Fatalf("search with the index down: %v, want unavailable", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err := x.Search(context.Background(), Request{})
		if err == nil && res.Total == 20 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index did not come back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestGallop(t *testing.T) {
	docs := []uint32{2, 3, 5, 8, 13, 21, 34, 55, 89}
	for _, tc := range []struct {
		k    int
		doc  uint64
		want int
	}{
		{0, 0, 0},
		{0, 2, 0},
		{0, 4, 2},
		{0, 13, 4},
		{0, 14, 5},
		{3, 8, 3},
		{3, 89, 8},
		{3, 90, 9},
		{9, 1, 9},
		{0, 1 << 40, 9},
	} {
		if got := gallop(docs, tc.k, tc.doc); got != tc.want {
			t.Errorf("gallop(from %d, %d) = %d, want %d", tc.k, tc.doc, got, tc.want)
		}
	}
	// Every start and target against a linear scan.
	for k := 0; k <= len(docs); k++ {
		for doc := uint64(0); doc < 100; doc++ {
			want := k
			for want < len(docs) && uint64(docs[want]) < doc {
				want++
			}
			if got := gallop(docs, k, doc); got != want {
				t.Fatalf("gallop(from %d, %d) = %d, want %d", k, doc, got, want)
			}
		}
	}
}

// TestBestOf holds the heap's pick, sorted in place, to a full sort of
// every paper: the n best by score, ties to the lower document number,
// for n around the number of papers and scores with many ties.
func TestBestOf(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct{ papers, scores int }{{0, 1}, {1, 1}, {50, 3}, {1000, 10}, {5000, 1 << 20}} {
		s := &bagSearcher{accs: make([]docAcc, tc.papers)}
		docs := make([]scoredDoc, tc.papers)
		for i, id := range rng.Perm(tc.papers) {
			s.accs[i].id = uint64(id) * 7
			docs[i] = scoredDoc{acc: int32(i), score: float64(rng.IntN(tc.scores)) / 4}
		}
		want := slices.Clone(docs)
		slices.SortFunc(want, func(a, b scoredDoc) int {
			return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(s.accs[a.acc].id, s.accs[b.acc].id))
		})
		for _, n := range []int{1, 2, 10, 301, tc.papers - 1, tc.papers, tc.papers + 1} {
			if n < 1 {
				continue
			}
			got := s.bestOf(slices.Clone(docs), n)
			if w := want[:min(n, len(want))]; !slices.Equal(got, w) {
				t.Fatalf("%d papers, %d scores, best %d: got %v, want %v", tc.papers, tc.scores, n, got[:min(len(got), 5)], w[:min(len(w), 5)])
			}
		}
	}
}

// TestDocRank holds a long list's docRank to a scan of the list: every
// paper of segments of sizes around the word and the eight-word group
// bounds, lists from sparse to full, and papers past the segment.
func TestDocRank(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []uint64{1, 63, 64, 65, 511, 512, 513, 4097, 20000} {
		for _, density := range []float64{1.0 / rankDensity, 0.3, 0.9, 1} {
			var docs []uint32
			for doc := range n {
				if rng.Float64() < density {
					docs = append(docs, uint32(doc))
				}
			}
			d := (&decoded{docs: docs}).withRank(n)
			if d.rank == nil {
				if uint64(len(docs))*rankDensity >= n {
					t.Fatalf("n %d, %d docs: no rank", n, len(docs))
				}
				continue
			}
			at := map[uint64]int{}
			for k, doc := range docs {
				at[uint64(doc)] = k
			}
			for doc := range n + 130 {
				k, ok := d.find(0, doc)
				want, has := at[doc]
				if ok != has || (ok && k != want) {
					t.Fatalf("n %d, %d docs: find(%d) = %d, %v; want %d, %v", n, len(docs), doc, k, ok, want, has)
				}
			}
			if d.bytes() < 8*int(n/64) {
				t.Errorf("n %d: bytes %d do not count the rank", n, d.bytes())
			}
		}
	}
	// A short list has no rank and is galloped through.
	if d := (&decoded{docs: []uint32{5, 9}}).withRank(1000); d.rank != nil {
		t.Error("a list of 2 papers in 1,000 got a rank")
	}
}

// The bag reads a union of terms and phrases itself; it must select what
// Bleve's searchers select, deleted papers included.
func TestUnionMatchesBleve(t *testing.T) {
	x := openRefIndex(t)
	// Updates leave deleted documents in live segments.
	if err := x.Put(refCorpus(rand.New(rand.NewPCG(1, 2)), 60, 2)[20:40]); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		query string
		union bool
		set   bool // matched as a set: a union, or papers in common of unions
	}{
		{`"alpha beta" gamma`, true, true},
		{`gamma OR "kernel sparse"`, true, true},
		{`LLM kernel`, true, true},
		{`alph* sigma`, true, true},
		{`"sparse tensor"`, true, true},
		{`+alpha +beta`, false, true},
		{`alpha AND "beta gamma"`, false, true},
		{`(alpha OR sigma) AND gamma AND "kernel sparse"`, false, true},
		{`alpha AND NOT beta`, false, false},
		{`+alpha +beta -gamma`, false, false},
		{`alpha AND (beta AND gamma)`, false, false},
		{`alpha AND year:2020..2022`, false, false},
		{`alpha -beta`, false, false},
		{`+alpha "beta gamma"`, false, false},
		{`topic:pruning kernel`, false, false},
	} {
		t.Run(tc.query, func(t *testing.T) {
			p, err := x.compile(ctx, tc.query, compileOptions{expand: true})
			if err != nil {
				t.Fatal(err)
			}
			if p.match == nil {
				t.Fatalf("%q compiles to the bag alone", tc.query)
			}
			if got := isUnion(p.match); got != tc.union {
				t.Fatalf("isUnion = %v, want %v (%T)", got, tc.union, p.match)
			}
			r, v := snapshotView(t, x, x.postings)
			s := &bagSearcher{v: v}
			got, set, n, err := s.matches(ctx, p.match, r, x.mapping)
			if err != nil {
				t.Fatal(err)
			}
			if (set != nil) != tc.set {
				t.Fatalf("matched as a set: %v, want %v", set != nil, tc.set)
			}
			if set != nil {
				if got != nil {
					t.Fatal("matches gave both a list and a set")
				}
				got = set.appendTo(nil)
			}
			if uint64(len(got)) != n {
				t.Errorf("matches counted %d papers, gave %d", n, len(got))
			}
			want, err := matches(ctx, p.match, r, x.mapping)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatalf("%q matches nothing: not a test", tc.query)
			}
			if !slices.Equal(got, want) {
				t.Errorf("matched %d papers, Bleve %d", len(got), len(want))
			}
		})
	}
}

// TestRankSameFromCacheAndBleve ranks queries whose words are paired for
// proximity with postings and positions read through Bleve's iterators and
// from the decoded cache: scores must agree to the bit.
func TestRankSameFromCacheAndBleve(t *testing.T) {
	x := openRefIndex(t)
	ctx := context.Background()
	queries := []string{"alpha beta", "kernel sparse tensor", "sigma omega alpha", `"gamma delta" epsilon`}
	rank := func(minPostings int) [][]Scored {
		x.postings.mu.Lock()
		x.postings.m, x.postings.bytes, x.postings.minPostings = map[postingsKey]*decoded{}, 0, minPostings
		x.postings.mu.Unlock()
		return rankAll(t, x, queries)
	}
	fromBleve, fromCache := rank(1<<30), rank(1)
	for i, q := range queries {
		if !slices.Equal(fromBleve[i], fromCache[i]) {
			t.Errorf("%q: ranked from Bleve's postings\n%v\nfrom the cache\n%v", q, fromBleve[i][:min(10, len(fromBleve[i]))], fromCache[i][:min(10, len(fromCache[i]))])
		}
	}
	// Proximity takes part: the best paper of the first query has a
	// proximity bonus.
	res, err := x.Search(ctx, Request{Query: queries[0], Explain: true, Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	prox := false
	for _, r := range res.Hits[0].Explanation {
		prox = prox || strings.HasPrefix(r.Why, "proximity")
	}
	if !prox {
		t.Errorf("the best paper for %q has no proximity bonus: %v", queries[0], res.Hits[0].Explanation)
	}
}

// An accumulator stays 48 bytes without pointers: one is made for every
// paper a search matches (see docAcc).
func TestDocAccSize(t *testing.T) {
	if n := unsafe.Sizeof(docAcc{}); n != 48 {
		t.Errorf("docAcc is %d bytes, want 48", n)
	}
}

// score looks the length norms of short fields up in a table and works
// out those of long ones: both ways, a paper scores exactly BM25F.
func TestScoreLengthNorms(t *testing.T) {
	rk := defaultRanking()
	s := &bagSearcher{
		q:     &bagQuery{terms: []queryTerm{{text: "x", weight: 0.7}}, rank: rk},
		st:    corpusStats{n: 1000, avgLen: [2]float64{11.3, 142.9}},
		idf:   []float64{2.5},
		arena: []hit{{term: 0, field: 0, tf: 2, next: 1}, {term: 0, field: 1, tf: 3, next: -1}},
		buf:   &bagBuffers{},
	}
	s.setNorms()
	for _, l := range [][2]float32{{0, 0}, {1, 1}, {9, 150}, {normTableLen - 1, normTableLen}, {normTableLen, 3000}, {40000, 70000}} {
		d := &docAcc{head: 0, tail: 1, len: l}
		tfn := 0.0
		tfn += 2 * (rk.titleWeight / (1 - rk.bTitle + rk.bTitle*float64(l[0])/s.st.avgLen[0]))
		tfn += 3 * (1 / (1 - rk.bAbstract + rk.bAbstract*float64(l[1])/s.st.avgLen[1]))
		want := 0.7 * 2.5 * tfn * (rk.k1 + 1) / (tfn + rk.k1)
		if got := s.score(d, nil); got != want {
			t.Errorf("lengths %v: score %v, want %v", l, got, want)
		}
	}
}

// rankAll ranks every paper for each query.
func rankAll(t *testing.T, x *Index, queries []string) [][]Scored {
	t.Helper()
	var out [][]Scored
	for _, q := range queries {
		got, err := x.Rank(context.Background(), Request{Query: q}, MaxRank)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got)
	}
	return out
}

// Once the postings cache is full, long lists are read for a search's
// candidates from their text (see textOverList): the ranking must be the
// one their postings give, to the bit, segments, deletions and updates
// included.
func TestRankSameFromText(t *testing.T) {
	x := openSegmentedRefIndex(t)
	queries := []string{"alpha beta", "kernel sparse tensor", "sigma omega alpha", `"gamma delta" epsilon`, "beta"}
	rank := func(limit, over int) [][]Scored {
		x.postings.mu.Lock()
		x.postings.m, x.postings.bytes, x.postings.minPostings, x.postings.limit = map[postingsKey]*decoded{}, 0, 1, limit
		x.postings.mu.Unlock()
		saved := textOverList
		textOverList = over
		defer func() { textOverList = saved }()
		return rankAll(t, x, queries)
	}
	limit := x.postings.limit
	read := papersReadForTerms.Load()
	fromLists := rank(limit, 1<<30)
	if n := papersReadForTerms.Load() - read; n != 0 {
		t.Fatalf("%d papers read for their terms with the cache not full", n)
	}
	// A cache of no bytes is always full; every list goes to the text.
	fromText := rank(0, 0)
	if papersReadForTerms.Load() == read {
		t.Fatal("no paper read for its terms with the cache full")
	}
	rank(limit, textOverList)
	for i, q := range queries {
		if len(fromLists[i]) == 0 {
			t.Fatalf("%q finds nothing", q)
		}
		if !slices.Equal(fromLists[i], fromText[i]) {
			t.Errorf("%q: ranked from postings\n%v\nfrom the papers' text\n%v", q, fromLists[i][:min(10, len(fromLists[i]))], fromText[i][:min(10, len(fromText[i]))])
		}
	}
}

// The postings cache counts as full, and long lists go to the papers'
// text, only once a list put in it would mostly evict another.
func TestPostingsCacheFull(t *testing.T) {
	for _, c := range []struct {
		limit, bytes int
		full         bool
	}{
		{0, 0, true},
		{1 << 20, 0, false},
		{1 << 20, 1<<20 - 1<<16 - 1, false},
		{1 << 20, 1<<20 - 1<<16, true},
		{1 << 20, 1 << 20, true},
	} {
		pc := newPostingsCache(c.limit)
		pc.bytes = c.bytes
		if got := pc.full(); got != c.full {
			t.Errorf("limit %d, %d bytes held: full %v, want %v", c.limit, c.bytes, got, c.full)
		}
	}
}

// The first pass scores papers as their postings are read (scoreAsRead):
// the rankings, every score to the bit, must be those of scoring each
// paper from its hits, with author names, fields, phrases, filters,
// segments, deletions and updates.
func TestScoreAsRead(t *testing.T) {
	x := openSegmentedRefIndex(t)
	reqs := []Request{
		{Query: "alpha beta"},
		{Query: "turing alpha sparse"},
		{Query: "lovelace"},
		{Query: "title:kernel tensor"},
		{Query: "abstract:sigma omega theta"},
		{Query: `"gamma delta" epsilon`},
		{Query: "kappa lambda", Topics: []string{"pruning"}},
		{Query: "zeta +revised"},
		{Query: "beta -gamma"},
		// Alternatives, scored for their best member: a fuzzy word, two
		// in one query, one in titles only.
		{Query: "zeta~1 kernel"},
		{Query: "tensor~1 zeta~1 sigma"},
		{Query: "title:zeta~1 alpha"},
		// A prefix's completions, beside an author's name; a word's
		// spellings, one group and two; groups under a filter.
		{Query: "kern* lovelace"},
		{Query: "dialogue kernel"},
		{Query: "optimisation colour"},
		{Query: "zeta~1 kernel", Topics: []string{"pruning"}},
		{Query: "title:dialog zeta~1", Topics: []string{"pruning"}},
	}
	// Misspellings one edit away give the fuzzy words their alternatives,
	// other words the prefix, and spellings their variants, in a segment
	// of their own.
	rng := rand.New(rand.NewPCG(3, 5))
	vocab := append(slices.Clone(refVocab), "zetta", "zetta", "tensar", "tensar", "kernels", "kern",
		"dialogue", "dialog", "optimisation", "optimization", "colour", "color")
	var typos []Paper
	for i := range 40 {
		words := func(k int) string {
			w := make([]string, k)
			for j := range w {
				w[j] = vocab[rng.IntN(len(vocab))]
			}
			return strings.Join(w, " ")
		}
		typos = append(typos, Paper{ID: fmt.Sprintf("typo-%02d", i), Title: words(4), Abstract: words(20), Authors: []string{"Ada Lovelace"}, Topics: []string{"pruning"}})
	}
	if err := x.Put(typos); err != nil {
		t.Fatal(err)
	}
	// The fuzzy words must make groups of more than one term.
	grouped := 0
	for _, r := range reqs {
		x.mu.RLock()
		p, _, err := x.plan(context.Background(), r)
		x.mu.RUnlock()
		if err != nil {
			t.Fatal(err)
		}
		members := map[int]int{}
		for _, term := range p.bag.terms {
			if term.group != 0 {
				members[term.group]++
			}
		}
		for _, n := range members {
			if n > 1 {
				grouped++
			}
		}
	}
	if grouped < 8 {
		t.Fatalf("%d groups of alternatives in the requests; the test needs several", grouped)
	}
	rank := func(off bool) [][]Scored {
		scoreAsReadOff = off
		defer func() { scoreAsReadOff = false }()
		var out [][]Scored
		for _, r := range reqs {
			got, err := x.Rank(context.Background(), r, MaxRank)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, got)
		}
		return out
	}
	before := searchesScoredAsRead.Load()
	asRead := rank(false)
	if n := searchesScoredAsRead.Load() - before; n < int64(len(reqs)) {
		t.Fatalf("%d searches of %d scored as read", n, len(reqs))
	}
	before = searchesScoredAsRead.Load()
	fromHits := rank(true)
	if n := searchesScoredAsRead.Load() - before; n != 0 {
		t.Fatalf("%d searches scored as read with it off", n)
	}
	// What a page says beside its ranking: the total and the facets.
	counts := func() []string {
		var out []string
		for _, r := range reqs {
			res, err := x.Search(context.Background(), r)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%d %v", res.Total, res.Facets))
		}
		return out
	}
	unsplitCounts := counts()
	// The first pass split over two cores.
	func() {
		defer func(min uint64, share float64) { splitMinPapers, splitShare = min, share }(splitMinPapers, splitShare)
		splitMinPapers, splitShare = 0, 1<<30
		before := searchesSplit.Load()
		split := rank(false)
		// All but "lovelace", an author's name and no prose term.
		if n := searchesSplit.Load() - before; n < int64(len(reqs)-1) {
			t.Fatalf("%d searches of %d split", n, len(reqs))
		}
		for i, r := range reqs {
			if !slices.Equal(split[i], fromHits[i]) {
				t.Errorf("%+v: split over two cores\n%v\nfrom the hits\n%v", r, split[i][:min(10, len(split[i]))], fromHits[i][:min(10, len(fromHits[i]))])
			}
		}
		// Twice: the second half's buffers come back from the pool.
		for range 2 {
			if got := counts(); !slices.Equal(got, unsplitCounts) {
				t.Errorf("split over two cores, totals and facets\n%v\nwant\n%v", got, unsplitCounts)
			}
		}
	}()
	// Counts that disagree with the lists turn scoring as read off
	// halfway, with no hits kept: every paper's are read again.
	asReadMiscounts = true
	before = searchesScoredAsRead.Load()
	miscounted := rank(false)
	asReadMiscounts = false
	if n := searchesScoredAsRead.Load() - before; n != 0 {
		t.Fatalf("%d searches scored as read with miscounts", n)
	}
	for i, r := range reqs {
		if len(fromHits[i]) < 2 {
			t.Fatalf("%+v finds %d papers", r, len(fromHits[i]))
		}
		if !slices.Equal(asRead[i], fromHits[i]) {
			t.Errorf("%+v: scored as read\n%v\nfrom the hits\n%v", r, asRead[i][:min(10, len(asRead[i]))], fromHits[i][:min(10, len(fromHits[i]))])
		}
		if !slices.Equal(miscounted[i], fromHits[i]) {
			t.Errorf("%+v: with miscounts\n%v\nfrom the hits\n%v", r, miscounted[i][:min(10, len(miscounted[i]))], fromHits[i][:min(10, len(fromHits[i]))])
		}
	}
	// Explained searches keep their hits and score them as read too.
	for _, q := range []string{"zeta~1 kernel", "optimisation colour", "kern* lovelace"} {
		page := func(off bool) []Scored {
			scoreAsReadOff = off
			defer func() { scoreAsReadOff = false }()
			res, err := x.Search(context.Background(), Request{Query: q, Size: 50, Explain: true})
			if err != nil {
				t.Fatal(err)
			}
			var out []Scored
			for _, h := range res.Hits {
				out = append(out, Scored{ID: h.Paper.ID, Score: h.Score})
			}
			return out
		}
		if got, want := page(false), page(true); len(want) < 2 || !slices.Equal(got, want) {
			t.Errorf("%q explained: scored as read\n%v\nfrom the hits\n%v", q, got, want)
		}
	}
}

// A paper read from its text has its fields' lengths as the index has
// them, whether the decoded lists have filled them in already or they are
// counted from the text.
func TestPaperTextLengths(t *testing.T) {
	x := openSegmentedRefIndex(t)
	read := func(filled bool) map[uint64][2]uint32 {
		cache := newPostingsCache(1 << 20)
		_, v := snapshotView(t, x, cache)
		v.texts = newPaperTexts(x.prose)
		v.texts.want = map[string]bool{"alpha": true}
		// Every paper has some of the vocabulary's words in each field.
		lens := map[uint64][2]uint32{}
		for _, w := range refVocab {
			for fi, field := range proseFields {
				_, err := v.each(context.Background(), []byte(w), field, func(num uint64, _, length uint32) {
					l := lens[num]
					l[fi] = length
					lens[num] = l
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		if !filled {
			clear(cache.lens)
		}
		got := map[uint64][2]uint32{}
		for i := range v.segs {
			for doc := range v.segs[i].Segment().Count() {
				num := v.starts[i] + doc
				if _, ok := lens[num]; !ok {
					continue // deleted
				}
				p, err := v.paper(i, doc)
				if err != nil {
					t.Fatal(err)
				}
				got[num] = p.len
			}
		}
		if len(got) < 300 || !maps.Equal(got, lens) {
			t.Fatalf("filled %v: %d papers, lengths from the text differ from the postings'", filled, len(got))
		}
		return got
	}
	read(true)
	read(false)
}

// The searcher's rest is the best paper outside its cands, which no other
// paper outside them outscores, and found holds every paper it found: the
// collector takes both from it rather than from the accumulators.
func TestSearcherRestAndFound(t *testing.T) {
	x := openSegmentedRefIndex(t)
	ctx := context.Background()
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, q := range []string{"alpha beta gamma delta epsilon zeta", "kappa lambda sigma omega tensor sparse kernel theta"} {
		r := Request{Query: q}
		if err := r.Normalize(); err != nil {
			t.Fatal(err)
		}
		_, text, err := x.plan(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		bag, ok := text.(*bagQuery)
		if !ok {
			t.Fatalf("%q: a %T, not a bag", q, text)
		}
		reader, err := x.reader()
		if err != nil {
			t.Fatal(err)
		}
		s, err := bag.searcher(ctx, reader, x.mapping, bsearch.SearcherOptions{}, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.cands) != rerankDepth || s.rest < 0 {
			t.Fatalf("%q: %d cands of %d papers, rest %d; the test needs more than %d papers", q, len(s.cands), len(s.docs), s.rest, rerankDepth)
		}
		if s.accs[s.rest].cand {
			t.Errorf("%q: rest is among the cands", q)
		}
		best := math.Inf(-1)
		for i := range s.accs {
			if !s.accs[i].cand {
				best = max(best, s.docs[i].score)
			}
		}
		if got := s.docs[s.rest].score; got != best {
			t.Errorf("%q: rest scores %v, the best paper outside the cands %v", q, got, best)
		}
		n := 0
		for _, word := range s.found {
			n += bits.OnesCount64(word)
		}
		if n != len(s.accs) {
			t.Errorf("%q: found holds %d papers, the searcher has %d", q, n, len(s.accs))
		}
		for i := range s.accs {
			if !s.found.has(s.accs[i].id) {
				t.Fatalf("%q: found lacks paper %d", q, s.accs[i].id)
			}
		}
		s.Close()
		reader.Close()
	}
}

func TestBitRange(t *testing.T) {
	b := newBitset(300)
	for _, i := range []uint64{0, 1, 62, 63, 64, 65, 127, 128, 190, 255, 256, 299} {
		b.set(i)
	}
	for _, c := range []struct{ start, n uint64 }{{0, 300}, {0, 64}, {1, 64}, {63, 2}, {64, 64}, {65, 200}, {100, 200}, {299, 1}, {128, 0}} {
		got := bitRange(b, c.start, c.n)
		if want := uint64(len(newBitset(c.n))); uint64(len(got)) != want {
			t.Fatalf("bitRange(%d, %d): %d words, want %d", c.start, c.n, len(got), want)
		}
		for i := range c.n {
			if got.has(i) != b.has(c.start+i) {
				t.Errorf("bitRange(%d, %d): bit %d is %v, want %v", c.start, c.n, i, got.has(i), b.has(c.start+i))
			}
		}
		for i := c.n; i < uint64(len(got))*64; i++ {
			if got.has(i) {
				t.Errorf("bitRange(%d, %d): bit %d past the end is set", c.start, c.n, i)
			}
		}
	}
}

// TestTopFacets holds the bounded selection to sorting every value: the
// same values in the same order, ties broken by value, for sizes around
// the number of values and for counts with many ties.
func TestTopFacets(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, tc := range []struct {
		name      string
		n, counts int // values, distinct counts
	}{
		{"empty", 0, 1},
		{"one", 1, 1},
		{"all tied", 40, 1},
		{"few counts", 300, 4},
		{"spread", 300, 1000},
		{"categories", 1238, 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vs := make([]FacetValue, tc.n)
			for i := range vs {
				vs[i] = FacetValue{Value: fmt.Sprintf("v%04d", rng.IntN(10000)), Count: 1 + rng.IntN(tc.counts)}
			}
			want := slices.Clone(vs)
			slices.SortFunc(want, func(a, b FacetValue) int {
				if a.Count != b.Count {
					return b.Count - a.Count
				}
				return strings.Compare(a.Value, b.Value)
			})
			for _, size := range []int{0, 1, 2, 10, 30, 50, tc.n - 1, tc.n, tc.n + 1} {
				if size < 0 {
					continue
				}
				got := topFacets(slices.Clone(vs), size)
				if w := want[:min(size, len(want))]; !slices.Equal(got, w) {
					t.Fatalf("size %d: got %v\nwant %v", size, got, w)
				}
			}
		})
	}
}
