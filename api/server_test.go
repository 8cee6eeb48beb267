package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/papersearch/papersearch/indexer"
	"github.com/papersearch/papersearch/search"
)

// testEnv is the real server on a real index: the seed listing plus
// testdata/extra.jsonl (an XSS title, an old-style arXiv id, a paper with
// no date, one with Hugging Face links).
type testEnv struct {
	idx *search.Index
	srv *httptest.Server
	cfg Config
}

func newTestEnv(t *testing.T, mod ...func(*Config)) *testEnv {
	t.Helper()
	idx, err := search.Open(t.TempDir()+"/index", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	tax := indexer.DefaultTaxonomy()
	if err := idx.SetTopics(tax.Topics()); err != nil {
		t.Fatal(err)
	}
	ix := indexer.New(idx, tax, nil)
	for _, name := range []string{"../indexer/testdata/seed-listing.txt", "testdata/extra.jsonl"} {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		err = ix.IndexReader(context.Background(), f, name, "")
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := ix.Stats(); s.Rejected != 0 {
		t.Fatalf("fixtures rejected: %v", s)
	}
	cfg := Config{Index: idx, Log: slog.New(slog.NewTextHandler(tWriter{t}, nil))}
	for _, m := range mod {
		m(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &testEnv{idx: idx, srv: srv, cfg: cfg}
}

// tWriter sends the server's logs to t.Log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; header is name, value, name, value...
func (e *testEnv) do(t *testing.T, method, path string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// The transport must not gunzip behind our back.
	if req.Header.Get("Accept-Encoding") == "" {
		req.Header.Set("Accept-Encoding", "identity")
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, b}
}

func (e *testEnv) get(t *testing.T, path string, header ...string) response {
	t.Helper()
	return e.do(t, http.MethodGet, path, header...)
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", clipBody(r.body), err)
	}
	return v
}

func clipBody(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

func TestErrorShape(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct {
		method, path string
		status       int
		code, says   string
	}{
		{"GET", "/api/search?size=101", 400, "bad_request", "size must be between 1 and 100"},
		{"GET", "/api/search?size=0x", 400, "bad_request", "size must be a whole number"},
		{"GET", "/api/search?page=1001&size=10", 400, "bad_request", "page*size must be at most 10000"},
		{"GET", "/api/search?sort=best", 400, "bad_request", "sort must be one of"},
		{"GET", "/api/search?year_from=2025&year_to=2020", 400, "bad_request", "is after year_to"},
		{"GET", "/api/search?cursor=nonsense", 400, "bad_request", "cursor"},
		{"GET", "/api/search?q=" + strings.Repeat("a", 1100), 400, "bad_request", "limit is 1024"},
		{"GET", "/feed.atom?size=500", 400, "bad_request", "size must be between"},
		{"GET", "/feed.atom?page=9223372036854775807", 400, "bad_request", "page*size must be at most 10000"},
		{"GET", "/api/papers/0000.00000", 404, "not_found", "0000.00000"},
		{"GET", "/api/papers/", 404, "not_found", "no paper id"},
		{"GET", "/api/nothing", 404, "not_found", "no route GET /api/nothing"},
		{"GET", "/static/nothing.js", 404, "not_found", "nothing.js"},
		{"POST", "/api/search", 405, "method_not_allowed", "POST is not allowed"},
		{"DELETE", "/", 405, "method_not_allowed", "DELETE is not allowed"},
		{"PUT", "/no/such/thing", 404, "not_found", "no route"},
	} {
		t.Run(tc.method+" "+tc.path[:min(len(tc.path), 50)], func(t *testing.T) {
			r := e.do(t, tc.method, tc.path)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, clipBody(r.body))
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			var body map[string]map[string]string
			if err := json.Unmarshal(r.body, &body); err != nil || len(body) != 1 || len(body["error"]) != 2 {
				t.Fatalf("body is not {error:{code,message}}: %s", r.body)
			}
			if body["error"]["code"] != tc.code || !strings.Contains(body["error"]["message"], tc.says) {
				t.Errorf("error %v, want code %s and a message with %q", body["error"], tc.code, tc.says)
			}
			if r.header.Get("ETag") != "" {
				t.Errorf("an error carries ETag %s", r.header.Get("ETag"))
			}
		})
	}
}

func TestSecurityHeadersEverywhere(t *testing.T) {
	e := newTestEnv(t)
	for _, path := range []string{"/", "/?q=quantization", "/papers/2501.00001", "/papers/nope", "/api/search", "/static/app.js", "/nope", "/metrics", "/feed.atom", "/openapi.json"} {
		r := e.get(t, path)
		h := r.header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP allows something unsafe: %q", path, csp)
		}
		for name, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "same-origin",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", path, name, got, want)
			}
		}
	}
}

