package search

import (
	"context"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"
)

// query combines a plan's matching and ranking into one Bleve query.
func (p *plan) query() query.Query {
	switch {
	case p.match == nil:
		return p.bag
	case p.bag.empty():
		if _, all := p.match.(*query.MatchAllQuery); all {
			return p.match
		}
		return zeroScore{p.match}
	}
	p.bag.match = p.match
	return p.bag
}

// filter is the query that selects the plan's papers, unscored.
func (p *plan) filter() query.Query {
	if p.match == nil {
		return zeroScore{p.bag}
	}
	return zeroScore{p.match}
}

// rankQuery returns the query that ranks a request: the plan's, reranked,
// for a relevance-sorted text query, with terms typical of its own top
// papers (RM3 pseudo-relevance feedback): the bag's searcher takes the top
// papers of its own first scoring, and rescores the papers it found with
// the feedback terms added, in one pass. The reranking matches exactly the
// papers the plan does. Feedback comes from the query alone, not from its
// filters: a filter then only selects papers and never changes their
// scores.
func (x *Index) rankQuery(p *plan, r Request) query.Query {
	p.bag.stats, p.bag.cache = x.stats, x.postings
	if r.Sort == SortRelevance && len(p.bag.terms) > 0 && p.bag.rank.fbDocs > 0 {
		p.bag.feedback = &feedbackSource{prose: x.prose, texts: &x.fbTexts}
	}
	return p.query()
}

// feedbackSource is what a bag searcher needs to take feedback itself.
type feedbackSource struct {
	prose analysis.Analyzer
	texts *fbTextCache
}

// fbDist is a paper's term distribution: each term's share of its tokens.
type fbDist struct {
	terms []string
	share []float64
}

// fbTextCache keeps the term distributions of the papers feedback has
// analysed, by a hash of their text: the same papers top many searches,
// and analysing them was a fifth of feedback's CPU. A text is its own key,
// so nothing goes stale when papers change.
//
// It keeps two generations: papers go into cur, and when cur is full it
// becomes old and cur starts empty; a paper found in old moves to cur. So
// the papers of recent searches stay, and memory is bounded, without
// keeping an order of use. Starting over when full, as a single map did,
// forgot the working set at once: in 15 s of the bench mix, 75% of the
// papers that lent feedback were analysed again, against 31% now, most of
// those the first time the mix came round.
type fbTextCache struct {
	mu       sync.Mutex
	cur, old map[uint64]*fbDist
}

// fbTextCacheGen bounds a generation: both full, 8,192 papers at about
// 2 KB each, 16 MB.
const fbTextCacheGen = 4096

var fbTextSeed = maphash.MakeSeed()

func fbTextKey(text string) uint64 { return maphash.String(fbTextSeed, text) }

// get returns the cached distribution of the text with key, or nil.
func (c *fbTextCache) get(key uint64) *fbDist {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := c.cur[key]; d != nil {
		return d
	}
	d := c.old[key]
	if d != nil {
		c.putLocked(key, d)
	}
	return d
}

func (c *fbTextCache) put(key uint64, d *fbDist) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(key, d)
}

func (c *fbTextCache) putLocked(key uint64, d *fbDist) {
	if c.cur == nil || len(c.cur) >= fbTextCacheGen {
		c.old, c.cur = c.cur, make(map[uint64]*fbDist, fbTextCacheGen)
	}
	c.cur[key] = d
}

// len returns how many papers the cache holds.
func (c *fbTextCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.old)
}

// dist returns text's term distribution, from the cache (c may be nil)
// or analysing it with prose.
func (c *fbTextCache) dist(prose analysis.Analyzer, text string) *fbDist {
	key := fbTextKey(text)
	if c != nil {
		if d := c.get(key); d != nil {
			return d
		}
	}
	toks := prose.Analyze([]byte(text))
	d := &fbDist{}
	// Term frequencies, counted by looking the term up (which makes no
	// string of it) and making a string once per distinct term.
	at := make(map[string]int, len(toks))
	for _, t := range toks {
		i, ok := at[string(t.Term)]
		if !ok {
			i = len(d.terms)
			term := string(t.Term)
			at[term] = i
			d.terms, d.share = append(d.terms, term), append(d.share, 0)
		}
		d.share[i]++
	}
	for i := range d.share {
		d.share[i] /= float64(len(toks))
	}
	if c != nil {
		c.put(key, d)
	}
	return d
}

// fbPaper is one top paper of a first pass: its text and score.
type fbPaper struct {
	text  string
	score float64
}

type weightedTerm struct {
	term string
	w    float64
}

// feedbackTerms returns RM3's expansion terms from the top papers of a
// first pass, with their weights P(w|R): each paper's term distribution,
// weighted by its share of the top scores.
func feedbackTerms(rk rankParams, prose analysis.Analyzer, texts *fbTextCache, tops []fbPaper) []weightedTerm {
	var total float64
	for _, p := range tops {
		total += p.score
	}
	if total <= 0 {
		return nil
	}
	fb := map[string]float64{}
	for _, p := range tops {
		d := texts.dist(prose, p.text)
		for i, t := range d.terms {
			fb[t] += d.share[i] * p.score / total
		}
	}
	var cands []weightedTerm
	for t, w := range fb {
		if len(t) < 2 {
			continue
		}
		// Numbers say little about a topic. Most terms start with a
		// letter, and Atoi's error for them was an allocation each.
		if c := t[0]; (c >= '0' && c <= '9' || c == '+' || c == '-') && isInt(t) {
			continue
		}
		cands = keepBest(cands, weightedTerm{t, w}, rk.fbTerms)
	}
	return cands
}

