package search

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Suggestion kinds.
const (
	SuggestTopic  = "topic"  // a topic of the taxonomy
	SuggestWord   = "word"   // a word of titles and abstracts
	SuggestPhrase = "phrase" // the words typed so far, completed
	SuggestTitle  = "title"  // a paper whose title matches
)

// Suggestion is one completion of what a user is typing.
type Suggestion struct {
	Text string
	Kind string
	// Count is how many papers have it: for a topic or a word, in the
	// index; for a phrase, among the papers sampled for it.
	Count int
	Topic string // the slug, for a topic
	ID    string // the paper, for a title
}

// Limits of suggestions.
const (
	MaxSuggest     = 20
	minSuggest     = 2 // letters before anything is suggested
	maxSuggestText = 100
	suggestPhrases = 4
	suggestTitles  = 3
)

// Suggest completes the text being typed: topics whose label or slug it
// starts, the most common indexed words that complete its last word (or,
// after other words, the phrases they make that papers contain), and a few
// papers whose titles match. It reads dictionaries and runs small
// searches only, so it can be called on every keystroke.
func (x *Index) Suggest(ctx context.Context, text string, n int) ([]Suggestion, error) {
	out := []Suggestion{}
	if n < 1 {
		n = 10
	}
	n = min(n, MaxSuggest)
	text = strings.ToLower(strings.TrimSpace(text))
	if utf8.RuneCountInString(text) < minSuggest || len(text) > maxSuggestText {
		return out, nil
	}
	words := strings.Fields(text)
	last := words[len(words)-1]
	before := words[:len(words)-1]
	if err := x.rlock(); err != nil {
		return nil, err
	}
	defer x.mu.RUnlock()
	r, err := x.reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()

	topics, err := x.topicList()
	if err != nil {
		return nil, err
	}
	for _, t := range topics {
		label := strings.ToLower(t.Label)
		if strings.HasPrefix(label, text) || strings.HasPrefix(t.Slug, text) ||
			(len(before) == 0 && slices.ContainsFunc(strings.Fields(label), func(w string) bool { return strings.HasPrefix(w, last) })) {
			out = append(out, Suggestion{Text: t.Label, Kind: SuggestTopic, Topic: t.Slug, Count: x.termCount(ctx, r, fieldTopics, t.Slug)})
		}
	}
	slices.SortStableFunc(out, func(a, b Suggestion) int { return cmp.Compare(b.Count, a.Count) })
	out = out[:min(len(out), n/2+1)]

	completions := x.wordsWithPrefix(ctx, r, last, max(n-len(out)-suggestTitles, 3))
	if len(before) == 0 {
		for _, c := range completions {
			out = append(out, Suggestion{Text: c.term, Kind: SuggestWord, Count: c.count})
		}
	} else {
		phrases, err := x.completePhrase(ctx, before, last, completions)
		if err != nil {
			return nil, err
		}
		out = append(out, phrases...)
	}

	// Titles that have the earlier words and a completion of the last.
	var must []query.Query
	bag := x.sampleBag()
	// The bag ranks by the title's words, each once (completions are
	// alternatives: the best of them counts); the match requires them.
	inBag := map[string]bool{}
	add := func(t string, group int) {
		if !inBag[t] {
			inBag[t] = true
			bag.terms = append(bag.terms, queryTerm{text: t, weight: 1, fields: 1 << 0, group: group})
		}
	}
	for _, w := range before {
		for _, t := range analyze(x.prose, w) {
			must = append(must, termQuery(fieldTitle, t))
			add(t, 0)
		}
	}
	var alts []query.Query
	for _, c := range completions {
		for _, t := range analyze(x.prose, c.term) {
			alts = append(alts, termQuery(fieldTitle, t))
			add(t, 1)
		}
	}
	var papers []Paper
	switch {
	case len(alts) == 0:
	case len(must) == 0:
		// One word: Bleve's disjunction keeping its best three was the
		// quicker (0.10 s for "la" at 2.7 million papers, 0.18 s ours).
		req := bleve.NewSearchRequestOptions(query.NewDisjunctionQuery(alts), suggestTitles, 0, false)
		req.Fields = []string{fieldMeta}
		res, err := x.bi.SearchInContext(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, h := range res.Hits {
			p, err := fromFields(h.ID, h.Fields)
			if err != nil {
				return nil, err
			}
			papers = append(papers, p)
		}
	default:
		// Several: the papers in common of the words' lists, as sets,
		// ranked by ours. Bleve scored every paper of the conjunction:
		// 0.38 s for "transformer atten" at 2.7 million papers, 0.05 s
		// this way.
		bag.match = query.NewConjunctionQuery(append(must, query.NewDisjunctionQuery(alts)))
		var err error
		if papers, err = x.sample(ctx, bag, suggestTitles); err != nil {
			return nil, err
		}
	}
	for _, p := range papers {
		if p.Title != "" {
			out = append(out, Suggestion{Text: p.Title, Kind: SuggestTitle, ID: p.ID})
		}
	}
	return out[:min(len(out), n)], nil
}

// phraseSample is how many papers with the typed words are read to find
// how the phrase goes on.
const phraseSample = 50

// sampleBag returns a bag query for the few best papers of a suggestion:
// ranked by their words alone (BM25F), without feedback or proximity.
func (x *Index) sampleBag() *bagQuery {
	rk := defaultRanking()
	rk.proxWeight, rk.fbDocs = 0, 0
	return &bagQuery{rank: rk, stats: x.stats, cache: x.postings}
}

// sample returns the n best papers bag matches, through our own ranker
// and collector. Bleve's search, which suggestions used, scored every
// paper the words matched: at 2.7 million papers "large lang" took 2 s,
// past the deadline, where the page asks on every keystroke. x.mu is held.
func (x *Index) sample(ctx context.Context, bag *bagQuery, n int) ([]Paper, error) {
	c, err := x.collect(ctx, bag, &Request{}, collectOptions{sort: SortRelevance, keep: n})
	if err != nil {
		return nil, err
	}
	defer c.release()
	return c.load(c.ranked())
}

// completePhrase finds how papers continue the words typed so far: it
// reads papers that have the earlier words as a phrase and counts the
// words that follow them there and start with the last, as typed.
func (x *Index) completePhrase(ctx context.Context, before []string, last string, completions []termCount) ([]Suggestion, error) {
	head := strings.Join(before, " ")
	headTerms := analyze(x.prose, head)
	if len(headTerms) == 0 {
		return nil, nil
	}
	words := make([]string, len(before))
	for i, w := range before {
		words[i] = regexp.QuoteMeta(w)
	}
	re, err := regexp.Compile(`(?i)\b` + strings.Join(words, `[\s-]+`) + `[\s-]+(` + regexp.QuoteMeta(last) + `[\p{L}\p{N}-]*)`)
	if err != nil {
		return nil, nil
	}
	// The phrase in title or abstract. One word is no phrase: its lists
	// are read as they are, and it takes no room in the phrase cache.
	var phrase query.Query
	if len(before) == 1 && len(headTerms) == 1 {
		phrase = query.NewDisjunctionQuery([]query.Query{termQuery(fieldTitle, headTerms[0]), termQuery(fieldAbstract, headTerms[0])})
	} else {
		c := &compiler{x: x}
		phrase = query.NewDisjunctionQuery([]query.Query{c.phrase(fieldTitle, head), c.phrase(fieldAbstract, head)})
	}
	var comps []string
	for _, comp := range completions {
		comps = append(comps, analyze(x.prose, comp.term)...)
	}
	// The papers that also have a completion of the last word: they are
	// the likeliest to go on as typed, and far fewer than those with the
	// phrase at 2.7 million papers. But a stop word is never a completion
	// ("large language models fo" goes on with "for"), and the few
	// completions may miss the word that follows: then, and when the last
	// word may start a stop word, the papers with the phrase alone too.
	sample := func(with []string) ([]Paper, error) {
		bag := x.sampleBag()
		seen := map[string]bool{}
		add := func(t string, group int) {
			if !seen[t] {
				seen[t] = true
				bag.terms = append(bag.terms, queryTerm{text: t, weight: 1, group: group})
			}
		}
		for _, t := range headTerms {
			add(t, 0)
		}
		bag.match = phrase
		if with != nil {
			var alts []query.Query
			for _, t := range with {
				alts = append(alts, termQuery(fieldTitle, t), termQuery(fieldAbstract, t))
				add(t, 1)
			}
			bag.match = query.NewConjunctionQuery([]query.Query{phrase, query.NewDisjunctionQuery(alts)})
		}
		return x.sample(ctx, bag, phraseSample)
	}
	var papers []Paper
	if len(comps) > 0 {
		if papers, err = sample(comps); err != nil {
			return nil, err
		}
	}
	if startsStopWord(last) || len(continuations(papers, re, head)) == 0 {
		more, err := sample(nil)
		if err != nil {
			return nil, err
		}
		have := map[string]bool{}
		for _, p := range papers {
			have[p.ID] = true
		}
		for _, p := range more {
			if !have[p.ID] {
				papers = append(papers, p)
			}
		}
	}
	return continuations(papers, re, head), nil
}

// startsStopWord reports whether some stop word starts with prefix.
func startsStopWord(prefix string) bool {
	for w := range proseStopWords() {
		if strings.HasPrefix(w, prefix) {
			return true
		}
	}
	return false
}

// continuations counts, in how many of papers re finds each word that goes
// on from head, and returns the commonest as phrase suggestions.
func continuations(papers []Paper, re *regexp.Regexp, head string) []Suggestion {
	counts := map[string]int{}
	for _, p := range papers {
		for _, text := range []string{p.Title, p.Abstract} {
			seen := map[string]bool{}
			for _, m := range re.FindAllStringSubmatch(text, -1) {
				w := strings.ToLower(strings.TrimRight(m[1], "-"))
				if !seen[w] {
					seen[w] = true
					counts[w]++ // papers, not occurrences
				}
			}
		}
	}
	var out []Suggestion
	for w, n := range counts {
		out = append(out, Suggestion{Text: head + " " + w, Kind: SuggestPhrase, Count: n})
	}
	slices.SortFunc(out, func(a, b Suggestion) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.Text, b.Text)
	})
	return out[:min(len(out), suggestPhrases)]
}
