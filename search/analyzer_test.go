package search

import (
	"bufio"
	"compress/bzip2"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sync"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"
)

// bleveAnalyzers returns the analyzers ours stand for, built from Bleve's
// own parts: what the index held before the fast parts came in.
func bleveAnalyzers(t testing.TB) (prose, names analysis.Analyzer) {
	t.Helper()
	cache := registry.NewCache()
	prose, err := cache.DefineAnalyzer("bleve_prose", map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []string{en.PossessiveName, lowercase.Name, en.StopName, en.SnowballStemmerName},
	})
	if err != nil {
		t.Fatal(err)
	}
	names, err = cache.DefineAnalyzer("bleve_name", map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []string{lowercase.Name},
	})
	if err != nil {
		t.Fatal(err)
	}
	return prose, names
}

// ourAnalyzers returns the mapping's analyzers.
func ourAnalyzers(t testing.TB) (prose, names analysis.Analyzer) {
	t.Helper()
	m, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	prose, names = m.AnalyzerNamed(analyzerProse), m.AnalyzerNamed(analyzerName)
	if prose == nil || names == nil {
		t.Fatal("the mapping lacks an analyzer")
	}
	return prose, names
}

func tokens(ts analysis.TokenStream) []analysis.Token {
	out := make([]analysis.Token, len(ts))
	for i, t := range ts {
		out[i] = *t
	}
	return out
}

// analyzeCopy runs a on a copy of s: the lower-case filter writes in place.
func analyzeCopy(a analysis.Analyzer, s string) []analysis.Token {
	return tokens(a.Analyze([]byte(s)))
}

// demoPapers returns the papers of the demo corpus (2,600 real arXiv
// papers) that the binary embeds.
func demoPapers(t testing.TB) []Paper {
	t.Helper()
	f, err := os.Open("../cmd/papersearch/demo/arxiv-sample.jsonl.bz2")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(bzip2.NewReader(f))
	sc.Buffer(nil, 1<<20)
	var papers []Paper
	for sc.Scan() {
		var p Paper
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		papers = append(papers, p)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return papers
}

// demoTexts returns what the index analyses for each paper of the demo
// corpus: title, abstract, each author, and the words field's title and
// abstract together.
func demoTexts(t testing.TB) []string {
	t.Helper()
	var texts []string
	for _, p := range demoPapers(t) {
		texts = append(texts, p.Title, p.Abstract, p.Title+"\n"+p.Abstract)
		texts = append(texts, p.Authors...)
	}
	return texts
}

// awkward are texts that take the paths real abstracts seldom do.
var awkward = []string{
	"",
	"The model's cafés aren't GPT-4o's; naïve 3.14 U.S.A. e.g. hoping relational happiness",
	"THE MODEL'S RESULTS ARE NOT IN THE PAPER'S APPENDIX'S TABLES",
	"it’s a model’s ＇s 's s' ' '' x'y 1'2 a.b.c 1.2.3 a:b 1:2 1,2 a,b a;b 1;2",
	"__init__ _x x_ 1_a a_1 ___ 3.5x 1,000,000 v1.2_beta",
	"ΣΑΣ Ⱥ Ⱦ İstanbul ß ﬁnally 日本語のテキスト 한국어 \x00\x7f",
	"generalization generalizations generalize generalized generalizing generously",
}

// The fast analyzers must give exactly the terms, positions, offsets and
// types of the Bleve analyzers they stand for: scores, phrase matches and
// highlights depend on them, and indexes built with either must answer
// alike.
func TestFastAnalyzersMatchBleve(t *testing.T) {
	bleveProse, bleveNames := bleveAnalyzers(t)
	prose, names := ourAnalyzers(t)
	texts := append(demoTexts(t), awkward...)
	for _, pair := range []struct {
		name        string
		fast, bleve analysis.Analyzer
	}{
		{"prose", prose, bleveProse},
		{"names", names, bleveNames},
	} {
		t.Run(pair.name, func(t *testing.T) {
			// Twice: the second pass reads the stem cache.
			for range 2 {
				for _, s := range texts {
					if got, want := analyzeCopy(pair.fast, s), analyzeCopy(pair.bleve, s); !reflect.DeepEqual(got, want) {
						t.Fatalf("Analyze(%q)\n got %v\nwant %v", s, got, want)
					}
				}
			}
		})
	}
}

func FuzzProseAnalyzer(f *testing.F) {
	for _, s := range awkward {
		f.Add(s)
	}
	bleveProse, _ := bleveAnalyzers(f)
	prose, _ := ourAnalyzers(f)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := analyzeCopy(prose, s), analyzeCopy(bleveProse, s); !reflect.DeepEqual(got, want) {
			t.Fatalf("Analyze(%q)\n got %v\nwant %v", s, got, want)
		}
	})
}

// The cache holds no more than its limit, and stems words past it as well
// as those in it.
func TestStemCacheBounded(t *testing.T) {
	const limit = 128
	f := newCachedSnowball(limit)
	bleveStem := en.NewEnglishStemmerFilter()
	for i := range 2000 {
		word := fmt.Sprintf("running%dnesses", i%700)
		got := f.Filter(analysis.TokenStream{{Term: []byte(word)}})
		want := bleveStem.Filter(analysis.TokenStream{{Term: []byte(word)}})
		if string(got[0].Term) != string(want[0].Term) {
			t.Fatalf("stem of %q: got %q, want %q", word, got[0].Term, want[0].Term)
		}
	}
	if n := f.cached(); n > limit || n < limit/2 {
		t.Errorf("the cache holds %d words; its limit is %d, and it should fill", n, limit)
	}
}

// Bleve analyses a batch on several goroutines at once, all sharing one
// stem cache (run with -race).
func TestStemCacheConcurrent(t *testing.T) {
	bleveProse, _ := bleveAnalyzers(t)
	texts := demoTexts(t)
	if testing.Short() {
		texts = texts[:1000]
	}
	want := make([][]analysis.Token, len(texts))
	for i, s := range texts {
		want[i] = analyzeCopy(bleveProse, s)
	}
	prose, _ := ourAnalyzers(t)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			// Two workers take each text.
			for i := w % 2; i < len(texts); i += 2 {
				if got := analyzeCopy(prose, texts[i]); !reflect.DeepEqual(got, want[i]) {
					t.Errorf("Analyze(%q)\n got %v\nwant %v", texts[i], got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkAnalyzeCorpus(b *testing.B) {
	var texts [][]byte
	size := 0
	for _, s := range demoTexts(b) {
		texts = append(texts, []byte(s))
		size += len(s)
	}
	bleveProse, _ := bleveAnalyzers(b)
	prose, _ := ourAnalyzers(b)
	for _, c := range []struct {
		name string
		a    analysis.Analyzer
	}{{"bleve", bleveProse}, {"papersearch", prose}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				for _, t := range texts {
					// Analyzing lower-cases in place; after the first round
					// there is nothing to lower, for both alike.
					c.a.Analyze(t)
				}
			}
		})
	}
}

// A field's length without stemming is the prose analyzer's token count:
// the text a search reads for its candidates' terms must give the lengths
// the index holds.
func TestProseLength(t *testing.T) {
	prose, _ := ourAnalyzers(t)
	for _, s := range append(demoTexts(t), awkward...) {
		n, ok := proseLength(prose, s)
		if !ok {
			t.Fatal("the prose analyzer is not of the shape proseLength reads")
		}
		if want := len(prose.Analyze([]byte(s))); n != want {
			t.Fatalf("proseLength(%q) = %d, want %d", s, n, want)
		}
	}
}
