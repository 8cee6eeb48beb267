package search

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Ranking is done here rather than by Bleve's scorer. Bleve 2.6's "bm25"
// takes the square root of term frequency, multiplies idf in twice (once
// through its query norm), scales disjunctions by the fraction of clauses
// matched, and divides field lengths by the number of distinct terms in the
// field rather than the average length; its k1 and b are package globals.
// On our judged collections that costs 5 to 15% against textbook BM25
// (measured; see the README's relevance section).
//
// bagQuery is a Bleve query whose searcher reads the postings of the query
// terms itself and scores every matching paper with BM25F over title and
// abstract (one saturation per term, the title weighted above the
// abstract), plus BM25 on author names, plus a proximity bonus for query
// words that appear near each other in the same order. It materialises the
// scores of all matching papers, which costs one pass over the postings of
// the query terms: the same work Bleve's disjunction does.

// rankParams are the ranking constants, tuned on SciFact, CACM, NPL and
// Cranfield together (see the README) and used unchanged by the product.
type rankParams struct {
	k1          float64 // term-frequency saturation
	bTitle      float64 // length normalisation of titles
	bAbstract   float64 // length normalisation of abstracts
	titleWeight float64 // a title occurrence counts this many abstract ones
	authorBoost float64 // weight of a matched author name, against one prose term
	proxWeight  float64 // weight of an in-order pair, against one term
	proxWindow  uint32  // how far apart (in positions) a pair may be
	// Pseudo-relevance feedback (RM3): the top fbDocs papers of a first
	// pass lend their fbTerms most typical terms to a second pass, which
	// keeps fbKeep of the weight on the query as typed. It reorders the
	// papers the query matches and never adds any.
	fbDocs  int
	fbTerms int
	fbKeep  float64
}

func defaultRanking() rankParams {
	return rankParams{
		k1:          1.0,
		bTitle:      0.4,
		bAbstract:   0.6,
		titleWeight: 3,
		authorBoost: 1,
		proxWeight:  0.2,
		proxWindow:  3,
		fbDocs:      3,
		fbTerms:     10,
		fbKeep:      0.85,
	}
}

// proseFields are scored together with BM25F, in this order.
var proseFields = [2]string{fieldTitle, fieldAbstract}

var proseLenFields = [2]string{fieldTitleLen, fieldAbstractLen}

// queryTerm is one analysed term with its weight in the query (how often it
// was asked for, and how: an expansion weighs less than a typed word).
type queryTerm struct {
	text   string
	weight float64
	fields uint8  // bit 0 title, bit 1 abstract; 0 means both
	note   string // where the term came from, when not typed
	// surface is the word as written in the query, for explanations;
	// empty for terms that were never written (feedback).
	surface string
	// group, when not 0, makes terms alternatives of one another (a
	// prefix's completions, a word's spellings): a paper scores for the
	// best of them, not their sum.
	group int
}

func (t queryTerm) display() string {
	if t.surface != "" {
		return t.surface
	}
	return t.text
}

// bagQuery ranks papers that contain any of its terms.
type bagQuery struct {
	terms []queryTerm // prose terms, distinct
	pairs [][2]int    // indexes into terms of words adjacent in the query
	names []queryTerm // author-name terms
	rank  rankParams
	// stats, when not nil, caches the collection statistics; cache, the
	// decoded postings of common terms.
	stats *statsCache
	cache *postingsCache
	// feedback, when not nil, has the searcher rerank with terms typical
	// of its own best papers (RM3), as rankQuery explains.
	feedback *feedbackSource
	// match, when not nil, selects the papers (a boolean query of
	// phrases, scopes, exclusions); the bag then only ranks them, and
	// papers the match selects without any bag term score nothing.
	match query.Query
}

func (q *bagQuery) empty() bool { return len(q.terms) == 0 && len(q.names) == 0 }

// hit is one query term found in one field of a paper. A paper's hits are
// a linked list in the searcher's arena, in the order the postings were
// read: term by term, title before abstract, author names last.
type hit struct {
	term  int32
	field int8 // 0 title, 1 abstract, 2 authors
	tf    float32
	next  int32 // the paper's next hit, or -1
}

// docAcc is a paper's accumulator. There is one for every paper a search
// matches, made as its first posting is read: 48 bytes and no pointers, so
// that making them is little more than writing them (at 56 bytes, with a
// slice of positions inside, it was a twelfth of a search), and the
// collector never scans them. The first score kept in it since scoreAsRead
// took it from 32 bytes to 48.
type docAcc struct {
	id         uint64 // Bleve's internal id (8 bytes, big-endian, in scorch)
	head, tail int32
	len        [2]float32 // prose field lengths, known where a hit is
	// pos, when not 0, is 1 + the index in the searcher's positions of
	// the paper's positions by term and field, which only the papers that
	// compete for the top places have (see proxCandidates); posRead says
	// they were read (a paper may have none).
	pos     int32
	posRead bool
	// reranked says feedback rescored the paper (see addFeedback); cand,
	// that it is among the searcher's cands; hitsRead, that its hits were
	// read after the first pass (see lazyHits).
	reranked, cand, hitsRead bool
	// first is the paper's first-pass score as its postings are read,
	// but for a title hit waiting for the same term's abstract list:
	// pendTF, of term pendTerm (see scoreAsRead).
	first    float64
	pendTF   float32
	pendTerm int32
}

// termPositions are the positions of a query term in a field of a paper,
// in order.
type termPositions struct {
	term, field int32
	pos         []uint32
}

// positionsOf returns the positions of term in field of d.
func (s *bagSearcher) positionsOf(d *docAcc, term, field int32) []uint32 {
	if d.pos == 0 {
		return nil
	}
	for _, p := range s.positions[d.pos-1] {
		if p.term == term && p.field == field {
			return p.pos
		}
	}
	return nil
}

type scoredDoc struct {
	acc   int32 // index into bagSearcher.accs
	score float64
}

// proxCandidates is how many papers, best first by their term scores, get
// the proximity bonus computed. Reading positions is the costly part of a
// search; a paper below this rank gets no bonus, which keeps every paper
// above it ahead of every paper below, so the order is consistent. 300
// rather than 1,000 took a few percent off the average query and changed
// no evaluation figure but cacm's MAP, by -0.0001.
const proxCandidates = 300

// fbCandidates is how many papers, best first by their term scores, get
// their proximity bonus before feedback picks the best of them: the bonus
// is small, so the best few with it are among these.
const fbCandidates = 50

// rerankDepth is how many papers, best first by their first scores, get
// the feedback terms' share of the score (see addFeedback). Looking the
// feedback terms up in these papers is the costliest part of feedback:
// 500 rather than 1,000 took a sixth off the median query, and 300 rather
// than 500 another 6-13%. Each moved only MAP, which reads 1,000 deep (npl
// 0.3090 -> 0.3086 -> 0.3081, cranfield 0.3393 -> 0.3392 -> 0.3391, cacm
// 0.3652 -> 0.3651 at 300; nDCG@10, recall@100 and MRR not at all).
const rerankDepth = 300

// Searcher implements query.Query.
func (q *bagQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opt bsearch.SearcherOptions) (bsearch.Searcher, error) {
	s, err := q.searcher(ctx, r, m, opt, true)
	if err != nil {
		return nil, err // not a nil *bagSearcher in a non-nil interface
	}
	return s, nil
}

