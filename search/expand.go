package search

import (
	"fmt"
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2/search/query"
)

// Query expansion: acronyms and their long forms, a few synonyms, British
// and American spellings, and the taxonomy's acronyms, which stand for
// their topic. Expanded forms match as alternatives of what was typed and
// rank at half the weight of a typed word; Result.Expansions lists them;
// Request.NoExpand turns them off.

// synonyms are sets of forms that mean the same. A form without a space
// that has a capital letter is an acronym; acronyms here match in any case
// because each one is unambiguous in machine-learning writing.
var synonyms = [][]string{
	{"LLM", "LLMs", "large language model", "large language models"},
	{"PTQ", "post-training quantization"},
	{"QAT", "quantization-aware training"},
	{"KD", "knowledge distillation"},
	{"RAG", "retrieval-augmented generation"},
	{"SSM", "SSMs", "state space model", "state space models", "state-space model"},
	{"MoE", "MoEs", "mixture of experts", "mixture-of-experts"},
	{"VLM", "VLMs", "vision-language model", "vision-language models"},
	{"LoRA", "low-rank adaptation"},
	{"RLHF", "reinforcement learning from human feedback"},
	{"NLP", "natural language processing"},
	{"CoT", "chain of thought", "chain-of-thought"},
	{"ViT", "vision transformer"},
	{"GNN", "GNNs", "graph neural network", "graph neural networks"},
	{"ICL", "in-context learning"},
	{"SFT", "supervised fine-tuning"},
	{"DPO", "direct preference optimization"},
	{"NAS", "neural architecture search"},
	{"ASR", "automatic speech recognition"},
	{"KV cache", "key-value cache"},
}

// normForm lowercases a form and treats hyphens as spaces, so that
// "Post-Training  Quantization" and "post-training quantization" meet.
func normForm(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(strings.ReplaceAll(s, "-", " "))), " ")
}

// synonymSet returns the set a form belongs to, or nil.
func synonymSet(form string) []string {
	n := normForm(form)
	for _, set := range synonyms {
		for _, f := range set {
			if normForm(f) == n {
				return set
			}
		}
	}
	return nil
}

// expansionsOf returns the alternatives of a typed word or phrase, adding
// them to the bag and the plan's expansion list. A negated word's
// alternatives are left out with it: -LLM means no papers on LLMs, whatever
// they are called. They stay out of the bag, and the list shows them negated.
func (c *compiler) expansionsOf(text, scope string, phrase, negated bool) []query.Query {
	key := text
	if negated {
		key = "-" + text
	}
	if c.expanded[key] {
		return nil
	}
	var out []query.Query
	var to []string
	typed := strings.Join(analyze(c.x.prose, text), " ")
	seen := map[string]bool{typed: true}
	for _, f := range synonymSet(text) {
		key := strings.Join(analyze(c.x.prose, f), " ")
		if seen[key] || key == "" {
			continue
		}
		seen[key] = true
		q, _ := c.words(f, scope, strings.Contains(f, " "), negated, expansionWeight, "synonym of "+text)
		if q != nil {
			out = append(out, q)
			to = append(to, negatedForm(f, negated))
		}
	}
	if !phrase {
		for _, v := range spellings(text) {
			if q := c.sameWord(text, v, scope, negated, "spelling of "+text, seen); q != nil {
				out = append(out, q)
				to = append(to, negatedForm(v, negated))
			}
		}
	}
	if !phrase && !negated {
		// A taxonomy acronym, as written (the tagger matches them with
		// their case), stands for its topic.
		for _, t := range c.tax {
			if !slices.ContainsFunc(t.Acronyms, func(a string) bool { return a == text || a+"s" == text }) {
				continue
			}
			to = append(to, "topic:"+t.Slug)
			out = append(out, termQuery(fieldTopics, t.Slug))
			for _, w := range analyze(c.x.prose, t.Label) {
				c.addTerm(w, 3, expansionWeight, "topic of "+text)
			}
		}
	}
	if len(to) > 0 {
		c.expanded[key] = true
		c.p.expansions = append(c.p.expansions, Expansion{From: negatedForm(text, negated), To: to})
	}
	return out
}

// negatedForm writes a form as the query language negates it.
func negatedForm(f string, negated bool) string {
	switch {
	case !negated:
		return f
	case strings.Contains(f, " "):
		return `-"` + f + `"`
	}
	return "-" + f
}

// sameWord matches v, the typed word text in another spelling, if the
// index has it and it is not the same term as something already matched
// (seen, keyed by analysed form). A spelling is the typed word itself: it
// shares the typed word's group, so a paper with both scores for one.
func (c *compiler) sameWord(text, v, scope string, negated bool, note string, seen map[string]bool) query.Query {
	toks := analyze(c.x.prose, v)
	key := strings.Join(toks, " ")
	if seen[key] || len(toks) != 1 {
		return nil
	}
	if c.x.termCount(c.ctx, c.r, fieldAbstract, toks[0])+c.x.termCount(c.ctx, c.r, fieldTitle, toks[0]) == 0 {
		return nil
	}
	seen[key] = true
	typed := strings.Join(analyze(c.x.prose, text), " ")
	typedAt, single := c.termAt[fmt.Sprintf("%d/%s", scopeMask(scope), typed)]
	if single && !negated {
		if c.bag.terms[typedAt].group == 0 {
			c.bag.terms[typedAt].group = c.newGroup()
		}
		c.inGroup = c.bag.terms[typedAt].group
	}
	q, _ := c.words(v, scope, false, negated, spellingWeight, note)
	c.inGroup = 0
	return q
}

