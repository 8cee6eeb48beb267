package search

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Highlighting needs where a hit's text matched. Bleve can report that for
// every matching document (from term vectors), but only by decoding the
// positions of every posting of every matching document, which costs more
// than the rest of the search. The page shows ten hits, so instead the
// query says which analysed terms it looks for in which field, and the
// shown hits' text is analysed again to find them: the same analyzer on
// the same text gives the same terms at the same places.

// termSet matches the analysed terms one field of a query looks for.
type termSet struct {
	exact   map[string]bool
	prefix  []string
	pattern []*regexp.Regexp
	fuzzy   []fuzzyTerm
}

type fuzzyTerm struct {
	term   string
	prefix int
	edits  int
}

func (s *termSet) empty() bool {
	return len(s.exact) == 0 && len(s.prefix) == 0 && len(s.pattern) == 0 && len(s.fuzzy) == 0
}

func (s *termSet) matches(term string) bool {
	if s.exact[term] {
		return true
	}
	for _, p := range s.prefix {
		if strings.HasPrefix(term, p) {
			return true
		}
	}
	for _, re := range s.pattern {
		if re.MatchString(term) {
			return true
		}
	}
	for _, f := range s.fuzzy {
		if len(term) >= f.prefix && term[:f.prefix] == f.term[:min(f.prefix, len(f.term))] && editDistance(term, f.term, f.edits) <= f.edits {
			return true
		}
	}
	return false
}

// queryTerms lists, by field, the terms q matches on; the field "" holds
// terms of queries on the default field, which may match in any field.
// Terms under a must-not are left out: they never explain a hit.
func queryTerms(q query.Query, m mapping.IndexMapping) map[string]*termSet {
	out := map[string]*termSet{}
	set := func(field string) *termSet {
		if field == m.DefaultSearchField() {
			field = ""
		}
		s := out[field]
		if s == nil {
			s = &termSet{exact: map[string]bool{}}
			out[field] = s
		}
		return s
	}
	analyse := func(field, analyzer, text string) []string {
		if analyzer == "" {
			analyzer = m.AnalyzerNameForPath(field)
		}
		a := m.AnalyzerNamed(analyzer)
		if a == nil {
			return nil
		}
		var terms []string
		for _, t := range a.Analyze([]byte(text)) {
			terms = append(terms, string(t.Term))
		}
		return terms
	}
	var walk func(q query.Query)
	walk = func(q query.Query) {
		switch q := q.(type) {
		case *query.MatchQuery:
			s := set(q.FieldVal)
			for _, t := range analyse(q.FieldVal, q.Analyzer, q.Match) {
				if q.Fuzziness > 0 {
					s.fuzzy = append(s.fuzzy, fuzzyTerm{t, q.Prefix, q.Fuzziness})
				} else {
					s.exact[t] = true
				}
			}
		case *query.MatchPhraseQuery:
			s := set(q.FieldVal)
			for _, t := range analyse(q.FieldVal, q.Analyzer, q.MatchPhrase) {
				if q.Fuzziness > 0 {
					s.fuzzy = append(s.fuzzy, fuzzyTerm{t, 0, q.Fuzziness})
				} else {
					s.exact[t] = true
				}
			}
		case *query.TermQuery:
			set(q.FieldVal).exact[q.Term] = true
		case *query.PhraseQuery:
			s := set(q.FieldVal)
			for _, t := range q.Terms {
				s.exact[t] = true
			}
		case *query.MultiPhraseQuery:
			s := set(q.FieldVal)
			for _, ts := range q.Terms {
				for _, t := range ts {
					s.exact[t] = true
				}
			}
		case *query.PrefixQuery:
			s := set(q.FieldVal)
			s.prefix = append(s.prefix, q.Prefix)
		case *query.FuzzyQuery:
			s := set(q.FieldVal)
			s.fuzzy = append(s.fuzzy, fuzzyTerm{q.Term, q.Prefix, q.Fuzziness})
		case *query.WildcardQuery:
			if re, err := regexp.Compile("^(?:" + wildcardToRegexp.Replace(q.Wildcard) + ")$"); err == nil {
				s := set(q.FieldVal)
				s.pattern = append(s.pattern, re)
			}
		case *query.RegexpQuery:
			if re, err := regexp.Compile("^(?:" + q.Regexp + ")$"); err == nil {
				s := set(q.FieldVal)
				s.pattern = append(s.pattern, re)
			}
		case *query.QueryStringQuery:
			if p, err := q.Parse(); err == nil {
				walk(p)
			}
		case *query.BooleanQuery:
			walk(q.Must)
			walk(q.Should)
		case *query.ConjunctionQuery:
			for _, c := range q.Conjuncts {
				walk(c)
			}
		case *query.DisjunctionQuery:
			for _, d := range q.Disjuncts {
				walk(d)
			}
		}
	}
	walk(q)
	for f, s := range out {
		if s.empty() {
			delete(out, f)
		}
	}
	return out
}