// searcher makes the bag's searcher. Bleve's searchers hand papers over in
// document order; the collector takes them in any order, and unordered
// saves sorting them.
func (q *bagQuery) searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opt bsearch.SearcherOptions, ordered bool) (*bagSearcher, error) {
	v, err := newSegmentView(r, q.cache)
	if err != nil {
		return nil, err
	}
	st, err := q.stats.get(ctx, r)
	if err != nil {
		return nil, err
	}
	if q.feedback != nil {
		v.texts = newPaperTexts(q.feedback.prose)
	}
	s := &bagSearcher{q: q, st: st, explain: opt.Explain, v: v, buf: getBagBuffers()}
	s.setNorms()
	s.accs, s.arena, s.asRead.gmax = s.buf.accs[:0], s.buf.arena[:0], s.buf.gmax[:0]
	s.found = s.buf.found(v.size)
	slots := getSlots(v.size)
	s.slots = *slots
	defer func() {
		putSlots(slots, s.accs)
		s.slots = nil
	}()
	// The match's papers, as a list or (when they are many) as a set.
	var matched []uint64
	var matchedSet bitset
	if q.match != nil {
		var n uint64
		if matched, matchedSet, n, err = s.matches(ctx, q.match, r, m); err != nil {
			return nil, err
		}
		if n == 0 {
			return s, nil
		}
		// When the match selects many papers, reading every posting of
		// the bag's terms and keeping those of selected papers is cheaper
		// than looking each selected paper up in every list.
		if n*denseMatch >= v.size {
			if matchedSet == nil {
				matchedSet = newBitset(v.size)
				for _, num := range matched {
					matchedSet.set(num)
				}
			}
			s.only, matched = matchedSet, nil
		} else if matched == nil {
			matched = matchedSet.appendTo(make([]uint64, 0, n))
		}
	}
	if err := s.read(ctx, 0, 0, matched, false); err != nil {
		return nil, err
	}
	s.only = nil
	// Papers the match selects for words the bag does not score (an
	// author's name in a phrase, say) are found all the same.
	for _, num := range matched {
		s.slot(num, false)
	}
	if matched == nil && matchedSet != nil {
		for w, word := range matchedSet {
			for word != 0 {
				s.slot(uint64(w)*64+uint64(bits.TrailingZeros64(word)), false)
				word &= word - 1
			}
		}
	}
	s.docs = growScored(s.buf.docs, len(s.accs))
	s.buf.docs = s.docs
	s.rescore()
	prox := len(s.q.pairs) > 0 && s.q.rank.proxWeight > 0
	if q.feedback != nil && len(s.docs) > 0 {
		// The papers that lend feedback are the best with their proximity
		// bonus, which reorders the top few: it is read for the first
		// fbCandidates papers now, and reused below. The bonus and then
		// feedback only raise papers among the best rerankDepth, so every
		// pick below is made among those.
		// One more than the cands: the best of the others, which the
		// collector needs (see collectCands).
		s.cands = s.best(rerankDepth + 1)
		s.rest = -1
		if len(s.cands) > rerankDepth {
			s.rest = s.cands[rerankDepth].acc
			s.cands = s.cands[:rerankDepth]
		}
		for _, d := range s.cands {
			s.accs[d.acc].cand = true
		}
		if prox {
			if err := s.proximity(ctx, fbCandidates); err != nil {
				return nil, err
			}
		}
		if err := s.addFeedback(ctx); err != nil {
			return nil, err
		}
	}
	if prox {
		if err := s.proximity(ctx, proxCandidates); err != nil {
			return nil, err
		}
	}
	if ordered {
		s.sortByID()
	}
	return s, nil
}

// denseMatch: a match that selects at least one paper in denseMatch is
// read as a bitset (see bagQuery.Searcher).
const denseMatch = 64

// bitset is a set of document numbers.
type bitset []uint64

func newBitset(n uint64) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) set(i uint64)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i uint64) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) appendTo(out []uint64) []uint64 {
	for w, word := range b {
		for word != 0 {
			out = append(out, uint64(w)*64+uint64(bits.TrailingZeros64(word)))
			word &= word - 1
		}
	}
	return out
}

// matches returns the papers q selects, in order, as a list or as a set,
// and how many there are. A union of terms and cached phrases (what typed
// words and their expansions compile to) is read from the segments'
// postings as the bag reads them, into a set; Bleve's disjunction
// searcher cost a third of such a search. Anything else goes to Bleve's
// searchers, into a list.
func (s *bagSearcher) matches(ctx context.Context, q query.Query, r index.IndexReader, m mapping.IndexMapping) ([]uint64, bitset, uint64, error) {
	var set bitset
	if conj := unionsOf(q); conj != nil {
		// Each union into a set, and the sets intersected: Bleve's
		// conjunction searcher walked every list of every union, which
		// took most of a second at 2.7 million papers ("large lang"
		// suggested).
		for i, u := range conj {
			one := newBitset(s.v.size)
			if err := s.markUnion(ctx, u, r, m, one); err != nil {
				return nil, nil, 0, err
			}
			if i == 0 {
				set = one
				continue
			}
			var any uint64
			for w := range set {
				set[w] &= one[w]
				any |= set[w]
			}
			if any == 0 {
				break // nothing in common: the other unions cannot add
			}
		}
	} else if isUnion(q) {
		set = newBitset(s.v.size)
		if err := s.markUnion(ctx, q, r, m, set); err != nil {
			return nil, nil, 0, err
		}
	} else {
		list, err := matches(ctx, q, r, m)
		return list, nil, uint64(len(list)), err
	}
	var n uint64
	for _, word := range set {
		n += uint64(bits.OnesCount64(word))
	}
	return nil, set, n, nil
}

// isUnion says whether q selects the union of terms and cached phrases.
func isUnion(q query.Query) bool {
	switch q := q.(type) {
	case *query.TermQuery:
		return q.FieldVal != ""
	case cachedQuery, *query.MatchNoneQuery:
		return true
	case *query.DisjunctionQuery:
		if q.Min > 1 {
			return false
		}
		for _, d := range q.Disjuncts {
			if !isUnion(d) {
				return false
			}
		}
		return true
	case *query.BooleanQuery:
		return q.Must == nil && q.MustNot == nil && q.Filter == nil && q.Should != nil && isUnion(q.Should)
	}
	return false
}

// unionsOf returns the unions (see isUnion) whose papers in common q
// selects: the conjuncts of a conjunction of unions, alone or as the only
// clause of a boolean query ("+a +b", "a AND b"); or nil.
func unionsOf(q query.Query) []query.Query {
	if b, ok := q.(*query.BooleanQuery); ok && b.Should == nil && b.MustNot == nil && b.Filter == nil {
		q = b.Must
	}
	c, ok := q.(*query.ConjunctionQuery)
	if !ok || len(c.Conjuncts) == 0 {
		return nil
	}
	for _, u := range c.Conjuncts {
		if !isUnion(u) {
			return nil
		}
	}
	return c.Conjuncts
}

// markUnion adds to set the papers q (a union, see isUnion) selects.
func (s *bagSearcher) markUnion(ctx context.Context, q query.Query, r index.IndexReader, m mapping.IndexMapping, set bitset) error {
	switch q := q.(type) {
	case *query.TermQuery:
		return s.v.mark(ctx, []byte(q.Term), q.FieldVal, set)
	case cachedQuery:
		ms, err := q.cache.matched(ctx, q, r, m)
		if err != nil {
			return err
		}
		ms.markIn(set)
	case *query.DisjunctionQuery:
		for _, d := range q.Disjuncts {
			if err := s.markUnion(ctx, d, r, m, set); err != nil {
				return err
			}
		}
	case *query.BooleanQuery:
		return s.markUnion(ctx, q.Should, r, m, set)
	}
	return nil
}

