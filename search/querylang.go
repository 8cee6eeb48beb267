package search

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The query language, for the CLI, the API and the page alike:
//
//	quantization llm          either word; papers with both rank first
//	"long context"            a phrase
//	+quantization -vision     required, excluded
//	title:pruning  abstract:"kv cache"  author:hinton
//	topic:quantization  category:cs.CL  year:2024  year:2023..2025
//	quant*                    a prefix (at least 3 letters, the 64 most
//	                          common completions)
//	quantisation~1            fuzzy, at most 2 edits
//	(pruning OR distillation) AND NOT vision
//
// Words side by side are alternatives that rank together (BM25): a paper
// needs one of them, more is better. AND, OR and NOT are operators only in
// capitals; AND binds tighter than OR; an AND group, +word and a filter on
// topic, category or year are required where they stand. Field names also
// have short forms: ti, abs, au, authors, cat, topics.
//
// Malformed queries are repaired, never refused: an unmatched quote is
// dropped and its words searched, a missing parenthesis is closed, a lone
// - or + or a dangling AND is ignored, "title:" with nothing after it is
// dropped, leading and inner wildcards are removed. Each repair adds a
// notice. A query is refused (ErrBadQuery) only when no sense can be made
// of it: no searchable word at all, a year that is not a year, an unknown
// topic, or past the limits below.

// Limits on what one query may ask for.
const (
	maxClauses    = MaxClauses // words, phrases and filters
	maxDepth      = 8          // nested parentheses
	maxFuzziness  = MaxFuzziness
	minPrefix     = 3  // letters before a *
	maxPrefixExp  = 64 // completions of one prefix
	maxFuzzyExp   = 32 // spellings one fuzzy word reaches
	maxPhraseToks = 16
)

// clauseKind says what a clause matches.
type clauseKind int

const (
	kindBool clauseKind = iota
	kindWord
	kindPhrase
	kindPrefix
	kindFuzzy
	kindYear
	kindTopic
	kindCategory
)

// Fields a clause may be scoped to; "" is title, abstract and authors.
const (
	scopeAny      = ""
	scopeTitle    = "title"
	scopeAbstract = "abstract"
	scopeAuthor   = "author"
	scopeTopic    = "topic"
	scopeCategory = "category"
	scopeYear     = "year"
)

var fieldAliases = map[string]string{
	"title": scopeTitle, "ti": scopeTitle,
	"abstract": scopeAbstract, "abs": scopeAbstract,
	"author": scopeAuthor, "authors": scopeAuthor, "au": scopeAuthor,
	"topic": scopeTopic, "topics": scopeTopic,
	"category": scopeCategory, "categories": scopeCategory, "cat": scopeCategory,
	"year": scopeYear,
}

// clause is a parsed query: a tree of boolean groups over leaves.
type clause struct {
	kind  clauseKind
	field string // a scope* constant
	text  string // as typed, for words, phrases, prefixes, topics, categories
	fuzz  int
	from  int // years, inclusive; 0 means open
	to    int
	span  [2]int // byte offsets of a word in the query, for corrections
	// matchOnly marks a word that matches papers but adds nothing to the
	// ranking (the words of "kv cache"~2, which the phrase ranks).
	matchOnly bool

	// kindBool: every must, at least one should unless there is a must,
	// and no not.
	must, should, not []*clause
}

func (c *clause) leaf() bool { return c.kind != kindBool }

// metadata reports whether a clause filters rather than matches text: a
// topic, category or year, or a group of them such as (year:2023 OR
// year:2025).
func (c *clause) metadata() bool {
	if c.kind != kindBool {
		return c.kind == kindYear || c.kind == kindTopic || c.kind == kindCategory
	}
	if len(c.must)+len(c.should) == 0 || len(c.not) > 0 {
		return false
	}
	for _, g := range [][]*clause{c.must, c.should} {
		for _, s := range g {
			if !s.metadata() {
				return false
			}
		}
	}
	return true
}

// walk calls f on every clause, depth first; negated reports whether the
// clause is under a not.
func (c *clause) walk(f func(c *clause, negated bool)) {
	var rec func(c *clause, neg bool)
	rec = func(c *clause, neg bool) {
		f(c, neg)
		for _, s := range c.must {
			rec(s, neg)
		}
		for _, s := range c.should {
			rec(s, neg)
		}
		for _, s := range c.not {
			rec(s, !neg)
		}
	}
	rec(c, false)
}

