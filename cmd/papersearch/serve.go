package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/papersearch/papersearch/api"
	"github.com/papersearch/papersearch/indexer"
	"github.com/papersearch/papersearch/search"
)

// shutdownTimeout bounds how long serve waits for requests in flight
// after SIGTERM or SIGINT.
const shutdownTimeout = 10 * time.Second

// Defaults of the per-client rate limit; loopback clients are exempt.
const (
	defaultRateLimit = 10
	defaultRateBurst = 20
)

func (e *env) serve(ctx context.Context, args []string) error {
	fs := newFlagSet("serve", e.stderr)
	dir := fs.String("index", e.defaultIndex(), "index directory (env PAPERSEARCH_INDEX)")
	addr := fs.String("addr", envOr(e.getenv, "PAPERSEARCH_ADDR", "localhost:8080"), "listen address HOST:PORT (env PAPERSEARCH_ADDR)")
	cors := fs.String("cors-origins", e.getenv("PAPERSEARCH_CORS_ORIGINS"),
		`comma-separated origins whose pages may call the GET API, or "*" for any (env PAPERSEARCH_CORS_ORIGINS)`)
	logFormat := fs.String("log-format", envOr(e.getenv, "PAPERSEARCH_LOG_FORMAT", "text"), "log lines as text or json (env PAPERSEARCH_LOG_FORMAT)")
	topicsFile := fs.String("topics", "", "taxonomy file (JSON) to tag posted papers with; default: the one the index was tagged with (\"builtin\": the built-in one)")
	timeout, err := envDuration(e.getenv, "PAPERSEARCH_SEARCH_TIMEOUT", api.DefaultSearchTimeout)
	if err != nil {
		return err
	}
	fs.DurationVar(&timeout, "search-timeout", timeout, "deadline of each search; past it the answer is 504 (env PAPERSEARCH_SEARCH_TIMEOUT)")
	maxBody, err := envInt(e.getenv, "PAPERSEARCH_MAX_BODY", api.DefaultMaxBody)
	if err != nil {
		return err
	}
	fs.IntVar(&maxBody, "max-body", maxBody, "largest request body in bytes; larger ones get 413 (env PAPERSEARCH_MAX_BODY)")
	rate, err := envFloat(e.getenv, "PAPERSEARCH_RATE_LIMIT", defaultRateLimit)
	if err != nil {
		return err
	}
	fs.Float64Var(&rate, "rate-limit", rate, "requests per second per client, 0 for no limit; loopback clients are exempt (env PAPERSEARCH_RATE_LIMIT)")
	burst := fs.Int("rate-burst", defaultRateBurst, "requests a client may make at once")
	maxSearches, err := envInt(e.getenv, "PAPERSEARCH_MAX_SEARCHES", 0)
	if err != nil {
		return err
	}
	fs.IntVar(&maxSearches, "max-searches", maxSearches, "searches that run at once, more wait up to 10 s; 0 means one per CPU (env PAPERSEARCH_MAX_SEARCHES)")
	rateLoopback := fs.Bool("rate-limit-loopback", false, "rate-limit loopback clients too")
	proxies := fs.String("trusted-proxies", e.getenv("PAPERSEARCH_TRUSTED_PROXIES"), "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For to believe (env PAPERSEARCH_TRUSTED_PROXIES)")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments, got %q", rest)}
	}
	log, err := newLogger(e.stderr, *logFormat, e.logLevel())
	if err != nil {
		return err
	}
	e.log = log
	origins, err := parseOrigins(*cors)
	if err != nil {
		return err
	}
	key := e.getenv("PAPERSEARCH_ADMIN_KEY")
	if key != "" && len(key) < api.MinAdminKeyLen {
		return usageError{fmt.Sprintf("PAPERSEARCH_ADMIN_KEY is %d bytes; it must be at least %d (make one with: openssl rand -hex 32)", len(key), api.MinAdminKeyLen)}
	}
	switch {
	case timeout <= 0:
		return usageError{"--search-timeout must be positive"}
	case maxBody < 1:
		return usageError{"--max-body must be at least 1"}
	case maxSearches < 0:
		return usageError{"--max-searches must be 0 (automatic) or more"}
	case rate < 0 || *burst < 1:
		return usageError{"--rate-limit must be 0 or more and --rate-burst at least 1"}
	}
	given, err := e.taxonomy(*topicsFile)
	if err != nil {
		return err
	}
	var trusted []string
	for p := range strings.SplitSeq(*proxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			trusted = append(trusted, p)
		}
	}
	idx, err := e.openOrDemo(ctx, *dir)
	if err != nil {
		return err
	}
	defer idx.Close()
	// The first search would otherwise read every segment's columns.
	go func() {
		start := time.Now()
		if err := idx.Warm(ctx); err != nil {
			if ctx.Err() == nil {
				e.log.Warn("could not warm the index; the first search will", "err", err)
			}
			return
		}
		e.log.Info("index warmed", "took", time.Since(start).Round(time.Millisecond))
	}()
	cfg := api.Config{
		Index: idx, Log: e.log, CORSOrigins: origins, Timeout: timeout, MaxBody: int64(maxBody), TrustedProxies: trusted, MaxSearches: maxSearches,
		RateLimit: api.RateLimit{PerSecond: rate, Burst: *burst, Loopback: *rateLoopback},
		PaperID:   canonicalID,
	}
	if key != "" {
		tf, err := e.indexTaxonomy(idx, *topicsFile, given)
		if err != nil {
			return err
		}
		cfg.AdminKey, cfg.Ingest = key, ingester(idx, tf.tax, e.log)
		e.warnTaxonomy(idx, tf.tax, *topicsFile)
	}
	h, err := api.New(cfg)
	if err != nil {
		return usageError{err.Error()}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	base := "http://" + displayAddr(ln.Addr())
	if err := idx.SetOwner("serve", base); err != nil {
		e.log.Warn("cannot record where this server listens in the index", "err", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(e.log.Handler(), slog.LevelWarn),
	}
	n, _ := idx.Count()
	fmt.Fprintf(e.stdout, "papersearch: serving %d papers from %s at %s/\n", n, *dir, base)
	writes := "off (set PAPERSEARCH_ADMIN_KEY to enable POST /api/papers)"
	if key != "" {
		writes = "on"
	}
	e.log.Info("serving", "writes", writes, "search_timeout", timeout, "max_body", maxBody, "rate_limit", rate, "trusted_proxies", trusted)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Stop accepting, let requests in flight finish (a write in flight is
	// committed before its answer), then close the index (deferred).
	e.log.Info("shutting down", "wait", shutdownTimeout)
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	e.log.Info("stopped; closing the index")
	return nil
}

// ingester is how the server writes posted papers: the indexer's
// all-or-nothing Ingest, the same parsing, merging and tagging as index.
func ingester(idx *search.Index, tax *indexer.Taxonomy, log *slog.Logger) api.IngestFunc {
	return func(ctx context.Context, body io.Reader, opt api.IngestOptions) (api.IngestResult, error) {
		res, err := indexer.Ingest(ctx, idx, tax, log, body, "request", indexer.IngestOptions{Format: opt.Format, Replace: opt.Replace})
		out := api.IngestResult{Read: res.Stats.Read, Added: res.Stats.Added, Updated: res.Stats.Updated,
			Merged: res.Stats.Merged, Superseded: res.Stats.Superseded, IDs: res.IDs}
		for _, r := range res.Rejected {
			out.Rejected = append(out.Rejected, r.Error())
		}
		return out, err
	}
}

// taxonomyFile is a taxonomy as --topics gives it: the parsed taxonomy and
// the file's bytes (nil for the built-in one), which an index records.
type taxonomyFile struct {
	tax *indexer.Taxonomy
	raw []byte
}

// builtinTopics is the --topics value that asks for the built-in taxonomy
// where an index recorded another.
const builtinTopics = "builtin"

// taxonomy loads a topics file; "" and "builtin" give the built-in
// taxonomy.
func (e *env) taxonomy(file string) (taxonomyFile, error) {
	if file == "" || file == builtinTopics {
		return taxonomyFile{tax: indexer.DefaultTaxonomy()}, nil
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return taxonomyFile{}, usageError{fmt.Sprintf("open topics file: %v", err)}
	}
	tax, err := indexer.LoadTaxonomy(bytes.NewReader(raw))
	if err != nil {
		return taxonomyFile{}, usageError{fmt.Sprintf("%s: %v", file, err)}
	}
	return taxonomyFile{tax: tax, raw: raw}, nil
}

// indexTaxonomy is the taxonomy to tag an open index's new papers with:
// the one given with --topics (flag), else the file the index recorded,
// so that papers added later are tagged as the others were. An index
// tagged with a file before it recorded files cannot say which; it is
// refused rather than mixed with the built-in taxonomy.
func (e *env) indexTaxonomy(idx *search.Index, flag string, given taxonomyFile) (taxonomyFile, error) {
	if flag != "" {
		return given, nil
	}
	raw, err := idx.TaxonomyFile()
	if err != nil {
		return taxonomyFile{}, err
	}
	if raw != nil {
		tax, err := indexer.LoadTaxonomy(bytes.NewReader(raw))
		if err != nil {
			return taxonomyFile{}, fmt.Errorf("the taxonomy file the index recorded: %w", err)
		}
		return taxonomyFile{tax: tax, raw: raw}, nil
	}
	recorded, err := idx.Topics()
	if err != nil {
		return taxonomyFile{}, err
	}
	if recorded != nil && !slices.Equal(topicSlugs(recorded), topicSlugs(given.tax.Topics())) {
		return taxonomyFile{}, usageError{fmt.Sprintf("the index was tagged with a taxonomy of %s that is not the built-in one; "+
			"pass its file with --topics FILE (or --topics %s to tag new papers with the built-in one)", plural(len(recorded), "topic"), builtinTopics)}
	}
	return given, nil
}

func topicSlugs(ts []search.Topic) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Slug)
	}
	slices.Sort(out)
	return out
}

