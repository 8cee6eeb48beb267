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
}

type server struct {
	idx     *search.Index
	topics  []search.Topic
	labels  map[string]string
	log     *slog.Logger
	timeout time.Duration
	tmpl    *template.Template
}

// New returns the papersearch HTTP handler.
func New(cfg Config) (http.Handler, error) {
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
	s := &server{idx: cfg.Index, topics: cfg.Topics, log: cfg.Log, timeout: cfg.Timeout, tmpl: tmpl, labels: map[string]string{}}
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
	r.Use(s.recovery(), s.logRequests())

	r.GET("/healthz", s.jsonHandler(s.health))
	r.GET("/api/search", s.jsonHandler(s.search))
	r.GET("/api/papers/*id", s.jsonHandler(s.paper)) // and /api/papers/{id}/similar
	r.GET("/api/topics", s.jsonHandler(s.topicList))
	r.GET("/api/suggest", s.jsonHandler(s.suggest))

	r.GET("/", s.searchPage)
	r.GET("/papers/*id", s.paperPage)
	r.StaticFS("/static", http.FS(ui.Static()))

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

func (s *server) logRequests() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		s.log.Info("request", "method", c.Request.Method, "path", c.Request.URL.Path,
			"query", c.Request.URL.RawQuery, "status", c.Writer.Status(),
			"ms", float64(time.Since(start).Microseconds())/1000, "client", c.ClientIP())
	}
}
