package indexer

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const snapshotSample = "testdata/snapshot/arxiv-metadata-oai-snapshot.sample200.jsonl"

func TestParseArxivSnapshot(t *testing.T) {
	got := parseFixture(t, ParseArxivSnapshot, snapshotSample)
	checkErrs(t, got, snapshotSample, nil)
	if len(got.papers) != 200 {
		t.Fatalf("got %d papers, want 200", len(got.papers))
	}
	if got.papers[0].ID != "0704.0001" || got.papers[199].ID != "0704.0200" {
		t.Errorf("ids run %s..%s, want 0704.0001..0704.0200", got.papers[0].ID, got.papers[199].ID)
	}
	for _, s := range []spot{
		{
			id: "0704.0001", title: "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies",
			abstract: "A fully differential calculation in perturbative quantum chromodynamics is presented",
			authors:  4, firstAuthor: "C. Balázs", categories: []string{"hep-ph"},
			published: "2007-04-02", updated: "2008-11-26", comment: "37 pages, 15 figures; published version",
			journalRef: "Phys.Rev.D76:013009,2007", doi: "10.1103/PhysRevD.76.013009",
			url: "https://arxiv.org/abs/0704.0001", source: "arxiv-snapshot",
		},
		// v1 is the publication date, not the latest version's.
		{id: "0704.0002", categories: []string{"math.CO", "cs.CG"}, published: "2007-03-31", updated: "2008-12-13",
			firstAuthor: "Ileana Streinu", authors: 2},
	} {
		s.check(t, got)
	}
	// TeX is kept as written.
	if p := got.paper(t, "0704.0005"); p.Title != `From dyadic $\Lambda_{\alpha}$ to $\Lambda_{\alpha}$` {
		t.Errorf("title = %q", p.Title)
	}
}