// matches returns the document numbers of the papers q matches, in order.
func matches(ctx context.Context, q query.Query, r index.IndexReader, m mapping.IndexMapping) ([]uint64, error) {
	ms, err := q.Searcher(ctx, r, m, bsearch.SearcherOptions{Score: "none"})
	if err != nil {
		return nil, err
	}
	defer ms.Close()
	sc := &bsearch.SearchContext{DocumentMatchPool: bsearch.NewDocumentMatchPool(ms.DocumentMatchPoolSize()+1, 0), IndexReader: r}
	var out []uint64
	for {
		if len(out)%4096 == 4095 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		dm, err := ms.Next(sc)
		if err != nil {
			return nil, err
		}
		if dm == nil {
			return out, nil
		}
		out = append(out, dm.IndexInternalID.Value())
		sc.DocumentMatchPool.Put(dm)
	}
}

// read adds the hits of the prose terms from fromTerm on and of the author
// names from fromName on. With within (sorted document numbers), only
// those papers are read; onlyKnown says they have been found already.
func (s *bagSearcher) read(ctx context.Context, fromTerm, fromName int, within []uint64, onlyKnown bool) error {
	q := s.q
	// The first pass scores papers as it reads their postings, when it
	// can: see scoreAsRead.
	inc := fromTerm == 0 && fromName == 0 && !onlyKnown && s.canScoreAsRead()
	if inc {
		if err := s.prepareScoreAsRead(); err != nil {
			return err
		}
	}
	// A first pass that scores as it reads keeps no hits: see lazyHits.
	lazy := inc && !s.explain
	// postings reads one term of one field and returns its paper count.
	postings := func(text, field string, add postingFunc) (uint64, error) {
		if within == nil && s.only != nil {
			return s.v.each(ctx, []byte(text), field, func(num uint64, tf, length uint32) {
				if s.only.has(num) {
					add(num, tf, length)
				}
			})
		}
		if within == nil {
			return s.v.each(ctx, []byte(text), field, add)
		}
		n, err := s.v.count([]byte(text), field)
		if err != nil {
			return 0, err
		}
		return n, s.v.at([]byte(text), field, within, add)
	}
	// counts, when the first pass read the prose lists itself (see
	// readFirstPass), are their live papers by term and field.
	var counts [][2]uint64
	if lazy && within == nil {
		var err error
		if counts, err = s.readFirstPass(ctx, s.splitFirstPass()); err != nil {
			return err
		}
	}
	for ti := fromTerm; ti < len(q.terms); ti++ {
		t := q.terms[ti]
		var df uint64
		for fi, field := range proseFields {
			if t.fields != 0 && t.fields&(1<<fi) == 0 {
				continue
			}
			if counts != nil {
				df = max(df, counts[ti][fi])
				continue
			}
			add := func(num uint64, tf, length uint32) {
				d := s.slot(num, onlyKnown)
				if d == nil {
					return
				}
				h := hit{term: int32(ti), field: int8(fi), tf: float32(min(tf, maxTF))}
				d.len[fi] = float32(length)
				if lazy {
					s.scoreAsRead(d, h)
					return
				}
				s.add(d, h)
				if inc {
					s.scoreAsRead(d, h)
				}
			}
			n, err := postings(t.text, field, add)
			if err != nil {
				return err
			}
			// The paper count of a term is taken as that of its commoner
			// field; titles mostly repeat abstract words.
			df = max(df, n)
		}
		s.df = append(s.df, float64(df))
		if inc && float64(df) != s.asRead.df[ti] {
			// Never seen; rescore scores from the hits instead.
			inc, s.asRead.on = false, false
		}
	}
	for ni := fromName; ni < len(q.names); ni++ {
		n, err := postings(q.names[ni].text, fieldAuthors, func(num uint64, tf, _ uint32) {
			if d := s.slot(num, onlyKnown); d != nil {
				h := hit{term: int32(ni), field: 2, tf: float32(min(tf, maxTF))}
				if lazy {
					s.scoreAsRead(d, h)
					return
				}
				s.add(d, h)
				if inc {
					s.scoreAsRead(d, h)
				}
			}
		})
		if err != nil {
			return err
		}
		s.nameDF = append(s.nameDF, float64(n))
		if inc && float64(n) != s.asRead.nameDF[ni] {
			inc, s.asRead.on = false, false
		}
	}
	s.computeIDF()
	if lazy {
		s.lazyHits = true
		if !inc {
			// The first scores are lost (see above): every paper is
			// scored from its hits.
			return s.fillHits(ctx, nil)
		}
	}
	return nil
}

// splitFirstPass says whether the first pass reads its prose lists on
// two cores: when there are two, and its lists add up to half the papers
// of an index of at least splitMinPapers in two segments or more. Such a
// search takes tens of milliseconds at a million papers, most of it this
// pass, while one client leaves the other core idle.
func (s *bagSearcher) splitFirstPass() bool {
	if runtime.GOMAXPROCS(0) < 2 || len(s.v.segs) < 2 || s.v.size < splitMinPapers {
		return false
	}
	sum := 0.0
	for _, df := range s.asRead.df {
		sum += df
	}
	return sum*splitShare >= float64(s.v.size)
}

// splitMinPapers and splitShare: see splitFirstPass. Variables only so
// that tests can split the first pass of a few papers; searchesSplit
// counts the searches that did.
var (
	splitMinPapers = uint64(1 << 18)
	splitShare     = 2.0
	searchesSplit  atomic.Int64
)

// firstPassPart is the share of the first pass one core reads: segments
// lo to hi, with accumulators and a set of the papers found of its own.
type firstPassPart struct {
	lo, hi int
	v      *segmentView
	accs   []docAcc
	found  bitset
	counts [][2]uint64
}

