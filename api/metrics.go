package api

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/papersearch/papersearch/search"
)

// The metrics are few and fixed, so they are written by hand in the
// Prometheus text exposition format (version 0.0.4) rather than through a
// client library.

// latencyBuckets are the upper bounds, in seconds, of the request latency
// histogram: a search takes milliseconds, a cold page tens of them.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

type requestKey struct {
	route, method string
	code          int
}

type histogram struct {
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	n      uint64
}

// metrics counts requests. Routes are Gin's patterns ("/api/papers/*id"),
// never raw paths, so the number of series stays bounded.
type metrics struct {
	mu       sync.Mutex
	requests map[requestKey]uint64
	latency  map[string]*histogram
	started  time.Time
}

func newMetrics() *metrics {
	return &metrics{requests: map[requestKey]uint64{}, latency: map[string]*histogram{}, started: time.Now()}
}

func (m *metrics) observe(route, method string, code int, d time.Duration) {
	sec := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{route, method, code}]++
	h := m.latency[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(latencyBuckets)+1)}
		m.latency[route] = h
	}
	i, _ := slices.BinarySearch(latencyBuckets, sec)
	h.counts[i]++
	h.sum += sec
	h.n++
}

// write renders the request metrics in a stable order.
func (m *metrics) write(b *strings.Builder) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b.WriteString("# HELP papersearch_http_requests_total HTTP requests served, by route pattern, method and status code.\n")
	b.WriteString("# TYPE papersearch_http_requests_total counter\n")
	keys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b requestKey) int {
		if c := strings.Compare(a.route, b.route); c != 0 {
			return c
		}
		if c := strings.Compare(a.method, b.method); c != 0 {
			return c
		}
		return a.code - b.code
	})
	for _, k := range keys {
		fmt.Fprintf(b, "papersearch_http_requests_total{route=%s,method=%s,code=\"%d\"} %d\n",
			quote(k.route), quote(k.method), k.code, m.requests[k])
	}

	b.WriteString("# HELP papersearch_http_request_duration_seconds Time to serve a request, by route pattern.\n")
	b.WriteString("# TYPE papersearch_http_request_duration_seconds histogram\n")
	routes := make([]string, 0, len(m.latency))
	for r := range m.latency {
		routes = append(routes, r)
	}
	slices.Sort(routes)
	for _, r := range routes {
		h := m.latency[r]
		var cum uint64
		for i, le := range latencyBuckets {
			cum += h.counts[i]
			fmt.Fprintf(b, "papersearch_http_request_duration_seconds_bucket{route=%s,le=\"%s\"} %d\n", quote(r), formatFloat(le), cum)
		}
		fmt.Fprintf(b, "papersearch_http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", quote(r), h.n)
		fmt.Fprintf(b, "papersearch_http_request_duration_seconds_sum{route=%s} %s\n", quote(r), formatFloat(h.sum))
		fmt.Fprintf(b, "papersearch_http_request_duration_seconds_count{route=%s} %d\n", quote(r), h.n)
	}
}

// quote writes a label value with the escapes the text format defines.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func (s *server) serveMetrics(c *gin.Context) error {
	var b strings.Builder
	s.metrics.write(&b)
	n, err := s.idx.Count()
	if err != nil {
		return err
	}
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", name, help, name, name, formatFloat(v))
	}
	gauge("papersearch_documents", "Papers in the index.", float64(n))
	gauge("papersearch_index_size_bytes", "Size of the index directory on disk.", float64(search.DiskSize(s.idx.Path())))
	gauge("papersearch_index_generation", "Committed writes to the index; it changes whenever results may.", float64(s.idx.Generation()))
	gauge("papersearch_start_time_seconds", "When this server started, in Unix seconds.", float64(s.metrics.started.Unix()))
	c.Header("Cache-Control", "no-store")
	send(c, http.StatusOK, "text/plain; version=0.0.4; charset=utf-8", []byte(b.String()))
	return nil
}
