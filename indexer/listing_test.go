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

// The seed as people paste it: every variant of the author, "·" and date
// lines gives the same 33 papers as the seed itself.
func TestParseListingPastedVariants(t *testing.T) {
	raw, err := os.ReadFile("testdata/seed-listing.txt")
	if err != nil {
		t.Fatal(err)
	}
	seed := string(raw)
	want, errs := collect(t, ParseListing(strings.NewReader(seed), "seed"))
	if len(want) != 33 || len(errs) > 0 {
		t.Fatalf("seed: %d papers, errors %v", len(want), errs)
	}
	authorLine := regexp.MustCompile(`(?m)^  • (\d+) authors?$`)
	dateLine := regexp.MustCompile(`(?m)^([A-Z][a-z]{2}) (\d{1,2}), (\d{4})( \d+)?$`)
	// nth applies f to the n-th match (1-based) of re only.
	nth := func(re *regexp.Regexp, n int, f func(string) string) func(string) string {
		return func(s string) string {
			i := 0
			return re.ReplaceAllStringFunc(s, func(m string) string {
				if i++; i == n {
					return f(m)
				}
				return m
			})
		}
	}
	all := func(re *regexp.Regexp, repl string) func(string) string {
		return func(s string) string { return re.ReplaceAllString(s, repl) }
	}
	tests := []struct {
		name string
		edit func(string) string
		// authors overrides the author count of papers by index.
		authors map[int]int
	}{
		{name: "NBSP after the bullet of block 2", edit: nth(authorLine, 2, func(l string) string { return strings.Replace(l, "• ", "•\u00a0", 1) })},
		{name: "many authors in block 2", edit: nth(authorLine, 2, func(string) string { return "  • many authors" }), authors: map[int]int{1: 0}},
		{name: "Unicode spaces in every author line", edit: all(authorLine, "\u00a0\u00a0•\u2009$1\u202fauthors\u200b")},
		{name: "Unicode spaces in every date line", edit: all(dateLine, "$1\u00a0$2,\u2009$3$4\u00a0")},
		{name: "Unicode spaces around every ·", edit: func(s string) string { return strings.ReplaceAll(s, "\n·\n", "\n\u00a0·\u3000\n") }},
		{name: "CRLF", edit: func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }},
		{name: "tabs and trailing spaces", edit: all(authorLine, "\t•\t$1 authors  ")},
		{name: "* for the bullet", edit: all(authorLine, "  * $1 authors")},
		{name: "- for the bullet", edit: all(authorLine, "- $1 authors")},
		{name: "no bullet", edit: all(authorLine, "$1 authors")},
		{name: "Authors capitalised", edit: all(authorLine, "  • $1 Authors")},
		{name: "a bullet on a line of its own", edit: all(authorLine, "  •\n$1 authors")},
		{name: "author line, · and date on one line", edit: func(s string) string { return strings.ReplaceAll(s, "\n·\n", " · ") }},
		{name: "· and date on one line", edit: func(s string) string { return strings.ReplaceAll(s, "\n·\n", "\n· ") }},
		{name: "no · line", edit: func(s string) string { return strings.ReplaceAll(s, "\n·\n", "\n") }},
		{name: "no blank lines", edit: func(s string) string { return strings.ReplaceAll(s, "\n\n", "\n") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.edit(seed)
			if in == seed {
				t.Fatal("the edit changed nothing")
			}
			got, errs := collect(t, ParseListing(strings.NewReader(in), "pasted"))
			for _, e := range errs {
				t.Errorf("error: %v", e)
			}
			if len(got) != len(want) {
				t.Fatalf("got %d papers, want %d", len(got), len(want))
			}
			for i, p := range got {
				w := want[i]
				if n, ok := tt.authors[i]; ok {
					w.AuthorCount = n
				}
				if p.ID != w.ID || p.Title != w.Title || p.Abstract != w.Abstract || p.AuthorCount != w.AuthorCount ||
					p.Published != w.Published || p.Upvotes != w.Upvotes {
					t.Errorf("paper %d = %q, %d authors, %s, %d upvotes, abstract %q;\nwant %q, %d authors, %s, %d upvotes",
						i, p.Title, p.AuthorCount, p.Published, p.Upvotes, clip(p.Abstract[max(0, len(p.Abstract)-60):]),
						w.Title, w.AuthorCount, w.Published, w.Upvotes)
				}
			}
		})
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
		{
			name:     "author line not recognised",
			in:       "Title A\n\nAbstract A.\n\n  • 2 authors\n·\nJul 7, 2024\n\nTitle B\n\nAbstract B.\n\n  ▪ two authors\n·\nNov 8, 2023\n\nTitle C\n\nAbstract C.\n\n  • 1 author\n·\nFeb 2, 2024 12\n",
			titles:   []string{"Title A", "Title C"},
			errLines: []int{13},
			errText:  `listing block for "Title B": author line "▪ two authors" not recognised`,
		},
		{
			name:     "author line not recognised, without its ·",
			in:       "Title A\n\nAbstract A.\n\n  • 2 authors\n·\nJul 7, 2024\n\nTitle B\n\nAbstract B.\n\n  2 auteurs\nNov 8, 2023\n\nTitle C\n\nAbstract C.\n\n  • 1 author\n·\nFeb 2, 2024 12\n",
			titles:   []string{"Title A", "Title C"},
			errLines: []int{13},
			errText:  "not recognised",
		},
		{
			name:     "author line not recognised, date does not parse",
			in:       "Title A\n\nAbstract A.\n\n  many, many authors\n·\nJuly 7th, 2024\n\nTitle B\n\nAbstract B.\n\n  • 1 author\n·\nFeb 2, 2024\n",
			titles:   []string{"Title B"},
			errLines: []int{5},
			errText:  "not recognised",
		},
		{
			name:     "no author line",
			in:       "Title A\n\nAbstract A.\n\n  • 2 authors\n·\nJul 7, 2024\n\nTitle B\n\nAbstract B.\n·\nNov 8, 2023\n\nTitle C\n\nAbstract C.\n\n  • 1 author\n·\nFeb 2, 2024\n",
			titles:   []string{"Title A", "Title C"},
			errLines: []int{9},
			errText:  `listing block for "Title B" has no author line`,
		},
		{
			name:     "two author lines",
			in:       "Title A\n\nAbstract A.\n\n  • 2 authors\n  • 2 authors\n·\nJul 7, 2024\n\nTitle B\n\nAbstract B.\n\n  • 1 author\n·\nFeb 2, 2024\n",
			titles:   []string{"Title B"},
			errLines: []int{1, 6},
			errText:  "",
		},
		{
			name:     "author count out of range",
			in:       "Title A\n\nAbstract A.\n\n  • 99999999999999999999 authors\n·\nJul 7, 2024\n\nTitle B\n\nAbstract B.\n\n  • 1 author\n·\nFeb 2, 2024\n",
			titles:   []string{"Title B"},
			errLines: []int{5},
			errText:  "author count",
		},
		{
			name:   "a title that starts like a date",
			in:     "Title A\n\nAbstract A.\n\n  • 2 authors\n·\nJul 7, 2024\n\nMay 2024 brought 5 new models\n\nAbstract B.\n\n  • 1 author\n·\nSept. 2, 2024\n",
			titles: []string{"Title A", "May 2024 brought 5 new models"},
		},
		// A source that yields no paper says so, at no line.
		{name: "empty", in: "", errLines: []int{0}, errText: "the source is empty"},
		{name: "white space only", in: "\n  \r\n\u00a0\t\n", errLines: []int{0}, errText: "the source is empty"},
		{name: "page header only", in: "Daily Papers\n", errLines: []int{0}, errText: "no papers found: not a Hugging Face listing"},
		{
			name:     "no block closes",
			in:       "Daily Papers\n\nJan 9\n\nTitle A\n\nAbstract A.\n\n  > 2 authors\n\nTitle B\n\nAbstract B.\n",
			errLines: []int{0},
			errText:  "no papers found",
		},
		{
			name:     "a line too long, then no block",
			in:       "Title A\n" + strings.Repeat("x", maxLine+1) + "\nAbstract A.\n",
			errLines: []int{2, 1},
			errText:  "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			papers, errs := collect(t, ParseListing(strings.NewReader(tt.in), "x.txt"))
			var titles []string
			for _, p := range papers {
				titles = append(titles, p.Title)
				if strings.Contains(p.Abstract, "·") || strings.Contains(p.Abstract, "author") {
					t.Errorf("%q took another block's lines into its abstract: %q", p.Title, p.Abstract)
				}
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
				prefix := "x.txt:" + strconv.Itoa(tt.errLines[i]) + ": "
				if tt.errLines[i] == 0 {
					prefix = "x.txt: "
				}
				if !strings.HasPrefix(e.Error(), prefix) {
					t.Errorf("error %q does not start with SOURCE:LINE:", e)
				}
			}
		})
	}
}

