package search

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	"golang.org/x/text/unicode/norm"
)

// Expansion records that a query word or phrase was also searched as
// other forms: an acronym's long form, a synonym, another spelling, or a
// topic the taxonomy ties to an acronym ("topic:quantization").
type Expansion struct {
	From string
	To   []string
}

// Weights of bag terms that the user did not type as such.
const (
	expansionWeight = 0.5 // a synonym or long form, per word
	spellingWeight  = 1.0 // the same word in another spelling
)

// plan is a compiled query: which papers match, how they rank, and what
// the response should say about it.
type plan struct {
	// match selects papers; nil means the bag alone does (any of its terms).
	match query.Query
	bag   *bagQuery
	// highlight holds the analysed prose terms to mark in hits, and
	// names the name terms to mark in their authors.
	highlight  map[string]bool
	names      map[string]bool
	expansions []Expansion
	notices    []string
	corrected  string
	// shortUnknown says a short word (under longWord letters) appears
	// nowhere: worth correcting only if the query finds little.
	shortUnknown bool
}

// Spelling correction. A word of longWord letters or more that appears
// nowhere is corrected at once; a shorter one ("quote") may be a real word
// the papers just do not use, so it is corrected only when the query
// finds fewer than fewHits papers without it.
const (
	longWord = 7
	fewHits  = 5
)

// compileOptions are the request's switches that change compilation.
type compileOptions struct {
	expand       bool
	correct      bool
	correctShort bool // correct unknown words of 4 to 6 letters too
}

// compiler carries one compilation's state.
type compiler struct {
	x    *Index
	r    index.IndexReader
	ctx  context.Context
	opts compileOptions
	tax  []Topic

	bag    *bagQuery
	termAt map[string]int // "mask/term" -> index in bag.terms
	nameAt map[string]int
	pure   bool // the query is plain words: the bag alone decides matches
	// last is the bag index of the previous typed word's last term, so
	// that words typed side by side form proximity pairs; -1 when none.
	last     int
	p        *plan
	expanded map[string]bool
	// inGroup, when not 0, is given to the terms addTerm adds (see
	// queryTerm.group); groups counts the groups handed out.
	inGroup, groups int
	// proseOnly keeps words from matching author names: a word's other
	// accents, whose names the index already holds folded.
	proseOnly bool
}

