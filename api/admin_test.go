package api_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/papersearch/papersearch/api"
	"github.com/papersearch/papersearch/indexer"
	"github.com/papersearch/papersearch/search"
)

const adminKey = "test-admin-key-0123456789abcdef0123456789"

// ingestWith is the IngestFunc cmd/papersearch gives the server: the
// indexer's all-or-nothing Ingest.
func ingestWith(idx *search.Index) api.IngestFunc {
	return func(ctx context.Context, body io.Reader, opt api.IngestOptions) (api.IngestResult, error) {
		res, err := indexer.Ingest(ctx, idx, indexer.DefaultTaxonomy(), nil, body, "request", indexer.IngestOptions{Format: opt.Format, Replace: opt.Replace})
		out := api.IngestResult{Read: res.Stats.Read, Added: res.Stats.Added, Updated: res.Stats.Updated,
			Merged: res.Stats.Merged, Superseded: res.Stats.Superseded, IDs: res.IDs}
		for _, r := range res.Rejected {
			out.Rejected = append(out.Rejected, r.Error())
		}
		return out, err
	}
}

// newAdminHandler is the real router with writes enabled; cfg's Index,
// Log, AdminKey and Ingest are filled in.
func newAdminHandler(t *testing.T, cfg api.Config) (http.Handler, *search.Index) {
	t.Helper()
	idx := newIndex(t)
	cfg.Index, cfg.Log = idx, testLogger(t)
	if cfg.AdminKey == "" {
		cfg.AdminKey = adminKey
	}
	cfg.Ingest = ingestWith(idx)
	h, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h, idx
}

type request struct {
	method, target, body string
	header               map[string]string
	remote               string
}

func send(t *testing.T, h http.Handler, r request) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(r.method, r.target, strings.NewReader(r.body))
	if r.header == nil {
		r.header = map[string]string{"Authorization": "Bearer " + adminKey}
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if r.remote != "" {
		req.RemoteAddr = r.remote
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func decodeError(t *testing.T, w *httptest.ResponseRecorder) api.ErrorBody {
	t.Helper()
	var e api.ErrorResponse
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" {
		t.Fatalf("status %d body %q is not the error shape (%v)", w.Code, w.Body, err)
	}
	return e.Error
}

func TestAdminAuth(t *testing.T) {
	h, _ := newAdminHandler(t, api.Config{})
	body := `{"id":"2501.00001","title":"A new paper"}`
	tests := []struct {
		name       string
		header     map[string]string
		wantStatus int
		wantCode   string
	}{
		{"no header", map[string]string{}, 401, "unauthorized"},
		{"not a bearer token", map[string]string{"Authorization": "Basic " + adminKey}, 401, "unauthorized"},
		{"empty token", map[string]string{"Authorization": "Bearer "}, 401, "unauthorized"},
		{"wrong key", map[string]string{"Authorization": "Bearer " + strings.Repeat("x", len(adminKey))}, 403, "forbidden"},
		{"key as a prefix", map[string]string{"Authorization": "Bearer " + adminKey[:len(adminKey)-1]}, 403, "forbidden"},
		{"key with more after it", map[string]string{"Authorization": "Bearer " + adminKey + "x"}, 403, "forbidden"},
	}
	for _, tt := range tests {
		for _, r := range []request{
			{method: "POST", target: "/api/papers", body: body, header: tt.header},
			{method: "DELETE", target: "/api/papers/2401.00001", header: tt.header},
			{method: "POST", target: "/api/admin/backup", header: tt.header},
		} {
			w := send(t, h, r)
			if w.Code != tt.wantStatus {
				t.Errorf("%s: %s %s: status %d, want %d", tt.name, r.method, r.target, w.Code, tt.wantStatus)
				continue
			}
			if e := decodeError(t, w); e.Code != tt.wantCode {
				t.Errorf("%s: code %q, want %q", tt.name, e.Code, tt.wantCode)
			}
			if tt.wantStatus == 401 && w.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("%s: 401 without WWW-Authenticate", tt.name)
			}
		}
	}
	// Nothing was written or deleted.
	if w := do(t, h, "GET", "/api/papers/2501.00001"); w.Code != 404 {
		t.Errorf("a refused POST wrote its paper: %d", w.Code)
	}
	if w := do(t, h, "GET", "/api/papers/2401.00001"); w.Code != 200 {
		t.Errorf("a refused DELETE deleted its paper: %d", w.Code)
	}
}

