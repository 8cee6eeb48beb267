package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"runtime/pprof"
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
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the synthetic corpus and the query mix")
	fs.StringVar(&cfg.Keep, "keep", "", "build the index in this new directory and keep it (default: a temporary one)")
	fs.StringVar(&cfg.Index, "index", "", "query this existing index instead of building one (the corpus gives the query mix)")
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
	case cfg.Docs < 0 || cfg.Synthesize < 0 || cfg.Clients < 1 || cfg.BatchSize < 1 || cfg.Duration < 0:
		return usageError{"--docs, --synthesize and --duration must not be negative; --clients and --batch at least 1"}
	}
	cfg.Log = e.log
	e.bulkGC()
	if e.getenv("GOMEMLIMIT") == "" {
		// Queries run as serve runs them, without the build's limit.
		cfg.AfterBuild = func() { debug.SetMemoryLimit(math.MaxInt64) }
	}
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
// build time). It is a soft limit: a larger live heap (a build of millions
// of papers) only makes the collector run more often.
const bulkMemoryLimit = 256 << 20

// bulkGC sets bulkGCPercent and bulkMemoryLimit, unless GOGC and
// GOMEMLIMIT say otherwise.
func (e *env) bulkGC() {
	if e.getenv("GOGC") == "" {
		debug.SetGCPercent(bulkGCPercent)
	}
	if e.getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(bulkMemoryLimit)
	}
}
