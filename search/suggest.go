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
		phrases, err := x.completePhrase(ctx, before, last)
		if err != nil {
			return nil, err
		}
		out = append(out, phrases...)
	}

	// Titles that have the earlier words and a completion of the last.
	var must []query.Query
	for _, w := range before {
		for _, t := range analyze(x.prose, w) {
			must = append(must, termQuery(fieldTitle, t))
		}
	}
	var alts []query.Query
	for _, c := range completions {
		for _, t := range analyze(x.prose, c.term) {
			alts = append(alts, termQuery(fieldTitle, t))
		}
	}
	if len(alts) > 0 {
		must = append(must, query.NewDisjunctionQuery(alts))
		req := bleve.NewSearchRequestOptions(query.NewConjunctionQuery(must), suggestTitles, 0, false)
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
			if p.Title != "" {
				out = append(out, Suggestion{Text: p.Title, Kind: SuggestTitle, ID: h.ID})
			}
		}
	}
	return out[:min(len(out), n)], nil
}

// phraseSample is how many papers with the typed words are read to find
// how the phrase goes on.
const phraseSample = 50

// completePhrase finds how papers continue the words typed so far: it
// reads papers that have the earlier words as a phrase and counts the
// words that follow them there and start with the last, as typed.
func (x *Index) completePhrase(ctx context.Context, before []string, last string) ([]Suggestion, error) {
	head := strings.Join(before, " ")
	if len(analyze(x.prose, head)) == 0 {
		return nil, nil
	}
	q := query.NewDisjunctionQuery([]query.Query{phraseQuery(fieldTitle, head), phraseQuery(fieldAbstract, head)})
	req := bleve.NewSearchRequestOptions(q, phraseSample, 0, false)
	req.Fields = []string{fieldMeta}
	res, err := x.bi.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	words := make([]string, len(before))
	for i, w := range before {
		words[i] = regexp.QuoteMeta(w)
	}
	re, err := regexp.Compile(`(?i)\b` + strings.Join(words, `[\s-]+`) + `[\s-]+(` + regexp.QuoteMeta(last) + `[\p{L}\p{N}-]*)`)
	if err != nil {
		return nil, nil
	}
	counts := map[string]int{}
	for _, h := range res.Hits {
		p, err := fromFields(h.ID, h.Fields)
		if err != nil {
			return nil, err
		}
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
	return out[:min(len(out), suggestPhrases)], nil
}