func TestAdminKeyTooShort(t *testing.T) {
	idx := newIndex(t)
	_, err := api.New(api.Config{Index: idx, AdminKey: "short", Ingest: ingestWith(idx)})
	if err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Errorf("New with a 5-byte key: %v, want a refusal naming the minimum", err)
	}
}

func writeResponse(t *testing.T, w *httptest.ResponseRecorder) api.WriteResponse {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", w.Code, w.Body)
	}
	var resp api.WriteResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestPostPapers(t *testing.T) {
	h, idx := newAdminHandler(t, api.Config{})
	gen := idx.Generation()

	// One pretty-printed paper: normalised and tagged like `index` does.
	one := `{
  "id": "arXiv:2501.00001v2",
  "title": "Post-Training   Quantization of   Diffusion Models",
  "abstract": "We quantize diffusion models to 4-bit weights with post-training quantization.",
  "authors": ["A. Author"],
  "published": "2025-01-02"
}`
	resp := writeResponse(t, send(t, h, request{method: "POST", target: "/api/papers", body: one}))
	if resp.Added != 1 || resp.Updated != 0 || len(resp.IDs) != 1 || resp.IDs[0] != "2501.00001" || resp.Papers != 8 || resp.Generation <= gen {
		t.Errorf("POST one paper: %+v", resp)
	}
	var p search.Paper
	w := do(t, h, "GET", "/api/papers/2501.00001")
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != 200 {
		t.Fatalf("GET the posted paper: %d %s", w.Code, w.Body)
	}
	if p.Title != "Post-Training Quantization of Diffusion Models" || !strings.Contains(strings.Join(p.Topics, ","), "quantization") {
		t.Errorf("posted paper not normalised and tagged: %+v", p)
	}

	// An array, then JSON lines; the second upserts one paper.
	arr := `[{"id":"2501.00002","title":"Second"},{"id":"2501.00003","title":"Third"}]`
	if r := writeResponse(t, send(t, h, request{method: "POST", target: "/api/papers", body: arr})); r.Added != 2 || r.Papers != 10 {
		t.Errorf("POST an array: %+v", r)
	}
	lines := `{"id":"2501.00003","title":"Third","upvotes":5}` + "\n" + `{"id":"2501.00004","title":"Fourth"}` + "\n"
	if r := writeResponse(t, send(t, h, request{method: "POST", target: "/api/papers", body: lines, header: map[string]string{
		"Authorization": "Bearer " + adminKey, "Content-Type": "application/x-ndjson"}})); r.Added != 1 || r.Updated != 1 || r.Papers != 11 {
		t.Errorf("POST JSON lines: %+v", r)
	}

	// Two records of one paper in a request merge, and the answer counts
	// the merge as index's summary does, so that its numbers add up; with
	// replace=true the later one supersedes the earlier.
	twice := `{"id":"2501.00008","title":"Eighth"}` + "\n" + `{"id":"2501.00008","title":"Eighth","upvotes":3}` + "\n"
	for _, tt := range []struct {
		target string
		want   string
	}{
		{"/api/papers", `"read":2,"added":1,"updated":0,"merged":1,"ids"`},
		{"/api/papers?replace=true", `"read":2,"added":0,"updated":1,"superseded":1,"ids"`},
	} {
		if w := send(t, h, request{method: "POST", target: tt.target, body: twice}); w.Code != 200 || !strings.Contains(w.Body.String(), tt.want) {
			t.Errorf("POST %s a paper twice: %d %s, want %s", tt.target, w.Code, w.Body, tt.want)
		}
	}

	// Pretty-printed objects one after another (jq . of JSON lines), as
	// index reads them.
	pretty := "{\n  \"id\": \"2501.00006\",\n  \"title\": \"Sixth\"\n}\n{\n  \"id\": \"2501.00007\",\n  \"title\": \"Seventh\"\n}\n"
	if r := writeResponse(t, send(t, h, request{method: "POST", target: "/api/papers", body: pretty})); r.Read != 2 || r.Added != 2 {
		t.Errorf("POST pretty-printed objects: %+v", r)
	}

	// Authors as one string are split as index splits them: at commas,
	// semicolons and "and", not at spaces.
	named := `{"id":"2501.00005","title":"Fifth","authors":"Alice Smith and Bob Jones"}`
	writeResponse(t, send(t, h, request{method: "POST", target: "/api/papers", body: named}))
	p = search.Paper{}
	w = do(t, h, "GET", "/api/papers/2501.00005")
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || !slices.Equal(p.Authors, []string{"Alice Smith", "Bob Jones"}) || p.AuthorCount != 2 {
		t.Errorf("authors posted as one string: %q (count %d), want [Alice Smith Bob Jones]", p.Authors, p.AuthorCount)
	}

	// ?replace=true corrects a paper: the record takes its place, where
	// a merge keeps the old title beside a new one.
	for _, tt := range []struct{ target, title string }{
		{"/api/papers", "Fifth"},
		{"/api/papers?replace=true", "Fifth, corrected"},
	} {
		writeResponse(t, send(t, h, request{method: "POST", target: tt.target, body: `{"id":"2501.00005","title":"Fifth, corrected"}`}))
		p = search.Paper{}
		w = do(t, h, "GET", "/api/papers/2501.00005")
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Title != tt.title {
			t.Errorf("POST %s: title %q, want %q", tt.target, p.Title, tt.title)
		}
	}
	if len(p.Authors) != 0 {
		t.Errorf("replace kept the old authors %q", p.Authors)
	}
	for _, tt := range []struct{ target, msg string }{
		{"/api/papers?replace=maybe", `replace must be true or false, not "maybe"`},
		{"/api/papers?replace=true&replace=false", "replace is given 2 times; give it once"},
		{"/api/papers?format=json&format=hf-api", "format is given 2 times; give it once"},
		{"/api/papers?format=%ff", "format is not valid UTF-8"},
		{"/api/papers?format=a;b", "the query string is malformed"},
	} {
		if w := send(t, h, request{method: "POST", target: tt.target, body: named}); w.Code != 400 || !strings.HasPrefix(decodeError(t, w).Message, tt.msg) {
			t.Errorf("POST %s: %d %s, want 400 %q", tt.target, w.Code, w.Body, tt.msg)
		}
	}

	// Searches see the writes at once.
	var sr api.SearchResponse
	w = do(t, h, "GET", "/api/search?q=diffusion")
	if err := json.Unmarshal(w.Body.Bytes(), &sr); err != nil || sr.Total != 1 {
		t.Errorf("search after POST: %d hits (%v)", sr.Total, err)
	}
}