// readFirstPass reads and scores every prose term's lists when the first
// pass scores as it reads and keeps no hits (see lazyHits), on every paper
// or on s.only. It walks the decoded lists itself, where each would call a
// closure that called another for every posting (at a million papers the
// 60 slowest queries took 69-75 ms instead of 87-89 at the median). With
// split, the segments are split in two halves read side by side: a paper
// is in one segment, so one core scores it, term by term in order, and
// the sums are the same; the halves' accumulators are then joined, and
// the slots of the second half's moved along. It returns the lists' live
// papers by term and field.
func (s *bagSearcher) readFirstPass(ctx context.Context, split bool) ([][2]uint64, error) {
	v := s.v
	// The search finds at least as many papers as its commonest term has:
	// room for them from the start. A process's first search has no pooled
	// accumulators, and growing them a doubling at a time was a quarter
	// of a command-line search at 2.7 million papers ("llm agents").
	// Not when the search is within a set of papers (s.only): it finds
	// only those.
	most := 0.0
	if s.only == nil {
		for _, df := range s.asRead.df {
			most = max(most, df)
		}
		most = min(most, float64(v.size))
	}
	s.accs = slices.Grow(s.accs, int(most))
	if !split {
		p := firstPassPart{lo: 0, hi: len(v.segs), v: v, accs: s.accs, found: s.found}
		if err := s.scoreSegments(ctx, &p); err != nil {
			return nil, err
		}
		s.accs = p.accs
		return p.counts, nil
	}
	half := 1
	for half < len(v.segs)-1 && v.starts[half] < v.size/2 {
		half++
	}
	parts := [2]firstPassPart{
		{lo: 0, hi: half, v: v, accs: s.accs, found: s.found},
		{lo: half, hi: len(v.segs), accs: slices.Grow(s.buf.accs2[:0], int(most*float64(v.size-v.starts[half])/float64(v.size))), found: emptyBitset(&s.buf.found2, v.size),
			v: &segmentView{segs: v.segs, starts: v.starts, size: v.size, dicts: map[string][]segment.TermDictionary{}, cache: v.cache}},
	}
	var errs [2]error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs[1] = s.scoreSegments(ctx, &parts[1])
	}()
	errs[0] = s.scoreSegments(ctx, &parts[0])
	wg.Wait()
	searchesSplit.Add(1)
	if err := cmp.Or(errs[0], errs[1]); err != nil {
		return nil, err
	}
	s.accs = parts[0].accs
	off := int32(len(s.accs))
	for i := range parts[1].accs {
		s.slots[parts[1].accs[i].id] += off
	}
	s.accs = append(s.accs, parts[1].accs...)
	s.buf.accs2 = parts[1].accs[:0]
	for w, word := range parts[1].found {
		s.found[w] |= word
	}
	counts := parts[0].counts
	for ti := range counts {
		for fi := range counts[ti] {
			counts[ti][fi] += parts[1].counts[ti][fi]
		}
	}
	return counts, nil
}

// scoreSegments reads and scores every prose term's lists in p's segments.
func (s *bagSearcher) scoreSegments(ctx context.Context, p *firstPassPart) error {
	p.counts = make([][2]uint64, len(s.q.terms))
	only := s.only
	for ti, t := range s.q.terms {
		term := []byte(t.text)
		for fi, field := range proseFields {
			if t.fields != 0 && t.fields&(1<<fi) == 0 {
				continue
			}
			score := func(num uint64, tf, length uint32) {
				i := s.slots[num]
				if i < 0 {
					i = int32(len(p.accs))
					s.slots[num] = i
					p.found.set(num)
					p.accs = append(p.accs, docAcc{id: num, head: -1, tail: -1})
				}
				a := &p.accs[i]
				a.len[fi] = float32(length)
				s.scoreAsRead(a, hit{term: int32(ti), field: int8(fi), tf: float32(min(tf, maxTF))})
			}
			var n uint64
			for i := p.lo; i < p.hi; i++ {
				d, err := p.v.postings(i, term, field)
				if err != nil {
					return err
				}
				if d == nil {
					m, err := p.v.eachIn(ctx, i, term, field, func(num uint64, tf, length uint32) {
						if only == nil || only.has(num) {
							score(num, tf, length)
						}
					})
					if err != nil {
						return err
					}
					n += m
					continue
				}
				start, del := p.v.starts[i], p.v.liveDeleted(i)
				for k, doc := range d.docs {
					if del != nil && del.Contains(doc) {
						continue
					}
					n++
					num := start + uint64(doc)
					if only != nil && !only.has(num) {
						continue
					}
					score(num, uint32(d.tf[k]), d.lens[doc].Load())
				}
			}
			p.counts[ti][fi] = n
		}
	}
	return nil
}

// needHits reads the hits of the papers of docs that lack them (see
// lazyHits), before they are scored from their hits.
func (s *bagSearcher) needHits(ctx context.Context, docs []scoredDoc) error {
	if !s.lazyHits {
		return nil
	}
	ids := s.unread(docs, func(a *docAcc) *bool { return &a.hitsRead })
	if len(ids) == 0 {
		return nil
	}
	return s.fillHits(ctx, ids)
}

// unread returns the sorted document numbers of the papers of docs whose
// flag (hits or positions read) is not set yet, and sets it.
func (s *bagSearcher) unread(docs []scoredDoc, flag func(*docAcc) *bool) []uint64 {
	ids := make([]uint64, 0, len(docs))
	for _, d := range docs {
		a := &s.accs[d.acc]
		if f := flag(a); !*f {
			*f = true
			ids = append(ids, a.id)
		}
	}
	slices.Sort(ids)
	return ids
}

// fillHits reads the hits of the first pass's terms for the papers ids
// (sorted document numbers), or for every paper found when ids is nil,
// none of which has any yet.
func (s *bagSearcher) fillHits(ctx context.Context, ids []uint64) error {
	q := s.q
	if s.first != nil {
		q = s.first
	}
	read := func(text, field string, add postingFunc) error {
		if ids == nil {
			_, err := s.v.each(ctx, []byte(text), field, add)
			return err
		}
		return s.v.at([]byte(text), field, ids, add)
	}
	for ti, t := range q.terms {
		for fi, field := range proseFields {
			if t.fields != 0 && t.fields&(1<<fi) == 0 {
				continue
			}
			err := read(t.text, field, func(num uint64, tf, _ uint32) {
				if i := s.slots[num]; i >= 0 {
					s.add(&s.accs[i], hit{term: int32(ti), field: int8(fi), tf: float32(min(tf, maxTF))})
				}
			})
			if err != nil {
				return err
			}
		}
	}
	for ni, t := range q.names {
		err := read(t.text, fieldAuthors, func(num uint64, tf, _ uint32) {
			if i := s.slots[num]; i >= 0 {
				s.add(&s.accs[i], hit{term: int32(ni), field: 2, tf: float32(min(tf, maxTF))})
			}
		})
		if err != nil {
			return err
		}
	}
	if ids == nil {
		s.lazyHits = false
	}
	return nil
}

// slot returns the accumulator of paper num, making one unless onlyKnown.
func (s *bagSearcher) slot(num uint64, onlyKnown bool) *docAcc {
	i := s.slots[num]
	if i < 0 {
		if onlyKnown {
			return nil
		}
		i = int32(len(s.accs))
		s.slots[num] = i
		s.found.set(num)
		s.accs = append(s.accs, docAcc{id: num, head: -1, tail: -1})
	}
	return &s.accs[i]
}

// add appends h to the hits of d. A paper's hits stay grouped by term, as
// score expects: postings are read term by term, title before abstract.
func (s *bagSearcher) add(d *docAcc, h hit) {
	h.next = -1
	s.arena = append(s.arena, h)
	at := int32(len(s.arena) - 1)
	if d.tail >= 0 {
		s.arena[d.tail].next = at
	} else {
		d.head = at
	}
	d.tail = at
}

func (s *bagSearcher) computeIDF() {
	q := s.q
	s.idf = make([]float64, len(q.terms))
	groupIDF := map[int]float64{}
	for i, t := range q.terms {
		s.idf[i] = s.st.idf(s.df[i])
		if g := t.group; g != 0 && s.df[i] > 0 {
			if v, ok := groupIDF[g]; !ok || s.idf[i] < v {
				groupIDF[g] = s.idf[i]
			}
		}
	}
	// Alternatives share the idf of the most common one, about that of the
	// group as a whole; a rare completion of a prefix ("quanteit" for
	// quant*) must not outrank the common ones for being rare.
	for i, t := range q.terms {
		if v, ok := groupIDF[t.group]; ok {
			s.idf[i] = v
		}
	}
	s.nameIDF = make([]float64, len(q.names))
	for i := range q.names {
		s.nameIDF[i] = s.st.idf(s.nameDF[i])
	}
}

