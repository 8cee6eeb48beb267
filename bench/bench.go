package bench

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/papersearch/papersearch/api"
	"github.com/papersearch/papersearch/indexer"
	"github.com/papersearch/papersearch/search"
)

// Config says what to measure.
type Config struct {
	// Corpus is a source in any format "papersearch index" reads.
	Corpus string
	// Docs uses only the first Docs records of the corpus; 0 means all.
	Docs int
	// Synthesize, when positive, builds from this many synthetic papers
	// generated from the corpus instead of from the corpus itself.
	Synthesize int
	// Emit, when set, receives the corpus that is indexed as JSON lines of
	// the paper model, topics included.
	Emit string
	// EmitQueries, when set, receives the query mix as JSON lines.
	EmitQueries string
	// Clients run queries concurrently for Duration; a zero Duration skips
	// the query phase.
	Clients  int
	Duration time.Duration
	// BatchSize is the indexer's; 0 means indexer.DefaultBatchSize.
	BatchSize int
	// Seed fixes the synthetic corpus and the query mix.
	Seed uint64
	// Keep, when set, is a new directory to build the index in and leave
	// behind; otherwise a temporary one is removed at the end.
	Keep string
	// Index, when set, is an existing index to query instead of building
	// one: the corpus then only gives the query mix.
	Index string
	// AfterBuild, when set, runs between the build and the queries (the
	// command lifts its build-time memory limit there).
	AfterBuild func()
	// SearchTimeout is the server's deadline for one search; 0 means
	// serve's default (api.DefaultSearchTimeout).
	SearchTimeout time.Duration
	// Slowest, when positive, asks the report for the queries of the mix
	// that took longest (see Report.Slowest).
	Slowest int
	// Facets is the facets parameter of every query of the mix ("topic,year",
	// "none"); empty counts all three groups, as the page does.
	Facets string
	Log    *slog.Logger
}

// Report is what a run measured. The JSON names are what
// "papersearch bench --json" prints; scripts rely on them.
type Report struct {
	Docs         uint64  `json:"docs"`
	BuildSeconds float64 `json:"build_seconds"`
	DocsPerSec   float64 `json:"docs_per_sec"`
	IndexBytes   int64   `json:"index_bytes"`
	PeakRSSBytes uint64  `json:"peak_rss_bytes"`
	Queries      int     `json:"queries"`
	QPS          float64 `json:"qps"`
	P50Ms        float64 `json:"p50_ms"`
	P95Ms        float64 `json:"p95_ms"`
	P99Ms        float64 `json:"p99_ms"`
	// Failed counts the queries the server gave up on: 504 past its search
	// deadline or 503 after waiting too long for a slot, as "papersearch
	// serve" would answer them. Their latencies count like the others'.
	Failed int `json:"failed"`
	// Slowest are the Config.Slowest queries of the mix that took longest,
	// slowest first, each at its longest run: where a tail comes from.
	Slowest []SlowQuery `json:"slowest,omitempty"`

	clients  int
	duration time.Duration
}

// SlowQuery is a query of the mix and how long it took.
type SlowQuery struct {
	Query
	Ms float64 `json:"ms"`
}

// WriteText prints the report for people.
func (r Report) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "build: %d papers in %.1f s (%.0f papers/s); index %.1f MB on disk; peak RSS %.1f MB\n",
		r.Docs, r.BuildSeconds, r.DocsPerSec, float64(r.IndexBytes)/1e6, float64(r.PeakRSSBytes)/1e6)
	if err != nil || r.clients == 0 {
		return err
	}
	_, err = fmt.Fprintf(w, "query: %d clients for %s: %d queries (%d failed), %.0f q/s; latency p50 %.2f ms, p95 %.2f ms, p99 %.2f ms\n",
		r.clients, r.duration, r.Queries, r.Failed, r.QPS, r.P50Ms, r.P95Ms, r.P99Ms)
	for _, q := range r.Slowest {
		if err != nil {
			return err
		}
		topic := ""
		if q.Topic != "" {
			topic = " topic:" + q.Topic
		}
		_, err = fmt.Fprintf(w, "  %8.2f ms  %q%s\n", q.Ms, q.Q, topic)
	}
	return err
}