// warnTaxonomy says when papers written now will be tagged with another
// taxonomy than the one the index's papers were tagged with.
func (e *env) warnTaxonomy(idx *search.Index, tax *indexer.Taxonomy, file string) {
	recorded, err := idx.Topics()
	if err != nil || recorded == nil {
		return
	}
	if !slices.Equal(topicSlugs(recorded), topicSlugs(tax.Topics())) {
		which := "the built-in taxonomy"
		if file != "" && file != builtinTopics {
			which = file
		}
		e.log.Warn("new papers will be tagged with "+which+", which is not the taxonomy the index's papers were tagged with; they keep their topics until indexed again", "index_topics", len(recorded))
	}
}

// displayAddr makes a listen address clickable: a wildcard host becomes
// localhost.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() || ip.IsLoopback() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// parseOrigins reads --cors-origins: "*", or origins such as
// https://example.org (scheme, host and optional port; nothing more, since
// browsers send exactly that in the Origin header).
func parseOrigins(s string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(s, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o != "*" {
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
				return nil, usageError{fmt.Sprintf("--cors-origins: %q is not an origin like https://example.org", o)}
			}
			o = u.Scheme + "://" + u.Host
		}
		out = append(out, o)
	}
	return out, nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func envDuration(getenv func(string) string, key string, def time.Duration) (time.Duration, error) {
	v := getenv(key)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, usageError{fmt.Sprintf("%s=%q is not a duration such as 2s or 500ms", key, v)}
	}
	return d, nil
}

func envInt(getenv func(string) string, key string, def int) (int, error) {
	v := getenv(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, usageError{fmt.Sprintf("%s=%q is not a whole number", key, v)}
	}
	return n, nil
}

func envFloat(getenv func(string) string, key string, def float64) (float64, error) {
	v := getenv(key)
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, usageError{fmt.Sprintf("%s=%q is not a number", key, v)}
	}
	return f, nil
}

// canonicalID is the id index gives a paper cited as id: an arXiv id
// without its "arXiv:" prefix or version, or id itself.
func canonicalID(id string) string {
	if a := indexer.ArxivID(id); a != "" {
		return a
	}
	return id
}
