package search

import (
	"html"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	bsearch "github.com/blevesearch/bleve/v2/search"
)

// Highlighting is done here rather than by Bleve's highlighter, whose
// fragmenter cuts fragments mid-word at fixed character counts. We take the
// match positions Bleve reports (from term vectors) and pick the window of
// the abstract with the most distinct matched terms, cut at word or sentence
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

// spans lists the match positions in one field, sorted and without overlaps.
func spans(text string, locs bsearch.TermLocationMap) []span {
	var out []span
	for term, ls := range locs {
		for _, l := range ls {
			s, e := int(l.Start), int(l.End)
			if s < 0 || e > len(text) || s >= e {
				continue
			}
			out = append(out, span{s, e, term})
		}
	}
	slices.SortFunc(out, func(a, b span) int { return a.start - b.start })
	merged := out[:0]
	for _, s := range out {
		if n := len(merged); n > 0 && s.start < merged[n-1].end {
			merged[n-1].end = max(merged[n-1].end, s.end)
			continue
		}
		merged = append(merged, s)
	}
	return merged
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

// highlightTitle marks every match in the whole title.
func highlightTitle(title string, locs bsearch.TermLocationMap) string {
	return markAll(title, spans(title, locs), 0, len(title))
}

// highlightAbstract returns the best snippet of the abstract, or its start
// when nothing matched there.
func highlightAbstract(text string, locs bsearch.TermLocationMap) string {
	sp := spans(text, locs)
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
