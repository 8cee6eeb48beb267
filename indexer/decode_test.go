package indexer

import (
	"bytes"
	"errors"
	"io"
	"iter"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/papersearch/papersearch/search"
)

// Helpers shared by the parser tests.

type parseFunc func(io.Reader, string) iter.Seq2[search.Paper, error]

type parsed struct {
	papers []search.Paper
	errs   []*RecordError
}

func (p parsed) ids() []string {
	out := make([]string, len(p.papers))
	for i, x := range p.papers {
		out[i] = x.ID
	}
	return out
}

func (p parsed) paper(t *testing.T, id string) search.Paper {
	t.Helper()
	for _, x := range p.papers {
		if x.ID == id {
			return x
		}
	}
	t.Fatalf("no paper %s among %v", id, p.ids())
	return search.Paper{}
}

func parseBytes(t testing.TB, parse parseFunc, source string, data []byte) parsed {
	t.Helper()
	var out parsed
	for p, err := range parse(bytes.NewReader(data), source) {
		if err != nil {
			var re *RecordError
			if !errors.As(err, &re) {
				t.Fatalf("error %v (%T) is not a *RecordError", err, err)
			}
			out.errs = append(out.errs, re)
			continue
		}
		out.papers = append(out.papers, p)
	}
	return out
}

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseFixture(t testing.TB, parse parseFunc, path string) parsed {
	t.Helper()
	return parseBytes(t, parse, path, readFixture(t, path))
}

// spot is what a test checks of one paper; zero fields are not checked.
type spot struct {
	id, title, abstract, firstAuthor, published, updated, featured string
	comment, journalRef, doi, url, pdfURL, hfURL, github, source   string
	authors, authorCount, upvotes, comments, stars, keywords       int
	categories                                                     []string
}

func (s spot) check(t *testing.T, got parsed) {
	t.Helper()
	p := got.paper(t, s.id)
	str := func(name, got, want string) {
		t.Helper()
		if want != "" && got != want {
			t.Errorf("%s: %s = %q, want %q", s.id, name, got, want)
		}
	}
	num := func(name string, got, want int) {
		t.Helper()
		if want != 0 && got != want {
			t.Errorf("%s: %s = %d, want %d", s.id, name, got, want)
		}
	}
	str("title", p.Title, s.title)
	if s.abstract != "" && !strings.HasPrefix(p.Abstract, s.abstract) {
		t.Errorf("%s: abstract = %q, want it to start with %q", s.id, clip(p.Abstract), s.abstract)
	}
	if s.firstAuthor != "" && (len(p.Authors) == 0 || p.Authors[0] != s.firstAuthor) {
		t.Errorf("%s: authors = %q, want %q first", s.id, p.Authors, s.firstAuthor)
	}
	str("published", p.Published, s.published)
	str("updated", p.Updated, s.updated)
	str("featured_on", p.FeaturedOn, s.featured)
	str("comment", p.Comment, s.comment)
	str("journal_ref", p.JournalRef, s.journalRef)
	str("doi", p.DOI, s.doi)
	str("url", p.URL, s.url)
	str("pdf_url", p.PDFURL, s.pdfURL)
	str("hf_url", p.HFURL, s.hfURL)
	str("github_repo", p.GitHubRepo, s.github)
	str("source", p.Source, s.source)
	num("len(authors)", len(p.Authors), s.authors)
	num("author_count", p.AuthorCount, s.authorCount)
	num("upvotes", p.Upvotes, s.upvotes)
	num("num_comments", p.NumComments, s.comments)
	num("github_stars", p.GitHubStars, s.stars)
	num("len(keywords)", len(p.Keywords), s.keywords)
	if s.categories != nil && !slices.Equal(p.Categories, s.categories) {
		t.Errorf("%s: categories = %q, want %q", s.id, p.Categories, s.categories)
	}
}

// wantErrs checks the record errors of a parse: their count, and that each
// names the source and, in order, the position and words given.
type wantErr struct {
	line     int    // 0: not checked
	offset   bool   // the error carries a byte offset
	contains string // in the message
}

func checkErrs(t *testing.T, got parsed, source string, want []wantErr) {
	t.Helper()
	if len(got.errs) != len(want) {
		t.Fatalf("got %d errors %v, want %d", len(got.errs), got.errs, len(want))
	}
	for i, w := range want {
		e := got.errs[i]
		if e.Source != source {
			t.Errorf("error %d: source = %q, want %q", i, e.Source, source)
		}
		if w.line != 0 && e.Line != w.line {
			t.Errorf("error %d (%v): line = %d, want %d", i, e, e.Line, w.line)
		}
		if w.offset && e.Offset <= 0 {
			t.Errorf("error %d (%v): has no byte offset", i, e)
		}
		if !strings.Contains(e.Error(), w.contains) {
			t.Errorf("error %d = %q, want it to contain %q", i, e.Error(), w.contains)
		}
	}
}