func TestCursorOverHTTP(t *testing.T) {
	e := newTestEnv(t)
	first := decode[SearchResponse](t, e.get(t, "/api/search?q=quantization&size=3"))
	seen := map[string]bool{}
	for _, h := range first.Hits {
		seen[h.ID] = true
	}
	cur := first.NextCursor
	for pages := 1; cur != ""; pages++ {
		if pages > 50 {
			t.Fatal("cursor never ends")
		}
		r := e.get(t, "/api/search?q=quantization&size=3&cursor="+cur)
		if r.status != 200 {
			t.Fatalf("page %d: %d %s", pages+1, r.status, r.body)
		}
		res := decode[SearchResponse](t, r)
		if res.Page != pages+1 {
			t.Errorf("page %d reported as %d", pages+1, res.Page)
		}
		for _, h := range res.Hits {
			if seen[h.ID] {
				t.Errorf("%s seen twice", h.ID)
			}
			seen[h.ID] = true
		}
		cur = res.NextCursor
	}
	if uint64(len(seen)) != first.Total {
		t.Errorf("cursor walk saw %d papers, total is %d", len(seen), first.Total)
	}
	// Every answer with more to come carries next_cursor; the last does not.
	if !bytes.Contains(e.get(t, "/api/search?q=quantization&size=3").body, []byte(`"next_cursor":`)) {
		t.Error("first page has no next_cursor")
	}
	if bytes.Contains(e.get(t, "/api/search?q=quantization&size=100").body, []byte(`"next_cursor"`)) {
		t.Error("the only page has a next_cursor")
	}
	// A cursor from another search is refused.
	r := e.get(t, "/api/search?q=pruning&size=3&cursor="+first.NextCursor)
	if r.status != 400 || !bytes.Contains(r.body, []byte("another search")) {
		t.Errorf("foreign cursor: %d %s", r.status, r.body)
	}
}

func TestETagAndNotModified(t *testing.T) {
	e := newTestEnv(t)
	for _, path := range []string{"/api/search?q=quantization", "/api/topics", "/api/papers/2501.00001", "/", "/papers/2501.00001", "/feed.atom?q=x", "/openapi.json", "/static/style.css"} {
		t.Run(path, func(t *testing.T) {
			r := e.get(t, path)
			tag := r.header.Get("ETag")
			if r.status != 200 || tag == "" {
				t.Fatalf("status %d, ETag %q", r.status, tag)
			}
			again := e.get(t, path, "If-None-Match", `"other", `+tag)
			if again.status != http.StatusNotModified || len(again.body) != 0 {
				t.Fatalf("If-None-Match %s: status %d, %d bytes", tag, again.status, len(again.body))
			}
			if again.header.Get("ETag") != tag {
				t.Errorf("304 ETag %q, want %q", again.header.Get("ETag"), tag)
			}
			if e.get(t, path, "If-None-Match", `"stale"`).status != 200 {
				t.Error("a stale tag got no body")
			}
		})
	}
	// A write to the index changes the tag of everything that reads it.
	before := e.get(t, "/api/search?q=quantization").header.Get("ETag")
	if err := e.idx.Put([]search.Paper{{ID: "2601.00009", Title: "A new quantization paper", Published: "2026-01-01"}}); err != nil {
		t.Fatal(err)
	}
	r := e.get(t, "/api/search?q=quantization", "If-None-Match", before)
	if r.status != 200 || r.header.Get("ETag") == before {
		t.Errorf("after a write: status %d, ETag %q (was %q)", r.status, r.header.Get("ETag"), before)
	}
}

