package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/papersearch/papersearch/indexer"
	"github.com/papersearch/papersearch/search"
)

// corpus is the demo corpus built into the binary: real arXiv papers.
const corpus = "../cmd/papersearch/demo/arxiv-sample.jsonl.bz2"

func readJSONLines[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	return out
}

func TestRunCorpus(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{
		Corpus: corpus, Docs: 300, Clients: 2, Duration: 300 * time.Millisecond, Seed: 1,
		Emit: filepath.Join(dir, "corpus.jsonl"), EmitQueries: filepath.Join(dir, "queries.jsonl"),
		Keep: filepath.Join(dir, "index"),
	}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Docs != 300 || rep.BuildSeconds <= 0 || rep.DocsPerSec <= 0 || rep.IndexBytes <= 0 {
		t.Errorf("build figures: %+v", rep)
	}
	if _, err := os.Stat("/proc/self/status"); err == nil && rep.PeakRSSBytes == 0 {
		t.Error("no peak RSS on a system with /proc")
	}
	if rep.Queries == 0 || rep.QPS <= 0 || !(rep.P50Ms > 0 && rep.P50Ms <= rep.P95Ms && rep.P95Ms <= rep.P99Ms) || rep.Failed != 0 {
		t.Errorf("query figures: %+v", rep)
	}

	// Past the server's deadline a query fails, as serve would answer it
	// (504), and the run goes on.
	slow, err := Run(context.Background(), Config{Corpus: corpus, Docs: 300, Clients: 2, Duration: 100 * time.Millisecond, Seed: 1, Index: cfg.Keep, SearchTimeout: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if slow.Queries == 0 || slow.Failed != slow.Queries {
		t.Errorf("with a 1 ns deadline: %d of %d queries failed, want all", slow.Failed, slow.Queries)
	}

	// Every query of the mix carries Facets: a value the API refuses ends
	// the run with its 400, one it takes runs the mix.
	for _, tt := range []struct {
		facets, wantErr string
	}{{"topic,year", ""}, {"none", ""}, {"authors", "facets must be none, or some of topic, year, category"}} {
		rep, err := Run(context.Background(), Config{Corpus: corpus, Docs: 300, Duration: 50 * time.Millisecond, Seed: 1, Index: cfg.Keep, Facets: tt.facets})
		switch {
		case tt.wantErr == "" && (err != nil || rep.Queries == 0 || rep.Failed != 0):
			t.Errorf("facets %q: %+v, %v", tt.facets, rep, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("facets %q: error %v, want one saying %s", tt.facets, err, tt.wantErr)
		}
	}

	// Querying an existing index synthesizes and writes nothing: the
	// corpus gives the same mix.
	again := filepath.Join(dir, "again")
	rep, err = Run(context.Background(), Config{Corpus: corpus, Docs: 300, Synthesize: 2000, Emit: again + ".jsonl",
		EmitQueries: again + "-queries.jsonl", Duration: 100 * time.Millisecond, Seed: 1, Index: cfg.Keep})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Docs != 300 || rep.Queries == 0 {
		t.Errorf("querying the kept index: %+v", rep)
	}
	if _, err := os.Stat(again + ".jsonl"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("querying an existing index wrote a corpus (%v)", err)
	}
	if a, b := readJSONLines[Query](t, cfg.EmitQueries), readJSONLines[Query](t, again+"-queries.jsonl"); !slices.Equal(a, b) {
		t.Error("querying an existing index drew another mix")
	}

	papers := readJSONLines[search.Paper](t, cfg.Emit)
	if len(papers) != 300 {
		t.Fatalf("emitted %d papers, want 300", len(papers))
	}
	tagged := 0
	for _, p := range papers {
		if len(p.Topics) > 0 {
			tagged++
		}
	}
	if tagged == 0 {
		t.Error("the emitted corpus has no topics")
	}

	mix := readJSONLines[Query](t, cfg.EmitQueries)
	if len(mix) != mixSize {
		t.Fatalf("emitted %d queries, want %d", len(mix), mixSize)
	}
	withTopic := 0
	for _, q := range mix {
		if n := len(strings.Fields(q.Q)); n < 1 || n > 3 {
			t.Errorf("query %q has %d words, want 1 to 3", q.Q, n)
		}
		if q.Topic != "" {
			withTopic++
		}
	}
	if share := float64(withTopic) / float64(len(mix)); share < 0.25 || share > 0.35 {
		t.Errorf("%.0f%% of queries filter by topic, want about 30%%", share*100)
	}

	// The kept index is a real one that the product can open.
	idx, err := search.Open(cfg.Keep, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if n, _ := idx.Count(); n != 300 {
		t.Errorf("kept index has %d papers, want 300", n)
	}
}

func TestRunSynthetic(t *testing.T) {
	dir := t.TempDir()
	emit := filepath.Join(dir, "synthetic.jsonl")
	rep, err := Run(context.Background(), Config{Corpus: corpus, Docs: 500, Synthesize: 400, Emit: emit, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Docs != 400 || rep.Queries != 0 {
		t.Errorf("report %+v, want 400 papers and no queries (zero duration)", rep)
	}
	papers := readJSONLines[search.Paper](t, emit)
	if len(papers) != 400 {
		t.Fatalf("emitted %d papers, want 400", len(papers))
	}
	ids := map[string]bool{}
	for _, p := range papers {
		if ids[p.ID] {
			t.Errorf("id %s appears twice", p.ID)
		}
		ids[p.ID] = true
		if indexer.ArxivID(p.ID) != p.ID {
			t.Errorf("id %q does not look like an arXiv id", p.ID)
		}
		if len(strings.Fields(p.Title)) == 0 || len(strings.Fields(p.Abstract)) < 10 {
			t.Errorf("paper %s: title %q, abstract of %d words", p.ID, p.Title, len(strings.Fields(p.Abstract)))
		}
		if p.AuthorCount != len(p.Authors) || len(p.Categories) == 0 || len(p.Published) != 10 {
			t.Errorf("paper %s: authors %d/%d, categories %q, published %q", p.ID, len(p.Authors), p.AuthorCount, p.Categories, p.Published)
		}
	}
}

func TestSynthesizeIsSeeded(t *testing.T) {
	l := newLearner()
	err := readCorpus(context.Background(), corpus, 200, func(p *search.Paper) error { l.add(p); return nil })
	if err != nil {
		t.Fatal(err)
	}
	m, err := l.model()
	if err != nil {
		t.Fatal(err)
	}
	draw := func(seed uint64) []search.Paper {
		var out []search.Paper
		err := m.Synthesize(context.Background(), 3*synthChunk/2, seed, nil, func(p *search.Paper) error {
			out = append(out, *p)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b, c := draw(1), draw(1), draw(2)
	same := func(x, y []search.Paper) bool {
		return slices.EqualFunc(x, y, func(p, q search.Paper) bool {
			return p.ID == q.ID && p.Title == q.Title && p.Abstract == q.Abstract && slices.Equal(p.Authors, q.Authors)
		})
	}
	if !same(a, b) {
		t.Error("the same seed gave different papers")
	}
	if same(a, c) {
		t.Error("different seeds gave the same papers")
	}
}

func TestSlowest(t *testing.T) {
	mix := []Query{{Q: "a"}, {Q: "b", Topic: "pruning"}, {Q: "c"}, {Q: "d"}, {Q: "e"}}
	ms := time.Millisecond
	for _, c := range []struct {
		longest []time.Duration
		n       int
		want    []SlowQuery
	}{
		{[]time.Duration{ms, 5 * ms, 0, 3 * ms, 5 * ms}, 3, []SlowQuery{{mix[1], 5}, {mix[4], 5}, {mix[3], 3}}},
		// Queries that never ran are left out, however many are asked for.
		{[]time.Duration{0, 2 * ms, 0, 0, 0}, 3, []SlowQuery{{mix[1], 2}}},
		{[]time.Duration{ms, 2 * ms, 3 * ms, 4 * ms, 5 * ms}, 0, nil},
	} {
		if got := slowest(mix, c.longest, c.n); !slices.Equal(got, c.want) {
			t.Errorf("slowest(%v, %d) = %v, want %v", c.longest, c.n, got, c.want)
		}
	}
}

func TestPercentile(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want float64
	}{{0.5, 50}, {0.95, 95}, {0.99, 99}, {1, 100}} {
		if got := percentileMs(lat, c.p); got != c.want {
			t.Errorf("p%.0f = %v ms, want %v", c.p*100, got, c.want)
		}
	}
}
