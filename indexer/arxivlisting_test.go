package indexer

import (
	"bytes"
	"slices"
	"testing"
)

const (
	arxivNewPage = "testdata/listing/cs-cv-new-2025-03-18.html"
	arxivOldPage = "testdata/listing/cs-cv-recent-2025-03-18-old-layout.html"
)

func TestParseArxivListing(t *testing.T) {
	tests := []struct {
		file  string
		ids   []string
		spots []spot
	}{
		{arxivNewPage, []string{"2503.11731", "2503.11742", "2503.11780", "2503.11794", "2503.11806"}, []spot{
			{
				id: "2503.11731", title: "Industrial-Grade Sensor Simulation via Gaussian Splatting: A Modular Framework for Scalable Editing and Full-Stack Validation",
				authors: 16, firstAuthor: "Xianming Zeng", categories: []string{"cs.CV", "cs.RO"}, published: "2025-03-18",
				abstract: "Sensor simulation is pivotal for scalable validation of autonomous driving systems",
				url:      "https://arxiv.org/abs/2503.11731", source: "arxiv-listing",
			},
			{id: "2503.11742", firstAuthor: "Moreno D'Incà", comment: "Work in progress", categories: []string{"cs.CV", "cs.AI"}},
			{id: "2503.11794", categories: []string{"cs.CV", "cs.AI", "cs.CL", "cs.LG"}},
			// A replacement is not published on the listing day, and has no
			// abstract on the page.
			{id: "2503.11806", comment: "Project page: https://www.projectaria.com/scenescript/", authors: 8},
		}},
		{arxivOldPage, []string{"2503.11849", "2503.11905", "2503.12006"}, []spot{
			{id: "2503.11849", title: "Towards a Unified Copernicus Foundation Model for Earth Vision", authors: 11,
				firstAuthor: "Yi Wang", comment: "31 pages, 32 figures", categories: []string{"cs.CV"}},
			{id: "2503.11905", categories: []string{"cs.CV", "cs.AI"}, comment: "Preprint"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := parseFixture(t, ParseArxivListing, tt.file)
			checkErrs(t, got, tt.file, nil)
			if !slices.Equal(got.ids(), tt.ids) {
				t.Errorf("ids = %v, want %v", got.ids(), tt.ids)
			}
			for _, s := range tt.spots {
				s.check(t, got)
			}
		})
	}
	got := parseFixture(t, ParseArxivListing, arxivNewPage)
	if p := got.paper(t, "2503.11806"); p.Published != "" || p.Abstract != "" {
		t.Errorf("replacement: published %q, abstract %q; want neither", p.Published, clip(p.Abstract))
	}
	got = parseFixture(t, ParseArxivListing, arxivOldPage)
	if p := got.paper(t, "2503.11849"); p.Published != "" || p.Abstract != "" {
		t.Errorf("recent page: published %q, abstract %q; want neither", p.Published, clip(p.Abstract))
	}
}

func TestParseArxivListingErrors(t *testing.T) {
	page := readFixture(t, arxivNewPage)
	entry := func(dt, dd string) string {
		return "<dt>" + dt + "</dt>\n<dd><div class='meta'>" + dd + "</div></dd>\n"
	}
	title := "<div class='list-title mathjax'><span class='descriptor'>Title:</span> A title</div>"
	wrap := func(entries string) []byte {
		return []byte("<!DOCTYPE html>\n<html><body>\n<dl>\n" + entries + "</dl>\n</body></html>\n")
	}
	cut := bytes.Index(page, []byte("arXiv:2503.11794"))
	tests := []struct {
		name   string
		in     []byte
		papers int
		errs   []wantErr
	}{
		{"entry without id", wrap(entry(`<a href="/pdf/">pdf</a>`, title) + entry(`<a href="/abs/2503.11731v2">arXiv:2503.11731</a>`, title)), 1,
			[]wantErr{{line: 4, offset: true, contains: "entry has no arXiv id"}}},
		{"entry without dd", wrap("<dt><a href=\"/abs/2503.11731\">x</a></dt>\n" + entry(`<a href="/abs/2503.11742">x</a>`, title)), 1,
			[]wantErr{{line: 4, contains: "entry 2503.11731 has no <dd>"}}},
		{"entry without title", wrap(entry(`<a href="/abs/2503.11731">x</a>`, "<div class='list-authors'>A. One</div>")), 0,
			[]wantErr{{line: 4, contains: "entry 2503.11731 has no title"}}},
		{"id in text only", wrap(entry(`arXiv:2503.11731`, title)), 1, nil},
		{"truncated", page[:cut], 3, []wantErr{
			{offset: true, contains: "entry 2503.11794 has no <dd>"},
			{line: bytes.Count(page[:cut], []byte("\n")) + 1, offset: true, contains: "truncated"},
		}},
		{"another site", []byte("<html><body><dl><dd>no terms</dd></dl></body></html>"), 0, []wantErr{{contains: "not an arXiv listing page"}}},
		{"empty", nil, 0, []wantErr{{contains: "the source is empty"}}},
		{"binary", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00"), 0, []wantErr{{contains: "looks binary"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseBytes(t, ParseArxivListing, "list.html", tt.in)
			checkErrs(t, got, "list.html", tt.errs)
			if len(got.papers) != tt.papers {
				t.Errorf("got %d papers, want %d", len(got.papers), tt.papers)
			}
		})
	}
}

func TestListingDate(t *testing.T) {
	for in, want := range map[string]string{
		"Showing new listings for Tuesday, 18 March 2025": "2025-03-18",
		"New submissions for Thu, 3 Jun 21":               "2021-06-03",
		"Tue, 18 Mar 2025 (showing 3 of 3 entries )":      "2025-03-18",
		"New submissions (showing 4 of 4 entries)":        "",
	} {
		if got := listingDate(in); got != want {
			t.Errorf("listingDate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSniffArxivListing(t *testing.T) {
	for _, tt := range []struct {
		file string
		want bool
	}{
		{arxivNewPage, true}, {arxivOldPage, true},
		{"testdata/oai/retry-503.html", false}, {"testdata/hf/search-results-q-video-generation.html", false},
	} {
		head := readFixture(t, tt.file)
		if got := sniffArxivListing(head[:min(len(head), 8<<10)]); got != tt.want {
			t.Errorf("sniffArxivListing(%s) = %v, want %v", tt.file, got, tt.want)
		}
	}
}

func FuzzParseArxivListing(f *testing.F) {
	fuzzParser(f, ParseArxivListing, arxivNewPage, arxivOldPage)
}

func BenchmarkParseArxivListing(b *testing.B) {
	benchParser(b, ParseArxivListing, arxivNewPage)
}
