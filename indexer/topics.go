package indexer

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/papersearch/papersearch/search"
)

//go:embed topics.json
var defaultTopics []byte

// TopicDef is one topic of a taxonomy file: what it is called, and the
// words, phrases and acronyms that signal it.
//
// A term is matched without regard to case, inflection or British spelling;
// a trailing * makes its last word a prefix ("quantiz*" matches "quantized",
// "quantization"). Acronyms are matched with their case, plural "s" allowed.
type TopicDef struct {
	Slug        string   `json:"slug"`
	Label       string   `json:"label"`
	Description string   `json:"description"`
	Terms       []string `json:"terms"`
	Acronyms    []string `json:"acronyms"`
}

// Taxonomy tags papers with topics.
type Taxonomy struct {
	defs   []TopicDef
	exact  map[string][]*signal // by first token, lowercased
	prefix map[string][]*signal // by the first prefixKey bytes of a one-word prefix
	cased  map[string][]*signal // acronyms, by first token as written
}

type signal struct {
	toks   []string
	prefix bool // last token is a prefix
	weight float64
	topic  int
}

// Scoring: a signal in the title counts titleWeight times its weight; a paper
// has a topic when its score reaches threshold. One title match is enough;
// in the abstract it takes repeated mentions, so a passing mention is not.
const (
	titleWeight = 3
	threshold   = 2
	prefixKey   = 4
)

var slugRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// DefaultTaxonomy returns the taxonomy built into the binary.
func DefaultTaxonomy() *Taxonomy {
	t, err := LoadTaxonomy(bytes.NewReader(defaultTopics))
	if err != nil {
		// The embedded file is part of the build and tested; reaching this
		// is a build defect, not bad input.
		panic("embedded topics.json: " + err.Error())
	}
	return t
}

// LoadTaxonomy reads a taxonomy file: {"topics": [TopicDef...]}.
func LoadTaxonomy(r io.Reader) (*Taxonomy, error) {
	var file struct {
		Topics []TopicDef `json:"topics"`
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("read topics: %w", err)
	}
	if len(file.Topics) == 0 {
		return nil, fmt.Errorf("read topics: no topics")
	}
	t := &Taxonomy{exact: map[string][]*signal{}, prefix: map[string][]*signal{}, cased: map[string][]*signal{}}
	seen := map[string]bool{}
	for i, d := range file.Topics {
		if !slugRe.MatchString(d.Slug) {
			return nil, fmt.Errorf("read topics: topic %d: slug %q must be lowercase letters, digits and hyphens", i+1, d.Slug)
		}
		if seen[d.Slug] {
			return nil, fmt.Errorf("read topics: slug %q appears twice", d.Slug)
		}
		seen[d.Slug] = true
		if d.Label == "" {
			d.Label = d.Slug
		}
		if len(d.Terms)+len(d.Acronyms) == 0 {
			return nil, fmt.Errorf("read topics: topic %q has no terms or acronyms", d.Slug)
		}
		t.defs = append(t.defs, d)
		for _, term := range d.Terms {
			prefix := strings.HasSuffix(term, "*")
			toks := tagTokens(strings.TrimSuffix(term, "*"), true)
			if len(toks) == 0 {
				return nil, fmt.Errorf("read topics: topic %q: term %q has no words", d.Slug, term)
			}
			s := &signal{toks: toks, prefix: prefix, weight: 1, topic: i}
			if len(toks) > 1 {
				s.weight = 1.5 // a phrase is more specific than a word
			}
			if prefix && len(toks) == 1 {
				if len(toks[0]) < prefixKey {
					return nil, fmt.Errorf("read topics: topic %q: prefix %q needs at least %d letters", d.Slug, term, prefixKey)
				}
				k := toks[0][:prefixKey]
				t.prefix[k] = append(t.prefix[k], s)
				continue
			}
			t.exact[toks[0]] = append(t.exact[toks[0]], s)
		}
		for _, a := range d.Acronyms {
			toks := tagTokens(a, false)
			if len(toks) == 0 {
				return nil, fmt.Errorf("read topics: topic %q: acronym %q has no letters", d.Slug, a)
			}
			s := &signal{toks: toks, weight: 1.5, topic: i}
			t.cased[toks[0]] = append(t.cased[toks[0]], s)
		}
	}
	return t, nil
}

