package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"time"

	"github.com/papersearch/papersearch/search"
)

// Model is a word-level Markov model of a corpus. Titles and abstracts are
// chains of whitespace-separated words, case and punctuation kept (so that
// sentences, acronyms and TeX look as they do in the corpus): each word is
// followed by a word that followed it somewhere in the corpus, chosen in
// proportion to how often it did. Lengths, author counts, category lists
// and upvotes are drawn from the corpus's own; author names pair a real
// first name with a real last name. A Model is safe for concurrent use.
type Model struct {
	words    []string // word id -> word; id 0 ends a text
	title    chain
	abstract chain
	// absText holds every corpus abstract, word ids, from absOffs[i] to
	// absOffs[i+1].
	absText []uint32
	absOffs []int

	// vocab lists, for every corpus paper, the distinct words of its title
	// and abstract (from vocabOffs[i] to vocabOffs[i+1]): a synthetic
	// paper keeps to the words of one corpus paper where the chains allow.
	vocab     []uint32
	vocabOffs []uint32

	titleLens    []uint16 // in words, one per corpus paper
	abstractLens []uint16
	authorCounts []uint16
	upvotes      []int32
	categories   [][]string // one per corpus paper; equal lists share storage
	firstNames   []string
	lastNames    []string

	// Synthetic papers are dated backwards from the corpus's last date at
	// the corpus's own rate of papers per day.
	last      time.Time
	perDay    float64
	hasAuthor bool // whether the corpus names authors or only counts them
}

// chain is one first-order Markov chain over word ids, stored compactly:
// the successors of every occurrence of every word, grouped by word, so
// that a uniform pick among a word's successors is a pick in proportion to
// how often each followed it.
type chain struct {
	starts []uint32 // the first word of every text
	offs   []uint32 // word id -> start of its successors in next
	next   []uint32
}

// Papers returns how many corpus papers the model was learnt from.
func (m *Model) Papers() int { return len(m.titleLens) }

// learner accumulates a corpus into a Model.
type learner struct {
	ids      map[string]uint32
	seen     map[uint32]bool // the words of the paper being added
	aOffs    []int           // where each paper's abstract starts in abstract
	words    []string
	titles   []uint32 // word ids, each text followed by 0
	abstract []uint32
	catLists map[string][]string
	first    map[string]bool
	last     map[string]bool
	m        Model
	minDate  string
	maxDate  string
}

func newLearner() *learner {
	return &learner{
		ids: map[string]uint32{}, seen: map[uint32]bool{}, words: []string{""}, catLists: map[string][]string{},
		first: map[string]bool{}, last: map[string]bool{},
	}
}

func (l *learner) add(p *search.Paper) {
	var n int
	if len(l.m.vocabOffs) == 0 {
		l.m.vocabOffs = append(l.m.vocabOffs, 0)
	}
	clear(l.seen)
	l.aOffs = append(l.aOffs, len(l.abstract))
	l.titles, n = l.appendText(l.titles, p.Title)
	l.m.titleLens = append(l.m.titleLens, uint16(min(n, 1<<16-1)))
	l.abstract, n = l.appendText(l.abstract, p.Abstract)
	l.m.abstractLens = append(l.m.abstractLens, uint16(min(n, 1<<16-1)))
	l.m.vocabOffs = append(l.m.vocabOffs, uint32(len(l.m.vocab)))
	l.m.authorCounts = append(l.m.authorCounts, uint16(min(max(p.AuthorCount, len(p.Authors)), 1<<16-1)))
	l.m.upvotes = append(l.m.upvotes, int32(p.Upvotes))
	key := strings.Join(p.Categories, " ")
	cats, ok := l.catLists[key]
	if !ok {
		cats = append([]string(nil), p.Categories...)
		l.catLists[key] = cats
	}
	l.m.categories = append(l.m.categories, cats)
	for _, a := range p.Authors {
		l.m.hasAuthor = true
		i := strings.LastIndexByte(a, ' ')
		if i <= 0 {
			continue
		}
		// Every occurrence counts, so common names stay common.
		l.m.firstNames = append(l.m.firstNames, strings.Clone(a[:i]))
		l.m.lastNames = append(l.m.lastNames, strings.Clone(a[i+1:]))
	}
	if d := p.Published; d != "" {
		if l.minDate == "" || d < l.minDate {
			l.minDate = d
		}
		if d > l.maxDate {
			l.maxDate = d
		}
	}
}

