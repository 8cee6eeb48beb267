package search

import (
	"hash/maphash"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/english"
)

// cachedSnowballName is Bleve's Snowball English (Porter2) stemmer filter
// (en.SnowballStemmerName) with a cache of the stems it has computed: a
// corpus repeats the same few thousand words, and stemming one costs far
// more than looking it up. Its stems are the Snowball stemmer's.
const cachedSnowballName = "papersearch_snowball_en"

// stemCacheSize bounds the cache (about 100 bytes a word). The first words
// a build meets fill it, and those are the frequent ones.
const stemCacheSize = 1 << 16

func init() {
	f := newCachedSnowball(stemCacheSize)
	err := registry.RegisterTokenFilter(cachedSnowballName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return f, nil
	})
	if err != nil {
		panic(err)
	}
}

// cachedSnowball's cache is an open-addressed table that readers search
// without a lock: every token of a build and of a search looks its word
// up, from Bleve's analysis workers on every core, and a map behind
// read-write locks spent more on the locks and on hashing twice than on
// the lookup. A slot is written once, from empty to its entry, and never
// changes after; a word that finds no empty slot near its hash is stemmed
// each time it comes.
type cachedSnowball struct {
	seed maphash.Seed
	// tags hold the top bits of each slot's hash, 0 for an empty slot, so
	// that a probe reads an entry only when its hash may match.
	tags  []atomic.Uint32
	slots []atomic.Pointer[stemEntry]
	mask  uint64
	used  atomic.Int64
	limit int64
}

type stemEntry struct{ word, stem string }

// stemProbes bounds the slots a lookup reads. The table is kept at most
// half full, where linear probing mostly needs one or two.
const stemProbes = 8

func newCachedSnowball(limit int) *cachedSnowball {
	n := 1
	for n < 2*limit {
		n *= 2
	}
	return &cachedSnowball{
		seed:  maphash.MakeSeed(),
		tags:  make([]atomic.Uint32, n),
		slots: make([]atomic.Pointer[stemEntry], n),
		mask:  uint64(n - 1),
		limit: int64(limit),
	}
}

// stem returns word's stem, from the cache or computed and cached.
func (f *cachedSnowball) stem(word []byte) string {
	h := maphash.Bytes(f.seed, word)
	tag := uint32(h>>32) | 1 // never 0, which marks an empty slot
	for i := range uint64(stemProbes) {
		at := (h + i) & f.mask
		t := f.tags[at].Load()
		if t == 0 {
			return f.add(word, at, tag)
		}
		if t != tag {
			continue
		}
		e := f.slots[at].Load()
		if e == nil {
			// Tagged, its entry not stored yet: stem it this once.
			return stemWord(string(word))
		}
		if e.word == string(word) {
			return e.stem
		}
	}
	return stemWord(string(word))
}

// add stems word and stores it in the empty slot at, unless another
// goroutine took the slot first or the cache is full.
func (f *cachedSnowball) add(word []byte, at uint64, tag uint32) string {
	w := string(word)
	stem := stemWord(w)
	if f.used.Load() >= f.limit || !f.tags[at].CompareAndSwap(0, tag) {
		return stem
	}
	f.used.Add(1)
	f.slots[at].Store(&stemEntry{word: w, stem: stem})
	return stem
}

func stemWord(word string) string {
	env := snowballstem.NewEnv(word)
	english.Stem(env)
	return env.Current()
}

func (f *cachedSnowball) Filter(input analysis.TokenStream) analysis.TokenStream {
	for _, token := range input {
		// A fresh slice per token, as Bleve's filter gives: callers may
		// change terms in place.
		token.Term = []byte(f.stem(token.Term))
	}
	return input
}

// cached returns how many words the cache holds.
func (f *cachedSnowball) cached() int { return int(f.used.Load()) }