// Topics lists the taxonomy's topics in file order.
func (t *Taxonomy) Topics() []search.Topic {
	out := make([]search.Topic, len(t.defs))
	for i, d := range t.defs {
		out[i] = search.Topic{Slug: d.Slug, Label: d.Label, Description: d.Description}
	}
	return out
}

// Tag returns the slugs of the topics a paper is about, strongest first.
func (t *Taxonomy) Tag(title, abstract string) []string {
	scores := make([]float64, len(t.defs))
	t.score(title, titleWeight, scores)
	t.score(abstract, 1, scores)
	var idx []int
	for i, s := range scores {
		if s >= threshold {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		}
		return 0
	})
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = t.defs[j].Slug
	}
	return out
}

func (t *Taxonomy) score(text string, mult float64, scores []float64) {
	cased := tagTokens(text, false)
	lower := make([]string, len(cased))
	for i, c := range cased {
		lower[i] = normWord(strings.ToLower(c))
	}
	for i := range lower {
		w := lower[i]
		for _, s := range t.exact[w] {
			if s.matches(lower, i) {
				scores[s.topic] += s.weight * mult
			}
		}
		if len(w) >= prefixKey {
			for _, s := range t.prefix[w[:prefixKey]] {
				if strings.HasPrefix(w, s.toks[0]) {
					scores[s.topic] += s.weight * mult
				}
			}
		}
		c := cased[i]
		for _, s := range t.cased[c] {
			if s.matches(cased, i) {
				scores[s.topic] += s.weight * mult
			}
		}
		if strings.HasSuffix(c, "s") {
			for _, s := range t.cased[c[:len(c)-1]] {
				if len(s.toks) == 1 {
					scores[s.topic] += s.weight * mult
				}
			}
		}
	}
}

func (s *signal) matches(toks []string, i int) bool {
	if i+len(s.toks) > len(toks) {
		return false
	}
	last := len(s.toks) - 1
	for j, want := range s.toks {
		got := toks[i+j]
		if j == last && s.prefix {
			if !strings.HasPrefix(got, want) {
				return false
			}
			continue
		}
		if got != want {
			return false
		}
	}
	return true
}

// tagTokens splits text into runs of letters and digits. With lower, tokens
// are lowercased and spelling-normalised, as signals are.
func tagTokens(s string, lower bool) []string {
	toks := splitWords(s)
	if lower {
		for i, w := range toks {
			toks[i] = normWord(strings.ToLower(w))
		}
	}
	return toks
}

// britishSuffixes map British spellings to American ones, so that signals
// written once match both ("quantisation", "modelling", "behaviour").
var britishSuffixes = [][2]string{
	{"isations", "izations"}, {"isation", "ization"}, {"ising", "izing"}, {"ised", "ized"},
	{"iser", "izer"}, {"isers", "izers"}, {"elling", "eling"}, {"elled", "eled"},
	{"our", "or"}, {"ours", "ors"},
}

// splitWords splits s into runs of letters and digits, byte by byte while
// s is ASCII (nearly always: tagging runs on every paper indexed).
func splitWords(s string) []string {
	toks := make([]string, 0, len(s)/7+1)
	start := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		}
		word := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			toks = append(toks, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		toks = append(toks, s[start:])
	}
	return toks
}

func normWord(w string) string {
	if len(w) < 6 {
		return w
	}
	for _, p := range britishSuffixes {
		if strings.HasSuffix(w, p[0]) {
			return w[:len(w)-len(p[0])] + p[1]
		}
	}
	return w
}