// tokKind is a lexical token's kind.
type tokKind int

const (
	tokWord tokKind = iota
	tokPhrase
	tokField
	tokLParen
	tokRParen
	tokAnd
	tokOr
	tokNot
	tokPlus
	tokMinus
)

type token struct {
	kind tokKind
	text string
	pos  int // byte offset of the text
	// near is a phrase's proximity suffix as typed ("~2"), or "".
	near string
}

// parser turns a query into clauses, collecting notices about repairs.
type parser struct {
	src     string
	toks    []token
	i       int
	notices []string
	leaves  int
	err     error
}

func (p *parser) notice(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	for _, n := range p.notices {
		if n == msg {
			return
		}
	}
	p.notices = append(p.notices, msg)
}

// parseQuery parses a query. An error wraps ErrBadQuery.
func parseQuery(q string) (*clause, []string, error) {
	p := &parser{src: q}
	p.lex()
	root := p.list(0)
	if p.err != nil {
		return nil, p.notices, p.err
	}
	return root, p.notices, nil
}

func isSpace(r rune) bool { return unicode.IsSpace(r) }

// isSeparator reports whether r parts words as a space does. Pasted text
// joins words with these ("quantization;llm", "<b>pruning</b>"), and read
// as one word they were a phrase that matched nothing. Hyphens, slashes,
// dots and apostrophes still join: "post-training", "TCP/IP", "cs.CL".
func isSeparator(r rune) bool { return strings.ContainsRune(";,<>=^|!{}[]", r) }

// lex splits the query into tokens. Operators count only in capitals, and
// not in a query that is all capitals (shouting, or a pasted title), where
// AND, OR and NOT are words.
func (p *parser) lex() {
	s := p.src
	shouting := isShouting(s)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case isSpace(r) || isSeparator(r):
			i += size
		case r == '(':
			p.toks = append(p.toks, token{kind: tokLParen, pos: i})
			i++
		case r == ')':
			p.toks = append(p.toks, token{kind: tokRParen, pos: i})
			i++
		case r == '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				p.notice(`Ignored an unmatched quote (") and searched the words after it`)
				i++
				continue
			}
			t := token{kind: tokPhrase, text: s[i+1 : i+1+end], pos: i + 1}
			i += end + 2
			if i < len(s) && s[i] == '~' {
				j := i + 1
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
				t.near, i = s[i:j], j
			}
			p.toks = append(p.toks, t)
		case r == '+' || r == '-':
			j := i
			for j < len(s) && (s[j] == '+' || s[j] == '-') {
				j++
			}
			next, _ := utf8.DecodeRuneInString(s[j:])
			if j == len(s) || isSpace(next) || next == ')' {
				p.notice("Ignored a lone %q", s[i:j])
				i = j
				continue
			}
			kind := tokPlus
			if s[j-1] == '-' {
				kind = tokMinus
			}
			p.toks = append(p.toks, token{kind: kind, pos: i})
			i = j
		default:
			j := i
			for j < len(s) {
				r, size := utf8.DecodeRuneInString(s[j:])
				if isSpace(r) || isSeparator(r) || r == '(' || r == ')' || r == '"' {
					break
				}
				if r == ':' {
					if name, ok := fieldAliases[strings.ToLower(s[i:j])]; ok {
						p.toks = append(p.toks, token{kind: tokField, text: name, pos: i})
						j += size
						i = j
						goto next
					}
				}
				j += size
			}
			switch w := s[i:j]; {
			case w == "AND" && !shouting:
				p.toks = append(p.toks, token{kind: tokAnd, pos: i})
			case w == "OR" && !shouting:
				p.toks = append(p.toks, token{kind: tokOr, pos: i})
			case w == "NOT" && !shouting:
				p.toks = append(p.toks, token{kind: tokNot, pos: i})
			default:
				p.toks = append(p.toks, token{kind: tokWord, text: w, pos: i})
			}
			i = j
		next:
		}
	}
}

// isShouting reports whether a query is written in capitals throughout,
// with at least two long words (so "LLM AND RAG" keeps its operator).
func isShouting(s string) bool {
	long := 0
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if strings.ToUpper(w) != w {
			return false
		}
		if utf8.RuneCountInString(w) >= 6 {
			long++
		}
	}
	return long >= 2
}