// wildcardToRegexp is Bleve's translation of wildcards to regular
// expressions.
var wildcardToRegexp = strings.NewReplacer(
	"+", `\+`, "(", `\(`, ")", `\)`, "^", `\^`, "$", `\$`, ".", `\.`, "{", `\{`, "}", `\}`,
	"[", `\[`, "]", `\]`, `|`, `\|`, `\`, `\\`, "*", ".*", "?", ".")

// locations finds the terms of sets in text as analyzer a splits it, in
// the form Bleve reports term-vector locations.
func locations(a analysis.Analyzer, text string, sets ...*termSet) bsearch.TermLocationMap {
	if a == nil {
		return nil
	}
	var out bsearch.TermLocationMap
	add := func(t *analysis.Token) {
		term := string(t.Term)
		for _, s := range sets {
			if s != nil && s.matches(term) {
				if out == nil {
					out = bsearch.TermLocationMap{}
				}
				out[term] = append(out[term], &bsearch.Location{Start: uint64(t.Start), End: uint64(t.End), Pos: uint64(t.Position)})
				return
			}
		}
	}
	heads, ok := exactHeads(sets)
	da, isDefault := a.(*analysis.DefaultAnalyzer)
	if !ok || !isDefault || len(da.CharFilters) > 0 {
		for _, t := range a.Analyze([]byte(text)) {
			add(t)
		}
		return out
	}
	// Token filters (lower case, stop words, stemming) only ever change the
	// end of a word, so an ASCII word whose first two letters, lower-cased,
	// begin no query term cannot match one: only the rest go through the
	// filters, one at a time.
	for _, t := range da.Tokenizer.Tokenize([]byte(text)) {
		if len(t.Term) >= 2 && t.Term[0] < utf8.RuneSelf && t.Term[1] < utf8.RuneSelf &&
			!heads[[2]byte{lowerASCII(t.Term[0]), lowerASCII(t.Term[1])}] && !heads[[2]byte{lowerASCII(t.Term[0]), 0}] {
			continue
		}
		ts := analysis.TokenStream{t}
		for _, f := range da.TokenFilters {
			ts = f.Filter(ts)
		}
		for _, t := range ts {
			add(t)
		}
	}
	return out
}

// exactHeads returns the first two bytes of every term of sets (a term of
// one byte with a zero second), or false when a set matches more than exact
// terms.
func exactHeads(sets []*termSet) (map[[2]byte]bool, bool) {
	heads := map[[2]byte]bool{}
	for _, s := range sets {
		if s == nil {
			continue
		}
		if len(s.prefix) > 0 || len(s.pattern) > 0 || len(s.fuzzy) > 0 {
			return nil, false
		}
		for t := range s.exact {
			switch {
			case t == "":
			case len(t) == 1:
				heads[[2]byte{t[0], 0}] = true
			default:
				heads[[2]byte{t[0], t[1]}] = true
			}
		}
	}
	return heads, true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// editDistance returns the Levenshtein distance of a and b, or limit+1
// once it exceeds limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
