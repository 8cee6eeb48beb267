package bench

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/papersearch/papersearch/search"
)

// Synthetic papers use words about as the corpus's own papers do: as many
// distinct words a paper, and each word in about as many papers. A plain
// Markov chain spreads a word's occurrences over too many papers (on the
// demo corpus: 32% more distinct words a paper, and words in 1.24-1.33
// times as many papers), which makes every posting list longer than real.
//
// PAPERSEARCH_SYNTH_CORPUS names a bigger corpus to measure, e.g.
//
//	PAPERSEARCH_SYNTH_CORPUS=$PWD/../shared/data/arxiv-daily-listings/arxiv-daily-cs-2025-03-18_2026-07-01.jsonl.gz \
//	    go test ./bench -run TestSyntheticTermStatistics -v
func TestSyntheticTermStatistics(t *testing.T) {
	path := corpus
	if p := os.Getenv("PAPERSEARCH_SYNTH_CORPUS"); p != "" {
		path = p
	}
	words := func(p *search.Paper) map[string]bool {
		m := map[string]bool{}
		for _, w := range strings.FieldsFunc(strings.ToLower(p.Title+" "+p.Abstract), func(r rune) bool { return !unicode.IsLetter(r) }) {
			m[w] = true
		}
		return m
	}
	type stats struct {
		papers, postings int
		df               map[string]int
	}
	add := func(s *stats, p *search.Paper) {
		s.papers++
		for w := range words(p) {
			s.df[w]++
			s.postings++
		}
	}
	real, synth := stats{df: map[string]int{}}, stats{df: map[string]int{}}
	l := newLearner()
	err := readCorpus(context.Background(), path, 0, func(p *search.Paper) error {
		l.add(p)
		add(&real, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := l.model()
	if err != nil {
		t.Fatal(err)
	}
	err = m.Synthesize(context.Background(), real.papers, 1, nil, func(p *search.Paper) error {
		add(&synth, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	distinct := float64(synth.postings) / float64(real.postings)
	t.Logf("%d papers: %.1f distinct words a paper, against %.1f in the corpus (x%.2f)",
		real.papers, float64(synth.postings)/float64(synth.papers), float64(real.postings)/float64(real.papers), distinct)
	if distinct < 0.85 || distinct > 1.15 {
		t.Errorf("synthetic papers have %.2f times the corpus's distinct words a paper, want 0.85-1.15", distinct)
	}
	// Words in 2-50% of the corpus's papers: the geometric mean of their
	// synthetic paper counts over the real ones, by band.
	for _, band := range [][2]float64{{0.02, 0.1}, {0.1, 0.5}} {
		sum, n := 0.0, 0
		for w, c := range real.df {
			f := float64(c) / float64(real.papers)
			if f < band[0] || f >= band[1] {
				continue
			}
			sum += math.Log(max(float64(synth.df[w]), 0.5) / float64(c))
			n++
		}
		ratio := math.Exp(sum / float64(n))
		t.Logf("%d words in %.0f-%.0f%% of papers: in x%.2f as many synthetic papers (geometric mean)", n, 100*band[0], 100*band[1], ratio)
		if ratio < 0.8 || ratio > 1.2 {
			t.Errorf("words in %.0f-%.0f%% of papers are in %.2f times as many synthetic ones, want 0.8-1.2", 100*band[0], 100*band[1], ratio)
		}
	}
}
