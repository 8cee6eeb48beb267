package search_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/papersearch/papersearch/indexer"
	"github.com/papersearch/papersearch/search"
)

var (
	corpusOnce sync.Once
	corpusDir  string
	corpusErr  error
)

// testIndex opens an index of the seed listing and the arXiv fixture,
// tagged with the default taxonomy. It is built once per test binary (in
// its own temporary directory) and opened read-only by each test.
func testIndex(t *testing.T) *search.Index {
	t.Helper()
	corpusOnce.Do(func() {
		corpusDir, corpusErr = os.MkdirTemp("", "papersearch-search-test-")
		if corpusErr != nil {
			return
		}
		corpusErr = buildCorpus(filepath.Join(corpusDir, "index"))
	})
	if corpusErr != nil {
		t.Fatal(corpusErr)
	}
	idx, err := search.Open(filepath.Join(corpusDir, "index"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	return idx
}

func buildCorpus(dir string) error {
	idx, err := search.Open(dir, nil)
	if err != nil {
		return err
	}
	defer idx.Close()
	tax := indexer.DefaultTaxonomy()
	if err := idx.SetTopics(tax.Topics()); err != nil {
		return err
	}
	ix := indexer.New(idx, tax, nil)
	var rejected []error
	ix.OnReject = func(err error) { rejected = append(rejected, err) }
	for _, name := range []string{"seed.txt", "papers.jsonl"} {
		f, err := os.Open(filepath.Join("testdata", name))
		if err != nil {
			return err
		}
		err = ix.IndexReader(context.Background(), f, name, "")
		f.Close()
		if err != nil {
			return err
		}
	}
	if err := ix.Flush(context.Background()); err != nil {
		return err
	}
	return errors.Join(rejected...)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if corpusDir != "" {
		os.RemoveAll(corpusDir)
	}
	os.Exit(code)
}

func text(p search.Paper) string { return strings.ToLower(p.Title + " " + p.Abstract) }

func has(pattern string) func(search.Paper) bool {
	re := regexp.MustCompile(pattern)
	return func(p search.Paper) bool { return re.MatchString(text(p)) }
}

func not(f func(search.Paper) bool) func(search.Paper) bool {
	return func(p search.Paper) bool { return !f(p) }
}

// TestQueryLanguage runs each feature on real abstracts: every hit must
// satisfy what the query asks for.
func TestQueryLanguage(t *testing.T) {
	idx := testIndex(t)
	author := "Cacioli" // of 2604.08976 in papers.jsonl
	tests := []struct {
		query string
		every []func(search.Paper) bool // each hit satisfies each
		want  string                    // an id among the hits
	}{
		{query: `"long context"`, every: []func(search.Paper) bool{has(`long[- ]context`)}},
		{query: `+quantization -vision`, every: []func(search.Paper) bool{has(`quanti[sz]`), not(has(`\bvision`))}},
		{query: `title:distillation`, every: []func(search.Paper) bool{func(p search.Paper) bool { return strings.Contains(strings.ToLower(p.Title), "distill") }}},
		{query: `author:` + author, want: "2604.08976", every: []func(search.Paper) bool{func(p search.Paper) bool {
			return slices.ContainsFunc(p.Authors, func(a string) bool { return strings.Contains(a, author) })
		}}},
		{query: `topic:quantization`, every: []func(search.Paper) bool{func(p search.Paper) bool { return slices.Contains(p.Topics, "quantization") }}},
		{query: `topic:"Long context" llm`, every: []func(search.Paper) bool{func(p search.Paper) bool { return slices.Contains(p.Topics, "long-context") }}},
		{query: `category:cs.cv`, every: []func(search.Paper) bool{func(p search.Paper) bool { return slices.Contains(p.Categories, "cs.CV") }}},
		{query: `year:2026`, every: []func(search.Paper) bool{func(p search.Paper) bool { return strings.HasPrefix(p.Published, "2026") }}},
		{query: `year:2023..2024 model`, every: []func(search.Paper) bool{func(p search.Paper) bool { return p.Published >= "2023" && p.Published < "2025" }}},
		{query: `quant*`, every: []func(search.Paper) bool{has(`\bquant`)}},
		{query: `(distillation OR pruning) AND NOT vision`, every: []func(search.Paper) bool{has(`distill|prun`), not(has(`\bvision`))}},
		{query: `mamba NOT (vision OR image)`, every: []func(search.Paper) bool{has(`mamba`), not(has(`\b(vision|image)`))}},
		{query: `title:quantisation`, every: []func(search.Paper) bool{func(p search.Paper) bool {
			return regexp.MustCompile(`quanti[sz]`).MatchString(strings.ToLower(p.Title))
		}}},
		{query: `quantisation~1`, every: []func(search.Paper) bool{has(`quanti[sz]ation`)}},
		{query: `ptq`, want: "2601.21238", every: []func(search.Paper) bool{has(`ptq|post-training quantization|quantiz`)}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			res, err := idx.Search(context.Background(), search.Request{Query: tc.query, Size: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) == 0 {
				t.Fatal("no hits")
			}
			for _, h := range res.Hits {
				for i, f := range tc.every {
					if !f(h.Paper) {
						t.Errorf("hit %s %q fails condition %d", h.Paper.ID, h.Paper.Title, i)
					}
				}
			}
			if tc.want != "" && !slices.ContainsFunc(res.Hits, func(h search.Hit) bool { return h.Paper.ID == tc.want }) {
				t.Errorf("hits lack %s", tc.want)
			}
			if len(res.Notices) > 0 {
				t.Errorf("notices %q for a well-formed query", res.Notices)
			}
		})
	}
}

func TestCorrection(t *testing.T) {
	idx := testIndex(t)
	for _, tc := range []struct{ query, want string }{
		{"quantizaton", "quantization"},
		{"perplexty", "perplexity"},
		{"distilation", "distillation"},
		{"distilation of reasoning", "distillation of reasoning"},
		// The wildcard dropped before the word goes with the correction:
		// the corrected query is what was searched.
		{"*quantizaton", "quantization"},
		{"**perplexty models", "perplexity models"},
		{"?distilation", "distillation"},
		// The last word, near no word, may be one still being typed.
		{"quant", "quant*"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			res, err := idx.Search(context.Background(), search.Request{Query: tc.query})
			if err != nil {
				t.Fatal(err)
			}
			if res.CorrectedQuery != tc.want || res.Total == 0 {
				t.Errorf("corrected %q with %d hits, want %q with some", res.CorrectedQuery, res.Total, tc.want)
			}
			res, err = idx.Search(context.Background(), search.Request{Query: tc.query, NoCorrect: true})
			if err != nil || res.CorrectedQuery != "" {
				t.Errorf("NoCorrect: corrected %q, err %v", res.CorrectedQuery, err)
			}
		})
	}
	for _, q := range []string{"quantization", "quant xqzv"} {
		res, err := idx.Search(context.Background(), search.Request{Query: q})
		if err != nil || res.CorrectedQuery != "" {
			t.Errorf("%q was corrected to %q (err %v)", q, res.CorrectedQuery, err)
		}
	}
}

func TestExpansions(t *testing.T) {
	idx := testIndex(t)
	for _, tc := range []struct {
		query, to string
		reaches   func(search.Paper) bool // a paper only the expansion finds
	}{
		{"LLM", "large language model", has(`large language model`)},
		{"PTQ", "post-training quantization", nil},
		{"KD", "knowledge distillation", has(`knowledge distillation`)},
		{"RAG", "retrieval-augmented generation", has(`retrieval-augmented generation`)},
		{"SSM", "state space model", nil},
		{"MoE", "mixture of experts", has(`mixture[- ]of[- ]experts`)},
		{"large language models", "LLM", nil},
		{"quantisation", "quantization", has(`quantization`)},
		{"modelling", "", nil}, // the same stem either way: nothing to add
		{"GPTQ", "topic:quantization", nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			res, err := idx.Search(context.Background(), search.Request{Query: tc.query, Size: 100})
			if err != nil {
				t.Fatal(err)
			}
			var to []string
			for _, e := range res.Expansions {
				to = append(to, e.To...)
			}
			if tc.to == "" {
				if len(to) > 0 {
					t.Errorf("expansions %q, want none", to)
				}
				return
			}
			if !slices.Contains(to, tc.to) {
				t.Fatalf("expansions %q lack %q", to, tc.to)
			}
			off, err := idx.Search(context.Background(), search.Request{Query: tc.query, Size: 100, NoExpand: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(off.Expansions) != 0 || off.Total > res.Total {
				t.Errorf("NoExpand: %d hits, expansions %v; expanded: %d hits", off.Total, off.Expansions, res.Total)
			}
			if tc.reaches != nil && !slices.ContainsFunc(res.Hits, func(h search.Hit) bool { return tc.reaches(h.Paper) }) {
				t.Errorf("no hit has the expanded form")
			}
		})
	}
}

// A negated word leaves out its expansions too: -LLM means no papers on
// large language models, and the list says what was left out.
func TestNegatedExpansions(t *testing.T) {
	idx := testIndex(t)
	llm := has(`(?i)\bllms?\b|large[- ]language[- ]models?`)
	for _, tc := range []struct {
		query string
		none  func(search.Paper) bool // no hit may have it
		to    string                  // among the listed expansions
	}{
		{"quantization -LLM", llm, `-"large language model"`},
		{"quantization NOT LLMs", llm, "-LLM"},
		{`quantization -"large language models"`, llm, "-LLM"},
		{"model -quantisation", has(`(?i)quanti[sz]ation`), "-quantization"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			res, err := idx.Search(context.Background(), search.Request{Query: tc.query, Size: 100})
			if err != nil {
				t.Fatal(err)
			}
			if res.Total == 0 {
				t.Fatal("no hits")
			}
			for _, h := range res.Hits {
				if tc.none(h.Paper) {
					t.Errorf("hit %s %q has what the query left out", h.Paper.ID, h.Paper.Title)
				}
			}
			var to []string
			for _, e := range res.Expansions {
				to = append(to, e.To...)
			}
			if !slices.Contains(to, tc.to) {
				t.Errorf("expansions %q lack %q", to, tc.to)
			}
		})
	}
	res, err := idx.Search(context.Background(), search.Request{Query: "llm -llm"})
	if err != nil || res.Total != 0 {
		t.Errorf("llm -llm: %d hits (err %v), want none", res.Total, err)
	}
}

// A phrase with a proximity suffix finds the papers with its words apart
// too, and says how it was read.
func TestPhraseProximity(t *testing.T) {
	idx := openIndex(t)
	papers := []search.Paper{
		{ID: "2501.00401", Title: "Compressing the KV cache", Abstract: "Eviction policies for long prompts."},
		{ID: "2501.00402", Title: "A cache for KV pairs", Abstract: "Storing keys and values of attention in a cache."},
		{ID: "2501.00403", Title: "Cache replacement", Abstract: "Classic policies for processor caches."},
	}
	if err := idx.Put(papers); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		query   string
		want    []string
		notices int
	}{
		{`"kv cache"`, []string{"2501.00401"}, 0},
		{`"kv cache"~3`, []string{"2501.00401", "2501.00402"}, 1},
		{`policies -"kv cache"~3`, []string{"2501.00403"}, 1},
	} {
		t.Run(tc.query, func(t *testing.T) {
			res, err := idx.Search(context.Background(), search.Request{Query: tc.query})
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Sorted(slices.Values(hitIDs(res.Hits))); !slices.Equal(got, tc.want) || len(res.Notices) != tc.notices {
				t.Errorf("hits %v, notices %q; want %v and %d notices", got, res.Notices, tc.want, tc.notices)
			}
		})
	}
}