// Run builds an index as cfg says, queries it, and reports.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Clients < 1 {
		cfg.Clients = 1
	}
	if cfg.BatchSize < 1 {
		cfg.BatchSize = indexer.DefaultBatchSize
	}
	tax := indexer.DefaultTaxonomy()

	work, err := os.MkdirTemp("", "papersearch-bench-")
	if err != nil {
		return Report{}, err
	}
	defer os.RemoveAll(work)

	corpus, limit := cfg.Corpus, cfg.Docs
	mix, err := prepare(ctx, cfg, tax, work, &corpus, &limit)
	if err != nil {
		return Report{}, err
	}
	if cfg.EmitQueries != "" {
		if err := writeQueries(cfg.EmitQueries, mix); err != nil {
			return Report{}, err
		}
	}

	dir := filepath.Join(work, "index")
	if cfg.Keep != "" {
		dir = cfg.Keep
	}
	var rep Report
	if cfg.Index != "" {
		dir = cfg.Index
		if cfg.Duration <= 0 {
			return Report{}, errors.New("querying an existing index needs a duration")
		}
	} else if rep, err = buildFresh(ctx, cfg, dir, corpus, limit, tax); err != nil {
		return Report{}, err
	}
	if cfg.Duration <= 0 {
		return rep, nil
	}
	if cfg.AfterBuild != nil {
		cfg.AfterBuild()
	}
	idx, err := search.Open(dir, cfg.Log)
	if err != nil {
		return Report{}, err
	}
	defer idx.Close()
	if rep.Docs == 0 {
		if rep.Docs, err = idx.Count(); err != nil {
			return Report{}, err
		}
	}
	cfg.Log.Info("querying", "clients", cfg.Clients, "duration", cfg.Duration, "mix", len(mix))
	lat, longest, failed, elapsed, err := load(ctx, api.Config{Index: idx, Timeout: cfg.SearchTimeout}, mix, cfg.Facets, cfg.Clients, cfg.Duration)
	if err != nil {
		return Report{}, err
	}
	rep.Slowest = slowest(mix, longest, cfg.Slowest)
	rep.clients, rep.duration = cfg.Clients, cfg.Duration
	rep.Queries, rep.Failed = len(lat), failed
	rep.QPS = float64(len(lat)) / elapsed.Seconds()
	rep.P50Ms, rep.P95Ms, rep.P99Ms = percentileMs(lat, 0.50), percentileMs(lat, 0.95), percentileMs(lat, 0.99)
	return rep, nil
}

// buildFresh builds the index in dir, which must be new or empty, and
// reports the build.
func buildFresh(ctx context.Context, cfg Config, dir, corpus string, limit int, tax *indexer.Taxonomy) (Report, error) {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return Report{}, fmt.Errorf("%s is not empty; the benchmark builds a fresh index", dir)
	}
	// What was read to prepare the run is not the build's memory.
	runtime.GC()
	debug.FreeOSMemory()
	if !resetPeakRSS() {
		cfg.Log.Warn("cannot reset the peak RSS; it includes preparing the run")
	}

	cfg.Log.Info("building", "corpus", corpus, "index", dir)
	return build(ctx, dir, corpus, limit, cfg.BatchSize, tax, cfg.Log)
}

