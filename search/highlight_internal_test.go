package search

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
)

// analyzeFor may drop tokens that cannot match; what it keeps must be what
// the full analysis gives for the terms asked for.
func TestAnalyzeForKeepsEveryMatch(t *testing.T) {
	m, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	prose := m.AnalyzerNamed(analyzerProse)
	if _, ok := prose.(*analysis.DefaultAnalyzer); !ok {
		t.Fatalf("the prose analyzer is a %T: analyzeFor would not filter", prose)
	}
	texts := []string{
		"Dying stars and lying models: the Skies of early BERT's yearly Yield.",
		"Über-fast ÉCOLE models; naïve Bayes, œuvre, Ångström and 3D U-Nets in 2024.",
		"News on the cosmos: ATLAS, Andes, bias and the only gently ugly idly singly.",
		"Y-shaped yttrium; 'quoted' words, don't, it's, LLMs' and GPT-4o's outputs.",
		"Mößbauer spectra, Søren's naïve café; I's and x's, a b C.",
		"",
	}
	// Real papers: titles and abstracts, mostly ASCII, which analyzeFor
	// tokenizes by a path of its own.
	f, err := os.Open("testdata/papers.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var p struct{ Title, Abstract string }
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, p.Title, p.Abstract)
	}
	for _, text := range texts {
		full := prose.Analyze([]byte(text))
		var all []string
		for _, tok := range full {
			all = append(all, string(tok.Term))
		}
		sets := [][]string{all, {"zzz"}, {"é"}}
		for _, term := range all {
			sets = append(sets, []string{term})
		}
		for _, set := range sets {
			terms := map[string]bool{}
			for _, term := range set {
				terms[term] = true
			}
			var want, got []string
			for _, tok := range full {
				if terms[string(tok.Term)] {
					want = append(want, fmt.Sprintf("%s@%s#%d", tok.Term, text[tok.Start:tok.End], tok.Position))
				}
			}
			for _, tok := range analyzeFor(prose, text, terms) {
				if terms[string(tok.Term)] {
					got = append(got, fmt.Sprintf("%s@%s#%d", tok.Term, text[tok.Start:tok.End], tok.Position))
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%q, terms %v: got %v, want %v", text, set, got, want)
			}
		}
	}
}

// BenchmarkMatchSpans finds a three-term query's words in 200 demo
// abstracts, as the highlighter does for the hits it shows.
func BenchmarkMatchSpans(b *testing.B) {
	x, err := Open(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	papers := demoPapers(b)[:200]
	terms := map[string]bool{"quantiz": true, "llm": true, "model": true}
	for b.Loop() {
		for _, p := range papers {
			x.matchSpans(p.Abstract, terms)
		}
	}
}