func (p *parser) peek() (token, bool) {
	if p.i >= len(p.toks) {
		return token{}, false
	}
	return p.toks[p.i], true
}

// list parses clauses side by side until the end or a closing parenthesis.
func (p *parser) list(depth int) *clause {
	g := &clause{kind: kindBool}
	for p.err == nil {
		t, ok := p.peek()
		if !ok {
			break
		}
		if t.kind == tokRParen {
			if depth > 0 {
				break
			}
			p.notice("Ignored an unmatched closing parenthesis")
			p.i++
			continue
		}
		if t.kind == tokAnd || t.kind == tokOr {
			p.notice("Ignored %s with nothing before it", opName(t.kind))
			p.i++
			continue
		}
		c, neg, req := p.or(depth)
		if c == nil {
			continue
		}
		switch {
		case neg:
			g.not = append(g.not, c)
		case req || (c.kind == kindBool && len(c.must) > 0) || c.metadata():
			// An AND group, +word and a filter are required where they stand.
			g.must = append(g.must, c)
		default:
			g.should = append(g.should, c)
		}
	}
	p.eitherYear(g)
	return g
}

// eitherYear reads years that a group requires and that have no year in
// common (year:2024 year:2025) as either of them: all of them can only
// match nothing. Years that meet (year:2020.. year:..2024) narrow each other.
func (p *parser) eitherYear(g *clause) {
	var years []*clause
	var rest []*clause
	from, to := 0, 0
	for _, c := range g.must {
		if c.kind != kindYear {
			rest = append(rest, c)
			continue
		}
		years = append(years, c)
		if c.from != 0 && c.from > from {
			from = c.from
		}
		if c.to != 0 && (to == 0 || c.to < to) {
			to = c.to
		}
	}
	if len(years) < 2 || from == 0 || to == 0 || from <= to {
		return
	}
	var typed []string
	for _, y := range years {
		typed = append(typed, "year:"+y.text)
	}
	p.notice("%s have no year in common; searched any of them", strings.Join(typed, " and "))
	g.must = append(rest, &clause{kind: kindBool, should: years})
}

func opName(k tokKind) string {
	switch k {
	case tokAnd:
		return "AND"
	case tokOr:
		return "OR"
	}
	return "NOT"
}

// or parses a OR b OR ...; neg and req carry a - or + on a lone operand.
func (p *parser) or(depth int) (c *clause, neg, req bool) {
	first, neg, req := p.and(depth)
	alts := []*clause{}
	if first != nil {
		alts = append(alts, wrapSign(first, neg))
	}
	for p.err == nil {
		t, ok := p.peek()
		if !ok || t.kind != tokOr {
			break
		}
		p.i++
		next, nneg, _ := p.and(depth)
		if next == nil {
			p.notice("Ignored OR with nothing after it")
			break
		}
		alts = append(alts, wrapSign(next, nneg))
	}
	switch len(alts) {
	case 0:
		return nil, false, false
	case 1:
		return first, neg, req
	}
	return &clause{kind: kindBool, should: alts}, false, false
}

// and parses a AND b AND ...
func (p *parser) and(depth int) (c *clause, neg, req bool) {
	first, neg, req := p.unary(depth)
	var parts []*clause
	var nots []*clause
	add := func(c *clause, neg bool) {
		if neg {
			nots = append(nots, c)
		} else {
			parts = append(parts, c)
		}
	}
	if first != nil {
		add(first, neg)
	}
	anded := false
	for p.err == nil {
		t, ok := p.peek()
		if !ok || t.kind != tokAnd {
			break
		}
		p.i++
		next, nneg, _ := p.unary(depth)
		if next == nil {
			p.notice("Ignored AND with nothing after it")
			break
		}
		anded = true
		add(next, nneg)
	}
	if !anded {
		return first, neg, req
	}
	if len(parts) == 0 {
		// Only negations: everything except them.
		return &clause{kind: kindBool, not: nots}, false, true
	}
	g := &clause{kind: kindBool, must: parts, not: nots}
	p.eitherYear(g)
	return g, false, true
}

// wrapSign turns a negated operand of OR into a group that excludes it.
func wrapSign(c *clause, neg bool) *clause {
	if !neg {
		return c
	}
	return &clause{kind: kindBool, not: []*clause{c}}
}

