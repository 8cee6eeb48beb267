package search

import (
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/blevesearch/bleve/v2/document"
)

// toDoc analyses title and abstract itself; what it hands Bleve must be
// what Bleve's own analysis of those fields gives.
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
	}
	papers = append(papers, demoPapers(t)...)

	for _, p := range papers {
		doc, err := x.toDoc(&p)
		if err != nil {
			t.Fatal(err)
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
			value := append([]byte(nil), af.Value()...)
			ref := document.NewTextFieldCustom(af.Name(), af.ArrayPositions(), value, af.Options(), af.Analyzer())
			ref.Analyze()
			if af.AnalyzedLength() != ref.AnalyzedLength() {
				t.Errorf("paper %s, %s: length %d, Bleve's %d", p.ID, af.Name(), af.AnalyzedLength(), ref.AnalyzedLength())
			}
			if !reflect.DeepEqual(af.AnalyzedTokenFrequencies(), ref.AnalyzedTokenFrequencies()) {
				t.Errorf("paper %s, %s: token frequencies differ from Bleve's", p.ID, af.Name())
			}
			if string(af.Value()) != string(value) {
				t.Errorf("paper %s, %s: analysis changed the stored text to %q", p.ID, af.Name(), af.Value())
			}
		}
		if analysed != 2 {
			t.Errorf("paper %s: %d fields analysed ahead of Bleve, want title and abstract", p.ID, analysed)
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