func (s *bagSearcher) rescore() {
	if s.asRead.on {
		s.asRead.on = false
		searchesScoredAsRead.Add(1)
		a := &s.asRead
		for i := range s.accs {
			d := &s.accs[i]
			if d.pendTF != 0 {
				s.settle(d)
			}
			// Groups come last, in order, as in score.
			if a.groups > 0 {
				for _, v := range a.gmax[int(d.id)*a.groups : int(d.id+1)*a.groups] {
					d.first += v
				}
			}
			s.docs[i] = scoredDoc{acc: int32(i), score: d.first}
		}
		return
	}
	for i := range s.accs {
		s.docs[i] = scoredDoc{acc: int32(i), score: s.score(&s.accs[i], nil)}
	}
}

// scoreAsRead is the first pass's scoring, done as the postings are read.
// score walks a paper's hits, which lie wherever the arena had room when
// each term was read: for every paper a search matched, that was a sixth
// of a search's CPU, mostly waiting on memory. Here a hit adds to the
// paper's score while the paper is at hand. The sums are score's, term by
// term in the same order, so the scores are the same to the bit
// (TestScoreAsRead).
//
// It takes the terms' paper counts before their postings are read (for
// their idf). Alternatives (a group: a prefix's completions, a word's
// spellings) count for their best member, which is known only once the
// group's lists are all read: a paper's best score per group is kept in
// gmax, by paper number, and added after every other term, in group
// order, as score does.
type scoreAsRead struct {
	on         bool
	df, nameDF []float64 // counted before reading, checked after
	// w is a term's weight times its idf, negated for a member of a
	// group: weights and idfs are positive, and the sign costs nothing to
	// test on the way to adding to a paper's score.
	w, nameW []float64
	k1       float64
	// group is a term's group, numbered from 0 in order, or -1; groups
	// is how many the query has. gmax holds each paper's best score per
	// group, groups to a paper, by paper number.
	group  []int32
	groups int
	gmax   []float64
}

// scoreAsReadOff turns scoreAsRead off, for tests to compare; and
// searchesScoredAsRead counts the searches scored by it.
// asReadMiscounts has the counts taken before reading disagree with the
// lists, for tests to reach the way out of scoring as read.
var (
	scoreAsReadOff       bool
	asReadMiscounts      bool
	searchesScoredAsRead atomic.Int64
)

// canScoreAsRead says whether the first pass can score as it reads.
func (s *bagSearcher) canScoreAsRead() bool {
	if scoreAsReadOff {
		return false
	}
	// scoreAsRead.w marks a group's members by their sign: every weight
	// must be positive, as every query's is.
	for _, t := range s.q.terms {
		if t.weight < 0 {
			return false
		}
	}
	// Each group keeps a score for every paper of the index (see
	// scoreAsRead.gmax), 8 MB at a million papers: two at most. Of the
	// bench mix's searches, 3% have one group, 0.15% two, none more.
	return len(groupIDs(s.q.terms)) <= maxAsReadGroups
}

// groupIDs returns the groups of terms, in order.
func groupIDs(terms []queryTerm) []int {
	var ids []int
	for _, t := range terms {
		if t.group != 0 && !slices.Contains(ids, t.group) {
			ids = append(ids, t.group)
		}
	}
	slices.Sort(ids)
	return ids
}

// maxAsReadGroups bounds the groups of a search scored as read.
const maxAsReadGroups = 2

// prepareScoreAsRead counts the terms' papers and works out their weights.
func (s *bagSearcher) prepareScoreAsRead() error {
	q, a := s.q, &s.asRead
	a.df, a.nameDF, a.w, a.nameW = a.df[:0], a.nameDF[:0], a.w[:0], a.nameW[:0]
	for _, t := range q.terms {
		var df uint64
		for fi, field := range proseFields {
			if t.fields != 0 && t.fields&(1<<fi) == 0 {
				continue
			}
			n, err := s.v.count([]byte(t.text), field)
			if err != nil {
				return err
			}
			df = max(df, n)
		}
		if asReadMiscounts {
			df++
		}
		a.df = append(a.df, float64(df))
		a.w = append(a.w, t.weight*s.st.idf(float64(df)))
	}
	s.groupWeights()
	for _, t := range q.names {
		n, err := s.v.count([]byte(t.text), fieldAuthors)
		if err != nil {
			return err
		}
		a.nameDF = append(a.nameDF, float64(n))
		a.nameW = append(a.nameW, q.rank.authorBoost*t.weight*s.st.idf(float64(n)))
	}
	a.k1, a.on = q.rank.k1, true
	return nil
}

// groupWeights numbers the query's groups for scoreAsRead, gives their
// members the idf of the commonest one, as computeIDF does, and makes
// room for every paper's best per group.
func (s *bagSearcher) groupWeights() {
	a := &s.asRead
	ids := groupIDs(s.q.terms)
	a.group, a.groups = a.group[:0], len(ids)
	for ti, t := range s.q.terms {
		g := int32(-1)
		if t.group != 0 {
			g = int32(slices.Index(ids, t.group))
		}
		a.group = append(a.group, g)
		if g < 0 {
			continue
		}
		idf := math.Inf(1)
		for tj, u := range s.q.terms {
			if u.group == t.group && a.df[tj] > 0 {
				idf = min(idf, s.st.idf(a.df[tj]))
			}
		}
		if math.IsInf(idf, 1) {
			idf = s.st.idf(a.df[ti])
		}
		a.w[ti] = -t.weight * idf
	}
	n := 0
	if a.groups > 0 {
		n = int(s.v.size) * a.groups
	}
	a.gmax = slices.Grow(a.gmax[:0], n)[:n]
	clear(a.gmax)
}

// scoreAsRead adds hit h, just read, to d's first score. A title hit waits
// for the abstract list of its term, which BM25F sums with it before
// saturating; it is settled when that list has no hit for d, as the next
// hit of d or rescore finds.
func (s *bagSearcher) scoreAsRead(d *docAcc, h hit) {
	a := &s.asRead
	switch h.field {
	case 0:
		if d.pendTF != 0 {
			s.settle(d)
		}
		d.pendTF, d.pendTerm = h.tf, h.term
	case 1:
		tfn := 0.0
		if d.pendTF != 0 {
			if d.pendTerm == h.term {
				tfn = float64(float64(d.pendTF) * s.fieldNorm(0, d.len[0]))
				d.pendTF = 0
			} else {
				s.settle(d)
			}
		}
		tfn += float64(float64(h.tf) * s.fieldNorm(1, d.len[1])) // unfused, as in score
		if w := a.w[h.term]; w >= 0 {
			d.first += w * tfn * (a.k1 + 1) / (tfn + a.k1)
		} else {
			s.groupHit(d, h.term, -w*tfn*(a.k1+1)/(tfn+a.k1))
		}
	default:
		if d.pendTF != 0 {
			s.settle(d)
		}
		tf := float64(h.tf)
		d.first += a.nameW[h.term] * tf * (a.k1 + 1) / (tf + a.k1)
	}
}

