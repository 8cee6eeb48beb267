package indexer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/papersearch/papersearch/search"
)

// Every fixture is routed to its parser by its first 8 KiB, as IndexReader
// does; JSON by the keys of its first record.
func TestDetectFixtures(t *testing.T) {
	want := map[string]string{
		"hf/daily_papers-2024-05-27.json":                      "hf-api",
		"hf/daily_papers-2024-08-01.json":                      "hf-api",
		"hf/daily_papers-2025-06-25.json":                      "hf-api",
		"hf/daily_papers-2026-06-12.compact.json":              "hf-api",
		"hf/api-paper-2509.24002.json":                         "hf-api",
		"hf/api-papers-search-q-video-generation.json":         "hf-api",
		"hf/papers-listing-2024-08-01.html":                    "hf-html",
		"hf/paper-2509.24002.prettified.html":                  "hf-html",
		"hf/search-results-q-video-generation.html":            "hf-html",
		"atom/deep-dream-0-2017.atom.xml":                      "arxiv-atom",
		"atom/q-testing-s0-m10.atom.xml":                       "arxiv-atom",
		"atom/id-astro-ph-0601001.atom.xml":                    "arxiv-atom",
		"atom/id-abc-error.atom.xml":                           "arxiv-atom",
		"atom/id-0000.0000-empty.atom.xml":                     "arxiv-atom",
		"atom/q-testing-s10-m10-html-entities.atom.xml":        "arxiv-atom",
		"oai/listrecords-arxiv.xml":                            "arxiv-oai",
		"oai/listrecords-oai_dc.xml":                           "arxiv-oai",
		"oai/getrecord-arxiv.xml":                              "arxiv-oai",
		"oai/listidentifiers.xml":                              "arxiv-oai",
		"oai/identify.xml":                                     "arxiv-oai",
		"oai/retry-503.html":                                   "arxiv-oai",
		"snapshot/arxiv-metadata-oai-snapshot.sample200.jsonl": "arxiv-snapshot",
		"listing/cs-cv-new-2025-03-18.html":                    "arxiv-listing",
		"listing/cs-cv-recent-2025-03-18-old-layout.html":      "arxiv-listing",
		"jsonl/arxiv-daily-cs-head50.jsonl":                    "json",
		"jsonl/arxiv-daily-cs-head3.pretty.json":               "json",
		"jsonl/arxiv-daily-cs-head3.latin1.jsonl":              "json",
		"jsonl/arxiv-daily-cs-head3.utf16.jsonl":               "json",
		"papers.jsonl":                                         "json",
		"seed-listing.txt":                                     "listing",
	}
	files, err := filepath.Glob("testdata/*/*")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("testdata/*.*")
	for _, f := range append(files, more...) {
		rel, _ := filepath.Rel("testdata", f)
		if rel == "README.md" || strings.HasPrefix(rel, "fuzz") {
			continue
		}
		if _, ok := want[rel]; !ok {
			t.Errorf("fixture %s is not in this table", rel)
		}
	}
	for rel, name := range want {
		t.Run(rel, func(t *testing.T) {
			if got := detect(t, filepath.Join("testdata", rel), false); got != name {
				t.Errorf("detected %q, want %q", got, name)
			}
			if strings.HasSuffix(rel, ".jsonl") || strings.HasSuffix(rel, ".json") {
				if got := detect(t, filepath.Join("testdata", rel), true); got != name {
					t.Errorf("gzipped: detected %q, want %q", got, name)
				}
			}
		})
	}
}