func TestSplitAuthors(t *testing.T) {
	for in, want := range map[string][]string{
		`C. Bal\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan`:  {`C. Bal\'azs`, "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"},
		"Ileana Streinu and Louis Theran":                        {"Ileana Streinu", "Louis Theran"},
		"A. One (MIT, Cambridge), B. Two, and C. Three (Oxford)": {"A. One", "B. Two", "C. Three"},
		"A. One; B. Two": {"A. One", "B. Two"},
		"Arthur Jaffe (1) and Gordon Ritter (1) ((1) Harvard University)": {"Arthur Jaffe", "Gordon Ritter"},
		"Alice Smith": {"Alice Smith"},
		"":            nil,
	} {
		if got := splitAuthors(in); !slices.Equal(got, want) {
			t.Errorf("splitAuthors(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseArxivSnapshotErrors(t *testing.T) {
	sample := readFixture(t, snapshotSample)
	lines := bytes.SplitAfter(sample, []byte("\n"))
	good := string(lines[0])
	tests := []struct {
		name   string
		in     string
		papers int
		errs   []wantErr
	}{
		{"bad JSON line skipped", good + "{\"id\":\"0704.0002\",\n" + good, 2, []wantErr{{line: 2, contains: "invalid JSON"}}},
		{"wrong type", `{"id":"0704.0001","title":"T","categories":["hep-ph"]}`, 0, []wantErr{{line: 1, contains: `"categories" should be a string`}}},
		{"not an object", "[1]\n", 0, []wantErr{{line: 1, contains: "want a snapshot record"}}},
		{"no id", `{"title":"T","submitter":"S"}`, 0, []wantErr{{line: 1, contains: "record has no id"}}},
		{"not an arXiv id", `{"id":"hello","title":"T"}`, 0, []wantErr{{line: 1, contains: `id "hello" is not an arXiv id`}}},
		{"no title", `{"id":"0704.0001","title":"  \n "}`, 0, []wantErr{{line: 1, contains: "record 0704.0001 has no title"}}},
		{"bad version date", `{"id":"0704.0001","title":"T","versions":[{"version":"v1","created":"someday"}]}`, 0,
			[]wantErr{{line: 1, contains: `version v1 date "someday" is not a date`}}},
		{"authors_parsed of another shape", `{"id":"0704.0001","title":"T","authors":"A. One and B. Two","authors_parsed":"A. One"}`, 1, nil},
		{"BOM and CRLF", "\xef\xbb\xbf" + strings.ReplaceAll(good, "\n", "\r\n") + strings.ReplaceAll(good, "\n", "\r\n"), 2, nil},
		{"truncated last line", good + good[:100], 1, []wantErr{{line: 2, contains: "invalid JSON"}}},
		{"empty", "", 0, []wantErr{{contains: "the source is empty"}}},
		{"binary", "\x00\x00\x00\x18ftypmp42", 0, []wantErr{{line: 1, contains: "not JSON"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseBytes(t, ParseArxivSnapshot, "snap.jsonl", []byte(tt.in))
			checkErrs(t, got, "snap.jsonl", tt.errs)
			if len(got.papers) != tt.papers {
				t.Errorf("got %d papers, want %d", len(got.papers), tt.papers)
			}
		})
	}
}

// A line longer than the line cap is reported and skipped; the next is read.
func TestParseArxivSnapshotLongLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 17 MB line")
	}
	good := `{"id":"0704.0001","title":"T"}` + "\n"
	long := `{"id":"0704.0002","title":"` + strings.Repeat("x", maxLine) + `"}` + "\n"
	got := parseBytes(t, ParseArxivSnapshot, "snap.jsonl", []byte(good+long+good))
	checkErrs(t, got, "snap.jsonl", []wantErr{{line: 2, contains: "line longer than"}})
	if len(got.papers) != 2 {
		t.Errorf("got %d papers, want 2", len(got.papers))
	}
}

// The full snapshot has millions of records: the parser must hold one at a
// time. Stream 40 MB of records and watch the heap.
func TestParseArxivSnapshotFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 40 MB")
	}
	line := bytes.SplitAfter(readFixture(t, snapshotSample), []byte("\n"))[0]
	const records = 30_000
	pr, pw := io.Pipe()
	go func() {
		for i := range records {
			fmt.Fprintf(pw, `{"id":"0704.%04d",`, i%10000)
			pw.Write(line[len(`{"id":"0704.0001",`):])
		}
		pw.Close()
	}()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	n := 0
	var peak uint64
	for p, err := range ParseArxivSnapshot(pr, "stream") {
		if err != nil {
			t.Fatal(err)
		}
		_ = p
		if n++; n%5000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if n != records {
		t.Fatalf("read %d records, want %d", n, records)
	}
	if grown := int64(peak) - int64(base); grown > 16<<20 {
		t.Errorf("heap grew by %d MiB while streaming %d records; want it flat", grown>>20, records)
	}
}

func TestSniffArxivSnapshot(t *testing.T) {
	for _, tt := range []struct {
		head string
		want bool
	}{
		{string(readFixture(t, snapshotSample)[:8<<10]), true},
		{`[{"id":"0704.0001","versions":[{"version":"v1"}]}]`, true},
		{`{"id":"2606.30776","categories":["cs.GT"],"summary":"s","listing_date":"2026-07-01"}`, false},
		{`{"id":"2402.18668","title":"t","published":"2024-02-28"}`, false},
		{`[{"paper":{"id":"1","versions":[]}}]`, false},
	} {
		if got := sniffArxivSnapshot([]byte(tt.head)); got != tt.want {
			t.Errorf("sniffArxivSnapshot(%.60s) = %v, want %v", tt.head, got, tt.want)
		}
	}
}

func FuzzParseArxivSnapshot(f *testing.F) {
	lines := bytes.SplitAfter(readFixture(f, snapshotSample), []byte("\n"))
	for _, l := range lines[:5] {
		f.Add(l)
	}
	fuzzParser(f, ParseArxivSnapshot)
}

func BenchmarkParseArxivSnapshot(b *testing.B) {
	benchParser(b, ParseArxivSnapshot, snapshotSample)
}
