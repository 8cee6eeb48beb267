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
	"unicode/utf8"

	"github.com/papersearch/papersearch/search"
)

func TestParseJSONLines(t *testing.T) {
	f, err := os.Open("testdata/papers.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	papers, errs := collect(t, ParseJSON(f, "papers.jsonl"))

	var ids []string
	for _, p := range papers {
		ids = append(ids, p.ID)
	}
	wantIDs := []string{"2402.18668", "hep-th/9901001", TitleID("A paper with no id"), "2401.00004", "2401.00005"}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("ids = %q, want %q", ids, wantIDs)
	}
	var lines []string
	for _, e := range errs {
		lines = append(lines, e.Error())
	}
	wantErrs := []string{
		`papers.jsonl:4: field "title" should be a string, not a number`,
		`papers.jsonl:5: invalid JSON`,
		`papers.jsonl:6: record has no title`,
		`papers.jsonl:7: published "yesterday" is not a date`,
	}
	if len(lines) != len(wantErrs) {
		t.Fatalf("errors = %q, want %d", lines, len(wantErrs))
	}
	for i, w := range wantErrs {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("error %d = %q, want prefix %q", i, lines[i], w)
		}
	}

	p := papers[0]
	if p.AuthorCount != 9 || len(p.Authors) != 2 || p.Upvotes != 12 || p.Published != "2024-02-28" ||
		!slices.Equal(p.Categories, []string{"cs.CL", "cs.LG"}) || p.URL != "https://arxiv.org/abs/2402.18668" ||
		p.PDFURL != "https://arxiv.org/pdf/2402.18668" {
		t.Errorf("first paper = %+v", p)
	}
	if strings.Contains(p.Abstract, "\n") || strings.Contains(p.Abstract, "  ") {
		t.Errorf("abstract whitespace not folded: %q", p.Abstract)
	}
	old := papers[1]
	if !slices.Equal(old.Authors, []string{"A. Author", "B. Author"}) || old.Published != "1999-01-04" ||
		!slices.Equal(old.Categories, []string{"hep-th", "math-ph"}) {
		t.Errorf("old-style paper = %+v", old)
	}
	daily := papers[3]
	if daily.Abstract != "From the daily listing dump." || daily.Published != "2024-01-02" {
		t.Errorf("daily-listing record = %+v", daily)
	}
	evil := papers[4]
	if evil.URL != "https://arxiv.org/abs/2401.00005" {
		t.Errorf("javascript: URL kept: %q", evil.URL)
	}
}

func TestParseJSONAuthorString(t *testing.T) {
	tests := []struct {
		authors string // the JSON value of "authors"
		want    []string
	}{
		{`"Alice Smith"`, []string{"Alice Smith"}},
		{`"Alice Smith and Bob Jones"`, []string{"Alice Smith", "Bob Jones"}},
		{`"Alice Smith, Bob Jones and Carol King"`, []string{"Alice Smith", "Bob Jones", "Carol King"}},
		{`"Alice Smith; Bob Jones"`, []string{"Alice Smith", "Bob Jones"}},
		{`"A. One (MIT), B. Two, and C. Three"`, []string{"A. One", "B. Two", "C. Three"}},
		{`"Jos\u00e9 Mar\u00eda Garc\u00eda"`, []string{"José María García"}}, // escaped: encoding/json's path
		{`["Alice Smith", "Bob Jones"]`, []string{"Alice Smith", "Bob Jones"}},
		{`""`, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.authors, func(t *testing.T) {
			in := `{"id":"2501.50001","title":"t","authors":` + tt.authors + "}\n"
			papers, errs := collect(t, ParseJSON(strings.NewReader(in), "a.jsonl"))
			if len(errs) > 0 || len(papers) != 1 {
				t.Fatalf("papers %+v, errors %v", papers, errs)
			}
			if p := papers[0]; !slices.Equal(p.Authors, tt.want) || p.AuthorCount != len(tt.want) {
				t.Errorf("authors %q (count %d), want %q", p.Authors, p.AuthorCount, tt.want)
			}
		})
	}
}