// Other compatibility characters stay as papers write them: NFKC would
// make the micro sign a Greek mu and R² "r2", and miss the papers.
func TestCompatibilityKeepsPapersForms(t *testing.T) {
	idx := openIndex(t)
	papers := []search.Paper{
		{ID: "2501.00601", Title: "µP transfer of hyperparameters", Abstract: "Features of 5 µm resolution."},
		{ID: "2501.00602", Title: "Explained variance", Abstract: "An R² of 0.9 on held-out data."},
	}
	if err := idx.Put(papers); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ query, want string }{
		{"µP", "2501.00601"},
		{`"µP transfer"`, "2501.00601"},
		{"µm", "2501.00601"},
		{"R²", "2501.00602"},
	} {
		res, err := idx.Search(context.Background(), search.Request{Query: tc.query})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(hitIDs(res.Hits), []string{tc.want}) {
			t.Errorf("%q: hits %v, want %s", tc.query, hitIDs(res.Hits), tc.want)
		}
	}
}

// Compatibility forms (a PDF's ligatures, fullwidth letters) search as
// the letters they stand for, expansions and all.
func TestCompatibilityForms(t *testing.T) {
	idx := testIndex(t)
	for _, tc := range []struct{ pasted, typed string }{
		{"ＬＬＭ", "LLM"},
		{"eﬃcient ﬁne-tuning", "efficient fine-tuning"},
	} {
		got, err := idx.Search(context.Background(), search.Request{Query: tc.pasted})
		if err != nil {
			t.Fatal(err)
		}
		want, err := idx.Search(context.Background(), search.Request{Query: tc.typed})
		if err != nil {
			t.Fatal(err)
		}
		if want.Total == 0 || got.Total != want.Total || !reflect.DeepEqual(got.Expansions, want.Expansions) {
			t.Errorf("%q: %d hits, expansions %v; %q: %d, %v", tc.pasted, got.Total, got.Expansions, tc.typed, want.Total, want.Expansions)
		}
	}
}

