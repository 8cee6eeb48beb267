package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/papersearch/papersearch/api"
	"github.com/papersearch/papersearch/search"
)

// backup copies an index that serve holds, through serve, while papers
// are posted and searched; the copy opens and answers as the server does.
// Once serve is gone, backup copies the index directly.
func TestBackupWhileServing(t *testing.T) {
	t.Parallel()
	dir := seededIndex(t)
	key := strings.Repeat("b", 40)
	srv, base := startServeProc(t, map[string]string{"PAPERSEARCH_ADMIN_KEY": key}, "--index", dir)

	// Writes and searches go on during the first backup.
	var posted atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			code, body := httpDo(t, "POST", base+"/api/papers", key, fmt.Sprintf(`{"id":"2504.%05d","title":"Posted during a backup %d"}`, i, i))
			if code != 200 {
				t.Errorf("POST during a backup: %d %s", code, body)
				return
			}
			posted.Add(1)
			if code, body := httpDo(t, "GET", base+"/api/search?q=posted+backup", "", ""); code != 200 {
				t.Errorf("search during a backup: %d %s", code, body)
				return
			}
		}
	})
	waitFor(t, 30*time.Second, "some papers to be posted", func() bool { return posted.Load() >= 5 })
	env := map[string]string{"HOME": t.TempDir(), "PAPERSEARCH_ADMIN_KEY": key}
	first := filepath.Join(t.TempDir(), "backups", "first")
	r := runCLI(t, "", env, "backup", "--index", dir, "--to", first)
	close(stop)
	wg.Wait()
	if r.code != 0 || !strings.Contains(r.stdout, "through "+strings.Replace(base, "127.0.0.1", "localhost", 1)) {
		t.Fatalf("backup while serving: exit %d, %v, stdout %q", r.code, r.err, r.stdout)
	}
	cp, err := search.OpenReadOnly(first, nil)
	if err != nil {
		t.Fatalf("open the backup: %v", err)
	}
	n, _ := cp.Count()
	cp.Close()
	if n < 36 || n > 36+uint64(posted.Load()) {
		t.Errorf("the backup has %d papers; want between 36 and %d", n, 36+posted.Load())
	}
	t.Logf("backup taken while %d papers were posted holds %d", posted.Load(), n)

	// With writes stopped, a backup answers every query as the server.
	second := filepath.Join(t.TempDir(), "second")
	if r := runCLI(t, "", env, "backup", "--index", dir, "--to", second); r.code != 0 {
		t.Fatalf("second backup: exit %d, %v", r.code, r.err)
	}
	for _, q := range []string{"", "q=pruning", "q=posted&size=5&page=2", "topic=pruning&sort=oldest", "q=language+models&year_from=2023"} {
		_, want := httpDo(t, "GET", base+"/api/search?"+q, "", "")
		args := []string{"search", "--index", second, "--json"}
		for kv := range strings.SplitSeq(q, "&") {
			k, v, _ := strings.Cut(kv, "=")
			v = strings.ReplaceAll(v, "+", " ")
			switch k {
			case "q":
				args = append(args, v)
			case "year_from":
				args = append(args, "--year-from", v)
			case "":
			default:
				args = append(args, "--"+k, v)
			}
		}
		r := runCLI(t, "", env, args...)
		if got := tookMS.ReplaceAllString(r.stdout, ""); r.code != 0 || got != tookMS.ReplaceAllString(want, "") {
			t.Errorf("query %q: the backup answers\n%.300s\nthe server\n%.300s", q, r.stdout, want)
		}
	}

	// Refusals say why.
	if r := runCLI(t, "", map[string]string{"HOME": t.TempDir()}, "backup", "--index", dir, "--to", filepath.Join(t.TempDir(), "x")); r.code == 0 ||
		!strings.Contains(r.err.Error(), "set PAPERSEARCH_ADMIN_KEY") {
		t.Errorf("backup without the key: exit %d, %v", r.code, r.err)
	}
	if r := runCLI(t, "", env, "backup", "--index", dir, "--to", first); r.code != exitUsage || !strings.Contains(r.err.Error(), "already exists") {
		t.Errorf("backup onto an existing directory: exit %d, %v", r.code, r.err)
	}

	// Without a server, backup opens the index itself.
	if code := stopProc(t, srv); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	third := filepath.Join(t.TempDir(), "third")
	r = runCLI(t, "", env, "backup", "--index", dir, "--to", third)
	if r.code != 0 || !strings.Contains(r.stdout, "from "+dir+" to "+third) {
		t.Errorf("backup of an index nobody holds: exit %d, %v, %q", r.code, r.err, r.stdout)
	}
}

// index fetches URL sources through the SSRF guard: a server on loopback
// is refused, and reached only with --allow-private-urls.
func TestIndexURLGuard(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := newPaperServer(t, &hits)
	dir := filepath.Join(t.TempDir(), "index")
	r := runCLI(t, "", nil, "index", "--index", dir, srv+"/papers.jsonl")
	if r.code != exitUsage || !strings.Contains(r.stderr, "refusing to connect") || !strings.Contains(r.stderr, "--allow-private-urls") || hits.Load() != 0 {
		t.Errorf("index from a loopback URL: exit %d, %d hits, stderr %s", r.code, hits.Load(), r.stderr)
	}
	r = runCLI(t, "", nil, "index", "--index", dir, "--allow-private-urls", srv+"/papers.jsonl")
	if r.code != 0 || hits.Load() != 1 {
		t.Errorf("index with --allow-private-urls: exit %d, %d hits", r.code, hits.Load())
	}
}

// newPaperServer serves testdata/papers.jsonl on loopback and counts the
// requests.
func newPaperServer(t *testing.T, hits *atomic.Int64) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "papers.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s.URL
}

// A serve that runs without an admin key cannot back up; the message
// says what can: stopping it, so that backup copies the index itself.
func TestBackupViaServerWithoutKey(t *testing.T) {
	idx := openIndex(t, seededIndex(t))
	h, err := api.New(api.Config{Index: idx, Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	env := map[string]string{"HOME": t.TempDir(), "PAPERSEARCH_ADMIN_KEY": strings.Repeat("k", 40)}
	r := runCLI(t, "", env, "backup", "--via", srv.URL, "--to", filepath.Join(t.TempDir(), "copy"))
	if r.code == 0 || r.err == nil || !strings.Contains(r.err.Error(), "or stop serve, and backup copies the index itself") ||
		strings.Contains(r.err.Error(), "set PAPERSEARCH_ADMIN_KEY to the key") {
		t.Errorf("backup through a server without a key: exit %d, %v", r.code, r.err)
	}
}