// A value of the wrong type is reported in JSON's words, naming the field:
// what to write, not the Go type it decodes into.
func TestJSONTypeErrors(t *testing.T) {
	tests := []struct {
		parse  func(io.Reader, string) iter.Seq2[search.Paper, error]
		record string
		want   string
	}{
		{ParseJSON, `{"title": 7}`, `field "title" should be a string, not a number`},
		{ParseJSON, `{"title": "t", "upvotes": 1.5}`, `field "upvotes" should be a whole number, not the number 1.5`},
		{ParseJSON, `{"title": "t", "upvotes": true}`, `field "upvotes" should be a whole number, not true or false`},
		{ParseJSON, `{"title": "t", "authors": 5}`, `field "authors" should be a list of names, or one string of them, not a number`},
		{ParseJSON, `{"title": "t", "authors": ["A", 1]}`, `field "authors" should be a list of names, or one string of them, not a list with an item that is not a string`},
		{ParseJSON, `{"title": "t", "categories": {"a": 1}}`, `field "categories" should be a list of strings, or one string of them, not an object`},
		{ParseJSON, `{"title": "t", "topics": "x"}`, `field "topics" should be a list of strings, not a string`},
		{ParseJSON, `{"title": "t", "id": [1]}`, `field "id" should be a string or a number, not a list`},
		{ParseJSON, `[3]`, `the record should be an object, not a number`},
		{ParseHFAPI, `{"paper": {"id": "2501.1", "title": "t", "authors": "x"}}`, `not a Hugging Face paper item: field "paper.authors" should be a list of author objects ({"name": "..."}), not a string`},
		{ParseHFAPI, `{"paper": {"id": "2501.1", "title": "t", "upvotes": "many"}}`, `not a Hugging Face paper item: field "paper.upvotes" should be a whole number, not a string`},
		{ParseArxivSnapshot, `{"id": "0704.0001", "title": "T", "categories": ["hep-ph"]}`, `not a snapshot record: field "categories" should be a string, not a list`},
		{ParseArxivSnapshot, `{"id": "0704.0001", "title": "T", "versions": "v1"}`, `not a snapshot record: field "versions" should be a list of objects, not a string`},
	}
	for _, tt := range tests {
		t.Run(tt.record, func(t *testing.T) {
			_, errs := collect(t, tt.parse(strings.NewReader(tt.record+"\n"), "in.json"))
			if len(errs) != 1 || errs[0].Error() != "in.json:1: "+tt.want {
				t.Errorf("errors %v, want in.json:1: %s", errs, tt.want)
			}
		})
	}
}

func TestParseJSONArray(t *testing.T) {
	in := `[{"id": "2401.00001", "title": "One"}, {"id": "2401.00002", "title": 7}, {"id": "2401.00003", "title": "Three"}]`
	papers, errs := collect(t, ParseJSON(strings.NewReader(in), "a.json"))
	if len(papers) != 2 || papers[1].Title != "Three" {
		t.Errorf("papers = %+v", papers)
	}
	if len(errs) != 1 || errs[0].Offset == 0 || errs[0].Line != 1 {
		t.Errorf("errors = %v, want one at line 1 with a byte offset", errs)
	}
	// A broken array stops at the break, keeping what came before.
	papers, errs = collect(t, ParseJSON(strings.NewReader(`[{"title": "One"}, {"title": `), "b.json"))
	if len(papers) != 1 || len(errs) != 1 {
		t.Errorf("truncated array: %d papers, errors %v", len(papers), errs)
	}
}

