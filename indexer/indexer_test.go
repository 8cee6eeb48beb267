package indexer

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/papersearch/papersearch/search"
)

func openIndex(t *testing.T) *search.Index {
	t.Helper()
	idx, err := search.Open(t.TempDir()+"/idx", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	return idx
}

func indexFile(t *testing.T, ix *Indexer, path, format string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := ix.IndexReader(context.Background(), f, path, format); err != nil {
		t.Fatal(err)
	}
	if err := ix.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestIndexUpsert(t *testing.T) {
	idx := openIndex(t)
	ix := New(idx, DefaultTaxonomy(), nil)
	ix.BatchSize = 10 // several commits
	indexFile(t, ix, "testdata/seed-listing.txt", "")
	if s := ix.Stats(); s.Read != 33 || s.Added != 33 || s.Updated != 0 || s.Rejected != 0 {
		t.Fatalf("first run: %v", s)
	}
	indexFile(t, ix, "testdata/seed-listing.txt", "listing")
	if s := ix.Stats(); s.Added != 33 || s.Updated != 33 {
		t.Fatalf("second run: %v", s)
	}
	if n, _ := idx.Count(); n != 33 {
		t.Fatalf("count = %d after indexing twice, want 33", n)
	}
	res, err := idx.Search(context.Background(), search.Request{Topics: []string{"quantization"}, Size: 50})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total == 0 {
		t.Fatal("no seed paper is tagged quantization")
	}
	for _, h := range res.Hits {
		if !strings.Contains(strings.ToLower(h.Paper.Title+h.Paper.Abstract), "quantiz") {
			t.Errorf("%q tagged quantization without saying so", h.Paper.Title)
		}
	}
}

func TestIndexRejectsAndContinues(t *testing.T) {
	idx := openIndex(t)
	ix := New(idx, DefaultTaxonomy(), nil)
	var rejected []string
	ix.OnReject = func(err error) { rejected = append(rejected, err.Error()) }
	indexFile(t, ix, "testdata/papers.jsonl", "")
	s := ix.Stats()
	if s.Added != 5 || s.Rejected != 4 || len(rejected) != 4 {
		t.Fatalf("stats %v, rejected %q", s, rejected)
	}
	if !strings.HasPrefix(rejected[0], "testdata/papers.jsonl:4: ") {
		t.Errorf("rejection %q lacks SOURCE:LINE", rejected[0])
	}
}

func TestIndexMergesAcrossSources(t *testing.T) {
	idx := openIndex(t)
	ix := New(idx, DefaultTaxonomy(), nil)
	ctx := context.Background()
	a := `{"id": "2402.18668", "title": "Simple linear attention", "abstract": "Short.", "author_count": 9, "upvotes": 12}`
	b := `{"id": "arXiv:2402.18668v2", "title": "Simple linear attention", "abstract": "A fuller abstract about linear attention.", "authors": ["A B"], "categories": ["cs.CL"]}`
	for _, in := range []string{a, b} {
		if err := ix.IndexReader(ctx, strings.NewReader(in), "s", ""); err != nil {
			t.Fatal(err)
		}
		if err := ix.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	p, err := idx.Get(ctx, "2402.18668")
	if err != nil {
		t.Fatal(err)
	}
	if p.Upvotes != 12 || p.AuthorCount != 9 || len(p.Categories) != 1 || !strings.HasPrefix(p.Abstract, "A fuller") {
		t.Errorf("merged = %+v", p)
	}
	if n, _ := idx.Count(); n != 1 {
		t.Errorf("count = %d, want 1", n)
	}
}

// A record merges into the stored paper of its id unless Replace is set:
// then it replaces it, whether the paper was stored by an earlier run or
// read earlier in the same batch.
func TestIndexReplace(t *testing.T) {
	old := `{"id": "2501.60001", "title": "Old title with a typo: Quantizaton", "abstract": "A long abstract that the correction leaves out.", "categories": ["cs.LG"], "upvotes": 7}`
	fixed := `{"id": "2501.60001", "title": "Corrected title: Quantization", "categories": ["cs.CL"]}`
	tests := []struct {
		name         string
		replace      bool
		sameBatch    bool
		wantTitle    string
		wantCats     []string
		wantAbstract bool
		wantStats    string // added, updated, merged, superseded
	}{
		{"merge across runs", false, false, "Old title with a typo: Quantizaton", []string{"cs.LG", "cs.CL"}, true, "1 1 0 0"},
		{"replace across runs", true, false, "Corrected title: Quantization", []string{"cs.CL"}, false, "1 1 0 0"},
		{"merge in one batch", false, true, "Old title with a typo: Quantizaton", []string{"cs.LG", "cs.CL"}, true, "1 0 1 0"},
		{"replace in one batch", true, true, "Corrected title: Quantization", []string{"cs.CL"}, false, "1 0 0 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx := openIndex(t)
			ix := New(idx, DefaultTaxonomy(), nil)
			ix.Replace = tt.replace
			ctx := context.Background()
			inputs := []string{old, fixed}
			if tt.sameBatch {
				inputs = []string{old + "\n" + fixed}
			}
			for _, in := range inputs {
				if err := ix.IndexReader(ctx, strings.NewReader(in), "s", ""); err != nil {
					t.Fatal(err)
				}
				if err := ix.Flush(ctx); err != nil {
					t.Fatal(err)
				}
			}
			p, err := idx.Get(ctx, "2501.60001")
			if err != nil {
				t.Fatal(err)
			}
			if p.Title != tt.wantTitle || !slices.Equal(p.Categories, tt.wantCats) || (p.Abstract != "") != tt.wantAbstract {
				t.Errorf("stored %q %q abstract %q; want %q %q, abstract kept %v", p.Title, p.Categories, p.Abstract, tt.wantTitle, tt.wantCats, tt.wantAbstract)
			}
			if s := ix.Stats(); fmt.Sprint(s.Added, s.Updated, s.Merged, s.Superseded) != tt.wantStats {
				t.Errorf("stats %v, want added, updated, merged, superseded %s", s, tt.wantStats)
			}
			if n, _ := idx.Count(); n != 1 {
				t.Errorf("count = %d, want 1", n)
			}
		})
	}
}

func TestIndexReaderUnknownFormat(t *testing.T) {
	ix := New(openIndex(t), DefaultTaxonomy(), nil)
	for _, in := range []string{"\x00\x01\x02binary", "just some prose\nwith no papers\n"} {
		err := ix.IndexReader(context.Background(), strings.NewReader(in), "x", "")
		if !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("IndexReader(%q) = %v, want ErrUnknownFormat", in, err)
		}
	}
	// Empty is not unknown: it is no papers, in every format, and no
	// record is counted.
	for _, format := range append([]string{""}, FormatNames()...) {
		err := ix.IndexReader(context.Background(), strings.NewReader(" \n"), "x", format)
		if !errors.Is(err, ErrEmpty) {
			t.Errorf("IndexReader(empty, %q) = %v, want ErrEmpty", format, err)
		}
	}
	if s := ix.Stats(); s.Read != 0 || s.Rejected != 0 {
		t.Errorf("empty sources counted: %v", s)
	}
	if err := ix.IndexReader(context.Background(), strings.NewReader("{}"), "x", "nope"); err == nil {
		t.Error("unknown --format accepted")
	}
}

// A bulk load looks up only the papers it wrote itself (Indexer.written):
// a paper read again later in the load is merged with what it wrote, not
// added twice. The set of ids written merges its latest into its run every
// few papers here, as it does every 16,384 in a real load.
func TestBulkLoadUpsert(t *testing.T) {
	saved := recentMin
	recentMin = 4
	defer func() { recentMin = saved }()
	dir := t.TempDir() + "/idx"
	idx, err := search.OpenBulk(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ix := New(idx, DefaultTaxonomy(), nil)
	ix.BatchSize = 10 // several commits, some side by side
	indexFile(t, ix, "testdata/seed-listing.txt", "")
	indexFile(t, ix, "testdata/seed-listing.txt", "listing")
	s := ix.Stats()
	if err := idx.FinishBulk(true); err != nil {
		t.Fatal(err)
	}
	if s.Added != 33 || s.Updated != 33 {
		t.Errorf("stats %v, want 33 added and 33 updated", s)
	}
	idx, err = search.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if n, _ := idx.Count(); n != 33 {
		t.Errorf("count = %d after reading the papers twice, want 33", n)
	}
}

// An unusable id is a bad record like any other: reported with its source
// and line, counted, and the rest indexed. The count is kept under the
// lock the writers hold: the first paper's batch commits while the
// rejection is being counted (go test -race saw the unlocked count).
func TestIndexRejectsBadIDsWithTheirLine(t *testing.T) {
	long := strings.Repeat("x", MaxIDBytes+44)
	tests := []struct {
		name, format, in string
		want             []string // rejections, in order
	}{
		{"json", "", `{"id":"2501.00001","title":"One"}` + "\n" + `{"id":"` + long + `","title":"Long"}` + "\n" + `{"id":"2501.00003","title":"Three"}` + "\n",
			[]string{`in.jsonl:2: id "xxx`}},
		{"pretty json", "", "{\n \"id\": \"2501.00001\",\n \"title\": \"One\"\n}\n{\n \"id\": \"" + long + "\",\n \"title\": \"Long\"\n}\n",
			[]string{`in.jsonl:5: id "xxx`}},
		{"hf-api", "hf-api", `[{"paper":{"id":"2501.00001","title":"One"}},` + "\n" + `{"paper":{"id":"` + long + `","title":"Long"}}]`,
			[]string{`in.jsonl:2: id "xxx`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := New(openIndex(t), DefaultTaxonomy(), nil)
			ix.BatchSize = 1
			committed := make(chan struct{})
			var once sync.Once
			ix.OnCommit = func(Stats) { once.Do(func() { close(committed) }) }
			var got []string
			ix.OnReject = func(err error) {
				got = append(got, err.Error())
				select { // let the writer read the totals now
				case <-committed:
				case <-time.After(5 * time.Second):
				}
			}
			if err := ix.IndexReader(context.Background(), strings.NewReader(tt.in), "in.jsonl", tt.format); err != nil {
				t.Fatal(err)
			}
			if err := ix.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("rejected %q, want %q", got, tt.want)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i], w) || !strings.Contains(got[i], "is 300 bytes; the limit is 256") {
					t.Errorf("rejection %q, want it to start %q and give the size", got[i], w)
				}
			}
			if s := ix.Stats(); s.Rejected != len(tt.want) || s.Added != s.Read-s.Rejected {
				t.Errorf("stats %v", s)
			}
		})
	}
}

