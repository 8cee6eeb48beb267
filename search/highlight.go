package search

import (
	"html"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
)

// Highlighting is done here rather than by Bleve's highlighter, whose
// fragmenter cuts fragments mid-word at fixed character counts. We find the
// matched terms by analysing the hit's text and pick the window of the
// abstract with the most distinct matched terms, cut at word or sentence
// boundaries. Every piece of paper text is HTML-escaped; only <mark> and
// </mark> are added.

const (
	markOpen  = "<mark>"
	markClose = "</mark>"
	// snippetBytes is the target snippet length; snippets are cut at word
	// boundaries near it.
	snippetBytes = 280
)

type span struct {
	start, end int
	term       string
}

// matchSpans lists where text has the given analysed terms, by analysing
// it as the index did. Highlighting this way marks exactly the words that
// matched, inflections included, whatever query produced them.
func (x *Index) matchSpans(text string, terms map[string]bool) []span {
	if len(terms) == 0 || text == "" {
		return nil
	}
	var out []span
	for _, t := range analyzeFor(x.prose, text, terms) {
		if !terms[string(t.Term)] {
			continue
		}
		s, e := t.Start, t.End
		if s < 0 || e > len(text) || s >= e {
			continue
		}
		if n := len(out); n > 0 && s < out[n-1].end {
			out[n-1].end = max(out[n-1].end, e)
			continue
		}
		out = append(out, span{s, e, string(t.Term)})
	}
	return out
}

// analyzeFor analyses text as a, except that it may leave out tokens that
// cannot become any of terms. The prose analyzer's filters each look at
// one token, and none changes its first two letters but for case: the
// possessive filter and Snowball rewrite endings, and Snowball's own
// exceptions that do (dying, lying, tying) are allowed for (see leadSet).
// So a token whose first two letters, lower-cased, start none of the
// terms is dropped before them. Stemming every word of ten abstracts was
// most of the cost of highlighting; with the first letter alone, half of
// a paper's words were still stemmed when a search read it for its terms.
func analyzeFor(a analysis.Analyzer, text string, terms map[string]bool) analysis.TokenStream {
	da, ok := a.(*analysis.DefaultAnalyzer)
	if !ok || len(da.CharFilters) > 0 {
		return a.Analyze([]byte(text))
	}
	var leads leadSet
	for t := range terms {
		leads.add(t)
	}
	var kept analysis.TokenStream
	if _, ok := da.Tokenizer.(*asciiTokenizer); ok && isASCII(text) {
		kept = asciiTokens([]byte(text), &leads)
	} else {
		toks := da.Tokenizer.Tokenize([]byte(text))
		kept = toks[:0]
		for _, t := range toks {
			if leads.keeps(t.Term) {
				kept = append(kept, t)
			}
		}
	}
	for _, f := range da.TokenFilters {
		kept = f.Filter(kept)
	}
	return kept
}

// leadSet holds the beginnings of the tokens that may become one of a set
// of terms (see analyzeFor): by first letter, the second letters.
type leadSet struct {
	first [utf8.RuneSelf]bool // a term starts with the letter
	whole [utf8.RuneSelf]bool // a term is the letter alone: keep every token that starts with it
	// second holds, per first letter, a bitset of the second letters.
	second [utf8.RuneSelf][2]uint64
}

// add lets the tokens through that may become term.
func (l *leadSet) add(term string) {
	if term == "" || term[0] >= utf8.RuneSelf {
		return // such tokens are all kept
	}
	c0 := term[0]
	l.first[c0] = true
	if len(term) == 1 {
		// A possessive ("i's") may shrink to one letter.
		l.whole[c0] = true
		return
	}
	c1 := term[1]
	if c1 >= utf8.RuneSelf {
		return // such tokens are kept by their first letter
	}
	l.second[c0][c1/64] |= 1 << (c1 % 64)
	if c1 == 'i' && (c0 == 'd' || c0 == 'l' || c0 == 't') {
		// Snowball stems dying, lying and tying to die, lie and tie.
		l.second[c0]['y'/64] |= 1 << ('y' % 64)
	}
}