// JSON that is not one object a line: pretty-printed objects one after
// another (what jq . writes), arrays laid out over lines. Each paper is
// read once, and a bad one is reported at the line where it starts.
func TestParseJSONLayouts(t *testing.T) {
	pretty := string(readFixture(t, "testdata/jsonl/arxiv-daily-cs-head3.pretty.json"))
	head3 := []string{"2503.11731", "2503.11742", "2503.11750"}
	tests := []struct {
		name string
		in   string
		ids  []string
		errs []wantErr
	}{
		{"jq . of JSON lines", pretty, head3, nil},
		{"one pretty object", "{\n  \"id\": \"2501.60001\",\n  \"title\": \"Pretty\"\n}\n", []string{"2501.60001"}, nil},
		{"pretty objects with CRLF and a BOM", "\xef\xbb\xbf{\r\n \"title\": \"One\", \"id\": \"2501.1\"\r\n}\r\n{\r\n \"id\": \"2501.2\",\r\n \"title\": \"Two\"\r\n}\r\n",
			[]string{"2501.1", "2501.2"}, nil},
		{"a bad record among pretty ones", "{\n \"id\": \"2501.1\",\n \"title\": \"One\"\n}\n{\n \"id\": \"2501.2\",\n \"title\": 7\n}\n{\n \"id\": \"2501.3\",\n \"title\": \"Three\"\n}\n",
			[]string{"2501.1", "2501.3"}, []wantErr{{line: 5, offset: true, contains: `field "title"`}}},
		{"broken JSON ends the stream at its line", "{\n \"id\": \"2501.1\",\n \"title\": \"One\"\n}\n{\n \"id\": \"2501.2\",,\n}\n{\"title\": \"Three\"}\n",
			[]string{"2501.1"}, []wantErr{{line: 5, offset: true, contains: "invalid JSON"}}},
		{"pretty array", "[\n  {\n    \"id\": \"2501.1\",\n    \"title\": \"One\"\n  },\n  {\n    \"id\": \"2501.2\",\n    \"title\": \"Two\"\n  }\n]\n", []string{"2501.1", "2501.2"}, nil},
		// A broken first line of JSON lines is one bad record, not a
		// stream that cannot be framed past it.
		{"JSON lines with a broken first line", `{"id": "2501.1", "title": }` + "\n" + `{"id": "2501.2", "title": "Two"}` + "\n", []string{"2501.2"}, []wantErr{{line: 1, contains: "invalid JSON"}}},
		// Cut short, it would read as the start of a pretty object; the
		// whole object on the next line says it is JSON lines.
		{"JSON lines with a first line cut short", `{"id": "2501.1", "ti` + "\n" + `{"id": "2501.2", "title": "Two"}` + "\n" + `{"id": "2501.3", "title": "Three"}` + "\n",
			[]string{"2501.2", "2501.3"}, []wantErr{{line: 1, contains: "invalid JSON"}}},
		{"JSON lines, last line cut off", `{"id": "2501.1", "title": "One"}` + "\n" + `{"id": "2501.2", "ti`, []string{"2501.1"}, []wantErr{{line: 2, contains: "invalid JSON"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			papers, errs := collect(t, ParseJSON(strings.NewReader(tt.in), "p.json"))
			got := parsed{papers: papers, errs: errs}
			if ids := got.ids(); !slices.Equal(ids, tt.ids) {
				t.Errorf("ids = %q, want %q", ids, tt.ids)
			}
			checkErrs(t, got, "p.json", tt.errs)
		})
	}
}

// A long value does not make every small value after it cost its length:
// finding where a value starts reads the decoder's buffer byte by byte.
// Copying it all, as before, made this input take minutes.
func TestParseJSONAfterALongValue(t *testing.T) {
	const small = 200_000
	in := io.MultiReader(strings.NewReader(`[{"id": "2501.1", "title": "`), io.LimitReader(manyA{}, 8<<20),
		strings.NewReader(`"}`), strings.NewReader(strings.Repeat(`, {"id": "2501.2", "title": "t"}`, small)+"]"))
	papers, errs := collect(t, ParseJSON(in, "long.json"))
	if len(papers) != small+1 || len(errs) != 0 {
		t.Errorf("%d papers, errors %v; want %d", len(papers), errs, small+1)
	}
}

// A pretty-printed stream cannot be framed past a runaway value: it is
// refused once it is past the line cap, not held whole.
func TestParseJSONRunawayValue(t *testing.T) {
	in := io.MultiReader(strings.NewReader("{\n \"title\": \"x\",\n \"abstract\": \""),
		io.LimitReader(manyA{}, maxLine+1<<20), strings.NewReader("\"\n}\n"))
	papers, errs := collect(t, ParseJSON(in, "big.json"))
	if len(papers) != 0 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "longer than 16 MiB") {
		t.Errorf("papers %d, errors %v; want one error for the runaway value", len(papers), errs)
	}
}

// manyA is an endless run of the letter a.
type manyA struct{}

func (manyA) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

func TestParseJSONLongLine(t *testing.T) {
	in := `{"title": "ok"}` + "\n" + `{"title": "` + strings.Repeat("x", maxLine+10) + `"}` + "\n" + `{"title": "after"}` + "\n"
	papers, errs := collect(t, ParseJSON(strings.NewReader(in), "big.jsonl"))
	if len(papers) != 2 || len(errs) != 1 || errs[0].Line != 2 {
		t.Errorf("papers %d, errors %v; want 2 papers and line 2 rejected", len(papers), errs)
	}
}

