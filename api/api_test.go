package api_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/papersearch/papersearch/api"
	"github.com/papersearch/papersearch/search"
)

const jsonType = "application/json; charset=utf-8"

// Successful JSON responses, compared with golden files.
func TestJSONEndpoints(t *testing.T) {
	h := newHandler(t)
	tests := []struct {
		name   string
		target string
	}{
		{"search_query", "/api/search?q=pruning"},
		{"search_all", "/api/search"},
		{"search_filters", "/api/search?topic=pruning&topic=long-context&year_from=2024&sort=oldest&size=2"},
		{"search_page2", "/api/search?sort=upvotes&size=3&page=2"},
		{"search_category", "/api/search?q=models&category=cs.CL&year_to=2024"},
		{"search_no_hits", "/api/search?q=xylophone"},
		{"search_xss", "/api/search?q=alert"},
		{"paper", "/api/papers/2401.00001"},
		{"paper_old_style_id", "/api/papers/hep-th/9901001"},
		{"paper_xss", "/api/papers/2206.00006"},
		{"topics", "/api/topics"},
		{"healthz", "/healthz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(t, h, http.MethodGet, tt.target)
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s: status %d, want 200; body %s", tt.target, w.Code, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != jsonType {
				t.Errorf("Content-Type = %q, want %q", ct, jsonType)
			}
			body := w.Body.Bytes()
			if !bytes.HasSuffix(body, []byte("}\n")) || bytes.Count(body, []byte("\n")) != 1 {
				t.Errorf("body is not one newline-terminated line: %q", body)
			}
			checkGolden(t, tt.name, body)
		})
	}
}

func TestSearchResponse(t *testing.T) {
	h := newHandler(t)
	w := do(t, h, http.MethodGet, "/api/search?q=pruning&topic=pruning")
	var resp api.SearchResponse
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&resp); err != nil {
		t.Fatal(err)
	}
	if resp.Query != "pruning" || resp.Sort != "relevance" || resp.Page != 1 || resp.Size != 10 {
		t.Errorf("echo of the request: %+v", resp)
	}
	if resp.Total != 2 || len(resp.Hits) != 2 {
		t.Fatalf("total %d, %d hits; want 2", resp.Total, len(resp.Hits))
	}
	if resp.TookMS < 0 {
		t.Errorf("took_ms = %v", resp.TookMS)
	}
	// Disjunctive facets: the topic facet ignores the topic filter, so it
	// counts the abstract-only mention (topic inference-efficiency) too.
	got := map[string]int{}
	for _, f := range resp.Facets.Topics {
		got[f.Value] = f.Count
	}
	want := map[string]int{"pruning": 2, "quantization": 1, "inference-efficiency": 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("topic facet = %v, want %v", got, want)
	}
	for _, hit := range resp.Hits {
		if !strings.Contains(hit.Highlights["title"][0], "<mark>Pruning</mark>") {
			t.Errorf("%s: title highlight %q has no <mark>Pruning</mark>", hit.ID, hit.Highlights["title"][0])
		}
	}
}

