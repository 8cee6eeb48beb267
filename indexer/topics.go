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
	"sync"
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
	defs []TopicDef
	// words holds, by a token's lowercased, spelling-normalised form, every
	// signal that token can start: terms, and acronyms whose case is then
	// checked. One map lookup per token is what makes tagging cheap.
	words  map[string]*wordSignals
	prefix map[string][]*signal // by the first prefixKey bytes of a one-word prefix
	// prefixFirst has a bit for the first two bytes of every prefix key,
	// which spares most tokens the lookup in prefix.
	prefixFirst [1 << 16 / 64]uint64
}

// wordSignals are the signals that may start at a token of one lowercased,
// normalised form.
type wordSignals struct {
	exact []*signal // terms whose first token is this form
	cased []*signal // acronyms whose first token, as written, has this form
	// plural are one-word acronyms A whose plural A+"s" has this form.
	plural []*signal
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
	t := &Taxonomy{words: map[string]*wordSignals{}, prefix: map[string][]*signal{}}
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
				b := uint16(k[0])<<8 | uint16(k[1])
				t.prefixFirst[b/64] |= 1 << (b % 64)
				continue
			}
			w := t.word(toks[0])
			w.exact = append(w.exact, s)
		}
		for _, a := range d.Acronyms {
			toks := tagTokens(a, false)
			if len(toks) == 0 {
				return nil, fmt.Errorf("read topics: topic %q: acronym %q has no letters", d.Slug, a)
			}
			s := &signal{toks: toks, weight: 1.5, topic: i}
			w := t.word(lowerWord(toks[0]))
			w.cased = append(w.cased, s)
			if len(toks) == 1 {
				w := t.word(lowerWord(toks[0] + "s"))
				w.plural = append(w.plural, s)
			}
		}
	}
	return t, nil
}

func (t *Taxonomy) word(w string) *wordSignals {
	ws := t.words[w]
	if ws == nil {
		ws = &wordSignals{}
		t.words[w] = ws
	}
	return ws
}

// Topics lists the taxonomy's topics in file order.
func (t *Taxonomy) Topics() []search.Topic {
	out := make([]search.Topic, len(t.defs))
	for i, d := range t.defs {
		out[i] = search.Topic{Slug: d.Slug, Label: d.Label, Description: d.Description, Acronyms: d.Acronyms}
	}
	return out
}

// Tag returns the slugs of the topics a paper is about, strongest first.
// It is safe for concurrent use.
func (t *Taxonomy) Tag(title, abstract string) []string {
	tt := tagTextPool.Get().(*tagText)
	defer tagTextPool.Put(tt)
	scores := slices.Grow(tt.scores[:0], len(t.defs))[:len(t.defs)]
	clear(scores)
	tt.scores = scores
	tt.split(title)
	t.score(tt, titleWeight, scores)
	tt.split(abstract)
	t.score(tt, 1, scores)
	out, idx := rankTopics(t.defs, scores, tt.idx[:0])
	tt.idx = idx
	return out
}

// rankTopics returns the slugs of the topics that reach the threshold,
// strongest first and in file order among equals. idx is scratch space,
// returned for reuse.
func rankTopics(defs []TopicDef, scores []float64, idx []int) ([]string, []int) {
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
		out[i] = defs[j].Slug
	}
	return out, idx
}

// tagText is one text split into tokens twice over: as written, and
// lowercased and spelling-normalised as signals are. Both are spans, of the
// text and of a buffer reused from call to call, so that tagging allocates
// nothing per token.
type tagText struct {
	text           string
	lower          []byte
	casedT, lowerT []span
	scores         []float64
	idx            []int
}

type span struct{ start, end int }

var tagTextPool = sync.Pool{New: func() any { return new(tagText) }}

func (tt *tagText) n() int                { return len(tt.casedT) }
func (tt *tagText) casedTok(i int) string { return tt.text[tt.casedT[i].start:tt.casedT[i].end] }
func (tt *tagText) lowerTok(i int) []byte { return tt.lower[tt.lowerT[i].start:tt.lowerT[i].end] }

