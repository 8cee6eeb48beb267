package search

import (
	"hash/maphash"
	"sync"

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

// stemCacheSize bounds the cache (about 80 bytes a word). The first words
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

// stemShards spreads the cache over locks, so that Bleve's analysis
// workers on several cores do not queue on one.
const stemShards = 32

type cachedSnowball struct {
	seed   maphash.Seed
	shards [stemShards]stemShard
}

type stemShard struct {
	mu    sync.RWMutex
	stems map[string]string
	limit int
}

func newCachedSnowball(limit int) *cachedSnowball {
	f := &cachedSnowball{seed: maphash.MakeSeed()}
	for i := range f.shards {
		f.shards[i].stems = map[string]string{}
		f.shards[i].limit = limit / stemShards
	}
	return f
}

func (f *cachedSnowball) Filter(input analysis.TokenStream) analysis.TokenStream {
	for _, token := range input {
		sh := &f.shards[maphash.Bytes(f.seed, token.Term)%stemShards]
		sh.mu.RLock()
		stem, ok := sh.stems[string(token.Term)]
		sh.mu.RUnlock()
		if !ok {
			word := string(token.Term)
			env := snowballstem.NewEnv(word)
			english.Stem(env)
			stem = env.Current()
			sh.mu.Lock()
			// Once full, a shard keeps what it has.
			if len(sh.stems) < sh.limit {
				sh.stems[word] = stem
			}
			sh.mu.Unlock()
		}
		// A fresh slice per token, as Bleve's filter gives: callers may
		// change terms in place.
		token.Term = []byte(stem)
	}
	return input
}