// Years with none in common are read as either: all of them would match
// nothing. Years that meet narrow each other.
func TestEitherYear(t *testing.T) {
	idx := openCorpus(t)
	for _, tc := range []struct {
		query   string
		want    []string
		notices int
	}{
		{"year:2023 year:2025", []string{idGPTQ, idPruningAbstract, idLongContext}, 1},
		{"year:2023 AND year:2025", []string{idGPTQ, idPruningAbstract, idLongContext}, 1},
		// The years filter the words, as one year does.
		{"pruning year:2023 year:2024", []string{idPruningTitle, idPruningAbstract}, 1},
		{"pruning (year:2023 OR year:2024)", []string{idPruningTitle, idPruningAbstract}, 0},
		{"year:2023.. year:..2023", []string{idGPTQ, idPruningAbstract}, 0},
	} {
		res, err := idx.Search(context.Background(), search.Request{Query: tc.query, Size: 100})
		if err != nil {
			t.Fatal(err)
		}
		got := slices.Sorted(slices.Values(hitIDs(res.Hits)))
		if !slices.Equal(got, slices.Sorted(slices.Values(tc.want))) || len(res.Notices) != tc.notices {
			t.Errorf("%q: hits %v, notices %q; want %v and %d notices", tc.query, got, res.Notices, tc.want, tc.notices)
		}
	}
}

