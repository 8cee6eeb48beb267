package search

import (
	"bytes"
	"hash/maphash"
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
	porterstemmer "github.com/blevesearch/go-porterstemmer"
)

// cachedPorterName is Bleve's Porter stemmer with a cache of the stems it
// has computed: a corpus repeats the same few thousand words, and stemming
// one costs more than looking it up. Its stems are the Porter stemmer's.
const cachedPorterName = "papersearch_porter"

func init() {
	f := newCachedPorter(1 << 14)
	err := registry.RegisterTokenFilter(cachedPorterName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return f, nil
	})
	if err != nil {
		panic(err)
	}
}

// stemShards spreads the cache over locks, so that analysis workers on
// several cores do not queue on one.
const stemShards = 32

type cachedPorter struct {
	seed   maphash.Seed
	shards [stemShards]stemShard
}

type stemShard struct {
	mu    sync.RWMutex
	stems map[string][]byte
	limit int
}

func newCachedPorter(limit int) *cachedPorter {
	f := &cachedPorter{seed: maphash.MakeSeed()}
	for i := range f.shards {
		f.shards[i].stems = map[string][]byte{}
		f.shards[i].limit = limit / stemShards
	}
	return f
}

func (f *cachedPorter) Filter(input analysis.TokenStream) analysis.TokenStream {
	for _, token := range input {
		if token.KeyWord {
			continue
		}
		sh := &f.shards[maphash.Bytes(f.seed, token.Term)%stemShards]
		sh.mu.RLock()
		stem, ok := sh.stems[string(token.Term)]
		sh.mu.RUnlock()
		if !ok {
			stem = analysis.BuildTermFromRunes(porterstemmer.StemWithoutLowerCasing(bytes.Runes(token.Term)))
			sh.mu.Lock()
			// Once full, a shard keeps what it has: the words seen first
			// are the frequent ones.
			if len(sh.stems) < sh.limit {
				sh.stems[string(token.Term)] = stem
			}
			sh.mu.Unlock()
		}
		// Each token gets its own copy: later filters may change terms in
		// place.
		token.Term = append(make([]byte, 0, len(stem)), stem...)
	}
	return input
}