// facets= leaves groups out of the answer, and counts the others as a
// search without it does. The page counts all three whatever it says.
func TestFacetsParam(t *testing.T) {
	h := newHandler(t)
	all := do(t, h, http.MethodGet, "/api/search?q=models")
	var full map[string]any
	if err := json.Unmarshal(all.Body.Bytes(), &full); err != nil {
		t.Fatal(err)
	}
	fullFacets := full["facets"].(map[string]any)
	for _, tt := range []struct {
		facets string
		want   []string // the groups present
	}{
		{"topic,year,category", []string{"categories", "topics", "years"}},
		{"topic,year", []string{"topics", "years"}},
		{"category", []string{"categories"}},
		{" year , topic ", []string{"topics", "years"}},
		{"TOPIC", []string{"topics"}},
		// The names the answer uses for the groups.
		{"topics", []string{"topics"}},
		{"years,categories", []string{"categories", "years"}},
		{"Topics, year", []string{"topics", "years"}},
		{"topics,topic", []string{"topics"}},
		{"none", nil},
	} {
		w := do(t, h, http.MethodGet, "/api/search?q=models&facets="+url.QueryEscape(tt.facets))
		if w.Code != http.StatusOK {
			t.Fatalf("facets=%s: status %d: %s", tt.facets, w.Code, w.Body)
		}
		var got map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		facets := got["facets"].(map[string]any)
		if keys := slices.Sorted(maps.Keys(facets)); !slices.Equal(keys, tt.want) {
			t.Errorf("facets=%s: groups %v, want %v", tt.facets, keys, tt.want)
		}
		for k, v := range facets {
			if !reflect.DeepEqual(v, fullFacets[k]) {
				t.Errorf("facets=%s: %s = %v, want %v as without facets=", tt.facets, k, v, fullFacets[k])
			}
		}
		if got["total"] != full["total"] || !reflect.DeepEqual(got["hits"], full["hits"]) {
			t.Errorf("facets=%s changed the hits", tt.facets)
		}
	}
	// A group counted with no values is [], not left out.
	w := do(t, h, http.MethodGet, "/api/search?q=nosuchwordanywhere&correct=false&facets=topic")
	if !strings.Contains(w.Body.String(), `"facets":{"topics":[]}`) {
		t.Errorf("no matches, facets=topic: %s", w.Body)
	}
	for _, f := range []string{"none", "bogus"} {
		page := do(t, h, http.MethodGet, "/?q=models&facets="+f)
		if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), `name="topic" value="pruning"`) {
			t.Errorf("the page with facets=%s: %d, or its topic facet is lost", f, page.Code)
		}
		// The feed shows no facets and ignores the parameter too.
		if feed := do(t, h, http.MethodGet, "/feed.atom?q=models&facets="+f); feed.Code != http.StatusOK || strings.Contains(feed.Body.String(), "facets") {
			t.Errorf("the feed with facets=%s: %d %.300s", f, feed.Code, feed.Body)
		}
	}
}