// unary parses NOT x, -x, +x, field:x, (group) or a leaf.
func (p *parser) unary(depth int) (c *clause, neg, req bool) {
	for p.err == nil {
		t, ok := p.peek()
		if !ok {
			return nil, false, false
		}
		switch t.kind {
		case tokNot, tokMinus, tokPlus:
			p.i++
			c, n, r := p.unary(depth)
			if c == nil {
				if t.kind == tokNot {
					p.notice("Ignored NOT with nothing after it")
				}
				return nil, false, false
			}
			if t.kind == tokPlus {
				return c, n, true
			}
			return c, !n, r
		case tokField:
			p.i++
			nt, ok := p.peek()
			if !ok || nt.kind == tokRParen || nt.kind == tokAnd || nt.kind == tokOr {
				p.notice("Ignored %s: with nothing after it", t.text)
				return nil, false, false
			}
			c, n, r := p.unary(depth)
			if c == nil {
				p.notice("Ignored %s: with nothing after it", t.text)
				return nil, false, false
			}
			p.scope(c, t.text)
			return c, n, r
		case tokLParen:
			p.i++
			if depth+1 > maxDepth {
				p.err = fmt.Errorf("%w: parentheses are nested more than %d deep", ErrBadQuery, maxDepth)
				return nil, false, false
			}
			g := p.list(depth + 1)
			if t, ok := p.peek(); ok && t.kind == tokRParen {
				p.i++
			} else {
				p.notice("Closed an unclosed parenthesis")
			}
			if len(g.must)+len(g.should)+len(g.not) == 0 {
				p.notice("Ignored empty parentheses")
				return nil, false, false
			}
			if len(g.must)+len(g.not) == 0 && len(g.should) == 1 {
				return g.should[0], false, false
			}
			return g, false, false
		case tokPhrase:
			p.i++
			if strings.TrimSpace(t.text) == "" {
				p.notice("Ignored an empty phrase")
				return nil, false, false
			}
			if t.near != "" {
				return p.near(t), false, false
			}
			return p.newLeaf(&clause{kind: kindPhrase, text: t.text, span: [2]int{t.pos, t.pos + len(t.text)}}), false, false
		case tokWord:
			p.i++
			c := p.word(t)
			if c == nil {
				continue
			}
			return p.newLeaf(c), false, false
		case tokRParen, tokAnd, tokOr:
			return nil, false, false
		}
	}
	return nil, false, false
}

// near reads a phrase with a proximity suffix ("kv cache"~2) as the phrase
// (with its expansions) or all of its words: the index matches phrases
// exactly or not at all, and the ranker's proximity bonus puts the papers
// with the words close together first. It is an optional part of the
// query, as a phrase is.
func (p *parser) near(t token) *clause {
	all := &clause{kind: kindBool}
	for off := 0; off < len(t.text); {
		r, size := utf8.DecodeRuneInString(t.text[off:])
		if isSpace(r) || isSeparator(r) {
			off += size
			continue
		}
		end := off
		for end < len(t.text) {
			r, size := utf8.DecodeRuneInString(t.text[end:])
			if isSpace(r) || isSeparator(r) {
				break
			}
			end += size
		}
		// The words match only: the phrase's own words rank, once, and
		// they count once towards the query's limit.
		if c := p.word(token{kind: tokWord, text: t.text[off:end], pos: t.pos + off}); c != nil {
			c.matchOnly = true
			all.must = append(all.must, c)
		}
		off = end
	}
	phrase := p.newLeaf(&clause{kind: kindPhrase, text: t.text, span: [2]int{t.pos, t.pos + len(t.text)}})
	if len(all.must) < 2 {
		p.notice("Ignored %q after a phrase of one word", t.near)
		return phrase
	}
	p.notice("Searched %q%s as the phrase or all of its words, close together first", t.text, t.near)
	return &clause{kind: kindBool, should: []*clause{phrase, all}}
}

func (p *parser) newLeaf(c *clause) *clause {
	p.leaves++
	if p.leaves > maxClauses && p.err == nil {
		p.err = fmt.Errorf("%w: the query has more than %d words, phrases and filters", ErrBadQuery, maxClauses)
	}
	return c
}