// settle adds d's waiting title hit to its first score.
func (s *bagSearcher) settle(d *docAcc) {
	a := &s.asRead
	tfn := float64(float64(d.pendTF) * s.fieldNorm(0, d.len[0]))
	if w := a.w[d.pendTerm]; w >= 0 {
		d.first += w * tfn * (a.k1 + 1) / (tfn + a.k1)
	} else {
		s.groupHit(d, d.pendTerm, -w*tfn*(a.k1+1)/(tfn+a.k1))
	}
	d.pendTF = 0
}

// groupHit keeps sc, the score of a term of a group, as d's best in its
// group if it is. The halves of a split first pass write here side by
// side, each for papers of its own.
func (s *bagSearcher) groupHit(d *docAcc, term int32, sc float64) {
	a := &s.asRead
	i := int(d.id)*a.groups + int(a.group[term])
	a.gmax[i] = max(a.gmax[i], sc)
}

// fieldNorm is field fi's weight over its length norm, for a field of
// length tokens (a whole number), as score works it out.
func (s *bagSearcher) fieldNorm(fi int, length float32) float64 {
	if l := uint32(length); l < normTableLen {
		return s.norms[fi][l]
	}
	p := &s.q.rank
	if fi == 0 {
		return fieldWeightNorm(p.titleWeight, p.bTitle, length, s.st.avgLen[0])
	}
	return fieldWeightNorm(1, p.bAbstract, length, s.st.avgLen[1])
}

// best returns the n best papers by score, best first; ties go to the
// lower document number.
func (s *bagSearcher) best(n int) []scoredDoc { return s.bestOf(s.docs, n) }

// bestAmong is best, picked among cands when the best n are certainly
// there (see cands).
func (s *bagSearcher) bestAmong(n int) []scoredDoc {
	if !s.amongCands(n) {
		return s.best(n)
	}
	cur := make([]scoredDoc, len(s.cands))
	for i, d := range s.cands {
		cur[i] = s.docs[d.acc] // docs are in the order of accs yet
	}
	return s.bestOf(cur, n)
}

// amongCands says whether the best n papers are certainly among cands.
func (s *bagSearcher) amongCands(n int) bool {
	return s.cands != nil && (n <= len(s.cands) || len(s.cands) == len(s.docs))
}

// bestOf is best among docs.
func (s *bagSearcher) bestOf(docs []scoredDoc, n int) []scoredDoc {
	// Scores are never NaN, which spares cmp.Compare's checks for it.
	better := func(a, b scoredDoc) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return cmp.Compare(s.accs[a.acc].id, s.accs[b.acc].id)
	}
	if n >= len(docs) {
		out := slices.Clone(docs)
		slices.SortFunc(out, better)
		return out
	}
	// A heap of the n best so far, the worst at its root: most papers
	// fall below it at once, and one that does not costs log n, where
	// keeping a sorted slice moved half of it for every entry.
	h := make([]scoredDoc, 0, n)
	down := func(i int) {
		for {
			l, r, w := 2*i+1, 2*i+2, i
			if l < len(h) && better(h[l], h[w]) > 0 {
				w = l
			}
			if r < len(h) && better(h[r], h[w]) > 0 {
				w = r
			}
			if w == i {
				return
			}
			h[i], h[w] = h[w], h[i]
			i = w
		}
	}
	for _, d := range docs {
		if len(h) < n {
			h = append(h, d)
			for i := len(h) - 1; i > 0; {
				p := (i - 1) / 2
				if better(h[i], h[p]) <= 0 {
					break
				}
				h[i], h[p] = h[p], h[i]
				i = p
			}
			continue
		}
		// Most papers score below the root: that needs no tie-break.
		if d.score < h[0].score || better(d, h[0]) >= 0 {
			continue
		}
		h[0] = d
		down(0)
	}
	slices.SortFunc(h, better)
	return h
}

// sortByID puts docs in document order, as Bleve's searchers hand papers
// over.
func (s *bagSearcher) sortByID() {
	// Sorting costs some comparisons per paper, each reading two
	// accumulators; walking the slots one read per document number.
	if uint64(len(s.docs))*64 < uint64(len(s.slots)) {
		slices.SortFunc(s.docs, func(a, b scoredDoc) int { return cmp.Compare(s.accs[a.acc].id, s.accs[b.acc].id) })
		return
	}
	// Most papers match: walking the slots is cheaper than sorting.
	// docs are still in the order of accs (docs[i].acc == i), as rescore
	// left them.
	byID := s.buf.byID[:0]
	for _, i := range s.slots {
		if i >= 0 {
			byID = append(byID, scoredDoc{acc: i, score: s.docs[i].score})
		}
	}
	s.buf.byID, s.docs = byID, byID
}

// proximity reads the positions of the paired terms in the best n papers
// (those not read before) and adds their bonus.
func (s *bagSearcher) proximity(ctx context.Context, n int) error {
	top := s.bestAmong(n)
	if err := s.needHits(ctx, top); err != nil {
		return err
	}
	ids := s.unread(top, func(a *docAcc) *bool { return &a.posRead })
	if len(ids) == 0 {
		return nil
	}
	paired := map[int]bool{}
	for _, p := range s.q.pairs {
		paired[p[0]], paired[p[1]] = true, true
	}
	for ti, t := range s.q.terms {
		if !paired[ti] {
			continue
		}
		for fi, field := range proseFields {
			if t.fields != 0 && t.fields&(1<<fi) == 0 {
				continue
			}
			err := s.v.positionsAt([]byte(t.text), field, ids, func(num uint64, pos []uint32) {
				d := &s.accs[s.slots[num]]
				if d.pos == 0 {
					s.positions = append(s.positions, nil)
					d.pos = int32(len(s.positions))
				}
				s.positions[d.pos-1] = append(s.positions[d.pos-1], termPositions{term: int32(ti), field: int32(fi), pos: pos})
			})
			if err != nil {
				return err
			}
		}
	}
	// Papers with positions are among the best n, so among cands when
	// there are cands; docs are in the order of accs yet.
	if s.amongCands(n) {
		for _, c := range s.cands {
			if d := &s.accs[c.acc]; d.pos != 0 {
				s.docs[c.acc].score = s.finalScore(d, nil)
			}
		}
		return nil
	}
	for i := range s.docs {
		if d := &s.accs[s.docs[i].acc]; d.pos != 0 {
			s.docs[i].score = s.finalScore(d, nil)
		}
	}
	return nil
}

// corpusStats are the collection statistics BM25 needs.
type corpusStats struct {
	n      float64    // papers in the index
	avgLen [2]float64 // average title and abstract length, in tokens
}

// statsCache keeps the statistics of the latest snapshot searched: they
// change only when the index does, and summing the length fields costs a
// tenth of a search.
type statsCache struct {
	mu sync.Mutex
	// snap identifies the snapshot the statistics are of. Holding it keeps
	// its address from being reused by a later snapshot.
	snap index.IndexReader
	st   corpusStats
}

func (c *statsCache) get(ctx context.Context, r index.IndexReader) (corpusStats, error) {
	if c == nil {
		return readCorpusStats(ctx, r)
	}
	c.mu.Lock()
	snap, st := c.snap, c.st
	c.mu.Unlock()
	if snap == r {
		return st, nil
	}
	st, err := readCorpusStats(ctx, r)
	if err != nil {
		return st, err
	}
	c.mu.Lock()
	c.snap, c.st = r, st
	c.mu.Unlock()
	return st, nil
}