// Every client error has the one JSON shape, a stable code and a message
// that says what to fix.
func TestJSONErrors(t *testing.T) {
	h := newHandler(t)
	long := strings.Repeat("a", search.MaxQueryLen+1)
	tests := []struct {
		name, method, target string
		wantStatus           int
		wantCode, wantMsg    string
	}{
		{"size not a number", "GET", "/api/search?size=ten", 400, "bad_request", `size must be a whole number, not "ten"`},
		{"page not a number", "GET", "/api/search?page=1.5", 400, "bad_request", `page must be a whole number, not "1.5"`},
		{"year_from not a number", "GET", "/api/search?year_from=last", 400, "bad_request", "year_from must be a whole number"},
		{"year_to not a number", "GET", "/api/search?year_to=%20x%20", 400, "bad_request", "year_to must be a whole number"},
		{"long bad number is clipped", "GET", "/api/search?size=" + strings.Repeat("9", 30) + "x" + strings.Repeat("9", 30), 400, "bad_request", "…"},
		{"size over 100", "GET", "/api/search?size=101", 400, "bad_request", "size must be between 1 and 100, not 101"},
		{"negative size", "GET", "/api/search?size=-5", 400, "bad_request", "size must be between 1 and 100"},
		{"page zero-or-less", "GET", "/api/search?page=-1", 400, "bad_request", "page must be 1 or more"},
		{"window over 10000", "GET", "/api/search?page=101&size=100", 400, "bad_request", "page*size must be at most 10000"},
		{"page*size wraps round", "GET", "/api/search?page=922337203685477581&size=10", 400, "bad_request", "page*size must be at most 10000"},
		{"largest page", "GET", "/api/search?q=pruning&page=9223372036854775807", 400, "bad_request", "page*size must be at most 10000"},
		{"page zero", "GET", "/api/search?page=0", 400, "bad_request", "page must be 1 or more, not 0"},
		{"size zero", "GET", "/api/search?size=0", 400, "bad_request", "size must be between 1 and 100, not 0"},
		{"year zero", "GET", "/api/search?year_from=0", 400, "bad_request", "year_from must be a year between 1000 and 9999, not 0"},
		// Every year out of range gets the one message, as written.
		{"year_from 0000", "GET", "/api/search?year_from=0000", 400, "bad_request", "year_from must be a year between 1000 and 9999, not 0000"},
		{"year_to 0001", "GET", "/api/search?year_to=0001", 400, "bad_request", "year_to must be a year between 1000 and 9999, not 0001"},
		{"year_to 999", "GET", "/api/search?year_to=999", 400, "bad_request", "year_to must be a year between 1000 and 9999, not 999"},
		{"year_from negative", "GET", "/api/search?year_from=-2024", 400, "bad_request", "year_from must be a year between 1000 and 9999, not -2024"},
		{"feed year 0001", "GET", "/feed.atom?year_to=0001", 400, "bad_request", "year_to must be a year between 1000 and 9999, not 0001"},
		{"size given twice", "GET", "/api/search?size=10&size=101", 400, "bad_request", "size is given 2 times; give it once"},
		{"unknown facet group", "GET", "/api/search?facets=topic,authors", 400, "bad_request", `facets must be none, or some of topic, year, category separated by commas; "authors" is not one of them`},
		{"facets none with a group", "GET", "/api/search?facets=none,topic", 400, "bad_request", "facets=none counts no group, so it cannot be given with others"},
		{"facets given twice", "GET", "/api/search?facets=topic&facets=year", 400, "bad_request", "facets is given 2 times; give it once"},
		{"unencoded semicolon", "GET", "/api/search?q=quantization;llm", 400, "bad_request", "the query string is malformed (invalid semicolon separator in query); encode ; as %3B"},
		{"bad escape", "GET", "/api/search?q=100%zz", 400, "bad_request", "the query string is malformed"},
		{"feed with a bad escape", "GET", "/feed.atom?q=100%zz", 400, "bad_request", "the query string is malformed"},
		{"unknown topic", "GET", "/api/search?topic=nosuch", 400, "bad_request", `no topic "nosuch"`},
		{"bad sort", "GET", "/api/search?sort=best", 400, "bad_request", `sort must be one of relevance, newest, oldest, upvotes, not "best"`},
		{"year_from after year_to", "GET", "/api/search?year_from=2025&year_to=2020", 400, "bad_request", "year_from 2025 is after year_to 2020"},
		{"year not four digits", "GET", "/api/search?year_from=24", 400, "bad_request", "year_from must be a year between 1000 and 9999, not 24"},
		{"year_to not four digits", "GET", "/api/search?year_to=10000", 400, "bad_request", "year_to must be a year between 1000 and 9999, not 10000"},
		{"misspelt topic", "GET", "/api/search?topic=quantizaton", 400, "bad_request", `no topic "quantizaton"; did you mean quantization?`},
		{"British topic", "GET", "/api/search?topic=quantisation", 400, "bad_request", "did you mean quantization?"},
		{"query too long", "GET", "/api/search?q=" + long, 400, "bad_request", "the limit is 1024"},
		{"query not UTF-8", "GET", "/api/search?q=caf%E9", 400, "bad_request", "q is not valid UTF-8"},
		// Every endpoint that takes parameters refuses what /api/search
		// does: one given twice, a value that is not UTF-8, a query
		// string that does not parse.
		{"topic not UTF-8", "GET", "/api/search?topic=%ff", 400, "bad_request", "topic is not valid UTF-8"},
		{"suggest q given twice", "GET", "/api/suggest?q=a&q=b", 400, "bad_request", "q is given 2 times; give it once"},
		{"suggest size given twice", "GET", "/api/suggest?q=a&size=1&size=2", 400, "bad_request", "size is given 2 times; give it once"},
		{"suggest q not UTF-8", "GET", "/api/suggest?q=%ff", 400, "bad_request", "q is not valid UTF-8"},
		{"suggest with a bad escape", "GET", "/api/suggest?q=100%zz", 400, "bad_request", "the query string is malformed"},
		{"similar size given twice", "GET", "/api/papers/2401.00001/similar?size=1&size=2", 400, "bad_request", "size is given 2 times; give it once"},
		{"similar size not UTF-8", "GET", "/api/papers/2401.00001/similar?size=%ff", 400, "bad_request", "size is not valid UTF-8"},
		{"similar with a bad escape", "GET", "/api/papers/2401.00001/similar?size=1;2", 400, "bad_request", "the query string is malformed"},
		{"feed sort given twice, the first blank", "GET", "/feed.atom?sort=&sort=oldest", 400, "bad_request", "sort is given 2 times; give it once"},
		{"feed q not UTF-8", "GET", "/feed.atom?q=%ff", 400, "bad_request", "q is not valid UTF-8"},
		{"unknown paper", "GET", "/api/papers/0000.00000", 404, "not_found", `paper "0000.00000": not found`},
		{"unknown old-style paper", "GET", "/api/papers/hep-th/0000000", 404, "not_found", `paper "hep-th/0000000"`},
		{"no paper id", "GET", "/api/papers/", 404, "not_found", "no paper id given"},
		{"unknown route", "GET", "/api/nope", 404, "not_found", "no route GET /api/nope"},
		{"unknown page", "GET", "/nope/deeper", 404, "not_found", "no route GET /nope/deeper"},
		{"missing static file", "GET", "/static/nope.js", 404, "not_found", `no static file "nope.js"`},
		{"no static file name", "GET", "/static/", 404, "not_found", `no static file ""`},
		{"POST search", "POST", "/api/search", 405, "method_not_allowed", "POST is not allowed on /api/search"},
		{"PUT paper", "PUT", "/api/papers/2401.00001", 405, "method_not_allowed", "PUT is not allowed"},
		{"DELETE paper without an admin key configured", "DELETE", "/api/papers/2401.00001", 403, "writes_disabled", "PAPERSEARCH_ADMIN_KEY"},
		{"POST papers without an admin key configured", "POST", "/api/papers", 403, "writes_disabled", "PAPERSEARCH_ADMIN_KEY"},
		{"POST backup without an admin key configured", "POST", "/api/admin/backup", 403, "writes_disabled", "PAPERSEARCH_ADMIN_KEY"},
		{"PUT healthz", "PUT", "/healthz", 405, "method_not_allowed", "PUT is not allowed on /healthz"},
		{"POST page", "POST", "/", 405, "method_not_allowed", "POST is not allowed on /"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(t, h, tt.method, tt.target)
			if w.Code != tt.wantStatus {
				t.Errorf("%s %s: status %d, want %d", tt.method, clip(tt.target), w.Code, tt.wantStatus)
			}
			// HEAD is answered wherever GET is, and said so.
			if allow := w.Header().Get("Allow"); w.Code == http.StatusMethodNotAllowed && strings.Contains(allow, "GET") && !strings.Contains(allow, "GET, HEAD") {
				t.Errorf("%s %s: Allow %q leaves out HEAD", tt.method, clip(tt.target), allow)
			}
			if ct := w.Header().Get("Content-Type"); ct != jsonType {
				t.Errorf("Content-Type = %q, want %q", ct, jsonType)
			}
			// Exactly {"error":{"code":"...","message":"..."}}, nothing else.
			var shape map[string]map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &shape); err != nil {
				t.Fatalf("body is not the error shape: %v\n%s", err, w.Body)
			}
			e, ok := shape["error"]
			if len(shape) != 1 || !ok || len(e) != 2 {
				t.Fatalf("body %s: want exactly {\"error\":{\"code\",\"message\"}}", w.Body)
			}
			code, _ := e["code"].(string)
			msg, _ := e["message"].(string)
			if code != tt.wantCode {
				t.Errorf("code = %q, want %q", code, tt.wantCode)
			}
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.wantMsg)
			}
			if strings.HasPrefix(msg, "bad query") {
				t.Errorf("message %q leaks the sentinel's text", msg)
			}
		})
	}
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// Blank numbers mean the defaults, as the page's empty form fields send
// them (an explicit 0 is refused: see TestJSONErrors).
func TestSearchDefaults(t *testing.T) {
	h := newHandler(t)
	for _, target := range []string{"/api/search?size=&page=&year_from=&year_to=&sort=&q=", "/api/search?size=%2010%20"} {
		w := do(t, h, http.MethodGet, target)
		var resp api.SearchResponse
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || w.Code != 200 {
			t.Fatalf("GET %s: %d %s", target, w.Code, w.Body)
		}
		if resp.Page != 1 || resp.Size != 10 || resp.Sort != "newest" || resp.Total != 7 {
			t.Errorf("GET %s: page %d size %d sort %q total %d; want 1, 10, newest, 7", target, resp.Page, resp.Size, resp.Sort, resp.Total)
		}
	}
}