// TestRepairs: malformed queries are searched, and the result says how.
func TestRepairs(t *testing.T) {
	idx := testIndex(t)
	for _, q := range []string{`"long context`, `(pruning OR distillation`, `pruning)`, `quantization -`, `quantization title:`, `title:`,
		`AND quantization`, `quantization OR`, `NOT`, `*ization`, `qu*nt`, `pruning~5`, `year:2026..2025 model`, `()`, `""`} {
		t.Run(q, func(t *testing.T) {
			res, err := idx.Search(context.Background(), search.Request{Query: q})
			if err != nil {
				t.Fatalf("err %v, want a repaired search", err)
			}
			if len(res.Notices) == 0 {
				t.Errorf("no notice says what was repaired")
			}
		})
	}
}

// TestBadQueries: what cannot be made sense of is refused with a reason.
func TestBadQueries(t *testing.T) {
	idx := testIndex(t)
	for _, tc := range []struct{ query, says string }{
		{"year:abc", "not a year"},
		{"year:12345", "not a year"},
		{"topic:no-such-topic", "no topic"},
		{"the of and", "too common"},
		{"😀", "no letter or digit"},
		{"%", "no letter or digit"},
		{strings.Repeat("word ", 70), "more than 64"},
		{strings.Repeat("(", 10) + "x" + strings.Repeat(")", 10), "nested"},
	} {
		t.Run(tc.query[:min(len(tc.query), 20)], func(t *testing.T) {
			_, err := idx.Search(context.Background(), search.Request{Query: tc.query})
			if !errors.Is(err, search.ErrBadQuery) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err = %v, want ErrBadQuery saying %q", err, tc.says)
			}
		})
	}
}

func TestHighlightsFollowMatches(t *testing.T) {
	idx := testIndex(t)
	res, err := idx.Search(context.Background(), search.Request{Query: "quantisation"})
	if err != nil {
		t.Fatal(err)
	}
	marked := 0
	for _, h := range res.Hits {
		for _, f := range append(h.Highlights["title"], h.Highlights["abstract"]...) {
			if regexp.MustCompile(`(?i)<mark>quanti[sz]ation</mark>`).MatchString(f) {
				marked++
			}
		}
	}
	if marked == 0 {
		t.Error("no hit marks quantisation or quantization")
	}
}

