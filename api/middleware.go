package api

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// contentSecurityPolicy allows the page nothing but its own origin: scripts
// and styles come only from /static (no inline script, no inline style
// attribute, no eval), fetches go only back to us, and nobody may frame it.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; manifest-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// securityHeaders sets the headers every response carries, errors and
// unknown routes included.
func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// Outbound links (arXiv, PDFs) do not learn what was searched.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		// Bodies are compressed when the client accepts it (see send).
		h.Set("Vary", "Accept-Encoding")
		c.Next()
	}
}

// logLevel keeps server failures visible at the default level.
func logLevel(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}

// observe logs each request and records it in the metrics.
func (s *server) observe() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		d := time.Since(start)
		route := c.FullPath()
		if route == "" {
			route = "unmatched" // unknown paths must not grow the label set
		}
		st := c.Writer.Status()
		s.metrics.observe(route, c.Request.Method, st, d)
		s.log.LogAttrs(c.Request.Context(), logLevel(st), "request",
			slog.String("method", c.Request.Method), slog.String("route", route),
			slog.String("path", c.Request.URL.Path), slog.String("query", c.Request.URL.RawQuery),
			slog.Int("status", st), slog.Int("bytes", max(c.Writer.Size(), 0)),
			slog.Float64("ms", float64(d.Microseconds())/1000), slog.String("client", c.ClientIP()),
			slog.String("encoding", c.Writer.Header().Get("Content-Encoding")))
	}
}

// cors lets pages on the configured origins read the GET endpoints.
// Preflights (OPTIONS, sent when a script adds If-None-Match) get their
// answer here and stop.
func (s *server) cors() gin.HandlerFunc {
	any := slices.Contains(s.corsOrigins, "*")
	return func(c *gin.Context) {
		h := c.Writer.Header()
		if !any {
			h.Set("Vary", "Accept-Encoding, Origin")
		}
		origin := c.GetHeader("Origin")
		allowed := origin != "" && (any || slices.Contains(s.corsOrigins, origin))
		if allowed {
			if any {
				h.Set("Access-Control-Allow-Origin", "*")
			} else {
				h.Set("Access-Control-Allow-Origin", origin)
			}
			h.Set("Access-Control-Expose-Headers", "ETag")
		}
		if c.Request.Method != http.MethodOptions {
			c.Next()
			return
		}
		if allowed {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "If-None-Match, Accept")
			h.Set("Access-Control-Max-Age", "600")
		}
		c.AbortWithStatus(http.StatusNoContent)
	}
}

// preflight is the handler of the OPTIONS routes; cors has answered.
func preflight(*gin.Context) {}

// revalidate serves 304 Not Modified to a client that already has the
// current version, before any search runs. A response depends on its URL
// and the index, so its tag is the index generation plus this process's
// epoch (a new binary may render the same index differently). The tag is
// weak: gzip and identity bodies are the same resource.
func (s *server) revalidate() gin.HandlerFunc {
	return func(c *gin.Context) {
		notModified(c, `W/"`+s.epoch+"-"+strconv.FormatUint(s.idx.Generation(), 10)+`"`)
	}
}

// notModified sets the ETag and, when the request's If-None-Match already
// holds it, answers 304, stops the chain and reports true. send drops the
// ETag again from any answer that is not a 200.
func notModified(c *gin.Context, tag string) bool {
	h := c.Writer.Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", tag)
	if inm := c.GetHeader("If-None-Match"); inm != "" && etagMatch(inm, tag) {
		c.AbortWithStatus(http.StatusNotModified)
		return true
	}
	return false
}

// etagMatch is the weak comparison of RFC 9110 section 13.1.2.
func etagMatch(header, tag string) bool {
	tag = strings.TrimPrefix(tag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == tag {
			return true
		}
	}
	return false
}

func newEpoch() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b)
}

// gzipMinBytes is the size below which compressing costs more than it saves.
const gzipMinBytes = 1024

// send writes a whole body, gzipped when the client accepts it and it is
// worth it. Every response goes through here (JSON, pages, feeds, static
// files), so compression needs no wrapping of the response writer.
func send(c *gin.Context, status int, contentType string, body []byte) {
	h := c.Writer.Header()
	if status != http.StatusOK {
		h.Del("ETag")
		h.Del("Cache-Control")
	}
	if len(body) >= gzipMinBytes && compressible(contentType) && acceptsGzip(c.GetHeader("Accept-Encoding")) {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
		zw.Write(body)
		zw.Close()
		body = buf.Bytes()
		h.Set("Content-Encoding", "gzip")
	}
	// Set here because headAsGet discards the body of a HEAD response
	// before net/http could count it.
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.Data(status, contentType, body)
}

func compressible(contentType string) bool {
	ct, _, _ := strings.Cut(contentType, ";")
	return strings.HasPrefix(ct, "text/") || slices.Contains([]string{
		"application/json", "application/atom+xml", "application/javascript", "image/svg+xml",
	}, ct)
}

// acceptsGzip reads Accept-Encoding, honouring "gzip;q=0" as a refusal.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		q := strings.TrimSpace(params)
		if v, ok := strings.CutPrefix(q, "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f == 0 {
				return false
			}
		}
		return true
	}
	return false
}

// headAsGet answers HEAD wherever GET is served, with GET's headers and no
// body, so that curl -I and link checkers work without a HEAD route each.
func headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		r2 := r.Clone(r.Context())
		r2.Method = http.MethodGet
		next.ServeHTTP(headWriter{w}, r2)
	})
}

// headWriter drops the body of a response to a HEAD request.
type headWriter struct{ http.ResponseWriter }

func (w headWriter) Write(b []byte) (int, error) { return len(b), nil }

func (w headWriter) WriteString(s string) (int, error) { return len(s), nil }

var _ io.StringWriter = headWriter{}
