package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// vocabPapers are papers whose words the tests below look for.
var vocabPapers = []Paper{
	{ID: "q1", Title: "Quantization of transformers", Abstract: "We quantize weights; quantized models run fast."},
	{ID: "q2", Title: "Quantum annealing", Abstract: "Annealing with qubits."},
	{ID: "p1", Title: "Pruning heads", Abstract: "Zygomorphic pruning of attention heads."},
	{ID: "q3", Title: "Quantization again"},
}

// searchWords returns the words a prefix search, a fuzzy search, a spelling
// correction and a suggestion find in x.
func searchWords(t *testing.T, x *Index) (prefix, fuzzy []string, corrected string, suggested []string) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []struct {
		text string
		ids  *[]string
	}{{"quant*", &prefix}, {"zygomorfic~2", &fuzzy}} {
		res, err := x.Search(ctx, Request{Query: q.text, NoExpand: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			*q.ids = append(*q.ids, h.Paper.ID)
		}
		slices.Sort(*q.ids)
	}
	res, err := x.Search(ctx, Request{Query: "zygomorfic pruning"})
	if err != nil {
		t.Fatal(err)
	}
	ss, err := x.Suggest(ctx, "quant", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		if s.Kind == SuggestWord {
			suggested = append(suggested, s.Text)
		}
	}
	return prefix, fuzzy, res.CorrectedQuery, suggested
}

