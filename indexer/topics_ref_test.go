package indexer

import (
	"slices"
	"strings"
	"testing"
)

// refTagger is Tag as it was before tokens were matched through one map
// and buffers reused: three maps, every token lowercased and looked up in
// each. Ranking the scores did not change and is shared. Tag must agree with it on every text.
type refTagger struct {
	defs                 []TopicDef
	exact, prefix, cased map[string][]*signal
}

func newRefTagger(t *Taxonomy) *refTagger {
	r := &refTagger{defs: t.defs, exact: map[string][]*signal{}, prefix: map[string][]*signal{}, cased: map[string][]*signal{}}
	for i, d := range t.defs {
		for _, term := range d.Terms {
			prefix := strings.HasSuffix(term, "*")
			toks := tagTokens(strings.TrimSuffix(term, "*"), true)
			s := &signal{toks: toks, prefix: prefix, weight: 1, topic: i}
			if len(toks) > 1 {
				s.weight = 1.5
			}
			if prefix && len(toks) == 1 {
				k := toks[0][:prefixKey]
				r.prefix[k] = append(r.prefix[k], s)
				continue
			}
			r.exact[toks[0]] = append(r.exact[toks[0]], s)
		}
		for _, a := range d.Acronyms {
			toks := tagTokens(a, false)
			s := &signal{toks: toks, weight: 1.5, topic: i}
			r.cased[toks[0]] = append(r.cased[toks[0]], s)
		}
	}
	return r
}

func (r *refTagger) tag(title, abstract string) []string {
	scores := make([]float64, len(r.defs))
	r.score(title, titleWeight, scores)
	r.score(abstract, 1, scores)
	out, _ := rankTopics(r.defs, scores, nil)
	return out
}

func (r *refTagger) score(text string, mult float64, scores []float64) {
	cased := tagTokens(text, false)
	lower := make([]string, len(cased))
	for i, c := range cased {
		lower[i] = normWord(strings.ToLower(c))
	}
	for i := range lower {
		w := lower[i]
		for _, s := range r.exact[w] {
			if refMatches(s, lower, i) {
				scores[s.topic] += s.weight * mult
			}
		}
		if len(w) >= prefixKey {
			for _, s := range r.prefix[w[:prefixKey]] {
				if strings.HasPrefix(w, s.toks[0]) {
					scores[s.topic] += s.weight * mult
				}
			}
		}
		c := cased[i]
		for _, s := range r.cased[c] {
			if refMatches(s, cased, i) {
				scores[s.topic] += s.weight * mult
			}
		}
		if strings.HasSuffix(c, "s") {
			for _, s := range r.cased[c[:len(c)-1]] {
				if len(s.toks) == 1 {
					scores[s.topic] += s.weight * mult
				}
			}
		}
	}
}

func refMatches(s *signal, toks []string, i int) bool {
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

// tagCases are texts that reach every kind of signal: British spellings,
// acronyms and their plurals, prefixes, phrases, and text that is not ASCII.
var tagCases = [][2]string{
	{"GPTQ: Accurate Post-Training Quantization for Generative Transformers", ""},
	{"Quantised LLMs and QLoRAs", "We quantise. Quantisation of KV caches; GPTQs, AWQ and SmoothQuants. INT8s and int4."},
	{"Modelling behaviour", "The behaviours of optimisers: modelled, labelled, normalising, tokenisers, colours."},
	{"Naïve Ünïcode Quantización", "Квантизация KD and kd, ＫＤ, K\u212aD, LLMs, LLM's, ﬁne-tuning, İstanbul pruning."},
	{"Retrieval-Augmented Generation", "retrieval augmented generation, retrieval-augmented generation; RAG RAGs rags"},
	{"Mixture of Experts", "mixture-of-experts MoE MoEs MOE; state space models, SSMs, Mamba"},
	{"", ""},
	{"s", "S s ss"},
}

func checkTag(t *testing.T, tax *Taxonomy, ref *refTagger, title, abstract string) {
	t.Helper()
	got, want := tax.Tag(title, abstract), ref.tag(title, abstract)
	if !slices.Equal(got, want) || (got == nil) != (want == nil) {
		t.Errorf("Tag(%q, %q) = %q, want %q", clip(title), clip(abstract), got, want)
	}
}

func TestTagMatchesReference(t *testing.T) {
	tax := DefaultTaxonomy()
	ref := newRefTagger(tax)
	for _, c := range tagCases {
		checkTag(t, tax, ref, c[0], c[1])
	}
	tagged := 0
	for _, p := range demoPapers(t) {
		checkTag(t, tax, ref, p.Title, p.Abstract)
		// Titles as abstracts and the other way round: the title weight on
		// long texts too.
		checkTag(t, tax, ref, p.Abstract, p.Title)
		if len(tax.Tag(p.Title, p.Abstract)) > 0 {
			tagged++
		}
	}
	if tagged < 100 {
		t.Errorf("only %d demo papers tagged: the comparison is too weak", tagged)
	}
	// Every fixture file, raw, as one long title and as one long abstract.
	for _, b := range fixtureFiles(t, "testdata/*/*") {
		checkTag(t, tax, ref, string(b), "")
		checkTag(t, tax, ref, "", string(b))
	}
}

func FuzzTag(f *testing.F) {
	for _, c := range tagCases {
		f.Add(c[0], c[1])
	}
	tax := DefaultTaxonomy()
	ref := newRefTagger(tax)
	f.Fuzz(func(t *testing.T, title, abstract string) {
		checkTag(t, tax, ref, title, abstract)
	})
}