func TestGzip(t *testing.T) {
	e := newTestEnv(t)
	for _, path := range []string{"/api/topics", "/openapi.json", "/static/app.js", "/papers/2501.00001"} {
		plain := e.get(t, path)
		zipped := e.get(t, path, "Accept-Encoding", "br, gzip")
		if zipped.header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s: not gzipped", path)
			continue
		}
		if !strings.Contains(zipped.header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: Vary %q", path, zipped.header.Get("Vary"))
		}
		un, err := gunzip(zipped.body)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if path != "/papers/2501.00001" && !bytes.Equal(un, plain.body) { // the page has no clock in it either, but stay safe
			t.Errorf("%s: gunzipped body differs from the plain one", path)
		}
		if len(zipped.body) >= len(plain.body) {
			t.Errorf("%s: gzip %d bytes, plain %d", path, len(zipped.body), len(plain.body))
		}
		if e.get(t, path, "Accept-Encoding", "gzip;q=0").header.Get("Content-Encoding") != "" {
			t.Errorf("%s: gzip;q=0 still gzipped", path)
		}
	}
}

func TestCORS(t *testing.T) {
	t.Run("none configured", func(t *testing.T) {
		e := newTestEnv(t)
		r := e.get(t, "/api/search", "Origin", "https://a.example")
		if v := r.header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("ACAO %q with no origins configured", v)
		}
	})
	t.Run("listed", func(t *testing.T) {
		e := newTestEnv(t, func(c *Config) { c.CORSOrigins = []string{"https://a.example"} })
		for _, path := range []string{"/api/search?q=x", "/api/topics", "/api/papers/2501.00001", "/feed.atom", "/openapi.json"} {
			r := e.get(t, path, "Origin", "https://a.example")
			if r.header.Get("Access-Control-Allow-Origin") != "https://a.example" || !strings.Contains(r.header.Get("Vary"), "Origin") {
				t.Errorf("%s: ACAO %q, Vary %q", path, r.header.Get("Access-Control-Allow-Origin"), r.header.Get("Vary"))
			}
			if !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "ETag") {
				t.Errorf("%s: ETag not exposed", path)
			}
		}
		if v := e.get(t, "/api/search", "Origin", "https://b.example").header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("unlisted origin got ACAO %q", v)
		}
		if v := e.get(t, "/", "Origin", "https://a.example").header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("the page got ACAO %q", v)
		}
		pre := e.do(t, http.MethodOptions, "/api/search", "Origin", "https://a.example",
			"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "if-none-match")
		if pre.status != http.StatusNoContent || !strings.Contains(pre.header.Get("Access-Control-Allow-Methods"), "GET") ||
			!strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "If-None-Match") {
			t.Errorf("preflight: %d %v", pre.status, pre.header)
		}
	})
	t.Run("any", func(t *testing.T) {
		e := newTestEnv(t, func(c *Config) { c.CORSOrigins = []string{"*"} })
		if v := e.get(t, "/api/search", "Origin", "https://z.example").header.Get("Access-Control-Allow-Origin"); v != "*" {
			t.Errorf("ACAO %q, want *", v)
		}
	})
}

func TestHead(t *testing.T) {
	e := newTestEnv(t)
	get := e.get(t, "/?q=quantization")
	head := e.do(t, http.MethodHead, "/?q=quantization")
	if head.status != 200 || len(head.body) != 0 {
		t.Fatalf("HEAD: %d, %d bytes", head.status, len(head.body))
	}
	if head.header.Get("Content-Type") != get.header.Get("Content-Type") || head.header.Get("ETag") == "" {
		t.Errorf("HEAD headers %v", head.header)
	}
}

func TestRequestLog(t *testing.T) {
	var buf bytes.Buffer
	e := newTestEnv(t, func(c *Config) { c.Log = slog.New(slog.NewJSONHandler(&buf, nil)) })
	e.get(t, "/api/papers/hep-th/9901001?x=1")
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
	}
	for k, want := range map[string]any{"msg": "request", "method": "GET", "route": "/api/papers/*id",
		"path": "/api/papers/hep-th/9901001", "query": "x=1", "status": float64(200)} {
		if line[k] != want {
			t.Errorf("log %s = %v, want %v (line %v)", k, line[k], want, line)
		}
	}
	if _, ok := line["ms"].(float64); !ok {
		t.Errorf("log has no ms: %v", line)
	}
}
