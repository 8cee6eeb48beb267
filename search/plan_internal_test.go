package search

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// planPapers have accents in prose and in names, and a phrase.
var planPapers = []Paper{
	{ID: "2501.00201", Title: "Rényi divergence bounds", Abstract: "We bound the Rényi divergence of noisy updates."},
	{ID: "2501.00202", Title: "Entropy notes", Abstract: "Entropy estimates for graphs.", Authors: []string{"Alfréd Rényi"}},
	{ID: "2501.00203", Title: "Entropy notes", Abstract: "Entropy estimates for graphs.", Authors: []string{"Alfred Renyi"}},
	{ID: "2501.00204", Title: "KV cache compression", Abstract: "Quantization of the cache."},
}

func planIndex(t *testing.T) (*Index, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "index")
	x, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Put(planPapers); err != nil {
		t.Fatal(err)
	}
	return x, path
}

// bagOf is what a query ranks by: its terms with their weights and
// groups, its pairs and its names.
func bagOf(t *testing.T, x *Index, q string) (terms []queryTerm, pairs [][2]int, names []queryTerm) {
	t.Helper()
	p, err := x.compile(context.Background(), q, compileOptions{expand: true, correct: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range p.bag.terms {
		tm.note = "" // says where a term came from, not how it ranks
		terms = append(terms, tm)
	}
	return terms, p.bag.pairs, p.bag.names
}

// A phrase's proximity suffix changes which papers match, not how they
// rank: the words it adds match only.
func TestPhraseProximityRanksAsThePhrase(t *testing.T) {
	x, _ := planIndex(t)
	defer x.Close()
	for _, q := range []string{`"kv cache" quantization`, `"renyi divergence" bounds`} {
		terms, pairs, names := bagOf(t, x, q)
		end := strings.LastIndexByte(q, '"') + 1
		nq := q[:end] + "~3" + q[end:]
		nterms, npairs, nnames := bagOf(t, x, nq)
		if !reflect.DeepEqual(terms, nterms) || !reflect.DeepEqual(pairs, npairs) || !reflect.DeepEqual(names, nnames) {
			t.Errorf("%s ranks by\n  %+v %v %+v\n%s by\n  %+v %v %+v", q, terms, pairs, names, nq, nterms, npairs, nnames)
		}
	}
}

// A word's other accents add prose terms to its group, and no names: the
// index holds names folded already, so a name with accents would count
// twice.
func TestOtherAccentsAddNoNames(t *testing.T) {
	x, _ := planIndex(t)
	defer x.Close()
	terms, _, names := bagOf(t, x, "renyi")
	if len(names) != 1 || names[0].text != "renyi" {
		t.Errorf("names %+v, want renyi alone", names)
	}
	if len(terms) != 2 || terms[0].group == 0 || terms[0].group != terms[1].group {
		t.Errorf("terms %+v, want renyi and rényi in one group", terms)
	}
	res, err := x.Search(context.Background(), Request{Query: "renyi"})
	if err != nil {
		t.Fatal(err)
	}
	score := map[string]float64{}
	for _, h := range res.Hits {
		score[h.Paper.ID] = h.Score
	}
	if a, b := score["2501.00202"], score["2501.00203"]; a == 0 || a != b {
		t.Errorf("Alfréd Rényi scores %v, Alfred Renyi %v: want the same", a, b)
	}
}

// An index opened read-only that rebuilds its vocabulary folds it too.
func TestReadOnlyVocabularyFolds(t *testing.T) {
	x, path := planIndex(t)
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(path, vocabFile)); err != nil {
		t.Fatal(err)
	}
	ro, err := OpenReadOnly(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	res, err := ro.Search(context.Background(), Request{Query: "renyi"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range res.Hits {
		got = append(got, h.Paper.ID)
	}
	if !slices.Contains(got, "2501.00201") {
		t.Errorf("hits %v lack 2501.00201, which says Rényi", got)
	}
}
