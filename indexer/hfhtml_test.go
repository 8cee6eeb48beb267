package indexer

import (
	"bytes"
	"regexp"
	"slices"
	"testing"
)

const (
	hfListingPage = "testdata/hf/papers-listing-2024-08-01.html"
	hfPaperPage   = "testdata/hf/paper-2509.24002.prettified.html"
	hfSearchPage  = "testdata/hf/search-results-q-video-generation.html"
)

var hfListingIDs = []string{
	"2407.21783", "2407.21705", "2407.21770", "2407.21646", "2407.21772", "2407.21630", "2407.21721",
	"2407.21530", "2407.20229", "2407.21781", "2407.21686", "2407.21475", "2404.01300",
}

func TestParseHFHTML(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		ids   []string
		spots []spot
	}{
		{
			name: "daily listing, data-props", file: hfListingPage, ids: hfListingIDs,
			spots: []spot{{
				id: "2407.21783", title: "The Llama 3 Herd of Models", firstAuthor: "Abhimanyu Dubey", authors: 533,
				abstract: "Modern artificial intelligence (AI) systems are powered by foundation models.",
				upvotes:  94, comments: 5, published: "2024-07-31", featured: "2024-08-01",
				hfURL: "https://huggingface.co/papers/2407.21783", source: "hf-html",
			}, {
				// Added to the day after the JSON capture of the same day.
				id: "2404.01300", published: "2024-04-01", featured: "2024-08-01", upvotes: 3, comments: 2,
			}},
		},
		{
			// Saved through a prettifier: single-quoted data-props placed
			// before data-target, and whitespace inside every element.
			name: "prettified paper page, data-props", file: hfPaperPage, ids: []string{"2509.24002"},
			spots: []spot{{
				id: "2509.24002", title: "MCPMark: A Benchmark for Stress-Testing Realistic and Comprehensive MCP Use",
				authors: 15, firstAuthor: "Zijian Wu", upvotes: 118, comments: 2, keywords: 21,
				github: "https://github.com/eval-sys/mcpmark", stars: 182, published: "2025-09-28", featured: "2025-10-01",
				abstract: "MCP standardizes how LLMs interact with external systems",
			}},
		},
		{
			name: "search results, markup only", file: hfSearchPage, ids: []string{"2510.02283", "2510.01284", "2510.02295"},
			spots: []spot{{
				id: "2510.02283", title: "Self-Forcing++: Towards Minute-Scale High-Quality Video Generation",
				abstract:    "Diffusion models have revolutionized image and video generation",
				authorCount: 9, upvotes: 43, comments: 2, published: "2025-10-02",
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseFixture(t, ParseHFHTML, tt.file)
			checkErrs(t, got, tt.file, nil)
			if !slices.Equal(got.ids(), tt.ids) {
				t.Errorf("ids = %v, want %v", got.ids(), tt.ids)
			}
			for _, s := range tt.spots {
				s.check(t, got)
			}
		})
	}
}

var dataProps = regexp.MustCompile(`data-props=("[^"]*"|'[^']*')`)

// Without the hydration JSON the markup still gives the papers, less their
// author names (and, on listings, their abstracts).
func TestParseHFHTMLMarkupFallback(t *testing.T) {
	t.Run("listing", func(t *testing.T) {
		page := dataProps.ReplaceAll(readFixture(t, hfListingPage), nil)
		got := parseBytes(t, ParseHFHTML, "listing.html", page)
		checkErrs(t, got, "listing.html", nil)
		if !slices.Equal(got.ids(), hfListingIDs) {
			t.Errorf("ids = %v, want %v", got.ids(), hfListingIDs)
		}
		spot{id: "2407.21783", title: "The Llama 3 Herd of Models", authorCount: 533, upvotes: 94, comments: 5, featured: "2024-08-01"}.check(t, got)
		spot{id: "2407.21705", authorCount: 5, upvotes: 24, comments: 2}.check(t, got)
	})
	t.Run("paper page", func(t *testing.T) {
		page := dataProps.ReplaceAll(readFixture(t, hfPaperPage), nil)
		got := parseBytes(t, ParseHFHTML, "paper.html", page)
		checkErrs(t, got, "paper.html", nil)
		spot{
			id: "2509.24002", title: "MCPMark: A Benchmark for Stress-Testing Realistic and Comprehensive MCP Use",
			authors: 15, firstAuthor: "Zijian Wu", upvotes: 118, featured: "2025-10-01",
			github: "https://github.com/eval-sys/mcpmark", stars: 182,
			abstract: "MCP standardizes how LLMs interact with external systems, forming the foundation for general agents",
		}.check(t, got)
	})
	t.Run("broken data-props", func(t *testing.T) {
		page := readFixture(t, hfListingPage)
		page = dataProps.ReplaceAllFunc(page, func(b []byte) []byte {
			if bytes.Contains(b, []byte("dailyPapers")) {
				return []byte(`data-props="{&quot;dailyPapers&quot;:[{&quot;paper"`)
			}
			return b
		})
		got := parseBytes(t, ParseHFHTML, "listing.html", page)
		checkErrs(t, got, "listing.html", []wantErr{{line: 118, offset: true, contains: "data-props of DailyPapers is not valid JSON"}})
		if len(got.papers) != 13 {
			t.Errorf("got %d papers from the markup, want 13", len(got.papers))
		}
	})
}

