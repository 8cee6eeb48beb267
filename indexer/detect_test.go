package indexer

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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
// decompresses), optionally gzipping the file first.
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
	n, _ := io.ReadFull(rc, head)
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