func TestExplain(t *testing.T) {
	idx := testIndex(t)
	for _, query := range []string{
		"knowledge distillation reasoning",
		"quant* models",            // a prefix's completions: the best one counts
		"quantisation reasoning",   // a word's spellings, likewise
		"LLM reasoning benchmarks", // expansions
	} {
		t.Run(query, func(t *testing.T) {
			res, err := idx.Search(context.Background(), search.Request{Query: query, Explain: true})
			if err != nil || len(res.Hits) == 0 {
				t.Fatalf("%d hits, err %v", len(res.Hits), err)
			}
			for _, h := range res.Hits {
				sum := 0.0
				for _, r := range h.Explanation {
					sum += r.Score
					if r.Why == "" {
						t.Errorf("hit %s: a reason without words", h.Paper.ID)
					}
				}
				if math.Abs(sum-h.Score) > 1e-6*max(1, h.Score) {
					t.Errorf("hit %s: reasons add to %g, score is %g", h.Paper.ID, sum, h.Score)
				}
			}
			if !strings.Contains(res.Hits[0].Explanation[0].Why, `term "`) {
				t.Errorf("top reason %q does not name a term", res.Hits[0].Explanation[0].Why)
			}
			// Scoring without a breakdown takes other paths; it must give
			// the same scores.
			plain, err := idx.Search(context.Background(), search.Request{Query: query})
			if err != nil {
				t.Fatal(err)
			}
			if len(plain.Hits) != len(res.Hits) {
				t.Fatalf("%d hits without explanations, %d with", len(plain.Hits), len(res.Hits))
			}
			for i, h := range plain.Hits {
				if h.Explanation != nil {
					t.Error("explanation without Explain")
				}
				if e := res.Hits[i]; h.Paper.ID != e.Paper.ID || math.Abs(h.Score-e.Score) > 1e-9*max(1, h.Score) {
					t.Errorf("hit %d: %s %g without explanations, %s %g with", i, h.Paper.ID, h.Score, e.Paper.ID, e.Score)
				}
			}
		})
	}
}

func TestSimilar(t *testing.T) {
	idx := testIndex(t)
	const id = "2506.11093" // EfficientQuant: post-training quantization
	hits, err := idx.Similar(context.Background(), id, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 {
		t.Fatal("no similar papers")
	}
	for _, h := range hits {
		if h.Paper.ID == id {
			t.Error("a paper is listed as similar to itself")
		}
	}
	if !slices.Contains(hits[0].Paper.Topics, "quantization") {
		t.Errorf("most similar %q (topics %v) is not about quantization", hits[0].Paper.Title, hits[0].Paper.Topics)
	}
	if _, err := idx.Similar(context.Background(), "no-such-paper", 5); !errors.Is(err, search.ErrNotFound) {
		t.Errorf("unknown id: err = %v, want ErrNotFound", err)
	}
	if _, err := idx.Similar(context.Background(), id, 0); !errors.Is(err, search.ErrBadQuery) {
		t.Errorf("size 0: err = %v, want ErrBadQuery", err)
	}
}

func TestSuggest(t *testing.T) {
	idx := testIndex(t)
	kinds := func(ss []search.Suggestion) map[string][]string {
		m := map[string][]string{}
		for _, s := range ss {
			m[s.Kind] = append(m[s.Kind], s.Text)
		}
		return m
	}
	ss, err := idx.Suggest(context.Background(), "quant", 10)
	if err != nil {
		t.Fatal(err)
	}
	k := kinds(ss)
	if !slices.Contains(k[search.SuggestTopic], "Quantization") || !slices.Contains(k[search.SuggestWord], "quantization") || len(k[search.SuggestTitle]) == 0 {
		t.Errorf("suggestions for quant: %v", k)
	}
	ss, err = idx.Suggest(context.Background(), "large lang", 10)
	if err != nil {
		t.Fatal(err)
	}
	if k := kinds(ss); !slices.Contains(k[search.SuggestPhrase], "large language") {
		t.Errorf("suggestions for large lang: %v", k)
	}
	for _, short := range []string{"", "q", " "} {
		if ss, err := idx.Suggest(context.Background(), short, 10); err != nil || len(ss) != 0 {
			t.Errorf("Suggest(%q) = %v, %v; want nothing", short, ss, err)
		}
	}
}

// FuzzSearch: any query text either searches or is refused with
// ErrBadQuery; nothing panics and nothing fails otherwise.
func FuzzSearch(f *testing.F) {
	for _, s := range []string{`quantizaton llm`, `"long context" +kv -vision`, `title:(a OR b) AND NOT c`, `year:2023..2025 topic:quantization`,
		`quant* x~2 *y`, `((((`, `"`, `LLM PTQ KD`, `category:cs.cl`, `author:"van der"`, `quantisation~2`, `a:b:c:"d`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		idx := testIndex(t)
		_, err := idx.Search(context.Background(), search.Request{Query: q, Size: 5})
		if err != nil && !errors.Is(err, search.ErrBadQuery) {
			t.Fatalf("search %q: %v", q, err)
		}
	})
}

