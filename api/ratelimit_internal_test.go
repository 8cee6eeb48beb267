package api

import (
	"net/netip"
	"testing"
	"time"
)

// The bucket refills at the configured rate; the clock is the limiter's
// own, moved by hand.
func TestTokenBucket(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := newLimiter(RateLimit{PerSecond: 2, Burst: 3})
	l.now = func() time.Time { return now }
	key, _ := l.clientKey("203.0.113.7")
	for i := range 3 {
		if ok, _ := l.allow(key); !ok {
			t.Fatalf("request %d of a burst of 3 refused", i+1)
		}
	}
	ok, wait := l.allow(key)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("4th request: allowed %v, wait %v; want refused, 500ms", ok, wait)
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := l.allow(key); !ok {
		t.Fatal("refused after a token's worth of time")
	}
	if ok, _ := l.allow(key); ok {
		t.Fatal("allowed with an empty bucket")
	}
	// Another client has its own bucket; one IPv6 /64 is one client.
	other, _ := l.clientKey("2001:db8:1:2::1")
	same, _ := l.clientKey("2001:db8:1:2:ffff::9")
	if other != same {
		t.Errorf("keys of one /64 differ: %v, %v", other, same)
	}
	if ok, _ := l.allow(other); !ok {
		t.Error("a new client was refused")
	}
	// A long pause fills the bucket to Burst, not beyond.
	now = now.Add(time.Hour)
	for i := range 3 {
		if ok, _ := l.allow(key); !ok {
			t.Fatalf("after an hour, request %d refused", i+1)
		}
	}
	if ok, _ := l.allow(key); ok {
		t.Error("the bucket held more than Burst")
	}
}

func TestLoopbackExempt(t *testing.T) {
	for _, ip := range []string{"127.0.0.1", "::1", "::ffff:127.0.0.1"} {
		if _, limited := newLimiter(RateLimit{PerSecond: 1}).clientKey(ip); limited {
			t.Errorf("%s limited by default", ip)
		}
		if _, limited := newLimiter(RateLimit{PerSecond: 1, Loopback: true}).clientKey(ip); !limited {
			t.Errorf("%s not limited with Loopback", ip)
		}
	}
}

// The bucket map stays bounded whatever the number of clients.
func TestLimiterBounded(t *testing.T) {
	l := newLimiter(RateLimit{PerSecond: 1, Burst: 1})
	for i := range maxClients + 10 {
		addr := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		key, _ := l.clientKey(addr.String())
		l.allow(key)
	}
	if n := len(l.buckets); n > maxClients {
		t.Errorf("%d buckets kept, the bound is %d", n, maxClients)
	}
}