// Paper text with markup is data: the JSON carries it exactly (a client
// must escape it), and highlight fragments carry it HTML-escaped with only
// <mark> added.
func TestXSSInJSON(t *testing.T) {
	h := newHandler(t)
	xss := paperByID(t, idXSS)

	t.Run("highlights are escaped", func(t *testing.T) {
		for _, q := range []string{"alert", "retrieval", "script", "img onerror", "mallory"} {
			w := do(t, h, http.MethodGet, "/api/search?q="+url.QueryEscape(q))
			var resp api.SearchResponse
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
				t.Fatal(err)
			}
			found := false
			for _, hit := range resp.Hits {
				if hit.ID != idXSS {
					continue
				}
				found = true
				for field, frags := range hit.Highlights {
					for _, f := range frags {
						bare := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(f)
						if strings.ContainsAny(bare, "<>") {
							t.Errorf("q=%s: %s highlight %q is not escaped", q, field, f)
						}
					}
				}
				if !strings.Contains(hit.Highlights["title"][0], "&lt;") || !strings.Contains(hit.Highlights["title"][0], "&gt;") {
					t.Errorf("q=%s: title highlight %q lacks the escaped tag", q, hit.Highlights["title"][0])
				}
				if hit.Title != xss.Title {
					t.Errorf("q=%s: hit title %q, want the text as stored %q", q, hit.Title, xss.Title)
				}
			}
			if !found {
				t.Errorf("q=%s: the XSS paper is not a hit", q)
			}
		}
	})

	t.Run("paper JSON keeps the text exactly", func(t *testing.T) {
		w := do(t, h, http.MethodGet, "/api/papers/"+idXSS)
		if ct := w.Header().Get("Content-Type"); ct != jsonType {
			t.Fatalf("Content-Type = %q: paper text may only go out as JSON", ct)
		}
		var got search.Paper
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got.Title != xss.Title || got.Abstract != xss.Abstract || !reflect.DeepEqual(got.Authors, xss.Authors) {
			t.Errorf("paper JSON changed the text:\n got %+v\nwant %+v", got, xss)
		}
		if strings.Contains(w.Body.String(), "&lt;") {
			t.Errorf("paper JSON is HTML-escaped (double escaping for clients): %s", w.Body)
		}
	})
}

