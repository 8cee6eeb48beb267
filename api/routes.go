package api

import (
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/papersearch/papersearch/search"
	"github.com/papersearch/papersearch/ui"
)

// Config is what the server needs.
type Config struct {
	Index *search.Index
	// Topics is the taxonomy to show; nil means the one recorded in the index.
	Topics []search.Topic
	Log    *slog.Logger
	// Timeout bounds each search; 0 means 5 s.
	Timeout time.Duration
	// CORSOrigins may read the GET endpoints from their pages: exact
	// origins ("https://example.org"), or "*" for any. Empty means none.
	CORSOrigins []string
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
}

// New returns the papersearch HTTP handler.
func New(cfg Config) (http.Handler, error) {
	r, err := newRouter(cfg)
	if err != nil {
		return nil, err
	}
	return headAsGet(r), nil
}

// newRouter builds the Gin engine; tests walk its route table.
func newRouter(cfg Config) (*gin.Engine, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Topics == nil {
		ts, err := cfg.Index.Topics()
		if err != nil {
			return nil, err
		}
		cfg.Topics = ts
	}
	tmpl, err := ui.Templates()
	if err != nil {
		return nil, fmt.Errorf("load templates: %w", err)
	}
	assets, err := loadStatic()
	if err != nil {
		return nil, fmt.Errorf("load static files: %w", err)
	}
	s := &server{idx: cfg.Index, topics: cfg.Topics, log: cfg.Log, timeout: cfg.Timeout, tmpl: tmpl, labels: map[string]string{},
		corsOrigins: cfg.CORSOrigins, metrics: newMetrics(), epoch: newEpoch(), assets: assets}
	for _, t := range cfg.Topics {
		s.labels[t.Slug] = t.Label
	}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// No proxy is trusted unless one is configured: client IPs in logs are
	// the peer's address, not a header anyone can forge.
	if err := r.SetTrustedProxies(nil); err != nil {
		return nil, err
	}
	r.Use(s.observe(), s.recovery(), securityHeaders())

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

	r.NoRoute(s.jsonHandler(func(c *gin.Context) error {
		return errNotFound(fmt.Sprintf("no route %s %s", c.Request.Method, c.Request.URL.Path))
	}))
	r.NoMethod(s.jsonHandler(func(c *gin.Context) error {
		return &httpError{http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("%s is not allowed on %s", c.Request.Method, c.Request.URL.Path)}
	}))
	return r, nil
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