// detect runs Detect on a file's head, read through OpenSource (which
// decompresses) and decodeUTF16 as Parse reads it, optionally gzipping the
// file first.
func detect(t *testing.T, path string, gz bool) string {
	t.Helper()
	if gz {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(readFixture(t, path))
		zw.Close()
		path = filepath.Join(t.TempDir(), filepath.Base(path)+".gz")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rc, err := OpenSource(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	head := make([]byte, 8<<10)
	n, _ := io.ReadFull(decodeUTF16(bufio.NewReader(rc)), head)
	f, err := Detect(head[:n])
	if err != nil {
		return err.Error()
	}
	return f.Name
}

func TestFormatNamesUnique(t *testing.T) {
	names := FormatNames()
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(names) {
		t.Errorf("format names repeat: %v", names)
	}
	for _, f := range Formats() {
		if f.Sniff == nil || f.Parse == nil {
			t.Errorf("format %s has no sniffer or parser", f.Name)
		}
	}
}

// Every source format through IndexReader into one real index: the same
// paper from several sources is one document with the best of each.
func TestIndexEveryFormat(t *testing.T) {
	idx, err := search.Open(filepath.Join(t.TempDir(), "idx"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	ix := New(idx, DefaultTaxonomy(), nil)
	var rejected []string
	ix.OnReject = func(err error) { rejected = append(rejected, err.Error()) }
	ctx := context.Background()
	// A paper page from the API, then the same day as a listing page ten
	// days later, then arXiv's own metadata for 2509.24002 (hand-written
	// below, as no arXiv capture of it is stored).
	atom := `<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"><id>https://arxiv.org/api/x</id>
<entry><id>http://arxiv.org/abs/2509.24002v1</id><title>MCPMark: A Benchmark for Stress-Testing Realistic and Comprehensive MCP Use</title>
<summary>short</summary><published>2025-09-28T17:53:27Z</published><arxiv:primary_category term="cs.CL"/><category term="cs.CL"/><category term="cs.AI"/></entry></feed>`
	for _, src := range []struct{ name, data string }{
		{"testdata/hf/daily_papers-2024-08-01.json", ""},
		{"testdata/hf/papers-listing-2024-08-01.html", ""},
		{"testdata/hf/api-paper-2509.24002.json", ""},
		{"testdata/hf/paper-2509.24002.prettified.html", ""},
		{"feed.xml", atom},
		{"testdata/snapshot/arxiv-metadata-oai-snapshot.sample200.jsonl", ""},
		{"testdata/oai/listrecords-arxiv.xml", ""},
		{"testdata/oai/listrecords-oai_dc.xml", ""},
		{"testdata/listing/cs-cv-new-2025-03-18.html", ""},
		{"testdata/jsonl/arxiv-daily-cs-head50.jsonl", ""},
		{"testdata/oai/retry-503.html", ""},
	} {
		data := []byte(src.data)
		if src.data == "" {
			data = readFixture(t, src.name)
		}
		if err := ix.IndexReader(ctx, bytes.NewReader(data), src.name, ""); err != nil {
			t.Fatalf("%s: %v", src.name, err)
		}
	}
	if err := ix.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// 13 HF listing papers, 1 HF paper, 200 snapshot, 2 OAI, 50 daily
	// (which include the 5 listing-page papers).
	if n, _ := idx.Count(); n != 13+1+200+2+50 {
		t.Errorf("index holds %d papers, want %d", n, 13+1+200+2+50)
	}
	if len(rejected) != 1 || !strings.Contains(rejected[0], "retry after 10 seconds") {
		t.Errorf("rejected = %q, want only the 503 page", rejected)
	}
	got, err := idx.Lookup(ctx, []string{"2407.21783", "2509.24002", "1412.8544", "2503.11731"})
	if err != nil {
		t.Fatal(err)
	}
	var all parsed
	for _, p := range got {
		all.papers = append(all.papers, p)
	}
	spot{id: "2407.21783", upvotes: 94, comments: 5, authors: 533, featured: "2024-08-01", source: "hf-api,hf-html"}.check(t, all)
	spot{
		id: "2509.24002", upvotes: 118, authors: 15, categories: []string{"cs.CL", "cs.AI"}, stars: 182, featured: "2025-10-01",
		abstract: "MCP standardizes how LLMs", source: "hf-api,hf-html,arxiv-atom",
	}.check(t, all)
	spot{id: "1412.8544", categories: []string{"cs.DM"}, journalRef: "EPTCS 172, 2014, pp. 154-164", source: "arxiv-oai"}.check(t, all)
	spot{id: "2503.11731", authors: 16, categories: []string{"cs.CV", "cs.RO"}, published: "2025-03-18", source: "arxiv-listing,jsonl"}.check(t, all)
}
