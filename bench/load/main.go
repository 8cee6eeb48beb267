// Command load measures papersearch serve under load: it indexes real
// arXiv papers, starts the real server on loopback, drives it with a mix
// of realistic requests from concurrent clients for a fixed time, and
// reports requests per second, latency percentiles, errors and the
// server's peak memory. A second pass adds clients that loop the most
// expensive requests the limits allow, to show what they cost the others.
//
// It is a tool, not a test: run it by hand, on a quiet machine if the
// numbers are to mean much.
//
//	go run ./bench/load -papers 50000 -duration 20s
//
// The index is kept (see -index) so that later runs skip indexing.
package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	data := flag.String("data", "../shared/data/arxiv-daily-listings/arxiv-daily-cs-2025-03-18_2026-07-01.jsonl.gz", "JSON lines (gzip) of papers")
	papers := flag.Int("papers", 50000, "papers to index")
	indexDir := flag.String("index", filepath.Join(os.TempDir(), "papersearch-load-index"), "index directory; reused when it holds enough papers")
	duration := flag.Duration("duration", 20*time.Second, "length of each measured run")
	warmup := flag.Duration("warmup", 3*time.Second, "unmeasured load before each run")
	clientList := flag.String("clients", "8,32", "concurrent clients of each run")
	expensive := flag.Int("expensive", 4, "clients looping expensive requests in the second pass (0: skip it)")
	bin := flag.String("bin", "", "papersearch binary (default: go build ./cmd/papersearch)")
	seed := flag.Uint64("seed", 1, "seed of the request mix")
	flag.Parse()
	log.SetFlags(0)

	var clients []int
	for c := range strings.SplitSeq(*clientList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			log.Fatalf("-clients: %q is not a positive number", c)
		}
		clients = append(clients, n)
	}
	if *bin == "" {
		*bin = filepath.Join(os.TempDir(), "papersearch-load-bin")
		run("go", "build", "-o", *bin, "./cmd/papersearch")
	}
	corpus := loadCorpus(*data, *papers)
	ensureIndex(*bin, *indexDir, corpus, *papers)

	srv := startServer(*bin, *indexDir)
	defer srv.stop()
	mix := buildMix(corpus, srv.base, *seed)
	log.Printf("request mix: %d distinct requests; GOMAXPROCS of this process %d; machine %s", len(mix), maxProcs(), cpuInfo())

	fmt.Println("| clients | expensive loops | requests | req/s | p50 ms | p99 ms | max ms | 5xx | 429 | other errors | expensive done (504) | peak RSS MiB |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, c := range clients {
		base := srv.measure(mix, c, 0, *warmup, *duration)
		fmt.Println(base.row())
		if *expensive > 0 {
			loaded := srv.measure(mix, c, *expensive, *warmup, *duration)
			fmt.Println(loaded.row())
			fmt.Printf("|   | p99 with expensive loops / without: %.2fx |\n", loaded.p99/base.p99)
		}
	}
}

func maxProcs() int { return runtime.GOMAXPROCS(0) }

// cpuInfo names the processor and counts its cores, for the report.
func cpuInfo() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	model := "unknown CPU"
	if m := regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`).FindSubmatch(b); m != nil {
		model = string(m[1])
	}
	return fmt.Sprintf("%d cores, %s", runtime.NumCPU(), model)
}

func run(name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
}

// paper is what the mix needs of a paper.
type paper struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Categories []string `json:"categories"`
	raw        []byte
}

func loadCorpus(path string, n int) []paper {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		log.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 16<<20)
	var out []paper
	for sc.Scan() && len(out) < n {
		var p paper
		if json.Unmarshal(sc.Bytes(), &p) != nil || p.Title == "" {
			continue
		}
		p.raw = slices.Clone(sc.Bytes())
		out = append(out, p)
	}
	if len(out) < n {
		log.Fatalf("%s has %d papers, want %d", path, len(out), n)
	}
	return out
}

// ensureIndex indexes the corpus unless dir already holds it.
func ensureIndex(bin, dir string, corpus []paper, n int) {
	if out, err := exec.Command(bin, "topics", "--index", dir).Output(); err == nil {
		if m := regexp.MustCompile(`(\d+)\s+papers in the index`).FindSubmatch(out); m != nil {
			if have, _ := strconv.Atoi(string(m[1])); have >= n {
				log.Printf("reusing %s (%d papers)", dir, have)
				return
			}
		}
	}
	os.RemoveAll(dir)
	tmp, err := os.CreateTemp("", "papersearch-load-*.jsonl")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	for _, p := range corpus {
		w.Write(p.raw)
		w.WriteByte('\n')
	}
	w.Flush()
	tmp.Close()
	start := time.Now()
	log.Printf("indexing %d papers into %s", n, dir)
	run(bin, "index", "--index", dir, tmp.Name())
	secs := time.Since(start).Seconds()
	log.Printf("indexed %d papers in %.1f s (%.0f papers/s)", n, secs, float64(n)/secs)
}

type server struct {
	cmd  *exec.Cmd
	base string
}

func startServer(bin, dir string) *server {
	cmd := exec.Command(bin, "serve", "--index", dir, "--addr", "127.0.0.1:0", "--rate-limit", "0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		log.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		log.Fatalf("serve: %v", err)
	}
	m := regexp.MustCompile(`at http://localhost:(\d+)/`).FindStringSubmatch(line)
	if m == nil {
		log.Fatalf("serve printed %q", line)
	}
	go io.Copy(io.Discard, stdout)
	log.Print(strings.TrimSpace(line))
	return &server{cmd: cmd, base: "http://127.0.0.1:" + m[1]}
}

