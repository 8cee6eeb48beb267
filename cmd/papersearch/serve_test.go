package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/papersearch/papersearch/search"
)

var servingLine = regexp.MustCompile(`^papersearch: serving (\d+) papers from (.+) at http://localhost:(\d+)/\n$`)

// server is `papersearch serve` running in the background.
type server struct {
	base   string // http://127.0.0.1:PORT
	line   string // what it printed on stdout
	cancel context.CancelFunc
	done   chan error
	stderr *syncBuffer
}

// startServe runs `papersearch serve` with args and env until stop is
// called, and waits for it to print where it listens.
func startServe(t *testing.T, env map[string]string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{cancel: cancel, done: make(chan error, 1), stderr: &syncBuffer{}}
	go func() {
		err := run(ctx, append([]string{"serve"}, args...), strings.NewReader(""), pw, s.stderr, func(k string) string { return env[k] })
		pw.Close()
		s.done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	go io.Copy(io.Discard, pr)
	if err != nil {
		cancel()
		t.Fatalf("serve printed %q and stopped: %v\nstderr:\n%s", line, <-s.done, s.stderr)
	}
	s.line = line
	m := servingLine.FindStringSubmatch(line)
	if m == nil {
		s.stop(t)
		t.Fatalf("serve printed %q, want the URL it serves", line)
	}
	// The printed host is localhost; dial the loopback address it listens on.
	s.base = "http://127.0.0.1:" + m[3]
	return s
}

// stop cancels the server's context, as Ctrl-C does, and returns what
// run returned.
func (s *server) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	err := <-s.done
	t.Logf("serve stderr:\n%s", s.stderr)
	return err
}

func (s *server) get(t *testing.T, path string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(s.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestServe(t *testing.T) {
	t.Parallel() // most of its time is the 3 s lock wait below
	dir := seededIndex(t)
	s := startServe(t, testEnv(t), "--index", dir, "--addr", "127.0.0.1:0")
	if m := servingLine.FindStringSubmatch(s.line); m[1] != "36" || m[2] != dir {
		t.Errorf("serving line %q: want 36 papers from %s", s.line, dir)
	}

	code, ctype, body := s.get(t, "/healthz")
	if code != 200 || ctype != "application/json; charset=utf-8" || body != `{"papers":36,"status":"ok"}`+"\n" {
		t.Errorf("GET /healthz: %d %s %q", code, ctype, body)
	}
	code, _, body = s.get(t, "/api/search?q=pruning&size=1")
	var resp struct {
		Total int `json:"total"`
	}
	if err := json.Unmarshal([]byte(body), &resp); code != 200 || err != nil || resp.Total == 0 {
		t.Errorf("GET /api/search: %d %v %.200s", code, err, body)
	}
	code, ctype, body = s.get(t, "/?q=pruning")
	if code != 200 || ctype != "text/html; charset=utf-8" || !strings.Contains(body, `class="hit"`) {
		t.Errorf("GET /?q=pruning: %d %s %.200s", code, ctype, body)
	}
	code, _, body = s.get(t, "/api/papers/hep-th/9901001")
	if code != 200 || !strings.Contains(body, `"title":"Strings and Branes"`) {
		t.Errorf("GET /api/papers/hep-th/9901001: %d %.200s", code, body)
	}

	// While the server holds the index, the CLI cannot open it, and says
	// what to do instead.
	r := runCLI(t, "", nil, "search", "--index", dir, "pruning")
	if r.code != 2 || !errors.Is(r.err, search.ErrLocked) {
		t.Errorf("search while serving: exit %d, %v; want 2 and ErrLocked", r.code, r.err)
	} else if !strings.Contains(r.err.Error(), "use its HTTP API") {
		t.Errorf("locked error %q does not suggest the HTTP API", r.err)
	}
	// index --delete says how to delete through the server, at the
	// address serve recorded.
	owner, _ := search.ReadOwner(dir)
	r = runCLI(t, "", nil, "index", "--index", dir, "--delete", "arXiv:hep-th/9901001v2")
	if want := "-X DELETE " + owner.URL + "/api/papers/hep-th/9901001\n"; owner.URL == "" || r.code != 2 || r.err == nil || !strings.Contains(r.err.Error(), want) {
		t.Errorf("index --delete while serving: exit %d, %v; want 2 and %q", r.code, r.err, want)
	}

	if err := s.stop(t); err != nil {
		t.Fatalf("serve returned %v after its context was cancelled, want nil", err)
	}
	if !strings.Contains(s.stderr.String(), "shutting down") {
		t.Error("no shutdown log line")
	}
	// The index was closed: it opens again at once.
	idx, err := search.Open(dir, testLogger(t))
	if err != nil {
		t.Fatalf("index after serve: %v", err)
	}
	idx.Close()
}

// PAPERSEARCH_INDEX and PAPERSEARCH_ADDR are the defaults for the flags.
func TestServeFromEnvironment(t *testing.T) {
	dir := seededIndex(t)
	env := testEnv(t)
	env["PAPERSEARCH_INDEX"] = dir
	env["PAPERSEARCH_ADDR"] = "127.0.0.1:0"
	s := startServe(t, env)
	if code, _, _ := s.get(t, "/healthz"); code != 200 {
		t.Errorf("GET /healthz: %d", code)
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
}

func TestServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := seededIndex(t)
	r := runCLI(t, "", nil, "serve", "--index", dir, "--addr", ln.Addr().String())
	if r.code != 2 || r.err == nil || !strings.Contains(r.err.Error(), "listen on "+ln.Addr().String()) {
		t.Errorf("serve on a used port: exit %d, %v", r.code, r.err)
	}
	if r.stdout != "" {
		t.Errorf("stdout = %q, want nothing", r.stdout)
	}
}

// Papers posted to a server started without --topics are tagged with the
// taxonomy the index was built with.
func TestServeTagsWithTheIndexTaxonomy(t *testing.T) {
	t.Parallel()
	topicsFile := filepath.Join(t.TempDir(), "topics.json")
	err := os.WriteFile(topicsFile, []byte(`{"topics": [{"slug": "branes", "label": "Branes", "terms": ["brane*"]}]}`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "index")
	if r := runCLI(t, "", nil, "index", "--index", dir, "--topics", topicsFile, filepath.Join("testdata", "papers.jsonl")); r.code != 0 {
		t.Fatalf("index: exit %d, %v", r.code, r.err)
	}
	key := strings.Repeat("k", 40)
	env := testEnv(t)
	env["PAPERSEARCH_ADMIN_KEY"] = key
	s := startServe(t, env, "--index", dir, "--addr", "127.0.0.1:0")
	// The paper twice: serve's answer counts the merge, as index would.
	twice := `{"id": "2501.80010", "title": "Pruning and quantization of D-branes"}` + "\n" + `{"id": "2501.80010", "title": "Pruning and quantization of D-branes", "upvotes": 2}` + "\n"
	req, err := http.NewRequest(http.MethodPost, s.base+"/api/papers", strings.NewReader(twice))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/papers: %d", resp.StatusCode)
	}
	if !strings.Contains(string(answer), `"read":2,"added":1,"updated":0,"merged":1,`) {
		t.Errorf("POST /api/papers answered %s; want read 2 = added 1 + merged 1", answer)
	}
	if code, _, body := s.get(t, "/api/papers/2501.80010"); code != 200 || !strings.Contains(body, `"topics":["branes"]`) {
		t.Errorf("posted paper: %d %s; want it tagged branes", code, body)
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s.stderr.String(), "not the taxonomy") {
		t.Errorf("serve warned of a taxonomy mismatch it does not have:\n%s", s.stderr)
	}
}
