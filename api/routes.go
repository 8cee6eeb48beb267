package api

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/papersearch/papersearch/search"
	"github.com/papersearch/papersearch/ui"
)

// DefaultSearchTimeout bounds a search unless Config.Timeout says
// otherwise.
const DefaultSearchTimeout = 2 * time.Second

// DefaultQueueWait bounds the wait for a search slot unless
// Config.QueueWait says otherwise.
const DefaultQueueWait = 10 * time.Second

// DefaultMaxBody bounds a request body unless Config.MaxBody says
// otherwise.
const DefaultMaxBody = 1 << 20

// MinAdminKeyLen is the shortest admin key New accepts: 32 bytes, such as
// the output of openssl rand -hex 16, leave no room for guessing.
const MinAdminKeyLen = 32

// Config is what the server needs.
type Config struct {
	Index *search.Index
	// Topics is the taxonomy to show; nil means the one recorded in the index.
	Topics []search.Topic
	Log    *slog.Logger
	// Timeout bounds each search; 0 means DefaultSearchTimeout. A search
	// that runs out of time is answered 504.
	Timeout time.Duration

	// CORSOrigins may read the GET endpoints from their pages: exact
	// origins ("https://example.org"), or "*" for any. Empty means none.
	CORSOrigins []string

	// AdminKey enables the write and admin routes (POST /api/papers,
	// DELETE /api/papers/{id}, POST /api/admin/backup) for requests that
	// send it as "Authorization: Bearer KEY". Empty disables them.
	AdminKey string
	// Ingest writes posted papers; it is required with AdminKey.
	Ingest IngestFunc
	// PaperID turns an id as a client may write it ("arXiv:2505.14260v2")
	// into the one the index gives the paper, as Ingest does; nil keeps
	// ids as written.
	PaperID func(string) string
	// MaxBody bounds a request body in bytes; 0 means DefaultMaxBody.
	MaxBody int64
	// RateLimit limits requests per client; the zero value does not.
	RateLimit RateLimit
	// MaxSearches bounds the searches that run at once; more wait in line.
	// Searches are CPU-bound, so running more than a few per CPU only
	// makes each slower, until all miss their deadline together. 0 means
	// one per CPU Go uses.
	MaxSearches int
	// ExpensiveSlots bounds the expensive searches (search.Request.Expensive)
	// among them; they also wait while ordinary searches do. 0 means half
	// the CPUs Go uses, at least one.
	ExpensiveSlots int
	// QueueWait bounds the wait for a slot; a search still waiting then
	// gets 503 with Retry-After. 0 means DefaultQueueWait. The search's own
	// deadline (Timeout) starts when it gets its slot.
	QueueWait time.Duration
	// TrustedProxies lists the addresses or CIDR ranges of reverse proxies
	// whose X-Forwarded-For names the client; none by default, so that the
	// client is the peer and no header can forge it.
	TrustedProxies []string
}

// IngestFunc reads papers from body (one JSON paper, a JSON array, JSON
// lines, or any format papersearch index reads; opt.Format names one, or
// "" to detect it), normalises, merges (or with opt.Replace, replaces)
// and tags them as papersearch index does, and returns once they are
// durably in the index. It writes all or
// nothing: when any record is bad, or the body cannot be read at all, it
// writes none and says why in Rejected. cmd/papersearch provides it, so
// that this package does not depend on the indexer.
type IngestFunc func(ctx context.Context, body io.Reader, opt IngestOptions) (IngestResult, error)

// IngestOptions are the query parameters of POST /api/papers.
type IngestOptions struct {
	Format  string
	Replace bool
}

// IngestResult says what an IngestFunc did.
type IngestResult struct {
	Read, Added, Updated int
	// Merged and Superseded count the records folded into, or put in the
	// place of, another record of the same paper in the request, so that
	// Read = Added + Updated + Merged + Superseded as index's summary adds up.
	Merged, Superseded int
	IDs                []string
	Rejected           []string
}

type server struct {
	idx     *search.Index
	topics  []search.Topic
	labels  map[string]string
	log     *slog.Logger
	timeout time.Duration
	tmpl    *template.Template

	corsOrigins []string
	metrics     *metrics
	// epoch tells this process's ETags from another's (see revalidate).
	epoch  string
	assets map[string]staticFile

	adminKey    [sha256.Size]byte
	admin       bool
	ingest      IngestFunc
	paperIDFunc func(string) string
	maxBody     int64
	limiter     *limiter
	// slots bounds the searches running at once.
	slots     *slots
	queueWait time.Duration
	// writeMu serialises writes: each reads stored papers to merge with,
	// and two at once could each miss the other's.
	writeMu  sync.Mutex
	backupMu sync.Mutex
}

// New returns the papersearch HTTP handler.
func New(cfg Config) (http.Handler, error) {
	_, r, err := build(cfg)
	if err != nil {
		return nil, err
	}
	return headAsGet(r), nil
}

// newRouter builds the Gin engine; tests walk its route table.
func newRouter(cfg Config) (*gin.Engine, error) {
	_, r, err := build(cfg)
	return r, err
}

