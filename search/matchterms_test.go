package search

import (
	"bufio"
	"compress/bzip2"
	"encoding/json"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"
)

// opaque hides an analyzer's parts, so that locations analyses all text.
type opaque struct{ analysis.Analyzer }

// Skipping words by their first letters must find exactly the matches that
// analysing every word finds.
func TestLocationsShortcut(t *testing.T) {
	m, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	a := m.AnalyzerNamed(proseAnalyzer)
	f, err := os.Open("../cmd/papersearch/demo/arxiv-sample.jsonl.bz2")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(bzip2.NewReader(f))
	sc.Buffer(nil, 1<<20)
	var texts []string
	for n := 0; sc.Scan() && n < 300; n++ {
		var p struct{ Title, Abstract string }
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, p.Title, p.Abstract)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		words := strings.Fields(texts[rng.IntN(len(texts))])
		i := rng.IntN(len(words))
		q := strings.Join(words[i:min(i+3, len(words))], " ")
		mq := query.NewMatchQuery(q)
		mq.SetField(fieldAbstract)
		terms := queryTerms(mq, m)[fieldAbstract]
		for _, text := range texts[:100] {
			got, want := locations(a, text, terms), locations(opaque{a}, text, terms)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("query %q in %q:\n got %v\nwant %v", q, text, got, want)
			}
		}
	}
}
