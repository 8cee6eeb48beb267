package indexer

import (
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/papersearch/papersearch/search"
)

// collect runs a parser and splits what it yields.
func collect(t *testing.T, it func(func(search.Paper, error) bool)) ([]search.Paper, []*RecordError) {
	t.Helper()
	var papers []search.Paper
	var errs []*RecordError
	for p, err := range it {
		if err != nil {
			var re *RecordError
			if !errors.As(err, &re) {
				t.Fatalf("parser yielded %T (%v), want *RecordError", err, err)
			}
			errs = append(errs, re)
			continue
		}
		papers = append(papers, p)
	}
	return papers, errs
}

// TestParseListingSeed checks every paper of the seed against the text
// itself: each block's date line is the anchor, and its title, abstract and
// author line sit at fixed offsets above it.
func TestParseListingSeed(t *testing.T) {
	raw, err := os.ReadFile("testdata/seed-listing.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	dateRe := regexp.MustCompile(`^([A-Z][a-z]{2} \d{1,2}, \d{4})(?: (\d+))?$`)
	type want struct {
		title, abstract, published string
		authors, upvotes           int
	}
	var wants []want
	for i, l := range lines {
		m := dateRe.FindStringSubmatch(l)
		if m == nil || i < 8 {
			continue
		}
		n, _ := strconv.Atoi(strings.Fields(lines[i-2])[1])
		up, _ := strconv.Atoi(m[2])
		d, _ := ParseDate(m[1])
		wants = append(wants, want{lines[i-6], lines[i-4], d, n, up})
	}
	if len(wants) != 33 {
		t.Fatalf("fixture has %d date lines, want 33", len(wants))
	}

	f, _ := os.Open("testdata/seed-listing.txt")
	defer f.Close()
	papers, errs := collect(t, ParseListing(f, "seed"))
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if len(papers) != 33 {
		t.Fatalf("got %d papers, want 33", len(papers))
	}
	ids := map[string]bool{}
	for i, p := range papers {
		w := wants[i]
		if p.Title != w.title || p.Abstract != CleanText(w.abstract) || p.AuthorCount != w.authors ||
			p.Published != w.published || p.Upvotes != w.upvotes {
			t.Errorf("paper %d = %q %d authors %s %d upvotes; want %q %d authors %s %d upvotes",
				i, p.Title, p.AuthorCount, p.Published, p.Upvotes, w.title, w.authors, w.published, w.upvotes)
		}
		if p.Abstract == "" || p.Source != "listing" {
			t.Errorf("paper %d: abstract %d bytes, source %q", i, len(p.Abstract), p.Source)
		}
		if ids[p.ID] {
			t.Errorf("duplicate id %s", p.ID)
		}
		ids[p.ID] = true
	}
	if got := papers[0]; got.Title != "Just read twice: closing the recall gap for recurrent language models" || got.AuthorCount != 9 || got.Published != "2024-07-07" {
		t.Errorf("first paper = %+v", got)
	}
	if got := papers[2]; got.Upvotes != 12 || got.Published != "2024-02-28" {
		t.Errorf("third paper upvotes %d date %s, want 12 and 2024-02-28", got.Upvotes, got.Published)
	}
}

func TestParseListingBadBlocks(t *testing.T) {
	long := strings.Repeat("This abstract goes on. ", 20)
	tests := []struct {
		name     string
		in       string
		titles   []string
		errLines []int
		errText  string
	}{
		{
			name:   "two good blocks, CRLF",
			in:     "Daily Papers\r\n\r\nJan 9\r\n\r\nTitle A\r\n\r\nAbstract A.\r\n\r\n  • 2 authors\r\n·\r\nJul 7, 2024\r\n\r\nTitle B\r\n\r\nAbstract B.\r\n\r\n  • 1 author\r\n·\r\nFeb 28, 2024 12\r\n",
			titles: []string{"Title A", "Title B"},
		},
		{
			name:     "date does not parse",
			in:       "Title A\n\nAbstract A.\n\n  • 2 authors\n·\nJul 77, 2024\n\nTitle B\n\nAbstract B.\n\n  • 1 author\n·\nFeb 2, 2024\n",
			titles:   []string{"Title B"},
			errLines: []int{7},
			errText:  "does not parse",
		},
		{
			name:     "block without a title",
			in:       "Title A\n\nAbstract A.\n\n  • 2 authors\n·\nJul 7, 2024\n\n" + long + "\n\n  • 3 authors\n·\nJul 8, 2024\n\nTitle C\n\nAbstract C.\n\n  • 1 author\n·\nFeb 2, 2024\n",
			titles:   []string{"Title A", "Title C"},
			errLines: []int{9},
			errText:  "no title",
		},
		{
			name:     "ends without a date",
			in:       "Title A\n\nAbstract A.\n\n  • 2 authors\n·\n",
			errLines: []int{1},
			errText:  "without a date",
		},
		{
			name:    "byte-order mark",
			in:      "\ufeffTitle A\n\nAbstract A.\n\n  • 2 authors\n·\nJul 7, 2024\n",
			titles:  []string{"Title A"},
			errText: "",
		},
		{
			name:     "block without a date line",
			in:       "Title A\n\nAbstract A.\n\n  • 2 authors\n·\nTitle B\n\nAbstract B.\n\n  • 1 author\n·\nFeb 2, 2024\n",
			titles:   []string{"Title B"},
			errLines: []int{1},
			errText:  "no date line",
		},
		{name: "empty", in: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			papers, errs := collect(t, ParseListing(strings.NewReader(tt.in), "x.txt"))
			var titles []string
			for _, p := range papers {
				titles = append(titles, p.Title)
			}
			if strings.Join(titles, "|") != strings.Join(tt.titles, "|") {
				t.Errorf("titles = %q, want %q", titles, tt.titles)
			}
			if len(errs) != len(tt.errLines) {
				t.Fatalf("errors = %v, want lines %v", errs, tt.errLines)
			}
			for i, e := range errs {
				if e.Line != tt.errLines[i] || e.Source != "x.txt" || !strings.Contains(e.Error(), tt.errText) {
					t.Errorf("error %d = %q (line %d), want x.txt:%d: …%s…", i, e, e.Line, tt.errLines[i], tt.errText)
				}
				if !strings.HasPrefix(e.Error(), "x.txt:"+strconv.Itoa(tt.errLines[i])+": ") {
					t.Errorf("error %q does not start with SOURCE:LINE:", e)
				}
			}
		})
	}
}

func FuzzParseListing(f *testing.F) {
	seed, err := os.ReadFile("testdata/seed-listing.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte("Title\n\n  • 2 authors\n·\nJul 7, 2024 3\n"))
	f.Add([]byte("\xff\xfe\x00bad\n  • 999999999999999999999 authors\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for p, err := range ParseListing(strings.NewReader(string(b)), "fuzz") {
			if err != nil {
				var re *RecordError
				if !errors.As(err, &re) || re.Source != "fuzz" {
					t.Fatalf("bad error %T %v", err, err)
				}
				continue
			}
			if p.ID == "" || p.Title == "" {
				t.Fatalf("paper without id or title: %+v", p)
			}
		}
	})
}

func BenchmarkParseListing(b *testing.B) {
	raw, err := os.ReadFile("testdata/seed-listing.txt")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		for _, err := range ParseListing(strings.NewReader(string(raw)), "seed") {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