func (l *learner) appendText(seq []uint32, text string) ([]uint32, int) {
	n := 0
	for w := range strings.FieldsSeq(text) {
		id, ok := l.ids[w]
		if !ok {
			id = uint32(len(l.words))
			w = strings.Clone(w)
			l.ids[w] = id
			l.words = append(l.words, w)
		}
		seq = append(seq, id)
		if !l.seen[id] {
			l.seen[id] = true
			l.m.vocab = append(l.m.vocab, id)
		}
		n++
	}
	return append(seq, 0), n
}

// model finishes learning. The learner must not be used afterwards.
func (l *learner) model() (*Model, error) {
	m := new(Model)
	*m = l.m
	if len(m.titleLens) == 0 {
		return nil, fmt.Errorf("the corpus has no papers to learn from")
	}
	m.words = l.words
	l.aOffs = append(l.aOffs, len(l.abstract))
	m.title = newChain(l.titles, len(l.words))
	m.abstract = newChain(l.abstract, len(l.words))
	m.absText, m.absOffs = l.abstract, l.aOffs
	if len(m.title.starts) == 0 {
		return nil, fmt.Errorf("the corpus has no titles to learn from")
	}
	m.last = time.Now().UTC().Truncate(24 * time.Hour)
	m.perDay = float64(len(m.titleLens))
	if first, err := time.Parse(time.DateOnly, l.minDate); err == nil {
		last, _ := time.Parse(time.DateOnly, l.maxDate)
		m.last = last
		m.perDay = float64(len(m.titleLens)) / (last.Sub(first).Hours()/24 + 1)
	}
	*l = learner{}
	return m, nil
}

func newChain(seq []uint32, nwords int) chain {
	var c chain
	c.offs = make([]uint32, nwords+1)
	for i, id := range seq {
		if id == 0 {
			continue
		}
		c.offs[id]++
		if i == 0 || seq[i-1] == 0 {
			c.starts = append(c.starts, id)
		}
	}
	// Prefix sums turn counts into starts; offs[id+1] is id's end.
	sum := uint32(0)
	for id, n := range c.offs {
		c.offs[id] = sum
		sum += n
	}
	c.offs = append(c.offs, sum)
	c.next = make([]uint32, sum)
	fill := append([]uint32(nil), c.offs...)
	for i, id := range seq {
		if id != 0 {
			c.next[fill[id]] = seq[i+1] // every text ends in 0, so i+1 exists
			fill[id]++
		}
	}
	return c
}

// maxOvershoot bounds how far past its drawn length a text may run while
// waiting for the end of a sentence.
const maxOvershoot = 40

// A chain alone wanders over the whole corpus within a text, where a real
// abstract keeps to its subject and says its words several times: a
// word's occurrences were spread over too many papers. At 74,728 papers
// that was 171 distinct words a paper against the corpus's 128, words in
// 2-50% of papers in 1.27-1.35 times as many synthetic ones, "reasoning"
// in 50% of them against 21%; every posting list was longer than real.
// So each synthetic paper takes a corpus paper as its seed: its lengths,
// categories and authors' count, and its words, which the chain keeps to
// where it can (see steer.next). Now: 126.5 distinct words a paper, words
// in 0.91-0.98 times as many papers (TestSyntheticTermStatistics). The
// commonest words are still over-spread ("reasoning" in 39% of papers,
// "llm" 51% against 31%): a chain reaches them from too many words.

// steer is one worker's state for drawing papers: which words the seed
// paper has.
type steer struct {
	mark []uint32 // word id -> the paper that marked it, + 1
	cur  uint32
	text []uint32
}

func (g *steer) seed(m *Model, i int) {
	if g.mark == nil {
		g.mark = make([]uint32, len(m.words))
	}
	g.cur = uint32(i) + 1
	g.text = m.absText[m.absOffs[i]:m.absOffs[i+1]]
	for _, id := range m.vocab[m.vocabOffs[i]:m.vocabOffs[i+1]] {
		g.mark[id] = g.cur
	}
}

func (g *steer) has(id uint32) bool { return g.mark[id] == g.cur }

// steerDraws is how many times a word's successor is drawn, at most, for
// one that the seed paper has; the last draw stands if none is. More draws
// keep a text closer to its seed's words.
const steerDraws = 4

// jumpP is how often a successor that the seed paper lacks gives way to a
// word of the seed's abstract.
const jumpP = 0.3

