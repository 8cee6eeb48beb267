package api

import (
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// RateLimit is a token bucket per client: each client may make Burst
// requests at once, and PerSecond more every second after. A client is an
// IPv4 address or an IPv6 /64 (one host usually has a whole /64).
type RateLimit struct {
	// PerSecond is the refill rate; 0 turns limiting off.
	PerSecond float64
	// Burst is the bucket's size; 0 means twice PerSecond (at least 1).
	Burst int
	// Loopback limits clients on the machine itself too. Off by default:
	// local scripts and health checks are trusted.
	Loopback bool
}

// maxClients bounds the buckets kept; past it, full buckets (clients
// that have been quiet) are dropped, and if that is not enough, all are.
const maxClients = 100_000

type limiter struct {
	cfg     RateLimit
	burst   float64
	mu      sync.Mutex
	buckets map[netip.Prefix]*bucket
	now     func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(cfg RateLimit) *limiter {
	burst := float64(cfg.Burst)
	if burst <= 0 {
		burst = max(1, math.Ceil(2*cfg.PerSecond))
	}
	return &limiter{cfg: cfg, burst: burst, buckets: map[netip.Prefix]*bucket{}, now: time.Now}
}

// clientKey maps a client address to its bucket's key; ok is false for an
// address the limiter does not apply to.
func (l *limiter) clientKey(ip string) (netip.Prefix, bool) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		// Not an IP (a unix socket peer): one shared bucket.
		return netip.Prefix{}, true
	}
	addr = addr.Unmap()
	if addr.IsLoopback() && !l.cfg.Loopback {
		return netip.Prefix{}, false
	}
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.Prefix(bits)
	return p, true
}

// allow takes a token from the client's bucket, or says how long until
// one is there.
func (l *limiter) allow(key netip.Prefix) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxClients {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.cfg.PerSecond)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.cfg.PerSecond * float64(time.Second))
	return false, wait
}

func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.cfg.PerSecond >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxClients {
		clear(l.buckets)
	}
}

// rateLimit answers 429 with Retry-After to a client over its rate.
// /healthz, /metrics and static files are not limited.
func (s *server) rateLimit() gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.limiter == nil || c.Request.URL.Path == "/healthz" || c.Request.URL.Path == "/metrics" || strings.HasPrefix(c.Request.URL.Path, "/static/") {
			c.Next()
			return
		}
		key, limited := s.limiter.clientKey(c.ClientIP())
		if !limited {
			c.Next()
			return
		}
		ok, wait := s.limiter.allow(key)
		if ok {
			c.Next()
			return
		}
		secs := int(math.Ceil(wait.Seconds()))
		c.Header("Retry-After", strconv.Itoa(secs))
		s.writeError(c, &httpError{http.StatusTooManyRequests, "rate_limited",
			fmt.Sprintf("too many requests from your address: the limit is %g per second in bursts of %g; retry after %d s",
				s.limiter.cfg.PerSecond, s.limiter.burst, secs)})
		c.Abort()
	}
}