func FuzzParseJSON(f *testing.F) {
	raw, err := os.ReadFile("testdata/papers.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		f.Add([]byte(l))
	}
	f.Add(raw)
	f.Add([]byte(`[{"title": "a"}, 3, null, {"authors": {"x": 1}}]`))
	for _, name := range []string{"arxiv-daily-cs-head3.pretty.json", "arxiv-daily-cs-head3.latin1.jsonl", "arxiv-daily-cs-head3.utf16.jsonl"} {
		b, err := os.ReadFile("testdata/jsonl/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("{\n \"id\": \"a/../b\",\n \"title\": \"t\", \"authors\": \"A B and C D\"\n}\n{\"title\": 5}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		papers, errs := collect(t, ParseJSON(strings.NewReader(string(b)), "fuzz"))
		for _, p := range papers {
			if p.ID == "" || p.Title == "" {
				t.Fatalf("paper without id or title: %+v", p)
			}
			if err := checkID(p.ID); err != nil {
				t.Fatalf("paper with a bad id: %v", err)
			}
			if !utf8.ValidString(p.Title + p.Abstract + strings.Join(p.Authors, "")) {
				t.Fatalf("paper with invalid UTF-8: %+v", p)
			}
		}
		for _, e := range errs {
			if e.Source != "fuzz" || e.Line == 0 && e.Offset == 0 && !errors.Is(e, ErrEmpty) {
				t.Fatalf("error without its place: %v", e)
			}
		}
	})
}

func BenchmarkParseJSON(b *testing.B) {
	line := `{"id": "2402.18668", "title": "Simple linear attention language models balance the recall-throughput tradeoff", "abstract": "` +
		strings.Repeat("Recent work has shown that attention-based language models excel at recall. ", 16) +
		`", "authors": ["Simran Arora", "Sabri Eyuboglu", "Michael Zhang"], "published": "2024-02-28", "categories": ["cs.CL"]}` + "\n"
	in := strings.Repeat(line, 1000)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		for _, err := range ParseJSON(strings.NewReader(in), "bench") {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "records/s")
}

// Text in another encoding: UTF-16 with a byte-order mark (what Windows
// PowerShell writes) is decoded; Latin-1 is refused record by record, with
// the line and how to convert the file, never indexed as U+FFFD.
func TestJSONEncodings(t *testing.T) {
	utf16le := readFixture(t, "testdata/jsonl/arxiv-daily-cs-head3.utf16.jsonl")
	utf16be := make([]byte, len(utf16le))
	for i := 0; i+1 < len(utf16le); i += 2 {
		utf16be[i], utf16be[i+1] = utf16le[i+1], utf16le[i]
	}
	latin1 := readFixture(t, "testdata/jsonl/arxiv-daily-cs-head3.latin1.jsonl")
	head3 := []string{"2503.11731", "2503.11742", "2503.11750"}
	notUTF8 := "not UTF-8: byte 0xE0 at byte 133 of the record (after …: [\"Moreno D'Inc); the file is in another encoding (Latin-1 or Windows-1252?): convert it, e.g. iconv -f latin1 -t utf-8 FILE > FILE.utf8"
	pretty := bytes.ReplaceAll(latin1, []byte(`", "`), []byte("\",\n \""))
	second := bytes.Count(pretty[:bytes.Index(pretty, []byte(`{"id": "2503.11742"`))], []byte("\n")) + 1
	tests := []struct {
		name   string
		format string
		in     []byte
		ids    []string
		errs   []wantErr
	}{
		{"UTF-16LE with a BOM", "", utf16le, head3, nil},
		{"UTF-16BE with a BOM", "", utf16be, head3, nil},
		{"UTF-16 forced as json", "json", utf16le, head3, nil},
		{"Latin-1", "", latin1, []string{"2503.11731", "2503.11750"}, []wantErr{{line: 2, contains: notUTF8}}},
		{"Latin-1 laid out over lines", "", pretty, []string{"2503.11731", "2503.11750"},
			[]wantErr{{line: second, contains: "not UTF-8: byte 0xE0"}}},
		{"Latin-1 in hf-api", "", []byte(`[{"paper": {"id": "2501.00001", "title": "Caf` + "\xe9" + `"}}]`), nil, []wantErr{{line: 1, contains: "not UTF-8: byte 0xE9"}}},
		{"Latin-1 in the snapshot", "", []byte(`{"id": "0704.0001", "submitter": "Ren` + "\xe9" + `", "title": "T"}`), nil, []wantErr{{line: 1, contains: "not UTF-8: byte 0xE9"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			papers, err := Parse(bytes.NewReader(tt.in), "in.jsonl", tt.format)
			if err != nil {
				t.Fatal(err)
			}
			got := parsed{}
			got.papers, got.errs = collect(t, papers)
			if ids := got.ids(); !slices.Equal(ids, tt.ids) {
				t.Errorf("ids = %q, want %q", ids, tt.ids)
			}
			checkErrs(t, got, "in.jsonl", tt.errs)
			for _, p := range got.papers {
				if strings.ContainsRune(p.Title+p.Abstract+strings.Join(p.Authors, ""), utf8.RuneError) {
					t.Errorf("paper %s holds U+FFFD", p.ID)
				}
			}
		})
	}
	// An escaped lone surrogate is valid JSON, and no encoding error.
	if _, errs := collect(t, ParseJSON(strings.NewReader(`{"id": "2501.00001", "title": "a \ud800 b"}`), "in.jsonl")); len(errs) > 0 {
		t.Errorf("escaped lone surrogate: %v", errs)
	}
	// The names came through UTF-16 intact.
	papers, _ := collect(t, func() iter.Seq2[search.Paper, error] {
		it, _ := Parse(bytes.NewReader(utf16le), "in.jsonl", "")
		return it
	}())
	if len(papers) != 3 || !slices.Contains(papers[1].Authors, "Moreno D'Incà") {
		t.Errorf("UTF-16 papers: %+v", papers)
	}
}