// keeps says whether token, as the tokenizer wrote it, may become one of
// the terms.
func (l *leadSet) keeps(token []byte) bool {
	if len(token) == 0 {
		return true
	}
	c0 := lowerASCII(token[0])
	if c0 >= utf8.RuneSelf || l.whole[c0] {
		return true
	}
	if len(token) == 1 || !l.first[c0] {
		return false
	}
	c1 := lowerASCII(token[1])
	return c1 >= utf8.RuneSelf || l.second[c0][c1/64]&(1<<(c1%64)) != 0
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// markAll returns text[from:to] escaped, with the spans inside it marked.
func markAll(text string, sp []span, from, to int) string {
	var b strings.Builder
	cur := from
	for _, s := range sp {
		if s.start < from || s.end > to {
			continue
		}
		b.WriteString(html.EscapeString(text[cur:s.start]))
		b.WriteString(markOpen)
		b.WriteString(html.EscapeString(text[s.start:s.end]))
		b.WriteString(markClose)
		cur = s.end
	}
	b.WriteString(html.EscapeString(text[cur:to]))
	return b.String()
}

// highlightAuthors returns the authors, escaped, with the tokens that are
// one of names (as written or without accents, as they are indexed) marked;
// nil when none is.
func (x *Index) highlightAuthors(authors []string, names map[string]bool) []string {
	if len(names) == 0 {
		return nil
	}
	out := make([]string, len(authors))
	marked := false
	for i, a := range authors {
		var sp []span
		for _, t := range withFolded(x.names.Analyze([]byte(a))) {
			// A token's ASCII form comes after the others, at its place.
			if names[string(t.Term)] && t.Start >= 0 && t.End <= len(a) && t.Start < t.End &&
				!slices.ContainsFunc(sp, func(s span) bool { return s.start == t.Start }) {
				sp = append(sp, span{t.Start, t.End, string(t.Term)})
			}
		}
		slices.SortFunc(sp, func(a, b span) int { return a.start - b.start })
		marked = marked || len(sp) > 0
		out[i] = markAll(a, sp, 0, len(a))
	}
	if !marked {
		return nil
	}
	return out
}

// highlightTitle marks every match in the whole title.
func highlightTitle(title string, sp []span) string {
	return markAll(title, sp, 0, len(title))
}

// highlightAbstract returns the best snippet of the abstract, or its start
// when nothing matched there.
func highlightAbstract(text string, sp []span) string {
	if len(sp) == 0 {
		return Snippet(text)
	}
	if len(text) <= snippetBytes+40 {
		return markAll(text, sp, 0, len(text))
	}
	// Score each window that starts at a match: distinct terms first (a
	// window with both query words beats one word three times), then count.
	best, bestDistinct, bestCount := 0, -1, -1
	for i := range sp {
		seen := map[string]bool{}
		count := 0
		for j := i; j < len(sp) && sp[j].end <= sp[i].start+snippetBytes; j++ {
			seen[sp[j].term] = true
			count++
		}
		if len(seen) > bestDistinct || (len(seen) == bestDistinct && count > bestCount) {
			best, bestDistinct, bestCount = i, len(seen), count
		}
	}
	start := sp[best].start
	// Give the first match some context: back to the sentence start if it
	// is close, else a few words.
	if s := sentenceStart(text, start); start-s <= 80 {
		start = s
	} else {
		start = wordStart(text, start-40)
	}
	end := start + snippetBytes
	if end >= len(text) {
		end = len(text)
		start = wordStart(text, max(0, end-snippetBytes))
	} else {
		end = wordEnd(text, end)
	}
	out := markAll(text, sp, start, end)
	if start > 0 {
		out = "…" + out
	}
	if end < len(text) {
		out = strings.TrimRight(out, " ,;:") + "…"
	}
	return out
}

func sentenceStart(text string, i int) int {
	for j := i; j > 1; j-- {
		if text[j-1] == ' ' && (text[j-2] == '.' || text[j-2] == '?' || text[j-2] == '!') {
			return j
		}
	}
	return 0
}

// wordStart moves i back to the start of the word it falls in.
func wordStart(text string, i int) int {
	if i <= 0 {
		return 0
	}
	for i > 0 && !utf8.RuneStart(text[i]) {
		i--
	}
	for i > 0 {
		r, size := utf8.DecodeLastRuneInString(text[:i])
		if unicode.IsSpace(r) {
			return i
		}
		i -= size
	}
	return 0
}

// wordEnd moves i forward to the end of the word it falls in.
func wordEnd(text string, i int) int {
	for i < len(text) && !utf8.RuneStart(text[i]) {
		i++
	}
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			return i
		}
		i += size
	}
	return len(text)
}
