package indexer

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

func TestPublicAddr(t *testing.T) {
	tests := []struct {
		ip     string
		public bool
	}{
		{"8.8.8.8", true},
		{"151.101.1.140", true},
		{"2a04:4e42::644", true},
		{"127.0.0.1", false},
		{"127.255.255.254", false},
		{"::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:8.8.8.8", true},
		{"0.0.0.0", false},
		{"::", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"172.32.0.1", true},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"fe80::1", false},
		{"fd00::1", false},
		{"fd00:ec2::254", false}, // AWS metadata over IPv6
		{"100.64.0.1", false},
		{"224.0.0.1", false},
		{"255.255.255.255", false},
		{"198.18.0.1", false},
		{"64:ff9b::7f00:1", false}, // NAT64 of 127.0.0.1
		{"64:ff9b::808:808", true}, // NAT64 of 8.8.8.8
		{"2002:7f00:1::", false},   // 6to4 of 127.0.0.1
		{"2002:a00:1::", false},    // 6to4 of 10.0.0.1
	}
	for _, tt := range tests {
		if got := PublicAddr(netip.MustParseAddr(tt.ip)); got != tt.public {
			t.Errorf("PublicAddr(%s) = %v, want %v", tt.ip, got, tt.public)
		}
	}
}

func TestLooksNumeric(t *testing.T) {
	for _, h := range []string{"2130706433", "0x7f.1", "0x7f000001", "127.1", "017700000001", "0177.0.0.1", "127.0.0.1."} {
		if !looksNumeric(h) {
			t.Errorf("looksNumeric(%q) = false", h)
		}
	}
	for _, h := range []string{"arxiv.org", "1e100.net", "123.example", "localhost", ""} {
		if looksNumeric(h) {
			t.Errorf("looksNumeric(%q) = true", h)
		}
	}
}

// sink counts the requests that reach it: with the guard on, none may.
type sink struct {
	*httptest.Server
	hits atomic.Int64
}

func newSink(t *testing.T, ip string) *sink {
	t.Helper()
	s := &sink{}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	s.Server = &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		io.WriteString(w, `{"id":"2401.00001","title":"Secret from the intranet"}`+"\n")
	})}}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *sink) port() string {
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	return port
}

func fetchURL(client *http.Client, url string) error {
	rc, err := fetch(context.Background(), client, url, 1<<20, FetchTimeout)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.ReadAll(rc)
	return err
}

// Every way of naming the machine itself is refused before a byte is sent;
// with --allow-private-urls the same URLs are fetched.
func TestGuardRefusesLoopback(t *testing.T) {
	s := newSink(t, "127.0.0.1")
	port := s.port()
	urls := []string{
		s.URL,
		"http://localhost:" + port + "/papers.jsonl",
		"http://2130706433:" + port + "/",
		"http://0x7f.1:" + port + "/",
		"http://0x7f000001:" + port + "/",
		"http://127.1:" + port + "/",
		"http://017700000001:" + port + "/",
		"http://[::ffff:127.0.0.1]:" + port + "/",
		"http://[::ffff:7f00:1]:" + port + "/",
		"http://0.0.0.0:" + port + "/",
		"http://127.0.0.1.:" + port + "/",
	}
	guarded := NewGuardedHTTPClient(false)
	for i, u := range urls {
		err := fetchURL(guarded, u)
		if i < 3 {
			t.Logf("%s: %v", u, err)
		}
		if !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("guarded fetch %s: %v, want ErrPrivateAddress", u, err)
		} else if !strings.Contains(err.Error(), "--allow-private-urls") && !strings.Contains(err.Error(), "is a number") {
			t.Errorf("guarded fetch %s: %q does not say how to allow it", u, err)
		}
	}
	if n := s.hits.Load(); n != 0 {
		t.Fatalf("the sink on 127.0.0.1 got %d requests with the guard on, want 0", n)
	}

	open := NewGuardedHTTPClient(true)
	for _, u := range []string{s.URL, "http://localhost:" + port + "/", "http://[::ffff:127.0.0.1]:" + port + "/", "http://0.0.0.0:" + port + "/"} {
		if err := fetchURL(open, u); err != nil {
			t.Errorf("fetch %s with private URLs allowed: %v", u, err)
		}
	}
	if n := s.hits.Load(); n != 4 {
		t.Errorf("the sink got %d requests with the guard off, want 4", n)
	}
}

// A redirect from an allowed server to a private address is refused at
// the redirect's connection. 127.0.0.2 stands in for a public server: the
// test's guard allows it, and only it.
func TestGuardCoversRedirects(t *testing.T) {
	target := newSink(t, "127.0.0.1")
	redirector := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/latest.jsonl", http.StatusFound)
	}))
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	redirector.Listener = ln
	redirector.Start()
	defer redirector.Close()

	only2 := netip.MustParseAddr("127.0.0.2")
	client := newGuardedClient(guard{allow: func(ip netip.Addr) bool { return ip == only2 }})
	err = fetchURL(client, redirector.URL+"/papers")
	if !errors.Is(err, ErrPrivateAddress) {
		t.Errorf("fetch through a redirect to 127.0.0.1: %v, want ErrPrivateAddress", err)
	}
	if n := target.hits.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests, want 0", n)
	}
}

// ExpandSources guards URLs unless told otherwise.
func TestExpandSourcesGuardsByDefault(t *testing.T) {
	s := newSink(t, "127.0.0.1")
	sources, err := ExpandSources([]string{s.URL + "/papers.jsonl"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sources[0].Open(context.Background())
	if !errors.Is(err, ErrPrivateAddress) {
		t.Errorf("Open: %v, want ErrPrivateAddress", err)
	}
	if n := s.hits.Load(); n != 0 {
		t.Errorf("sink got %d requests", n)
	}
}
