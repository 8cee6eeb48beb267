package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/papersearch/papersearch/api"
	"github.com/papersearch/papersearch/indexer"
	"github.com/papersearch/papersearch/search"
)

// newQueryServer serves an index of the search package's arXiv fixture
// through the real router.
func newQueryServer(t *testing.T) *httptest.Server {
	t.Helper()
	idx, err := search.Open(filepath.Join(t.TempDir(), "index"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	tax := indexer.DefaultTaxonomy()
	if err := idx.SetTopics(tax.Topics()); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join("..", "search", "testdata", "papers.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ix := indexer.New(idx, tax, nil)
	if err := ix.IndexReader(context.Background(), f, "papers.jsonl", ""); err != nil {
		t.Fatal(err)
	}
	if err := ix.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Index: idx})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

func TestSearchQueryLanguage(t *testing.T) {
	srv := newQueryServer(t)
	q := func(query string, extra ...string) string {
		v := url.Values{"q": {query}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return "/api/search?" + v.Encode()
	}
	tests := []struct {
		name, path string
		status     int
		has        []string // substrings of the body
		lacks      []string
	}{
		{"plain query keeps the core shape", q("pruning"), 200, []string{`"hits":[`}, []string{`"corrected_query"`, `"expansions"`, `"notices"`, `"explanation"`}},
		{"typo corrected", q("quantizaton"), 200, []string{`"corrected_query":"quantization"`}, nil},
		{"typo kept with correct=false", q("quantizaton", "correct", "false"), 200, []string{`"total":0`}, []string{`"corrected_query"`}},
		{"acronym expanded", q("LLM"), 200, []string{`"expansions":[{"from":"LLM","to":[`, `"large language model"`}, nil},
		{"expand=false", q("LLM", "expand", "false"), 200, nil, []string{`"expansions"`}},
		{"repaired query", q(`"long context`), 200, []string{`"notices":["Ignored an unmatched quote`}, nil},
		{"lone minus", q(`quantization -`), 200, []string{`"notices":["Ignored a lone \"-\""]`}, nil},
		{"explain", q("knowledge distillation", "explain", "true"), 200, []string{`"explanation":[{"score":`, `"why":"term \"`}, nil},
		{"bad year is a 400", q("year:abc"), 400, []string{`{"error":{"code":"bad_request","message":"year:abc is not a year`}, nil},
		{"unknown topic is a 400", q("topic:astrology"), 400, []string{`"code":"bad_request"`, `no topic`}, nil},
		{"stop words only is a 400", q("the of"), 400, []string{`nothing to search for`}, nil},
		{"a short prefix says why it is nothing", q("a*"), 400, []string{`nothing to search for in \"a*\" (A prefix needs at least 3 letters; searched \"a\" as a word)`}, nil},
		{"bad switch is a 400", q("llm", "expand", "maybe"), 400, []string{`expand must be true or false`}, nil},
		{"suggest", "/api/suggest?q=quant", 200, []string{`"suggestions":[{"text":"Quantization","kind":"topic"`, `"kind":"word"`}, nil},
		{"suggest a phrase", "/api/suggest?q=large+lang", 200, []string{`"text":"large language","kind":"phrase"`}, nil},
		{"suggest nothing yet", "/api/suggest?q=q", 200, []string{`"suggestions":[]`}, nil},
		{"suggest bad size", "/api/suggest?q=quant&size=0", 400, []string{`"code":"bad_request"`}, nil},
		{"similar", "/api/papers/2506.11093/similar?size=3", 200, []string{`{"id":"2506.11093","hits":[{"id":"`}, []string{`"hits":[{"id":"2506.11093"`}},
		{"similar to an unknown paper", "/api/papers/hep-th/9901001/similar", 404, []string{`"code":"not_found"`}, nil},
		{"the paper itself still", "/api/papers/2506.11093", 200, []string{`"id":"2506.11093"`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, body := get(t, srv, tc.path)
			if st != tc.status {
				t.Fatalf("status %d, want %d: %s", st, tc.status, body)
			}
			if !json.Valid([]byte(body)) {
				t.Fatalf("body is not JSON: %s", body)
			}
			for _, s := range tc.has {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %s:\n%.600s", s, body)
				}
			}
			for _, s := range tc.lacks {
				if strings.Contains(body, s) {
					t.Errorf("body has %s:\n%.600s", s, body)
				}
			}
		})
	}
}

// The page says what the search did to the query: the correction with a
// way back to what was typed, the expansions, the repairs; a paper's page
// lists similar papers.
func TestPagesShowQueryFeatures(t *testing.T) {
	srv := newQueryServer(t)
	doc := func(t *testing.T, path string) *goquery.Document {
		t.Helper()
		st, body := get(t, srv, path)
		if st != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, st)
		}
		d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	t.Run("correction", func(t *testing.T) {
		d := doc(t, "/?q=quantizaton")
		if got := squash(d.Find("#corrected").Text()); got != "Showing results for quantization. Search instead for quantizaton" {
			t.Errorf("correction %q", got)
		}
		if got := d.Find("#corrected strong").Text(); got != "quantization" {
			t.Errorf("corrected query %q", got)
		}
		href, _ := d.Find("#corrected a").Attr("href")
		if u, err := url.Parse(href); err != nil || u.Path != "/" || u.Query().Get("q") != "quantizaton" || u.Query().Get("correct") != "false" {
			t.Errorf("search-as-typed link %q", href)
		}
		if got := squash(d.Find("#summary").Text()); !strings.HasSuffix(got, "for “quantization”") {
			t.Errorf("summary %q names the query as typed", got)
		}
		if d := doc(t, href); d.Find("#corrected").Length() != 0 {
			t.Error("correct=false still corrects")
		}
	})

	t.Run("expansions", func(t *testing.T) {
		d := doc(t, "/?q=LLM")
		if got := squash(d.Find("#expansions").Text()); !strings.HasPrefix(got, "Also searched: LLM → ") || !strings.Contains(got, "large language model") {
			t.Errorf("expansions %q", got)
		}
		if d := doc(t, "/?q=LLM&expand=false"); d.Find("#expansions").Length() != 0 {
			t.Error("expand=false still lists expansions")
		}
	})

	t.Run("repairs", func(t *testing.T) {
		d := doc(t, "/?q=%22long+context")
		if got := squash(d.Find("#main .notice").Text()); !strings.Contains(got, "Ignored an unmatched quote") {
			t.Errorf("notices %q", got)
		}
	})

	t.Run("similar papers", func(t *testing.T) {
		const id = "2506.11093"
		d := doc(t, "/papers/"+id)
		sec := d.Find(`section#similar[aria-labelledby="similar-h"]`)
		if got := sec.Find("h2#similar-h").Text(); got != "Similar papers" {
			t.Fatalf("similar section heading %q", got)
		}
		links := sec.Find(`li a[href^="/papers/"]`)
		if links.Length() == 0 {
			t.Fatal("no similar papers listed")
		}
		links.Each(func(_ int, a *goquery.Selection) {
			if href, _ := a.Attr("href"); href == "/papers/"+id {
				t.Error("the paper is listed as similar to itself")
			}
			if squash(a.Text()) == "" {
				t.Error("a similar paper without a title")
			}
		})
	})
}