func TestParseHFHTMLErrors(t *testing.T) {
	listing := readFixture(t, hfListingPage)
	tests := []struct {
		name   string
		in     []byte
		papers int
		errs   []wantErr
	}{
		{"empty", nil, 0, []wantErr{{contains: "the source is empty"}}},
		{"BOM and space", []byte("\xef\xbb\xbf \r\n"), 0, []wantErr{{contains: "the source is empty"}}},
		{"binary", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 0, []wantErr{{contains: "looks binary"}}},
		{"another site", []byte("<!doctype html><html><body><h1>Hello</h1><p>Nothing here.</p></body></html>"), 0, []wantErr{{contains: "not a Hugging Face papers page"}}},
		{"cut inside the data", listing[:100000], 0, []wantErr{{line: 118, offset: true, contains: "truncated"}}},
		{"cut after the data", listing[:180000], 13, []wantErr{{line: 353, offset: true, contains: "papers after this point are missing"}}},
		{"bad item", []byte(`<html><div data-target="DailyPapers" data-props='{"dailyPapers":[{"paper":{"id":"2407.21783","title":"T"}},{"paper":{"title":"no id"}}]}'></div></html>`), 1,
			[]wantErr{{line: 1, contains: "DailyPapers.dailyPapers[1]: the item has no paper.id"}}},
		{"card without title", []byte("<html><body><article><a href=\"/papers/2407.21783\">img</a></article>\n<article><h3><a href=\"/papers/2407.21705\">Tora</a></h3></article></body></html>"), 1,
			[]wantErr{{line: 1, contains: "paper card 1 has no title link"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseBytes(t, ParseHFHTML, "page.html", tt.in)
			checkErrs(t, got, "page.html", tt.errs)
			if len(got.papers) != tt.papers {
				t.Errorf("got %d papers, want %d", len(got.papers), tt.papers)
			}
		})
	}
}

// The same day from the API and, ten days later, from the page: merged, each
// paper keeps the newer counts and the API's fields.
func TestHFJSONAndHTMLMerge(t *testing.T) {
	api := parseFixture(t, ParseHFAPI, "testdata/hf/daily_papers-2024-08-01.json")
	page := parseFixture(t, ParseHFHTML, hfListingPage)
	merged := map[string]int{}
	var all parsed
	for _, p := range append(api.papers, page.papers...) {
		if i, ok := merged[p.ID]; ok {
			all.papers[i] = Merge(all.papers[i], p)
			continue
		}
		merged[p.ID] = len(all.papers)
		all.papers = append(all.papers, p)
	}
	if len(all.papers) != 13 {
		t.Fatalf("got %d papers, want 13 (11 in both, 2 only on the page)", len(all.papers))
	}
	spot{
		id: "2407.21783", authors: 533, upvotes: 94, comments: 5, published: "2024-07-31", featured: "2024-08-01",
		source: "hf-api,hf-html", title: "The Llama 3 Herd of Models",
	}.check(t, all)
	spot{id: "2407.21705", upvotes: 24, comments: 2, source: "hf-api,hf-html"}.check(t, all)
	spot{id: "2404.01300", upvotes: 3, source: "hf-html"}.check(t, all)
}

func TestSniffHFHTML(t *testing.T) {
	for _, tt := range []struct {
		file string
		want bool
	}{
		{hfListingPage, true},
		{hfPaperPage, true},
		{hfSearchPage, true},
		{"testdata/listing/cs-cv-new-2025-03-18.html", false},
		{"testdata/oai/retry-503.html", false},
	} {
		head := readFixture(t, tt.file)
		if got := sniffHFHTML(head[:min(len(head), 8<<10)]); got != tt.want {
			t.Errorf("sniffHFHTML(%s) = %v, want %v", tt.file, got, tt.want)
		}
	}
}

func FuzzParseHFHTML(f *testing.F) {
	f.Add([]byte(`<html><div data-target="DailyPapers" data-props='{"dailyPapers":[{"paper":{"id":"1","title":"T"}}],"date":"2024-08-01"}'></div></html>`))
	fuzzParser(f, ParseHFHTML, hfPaperPage, hfSearchPage)
}

func BenchmarkParseHFHTML(b *testing.B) {
	benchParser(b, ParseHFHTML, hfListingPage)
}