// keepBest inserts c into best, the k best terms so far in order (the
// heaviest first, ties in term order), dropping the k+1th. A paper's few
// hundred terms mostly fall below the kth at once: sorting them all was a
// third of feedbackTerms.
func keepBest(best []weightedTerm, c weightedTerm, k int) []weightedTerm {
	before := func(a, b weightedTerm) bool {
		return a.w > b.w || a.w == b.w && a.term < b.term
	}
	if k <= 0 || len(best) == k && !before(c, best[k-1]) {
		return best
	}
	i := len(best)
	for i > 0 && before(c, best[i-1]) {
		i--
	}
	if len(best) < k {
		best = append(best, weightedTerm{})
	}
	copy(best[i+1:], best[i:len(best)-1])
	best[i] = c
	return best
}

func isInt(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// withFeedback returns the bag that keeps fbKeep of the weight on q's own
// terms and gives the rest to cands, or nil when there is nothing to
// give. q's terms and names keep their places, first in the new bag; each
// of their weights is scaled by keep, and raised where a candidate is the
// same term.
func (q *bagQuery) withFeedback(cands []weightedTerm) (bag *bagQuery, keep float64) {
	rk := q.rank
	var fbSum, qSum float64
	for _, c := range cands {
		fbSum += c.w
	}
	for _, t := range q.terms {
		qSum += t.weight
	}
	if fbSum == 0 || qSum == 0 {
		return nil, 0
	}
	keep = rk.fbKeep / qSum
	bag = &bagQuery{rank: rk, pairs: q.pairs, stats: q.stats, cache: q.cache}
	at := map[string]int{}
	for _, t := range q.terms {
		t.weight *= keep
		if t.fields == 0 || t.fields == 3 {
			at[t.text] = len(bag.terms)
		}
		bag.terms = append(bag.terms, t)
	}
	for _, t := range q.names {
		t.weight *= keep
		bag.names = append(bag.names, t)
	}
	for _, c := range cands {
		w := (1 - rk.fbKeep) * c.w / fbSum
		if i, ok := at[c.term]; ok {
			bag.terms[i].weight += w
			continue
		}
		bag.terms = append(bag.terms, queryTerm{text: c.term, weight: w, fields: 3, note: "from the top results (feedback)"})
	}
	return bag, keep
}

// addFeedback reranks the papers found with RM3: the best fbDocs lend
// their typical terms, which are read for the papers found only.
func (s *bagSearcher) addFeedback(ctx context.Context) error {
	top := s.bestAmong(s.q.rank.fbDocs)
	tops := make([]fbPaper, 0, len(top))
	for _, d := range top {
		var p Paper
		var derr error
		num := s.accs[d.acc].id
		err := s.v.stored(num, func(field string, value []byte) {
			if field == fieldMeta {
				p, derr = decodeStored("", value)
			}
		})
		if err == nil {
			err = derr
		}
		if err != nil {
			return fmt.Errorf("read a top paper for feedback: %w", err)
		}
		// The best papers are mostly among those shown: the collector
		// loads them from here rather than decoding them again.
		s.decoded = append(s.decoded, decodedPaper{num: num, paper: p})
		tops = append(tops, fbPaper{text: p.Title + "\n" + p.Abstract, score: d.score})
	}
	bag, keep := s.q.withFeedback(feedbackTerms(s.q.rank, s.q.feedback.prose, s.q.feedback.texts, tops))
	if bag == nil {
		return nil
	}
	terms, names := len(s.q.terms), len(s.q.names)
	s.first, s.keep = s.q, keep
	s.q = bag
	if s.v.texts != nil {
		s.v.texts.want = map[string]bool{}
		for _, t := range bag.terms {
			s.v.texts.want[t.text] = true
		}
	}
	// Feedback terms are common words whose postings would cost more than
	// the rest of the search; they are read for the best rerankDepth
	// papers only. The others keep their share of the first scores (keep
	// of them; no weight falls below that), below every paper above them,
	// so the order stays consistent.
	top = s.cands
	if err := s.needHits(ctx, top); err != nil {
		return err
	}
	known := make([]uint64, len(top))
	for i, d := range top {
		known[i] = s.accs[d.acc].id
	}
	slices.Sort(known)
	if err := s.read(ctx, terms, names, known, true); err != nil {
		return err
	}
	// docs are still in the order of accs (see rescore).
	for i := range s.docs {
		s.docs[i].score *= keep
	}
	for _, d := range top {
		a := &s.accs[d.acc]
		a.reranked = true
		s.docs[d.acc].score = s.score(a, nil)
	}
	return nil
}
