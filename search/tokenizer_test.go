package search

import (
	"reflect"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
)

func sameTokens(t *testing.T, in string) bool {
	t.Helper()
	want := unicode.NewUnicodeTokenizer().Tokenize([]byte(in))
	got := (&asciiTokenizer{fallback: unicode.NewUnicodeTokenizer()}).Tokenize([]byte(in))
	if len(want) == 0 && len(got) == 0 {
		return true
	}
	deref := func(ts analysis.TokenStream) []analysis.Token {
		out := make([]analysis.Token, len(ts))
		for i, t := range ts {
			out[i] = *t
		}
		return out
	}
	if !reflect.DeepEqual(deref(got), deref(want)) {
		t.Errorf("Tokenize(%q)\n got %v\nwant %v", in, deref(got), deref(want))
		return false
	}
	return true
}

// Every string of up to five characters from an alphabet of every ASCII
// word-break class splits as the unicode tokenizer splits it.
func TestASCIITokenizerExhaustive(t *testing.T) {
	alphabet := []byte("a1_.:,;'\" \n\r\x0b-A")
	buf := make([]byte, 0, 5)
	var gen func(n int) bool
	gen = func(n int) bool {
		if !sameTokens(t, string(buf)) {
			return false
		}
		if n == 0 {
			return true
		}
		for _, c := range alphabet {
			buf = append(buf, c)
			ok := gen(n - 1)
			buf = buf[:len(buf)-1]
			if !ok {
				return false
			}
		}
		return true
	}
	n := 5
	if testing.Short() {
		n = 4
	}
	gen(n)
}

func TestASCIITokenizerCorpus(t *testing.T) {
	for _, p := range demoPapers(t)[:600] {
		for _, s := range []string{p.Title, p.Abstract} {
			if !sameTokens(t, s) {
				return
			}
		}
	}
	for _, s := range []string{"", "GPT-4o's 3.5x speed-up (e.g. on H100s): 1,000 tok/s; v1.2_beta", "naïve café", "日本語 text", "\x00\x7f"} {
		sameTokens(t, s)
	}
}

func FuzzASCIITokenizer(f *testing.F) {
	f.Add("e.g. U.S.A.'s 3.14,15 a:b don't __x_1 1_a a_.b")
	f.Fuzz(func(t *testing.T, s string) {
		sameTokens(t, s)
	})
}