// prepare reads the corpus to learn the query vocabulary and, for a
// synthetic run, the Markov model; writes the corpus to emit (generating it
// first when synthetic); and points corpus and limit at what to build from.
func prepare(ctx context.Context, cfg Config, tax *indexer.Taxonomy, work string, corpus *string, limit *int) ([]Query, error) {
	mx := newMixer()
	// An existing index is queried as it is: the corpus gives the mix
	// only, and nothing is synthesized or written.
	build := cfg.Index == ""
	var learn *learner
	if cfg.Synthesize > 0 && build {
		learn = newLearner()
	}
	var out *jsonLines
	if cfg.Emit != "" && cfg.Synthesize == 0 && build {
		var err error
		if out, err = createJSONLines(cfg.Emit); err != nil {
			return nil, err
		}
		defer out.close()
	}
	// Only what the run needs is read: the vocabulary sample, unless the
	// whole corpus is to be learnt or copied.
	readLimit := cfg.Docs
	if learn == nil && out == nil && (readLimit == 0 || readLimit > vocabSample) {
		readLimit = vocabSample
	}
	err := readCorpus(ctx, cfg.Corpus, readLimit, func(p *search.Paper) error {
		if !mx.full() || out != nil {
			p.Topics = tax.Tag(p.Title, p.Abstract)
		}
		if !mx.full() {
			mx.add(p, p.Topics)
		}
		if learn != nil {
			learn.add(p)
		}
		if out != nil {
			return out.write(p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out != nil {
		if err := out.close(); err != nil {
			return nil, err
		}
	}
	mix, err := mx.mix(cfg.Seed, mixSize)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Corpus, err)
	}
	if learn == nil {
		return mix, nil
	}

	m, err := learn.model()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Corpus, err)
	}
	path := cfg.Emit
	if path == "" {
		path = filepath.Join(work, "synthetic.jsonl")
	}
	cfg.Log.Info("synthesizing", "papers", cfg.Synthesize, "learnt from", m.Papers(), "to", path)
	if out, err = createJSONLines(path); err != nil {
		return nil, err
	}
	defer out.close()
	if err := m.Synthesize(ctx, cfg.Synthesize, cfg.Seed, tax.Tag, out.write); err != nil {
		return nil, err
	}
	if err := out.close(); err != nil {
		return nil, err
	}
	*corpus, *limit = path, 0
	return mix, nil
}