// Config.Topics overrides the taxonomy recorded in the index.
func TestConfigTopics(t *testing.T) {
	idx := newIndex(t)
	h, err := api.New(api.Config{Index: idx, Log: testLogger(t), Topics: []search.Topic{{Slug: "pruning", Label: "Sparsity & pruning"}}})
	if err != nil {
		t.Fatal(err)
	}
	var resp api.TopicsResponse
	w := do(t, h, http.MethodGet, "/api/topics")
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Papers != 7 || len(resp.Topics) == 0 || resp.Topics[0].Label != "Sparsity & pruning" || resp.Topics[0].Count != 2 {
		t.Errorf("topics = %+v", resp)
	}
	// Slugs in the index that the taxonomy does not name follow it, sorted.
	var slugs []string
	for _, tp := range resp.Topics {
		slugs = append(slugs, tp.Slug)
	}
	want := []string{"pruning", "inference-efficiency", "long-context", "perplexity", "quantization", "retrieval-augmented"}
	if !reflect.DeepEqual(slugs, want) {
		t.Errorf("slugs = %q, want %q", slugs, want)
	}
	doc := page(t, h, "/?q=pruning", 200)
	if got := squash(doc.Find(`#facet-topics input[value="pruning"] + label .name`).Text()); got != "Sparsity & pruning" {
		t.Errorf("page topic label = %q, want the configured one", got)
	}
}

// ParseSearch and Values are inverses, and Values leaves defaults out so
// that page links stay short.
func TestParamsRoundTrip(t *testing.T) {
	tests := []struct{ in, canonical string }{
		{"", ""},
		{"q=pruning", "q=pruning"},
		{"q=pruning&sort=relevance&page=1&size=10", "q=pruning"},
		{"sort=newest", ""},
		{"sort=relevance", "sort=relevance"},
		{"q=x&sort=newest", "q=x&sort=newest"},
		{"topic=b&topic=a&topic=b&category=cs.CL", "category=cs.CL&topic=b&topic=a"},
		{"year_from=2020&year_to=2024&page=3&size=20", "page=3&size=20&year_from=2020&year_to=2024"},
		{"q=%22long+context%22+%26+more", "q=%22long+context%22+%26+more"},
		{"unknown=1&q=a", "q=a"},
		{"facets=topic,year,category", ""},
		{"facets=category,%20topic,category", "facets=topic%2Ccategory"},
		{"facets=none", "facets=none"},
		{"facets=", ""},
	}
	for _, tt := range tests {
		v, _ := url.ParseQuery(tt.in)
		r, err := api.ParseSearch(v)
		if err != nil {
			t.Errorf("ParseSearch(%q): %v", tt.in, err)
			continue
		}
		if got := api.Values(r).Encode(); got != tt.canonical {
			t.Errorf("Values(ParseSearch(%q)) = %q, want %q", tt.in, got, tt.canonical)
		}
	}
}

