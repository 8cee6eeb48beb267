package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/papersearch/papersearch/api"
	"github.com/papersearch/papersearch/search"
)

// runCLI runs the command as main would, with no environment.
func runPlain(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, &errb, func(string) string { return "" })
	return out.String(), errb.String(), err
}

// TestSearchJSONMatchesAPI: `papersearch search --json` prints the very
// bytes GET /api/search sends for the same search (bar the time it took),
// next_cursor included, and following that cursor agrees too.
func TestSearchJSONMatchesAPIWithCursor(t *testing.T) {
	dir := t.TempDir() + "/index"
	// papers.jsonl has bad lines on purpose; the good ones are indexed.
	if _, stderr, err := runPlain(t, "index", "--index", dir, "../../indexer/testdata/seed-listing.txt", "../../indexer/testdata/papers.jsonl"); err != nil && !errors.Is(err, errRejected) {
		t.Fatalf("index: %v\n%s", err, stderr)
	}
	cases := []struct {
		args  []string
		query string
	}{
		{[]string{"quantization"}, "q=quantization"},
		{[]string{"--topic", "quantization", "--topic", "pruning", "--sort", "upvotes", "--size", "3", "language", "models"}, "q=language+models&topic=quantization&topic=pruning&sort=upvotes&size=3"},
		{[]string{"--year-from", "2024", "--page", "2", "--size", "5"}, "year_from=2024&page=2&size=5"},
		{[]string{"<script>alert(1)</script>", "&", "recall"}, "q=%3Cscript%3Ealert%281%29%3C%2Fscript%3E+%26+recall"},
		{[]string{"nothing-matches-this-zzz"}, "q=nothing-matches-this-zzz"},
	}
	cli := make([]string, len(cases))
	for i, c := range cases {
		out, stderr, err := runPlain(t, append([]string{"search", "--index", dir, "--json"}, c.args...)...)
		if err != nil {
			t.Fatalf("search %v: %v\n%s", c.args, err, stderr)
		}
		cli[i] = out
	}
	// The CLI holds the index lock while it runs; the server opens it after.
	idx, err := search.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Index: idx})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(q string) string {
		res, err := http.Get(srv.URL + "/api/search?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	for i, c := range cases {
		body := get(c.query)
		if !tookMS.MatchString(body) {
			t.Fatalf("%s: no took_ms in %s", c.query, body)
		}
		a, b := tookMS.ReplaceAllString(cli[i], `"took_ms":0`), tookMS.ReplaceAllString(body, `"took_ms":0`)
		if a != b {
			t.Errorf("search %v and /api/search?%s differ:\ncli %s\napi %s", c.args, c.query, a, b)
		}
	}

	// The cursor the API hands out continues the CLI's search, and back.
	first := get("q=quantization&size=2")
	m := regexp.MustCompile(`"next_cursor":"([^"]+)"`).FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("no next_cursor in %s", first)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runPlain(t, "search", "--index", dir, "--json", "--size", "2", "--cursor", m[1], "quantization")
	if err != nil {
		t.Fatalf("search --cursor: %v\n%s", err, stderr)
	}
	idx2, err := search.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idx2.Close()
	h2, _ := api.New(api.Config{Index: idx2})
	srv.Config.Handler = h2
	if a, b := tookMS.ReplaceAllString(out, ""), tookMS.ReplaceAllString(get("q=quantization&size=2&cursor="+m[1]), ""); a != b {
		t.Errorf("cursor page differs:\ncli %s\napi %s", a, b)
	}
}
