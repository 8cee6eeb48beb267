package search

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/document"
	index "github.com/blevesearch/bleve_index_api"
)

// locationSet is each occurrence of tfs as "term@position".
func locationSet(tfs index.TokenFrequencies) map[string]bool {
	out := map[string]bool{}
	for term, tf := range tfs {
		for _, l := range tf.Locations {
			out[fmt.Sprintf("%s@%d", term, l.Position)] = true
		}
	}
	return out
}

// toDoc analyses title, abstract and authors itself; what it hands Bleve
// must be what Bleve's own analysis of those fields gives, less the byte
// offsets.
func TestToDocAnalysesAsBleve(t *testing.T) {
	x, err := Open(filepath.Join(t.TempDir(), "index"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()

	papers := []Paper{
		{ID: "empty"},
		{ID: "awkward", Title: awkward[1], Abstract: awkward[3] + " " + awkward[5]},
		{ID: "stop", Title: "The", Abstract: "it is what it is"},
		{ID: "possessive", Title: "THE MODEL'S Model’S", Abstract: awkward[4] + " " + awkward[6] + " " + awkward[2]},
		{ID: "authors", Title: "T", Authors: []string{"Ada Lovelace", "", "Li Wei-Ming", "José Müller"}},
	}
	papers = append(papers, demoPapers(t)...)

	for _, p := range papers {
		words := newWordSet()
		doc, err := x.toDoc(&p, words)
		if err != nil {
			t.Fatal(err)
		}
		// The vocabulary gets what the names analyzer makes of title and
		// abstract, whichever way toDoc analysed them.
		want := newWordSet()
		saved := x.split
		x.split = nil
		if _, err := x.toDoc(&p, want); err != nil {
			t.Fatal(err)
		}
		x.split = saved
		ref := map[string]int32{}
		for _, text := range []string{p.Title, p.Abstract} {
			for _, w := range analyze(x.names, text) {
				ref[w] = 1
			}
		}
		for _, s := range []*wordSet{words, want} {
			got := map[string]int32{}
			for w, t := range s.tally {
				got[w] = t.papers
			}
			if !reflect.DeepEqual(got, ref) {
				t.Errorf("paper %s: words %v, want %v", p.ID, got, ref)
			}
		}
		lengths := map[string]string{}
		analysed := 0
		for _, f := range doc.Fields {
			if f.Name() == fieldTitleLen || f.Name() == fieldAbstractLen {
				lengths[f.Name()] = string(f.Value())
			}
			af, ok := f.(*analysedField)
			if !ok {
				continue
			}
			analysed++
			orig := string(af.Value())
			value := []byte(orig)
			ref := document.NewTextFieldCustom(af.Name(), af.ArrayPositions(), value, af.Options(), af.Analyzer())
			ref.Analyze()
			for _, tf := range ref.AnalyzedTokenFrequencies() {
				for _, l := range tf.Locations {
					l.Start, l.End = 0, 0
				}
			}
			if af.AnalyzedLength() != ref.AnalyzedLength() {
				t.Errorf("paper %s, %s: length %d, Bleve's %d", p.ID, af.Name(), af.AnalyzedLength(), ref.AnalyzedLength())
			}
			if af.Name() == fieldAuthors {
				// A name has its ASCII form beside each token that has
				// another: Bleve's analysis of the text folded to ASCII,
				// where it differs.
				folded := document.NewTextFieldCustom(af.Name(), af.ArrayPositions(), asciifolding.New().Filter([]byte(orig)), af.Options(), af.Analyzer())
				folded.Analyze()
				want := locationSet(ref.AnalyzedTokenFrequencies())
				for loc := range locationSet(folded.AnalyzedTokenFrequencies()) {
					want[loc] = true
				}
				if got := locationSet(af.AnalyzedTokenFrequencies()); !reflect.DeepEqual(got, want) {
					t.Errorf("paper %s, authors: tokens %v, want Bleve's and their ASCII forms %v", p.ID, got, want)
				}
			} else if !reflect.DeepEqual(af.AnalyzedTokenFrequencies(), ref.AnalyzedTokenFrequencies()) {
				t.Errorf("paper %s, %s: token frequencies differ from Bleve's", p.ID, af.Name())
			}
			if string(af.Value()) != orig {
				t.Errorf("paper %s, %s: analysis changed the stored text to %q", p.ID, af.Name(), af.Value())
			}
		}
		if want := 2 + len(p.Authors); analysed != want {
			t.Errorf("paper %s: %d fields analysed ahead of Bleve, want %d (title, abstract and each author)", p.ID, analysed, want)
		}
		for _, c := range []struct{ text, field string }{{p.Title, fieldTitleLen}, {p.Abstract, fieldAbstractLen}} {
			want := ""
			if n := len(x.prose.Analyze([]byte(c.text))); n > 0 {
				want = strconv.Itoa(n)
			}
			if lengths[c.field] != want {
				t.Errorf("paper %s: %s %q, want %q", p.ID, c.field, lengths[c.field], want)
			}
		}
	}
}

// The index keeps positions (phrases and proximity read them) but no byte
// offsets: nothing reads those from the index, and they were a twentieth of
// its size. Authors keep their array positions, which stop a phrase from
// running from one author's name into the next.
func TestIndexHoldsNoOffsets(t *testing.T) {
	x, err := Open(filepath.Join(t.TempDir(), "index"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	papers := append(demoPapers(t), Paper{ID: "two-authors", Title: "Graphs", Abstract: "Graphs of graphs.", Authors: []string{"Ada Lovelace", "Alan Turing"}})
	if err := x.Put(papers); err != nil {
		t.Fatal(err)
	}
	r, err := x.reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	for _, c := range []struct{ field, term string }{
		{fieldTitle, "graph"}, {fieldAbstract, "graph"}, {fieldAuthors, "alan"}, {fieldAuthors, "lovelac"}, {fieldAuthors, "lovelace"},
	} {
		tfr, err := r.TermFieldReader(ctx, []byte(c.term), c.field, true, true, true)
		if err != nil {
			t.Fatal(err)
		}
		locs := 0
		for {
			d, err := tfr.Next(nil)
			if err != nil {
				t.Fatal(err)
			}
			if d == nil {
				break
			}
			for _, l := range d.Vectors {
				locs++
				if l.Start != 0 || l.End != 0 {
					t.Errorf("%s:%s: offsets %d-%d stored, want none", c.field, c.term, l.Start, l.End)
				}
				if l.Pos == 0 {
					t.Errorf("%s:%s: no position", c.field, c.term)
				}
				if c.field == fieldAuthors && len(l.ArrayPositions) != 1 {
					t.Errorf("%s:%s: array positions %v, want the author's", c.field, c.term, l.ArrayPositions)
				}
			}
		}
		tfr.Close()
		if locs == 0 && c.term != "lovelac" {
			t.Errorf("%s:%s: no occurrences found", c.field, c.term)
		}
	}
}

// A paper is stored once, whole and deflated, in meta: title and abstract
// have no stored copies of their own, and Get gives back what was put.
func TestPaperStoredOnceCompressed(t *testing.T) {
	x, err := Open(filepath.Join(t.TempDir(), "index"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	p := demoPapers(t)[0]
	p.Comment, p.DOI, p.Keywords, p.GitHubStars = "12 pages", "10.1000/xyz", []string{"graphs"}, 7
	p.Topics = []string{"graphs", "3d"}
	if err := x.Put([]Paper{p}); err != nil {
		t.Fatal(err)
	}
	got, err := x.Get(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Get gives empty lists, never nil ones.
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(p)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("Get gave\n%s\nwant\n%s", gotJSON, wantJSON)
	}
	doc, err := x.bi.Document(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var stored []string
	doc.VisitFields(func(f index.Field) {
		stored = append(stored, f.Name())
		if f.Name() == fieldMeta {
			js, _ := json.Marshal(p)
			if len(f.Value()) >= len(js)*3/4 {
				t.Errorf("meta holds %d bytes for %d of JSON: not compressed", len(f.Value()), len(js))
			}
		}
	})
	if !reflect.DeepEqual(stored, []string{fieldMeta}) {
		t.Errorf("stored fields %v, want only %s", stored, fieldMeta)
	}
}

// BenchmarkToDoc measures what a paper costs before zap sees it: toDoc and
// then Bleve's analysis of the indexed fields toDoc left to it, with title and
// abstract tokenized once for their fields and the vocabulary (split) or
// once more for the vocabulary.
func BenchmarkToDoc(b *testing.B) {
	papers := demoPapers(b)
	for _, split := range []bool{true, false} {
		b.Run(map[bool]string{true: "split", false: "bleve"}[split], func(b *testing.B) {
			x, err := Open(filepath.Join(b.TempDir(), "index"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer x.Close()
			if !split {
				x.split = nil
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				doc, err := x.toDoc(&papers[i%len(papers)], newWordSet())
				if err != nil {
					b.Fatal(err)
				}
				doc.VisitFields(func(f index.Field) {
					if f.Options().IsIndexed() {
						f.Analyze()
					}
				})
			}
		})
	}
}

// BenchmarkDecodeStored is what reading one stored paper back costs a
// search: every hit shown and every paper that lends feedback terms.
func BenchmarkDecodeStored(b *testing.B) {
	papers := demoPapers(b)
	stored := make([][]byte, len(papers))
	for i := range papers {
		var err error
		if stored[i], err = encodeStored(&papers[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := decodeStored("id", stored[i%len(stored)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeStored is what compressing one paper for the index costs
// a build.
func BenchmarkEncodeStored(b *testing.B) {
	papers := demoPapers(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := encodeStored(&papers[i%len(papers)]); err != nil {
			b.Fatal(err)
		}
	}
}
