package search

import (
	"cmp"
	"context"
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
	Text  string
	Kind  string
	Count int    // papers with it (topics, words, phrases)
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
	context := words[:len(words)-1]
	r, err := x.reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()

	topics, err := x.Topics()
	if err != nil {
		return nil, err
	}
	for _, t := range topics {
		label := strings.ToLower(t.Label)
		if strings.HasPrefix(label, text) || strings.HasPrefix(t.Slug, text) ||
			(len(context) == 0 && slices.ContainsFunc(strings.Fields(label), func(w string) bool { return strings.HasPrefix(w, last) })) {
			out = append(out, Suggestion{Text: t.Label, Kind: SuggestTopic, Topic: t.Slug, Count: x.termCount(ctx, r, fieldTopics, t.Slug)})
		}
	}
	slices.SortStableFunc(out, func(a, b Suggestion) int { return cmp.Compare(b.Count, a.Count) })
	out = out[:min(len(out), n/2+1)]

	completions, err := x.prefixTerms(ctx, r, fieldWords, last, max(n-len(out)-suggestTitles, 3))
	if err != nil {
		return nil, err
	}
	if len(context) == 0 {
		for _, c := range completions {
			out = append(out, Suggestion{Text: c.term, Kind: SuggestWord, Count: c.count})
		}
	} else {
		head := strings.Join(context, " ")
		var phrases []Suggestion
		seen := map[string]bool{}
		for _, c := range completions[:min(len(completions), 2*suggestPhrases)] {
			phrase := head + " " + c.term
			q := query.NewDisjunctionQuery([]query.Query{phraseQuery(fieldTitle, phrase), phraseQuery(fieldAbstract, phrase)})
			key := strings.Join(analyze(x.prose, phrase), " ")
			if len(analyze(x.prose, phrase)) < 2 || seen[key] {
				continue // the more common spelling of one phrase is enough
			}
			seen[key] = true
			cnt, err := x.count(ctx, q)
			if err != nil {
				return nil, err
			}
			if cnt > 0 {
				phrases = append(phrases, Suggestion{Text: phrase, Kind: SuggestPhrase, Count: int(cnt)})
			}
		}
		slices.SortStableFunc(phrases, func(a, b Suggestion) int { return cmp.Compare(b.Count, a.Count) })
		out = append(out, phrases[:min(len(phrases), suggestPhrases)]...)
	}

	// Titles that have the earlier words and a completion of the last.
	var must []query.Query
	for _, w := range context {
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
		req.Fields = []string{fieldTitle}
		res, err := x.bi.SearchInContext(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, h := range res.Hits {
			if t, ok := h.Fields[fieldTitle].(string); ok {
				out = append(out, Suggestion{Text: t, Kind: SuggestTitle, ID: h.ID})
			}
		}
	}
	return out[:min(len(out), n)], nil
}