func TestVocabulary(t *testing.T) {
	// "quantization" is suggested rather than "quantize" or "quantized"
	// (the same stem) because more papers wrote it.
	wantPrefix, wantFuzzy := []string{"q1", "q2", "q3"}, []string{"p1"}
	wantCorrected, wantSuggested := "zygomorphic pruning", []string{"quantization", "quantum"}
	check := func(t *testing.T, x *Index) {
		t.Helper()
		prefix, fuzzy, corrected, suggested := searchWords(t, x)
		if !slices.Equal(prefix, wantPrefix) || !slices.Equal(fuzzy, wantFuzzy) || corrected != wantCorrected || !slices.Equal(suggested, wantSuggested) {
			t.Errorf("quant* found %v, zygomorfic~2 %v, zygomorfic corrected to %q, quant suggested %v; want %v, %v, %q, %v",
				prefix, fuzzy, corrected, suggested, wantPrefix, wantFuzzy, wantCorrected, wantSuggested)
		}
	}
	fill := func(t *testing.T, path string) {
		x, err := Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		if err := x.Put(vocabPapers); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		// damage does something to the closed index at path; open then
		// opens it.
		damage func(t *testing.T, path string)
		open   func(path string) (*Index, error)
	}{
		{"reopened", func(*testing.T, string) {}, openPlain},
		{"file missing: rebuilt from the stored papers", func(t *testing.T, path string) {
			if err := os.Remove(filepath.Join(path, vocabFile)); err != nil {
				t.Fatal(err)
			}
		}, openPlain},
		{"file missing, read-only", func(t *testing.T, path string) {
			if err := os.Remove(filepath.Join(path, vocabFile)); err != nil {
				t.Fatal(err)
			}
		}, func(path string) (*Index, error) { return OpenReadOnly(path, nil) }},
		{"last line torn by a crash", func(t *testing.T, path string) {
			f, err := os.OpenFile(filepath.Join(path, vocabFile), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteString("quantumly-torn"); err != nil {
				t.Fatal(err)
			}
		}, openPlain},
		{"backup", func(t *testing.T, path string) {
			x, err := Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			dst := path + "-backup"
			if err := x.Backup(dst); err != nil {
				t.Fatal(err)
			}
			if err := x.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(path); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(dst, path); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(path, vocabFile)); err != nil {
				t.Errorf("the backup has no vocabulary: %v", err)
			}
		}, openPlain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "index")
			fill(t, path)
			tt.damage(t, path)
			x, err := tt.open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			check(t, x)
			if x.vocab.has("quantumly-torn") {
				t.Error("a torn last line was read as a word")
			}
		})
	}

	t.Run("bulk load", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "index")
		x, err := OpenBulk(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.Put(vocabPapers); err != nil {
			t.Fatal(err)
		}
		if err := x.FinishBulk(true); err != nil {
			t.Fatal(err)
		}
		if x, err = Open(path, nil); err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		check(t, x)
	})

	// Counts gained by words already in the file are written when the index
	// closes.
	t.Run("counts of a later batch", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "index")
		x, err := Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, batch := range [][]Paper{vocabPapers[:3], vocabPapers[3:]} {
			if err := x.Put(batch); err != nil {
				t.Fatal(err)
			}
		}
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		if x, err = Open(path, nil); err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		check(t, x)
		b, err := os.ReadFile(filepath.Join(path, vocabFile))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		if !slices.IsSorted(lines[:len(lines)-1]) || strings.Count(string(b), "quantization\t") != 1 || !slices.Contains(lines, "quantization\t2") {
			t.Errorf("the file should be sorted and hold quantization once, with 2 papers:\n%s", b)
		}
	})

	t.Run("torn line cut before the next words", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "index")
		fill(t, path)
		file := filepath.Join(path, vocabFile)
		f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("torn")
		f.Close()
		x, err := Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.Put([]Paper{{ID: "n1", Title: "Newfangled words"}}); err != nil {
			t.Fatal(err)
		}
		x.Close()
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			w, _, _ := strings.Cut(l, "\t")
			lines = append(lines, w)
		}
		if slices.Contains(lines, "torn") || slices.Contains(lines, "tornnewfangled") || !slices.Contains(lines, "newfangled") {
			t.Errorf("the file after a torn line and a batch: %q", b)
		}
	})

	// A word whose papers are all gone is not offered any more: it is
	// counted by its stem's papers. It still counts as known, so it is not
	// "corrected" into another word.
	t.Run("deleted papers", func(t *testing.T) {
		x, err := Open(filepath.Join(t.TempDir(), "index"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		if err := x.Put(vocabPapers); err != nil {
			t.Fatal(err)
		}
		if err := x.Delete([]string{"q2"}); err != nil {
			t.Fatal(err)
		}
		prefix, _, _, suggested := searchWords(t, x)
		if !slices.Equal(prefix, []string{"q1", "q3"}) || !slices.Equal(suggested, []string{"quantization"}) {
			t.Errorf("after deleting q2, quant* found %v and quant suggested %v; want [q1 q3] and [quantization]", prefix, suggested)
		}
		if !x.vocab.has("quantum") {
			t.Error("a deleted paper's word left the vocabulary")
		}
	})
}

func openPlain(path string) (*Index, error) { return Open(path, nil) }

// near must find what a full edit-distance computation over the vocabulary
// finds.
func TestVocabularyNear(t *testing.T) {
	v := &vocabulary{seen: map[string]int64{}}
	words := []string{"quantization", "quantisation", "quantized", "quantum", "qantum", "quanta", "q", "über", "uber", "übel", "prune", "pruning", "prunes", "proning", "pruned"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, 1+rng.IntN(8))
		for i := range b {
			b[i] = "aqpru"[rng.IntN(5)]
		}
		words = append(words, string(b))
	}
	for _, w := range words {
		if _, ok := v.seen[w]; !ok {
			v.seen[w] = 1
			v.fresh = append(v.fresh, w)
		}
	}
	for _, term := range append([]string{"quantizaton", "pruning", "ubel", "über", "q", "qu"}, words[len(words)-50:]...) {
		for edits := 1; edits <= 2; edits++ {
			var got, want []string
			for _, f := range v.near(term, edits) {
				got = append(got, f.term)
				if f.edits != levenshtein(term, f.term) {
					t.Errorf("near(%q): %q at %d edits, not %d", term, f.term, f.edits, levenshtein(term, f.term))
				}
			}
			first := []rune(term)[0]
			for _, w := range v.words() {
				if w != term && []rune(w)[0] == first && levenshtein(term, w) <= edits {
					want = append(want, w)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("near(%q, %d) = %v, want %v", term, edits, got, want)
			}
		}
	}
}

// A prefix's completions start with the words as typed, then those that
// match once accents are dropped, so that a caller keeping the first few
// keeps the words typed: pré* with more pre… words than a search scans.
func TestWithPrefixAnyAccentsTypedFirst(t *testing.T) {
	v, _, err := openVocabulary(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer v.close()
	words := func(ws ...string) *wordSet {
		s := newWordSet()
		s.nextPaper()
		var terms [][]byte
		for _, w := range ws {
			terms = append(terms, []byte(w))
		}
		s.addTokens(terms)
		return s
	}
	var many []string
	for i := range maxDictScan + 100 {
		many = append(many, fmt.Sprintf("pre%05d", i))
	}
	if err := v.add(words(append(many, "présentation", "précis", "schrödinger", "schrodinger")...)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		prefix string
		first  []string // the first words, in order
		has    []string
	}{
		{"pré", []string{"précis", "présentation"}, []string{"pre00000"}},
		{"schrod", []string{"schrodinger", "schrödinger"}, nil},
		{"schröd", []string{"schrödinger", "schrodinger"}, nil},
	} {
		got := v.withPrefixAnyAccents(c.prefix)
		if len(got) < len(c.first) || !slices.Equal(got[:len(c.first)], c.first) {
			t.Errorf("%s*: %v…, want %v first", c.prefix, got[:min(len(got), 4)], c.first)
		}
		for _, w := range c.has {
			if !slices.Contains(got, w) {
				t.Errorf("%s*: no %s", c.prefix, w)
			}
		}
	}
	// A word added later, with a new ASCII form, is found too.
	if err := v.add(words("ångström")); err != nil {
		t.Fatal(err)
	}
	if got := v.withPrefixAnyAccents("angs"); !slices.Contains(got, "ångström") {
		t.Errorf("angs*: %v, want ångström", got)
	}
}