// fuzzParser runs the invariant every parser keeps whatever its input: no
// panic, and every item is a paper with an id and a title or a
// *RecordError naming the source. Stopping early must stop the parser.
//
// Seeds are the fixtures, cut to their first 8 KiB: the fuzzer mutates
// and minimises small inputs far faster, and the cut ends exercise
// truncation.
func fuzzParser(f *testing.F, parse parseFunc, seeds ...string) {
	for _, s := range seeds {
		b := readFixture(f, s)
		f.Add(b[:min(len(b), 8<<10)])
	}
	f.Add([]byte{})
	f.Add([]byte("\xef\xbb\xbf\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for p, err := range parse(bytes.NewReader(data), "fuzz") {
			if err != nil {
				var re *RecordError
				if !errors.As(err, &re) {
					t.Fatalf("error %v (%T) is not a *RecordError", err, err)
				}
				if re.Source != "fuzz" {
					t.Fatalf("error %v names source %q", err, re.Source)
				}
				continue
			}
			if p.ID == "" || p.Title == "" {
				t.Fatalf("paper without id or title: %+v", p)
			}
		}
		for range parse(bytes.NewReader(data), "fuzz") {
			break
		}
	})
}

// benchParser measures one parser over one fixture.
func benchParser(b *testing.B, parse parseFunc, path string) {
	data := readFixture(b, path)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	records := 0
	for b.Loop() {
		for range parse(bytes.NewReader(data), path) {
			records++
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

func TestJSONValues(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		lines []int // of the values
		errs  []wantErr
	}{
		{"lines", "{\"a\":1}\n\n{\"a\":2}\n", []int{1, 3}, nil},
		{"lines with CRLF and BOM", "\xef\xbb\xbf{\"a\":1}\r\n{\"a\":2}\r\n", []int{1, 2}, nil},
		// Lines are framed, not validated: the parser decoding a line
		// reports it.
		{"bad line is passed on", "{\"a\":1}\n{\"a\":\n{\"a\":3}\n", []int{1, 2, 3}, nil},
		{"broken first line is a bad line, not a stream", "{\"a\": }\n{\"a\":2}\n", []int{1, 2}, nil},
		{"bad array line", "{\"a\":1}\n[{\"a\":2},\n{\"a\":3}\n", []int{1, 3}, []wantErr{{line: 2, contains: "invalid JSON"}}},
		{"array", "[\n {\"a\":1},\n {\"a\":2}\n]\n", []int{2, 3}, nil},
		{"compact array", `[{"a":1},{"a":2}]`, []int{1, 1}, nil},
		{"array on a line is flattened", "[{\"a\":1},{\"a\":2}]\n{\"a\":3}\n", []int{1, 1, 2}, nil},
		{"pretty object", "{\n \"a\": 1\n}\n{\n \"a\": 2\n}\n", []int{1, 4}, nil},
		{"truncated array", "[\n {\"a\":1},\n {\"a\":", []int{2}, []wantErr{{line: 3, offset: true, contains: "invalid JSON"}}},
		{"unclosed array", "[\n {\"a\":1}\n", []int{2}, []wantErr{{line: 3, offset: true, contains: "does not close"}}},
		{"junk after array", "[{\"a\":1}]\nx", []int{1}, []wantErr{{line: 2, contains: "invalid JSON"}}},
		{"empty", "", nil, []wantErr{{contains: "empty"}}},
		{"only space", " \r\n\t\n", nil, []wantErr{{contains: "empty"}}},
		{"binary", "\x00\x01\x02", nil, []wantErr{{line: 1, contains: "not JSON"}}},
		{"text", "hello", nil, []wantErr{{line: 1, contains: "not JSON"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lines []int
			var got parsed
			for v, err := range jsonValues(strings.NewReader(tt.in), "src") {
				if err != nil {
					var re *RecordError
					if !errors.As(err, &re) {
						t.Fatalf("%v is not a RecordError", err)
					}
					got.errs = append(got.errs, re)
					continue
				}
				lines = append(lines, v.line)
			}
			if !slices.Equal(lines, tt.lines) {
				t.Errorf("value lines = %v, want %v", lines, tt.lines)
			}
			checkErrs(t, got, "src", tt.errs)
		})
	}
}

func TestJSONHeadKeys(t *testing.T) {
	tests := []struct {
		name string
		head string
		want map[string]int
	}{
		{"line", `{"id":"1","x":{"y":2}}` + "\n{\"z\":1}", map[string]int{"id": 1, "x": 1, "y": 2}},
		{"array", `[{"paper":{"id":"1","authors":[{"_id":"a"}]},"title":"t"},{"other":1}]`, map[string]int{"paper": 1, "id": 2, "authors": 2, "_id": 4, "title": 1}},
		{"cut off", `[{"paper":{"id":"1","auth`, map[string]int{"paper": 1, "id": 2}},
		{"not an object", `[1,2]`, map[string]int{}},
		{"empty", ``, map[string]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := jsonHeadKeys([]byte(tt.head))
			if len(got) != len(tt.want) {
				t.Fatalf("keys = %v, want %v", got, tt.want)
			}
			for k, d := range tt.want {
				if got[k] != d {
					t.Errorf("keys = %v, want %v", got, tt.want)
				}
			}
		})
	}
}
