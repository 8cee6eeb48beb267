package bench

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/papersearch/papersearch/search"
)

// Query is one request of the mix, in the terms of GET /api/search.
type Query struct {
	Q     string `json:"q"`
	Topic string `json:"topic,omitempty"`
}

// Values returns the query parameters of GET /api/search that ask for q.
// Every request of the mix has the default size (10), facets and
// highlighting: the page a user sees.
func (q Query) Values() url.Values {
	v := url.Values{"q": {q.Q}}
	if q.Topic != "" {
		v.Set("topic", q.Topic)
	}
	return v
}

// The query mix: mixSize queries of one to three words, a topic filter on
// topicShare of them. One-word queries are corpus words drawn by document
// frequency; longer ones are runs of consecutive words from corpus titles,
// which is what people type ("graph neural networks").
const (
	mixSize     = 2000
	topicShare  = 0.3
	vocabSample = 20000 // papers read to learn the vocabulary
	vocabSize   = 5000  // most frequent content words kept
)

// stopWords are left out of queries: nobody searches for them, and the
// analyzer drops most of them anyway.
var stopWords = wordSet(`a about above after again against all also am an and any are as at be because
		been before being below between both but by can could did do does doing down during each few for from further
		had has have having here how however if in into is it its itself just more most no nor not now of off on once
		only or other our out over own same should so some such than that the their them then there these they this
		those through thus to too under until up upon using very via was we were what when where which while who whom
		why will with within without would yet you your based towards toward new novel`)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// mixer learns the vocabulary, title runs and topic frequencies of a corpus
// sample and draws a query mix from them.
type mixer struct {
	papers int
	df     map[string]int
	titles [][]string
	topics map[string]int
}

func newMixer() *mixer { return &mixer{df: map[string]int{}, topics: map[string]int{}} }

func (x *mixer) full() bool { return x.papers >= vocabSample }

// add learns from one paper and its topics.
func (x *mixer) add(p *search.Paper, topics []string) {
	x.papers++
	seen := map[string]bool{}
	for _, w := range queryWords(p.Title + " " + p.Abstract) {
		if !seen[w] {
			seen[w] = true
			x.df[w]++
		}
	}
	if t := queryWords(p.Title); len(t) > 0 {
		x.titles = append(x.titles, t)
	}
	for _, t := range topics {
		x.topics[t]++
	}
}

// queryWords splits text into lowercase words a person might search for:
// letters only, three or more of them, no stop words.
func queryWords(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if len(w) >= 3 && !stopWords[w] {
			out = append(out, w)
		}
	}
	return out
}

// searchable reports whether q has a word the index keeps.
func searchable(q string) bool {
	for _, w := range strings.Fields(q) {
		if !search.IsStopWord(w) {
			return true
		}
	}
	return false
}

// weighted draws items in proportion to their weights.
type weighted[T any] struct {
	items []T
	cum   []float64
}

func newWeighted[T any](items []T, weight func(T) float64) weighted[T] {
	w := weighted[T]{items: items, cum: make([]float64, len(items))}
	sum := 0.0
	for i, it := range items {
		sum += weight(it)
		w.cum[i] = sum
	}
	return w
}

func (w weighted[T]) draw(rng *rand.Rand) T {
	x := rng.Float64() * w.cum[len(w.cum)-1]
	return w.items[sort.SearchFloat64s(w.cum, x)]
}

// mix draws n queries; the same sample and seed give the same mix.
func (x *mixer) mix(seed uint64, n int) ([]Query, error) {
	type count struct {
		v string
		n int
	}
	var words []count
	for w, n := range x.df {
		// Words in more than a fifth of the papers ("model", "results")
		// are all but stop words for search.
		if n >= 2 && n <= max(x.papers/5, 2) {
			words = append(words, count{w, n})
		}
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("the corpus sample has no words to query")
	}
	slices.SortFunc(words, func(a, b count) int { return cmp.Or(b.n-a.n, strings.Compare(a.v, b.v)) })
	words = words[:min(len(words), vocabSize)]
	var topics []count
	for t, n := range x.topics {
		topics = append(topics, count{t, n})
	}
	slices.SortFunc(topics, func(a, b count) int { return strings.Compare(a.v, b.v) })

	byCount := func(c count) float64 { return float64(c.n) }
	wordPick := newWeighted(words, byCount)
	topicPick := newWeighted(topics, byCount)
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	out := make([]Query, n)
	for i := range out {
		k := 1
		switch r := rng.Float64(); {
		case r >= 0.8:
			k = 3
		case r >= 0.4:
			k = 2
		}
		q := ""
		for tries := 0; k > 1 && q == "" && tries < 20; tries++ {
			t := x.titles[rng.IntN(len(x.titles))]
			if len(t) >= k {
				j := rng.IntN(len(t) - k + 1)
				q = strings.Join(t[j:j+k], " ")
			}
		}
		// A query of words the index drops ("cannot": this list and the
		// analyzer's differ) has nothing to search for, and the server
		// refuses it: draw again. Only such draws change, so a mix
		// without them is what it was.
		for tries := 0; (q == "" || !searchable(q)) && tries < 100; tries++ {
			q = wordPick.draw(rng).v
		}
		if !searchable(q) {
			return nil, fmt.Errorf("the corpus sample has no words to query that the index keeps")
		}
		out[i].Q = q
		if len(topics) > 0 && rng.Float64() < topicShare {
			out[i].Topic = topicPick.draw(rng).v
		}
	}
	return out, nil
}

// writeQueries writes a query mix as JSON lines.
func writeQueries(path string, mix []Query) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write query mix: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, q := range mix {
		if err := enc.Encode(q); err != nil {
			f.Close()
			return fmt.Errorf("write query mix: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write query mix %s: %w", path, err)
	}
	return f.Close()
}