// next draws the successor of cur. The end of a text is drawn as often
// as the chain has it, so that lengths keep to the corpus's.
func (g *steer) next(c *chain, rng *rand.Rand, cur uint32) uint32 {
	lo, n := c.offs[cur], int(c.offs[cur+1]-c.offs[cur])
	if n == 0 {
		return 0 // a word of the seed's abstract that no title has
	}
	nx := c.next[lo+uint32(rng.IntN(n))]
	for k := 1; k < steerDraws && nx != 0 && !g.has(nx); k++ {
		nx = c.next[lo+uint32(rng.IntN(n))]
	}
	if nx != 0 && !g.has(nx) && len(g.text) > 0 && rng.Float64() < jumpP {
		// Some of the time the text goes on from a word of the seed's
		// abstract instead, drawn as often as the abstract has it.
		if w := g.text[rng.IntN(len(g.text))]; w != 0 {
			nx = w
		}
	}
	return nx
}

// start draws the first word of a text as next draws the others.
func (g *steer) start(c *chain, rng *rand.Rand) uint32 {
	w := c.starts[rng.IntN(len(c.starts))]
	for k := 1; k < steerDraws && !g.has(w); k++ {
		w = c.starts[rng.IntN(len(c.starts))]
	}
	return w
}

// text generates one title (whole) or abstract (of about target words).
func (m *Model) text(c *chain, rng *rand.Rand, g *steer, target int, whole bool) string {
	var b strings.Builder
	n := 0
	cur := g.start(c, rng)
	for {
		w := m.words[cur]
		if n > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
		n++
		nx := g.next(c, rng, cur)
		switch {
		case n >= target+maxOvershoot:
			return b.String()
		case whole && nx == 0 && n >= min(target, 3):
			return b.String()
		case !whole && n >= target && (nx == 0 || strings.HasSuffix(w, ".")):
			return b.String()
		}
		if nx == 0 {
			nx = g.start(c, rng)
		}
		cur = nx
	}
}

// paper draws one synthetic paper without an id.
func (m *Model) paper(rng *rand.Rand, g *steer, span float64) search.Paper {
	i := rng.IntN(len(m.titleLens))
	g.seed(m, i)
	p := search.Paper{
		Title:      m.text(&m.title, rng, g, int(m.titleLens[i]), true),
		Categories: m.categories[i],
		Upvotes:    int(m.upvotes[rng.IntN(len(m.upvotes))]),
		Source:     "synthetic",
	}
	if n := int(m.abstractLens[i]); n > 0 {
		p.Abstract = m.text(&m.abstract, rng, g, n, false)
	}
	p.AuthorCount = int(m.authorCounts[i])
	p.Authors = []string{}
	if m.hasAuthor && len(m.firstNames) > 0 {
		p.Authors = make([]string, p.AuthorCount)
		for j := range p.Authors {
			p.Authors[j] = m.firstNames[rng.IntN(len(m.firstNames))] + " " + m.lastNames[rng.IntN(len(m.lastNames))]
		}
	}
	days := int(rng.Float64() * span)
	p.Published = m.last.AddDate(0, 0, -days).Format(time.DateOnly)
	return p
}

// synthChunk is how many papers one worker draws at a time; each chunk has
// its own seeded generator, so the output does not depend on scheduling.
const synthChunk = 512

// Synthesize draws n papers and hands them to fn in order. The same model,
// n and seed always give the same papers. Ids look like new-style arXiv ids
// (YYMM.NNNNN) of the paper's month. tag, when not nil, sets the topics.
func (m *Model) Synthesize(ctx context.Context, n int, seed uint64, tag func(title, abstract string) []string, fn func(*search.Paper) error) error {
	span := float64(n) / m.perDay
	chunks := (n + synthChunk - 1) / synthChunk
	type job struct {
		k   int
		out chan []search.Paper
	}
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan job)
	order := make(chan chan []search.Paper, 2*workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range workers {
		go func() {
			var g steer
			for j := range jobs {
				rng := rand.New(rand.NewPCG(seed, uint64(j.k)))
				size := min(synthChunk, n-j.k*synthChunk)
				ps := make([]search.Paper, size)
				for i := range ps {
					ps[i] = m.paper(rng, &g, span)
					if tag != nil {
						ps[i].Topics = tag(ps[i].Title, ps[i].Abstract)
					}
				}
				j.out <- ps
			}
		}()
	}
	go func() {
		defer close(jobs)
		defer close(order)
		for k := range chunks {
			out := make(chan []search.Paper, 1)
			select {
			case order <- out:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{k, out}:
			case <-ctx.Done():
				return
			}
		}
	}()
	perMonth := map[string]int{}
	for out := range order {
		var ps []search.Paper
		select {
		case ps = <-out:
		case <-ctx.Done():
			return ctx.Err()
		}
		for i := range ps {
			p := &ps[i]
			month := p.Published[2:4] + p.Published[5:7]
			perMonth[month]++
			p.ID = fmt.Sprintf("%s.%05d", month, perMonth[month])
			if err := fn(p); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}
