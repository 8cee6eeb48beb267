package indexer

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readSource opens a source and parses it with the format Detect picks.
func readSource(t *testing.T, s Source) (format string, papers int) {
	t.Helper()
	rc, err := s.Open(context.Background())
	if err != nil {
		t.Fatalf("open %s: %v", s.Name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", s.Name, err)
	}
	f, err := Detect(data[:min(len(data), 8<<10)])
	if err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	got := parseBytes(t, f.Parse, s.Name, data)
	return f.Name, len(got.papers)
}

func TestExpandSources(t *testing.T) {
	dir := t.TempDir()
	daily := readFixture(t, "testdata/hf/daily_papers-2024-05-27.json")
	writeFile(t, filepath.Join(dir, "in/daily.json"), daily)
	writeFile(t, filepath.Join(dir, "in/sub/snapshot.jsonl.gz"), gzipBytes(t, readFixture(t, snapshotSample)))
	writeFile(t, filepath.Join(dir, "in/sub/feed.xml"), readFixture(t, atomOldID))
	writeFile(t, filepath.Join(dir, "in/README.txt"), []byte("notes, not papers\n"))
	// It names what feeds hold, but it is not one.
	writeFile(t, filepath.Join(dir, "in/README.md"), []byte("# Feeds\n\n`<feed>` documents from export.arxiv.org/api/query; `<OAI-PMH>` ones from /oai2.\n"))
	writeFile(t, filepath.Join(dir, "in/empty.json"), nil)
	writeFile(t, filepath.Join(dir, "in/.cache/daily.json"), daily)
	writeFile(t, filepath.Join(dir, "in/.daily.json"), daily)
	writeFile(t, filepath.Join(dir, "nothing/README.txt"), []byte("nothing to read\n"))
	one := filepath.Join(dir, "one.txt") // named files are kept whatever they hold
	writeFile(t, one, readFixture(t, "testdata/oai/getrecord-arxiv.xml"))

	stdin := bytes.NewReader(readFixture(t, arxivOldPage))
	args := []string{filepath.Join(dir, "in"), filepath.Join(dir, "missing.json"), "-", filepath.Join(dir, "nothing"), one, "-"}
	sources, err := ExpandSources(args, stdin, nil)

	var names []string
	for _, s := range sources {
		names = append(names, s.Name)
	}
	wantNames := []string{
		filepath.Join(dir, "in/daily.json"), filepath.Join(dir, "in/sub/feed.xml"), filepath.Join(dir, "in/sub/snapshot.jsonl.gz"), "-", one,
	}
	if !slices.Equal(names, wantNames) {
		t.Errorf("sources = %q, want %q", names, wantNames)
	}
	for _, want := range []string{"missing.json: no such file", "nothing: no file in a format papersearch reads", "standard input can be read only once",
		"in: skipped 3 files that no format recognises: README.md, README.txt, empty.json"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want it to mention %q", err, want)
		}
	}
	// The files left out are a note, which a caller can tell from failures.
	var skipped *SkippedFiles
	if !errors.As(err, &skipped) || skipped.Dir != filepath.Join(dir, "in") || len(skipped.Files) != 3 {
		t.Errorf("error %v does not hold the SkippedFiles of %s", err, filepath.Join(dir, "in"))
	}

	wantRead := map[string]struct {
		format string
		papers int
	}{
		wantNames[0]: {"hf-api", 13}, wantNames[1]: {"arxiv-atom", 1}, wantNames[2]: {"arxiv-snapshot", 200},
		"-": {"arxiv-listing", 3}, one: {"arxiv-oai", 1},
	}
	for _, s := range sources {
		format, papers := readSource(t, s)
		if w := wantRead[s.Name]; format != w.format || papers != w.papers {
			t.Errorf("%s: read %d papers as %s, want %d as %s", s.Name, papers, format, w.papers, w.format)
		}
		if s.Name != "-" && (s.Size <= 0 || s.BytesRead() != s.Size) {
			t.Errorf("%s: read %d of %d bytes", s.Name, s.BytesRead(), s.Size)
		}
	}
}

func TestSkippedFilesError(t *testing.T) {
	for _, tt := range []struct {
		files []string
		want  string
	}{
		{[]string{"README.md"}, "data: skipped 1 file that no format recognises: README.md (to read one anyway, pass it by name with --format)"},
		{[]string{"a", "b", "c", "d", "e", "f", "g"}, "data: skipped 7 files that no format recognises: a, b, c, d, e and 2 more (to read one anyway, pass it by name with --format)"},
	} {
		if got := (&SkippedFiles{Dir: "data", Files: tt.files}).Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// fixtureServer serves fixtures and misbehaves on request; it records the
// User-Agent of every request.
type fixtureServer struct {
	*httptest.Server
	mu     sync.Mutex
	agents []string
}

func newFixtureServer(t *testing.T) *fixtureServer {
	t.Helper()
	fs := &fixtureServer{}
	daily := readFixture(t, "testdata/hf/daily_papers-2024-05-27.json")
	snapshotGz := gzipBytes(t, readFixture(t, snapshotSample))
	mux := http.NewServeMux()
	mux.HandleFunc("/daily.json", func(w http.ResponseWriter, r *http.Request) { w.Write(daily) })
	mux.HandleFunc("/snapshot.jsonl.gz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/gzip")
		w.Write(snapshotGz)
	})
	mux.HandleFunc("/hop/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			w.Write(daily)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/busy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "10")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write(readFixture(t, oaiRetry503))
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(1<<20))
		w.Write(make([]byte, 1<<20))
	})
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("{}\n"), 1000)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("[{"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		fs.agents = append(fs.agents, r.UserAgent())
		fs.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(fs.Close)
	return fs
}