// word reads a word token: a plain word, a prefix (quant*) or a fuzzy word
// (word~1). It returns nil when nothing searchable is left.
func (p *parser) word(t token) *clause {
	w := t.text
	c := &clause{kind: kindWord}
	if i := strings.LastIndexByte(w, '~'); i > 0 {
		n := 1
		if rest := w[i+1:]; rest != "" {
			v, err := strconv.Atoi(rest)
			if err != nil || v < 0 {
				v = 1
				p.notice("Read %q as fuzziness 1", w[i:])
			}
			n = v
		}
		if n > maxFuzziness {
			p.notice("Fuzziness is at most %d; used %d for %q", maxFuzziness, maxFuzziness, w[:i])
			n = maxFuzziness
		}
		w = w[:i]
		if n > 0 {
			c.kind, c.fuzz = kindFuzzy, n
		}
	}
	// A sentence's full stop is not part of its last word, whose
	// expansions are looked up as written; two dots are a year range.
	if strings.HasSuffix(w, ".") && !strings.HasSuffix(w, "..") {
		w = w[:len(w)-1]
	}
	if strings.HasSuffix(w, "*") {
		w = strings.TrimRight(w, "*")
		c.kind = kindPrefix
		c.fuzz = 0
	}
	if strings.HasPrefix(w, "*") || strings.HasPrefix(w, "?") {
		p.notice("Leading wildcards are not supported; searched %q", strings.TrimLeft(w, "*?"))
		w = strings.TrimLeft(w, "*?")
	}
	if strings.ContainsAny(w, "*?") {
		p.notice("Wildcards work only at the end of a word; searched %q", strings.NewReplacer("*", "", "?", "").Replace(w))
		w = strings.NewReplacer("*", "", "?", "").Replace(w)
	}
	if c.kind == kindPrefix && utf8.RuneCountInString(w) < minPrefix {
		if w != "" {
			p.notice("A prefix needs at least %d letters; searched %q as a word", minPrefix, w)
		}
		c.kind = kindWord
	}
	if w == "" {
		return nil
	}
	c.text = w
	if i := strings.Index(t.text, w); i >= 0 {
		// The span takes in the leading wildcards dropped above: a
		// correction replaces what was typed with what was searched.
		start := i
		for start > 0 && (t.text[start-1] == '*' || t.text[start-1] == '?') {
			start--
		}
		c.span = [2]int{t.pos + start, t.pos + i + len(w)}
	} else {
		// Inner wildcards were dropped: the word is the whole token.
		c.span = [2]int{t.pos, t.pos + len(t.text)}
	}
	return c
}

// scope applies a field to a parsed clause: to a leaf, or to every leaf of
// a group that has no scope of its own.
func (p *parser) scope(c *clause, field string) {
	if !c.leaf() {
		for _, g := range [][]*clause{c.must, c.should, c.not} {
			for _, s := range g {
				p.scope(s, field)
			}
		}
		return
	}
	if c.field != scopeAny || c.metadata() {
		return // an inner scope wins
	}
	switch field {
	case scopeTitle, scopeAbstract, scopeAuthor:
		c.field = field
	case scopeTopic, scopeCategory:
		if c.kind != kindWord && c.kind != kindPhrase {
			p.notice("%s: takes a value, not a pattern; searched %q", field, c.text)
		}
		c.kind = kindTopic
		if field == scopeCategory {
			c.kind = kindCategory
		}
		c.field = field
	case scopeYear:
		from, to, ok := parseYears(c.text)
		if !ok {
			if p.err == nil {
				p.err = fmt.Errorf("%w: year:%s is not a year; write year:2024, year:2023..2025, year:2023.. or year:..2025", ErrBadQuery, c.text)
			}
			return
		}
		if from != 0 && to != 0 && from > to {
			p.notice("Read year:%s as year:%d..%d", c.text, to, from)
			from, to = to, from
		}
		c.kind, c.field, c.from, c.to = kindYear, scopeYear, from, to
	}
}

// parseYears reads 2024, 2023..2025, 2023.., ..2025 or 2023-2025.
func parseYears(s string) (from, to int, ok bool) {
	s = strings.TrimSpace(s)
	lo, hi, isRange := strings.Cut(s, "..")
	if !isRange {
		lo, hi, isRange = strings.Cut(s, "-")
	}
	year := func(v string) (int, bool) {
		if v == "" {
			return 0, true
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 || n > 9999 {
			return 0, false
		}
		return n, true
	}
	if !isRange {
		y, ok := year(lo)
		return y, y, ok && y != 0
	}
	from, ok1 := year(lo)
	to, ok2 := year(hi)
	return from, to, ok1 && ok2 && (from != 0 || to != 0)
}