func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	s.cmd.Wait()
}

// resetPeakRSS starts a new peak-memory measurement of the server
// (Linux: writing 5 to clear_refs resets VmHWM).
func (s *server) resetPeakRSS() {
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", s.cmd.Process.Pid), []byte("5"), 0)
}

func (s *server) peakRSS() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	kb, _ := strconv.Atoi(string(m[1]))
	return float64(kb) / 1024
}

// buildMix makes the requests the clients send, in proportions that
// follow how people use the page and the API: mostly one to three words,
// often with a facet, a year range or a later page; some paper look-ups.
func buildMix(corpus []paper, base string, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var words []string
	stop := map[string]bool{"the": true, "and": true, "for": true, "with": true, "from": true, "via": true, "of": true, "in": true, "on": true, "a": true, "an": true, "to": true, "by": true, "is": true, "are": true, "at": true, "as": true, "its": true}
	for _, p := range corpus[:min(len(corpus), 5000)] {
		for w := range strings.FieldsSeq(strings.ToLower(p.Title)) {
			w = strings.Trim(w, ".,:;()[]{}\"'?!")
			if len(w) > 3 && !stop[w] && !strings.ContainsAny(w, "$\\{}") {
				words = append(words, w)
			}
		}
	}
	topics := topicSlugs(base)
	years := []string{"2025", "2026"}
	sorts := []string{"newest", "oldest", "upvotes"}
	query := func() string {
		n := 1 + rng.IntN(3)
		var q []string
		for range n {
			q = append(q, words[rng.IntN(len(words))])
		}
		return strings.Join(q, " ")
	}
	var mix []string
	for range 5000 {
		v := url.Values{}
		path := "/api/search"
		switch r := rng.IntN(100); {
		case r < 40: // plain query
			v.Set("q", query())
		case r < 50: // query within a topic
			v.Set("q", query())
			v.Add("topic", topics[rng.IntN(len(topics))])
		case r < 58: // query within years
			v.Set("q", query())
			v.Set("year_from", years[rng.IntN(len(years))])
		case r < 66: // browsing a topic, newest first
			v.Add("topic", topics[rng.IntN(len(topics))])
			if rng.IntN(2) == 0 {
				v.Add("topic", topics[rng.IntN(len(topics))])
			}
		case r < 74: // a later page
			v.Set("q", query())
			v.Set("page", strconv.Itoa(2+rng.IntN(4)))
		case r < 78: // another order
			v.Set("q", query())
			v.Set("sort", sorts[rng.IntN(len(sorts))])
		case r < 80: // bigger pages
			v.Set("q", query())
			v.Set("size", "50")
		case r < 92: // the HTML page
			path = "/"
			v.Set("q", query())
			if rng.IntN(3) == 0 {
				v.Add("topic", topics[rng.IntN(len(topics))])
			}
		default: // one paper
			mix = append(mix, base+"/api/papers/"+url.PathEscape(corpus[rng.IntN(len(corpus))].ID))
			continue
		}
		mix = append(mix, base+path+"?"+v.Encode())
	}
	return mix
}