func TestPostPapersAllOrNothing(t *testing.T) {
	h, idx := newAdminHandler(t, api.Config{})
	before, _ := idx.Count()
	tests := []struct {
		name, body, query string
		wantCode          string
		wantDetail        string
	}{
		{"one bad line among good ones", `{"id":"2501.00010","title":"Good"}` + "\n" + `{"id":"2501.00011","title":` + "\n" + `{"id":"2501.00012","title":"Good too"}`, "", "bad_records", "request:2: invalid JSON"},
		{"a record without a title", `[{"id":"2501.00013","title":"Good"},{"id":"2501.00014"}]`, "", "bad_records", "no title"},
		{"not a format papersearch reads", "just some words\n", "", "bad_records", "unrecognised format: name it with --format, or ?format= when posting"},
		{"an unknown format name", `{"id":"2501.00015","title":"x"}`, "?format=yaml", "bad_records", `unknown format "yaml"`},
		{"an empty body", " \n", "", "bad_request", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := send(t, h, request{method: "POST", target: "/api/papers" + tt.query, body: tt.body})
			if w.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", w.Code, w.Body)
			}
			e := decodeError(t, w)
			if e.Code != tt.wantCode || !strings.Contains(strings.Join(e.Details, "\n"), tt.wantDetail) {
				t.Errorf("error %+v, want code %s and a detail with %q", e, tt.wantCode, tt.wantDetail)
			}
		})
	}
	if after, _ := idx.Count(); after != before {
		t.Errorf("papers %d after rejected posts, want %d: a partial write", after, before)
	}
}