func TestURLSources(t *testing.T) {
	srv := newFixtureServer(t)
	// The server is on loopback, which the default client refuses to reach.
	sources, err := ExpandSources([]string{srv.URL + "/daily.json", srv.URL + "/snapshot.jsonl.gz", srv.URL + "/hop/5"}, nil, NewHTTPClient())
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		format string
		papers int
	}{{"hf-api", 13}, {"arxiv-snapshot", 200}, {"hf-api", 13}} {
		format, papers := readSource(t, sources[i])
		if format != want.format || papers != want.papers {
			t.Errorf("%s: read %d papers as %s, want %d as %s", sources[i].Name, papers, format, want.papers, want.format)
		}
		if sources[i].Size != -1 || sources[i].BytesRead() == 0 {
			t.Errorf("%s: size %d, read %d; want -1 and more than 0", sources[i].Name, sources[i].Size, sources[i].BytesRead())
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.agents) != 8 { // 1 + 1 + 6 hops
		t.Errorf("server saw %d requests, want 8", len(srv.agents))
	}
	for _, a := range srv.agents {
		if a != UserAgent {
			t.Errorf("User-Agent = %q, want %q", a, UserAgent)
		}
	}
}

func TestURLSourceFailures(t *testing.T) {
	srv := newFixtureServer(t)
	client := NewHTTPClient()
	tests := []struct {
		name  string
		path  string
		limit int64
		idle  time.Duration
		want  string // in the error from opening or reading
		is    error
	}{
		{"too many redirects", "/hop/6", MaxFetchSize, time.Minute, "stopped after 5 redirects", nil},
		{"not found", "/nowhere", MaxFetchSize, time.Minute, "HTTP 404 Not Found", nil},
		{"busy", "/busy", MaxFetchSize, time.Minute, "HTTP 503 Service Unavailable: the server asks to retry after 10", nil},
		{"declared too large", "/big", 1 << 10, time.Minute, "1048576 bytes, the cap is 0 MiB", ErrTooLarge},
		{"streams too much", "/endless", 64 << 10, time.Minute, "larger than the size cap", ErrTooLarge},
		{"stalls", "/stall", MaxFetchSize, 100 * time.Millisecond, "the server stopped sending for 100ms", errStalled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := fetch(context.Background(), client, srv.URL+tt.path, tt.limit, tt.idle)
			if err == nil {
				_, err = io.ReadAll(rc)
				rc.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), srv.URL) {
				t.Errorf("error %q does not name the URL", err)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		src := urlSource(client, srv.URL+"/daily.json", MaxFetchSize)
		if _, err := src.Open(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
	})
}

func TestSourceZeroValue(t *testing.T) {
	var s Source
	if _, err := s.Open(context.Background()); err == nil {
		t.Error("a zero Source opened")
	}
	if s.BytesRead() != 0 {
		t.Error("a zero Source has read bytes")
	}
}

// A compressed file cut short yields every whole line before the cut, then
// one error at the line the cut broke that says the file is truncated.
func TestTruncatedCompressedSource(t *testing.T) {
	head50, err := os.ReadFile("testdata/jsonl/arxiv-daily-cs-head50.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(head50)
	zw.Close()
	bz, err := os.ReadFile("../cmd/papersearch/demo/arxiv-sample.jsonl.bz2")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, kind string
		data       []byte
	}{
		{"gzip", "gzip", gz.Bytes()[:gz.Len()/2]},
		{"bzip2", "bzip2", bz[:len(bz)*2/3]}, // cut in its second block
	}
	// Cut inside its first block, bzip2 fails a checksum instead: no line
	// is whole, and the error says the file may be truncated.
	path := filepath.Join(t.TempDir(), "cut1")
	if err := os.WriteFile(path, bz[:len(bz)/10], 0o644); err != nil {
		t.Fatal(err)
	}
	if rc, err := OpenSource(path, nil); err != nil {
		if !strings.Contains(err.Error(), "the bzip2 data is damaged: the file is truncated or corrupt") {
			t.Errorf("bzip2 cut in its first block: %v", err)
		}
	} else {
		defer rc.Close()
		seq, err := Parse(rc, "cut1", "")
		if err == nil {
			var errs []error
			for _, err := range seq {
				if err != nil {
					errs = append(errs, err)
				}
			}
			if len(errs) > 0 {
				err = errs[len(errs)-1]
			}
		}
		if err == nil || !strings.Contains(err.Error(), "the bzip2 data is damaged: the file is truncated or corrupt") {
			t.Errorf("bzip2 cut in its first block: %v", err)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cut")
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			rc, err := OpenSource(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			papers, errs := collect(t, ParseJSON(rc, "cut"))
			if len(papers) == 0 || len(errs) != 1 {
				t.Fatalf("%d papers, errors %v; want some papers, then one error", len(papers), errs)
			}
			if e := errs[0]; e.Line != len(papers)+1 || !strings.Contains(e.Error(), "the "+tt.kind+" data ends early, so the file is truncated") {
				t.Errorf("after %d papers: %v; want it at line %d, saying the file is truncated", len(papers), e, len(papers)+1)
			}
		})
	}
}

// A directory walk keeps a UTF-16 file, as index reads it.
func TestExpandSourcesUTF16(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "papers.json"), readFixture(t, "testdata/jsonl/arxiv-daily-cs-head3.utf16.jsonl"), 0o644); err != nil {
		t.Fatal(err)
	}
	srcs, err := ExpandSources([]string{dir}, nil, nil)
	if err != nil || len(srcs) != 1 {
		t.Errorf("sources %v, error %v; want the UTF-16 file", srcs, err)
	}
}
