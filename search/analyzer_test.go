package search

import (
	"bufio"
	"compress/bzip2"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"
)

func tokens(ts analysis.TokenStream) []analysis.Token {
	out := make([]analysis.Token, len(ts))
	for i, t := range ts {
		out[i] = *t
	}
	return out
}

// The fast analyzers must give exactly the terms, positions and offsets of
// the Bleve analyzers they stand for: scores and phrase matches depend on
// them, and indexes built with either must answer alike.
func TestFastAnalyzersMatchBleve(t *testing.T) {
	m, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	cache := registry.NewCache()
	bleveEn, err := cache.AnalyzerNamed(en.AnalyzerName)
	if err != nil {
		t.Fatal(err)
	}
	bleveName, err := cache.DefineAnalyzer("bleve_name", map[string]any{
		"type": "custom", "tokenizer": unicode.Name, "token_filters": []string{lowercase.Name},
	})
	if err != nil {
		t.Fatal(err)
	}
	pairs := []struct {
		fast, bleve analysis.Analyzer
	}{
		{m.AnalyzerNamed(proseAnalyzer), bleveEn},
		{m.AnalyzerNamed(analyzerName), bleveName},
	}

	f, err := os.Open("../cmd/papersearch/demo/arxiv-sample.jsonl.bz2")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(bzip2.NewReader(f))
	sc.Buffer(nil, 1<<20)
	texts := []string{"The model's cafés aren't GPT-4o's; naïve 3.14 U.S.A. e.g. hoping relational happiness"}
	for n := 0; sc.Scan() && n < 800; n++ {
		var p struct {
			Title, Abstract string
			Authors         []string
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, p.Title, p.Abstract)
		texts = append(texts, p.Authors...)
	}
	for _, pair := range pairs {
		// Twice: the second pass reads the stem cache.
		for range 2 {
			for _, s := range texts {
				got, want := tokens(pair.fast.Analyze([]byte(s))), tokens(pair.bleve.Analyze([]byte(s)))
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("Analyze(%q)\n got %v\nwant %v", s, got, want)
				}
			}
		}
	}
}

func BenchmarkAnalyzeAbstract(b *testing.B) {
	m, err := newMapping()
	if err != nil {
		b.Fatal(err)
	}
	text := []byte("Recent work has shown that attention-based language models excel at recall, the ability to ground generations in tokens previously seen in context. However, the efficiency of attention-based models is bottle-necked during inference by the KV-cache's aggressive memory consumption.")
	bleveEn, _ := registry.NewCache().AnalyzerNamed(en.AnalyzerName)
	for _, c := range []struct {
		name string
		a    analysis.Analyzer
	}{{"bleve-en", bleveEn}, {"papersearch-en", m.AnalyzerNamed(proseAnalyzer)}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				c.a.Analyze(text)
			}
		})
	}
}

func BenchmarkAnalyzeCorpus(b *testing.B) {
	f, err := os.Open("../cmd/papersearch/demo/arxiv-sample.jsonl.bz2")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(bzip2.NewReader(f))
	sc.Buffer(nil, 1<<20)
	var texts [][]byte
	size := 0
	for sc.Scan() {
		var p struct{ Abstract string }
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			b.Fatal(err)
		}
		texts = append(texts, []byte(p.Abstract))
		size += len(p.Abstract)
	}
	m, err := newMapping()
	if err != nil {
		b.Fatal(err)
	}
	bleveEn, _ := registry.NewCache().AnalyzerNamed(en.AnalyzerName)
	for _, c := range []struct {
		name string
		a    analysis.Analyzer
	}{{"bleve-en", bleveEn}, {"papersearch-en", m.AnalyzerNamed(proseAnalyzer)}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				for _, t := range texts {
					c.a.Analyze(t)
				}
			}
		})
	}
}