// A search that runs out of time is a 504 with the JSON error shape, and an
// error state on the page. A negative timeout makes every deadline already
// past when the search starts, so this needs no clock.
func TestSearchTimeout(t *testing.T) {
	h, err := api.New(api.Config{Index: newIndex(t), Log: testLogger(t), Timeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	w := do(t, h, http.MethodGet, "/api/search?q=pruning")
	if w.Code != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504; body %s", w.Code, w.Body)
	}
	var e api.ErrorResponse
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code != "timeout" || !strings.Contains(e.Error.Message, "took too long") {
		t.Errorf("body %s: want code timeout", w.Body)
	}
	doc := page(t, h, "/?q=pruning", http.StatusGatewayTimeout)
	if got := squash(doc.Find(`.error[role="alert"] p`).First().Text()); !strings.Contains(got, "took too long") {
		t.Errorf("page error = %q", got)
	}
	// Paper look-ups do not use the search timeout.
	if w := do(t, h, http.MethodGet, "/api/papers/2401.00001"); w.Code != http.StatusOK {
		t.Errorf("GET /api/papers: %d", w.Code)
	}
}

// An error that is ours, not the caller's, is a bare 500: the detail goes
// to the log, never to the client.
func TestInternalErrorIsHidden(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	idx, err := search.Open(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h, err := api.New(api.Config{Index: idx, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	// A closed index fails every read, as it would mid-shutdown.
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/healthz", "/api/search?q=x", "/api/papers/2401.00001", "/api/topics"} {
		w := do(t, h, http.MethodGet, target)
		want := `{"error":{"code":"internal","message":"internal error; it has been logged"}}` + "\n"
		if w.Code != http.StatusInternalServerError || w.Body.String() != want {
			t.Errorf("GET %s: %d %s; want 500 %s", target, w.Code, w.Body, want)
		}
	}
	doc := page(t, h, "/?q=x", http.StatusInternalServerError)
	if got := squash(doc.Find(`.error[role="alert"] p`).First().Text()); got != "internal error; it has been logged" || strings.Contains(doc.Text(), dir) {
		t.Errorf("page error = %q", got)
	}
	t.Logf("server log:\n%s", &logs)
	if !strings.Contains(logs.String(), "request failed") || !strings.Contains(logs.String(), "closed") {
		t.Errorf("the log lacks the failure's detail")
	}
}

// Topic and category filters take the spellings the query language
// takes: a topic's label or slug in any case, a category in any case,
// and a topic the papers carry without the taxonomy knowing it.
func TestFilterSpellings(t *testing.T) {
	h := newHandler(t)
	total := func(target string) int {
		t.Helper()
		w := do(t, h, http.MethodGet, target)
		var resp api.SearchResponse
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", target, w.Code, w.Body)
		}
		return int(resp.Total)
	}
	tests := []struct{ canonical, other string }{
		{"topic=quantization", "topic=Quantization"},
		{"topic=quantization", "topic=QUANTIZATION"},
		{"category=cs.LG", "category=CS.LG"},
		{"category=cs.LG", "category=cs.lg"},
		{"topic=inference-efficiency", "topic=Inference-Efficiency"},
	}
	for _, tt := range tests {
		want := total("/api/search?" + tt.canonical)
		if want == 0 {
			t.Fatalf("%s finds nothing; the test needs papers", tt.canonical)
		}
		if got := total("/api/search?" + tt.other); got != want {
			t.Errorf("%s finds %d papers, %s %d", tt.other, got, tt.canonical, want)
		}
	}
}

// With Config.PaperID, the paper routes take an id as people cite it.
func TestPaperIDForms(t *testing.T) {
	canonical := func(id string) string {
		id = strings.TrimPrefix(id, "arXiv:")
		if i := strings.LastIndex(id, "v"); i > 0 && strings.Trim(id[i+1:], "0123456789") == "" {
			id = id[:i]
		}
		return id
	}
	h, err := api.New(api.Config{Index: newIndex(t), Log: testLogger(t), PaperID: canonical})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/api/papers/arXiv:2407.00004v2", "/api/papers/2407.00004v1/similar", "/papers/arXiv:2407.00004"} {
		if w := do(t, h, http.MethodGet, target); w.Code != http.StatusOK {
			t.Errorf("GET %s: %d %s", target, w.Code, w.Body)
		}
	}
	if w := do(t, newHandler(t), http.MethodGet, "/api/papers/arXiv:2407.00004v2"); w.Code != http.StatusNotFound {
		t.Errorf("without PaperID, an id as cited: %d, want 404", w.Code)
	}
}