// build makes the server and its router.
func build(cfg Config) (*server, *gin.Engine, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultSearchTimeout
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.AdminKey != "" && len(cfg.AdminKey) < MinAdminKeyLen {
		return nil, nil, fmt.Errorf("the admin key is %d bytes; it must be at least %d (make one with: openssl rand -hex 32)", len(cfg.AdminKey), MinAdminKeyLen)
	}
	if cfg.AdminKey != "" && cfg.Ingest == nil {
		return nil, nil, errors.New("an admin key needs an ingest function")
	}
	if cfg.Topics == nil {
		ts, err := cfg.Index.Topics()
		if err != nil {
			return nil, nil, err
		}
		cfg.Topics = ts
	}
	tmpl, err := ui.Templates()
	if err != nil {
		return nil, nil, fmt.Errorf("load templates: %w", err)
	}
	assets, err := loadStatic()
	if err != nil {
		return nil, nil, fmt.Errorf("load static files: %w", err)
	}
	s := &server{idx: cfg.Index, topics: cfg.Topics, log: cfg.Log, timeout: cfg.Timeout, tmpl: tmpl, labels: map[string]string{},
		corsOrigins: cfg.CORSOrigins, metrics: newMetrics(), epoch: newEpoch(), assets: assets,
		admin: cfg.AdminKey != "", adminKey: sha256.Sum256([]byte(cfg.AdminKey)), ingest: cfg.Ingest, paperIDFunc: cfg.PaperID, maxBody: cfg.MaxBody}
	for _, t := range cfg.Topics {
		s.labels[t.Slug] = t.Label
	}
	if cfg.RateLimit.PerSecond > 0 {
		s.limiter = newLimiter(cfg.RateLimit)
	}
	if cfg.ExpensiveSlots <= 0 {
		cfg.ExpensiveSlots = max(1, runtime.GOMAXPROCS(0)/2)
	}
	if cfg.MaxSearches <= 0 {
		cfg.MaxSearches = runtime.GOMAXPROCS(0)
	}
	s.slots = newSlots(cfg.MaxSearches, cfg.ExpensiveSlots)
	s.queueWait = cfg.QueueWait
	if s.queueWait <= 0 {
		s.queueWait = DefaultQueueWait
	}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// No proxy is trusted unless one is configured: client IPs in logs and
	// rate limits are the peer's address, not a header anyone can forge.
	if err := r.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, nil, fmt.Errorf("trusted proxies: %w", err)
	}
	r.Use(s.observe(), s.recovery(), securityHeaders(), s.rateLimit())

	// Operations: never cached.
	r.GET("/healthz", s.jsonHandler(s.health))
	r.GET("/metrics", s.jsonHandler(s.serveMetrics))

	// The JSON API, the OpenAPI document and the feeds: readable from the
	// configured origins, and revalidated against the index generation.
	// Every route here is in openapi.json; a test checks.
	open := r.Group("", s.cors())
	open.OPTIONS("/openapi.json", preflight)
	open.GET("/openapi.json", s.jsonHandler(s.openAPI))
	cached := open.Group("", s.revalidate())
	for _, rt := range []struct {
		path string
		h    handlerFunc
	}{
		{"/api/search", s.search},
		{"/api/papers/*id", s.paper}, // and /api/papers/{id}/similar
		{"/api/topics", s.topicList},
		{"/api/suggest", s.suggest},
		{"/feed.atom", s.feed},
	} {
		open.OPTIONS(rt.path, preflight)
		cached.GET(rt.path, s.jsonHandler(rt.h))
	}

	// The pages.
	pages := r.Group("", s.revalidate())
	pages.GET("/", s.searchPage)
	pages.GET("/papers/*id", s.paperPage)
	r.GET("/static/*file", s.jsonHandler(s.static))

	// Writes and admin work: only with the admin key, and not open to
	// other origins.
	r.POST("/api/papers", s.jsonHandler(s.requireAdmin(s.postPapers)))
	r.DELETE("/api/papers/*id", s.jsonHandler(s.requireAdmin(s.deletePaper)))
	r.POST("/api/admin/backup", s.jsonHandler(s.requireAdmin(s.backup)))

	r.NoRoute(s.jsonHandler(func(c *gin.Context) error {
		return errNotFound(fmt.Sprintf("no route %s %s", c.Request.Method, c.Request.URL.Path))
	}))
	r.NoMethod(s.jsonHandler(func(c *gin.Context) error {
		// Gin lists the methods routed; HEAD is answered wherever GET is
		// (see headAsGet) without a route of its own.
		h := c.Writer.Header()
		if allow := h.Get("Allow"); allow != "" && !strings.Contains(allow, "HEAD") {
			methods := strings.Split(allow, ", ")
			if i := slices.Index(methods, http.MethodGet); i >= 0 {
				h.Set("Allow", strings.Join(slices.Insert(methods, i+1, http.MethodHead), ", "))
			}
		}
		return &httpError{http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("%s is not allowed on %s", c.Request.Method, c.Request.URL.Path)}
	}))
	return s, r, nil
}

// recovery turns a panic into a JSON 500 and a log line, never a stack
// trace on the wire.
func (s *server) recovery() gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, err any) {
		s.log.Error("panic serving request", "path", c.Request.URL.Path, "panic", err)
		writeJSON(c, http.StatusInternalServerError, ErrorResponse{Error: ErrorBody{Code: "internal", Message: "internal error; it has been logged"}})
		c.Abort()
	})
}
