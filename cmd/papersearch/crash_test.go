package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/papersearch/papersearch/indexer"
	"github.com/papersearch/papersearch/internal/smalldisk"
	"github.com/papersearch/papersearch/search"
)

// The crash test's size; a soak runs it longer:
//
//	go test -run 'TestCrashSafety$' -timeout=2h ./cmd/papersearch -args -crash.rounds=500 -crash.papers=2600
var (
	crashRounds = flag.Int("crash.rounds", 20, "SIGKILL rounds in TestCrashSafety")
	crashPapers = flag.Int("crash.papers", 400, "papers (at most 2600) TestCrashSafety indexes")
	crashSeed   = flag.Uint64("crash.seed", 0, "random seed for TestCrashSafety; 0 picks one")
)

// crashCorpus writes the first n papers of the built-in demo sample (real
// arXiv papers), each id once, to a JSON-lines file, and returns the
// file and the ids in order, as the indexer normalises them.
func crashCorpus(t *testing.T, n int) (string, []string) {
	t.Helper()
	b, err := demoFS.ReadFile("demo/arxiv-sample.jsonl.bz2")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := indexer.OpenSource("-", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var out bytes.Buffer
	var ids []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(rc)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() && len(ids) < n {
		for p, err := range indexer.ParseJSON(bytes.NewReader(sc.Bytes()), "demo") {
			if err != nil || seen[p.ID] {
				continue
			}
			seen[p.ID] = true
			ids = append(ids, p.ID)
			out.Write(sc.Bytes())
			out.WriteByte('\n')
		}
	}
	if len(ids) < n {
		t.Fatalf("the demo sample has %d distinct papers, want %d", len(ids), n)
	}
	path := filepath.Join(t.TempDir(), "corpus.jsonl")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, ids
}

var committedLine = regexp.MustCompile(`(?m)^time=\S+ level=INFO msg=committed batch=(\d+) papers=(\d+) last_id=(\S+)\n`)

// acknowledged returns the ids that --log-commits said were committed:
// every id up to the last one logged. Only complete lines count: a
// process killed mid-line acknowledged nothing more.
func acknowledged(t *testing.T, stderr string, ids []string) []string {
	t.Helper()
	ms := committedLine.FindAllStringSubmatch(stderr, -1)
	if len(ms) == 0 {
		return nil
	}
	last := ms[len(ms)-1][3]
	if u, err := strconv.Unquote(last); err == nil {
		last = u
	}
	for i, id := range ids {
		if id == last {
			return ids[:i+1]
		}
	}
	t.Fatalf("the log acknowledges %q, which is not in the corpus", last)
	return nil
}

// checkAcknowledged opens the index and checks that every acknowledged
// paper is in it; it returns how long the open took and the count.
func checkAcknowledged(t *testing.T, dir string, acked []string) (time.Duration, uint64) {
	t.Helper()
	// Read before Open, which would rebuild a missing vocabulary.
	vocab, verr := os.ReadFile(filepath.Join(dir, "papersearch.vocab"))
	start := time.Now()
	idx, err := search.Open(dir, nil)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("open after the crash: %v", err)
	}
	defer idx.Close()
	got, err := idx.Lookup(context.Background(), acked)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, id := range acked {
		if _, ok := got[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d acknowledged papers are missing, first %q", len(missing), len(acked), missing[0])
	}
	// A batch writes its words to the vocabulary before it commits: every
	// acknowledged paper's title words are there.
	if len(got) > 0 {
		if verr != nil {
			t.Errorf("an index with acknowledged papers has no vocabulary: %v", verr)
		}
		words := map[string]bool{}
		for line := range strings.Lines(string(vocab)) {
			w, _, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
			words[w] = true
		}
		for id, p := range got {
			for _, w := range strings.Fields(p.Title) {
				w = strings.ToLower(strings.Trim(w, ".,:;!?()[]{}\"'"))
				if w != "" && strings.IndexFunc(w, func(r rune) bool { return r < 'a' || r > 'z' }) < 0 && !words[w] {
					t.Errorf("paper %s was acknowledged, but its title word %q is not in the vocabulary", id, w)
				}
			}
		}
	}
	n, err := idx.Count()
	if err != nil {
		t.Fatal(err)
	}
	return took, n
}

// SIGKILL at random moments never loses an acknowledged batch nor leaves
// an index that cannot be opened; a rerun completes. Every fifth round
// starts from nothing, so some kills land during a bulk load, which must
// leave no index or a complete one.
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	corpus, ids := crashCorpus(t, *crashPapers)
	seed := *crashSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -crash.seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	args := func(dir string) []string {
		return []string{"index", "--index", dir, "--batch", "20", "--log-commits", corpus}
	}

	estimate := 1500 * time.Millisecond // a full run, refined as runs complete
	var dir string
	var maxOpen time.Duration
	killed, completed := 0, 0
	var ackedAtKill []int
	for round := range *crashRounds {
		if round%5 == 0 {
			dir = filepath.Join(t.TempDir(), "index")
		}
		bulk := !indexExists(dir) // a new index is built aside and moved in at the end
		start := time.Now()
		p := startProc(t, nil, nil, args(dir)...)
		delay := time.Duration(rng.Int64N(int64(estimate) * 6 / 5))
		select {
		case <-p.done:
		case <-time.After(delay):
			p.cmd.Process.Kill()
			<-p.done
		}
		status := p.cmd.ProcessState.Sys()
		wasKilled := !p.cmd.ProcessState.Exited()
		acked := acknowledged(t, p.stderr.String(), ids)
		if wasKilled {
			killed++
			ackedAtKill = append(ackedAtKill, len(acked))
		} else {
			completed++
			estimate = time.Since(start)
			if code := p.cmd.ProcessState.ExitCode(); code != 0 {
				t.Fatalf("round %d: index exited %d (%v)\n%s", round, code, status, p.stderr)
			}
			acked = ids
		}
		if bulk && wasKilled && indexExists(dir) && len(acked) != len(ids) {
			t.Errorf("round %d: a killed bulk load left an index without having said it committed", round)
		}
		took, n := checkAcknowledged(t, dir, acked)
		maxOpen = max(maxOpen, took)
		if bulk && wasKilled && n != 0 && n != uint64(len(ids)) {
			t.Errorf("round %d: a killed bulk load left %d papers; want none or all %d", round, n, len(ids))
		}
		// The bound, with a wide margin: opening takes
		// milliseconds, and the lock wait alone is 3 s.
		if took > 5*time.Second {
			t.Errorf("round %d: opening after the kill took %v", round, took)
		}
		if !wasKilled && n != uint64(len(ids)) {
			t.Errorf("round %d: a complete run left %d papers, want %d", round, n, len(ids))
		}
		if t.Failed() {
			t.Fatalf("round %d (killed %v after %v, %d acknowledged) failed\nstderr:\n%s", round, wasKilled, delay, len(acked), p.stderr)
		}
	}
	// A rerun after the last kill completes and leaves every paper.
	_, code := runProc(t, nil, nil, args(dir)...)
	if code != 0 {
		t.Fatalf("rerun after the kills: exit %d", code)
	}
	if _, n := checkAcknowledged(t, dir, ids); n != uint64(len(ids)) {
		t.Errorf("after the rerun: %d papers, want %d", n, len(ids))
	}
	t.Logf("%d rounds: %d killed (acknowledged papers at the kill: %v), %d ran to the end; slowest open after a kill: %v",
		*crashRounds, killed, ackedAtKill, completed, maxOpen.Round(time.Millisecond))
}