// compile parses and compiles a query. Empty text compiles to match-all.
func (x *Index) compile(ctx context.Context, text string, opts compileOptions) (*plan, error) {
	p := &plan{highlight: map[string]bool{}}
	if text == "" {
		p.match = query.NewMatchAllQuery()
		p.bag = &bagQuery{rank: defaultRanking()}
		return p, nil
	}
	text = plainForms(text)
	root, notices, err := parseQuery(text)
	p.notices = notices
	if err != nil {
		return nil, err
	}
	r, err := x.reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	tax, err := x.topicList()
	if err != nil {
		return nil, err
	}
	c := &compiler{
		x: x, r: r, ctx: ctx, opts: opts, tax: tax, p: p, pure: true, last: -1,
		bag:    &bagQuery{rank: defaultRanking()},
		termAt: map[string]int{}, nameAt: map[string]int{}, expanded: map[string]bool{},
	}
	if len(root.must)+len(root.should)+len(root.not) == 0 && len(notices) > 0 {
		// Repairs left nothing: list everything, and say why.
		p.match = query.NewMatchAllQuery()
		p.bag = c.bag
		return p, nil
	}
	if opts.correct {
		p.corrected = c.correct(root, text)
	}
	m, err := c.clause(root, false, true)
	if err != nil {
		return nil, err
	}
	if m == nil && c.bag.empty() {
		repaired := ""
		if len(notices) > 0 {
			// A repair may be why ("a*" became the stop word "a").
			repaired = " (" + strings.Join(notices, "; ") + ")"
		}
		if strings.IndexFunc(text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0 {
			return nil, fmt.Errorf("%w: nothing to search for in %q%s: it has no letter or digit, and papers are searched by their words", ErrBadQuery, clipQuery(text), repaired)
		}
		return nil, fmt.Errorf("%w: nothing to search for in %q%s: its words are too common to be indexed, or are only operators", ErrBadQuery, clipQuery(text), repaired)
	}
	if !c.pure || c.bag.empty() {
		p.match = m
	}
	p.bag = c.bag
	for _, n := range c.bag.names {
		if p.names == nil {
			p.names = map[string]bool{}
		}
		p.names[n.text] = true
	}
	return p, nil
}

// plainForms replaces the ligatures of text pasted from PDFs ("eﬃcient")
// and the fullwidth letters of East Asian keyboards (ＬＬＭ) by the letters
// they stand for, which is how papers write them. Only those two blocks:
// NFKC would also make the micro sign µ a Greek μ and R² "R2", where
// papers' text, indexed as written, keeps them.
func plainForms(text string) string {
	compat := func(r rune) bool { return r >= 0xFB00 && r <= 0xFB4F || r >= 0xFF00 && r <= 0xFFEF }
	if strings.IndexFunc(text, compat) < 0 {
		return text
	}
	var b strings.Builder
	for _, r := range text {
		if compat(r) {
			b.WriteString(norm.NFKC.String(string(r)))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func clipQuery(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// clause compiles one clause into a matching query (nil when nothing in it
// can match, such as a stop word), adding its words to the bag unless it
// is negated. top marks the query's outermost group.
func (c *compiler) clause(cl *clause, negated, top bool) (query.Query, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, err
	}
	if cl.kind == kindBool {
		return c.group(cl, negated, top)
	}
	if !top && cl.kind != kindWord {
		c.pure = false
	}
	switch cl.kind {
	case kindWord, kindPhrase:
		return c.text(cl, negated)
	case kindPrefix, kindFuzzy:
		c.pure = false
		return c.pattern(cl, negated || cl.matchOnly)
	case kindYear:
		c.pure = false
		return yearRange(cl.from, cl.to), nil
	case kindTopic:
		c.pure = false
		slug, err := c.topicSlug(cl.text)
		if err != nil {
			return nil, err
		}
		return termQuery(fieldTopics, slug), nil
	case kindCategory:
		c.pure = false
		return termQuery(fieldCategories, c.category(cl.text)), nil
	}
	return nil, fmt.Errorf("%w: unknown clause", ErrBadQuery)
}

func (c *compiler) group(cl *clause, negated, top bool) (query.Query, error) {
	if !top || len(cl.must) > 0 || len(cl.not) > 0 {
		c.pure = false
	}
	var must, should, not []query.Query
	filtersOnly := true // the required clauses are all topic, category or year filters
	for _, s := range cl.must {
		filtersOnly = filtersOnly && s.metadata()
		q, err := c.clause(s, negated, false)
		if err != nil {
			return nil, err
		}
		if q != nil {
			must = append(must, q)
		}
	}
	for _, s := range cl.should {
		q, err := c.clause(s, negated, top && s.leaf())
		if err != nil {
			return nil, err
		}
		if q != nil {
			should = append(should, q)
		}
	}
	if !negated && c.opts.expand {
		for _, q := range c.longForms(cl.should) {
			c.pure = false
			should = append(should, q)
		}
	}
	for _, s := range cl.not {
		q, err := c.clause(s, !negated, false)
		if err != nil {
			return nil, err
		}
		if q != nil {
			not = append(not, q)
		}
	}
	switch {
	case len(must)+len(should)+len(not) == 0:
		return nil, nil
	case len(must) == 0 && len(not) == 0 && len(should) == 1:
		return should[0], nil
	case len(should) == 0 && len(not) == 0 && len(must) == 1:
		return must[0], nil
	}
	b := query.NewBooleanQuery(must, should, not)
	if len(must) > 0 && len(should) > 0 && filtersOnly {
		// "topic:quantization pruning" wants pruning papers on the topic:
		// a filter narrows the words, it does not make them optional.
		b.SetMinShould(1)
	}
	return b, nil
}

// text compiles a word or a phrase, with its expansions.
func (c *compiler) text(cl *clause, negated bool) (query.Query, error) {
	alts := []query.Query{}
	bagless := negated || cl.matchOnly
	q, toks := c.words(cl.text, cl.field, cl.kind == kindPhrase, bagless, 1, "")
	if q == nil {
		return nil, nil
	}
	if len(toks) > 1 {
		c.pure = false
	}
	alts = append(alts, q)
	if cl.field != scopeAuthor {
		var others []query.Query
		if cl.kind == kindWord && len(toks) == 1 {
			others = c.otherAccents(cl.text, cl.field, bagless)
		} else if len(toks) > 1 {
			others = c.phraseAccents(cl.text, cl.field, bagless)
		}
		for _, a := range others {
			c.pure = false
			alts = append(alts, a)
		}
	}
	if c.opts.expand && cl.field != scopeAuthor && !cl.matchOnly {
		for _, e := range c.expansionsOf(cl.text, cl.field, cl.kind == kindPhrase, negated) {
			c.pure = false
			alts = append(alts, e)
		}
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return query.NewDisjunctionQuery(alts), nil
}

// words matches text (as a word, or as a phrase when it analyses to more
// than one token) in the fields of a scope, and adds its tokens to the bag
// with weight w. It returns the analysed prose tokens.
func (c *compiler) words(text, scope string, phrase, negated bool, w float64, note string) (query.Query, []string) {
	var prose, surface []string
	for _, t := range c.x.prose.Analyze([]byte(text)) {
		prose = append(prose, string(t.Term))
		surface = append(surface, strings.ToLower(text[t.Start:t.End]))
	}
	names := analyze(c.x.names, text)
	if scope == scopeAuthor {
		if len(names) == 0 {
			return nil, nil
		}
		if !negated {
			for _, n := range names {
				c.addName(n, w)
			}
		}
		if len(names) == 1 {
			return termQuery(fieldAuthors, names[0]), names
		}
		return c.phrase(fieldAuthors, text), names
	}
	if len(prose) == 0 {
		return nil, nil // stop words only
	}
	var fields []string
	switch scope {
	case scopeTitle:
		fields = []string{fieldTitle}
	case scopeAbstract:
		fields = []string{fieldAbstract}
	default:
		fields = []string{fieldTitle, fieldAbstract}
	}
	var qs []query.Query
	for _, f := range fields {
		if len(prose) == 1 {
			qs = append(qs, termQuery(f, prose[0]))
		} else {
			qs = append(qs, c.phrase(f, text))
		}
	}
	// Words find author names too, quoted ("Rongrong Ji") or joined by a
	// hyphen (Müller-Eberstein) as well, as a phrase of the name.
	if scope == scopeAny && len(names) > 0 && !c.proseOnly {
		if len(names) == 1 {
			qs = append(qs, termQuery(fieldAuthors, names[0]))
		} else {
			qs = append(qs, c.phrase(fieldAuthors, text))
		}
		if !negated {
			for _, n := range names {
				// An initial alone ("t" of T-cell) would lift every
				// paper by a T. Someone.
				if len(names) == 1 || utf8.RuneCountInString(n) > 1 {
					c.addName(n, w)
				}
			}
		}
	}
	if !negated {
		mask := scopeMask(scope)
		prev := -1
		if note == "" {
			prev = c.last // typed words continue the typed sequence
		}
		for k, t := range prose {
			i := c.addTerm(t, mask, w, note)
			if c.bag.terms[i].surface == "" {
				c.bag.terms[i].surface = surface[k]
			}
			if prev >= 0 && prev != i {
				c.bag.pairs = append(c.bag.pairs, [2]int{prev, i})
			}
			prev = i
			c.p.highlight[t] = true
		}
		if note == "" {
			c.last = prev
		}
	}
	if len(qs) == 1 {
		return qs[0], prose
	}
	return query.NewDisjunctionQuery(qs), prose
}

func scopeMask(scope string) uint8 {
	switch scope {
	case scopeTitle:
		return 1
	case scopeAbstract:
		return 2
	}
	return 3
}

func (c *compiler) addTerm(t string, mask uint8, w float64, note string) int {
	key := fmt.Sprintf("%d/%s", mask, t)
	if i, ok := c.termAt[key]; ok {
		c.bag.terms[i].weight += w
		return i
	}
	c.termAt[key] = len(c.bag.terms)
	c.bag.terms = append(c.bag.terms, queryTerm{text: t, weight: w, fields: mask, note: note, group: c.inGroup})
	return len(c.bag.terms) - 1
}

// newGroup starts a group of alternative terms.
func (c *compiler) newGroup() int {
	c.groups++
	return c.groups
}

func (c *compiler) addName(t string, w float64) {
	if i, ok := c.nameAt[t]; ok {
		c.bag.names[i].weight += w
		return
	}
	c.nameAt[t] = len(c.bag.names)
	c.bag.names = append(c.bag.names, queryTerm{text: t, weight: w})
}

// pattern compiles a prefix (quant*) or fuzzy word (quantisation~1). Both
// are expanded against the words as written (the vocabulary, or the
// authors' names), not their stems, so that "quantiza*" still reaches
// "quantization"; the expansions are then analysed like typed words.
func (c *compiler) pattern(cl *clause, negated bool) (query.Query, error) {
	surface := strings.ToLower(cl.text)
	var found []termCount
	var err error
	switch {
	case cl.field == scopeAuthor && cl.kind == kindPrefix:
		found, err = c.x.prefixTerms(c.ctx, c.r, fieldAuthors, surface, maxPrefixExp)
	case cl.field == scopeAuthor:
		found, err = c.authorsNear(surface, cl.fuzz)
	case cl.kind == kindPrefix:
		found = c.x.wordsWithPrefix(c.ctx, c.r, surface, maxPrefixExp)
	default:
		found = c.x.wordsNear(c.ctx, c.r, surface, cl.fuzz, maxFuzzyExp)
		if c.x.wordCount(c.ctx, c.r, surface, map[string]int{}) > 0 {
			// A fuzzy word matches itself too.
			found = append(found, termCount{term: surface})
		}
	}
	if err != nil {
		return nil, err
	}
	// In no field in particular, a pattern finds at least what its word
	// finds, an author's name included (laborde~1 and laborde* find
	// Laborde, as laborde does). Names it merely comes close to are left
	// to author:, since a rare name's idf would outrank the words'.
	var names []termCount
	if cl.field == scopeAny {
		if n := c.x.termCount(c.ctx, c.r, fieldAuthors, surface); n > 0 {
			names = append(names, termCount{term: surface, count: n})
		}
	}
	if len(found)+len(names) == 0 {
		return query.NewMatchNoneQuery(), nil
	}
	const w = 1.0
	c.inGroup = c.newGroup()
	defer func() { c.inGroup = 0 }()
	var qs []query.Query
	seen := map[string]bool{}
	for _, f := range found {
		if cl.field == scopeAuthor {
			qs = append(qs, termQuery(fieldAuthors, f.term))
			if !negated {
				c.addName(f.term, w)
			}
			continue
		}
		for _, t := range analyze(c.x.prose, f.term) {
			if seen[t] {
				continue
			}
			seen[t] = true
			mask := scopeMask(cl.field)
			if mask&1 != 0 {
				qs = append(qs, termQuery(fieldTitle, t))
			}
			if mask&2 != 0 {
				qs = append(qs, termQuery(fieldAbstract, t))
			}
			if !negated {
				c.addTerm(t, mask, w, "")
				c.p.highlight[t] = true
			}
		}
	}
	for _, n := range names {
		qs = append(qs, termQuery(fieldAuthors, n.term))
		if !negated {
			c.addName(n.term, w)
		}
	}
	if len(qs) == 0 {
		return query.NewMatchNoneQuery(), nil
	}
	return query.NewDisjunctionQuery(qs), nil
}

// authorsNear returns the author names within edits of name, and name
// itself when someone has it: a fuzzy word matches itself too.
func (c *compiler) authorsNear(name string, edits int) ([]termCount, error) {
	found, err := c.x.fuzzyTerms(c.ctx, c.r, fieldAuthors, name, edits, maxFuzzyExp)
	if err != nil {
		return nil, err
	}
	if n := c.x.termCount(c.ctx, c.r, fieldAuthors, name); n > 0 {
		found = append(found, termCount{term: name, count: n})
	}
	return found, nil
}

// topicSlug resolves a topic by slug, label or slugified label; with no
// taxonomy recorded, any value is taken as a slug.
// A topic papers carry without the taxonomy knowing it (one given in
// the records) is taken as written, in any case.
func (c *compiler) topicSlug(v string) (string, error) { return resolveTopic(c.tax, c.r, v) }

// resolveTopic is compiler.topicSlug, in reader r.
func resolveTopic(tax []Topic, r index.IndexReader, v string) (string, error) {
	slug, err := topicSlug(tax, v)
	if err == nil {
		return slug, nil
	}
	if t, ok := fieldTerm(r, fieldTopics, v); ok {
		return t, nil
	}
	return "", err
}

// topicSlug resolves topic v in tax.
func topicSlug(tax []Topic, v string) (string, error) {
	if len(tax) == 0 {
		return v, nil
	}
	norm := slugify(v)
	for _, t := range tax {
		if t.Slug == v || strings.EqualFold(t.Label, v) || t.Slug == norm || slugify(t.Label) == norm {
			return t.Slug, nil
		}
	}
	var close []string
	for _, t := range tax {
		// A part of a slug, or a slug misspelt or spelt the British way.
		if strings.Contains(t.Slug, norm) || strings.Contains(norm, t.Slug) || len(norm) >= 5 && levenshtein(t.Slug, norm) <= 2 {
			close = append(close, t.Slug)
		}
	}
	hint := "the topics are listed by GET /api/topics and papersearch topics"
	if len(close) > 0 {
		hint = "did you mean " + strings.Join(close, ", ") + "?"
	}
	return "", fmt.Errorf("%w: no topic %q; %s", ErrBadQuery, v, hint)
}

func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// category finds the indexed spelling of an arXiv category, ignoring case
// ("cs.cl" finds "cs.CL").
func (c *compiler) category(v string) string { return categorySpelling(c.r, v) }

// categorySpelling is compiler.category, in reader r.
func categorySpelling(r index.IndexReader, v string) string {
	if t, ok := fieldTerm(r, fieldCategories, v); ok {
		return t
	}
	return v
}

// fieldTerm finds v among the terms of keyword field in r, ignoring case;
// the exact spelling wins.
func fieldTerm(r index.IndexReader, field, v string) (string, bool) {
	fd, err := r.FieldDict(field)
	if err != nil {
		return "", false
	}
	defer fd.Close()
	found := ""
	for {
		e, err := fd.Next()
		if err != nil || e == nil {
			return found, found != ""
		}
		if e.Term == v {
			return v, true
		}
		if found == "" && strings.EqualFold(e.Term, v) {
			found = e.Term
		}
	}
}

func termQuery(field, term string) query.Query {
	q := query.NewTermQuery(term)
	q.SetField(field)
	return q
}

// phrase matches text as a phrase in field, through the index's match
// cache: phrases of common words are the costliest part of a query, and
// the same ones recur.
func (c *compiler) phrase(field, text string) query.Query {
	cq := cachedQuery{q: phraseQuery(field, text), key: field + "\x00" + text, cache: c.x.matched, field: field, postings: c.x.postings}
	if field == fieldTitle || field == fieldAbstract {
		if p, ok := proseTerms(c.x.prose, text); ok {
			cq.phrase = p
		}
	}
	return cq
}

func phraseQuery(field, text string) query.Query {
	q := query.NewMatchPhraseQuery(text)
	q.SetField(field)
	return q
}

// analyze returns the terms an analyzer makes of text.
func analyze(a analysis.Analyzer, text string) []string {
	var out []string
	for _, t := range a.Analyze([]byte(text)) {
		out = append(out, string(t.Term))
	}
	return out
}

// writtenPossessive reports whether the vocabulary has w only as a
// possessive: it holds words as written, and "Hinton's" there is no
// "hinton", though the analyzer makes one of the other.
func (c *compiler) writtenPossessive(w string) bool {
	return c.x.vocab.has(w+"'s") || c.x.vocab.has(w+"’s") || c.x.vocab.has(w+"'")
}

// writtenWithOtherAccents reports whether the vocabulary has w with other
// accents ("frechet" when only "Fréchet" was written): that is no typo.
func (c *compiler) writtenWithOtherAccents(w string) bool {
	for _, v := range c.x.vocab.otherAccents(w) {
		if c.x.vocab.has(v) {
			return true
		}
	}
	return false
}

// correct replaces words that appear nowhere in the index with the
// closest indexed word, and returns the corrected query text ("" when
// nothing changed). Words with digits, acronyms in capitals and words of
// fewer than four letters are left alone.
func (c *compiler) correct(root *clause, text string) string {
	type fix struct {
		span [2]int
		to   string
	}
	var fixes []fix
	root.walk(func(cl *clause, negated bool) {
		if negated || cl.kind != kindWord || cl.field == scopeAuthor {
			return
		}
		w := cl.text
		if utf8.RuneCountInString(w) < 4 || strings.ToUpper(w) == w {
			return
		}
		for _, r := range w {
			if !unicode.IsLetter(r) {
				return
			}
		}
		lw := strings.ToLower(w)
		if c.x.vocab.has(lw) || c.x.termCount(c.ctx, c.r, fieldAuthors, lw) > 0 || c.writtenWithOtherAccents(lw) || c.writtenPossessive(lw) {
			return
		}
		if utf8.RuneCountInString(w) < longWord && !c.opts.correctShort {
			c.p.shortUnknown = true
			return
		}
		fuzz := 1
		if utf8.RuneCountInString(w) >= 6 {
			fuzz = 2
		}
		found := c.x.wordsNear(c.ctx, c.r, lw, fuzz, 1)
		if len(found) == 0 {
			// The query's last word, with nothing after it, may be one
			// still being typed ("quant"): it is its words' beginning.
			if cl.span[1] == len(text) && len(c.x.wordsWithPrefix(c.ctx, c.r, lw, 1)) > 0 {
				cl.kind = kindPrefix
				fixes = append(fixes, fix{cl.span, w + "*"})
			}
			return
		}
		cl.text = found[0].term
		fixes = append(fixes, fix{cl.span, found[0].term})
	})
	if len(fixes) == 0 {
		return ""
	}
	slices.SortFunc(fixes, func(a, b fix) int { return b.span[0] - a.span[0] })
	out := text
	for _, f := range fixes {
		if f.span[0] < 0 || f.span[1] > len(out) || f.span[0] > f.span[1] {
			continue
		}
		out = out[:f.span[0]] + f.to + out[f.span[1]:]
	}
	return out
}