// A source in UTF-16 with a byte-order mark (what Windows PowerShell
// writes) is read like its UTF-8 original, whatever its format; an XML
// declaration that says UTF-16 says what the bytes were.
func TestUTF16Sources(t *testing.T) {
	atom := readFixture(t, "testdata/atom/q-testing-s0-m10.atom.xml")
	atom16decl := bytes.Replace(atom, []byte("encoding='UTF-8'"), []byte("encoding='UTF-16'"), 1)
	if bytes.Equal(atom, atom16decl) {
		t.Fatal("the Atom fixture's declaration changed")
	}
	for _, name := range []string{"seed-listing.txt", "atom/q-testing-s0-m10.atom.xml", "atom (declared UTF-16)", "jsonl/arxiv-daily-cs-head50.jsonl", "hf/daily_papers-2025-06-25.json"} {
		t.Run(name, func(t *testing.T) {
			var orig []byte
			if name == "atom (declared UTF-16)" {
				orig = atom16decl
			} else {
				orig = readFixture(t, "testdata/"+name)
			}
			want := parseAll(t, orig)
			if len(want.papers) == 0 {
				t.Fatalf("no papers in the UTF-8 original (%v)", want.errs)
			}
			for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
				u16 := []byte{}
				for _, c := range utf16.Encode(append([]rune{0xFEFF}, []rune(string(orig))...)) {
					u16 = order.AppendUint16(u16, c)
				}
				got := parseAll(t, u16)
				if !slices.Equal(got.ids(), want.ids()) || len(got.errs) != len(want.errs) {
					t.Errorf("%v: ids %q, errors %v; want %q, %v", order, got.ids(), got.errs, want.ids(), want.errs)
				}
				for i := range min(len(got.papers), len(want.papers)) {
					if got.papers[i].Title != want.papers[i].Title || !slices.Equal(got.papers[i].Authors, want.papers[i].Authors) {
						t.Errorf("%v: paper %d = %q by %q, want %q by %q", order, i, got.papers[i].Title, got.papers[i].Authors, want.papers[i].Title, want.papers[i].Authors)
					}
				}
			}
		})
	}
}

// parseAll parses a source as IndexReader does, detecting its format.
func parseAll(t *testing.T, b []byte) parsed {
	t.Helper()
	papers, err := Parse(bytes.NewReader(b), "src", "")
	if err != nil {
		t.Fatal(err)
	}
	var out parsed
	out.papers, out.errs = collect(t, papers)
	return out
}