// readCorpusStats sums the length fields: a few hundred distinct lengths,
// however many papers. The count of papers per length comes from each
// term's postings, not from the dictionary, whose counts Bleve 2.6.3 gets
// wrong for keyword fields once segments merge.
func readCorpusStats(ctx context.Context, r index.IndexReader) (corpusStats, error) {
	var st corpusStats
	n, err := r.DocCount()
	if err != nil {
		return st, err
	}
	st.n = float64(n)
	for i, field := range proseLenFields {
		var lens []string
		fd, err := r.FieldDict(field)
		if err != nil {
			return st, err
		}
		for {
			e, err := fd.Next()
			if err != nil {
				fd.Close()
				return st, err
			}
			if e == nil {
				break
			}
			lens = append(lens, e.Term)
		}
		fd.Close()
		var sum, docs float64
		for _, term := range lens {
			l, err := strconv.Atoi(term)
			if err != nil {
				continue
			}
			tfr, err := r.TermFieldReader(ctx, []byte(term), field, false, false, false)
			if err != nil {
				return st, err
			}
			c := float64(tfr.Count())
			tfr.Close()
			sum += float64(l) * c
			docs += c
		}
		st.avgLen[i] = 1
		if docs > 0 && sum > 0 {
			st.avgLen[i] = sum / docs
		}
	}
	return st, nil
}

// idf is BM25's inverse document frequency, as Lucene computes it (never
// negative).
func (st corpusStats) idf(df float64) float64 {
	return math.Log(1 + (st.n-df+0.5)/(df+0.5))
}

type bagSearcher struct {
	q          *bagQuery
	st         corpusStats
	v          *segmentView
	df, nameDF []float64
	idf        []float64
	nameIDF    []float64
	slots      []int32 // document number -> index in accs, or -1
	accs       []docAcc
	// positions are the positions read for proximity, by paper (see
	// docAcc.pos).
	positions [][]termPositions
	// norms are each prose field's weight over its length norm, by length
	// in tokens (see setNorms).
	norms [2][]float64
	arena []hit
	// docs are in the order of accs (docs[i].acc == i) until sortByID
	// puts them in document order; the collector takes them unsorted.
	docs []scoredDoc
	buf  *bagBuffers
	// only, while the first postings are read, holds the papers the
	// match selected, when they are many.
	only bitset
	// first is the bag before feedback, and keep the share of its weights
	// that papers feedback did not rescore have (see addFeedback).
	first *bagQuery
	keep  float64
	// cands, when feedback is taken, are the best rerankDepth papers by
	// their first scores; feedback rescores them, and what is added to
	// scores before and after it (proximity) goes to papers among them
	// only, so they stay above every other paper.
	cands []scoredDoc
	// rest, when cands are taken and more papers were found, is the
	// accumulator of the best paper not among them, which no paper outside
	// cands outscores: feedback and proximity change the scores of cands
	// only, and every other's by the same factor.
	rest int32
	// found holds the document numbers of the papers with an accumulator.
	found   bitset
	next    int
	explain bool
	// decoded are the stored papers the searcher read (for feedback).
	decoded []decodedPaper
	asRead  scoreAsRead
	// lazyHits says the first pass kept no hits, having scored papers as
	// it read them: only the few papers scored again (by feedback,
	// proximity) need them, and needHits reads theirs. Keeping every
	// matched paper's hits was a fifth of the searches that match most of
	// a million papers.
	lazyHits bool
}

// decodedPaper is a stored paper, decoded, with its document number.
type decodedPaper struct {
	num   uint64
	paper Paper // as decodeStored gives it, without its id
}

// scoreParts is the breakdown of a score that explain=true shows.
type scoreParts struct {
	terms []termPart
	pairs []pairPart
}

type termPart struct {
	term       string
	field      string // "title and abstract" or "authors"
	tfTitle    float64
	tfAbstract float64
	idf        float64
	score      float64
	note       string
}

type pairPart struct {
	a, b  string
	count float64
	score float64
}

// score computes a paper's score; with parts non-nil it records why.
func (s *bagSearcher) score(d *docAcc, parts *scoreParts) float64 {
	p := &s.q.rank
	k1 := p.k1
	weight := [2]float64{p.titleWeight, 1}
	bs := [2]float64{p.bTitle, p.bAbstract}
	// A field's weight over its length norm, worked out once per paper (0
	// until then): a division per field rather than two per hit, in what
	// is a sixth of a search.
	var wn [2]float64
	fieldNorm := func(fi int) float64 {
		if wn[fi] == 0 {
			if l := int(d.len[fi]); l < len(s.norms[fi]) && float32(l) == d.len[fi] {
				wn[fi] = s.norms[fi][l]
			} else {
				wn[fi] = fieldWeightNorm(weight[fi], bs[fi], d.len[fi], s.st.avgLen[fi])
			}
		}
		return wn[fi]
	}
	total := 0.0
	var best map[int]termPart // per group, the best alternative so far
	// Without a breakdown to keep, the best score per group is enough, in
	// group order as best's keys are summed below; a map per paper was
	// most of what a search allocated.
	var groupBuf [8]groupScore
	groups := groupBuf[:0]
	for i := d.head; i >= 0; {
		h := s.arena[i]
		if h.field == 2 {
			t := s.q.names[h.term]
			tf := float64(h.tf)
			sc := p.authorBoost * t.weight * s.nameIDF[h.term] * tf * (k1 + 1) / (tf + k1)
			total += sc
			if parts != nil {
				parts.terms = append(parts.terms, termPart{term: t.text, field: fieldAuthors, tfAbstract: tf, idf: s.nameIDF[h.term], score: sc})
			}
			i = h.next
			continue
		}
		var tfn float64
		var tfs [2]float64
		j := i
		for ; j >= 0; j = s.arena[j].next {
			a := &s.arena[j]
			if a.term != h.term || a.field == 2 {
				break
			}
			f := a.field
			tfs[f] = float64(a.tf)
			if wn[f] == 0 {
				fieldNorm(int(f))
			}
			// The conversion keeps the product from being fused with the
			// sum (arm64 would), so that scoreAsRead's sums are the same.
			tfn += float64(tfs[f] * wn[f])
		}
		i = j
		t := &s.q.terms[h.term]
		sc := t.weight * s.idf[h.term] * tfn * (k1 + 1) / (tfn + k1)
		// The breakdown is built only when it is kept: building it for
		// every paper was a quarter of scoring.
		part := func() termPart {
			return termPart{term: t.display(), field: "title and abstract", tfTitle: tfs[0], tfAbstract: tfs[1], idf: s.idf[h.term], score: sc, note: t.note}
		}
		if t.group != 0 && parts == nil {
			k := 0
			for k < len(groups) && groups[k].group < t.group {
				k++
			}
			if k < len(groups) && groups[k].group == t.group {
				groups[k].score = max(groups[k].score, sc)
			} else {
				groups = slices.Insert(groups, k, groupScore{t.group, sc})
			}
			continue
		}
		if t.group != 0 {
			if best == nil {
				best = map[int]termPart{}
			}
			if b, ok := best[t.group]; !ok || sc > b.score {
				best[t.group] = part()
			}
			continue
		}
		total += sc
		if parts != nil {
			parts.terms = append(parts.terms, part())
		}
	}
	for _, g := range groups {
		total += g.score
	}
	if best != nil {
		for _, g := range sortedKeys(best) {
			total += best[g].score
			if parts != nil {
				parts.terms = append(parts.terms, best[g])
			}
		}
	}
	if p.proxWeight > 0 && d.pos != 0 {
		for _, pr := range s.q.pairs {
			var tfn, count float64
			for fi := range proseFields {
				pa, pb := s.positionsOf(d, int32(pr[0]), int32(fi)), s.positionsOf(d, int32(pr[1]), int32(fi))
				if len(pa) == 0 || len(pb) == 0 {
					continue
				}
				c := float64(inOrder(pa, pb, p.proxWindow))
				count += c
				tfn += c * fieldNorm(fi)
			}
			if tfn == 0 {
				continue
			}
			w := min(s.q.terms[pr[0]].weight, s.q.terms[pr[1]].weight)
			sc := p.proxWeight * w * min(s.idf[pr[0]], s.idf[pr[1]]) * tfn * (k1 + 1) / (tfn + k1)
			total += sc
			if parts != nil {
				parts.pairs = append(parts.pairs, pairPart{a: s.q.terms[pr[0]].display(), b: s.q.terms[pr[1]].display(), count: count, score: sc})
			}
		}
	}
	return total
}