// readCorpus calls fn with each good paper among the first limit records
// (0: all) of a source.
func readCorpus(ctx context.Context, path string, limit int, fn func(*search.Paper) error) error {
	rc, err := indexer.OpenSource(path, nil)
	if err != nil {
		return err
	}
	defer rc.Close()
	papers, err := indexer.Parse(rc, path, "")
	if err != nil {
		return err
	}
	n := 0
	for p, err := range papers {
		if limit > 0 && n >= limit {
			break
		}
		n++
		if err != nil {
			continue // the build reports rejected records
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(&p); err != nil {
			return err
		}
	}
	return nil
}

// jsonLines writes papers as JSON lines.
type jsonLines struct {
	f   *os.File
	w   *bufio.Writer
	enc *json.Encoder
	err error
}

func createJSONLines(path string) (*jsonLines, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("emit corpus: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonLines{f: f, w: w, enc: enc}, nil
}

func (j *jsonLines) write(p *search.Paper) error {
	if err := j.enc.Encode(p); err != nil {
		return fmt.Errorf("emit corpus %s: %w", j.f.Name(), err)
	}
	return nil
}

// close flushes and closes; it may be called again, and returns the first
// error.
func (j *jsonLines) close() error {
	if j.f == nil {
		return j.err
	}
	err := j.w.Flush()
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		j.err = fmt.Errorf("emit corpus %s: %w", j.f.Name(), err)
	}
	j.f = nil
	return j.err
}

// build indexes a corpus into a new index at dir as "papersearch index"
// does, and closes it, so that the time includes making it durable.
func build(ctx context.Context, dir, corpus string, limit, batch int, tax *indexer.Taxonomy, log *slog.Logger) (Report, error) {
	start := time.Now()
	// A new index is a bulk load, as "papersearch index" makes it.
	idx, err := search.OpenBulk(dir, log)
	if err != nil {
		return Report{}, err
	}
	defer func() {
		if idx != nil {
			idx.FinishBulk(false)
		}
	}()
	if err := idx.SetTopics(tax.Topics()); err != nil {
		return Report{}, err
	}
	ix := indexer.New(idx, tax, log)
	ix.BatchSize = batch
	ix.Limit = limit
	rejected := 0
	ix.OnReject = func(err error) {
		if rejected++; rejected <= 10 {
			log.Warn("rejected", "err", err)
		}
	}
	rc, err := indexer.OpenSource(corpus, nil)
	if err != nil {
		return Report{}, err
	}
	err = ix.IndexReader(ctx, rc, corpus, "")
	rc.Close()
	if err != nil {
		return Report{}, err
	}
	if err := ix.Flush(ctx); err != nil {
		return Report{}, err
	}
	n, err := idx.Count()
	if err != nil {
		return Report{}, err
	}
	err = idx.FinishBulk(true)
	idx = nil
	if err != nil {
		return Report{}, err
	}
	elapsed := time.Since(start)
	size := search.DiskSize(dir)
	log.Info("built", "stats", ix.Stats().String())
	return Report{
		Docs: n, BuildSeconds: elapsed.Seconds(), DocsPerSec: float64(n) / elapsed.Seconds(),
		IndexBytes: size, PeakRSSBytes: PeakRSS(),
	}, nil
}

// warmup is how many queries of the mix run, unmeasured, before the
// clients start: enough to page in the index's dictionaries.
const warmup = 200

// load runs the mix from clients goroutines for d and returns every
// query's latency, sorted, the longest run of each query of the mix (0 for
// those that did not run), and the time the run took. Each query is a GET
// /api/search handed to the server's own handler in process: parameters
// parsed, a search slot taken (at most one search per CPU runs, the others
// wait in line, as in "papersearch serve"), the search, the JSON encoded.
// Only the network is left out. A query the server gives up on (503, 504)
// is counted in failed; any other answer but 200 ends the run.
func load(ctx context.Context, server api.Config, mix []Query, facets string, clients int, d time.Duration) (lat, longest []time.Duration, failed int, elapsed time.Duration, err error) {
	h, err := api.New(server)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	var nfailed atomic.Int64
	one := func(q Query) error {
		v := q.Values()
		if facets != "" {
			v.Set("facets", facets)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "/api/search?"+v.Encode(), nil)
		if err != nil {
			return fmt.Errorf("query %q: %w", q.Q, err)
		}
		req.RemoteAddr = "127.0.0.1:1"
		w := &discardWriter{header: http.Header{}}
		h.ServeHTTP(w, req)
		switch w.status {
		case http.StatusOK:
		case http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			nfailed.Add(1)
		default:
			return fmt.Errorf("query %q: status %d: %s", q.Q, w.status, w.start)
		}
		return nil
	}
	for _, q := range mix[:min(warmup, len(mix))] {
		if err := one(q); err != nil {
			return nil, nil, 0, 0, err
		}
	}
	nfailed.Store(0)

	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		mu      sync.Mutex
		all     []time.Duration
		errOnce error
	)
	longest = make([]time.Duration, len(mix))
	start := time.Now()
	deadline := start.Add(d)
	for range clients {
		wg.Go(func() {
			var lat []time.Duration
			type run struct {
				i    int
				took time.Duration
			}
			var runs []run
			for time.Now().Before(deadline) && ctx.Err() == nil {
				i := int(next.Add(1)-1) % len(mix)
				q := mix[i]
				t0 := time.Now()
				if err := one(q); err != nil {
					mu.Lock()
					if errOnce == nil {
						errOnce = err
					}
					mu.Unlock()
					return
				}
				lat = append(lat, time.Since(t0))
				runs = append(runs, run{i, lat[len(lat)-1]})
			}
			mu.Lock()
			all = append(all, lat...)
			for _, r := range runs {
				longest[r.i] = max(longest[r.i], r.took)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed = time.Since(start)
	if errOnce != nil {
		return nil, nil, 0, 0, errOnce
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, 0, 0, err
	}
	if len(all) == 0 {
		return nil, nil, 0, 0, errors.New("no query finished in the time given")
	}
	slices.Sort(all)
	return all, longest, int(nfailed.Load()), elapsed, nil
}

// slowest returns the n queries of mix whose longest run took longest,
// slowest first; ties go to the earlier query of the mix.
func slowest(mix []Query, longest []time.Duration, n int) []SlowQuery {
	if n <= 0 {
		return nil
	}
	order := make([]int, 0, len(mix))
	for i, d := range longest {
		if d > 0 {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(longest[b], longest[a]) })
	out := make([]SlowQuery, 0, min(n, len(order)))
	for _, i := range order[:min(n, len(order))] {
		out = append(out, SlowQuery{Query: mix[i], Ms: float64(longest[i].Nanoseconds()) / 1e6})
	}
	return out
}

// discardWriter is the response writer of load: it keeps the status and the
// start of the body, for errors.
type discardWriter struct {
	header http.Header
	status int
	start  []byte
}

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *discardWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if len(w.start) < 200 {
		w.start = append(w.start, b[:min(len(b), 200-len(w.start))]...)
	}
	return len(b), nil
}

// percentileMs returns the nearest-rank percentile of sorted latencies.
func percentileMs(sorted []time.Duration, p float64) float64 {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	i = min(max(i, 0), len(sorted)-1)
	return float64(sorted[i].Nanoseconds()) / 1e6
}