// A full disk is a clear error, not a hang, and loses nothing that was
// acknowledged. The disk is a small tmpfs, which needs root; without it
// TestWriteErrorInjected covers the same path with a read-only store.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	corpus, ids := crashCorpus(t, 1000)

	// A bulk load (a new index) that fills the disk fails and leaves no
	// index, nor anything the next load does not clear away.
	bulkMnt := smalldisk.Mount(t, "3m", "TestWriteErrorInjected covers write errors")
	bulkDir := filepath.Join(bulkMnt, "bulk")
	p, code := runProc(t, nil, nil, "index", "--index", bulkDir, "--batch", "25", "--log-commits", corpus)
	if code == 0 || !strings.Contains(p.stderr.String(), "no space left on device") {
		t.Errorf("bulk load on a 3 MiB disk: exit %d, want a full-disk error:\n%s", code, p.stderr)
	}
	if strings.Contains(p.stderr.String(), "msg=committed") {
		t.Errorf("a failed bulk load said it committed:\n%s", p.stderr)
	}
	if indexExists(bulkDir) {
		t.Errorf("a failed bulk load left an index at %s", bulkDir)
	}
	first := crashCorpusPrefix(t, corpus, 5)
	if _, code := runProc(t, nil, nil, "index", "--index", bulkDir, first); code != 0 {
		t.Errorf("a bulk load after the failed one: exit %d", code)
	}
	if left, _ := filepath.Glob(filepath.Join(bulkMnt, ".bulk.loading-*")); len(left) > 0 {
		t.Errorf("the next bulk load left %v of the failed one", left)
	}

	mnt := smalldisk.Mount(t, "3m", "TestWriteErrorInjected covers write errors")

	// Writes to an existing index commit batch by batch; each one
	// acknowledged stays.
	dir := filepath.Join(mnt, "index")
	if _, code := runProc(t, nil, nil, "index", "--index", dir, first); code != 0 {
		t.Fatalf("creating the index: exit %d", code)
	}
	p, code = runProc(t, nil, nil, "index", "--index", dir, "--batch", "25", "--log-commits", corpus)
	if code == 0 {
		t.Fatalf("index on a 3 MiB disk succeeded; the test needs the disk to fill")
	}
	if !strings.Contains(p.stderr.String(), "no space left on device") {
		t.Errorf("the error does not say the disk is full:\n%s", p.stderr)
	}
	acked := acknowledged(t, p.stderr.String(), ids)
	if len(acked) == 0 {
		t.Fatalf("no batch was committed before the disk filled; the test needs some")
	}
	// What is on the full disk opens (copied to a roomy one, and in place)
	// and holds every acknowledged paper.
	roomy := filepath.Join(t.TempDir(), "copy")
	if out, err := exec.Command("cp", "-a", dir, roomy).CombinedOutput(); err != nil {
		t.Fatalf("copy the index off the full disk: %v\n%s", err, out)
	}
	_, n := checkAcknowledged(t, roomy, acked)
	_, nInPlace := checkAcknowledged(t, dir, acked)
	t.Logf("disk full after %d acknowledged papers; %d papers in the index (%d opened in place)", len(acked), n, nInPlace)

	// serve on the full disk: a write fails with a 500, fast; /healthz
	// says degraded and why; once space is freed, writes work again.
	filler := filepath.Join(mnt, "filler")
	smalldisk.Fill(t, filler)
	key := strings.Repeat("k", 32)
	srv, base := startServeProc(t, map[string]string{"PAPERSEARCH_ADMIN_KEY": key}, "--index", dir)
	post := func(id string) (int, string) {
		return httpDo(t, "POST", base+"/api/papers", key, fmt.Sprintf(`{"id":%q,"title":"Written to a full disk","abstract":"%s"}`, id, strings.Repeat("text ", 2000)))
	}
	if code, body := post("2503.90001"); code != 500 || !strings.Contains(body, `"code":"internal"`) {
		t.Errorf("POST on a full disk: %d %s, want 500", code, body)
	}
	code, body := httpDo(t, "GET", base+"/healthz", "", "")
	if code != 200 || !strings.Contains(body, `"status":"degraded"`) || !strings.Contains(body, "no space left on device") {
		t.Errorf("/healthz on a full disk: %d %s", code, body)
	}
	if code, body := httpDo(t, "GET", base+"/api/search?q=diffusion", "", ""); code != 200 {
		t.Errorf("search on a full disk: %d %s", code, body)
	}
	// Removing the filler alone may free too little: the failed load
	// above can have filled the disk to the last block itself. Growing
	// the volume is the other way an operator frees space.
	os.Remove(filler)
	if out, err := exec.Command("mount", "-o", "remount,size=16m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("grow the tmpfs: %v %s", err, out)
	}
	waitFor(t, 30*time.Second, "a write to succeed once space is freed", func() bool {
		code, _ := post("2503.90002")
		return code == 200
	})
	if code := stopProc(t, srv); code != 0 {
		t.Errorf("serve exit %d", code)
	}
}