// A source is taken for a listing when its head holds a listing block, as
// pasted; a note that describes the format, or names the page, is not one.
func TestSniffListing(t *testing.T) {
	seed, err := os.ReadFile("testdata/seed-listing.txt")
	if err != nil {
		t.Fatal(err)
	}
	head := string(seed[:8<<10])
	// The format as ../shared/data/seed/README.md describes it.
	readme := "# seed: a Hugging Face \"Daily Papers\" search listing, as plain text\n\n" +
		"Format, after a short page header (\"Daily Papers\", \"byAK and the research community\", a page date such as \"Jan 9\"),\n" +
		"one block per paper, blocks separated by blank lines:\n\n" +
		"    <title>\n    <blank>\n    <abstract: one long line>\n    <blank>\n      • <N> authors\n    ·\n    <Mon D, YYYY>[ <upvotes>]\n\n" +
		"The upvote count after the date is present only when the paper has upvotes (\"Feb 28, 2024 12\" = 12 upvotes).\n"
	tests := []struct {
		name string
		head string
		want bool
	}{
		{"seed", head, true},
		{"seed, CRLF", strings.ReplaceAll(head, "\n", "\r\n"), true},
		{"seed, no-break spaces", strings.ReplaceAll(head, "  • ", "\u00a0•\u00a0"), true},
		{"seed, * bullets", strings.ReplaceAll(head, "•", "*"), true},
		{"seed, author line, · and date on one line", strings.ReplaceAll(head, "\n·\n", " · "), true},
		{"seed, no · lines", strings.ReplaceAll(head, "\n·\n", "\n"), true},
		{"a README describing the format", readme, false},
		{"the page header alone", "Daily Papers\n\nbyAK and the research community\n\nJan 9\n", false},
		{"Daily Papers", "Daily Papers", false},
		{"markdown naming the lines", "| `listing` | title, abstract, `• N authors`, `·`, `Mon D, YYYY [upvotes]` blocks |\n", false},
		{"an author line with no date after it", "Title\n\nAbstract.\n\n  • 2 authors\n\nMore prose.\n\nJul 7, 2024\n", false},
		{"a date with no author line before it", "Title\n\nAbstract.\n·\nJul 7, 2024\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sniffListing([]byte(tt.head)); got != tt.want {
				t.Errorf("sniffListing = %v, want %v", got, tt.want)
			}
			f, err := Detect([]byte(tt.head))
			if tt.want && (err != nil || f.Name != "listing") {
				t.Errorf("Detect = %q, %v; want listing", f.Name, err)
			}
			if !tt.want && !errors.Is(err, ErrUnknownFormat) {
				t.Errorf("Detect = %q, %v; want %v", f.Name, err, ErrUnknownFormat)
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
	f.Add([]byte("T\r\n\r\nA.\r\n\u00a0•\u2009many authors\r\n·\u00a0Jul\u00a07, 2024 3\r\n\r\nU\n\nB.\n  ▪ 2 authors\n·\nJuly 7th\n"))
	f.Add([]byte("T\n• 1 author · Sept. 5, 2024 1,024\n·\nMay 5\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		records := 0
		for p, err := range ParseListing(strings.NewReader(string(b)), "fuzz") {
			records++
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
		if records == 0 {
			t.Fatal("no paper and no error: the source was lost in silence")
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
