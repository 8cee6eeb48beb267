package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/papersearch/papersearch/api"
	"github.com/papersearch/papersearch/search"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The XSS payloads that testdata/papers.jsonl puts in one paper's title,
// abstract and authors.
const (
	scriptTag = "<script>alert(1)</script>"
	imgTag    = "<img src=x onerror=alert(1)>"
	idXSS     = "2206.00006"
	idOld     = "hep-th/9901001"
)

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// loadPapers reads testdata/papers.jsonl: papers in their public JSON form.
func loadPapers(t testing.TB) []search.Paper {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "papers.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []search.Paper
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var p search.Paper
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("testdata/papers.jsonl: %v", err)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func paperByID(t testing.TB, id string) search.Paper {
	t.Helper()
	for _, p := range loadPapers(t) {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("no paper %s in testdata", id)
	return search.Paper{}
}

func loadTopics(t testing.TB) []search.Topic {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "topics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ts []search.Topic
	if err := json.Unmarshal(b, &ts); err != nil {
		t.Fatal(err)
	}
	return ts
}

// newIndex opens an index in t.TempDir() holding the testdata papers and
// taxonomy.
func newIndex(t testing.TB) *search.Index {
	t.Helper()
	idx, err := search.Open(filepath.Join(t.TempDir(), "index"), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	if err := idx.Put(loadPapers(t)); err != nil {
		t.Fatal(err)
	}
	if err := idx.SetTopics(loadTopics(t)); err != nil {
		t.Fatal(err)
	}
	return idx
}

// newHandler returns the real router on a real index; the taxonomy comes
// from the index, as it does in `papersearch serve`.
func newHandler(t testing.TB) http.Handler {
	t.Helper()
	h, err := api.New(api.Config{Index: newIndex(t), Log: testLogger(t)})
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	return h
}

func do(t testing.TB, h http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

// page fetches an HTML page, checks its status and content type, and parses it.
func page(t testing.TB, h http.Handler, target string, wantStatus int) *goquery.Document {
	t.Helper()
	w := do(t, h, http.MethodGet, target)
	if w.Code != wantStatus {
		t.Fatalf("GET %s: status %d, want %d; body:\n%s", target, w.Code, wantStatus, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("GET %s: Content-Type %q, want text/html", target, ct)
	}
	doc, err := goquery.NewDocumentFromReader(w.Body)
	if err != nil {
		t.Fatalf("GET %s: parse HTML: %v", target, err)
	}
	return doc
}

func texts(s *goquery.Selection) []string {
	return s.Map(func(_ int, s *goquery.Selection) string { return squash(s.Text()) })
}

func attrs(s *goquery.Selection, name string) []string {
	return s.Map(func(_ int, s *goquery.Selection) string { return s.AttrOr(name, "") })
}

// squash folds white space runs as a browser shows them.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

var tookMS = regexp.MustCompile(`"took_ms":[0-9.eE+-]+`)

// normalizeJSON zeroes the one field that varies from run to run.
func normalizeJSON(b []byte) []byte {
	return tookMS.ReplaceAll(b, []byte(`"took_ms":0`))
}

// checkGolden compares a JSON body, normalised and indented, with
// testdata/name.golden; -update rewrites the file.
func checkGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	// Indent keeps string contents byte for byte, so the golden file also
	// shows that <mark> is sent as is, not as \u003c.
	if err := json.Indent(&buf, normalizeJSON(body), "", "  "); err != nil {
		t.Fatalf("%s: body is not JSON: %v\n%s", name, err, body)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("body differs from %s (run go test -update if the change is intended):\n got: %s\nwant: %s", path, buf.Bytes(), want)
	}
}