// expensiveRequests are the costliest requests the limits let through:
// the deepest window sorted by a field, 32 common words with phrases,
// every filter at once, and a match-all sorted deep.
func expensiveRequests(base string, topics []string) []string {
	common := "model models learning language large based data neural network networks deep method methods approach using via training performance tasks framework results show propose novel efficient image vision generation multimodal reasoning benchmark evaluation"
	all := url.Values{}
	all.Set("q", "model learning")
	for _, t := range topics[:min(len(topics), 20)] {
		all.Add("topic", t)
	}
	return []string{
		base + "/api/search?sort=upvotes&page=100&size=100",
		base + "/api/search?" + url.Values{"q": {common}}.Encode(),
		base + "/api/search?" + url.Values{"q": {common}, "page": {"100"}, "size": {"100"}, "sort": {"newest"}}.Encode(),
		base + "/api/search?" + all.Encode(),
	}
}

func topicSlugs(base string) []string {
	resp, err := http.Get(base + "/api/topics")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Topics []struct {
			Slug string `json:"slug"`
		} `json:"topics"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		log.Fatal(err)
	}
	var out []string
	for _, t := range body.Topics {
		out = append(out, t.Slug)
	}
	return out
}

type result struct {
	clients, expensive               int
	n                                int
	rps, p50, p99, max               float64
	fivexx, tooMany, otherErr        int
	expensiveDone, expensiveTimeouts int64
	rss                              float64
}

func (r result) row() string {
	return fmt.Sprintf("| %d | %d | %d | %.0f | %.1f | %.1f | %.1f | %d | %d | %d | %d (%d) | %.0f |",
		r.clients, r.expensive, r.n, r.rps, r.p50, r.p99, r.max, r.fivexx, r.tooMany, r.otherErr, r.expensiveDone, r.expensiveTimeouts, r.rss)
}

// measure runs clients (and expensive loops) for warmup, then for d while
// recording, and returns what the recorded requests saw.
func (s *server) measure(mix []string, clients, expensive int, warmup, d time.Duration) result {
	tr := &http.Transport{MaxIdleConnsPerHost: clients + expensive, MaxIdleConns: clients + expensive}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	get := func(u string) (int, error) {
		resp, err := hc.Get(u)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}

	ctx, cancel := context.WithCancel(context.Background())
	var recording atomic.Bool
	var next atomic.Int64
	type sample struct {
		ms     float64
		status int
		err    error
	}
	var mu sync.Mutex
	var samples []sample
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			var local []sample
			for ctx.Err() == nil {
				u := mix[int(next.Add(1))%len(mix)]
				start := time.Now()
				st, err := get(u)
				if recording.Load() && ctx.Err() == nil {
					local = append(local, sample{float64(time.Since(start).Microseconds()) / 1000, st, err})
				}
			}
			mu.Lock()
			samples = append(samples, local...)
			mu.Unlock()
		})
	}
	var expDone, expTimeouts atomic.Int64
	exp := expensiveRequests(s.base, topicSlugs(s.base))
	for i := range expensive {
		wg.Go(func() {
			for j := i; ctx.Err() == nil; j++ {
				st, err := get(exp[j%len(exp)])
				if recording.Load() && err == nil {
					expDone.Add(1)
					if st == http.StatusGatewayTimeout {
						expTimeouts.Add(1)
					}
				}
			}
		})
	}
	time.Sleep(warmup)
	s.resetPeakRSS()
	recording.Store(true)
	start := time.Now()
	time.Sleep(d)
	recording.Store(false)
	elapsed := time.Since(start)
	rss := s.peakRSS()
	cancel()
	wg.Wait()

	r := result{clients: clients, expensive: expensive, n: len(samples), rss: rss,
		expensiveDone: expDone.Load(), expensiveTimeouts: expTimeouts.Load()}
	var ms []float64
	codes := map[string]int{}
	for _, s := range samples {
		switch {
		case s.err != nil:
			codes[s.err.Error()]++
		case s.status != http.StatusOK:
			codes[strconv.Itoa(s.status)]++
		}
		switch {
		case s.err != nil:
			if !errors.Is(s.err, context.Canceled) {
				r.otherErr++
			}
		case s.status >= 500:
			r.fivexx++
		case s.status == http.StatusTooManyRequests:
			r.tooMany++
		case s.status >= 400 && s.status != http.StatusNotFound:
			r.otherErr++
		}
		ms = append(ms, s.ms)
	}
	slices.Sort(ms)
	pct := func(p float64) float64 {
		if len(ms) == 0 {
			return 0
		}
		return ms[min(len(ms)-1, int(p*float64(len(ms))))]
	}
	if len(codes) > 0 {
		log.Printf("clients %d, expensive %d: answers other than 200: %v", clients, expensive, codes)
	}
	r.rps = float64(len(samples)) / elapsed.Seconds()
	r.p50, r.p99 = pct(0.50), pct(0.99)
	if len(ms) > 0 {
		r.max = ms[len(ms)-1]
	}
	return r
}