// crashCorpusPrefix writes the first n lines of corpus to a file of their
// own and returns its path.
func crashCorpusPrefix(t *testing.T, corpus string, n int) string {
	t.Helper()
	b, err := os.ReadFile(corpus)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	path := filepath.Join(t.TempDir(), "first.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines[:min(n, len(lines))], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Without root there is no tmpfs; a store directory that cannot be
// written to gives the same error path: a clear error, no hang, the
// acknowledged papers intact.
func TestWriteErrorInjected(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("root writes through directory permissions; TestDiskFull covers write errors")
	}
	corpus, ids := crashCorpus(t, 100)
	dir := filepath.Join(t.TempDir(), "index")
	p, code := runProc(t, nil, nil, "index", "--index", dir, "--batch", "25", "--log-commits", corpus)
	if code != 0 {
		t.Fatalf("first run: exit %d", code)
	}
	acked := acknowledged(t, p.stderr.String(), ids)
	store := filepath.Join(dir, "store")
	if err := os.Chmod(store, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(store, 0o700)
	more := filepath.Join(t.TempDir(), "more.jsonl")
	os.WriteFile(more, []byte(`{"id":"2503.90003","title":"One more"}`+"\n"), 0o644)
	p, code = runProc(t, nil, nil, "index", "--index", dir, "--log-commits", more)
	if code == 0 || !strings.Contains(p.stderr.String(), "permission denied") {
		t.Errorf("index into a read-only store: exit %d\n%s", code, p.stderr)
	}
	os.Chmod(store, 0o700)
	checkAcknowledged(t, dir, acked)
}

// httpDo sends a request with an optional admin key and body.
func httpDo(t *testing.T, method, url, key, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	// A bound on the whole exchange turns a hang into a failure.
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