// TestRankMatchesSearch: evaluation ranks exactly as users see results.
func TestRankMatchesSearch(t *testing.T) {
	idx := testIndex(t)
	for _, q := range []string{"knowledge distillation of reasoning", "quantisation LLM", `"long context" +benchmark`, "topic:quantization"} {
		res, err := idx.Search(context.Background(), search.Request{Query: q, Size: 20})
		if err != nil {
			t.Fatal(err)
		}
		ranked, err := idx.Rank(context.Background(), search.Request{Query: q}, 20)
		if err != nil {
			t.Fatal(err)
		}
		if len(ranked) != len(res.Hits) {
			t.Fatalf("%q: Rank gave %d, Search %d", q, len(ranked), len(res.Hits))
		}
		for i, h := range res.Hits {
			if ranked[i].ID != h.Paper.ID || ranked[i].Score != h.Score {
				t.Errorf("%q: rank %d is %s (%g) in Rank, %s (%g) in Search", q, i+1, ranked[i].ID, ranked[i].Score, h.Paper.ID, h.Score)
			}
		}
	}
}

// TestHitsCarryTheirStoredPapers holds every hit's paper to what Get reads
// for its id: hits are loaded from the stored papers, some of them decoded
// once for feedback and taken from there.
func TestHitsCarryTheirStoredPapers(t *testing.T) {
	idx := openCorpus(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		r    search.Request
	}{
		{"one word", search.Request{Query: "pruning"}},
		{"two words", search.Request{Query: "language models"}},
		{"small page", search.Request{Query: "tokenization", Size: 3}},
		{"topic filter", search.Request{Query: "models", Topics: []string{"quantization"}}},
		{"second page", search.Request{Query: "models", Page: 2, Size: 2}},
		{"newest first", search.Request{Query: "models", Sort: search.SortNewest}},
		{"no query", search.Request{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r
			res, err := idx.Search(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) == 0 {
				t.Fatal("no hits")
			}
			for _, h := range res.Hits {
				want, err := idx.Get(ctx, h.Paper.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(h.Paper, want) {
					t.Errorf("hit %s:\n%+v\nGet gives\n%+v", h.Paper.ID, h.Paper, want)
				}
			}
		})
	}
}

// Words joined by the punctuation of pasted text are searched as the
// words, and a full stop does not cost a word its expansions.
func TestPastedPunctuation(t *testing.T) {
	idx := testIndex(t)
	search1 := func(q string) search.Result {
		t.Helper()
		res, err := idx.Search(context.Background(), search.Request{Query: q, Size: 100})
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		return res
	}
	for _, tc := range []struct{ pasted, typed string }{
		{"quantization;llm", "quantization llm"},
		{"<b>pruning</b>", "b pruning /b"},
		{"quantization.", "quantization"},
		{"pruning, distillation.", "pruning distillation"},
	} {
		got, want := search1(tc.pasted), search1(tc.typed)
		if want.Total == 0 {
			t.Fatalf("%q finds nothing; the test needs papers", tc.typed)
		}
		if got.Total != want.Total || len(got.Expansions) != len(want.Expansions) {
			t.Errorf("%q: %d hits, %d expansions; %q: %d, %d", tc.pasted, got.Total, len(got.Expansions), tc.typed, want.Total, len(want.Expansions))
		}
	}
}

// A name typed without its accents finds the author (Balázs, García,
// Müller, Łukasz), in any scope, and is not "corrected" to another word;
// typed with them, it finds that spelling only.
func TestAuthorNamesWithoutAccents(t *testing.T) {
	idx := openIndex(t)
	papers := []search.Paper{
		{ID: "0704.0001", Title: "Calculation of prompt diphoton production cross sections", Authors: []string{"C. Balázs", "E. L. Berger"}},
		{ID: "2501.00101", Title: "Sparse attention kernels", Authors: []string{"José García", "Jörg Müller"}},
		{ID: "2501.00102", Title: "Attention is all you need, again", Authors: []string{"Łukasz Kaiser"}},
		{ID: "2501.00103", Title: "Sparse attention for graphs", Authors: []string{"Ana Garcia", "Max Müller-Eberstein"}},
		{ID: "2501.00104", Title: "Balls and bins", Abstract: "On balls thrown into bins."},
	}
	if err := idx.Put(papers); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"balazs", []string{"0704.0001"}},
		{"author:balazs", []string{"0704.0001"}},
		{"Balázs", []string{"0704.0001"}},
		{"garcia", []string{"2501.00101", "2501.00103"}},
		{"García", []string{"2501.00101"}},
		{"author:muller", []string{"2501.00101", "2501.00103"}},
		{`author:"jorg muller"`, []string{"2501.00101"}},
		{"lukasz kaiser", []string{"2501.00102"}},
		// Quoted, or joined by a hyphen, a name is a phrase of the name.
		{`"balazs"`, []string{"0704.0001"}},
		{`"Łukasz Kaiser"`, []string{"2501.00102"}},
		{`"lukasz kaiser"`, []string{"2501.00102"}},
		{"Muller-Eberstein", []string{"2501.00103"}},
		{`"Kaiser Lukasz"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res, err := idx.Search(context.Background(), search.Request{Query: tt.query})
			if err != nil {
				t.Fatal(err)
			}
			if got := hitIDs(res.Hits); !slices.Equal(slices.Sorted(slices.Values(got)), tt.want) {
				t.Errorf("hits %v, want %v", got, tt.want)
			}
			if res.CorrectedQuery != "" {
				t.Errorf("corrected to %q", res.CorrectedQuery)
			}
		})
	}
	// The stored authors are as given, accents and all.
	p, err := idx.Get(context.Background(), "0704.0001")
	if err != nil || !slices.Equal(p.Authors, []string{"C. Balázs", "E. L. Berger"}) {
		t.Errorf("stored authors %q, %v", p.Authors, err)
	}
}

// A word the index has only in another written form ("Hinton's",
// "Searle's") matches as typed, so it is no typo: correcting it to a
// neighbouring word (hint, scale) lost the paper that mentions it.
func TestCorrectionLeavesMatchedWords(t *testing.T) {
	idx := openIndex(t)
	papers := []search.Paper{
		{ID: "2501.00301", Title: "Revisiting Hinton's distillation", Abstract: "Soft targets, as in Searle's room, carry dark knowledge."},
		{ID: "2501.00302", Title: "A hint of scale", Abstract: "Hints help models scale; hinting works at every scale."},
	}
	if err := idx.Put(papers); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"Hinton", "searle", "hinton distillation"} {
		t.Run(q, func(t *testing.T) {
			res, err := idx.Search(context.Background(), search.Request{Query: q})
			if err != nil {
				t.Fatal(err)
			}
			if res.CorrectedQuery != "" || !slices.Equal(hitIDs(res.Hits), []string{"2501.00301"}) {
				t.Errorf("corrected to %q, hits %v; want 2501.00301 as typed", res.CorrectedQuery, hitIDs(res.Hits))
			}
		})
	}
}

// A word typed with or without its accents finds both spellings in titles
// and abstracts (Rényi and Renyi, naïve and naive), with NoExpand too, is
// not corrected to another word, and is marked in the snippet as written.
func TestProseWithoutAccents(t *testing.T) {
	idx := openIndex(t)
	papers := []search.Paper{
		{ID: "2501.00201", Title: "Rényi divergence bounds for private learning", Abstract: "We bound the Rényi divergence of noisy updates."},
		{ID: "2501.00202", Title: "Renyi entropy of sparse graphs", Abstract: "Entropy estimates for graphs."},
		{ID: "2501.00203", Title: "A naïve Bayes baseline", Abstract: "The naïve classifier is hard to beat."},
		{ID: "2501.00204", Title: "Fréchet distances between curves", Abstract: "Curves compared by their Fréchet distance."},
		{ID: "2501.00205", Title: "Navigating bayes nets", Abstract: "Navy ships and nave windows."},
	}
	if err := idx.Put(papers); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query    string
		noExpand bool
		want     []string
		mark     string // in the first hit's title highlight
	}{
		{query: "renyi", want: []string{"2501.00201", "2501.00202"}},
		{query: "Rényi", want: []string{"2501.00201", "2501.00202"}},
		{query: "RENYI", want: []string{"2501.00201", "2501.00202"}},
		{query: "renyi", noExpand: true, want: []string{"2501.00201", "2501.00202"}},
		{query: "title:renyi divergence", want: []string{"2501.00201", "2501.00202"}},
		{query: "naive", want: []string{"2501.00203"}, mark: "<mark>naïve</mark>"},
		{query: "frechet", want: []string{"2501.00204"}, mark: "<mark>Fréchet</mark>"},
		{query: "bayes -naive", want: []string{"2501.00205"}},
		// In a phrase too.
		{query: `"naive bayes"`, want: []string{"2501.00203"}, mark: "<mark>naïve</mark> <mark>Bayes</mark>"},
		{query: `"renyi divergence"`, want: []string{"2501.00201"}},
		{query: `title:"Renyi divergence" bounds`, want: []string{"2501.00201"}},
		{query: "renyi -Rényi", want: nil},
		// Prefixes too, either way.
		{query: "frech*", want: []string{"2501.00204"}},
		{query: "fréch*", want: []string{"2501.00204"}},
		{query: "rény*", want: []string{"2501.00201", "2501.00202"}},
		{query: "reny*", want: []string{"2501.00201", "2501.00202"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res, err := idx.Search(context.Background(), search.Request{Query: tt.query, NoExpand: tt.noExpand})
			if err != nil {
				t.Fatal(err)
			}
			if got := hitIDs(res.Hits); !slices.Equal(slices.Sorted(slices.Values(got)), tt.want) {
				t.Errorf("hits %v, want %v", got, tt.want)
			}
			if res.CorrectedQuery != "" || len(res.Expansions) > 0 {
				t.Errorf("corrected to %q, expanded to %v", res.CorrectedQuery, res.Expansions)
			}
			if tt.mark != "" && (len(res.Hits) == 0 || !strings.Contains(strings.Join(res.Hits[0].Highlights["title"], ""), tt.mark)) {
				t.Errorf("first hit's title highlight lacks %s: %v", tt.mark, res.Hits)
			}
		})
	}
	// Suggestions complete a prefix typed without its accents.
	ss, err := idx.Suggest(context.Background(), "frech", 10)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ss, func(s search.Suggestion) bool { return s.Text == "fréchet" }) {
		t.Errorf("suggestions for frech: %+v, want fréchet among them", ss)
	}
	// A paper with both spellings scores as one with one: they are one word.
	both := search.Paper{ID: "2501.00206", Title: "Renyi and Rényi", Abstract: "Entropy estimates for graphs."}
	if err := idx.Put([]search.Paper{both}); err != nil {
		t.Fatal(err)
	}
	res, err := idx.Search(context.Background(), search.Request{Query: "renyi"})
	if err != nil {
		t.Fatal(err)
	}
	scores := map[string]float64{}
	for _, h := range res.Hits {
		scores[h.Paper.ID] = h.Score
	}
	if scores["2501.00206"] > 1.05*scores["2501.00202"] {
		t.Errorf("a paper with both spellings scores %v against %v for one", scores["2501.00206"], scores["2501.00202"])
	}
}

// A fuzzy word or a prefix finds at least what its word finds, an author's
// name included: laborde~1 found nothing where laborde finds the paper.
func TestPatternsReachAuthors(t *testing.T) {
	idx := openIndex(t)
	papers := []search.Paper{
		{ID: "2505.07289", Title: "Grading answers with rubrics", Authors: []string{"Stanislas Laborde", "Martin Cousseau"}},
		{ID: "2501.00501", Title: "Division of labor among agents", Abstract: "Agents split the labour."},
	}
	if err := idx.Put(papers); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"laborde", []string{"2505.07289"}},
		{"laborde~1", []string{"2505.07289"}},
		{"laborde*", []string{"2505.07289"}},
		{"author:laborde~1", []string{"2505.07289"}},
		{"author:labord~1", []string{"2505.07289"}},
		{"cousseau~2", []string{"2505.07289"}},
		// In no field, names it only comes near are left to author:
		// a rare name would outrank the words.
		{"labord~1", []string{"2501.00501"}},
		{"labo*", []string{"2501.00501"}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			res, err := idx.Search(context.Background(), search.Request{Query: tc.query})
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Sorted(slices.Values(hitIDs(res.Hits))); !slices.Equal(got, tc.want) {
				t.Errorf("hits %v, want %v", got, tc.want)
			}
		})
	}
}

// A hit whose authors the query matched carries them all, escaped, the
// matched names marked, accents or not; a hit matched elsewhere has none.
func TestAuthorHighlights(t *testing.T) {
	idx := openIndex(t)
	papers := []search.Paper{
		{ID: "2501.00101", Title: "Sparse attention kernels", Authors: []string{"José García", "Jörg Müller", "<b>Eve</b> Mallory"}},
		{ID: "2501.00103", Title: "Sparse attention for graphs", Authors: []string{"Ana Garcia"}},
	}
	if err := idx.Put(papers); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query string
		want  map[string][]string // id -> highlights.authors
	}{
		{"garcia", map[string][]string{
			"2501.00101": {"José <mark>García</mark>", "Jörg Müller", "&lt;b&gt;Eve&lt;/b&gt; Mallory"},
			"2501.00103": {"Ana <mark>Garcia</mark>"},
		}},
		{`"jorg muller" mallory`, map[string][]string{
			"2501.00101": {"José García", "<mark>Jörg</mark> <mark>Müller</mark>", "&lt;b&gt;Eve&lt;/b&gt; <mark>Mallory</mark>"},
		}},
		{"sparse", map[string][]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res, err := idx.Search(context.Background(), search.Request{Query: tt.query})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]string{}
			for _, h := range res.Hits {
				if hl, ok := h.Highlights["authors"]; ok {
					got[h.Paper.ID] = hl
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("authors highlights %q, want %q", got, tt.want)
			}
		})
	}
}