// otherAccents matches a typed word written with other accents (renyi and
// Rényi, naive and naïve), as writers and readers type it both ways. This
// is matching, not expansion: it holds with Request.NoExpand, for negated
// words too, and is not listed among the expansions. Names are folded in the
// index instead (see withFolded).
func (c *compiler) otherAccents(text, scope string, negated bool) []query.Query {
	var out []query.Query
	seen := map[string]bool{strings.Join(analyze(c.x.prose, text), " "): true}
	c.proseOnly = true
	defer func() { c.proseOnly = false }()
	for _, v := range c.x.vocab.otherAccents(strings.ToLower(text)) {
		if q := c.sameWord(text, v, scope, negated, "accents of "+text, seen); q != nil {
			out = append(out, q)
		}
	}
	return out
}

// maxPhraseAccents bounds the spellings of a phrase that otherAccents
// tries: each word's spellings multiply.
const maxPhraseAccents = 8

// phraseAccents matches a phrase written with other accents ("naive
// bayes" and "naïve Bayes"): its words rank in their groups, as single
// words do (otherAccents), and the phrase's other spellings that the
// vocabulary has word for word match as phrases.
func (c *compiler) phraseAccents(text, scope string, bagless bool) []query.Query {
	words := strings.Fields(text)
	spellings := [][]string{{}}
	changed := false
	for _, w := range words {
		forms := []string{w}
		if len(analyze(c.x.prose, w)) == 1 {
			c.otherAccents(w, scope, bagless) // for the bag; the phrase matches
			for _, o := range c.x.vocab.otherAccents(strings.ToLower(w)) {
				if c.x.vocab.has(o) {
					forms = append(forms, o)
					changed = true
				}
			}
		}
		var next [][]string
		for _, sp := range spellings {
			for _, f := range forms {
				if len(next) < maxPhraseAccents+1 {
					next = append(next, append(slices.Clone(sp), f))
				}
			}
		}
		spellings = next
	}
	if !changed {
		return nil
	}
	c.proseOnly = true
	defer func() { c.proseOnly = false }()
	var out []query.Query
	for _, sp := range spellings[1:] { // the first is the phrase as typed
		if q, _ := c.words(strings.Join(sp, " "), scope, true, true, spellingWeight, ""); q != nil {
			out = append(out, q)
		}
	}
	return out
}

// longForms finds long forms typed as separate words side by side ("large
// language models") and returns their acronyms as extra alternatives.
func (c *compiler) longForms(should []*clause) []query.Query {
	var words []*clause
	var out []query.Query
	flush := func() {
		for i := 0; i < len(words); i++ {
			for j := min(len(words), i+6); j >= i+2; j-- {
				parts := make([]string, 0, j-i)
				for _, w := range words[i:j] {
					parts = append(parts, w.text)
				}
				phrase := strings.Join(parts, " ")
				if synonymSet(phrase) == nil {
					continue
				}
				out = append(out, c.expansionsOf(phrase, scopeAny, true, false)...)
				i = j - 1
				break
			}
		}
		words = words[:0]
	}
	for _, s := range should {
		if s.kind == kindWord && s.field == scopeAny {
			words = append(words, s)
			continue
		}
		flush()
	}
	flush()
	return out
}

// britishAmerican pairs spelling patterns; each is tried both ways. Only
// spellings that occur in the index are kept, which filters out the
// patterns' false hits ("precise" is not "precize").
var britishAmerican = [][2]string{
	{"isation", "ization"}, {"isations", "izations"}, {"ise", "ize"}, {"ised", "ized"},
	{"ises", "izes"}, {"ising", "izing"}, {"iser", "izer"}, {"isers", "izers"},
	{"yse", "yze"}, {"ysed", "yzed"}, {"ysing", "yzing"},
	{"our", "or"}, {"ours", "ors"}, {"oured", "ored"}, {"ouring", "oring"}, {"ourite", "orite"},
	{"tre", "ter"}, {"tres", "ters"}, {"ogue", "og"}, {"ogues", "ogs"},
	{"ence", "ense"}, {"elled", "eled"}, {"elling", "eling"}, {"oea", "ea"},
}

var britishAmericanPrefixes = [][2]string{
	{"haem", "hem"}, {"anaem", "anem"}, {"oestr", "estr"}, {"oesoph", "esoph"},
	{"paed", "ped"}, {"leukaem", "leukem"}, {"ischaem", "ischem"}, {"foet", "fet"},
}

// spellings returns the other spellings of a word under the patterns.
func spellings(word string) []string {
	w := strings.ToLower(word)
	if len(w) < 5 || strings.ContainsAny(w, " -0123456789") {
		return nil
	}
	var out []string
	add := func(v string) {
		if v != w && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	for _, p := range britishAmerican {
		for _, d := range [][2]string{p, {p[1], p[0]}} {
			if strings.HasSuffix(w, d[0]) && len(w)-len(d[0]) >= 3 {
				add(w[:len(w)-len(d[0])] + d[1])
			}
		}
	}
	for _, p := range britishAmericanPrefixes {
		for _, d := range [][2]string{p, {p[1], p[0]}} {
			if strings.HasPrefix(w, d[0]) {
				add(d[1] + w[len(d[0]):])
			}
		}
	}
	return out
}