// fieldWeightNorm is a field's weight over BM25's length norm for a field
// of length tokens.
func fieldWeightNorm(weight, b float64, length float32, avgLen float64) float64 {
	return weight / (1 - b + b*float64(length)/avgLen)
}

// normTableLen covers the titles and nearly all the abstracts: scoring
// looks their norms up (see bagSearcher.norms).
const normTableLen = 512

// setNorms works out the field norms of papers up to normTableLen tokens
// long. score divided for them once per field of every paper it scored.
func (s *bagSearcher) setNorms() {
	p := &s.q.rank
	weight := [2]float64{p.titleWeight, 1}
	bs := [2]float64{p.bTitle, p.bAbstract}
	for fi := range s.norms {
		s.norms[fi] = s.buf.norms[fi][:0]
		for l := range normTableLen {
			s.norms[fi] = append(s.norms[fi], fieldWeightNorm(weight[fi], bs[fi], float32(l), s.st.avgLen[fi]))
		}
		s.buf.norms[fi] = s.norms[fi]
	}
}

// finalScore is score, but for a paper that feedback did not rescore:
// keep of its first score.
func (s *bagSearcher) finalScore(d *docAcc, parts *scoreParts) float64 {
	if s.first == nil || d.reranked {
		return s.score(d, parts)
	}
	q := s.q
	s.q = s.first
	total := s.score(d, parts) * s.keep
	s.q = q
	if parts != nil {
		for i := range parts.terms {
			parts.terms[i].score *= s.keep
		}
		for i := range parts.pairs {
			parts.pairs[i].score *= s.keep
		}
	}
	return total
}

type groupScore struct {
	group int
	score float64
}

// inOrder counts positions of a that b follows within window positions.
func inOrder(a, b []uint32, window uint32) int {
	n, j := 0, 0
	for _, pa := range a {
		for j < len(b) && b[j] <= pa {
			j++
		}
		if j < len(b) && b[j]-pa <= window {
			n++
		}
	}
	return n
}

func (s *bagSearcher) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	if s.next >= len(s.docs) {
		return nil, nil
	}
	d := s.docs[s.next]
	s.next++
	dm := ctx.DocumentMatchPool.Get()
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], s.accs[d.acc].id)
	dm.IndexInternalID = index.NewIndexInternalIDFrom(dm.IndexInternalID, id[:])
	dm.Score = d.score
	if s.explain {
		dm.Expl = s.explanation(d)
	}
	return dm, nil
}

func (s *bagSearcher) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	if len(id) != 8 {
		return nil, fmt.Errorf("unexpected internal id %x", []byte(id))
	}
	want := binary.BigEndian.Uint64(id)
	s.next += sort.Search(len(s.docs)-s.next, func(i int) bool {
		return s.accs[s.docs[s.next+i].acc].id >= want
	})
	return s.Next(ctx)
}

// Close recycles the searcher's buffers: a broad query fills megabytes of
// them, and growing them anew for every search cost a tenth of its time
// in copying and garbage collection.
func (s *bagSearcher) Close() error {
	if s.buf != nil {
		s.buf.accs, s.buf.arena, s.buf.gmax = s.accs, s.arena, s.asRead.gmax
		putBagBuffers(s.buf)
		s.buf, s.accs, s.arena, s.docs = nil, nil, nil, nil
	}
	return nil
}

func (s *bagSearcher) Weight() float64            { return 1 }
func (s *bagSearcher) SetQueryNorm(float64)       {}
func (s *bagSearcher) Count() uint64              { return uint64(len(s.docs)) }
func (s *bagSearcher) Min() int                   { return 0 }
func (s *bagSearcher) DocumentMatchPoolSize() int { return 1 }
func (s *bagSearcher) Size() int                  { return 64 + len(s.docs)*64 }

// explanation describes a score in Bleve's tree form; Explain flattens it.
func (s *bagSearcher) explanation(d scoredDoc) *bsearch.Explanation {
	var parts scoreParts
	total := s.finalScore(&s.accs[d.acc], &parts)
	e := &bsearch.Explanation{Value: total, Message: "relevance, sum of:"}
	for _, t := range parts.terms {
		var msg string
		if t.field == fieldAuthors {
			msg = fmt.Sprintf("author name %q (idf %.2f)", t.term, t.idf)
		} else {
			msg = fmt.Sprintf("term %q: %s (idf %.2f)", t.term, tfText(t.tfTitle, t.tfAbstract), t.idf)
		}
		if t.note != "" {
			msg += "; " + t.note
		}
		e.Children = append(e.Children, &bsearch.Explanation{Value: t.score, Message: msg})
	}
	for _, p := range parts.pairs {
		e.Children = append(e.Children, &bsearch.Explanation{Value: p.score,
			Message: fmt.Sprintf("proximity: %q then %q within %d words, %s", p.a, p.b, s.q.rank.proxWindow, times(p.count))})
	}
	return e
}

func tfText(title, abstract float64) string {
	switch {
	case title > 0 && abstract > 0:
		return fmt.Sprintf("%s in the title, %s in the abstract", times(title), times(abstract))
	case title > 0:
		return times(title) + " in the title"
	}
	return times(abstract) + " in the abstract"
}

func times(n float64) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%g times", n)
}

// zeroScore matches what its query matches and scores nothing, so that the
// bag alone ranks the papers a boolean query selects.
type zeroScore struct{ q query.Query }

func (z zeroScore) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opt bsearch.SearcherOptions) (bsearch.Searcher, error) {
	s, err := z.q.Searcher(ctx, r, m, bsearch.SearcherOptions{Score: "none"})
	if err != nil {
		return nil, err
	}
	return &zeroSearcher{Searcher: s}, nil
}

type zeroSearcher struct{ bsearch.Searcher }

func (z *zeroSearcher) zero(dm *bsearch.DocumentMatch, err error) (*bsearch.DocumentMatch, error) {
	if dm != nil {
		dm.Score = 0
		dm.Expl = nil
		dm.FieldTermLocations = dm.FieldTermLocations[:0]
	}
	return dm, err
}

func (z *zeroSearcher) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	return z.zero(z.Searcher.Next(ctx))
}

func (z *zeroSearcher) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	return z.zero(z.Searcher.Advance(ctx, id))
}

func (z *zeroSearcher) Weight() float64      { return 0 }
func (z *zeroSearcher) SetQueryNorm(float64) {}

func sortedKeys(m map[int]termPart) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
