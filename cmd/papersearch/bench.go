package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/papersearch/papersearch/api"
	"github.com/papersearch/papersearch/bench"
	"github.com/papersearch/papersearch/indexer"
)

func (e *env) bench(ctx context.Context, args []string) error {
	fs := newFlagSet("bench", e.stderr)
	var cfg bench.Config
	fs.StringVar(&cfg.Corpus, "corpus", "", "corpus to build from, in any format index reads (required)")
	fs.IntVar(&cfg.Docs, "docs", 0, "use only the first N records of the corpus (default all)")
	fs.IntVar(&cfg.Synthesize, "synthesize", 0, "build from N synthetic papers generated from the corpus")
	fs.StringVar(&cfg.Emit, "emit", "", "write the corpus that is indexed (synthetic or not) to FILE as JSON lines")
	fs.StringVar(&cfg.EmitQueries, "emit-queries", "", "write the query mix to FILE as JSON lines")
	fs.IntVar(&cfg.Clients, "clients", 1, "concurrent query clients")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to run queries (0 skips them)")
	fs.DurationVar(&cfg.SearchTimeout, "search-timeout", api.DefaultSearchTimeout, "the server's deadline for one search, as serve's --search-timeout; a query past it counts as failed")
	fs.IntVar(&cfg.BatchSize, "batch", indexer.DefaultBatchSize, "papers per index commit")
	fs.IntVar(&cfg.Slowest, "slowest", 0, "also report the N queries of the mix that took longest (JSON: \"slowest\")")
	fs.StringVar(&cfg.Facets, "facets", "", "the facet groups each query counts, as /api/search's facets (default all three, as the page)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the synthetic corpus and the query mix")
	fs.StringVar(&cfg.Keep, "keep", "", "build the index in this new directory and keep it (default: a temporary one)")
	fs.StringVar(&cfg.Index, "index", "", "query this existing index instead of building one (the corpus gives the query mix only; nothing is synthesized or emitted)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to FILE")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return usageError{fmt.Sprintf("bench takes no arguments, got %q", rest)}
	case cfg.Corpus == "":
		return usageError{"bench needs --corpus FILE"}
	case cfg.Docs < 0 || cfg.Synthesize < 0 || cfg.Slowest < 0 || cfg.Clients < 1 || cfg.BatchSize < 1 || cfg.Duration < 0:
		return usageError{"--docs, --synthesize, --slowest and --duration must not be negative; --clients and --batch at least 1"}
	}
	if _, err := api.ParseSearch(url.Values{"facets": {cfg.Facets}}); err != nil {
		return usageError{err.Error()}
	}
	cfg.Log = e.log
	stopGC := e.bulkGC()
	defer stopGC()
	// Queries run as serve runs them: at Go's own garbage collector target
	// and without the build's memory limit. Until this was said, they ran at
	// the build's GOGC=200, which spared them some of serve's collections.
	cfg.AfterBuild = stopGC
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		b, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "%s\n", b)
		return err
	}
	return rep.WriteText(e.stdout)
}

// bulkGCPercent is the garbage collector's target while a command builds an
// index: the heap may grow to three times what is live rather than twice,
// which takes a sixth off the CPU time of a build and stays well inside the
// memory a build of a million papers may use.
const bulkGCPercent = 200

// bulkMemoryLimit is the heap size past which the garbage collector works
// harder than bulkGCPercent asks during a build: two batches in flight at
// GOGC=200 would otherwise take a 75,000-paper build to 600 MB of RSS
// (410-450 MB with this limit, 470-510 MB with 320 MiB, for a tenth more
// build time). It rises with a larger live heap (see bulkLiveFactor).
const bulkMemoryLimit = 256 << 20

// bulkLiveFactor raises the memory limit of a build to this many times
// the live heap, when that is above bulkMemoryLimit. A build's live heap
// grows with the index (about 100 MB at 75,000 papers, 250 MB at a
// million, by GODEBUG=gctrace=1): under a fixed limit
// of 256 MiB the collector ran nonstop, a quarter of a million-paper
// build's CPU. This leaves it room in proportion, as GOGC does, and below
// GOGC's own target of three times the live heap.
const bulkLiveFactor = 2.5

// bulkLimit is the memory limit of a build whose live heap is live bytes.
func bulkLimit(live uint64) int64 {
	return max(bulkMemoryLimit, int64(float64(live)*bulkLiveFactor))
}

// bulkGC sets bulkGCPercent and bulkMemoryLimit, unless GOGC and
// GOMEMLIMIT say otherwise, and raises the limit as the live heap grows
// (see bulkLiveFactor) until the returned stop is called (any number of
// times), which puts back what was there before.
func (e *env) bulkGC() (stop func()) {
	var once sync.Once
	var restore []func()
	if e.getenv("GOGC") == "" {
		old := debug.SetGCPercent(bulkGCPercent)
		restore = append(restore, func() { debug.SetGCPercent(old) })
	}
	if e.getenv("GOMEMLIMIT") == "" {
		old := debug.SetMemoryLimit(bulkMemoryLimit)
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { followLiveHeap(done, 100*time.Millisecond, liveHeap, debug.SetMemoryLimit) })
		restore = append(restore, func() {
			close(done)
			wg.Wait()
			debug.SetMemoryLimit(old)
		})
	}
	return func() {
		once.Do(func() {
			for _, f := range restore {
				f()
			}
		})
	}
}

// followLiveHeap sets the memory limit to bulkLimit of the live heap,
// every so often, while it rises, until done is closed.
func followLiveHeap(done <-chan struct{}, every time.Duration, live func() uint64, setLimit func(int64) int64) {
	t := time.NewTicker(every)
	defer t.Stop()
	limit := int64(bulkMemoryLimit)
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		if want := bulkLimit(live()); want > limit {
			limit = want
			setLimit(limit)
		}
	}
}

// liveHeap is the heap the last garbage collection found live, in bytes.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