// split tokenises s as tagTokens does, with and without lower.
func (tt *tagText) split(s string) {
	tt.text = s
	// ASCII tokens are lowercased in place, in a copy of the whole text;
	// the rare token that is not ASCII is lowercased after it.
	tt.lower = append(tt.lower[:0], s...)
	for i, c := range tt.lower {
		tt.lower[i] = asciiLower[c]
	}
	tt.casedT, tt.lowerT = tt.casedT[:0], tt.lowerT[:0]
	for i := 0; i < len(s); {
		start, ascii := i, true
		for i < len(s) {
			c := s[i]
			if c < utf8.RuneSelf {
				if !asciiWord[c] {
					break
				}
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				break
			}
			ascii = false
			i += size
		}
		if i == start {
			// A separator: skip it.
			if s[i] < utf8.RuneSelf {
				i++
			} else {
				_, size := utf8.DecodeRuneInString(s[i:])
				i += size
			}
			continue
		}
		tt.casedT = append(tt.casedT, span{start, i})
		if ascii {
			end := i
			if k := britishSuffix(tt.lower[start:end]); k >= 0 {
				// The American suffix is never longer than the British one.
				cut := end - len(britishSuffixes[k][0])
				end = cut + copy(tt.lower[cut:], britishSuffixes[k][1])
			}
			tt.lowerT = append(tt.lowerT, span{start, end})
			continue
		}
		ls := len(tt.lower)
		tt.lower = append(tt.lower, lowerWord(s[start:i])...)
		tt.lowerT = append(tt.lowerT, span{ls, len(tt.lower)})
	}
}

// asciiWord marks the ASCII letters and digits; asciiLower lowercases an
// ASCII letter and leaves every other byte as it is.
var asciiWord, asciiLower = func() (w [256]bool, l [256]byte) {
	for c := range 256 {
		b := byte(c)
		w[c] = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
		l[c] = b
		if b >= 'A' && b <= 'Z' {
			l[c] = b + 'a' - 'A'
		}
	}
	return
}()

func (t *Taxonomy) score(tt *tagText, mult float64, scores []float64) {
	for i := range tt.n() {
		w := tt.lowerTok(i)
		if ws := t.words[string(w)]; ws != nil {
			for _, s := range ws.exact {
				if s.matches(tt, i, false) {
					scores[s.topic] += s.weight * mult
				}
			}
			for _, s := range ws.cased {
				if s.matches(tt, i, true) {
					scores[s.topic] += s.weight * mult
				}
			}
			if len(ws.plural) > 0 {
				c := tt.casedTok(i)
				for _, s := range ws.plural {
					if len(c) == len(s.toks[0])+1 && c[len(c)-1] == 's' && c[:len(c)-1] == s.toks[0] {
						scores[s.topic] += s.weight * mult
					}
				}
			}
		}
		if len(w) >= prefixKey {
			if b := uint16(w[0])<<8 | uint16(w[1]); t.prefixFirst[b/64]&(1<<(b%64)) == 0 {
				continue
			}
			for _, s := range t.prefix[string(w[:prefixKey])] {
				if hasPrefix(w, s.toks[0]) {
					scores[s.topic] += s.weight * mult
				}
			}
		}
	}
}

// matches reports whether s starts at token i of tt, as written (cased,
// for acronyms, which are never prefixes) or lowercased.
func (s *signal) matches(tt *tagText, i int, cased bool) bool {
	if i+len(s.toks) > tt.n() {
		return false
	}
	last := len(s.toks) - 1
	for j, want := range s.toks {
		if cased {
			if tt.casedTok(i+j) != want {
				return false
			}
			continue
		}
		got := tt.lowerTok(i + j)
		if j == last && s.prefix {
			if !hasPrefix(got, want) {
				return false
			}
			continue
		}
		if string(got) != want {
			return false
		}
	}
	return true
}

func hasPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}

// tagTokens splits text into runs of letters and digits. With lower, tokens
// are lowercased and spelling-normalised, as signals are.
func tagTokens(s string, lower bool) []string {
	toks := splitWords(s)
	if lower {
		for i, w := range toks {
			toks[i] = lowerWord(w)
		}
	}
	return toks
}

// lowerWord is a token as signals are written: lowercased, with British
// spelling made American.
func lowerWord(w string) string { return normWord(strings.ToLower(w)) }

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
	if k := britishSuffix(w); k >= 0 {
		return w[:len(w)-len(britishSuffixes[k][0])] + britishSuffixes[k][1]
	}
	return w
}

// britishSuffix returns the index in britishSuffixes of the first British
// suffix w ends with, or -1.
func britishSuffix[S string | []byte](w S) int {
	if len(w) < 6 {
		return -1
	}
	for _, k := range britishByLast[w[len(w)-1]] {
		if p := britishSuffixes[k][0]; len(w) >= len(p) && string(w[len(w)-len(p):]) == p {
			return k
		}
	}
	return -1
}

// britishByLast lists, by last byte, the British suffixes ending in it, in
// their order: most words are out at one look-up.
var britishByLast = func() (by [256][]int) {
	for k, p := range britishSuffixes {
		last := p[0][len(p[0])-1]
		by[last] = append(by[last], k)
	}
	return
}()