func TestPostPapersBodyLimit(t *testing.T) {
	h, idx := newAdminHandler(t, api.Config{MaxBody: 1 << 10})
	before, _ := idx.Count()
	big := fmt.Sprintf(`{"id":"2501.00020","title":"Big","abstract":"%s"}`, strings.Repeat("a", 2<<10))
	w := send(t, h, request{method: "POST", target: "/api/papers", body: big})
	if w.Code != http.StatusRequestEntityTooLarge || decodeError(t, w).Code != "too_large" {
		t.Errorf("2 KiB body with a 1 KiB limit: %d %s", w.Code, w.Body)
	}
	// Without a Content-Length (chunked), the limit holds while reading.
	req := httptest.NewRequest("POST", "/api/papers", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+adminKey)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked 2 KiB body: %d %s", rec.Code, rec.Body)
	}
	if after, _ := idx.Count(); after != before {
		t.Errorf("an oversized body was written")
	}
	// Just under the limit is fine.
	small := `{"id":"2501.00021","title":"Small"}`
	writeResponse(t, send(t, h, request{method: "POST", target: "/api/papers", body: small}))
}

// A compressed body is read as index reads a compressed file: by its magic
// bytes, with or without Content-Encoding, and the body limit holds for
// what it decompresses to.
func TestPostPapersCompressed(t *testing.T) {
	h, idx := newAdminHandler(t, api.Config{MaxBody: 4 << 10})
	plain, err := os.ReadFile("testdata/extra.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	bz, err := os.ReadFile("testdata/extra.jsonl.bz2")
	if err != nil {
		t.Fatal(err)
	}
	gz := gzipped(t, plain)
	// 1 MiB of white space around one paper gzips to about a kilobyte.
	bomb := gzipped(t, []byte(`{"id":"2501.00030","title":"Bomb"}`+strings.Repeat(" ", 1<<20)))
	if len(bomb) > 4<<10 {
		t.Fatalf("the bomb is %d bytes compressed, over the limit itself", len(bomb))
	}
	tests := []struct {
		name, body, encoding string
		status               int
		code, message        string
	}{
		{"gzip", string(gz), "", 200, "", ""},
		{"gzip with Content-Encoding", string(gz), "gzip", 200, "", ""},
		{"x-gzip", string(gz), "x-gzip", 200, "", ""},
		{"bzip2", string(bz), "", 200, "", ""},
		{"a bomb", string(bomb), "gzip", 413, "too_large", "decompresses to more than 4096 bytes"},
		{"truncated gzip", string(gz[:len(gz)/2]), "", 400, "bad_request", "the gzip body ends early"},
		{"Content-Encoding gzip on a plain body", string(plain), "gzip", 400, "bad_request", "the body is not gzip"},
		{"another encoding", string(gz), "br", 415, "unsupported_encoding", `Content-Encoding "br" is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := idx.Count()
			hdr := map[string]string{"Authorization": "Bearer " + adminKey}
			if tt.encoding != "" {
				hdr["Content-Encoding"] = tt.encoding
			}
			w := send(t, h, request{method: "POST", target: "/api/papers", body: tt.body, header: hdr})
			if tt.status == 200 {
				if r := writeResponse(t, w); r.Read != 4 || len(r.IDs) != 4 {
					t.Errorf("answer %+v, want the 4 papers of testdata/extra.jsonl", r)
				}
				return
			}
			if e := decodeError(t, w); w.Code != tt.status || e.Code != tt.code || !strings.Contains(e.Message, tt.message) {
				t.Errorf("%d %+v, want %d %s with %q", w.Code, e, tt.status, tt.code, tt.message)
			}
			if after, _ := idx.Count(); after != before {
				t.Errorf("papers %d after a refused post, want %d", after, before)
			}
		})
	}
}

// A body in UTF-16 with a byte-order mark is decoded as index decodes a
// file; one in Latin-1 is refused, each bad record named, not indexed as
// U+FFFD.
func TestPostPapersEncodings(t *testing.T) {
	h, _ := newAdminHandler(t, api.Config{})
	utf16, err := os.ReadFile("../indexer/testdata/jsonl/arxiv-daily-cs-head3.utf16.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if r := writeResponse(t, send(t, h, request{method: "POST", target: "/api/papers", body: string(utf16)})); r.Added != 3 {
		t.Errorf("POST UTF-16: %+v", r)
	}
	var p search.Paper
	w := do(t, h, "GET", "/api/papers/2503.11742")
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || !slices.Contains(p.Authors, "Moreno D'Incà") {
		t.Errorf("the UTF-16 paper's authors: %q (%v)", p.Authors, err)
	}
	latin1, err := os.ReadFile("../indexer/testdata/jsonl/arxiv-daily-cs-head3.latin1.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	w = send(t, h, request{method: "POST", target: "/api/papers", body: string(latin1)})
	if e := decodeError(t, w); w.Code != 400 || e.Code != "bad_records" || len(e.Details) != 1 ||
		!strings.HasPrefix(e.Details[0], "request:2: not UTF-8: byte 0xE0") || !strings.Contains(e.Details[0], "iconv -f latin1 -t utf-8") {
		t.Errorf("POST Latin-1: %d %+v", w.Code, e)
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDeletePaper(t *testing.T) {
	h, _ := newAdminHandler(t, api.Config{})
	// An old-style id with a slash: the route is a wildcard.
	resp := writeResponse(t, send(t, h, request{method: "DELETE", target: "/api/papers/hep-th/9901001"}))
	if len(resp.Deleted) != 1 || resp.Deleted[0] != "hep-th/9901001" || resp.Papers != 6 {
		t.Errorf("DELETE: %+v", resp)
	}
	if w := do(t, h, "GET", "/api/papers/hep-th/9901001"); w.Code != 404 {
		t.Errorf("GET after DELETE: %d", w.Code)
	}
	w := send(t, h, request{method: "DELETE", target: "/api/papers/hep-th/9901001"})
	if w.Code != 404 || decodeError(t, w).Code != "not_found" {
		t.Errorf("second DELETE: %d %s, want 404", w.Code, w.Body)
	}
	if w := send(t, h, request{method: "DELETE", target: "/api/papers/"}); w.Code != 404 {
		t.Errorf("DELETE without an id: %d", w.Code)
	}
}

// Ids are only ids, never paths: one whose URL a browser would resolve
// elsewhere (a "." or ".." segment, an empty one) is refused at its line,
// and every other is posted, fetched and linked by its escaped form, and
// deleted, without touching the file system.
func TestPathLikeIDs(t *testing.T) {
	h, _ := newAdminHandler(t, api.Config{})
	bad := `{"id":"../../x","title":"Up and out"}` + "\n" + `{"id":"/etc/passwd","title":"Absolute"}` + "\n"
	w := send(t, h, request{method: "POST", target: "/api/papers", body: bad})
	if e := decodeError(t, w); w.Code != 400 || !slices.Equal(e.Details, []string{
		`request:1: id "../../x" has a ".." path segment, which a paper's URL cannot carry`,
		`request:2: id "/etc/passwd" has an empty path segment (a leading, trailing or double slash), which a paper's URL cannot carry`,
	}) {
		t.Errorf("POST ids with dot and empty segments: %d %+v", w.Code, e)
	}

	ids := []string{`..\..\x`, "%2e%2e", "a?b#c", "hep-th/9901001"}
	var body strings.Builder
	for _, id := range ids {
		b, _ := json.Marshal(map[string]string{"id": id, "title": "Only an id"})
		body.Write(append(b, '\n'))
	}
	writeResponse(t, send(t, h, request{method: "POST", target: "/api/papers", body: body.String()}))
	for _, id := range ids {
		escaped := (&url.URL{Path: id}).EscapedPath()
		get := func(target string) {
			t.Helper()
			var p search.Paper
			w := do(t, h, "GET", target)
			if err := json.Unmarshal(w.Body.Bytes(), &p); w.Code != 200 || err != nil || p.ID != id {
				t.Errorf("GET %s: %d %s", target, w.Code, w.Body)
			}
		}
		get("/api/papers/" + escaped)
		// The page's JSON link, resolved as a browser resolves it, is
		// the paper's.
		pageURL, _ := url.Parse("http://localhost/papers/" + escaped)
		href, _ := page(t, h, pageURL.RequestURI(), 200).Find(`a:contains("JSON")`).Attr("href")
		link, err := pageURL.Parse(href)
		if err != nil {
			t.Fatalf("%s: JSON link %q: %v", id, href, err)
		}
		get(link.RequestURI())
		if w := send(t, h, request{method: "DELETE", target: "/api/papers/" + escaped}); w.Code != 200 {
			t.Errorf("DELETE %s: %d %s", id, w.Code, w.Body)
		}
	}
	if _, err := os.Stat("x"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file x appeared: %v", err)
	}
}

// The backup route streams a tar of a snapshot that opens as an index
// with the papers the header announces.
func TestBackupRoute(t *testing.T) {
	h, idx := newAdminHandler(t, api.Config{})
	w := send(t, h, request{method: "POST", target: "/api/admin/backup"})
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/x-tar" {
		t.Fatalf("backup: %d %s", w.Code, w.Header())
	}
	if got, want := w.Header().Get(api.HeaderBackupPapers), "7"; got != want {
		t.Errorf("%s = %q, want %q", api.HeaderBackupPapers, got, want)
	}
	dir := filepath.Join(t.TempDir(), "restored")
	tr := tar.NewReader(w.Body)
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		path := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		if hdr.Typeflag == tar.TypeDir {
			os.MkdirAll(path, 0o755)
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("tar entries: %v", names)
	cp, err := search.OpenReadOnly(dir, nil)
	if err != nil {
		t.Fatalf("open the restored backup: %v", err)
	}
	defer cp.Close()
	if n, _ := cp.Count(); n != 7 {
		t.Errorf("restored backup has %d papers, want 7", n)
	}
	// No snapshot is left next to the index.
	entries, _ := os.ReadDir(filepath.Dir(idx.Path()))
	if len(entries) != 1 {
		t.Errorf("left next to the index: %v", entries)
	}
}

func TestHealthzReportsBackgroundErrors(t *testing.T) {
	// A healthy index says ok, with no error fields (the golden file
	// checks the exact body); degraded health is tested end to end with
	// a full disk in cmd/papersearch.
	h := newHandler(t)
	var resp api.HealthResponse
	w := do(t, h, "GET", "/healthz")
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || resp.Status != "ok" || resp.LastError != "" {
		t.Errorf("healthz: %s", w.Body)
	}
}

// Every guard on the public search endpoint answers 400 and names its
// limit.
func TestQueryLimits(t *testing.T) {
	h := newHandler(t)
	many := url.Values{}
	for i := range search.MaxFilterValues + 1 {
		many.Add("topic", fmt.Sprint("t", i))
	}
	tests := []struct{ target, want string }{
		{"/api/search?q=" + url.QueryEscape(strings.Repeat("word ", search.MaxClauses+1)), "more than 64"},
		{"/api/search?" + many.Encode(), "the limit is 20 together"},
		{"/api/search?size=1000000", "size must be between 1 and 100"},
		{"/api/search?page=1000000", "page*size must be at most 10000"},
		{"/api/search?q=" + strings.Repeat("a", search.MaxQueryLen+1), "the limit is 1024"},
	}
	for _, tt := range tests {
		w := do(t, h, "GET", tt.target)
		if w.Code != 400 || !strings.Contains(decodeError(t, w).Message, tt.want) {
			t.Errorf("GET %.80s: %d %s, want 400 saying %q", tt.target, w.Code, w.Body, tt.want)
		}
	}
	// Four-digit years beyond the dates Bleve stores are valid bounds.
	for _, target := range []string{"/api/search?year_from=1000", "/api/search?year_to=9999", "/api/search?year_from=2073&year_to=2269"} {
		if w := do(t, h, "GET", target); w.Code != 200 {
			t.Errorf("GET %s: %d %s", target, w.Code, w.Body)
		}
	}
	// The query language has no regular expressions, drops leading
	// wildcards and caps fuzziness: such queries are searched as words, or
	// refused with a 400 that says why, never an error of ours.
	for _, q := range []string{"/.*/", "*", "*ing", "a.*b", "title:/x/", "prun~9", "p*"} {
		w := do(t, h, "GET", "/api/search?q="+url.QueryEscape(q))
		if w.Code != 200 && (w.Code != 400 || decodeError(t, w).Code != "bad_request") {
			t.Errorf("q=%s: %d %s", q, w.Code, w.Body)
		}
	}
}

func TestRateLimit(t *testing.T) {
	h, err := api.New(api.Config{Index: newIndex(t), Log: testLogger(t), RateLimit: api.RateLimit{PerSecond: 0.01, Burst: 2}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(target, remote string, header map[string]string) *httptest.ResponseRecorder {
		if header == nil {
			header = map[string]string{}
		}
		return send(t, h, request{method: "GET", target: target, remote: remote, header: header})
	}
	for i := range 2 {
		if w := get("/api/search?q=x", "192.0.2.1:1000", nil); w.Code != 200 {
			t.Fatalf("request %d within the burst: %d", i+1, w.Code)
		}
	}
	w := get("/?q=x", "192.0.2.1:1001", nil)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "100" {
		t.Fatalf("over the limit: %d, Retry-After %q; want 429 and 100", w.Code, w.Header().Get("Retry-After"))
	}
	if e := decodeError(t, w); e.Code != "rate_limited" || !strings.Contains(e.Message, "0.01 per second in bursts of 2") {
		t.Errorf("429 body: %+v", e)
	}
	// Health checks, static files, other clients and loopback are not
	// limited.
	for _, r := range []struct{ target, remote string }{
		{"/healthz", "192.0.2.1:1"}, {"/static/style.css", "192.0.2.1:1"}, {"/api/topics", "192.0.2.2:1"}, {"/api/topics", "127.0.0.1:1"}, {"/api/topics", "127.0.0.1:1"}, {"/api/topics", "127.0.0.1:1"},
	} {
		if w := get(r.target, r.remote, nil); w.Code != 200 {
			t.Errorf("GET %s from %s: %d", r.target, r.remote, w.Code)
		}
	}
	// X-Forwarded-For is not believed from an untrusted peer: the peer is
	// still the one over its limit.
	if w := get("/api/topics", "192.0.2.1:1", map[string]string{"X-Forwarded-For": "198.51.100.9"}); w.Code != 429 {
		t.Errorf("a forged X-Forwarded-For escaped the limit: %d", w.Code)
	}
}

// Behind a trusted proxy, clients are told apart by X-Forwarded-For.
func TestTrustedProxies(t *testing.T) {
	h, err := api.New(api.Config{Index: newIndex(t), Log: testLogger(t),
		RateLimit: api.RateLimit{PerSecond: 0.01, Burst: 1}, TrustedProxies: []string{"192.0.2.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, client := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"} {
		w := send(t, h, request{method: "GET", target: "/api/topics", remote: "192.0.2.10:5000", header: map[string]string{"X-Forwarded-For": client}})
		if w.Code != 200 {
			t.Errorf("client %s behind the proxy: %d", client, w.Code)
		}
	}
	w := send(t, h, request{method: "GET", target: "/api/topics", remote: "192.0.2.10:5000", header: map[string]string{"X-Forwarded-For": "198.51.100.1"}})
	if w.Code != 429 {
		t.Errorf("client 198.51.100.1's second request: %d, want 429", w.Code)
	}
	if _, err := api.New(api.Config{Index: newIndex(t), TrustedProxies: []string{"not-an-ip"}}); err == nil {
		t.Error("New accepted a trusted proxy that is not an address")
	}
}
