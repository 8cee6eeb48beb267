package indexer

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/papersearch/papersearch/search"
)

func TestArxivID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2402.18668", "2402.18668"},
		{"2402.18668v3", "2402.18668"},
		{"arXiv:2402.18668", "2402.18668"},
		{"ARXIV:2402.18668v1", "2402.18668"},
		{"https://arxiv.org/abs/2402.18668v2", "2402.18668"},
		{"http://arxiv.org/pdf/2402.18668.pdf", "2402.18668"},
		{"https://huggingface.co/papers/2509.24002", "2509.24002"},
		{"hep-th/9901001", "hep-th/9901001"},
		{"hep-th/9901001v2", "hep-th/9901001"},
		{"math.AG/0309136", "math.AG/0309136"},
		{"1501.0001", "1501.0001"},
		{"ARXIV:2501.70002V2", "2501.70002"},
		{"arXiv:2501.70002v2", "2501.70002"},
		{"2501.70002V12", "2501.70002"},
		{"HTTPS://ARXIV.ORG/ABS/2402.18668V2", "2402.18668"},
		{"https://arxiv.org/pdf/2402.18668v1.PDF", "2402.18668"},
		{"HEP-TH/9901001V2", "hep-th/9901001"},
		{"arXiv:math.ag/0309136v1", "math.AG/0309136"},
		{"2501.70002V", ""},
		{"2501.70002x2", ""},
		{"../../x", ""},
		{"2402.186", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := ArxivID(tt.in); got != tt.want {
			t.Errorf("ArxivID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTitleID(t *testing.T) {
	a := TitleID("Just read twice: closing the recall gap")
	if a != TitleID("  JUST read twice -- closing the Recall gap!") {
		t.Errorf("TitleID is not stable across case and punctuation")
	}
	if a == TitleID("Just read once: closing the recall gap") {
		t.Errorf("different titles share an id")
	}
	if want := "just-read-twice-closing-the-recall-gap-"; a[:len(want)] != want {
		t.Errorf("TitleID = %q, want a readable slug", a)
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a\n  b\t\tc\r\n", "a b c"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		// A control character is a space, so the words on either side
		// stay apart.
		{"nul\x00byte", "nul byte"},
		{"Control\u0001chars", "Control chars"},
		{"c1\u0085x \x7f\x1f y", "c1 x y"},
		{"rtl \u202Eoverride\u202C", "rtl override"},
		{"\ufeffbom", "bom"},
		{`keeps \textit{TeX} and $x^2$`, `keeps \textit{TeX} and $x^2$`},
	}
	for _, tt := range tests {
		if got := CleanText(tt.in); got != tt.want {
			t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2024-02-28", "2024-02-28"},
		{"2024-02-28T17:03:11.000Z", "2024-02-28"},
		{"Feb 28, 2024", "2024-02-28"},
		{"Mon, 2 Apr 2007 19:18:42 GMT", "2007-04-02"},
		{"yesterday", ""},
		{"2024-13-01", ""},
	}
	for _, tt := range tests {
		got, ok := ParseDate(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("ParseDate(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestMerge(t *testing.T) {
	hf := search.Paper{ID: "2402.18668", Title: "Simple linear attention", Abstract: "Short.", AuthorCount: 9,
		Upvotes: 12, Published: "2024-02-29", Source: "hf-api", HFURL: "https://huggingface.co/papers/2402.18668"}
	arxiv := search.Paper{ID: "2402.18668", Title: "Simple linear attention", Abstract: "A much fuller abstract.",
		Authors: []string{"Simran Arora", "Sabri Eyuboglu"}, Published: "2024-02-28", Categories: []string{"cs.CL"},
		Source: "arxiv-atom", URL: "https://arxiv.org/abs/2402.18668"}
	for _, m := range []search.Paper{Merge(hf, arxiv), Merge(arxiv, hf)} {
		if m.Abstract != "A much fuller abstract." || m.Upvotes != 12 || m.Published != "2024-02-28" ||
			len(m.Authors) != 2 || m.AuthorCount != 9 || len(m.Categories) != 1 || m.HFURL == "" || m.URL == "" {
			t.Errorf("Merge = %+v", m)
		}
	}
	if got := Merge(hf, arxiv).Source; got != "hf-api,arxiv-atom" {
		t.Errorf("Source = %q", got)
	}
}

// cleanTextRunes is CleanText as first written, a rune at a time; the
// byte-at-a-time version must agree with it.
func cleanTextRunes(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), unicode.IsControl(r):
			space = true
			continue
		case isBidiControl(r), r == '\uFEFF':
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "  a\tb\r\n c  ", "\x00\x7f\x1fx\u0085y\u00a0z", "bad \xff utf8", "\u202Eevil\u2066 \uFEFFbom", "naïve café",
		"clean text", " lead", "trail ", "a  b", "a \x01b", "a\x01 b", "\x01a b", "a b\x01", "a\u00a0b", "a \u200eb", "é é", " ", "\u2066"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := CleanText(s), cleanTextRunes(s); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", s, got, want)
		}
	})
}

func FuzzSplitWords(f *testing.F) {
	f.Add("GPT-4o's 3.5x speed-up (e.g. on H100s)")
	f.Add("naïve café 日本語")
	f.Fuzz(func(t *testing.T, s string) {
		want := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if got := splitWords(s); !slices.Equal(got, want) {
			t.Errorf("splitWords(%q) = %q, want %q", s, got, want)
		}
	})
}

func FuzzNewStyleID(f *testing.F) {
	for _, s := range []string{"2402.18668", "2402.1866", "2402.186688", "2402.18668v12", "2402.18668V2", "2402.18668v", "2402.18668x", "0704.0001v1",
		"240.18668", "2402,18668", "hep-th/9901001", "２402.18668"} {
		f.Add(s)
	}
	re := regexp.MustCompile(`^(\d{4}\.\d{4,5})([vV]\d+)?$`)
	f.Fuzz(func(t *testing.T, s string) {
		want := ""
		if m := re.FindStringSubmatch(s); m != nil {
			want = m[1]
		}
		if got, ok := newStyleID(s); got != want || ok != (want != "") {
			t.Errorf("newStyleID(%q) = %q, %v; want %q", s, got, ok, want)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-02-28", "2024-02-30", "2024-02-29", "2023-02-29", "0999-01-01", "1000-01-01", "2024-13-01",
		"2024-00-10", "2024-1-01", " 2024-02-28 ", "2024-02-28T10:00:00Z", "Mon, 2 Jan 2006 15:04:05 GMT", "2024/02/28", "+024-02-28"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" || strings.TrimSpace(s) == "" {
			return
		}
		got, ok := ParseDate(s)
		want, wantOK := parseDateLayouts(strings.TrimSpace(s))
		if got != want || ok != wantOK {
			t.Errorf("ParseDate(%q) = %q, %v; want %q, %v", s, got, ok, want, wantOK)
		}
	})
}

// Listings put MSC and ACM classes among the arXiv categories; they move
// to the keywords, so that the category facet holds categories only.
func TestNormalizeCategories(t *testing.T) {
	tests := []struct {
		in, wantCats, wantKeywords []string
	}{
		{
			in:           []string{"cs.CL", "cs.AI", "68P30 (Primary) 68T07, 68T50 (Secondary)", "I.2.6; I.5.1; I.2.7"},
			wantCats:     []string{"cs.CL", "cs.AI"},
			wantKeywords: []string{"68P30 (Primary) 68T07, 68T50 (Secondary)", "I.2.6; I.5.1; I.2.7"},
		},
		{
			in:       []string{"hep-th", "astro-ph.CO", "q-bio.NC", "cond-mat.mes-hall", " math.AP ", "cs.LG", "cs.LG"},
			wantCats: []string{"hep-th", "astro-ph.CO", "q-bio.NC", "cond-mat.mes-hall", "math.AP", "cs.LG"},
		},
		{in: []string{"I.2.7", "", "CS.CL"}, wantCats: []string{}, wantKeywords: []string{"I.2.7", "CS.CL"}},
	}
	for _, tt := range tests {
		p := search.Paper{ID: "2505.07289", Title: "t", Categories: slices.Clone(tt.in)}
		normalize(&p)
		if !slices.Equal(p.Categories, tt.wantCats) || !slices.Equal(p.Keywords, tt.wantKeywords) {
			t.Errorf("categories %q: got categories %q, keywords %q; want %q, %q", tt.in, p.Categories, p.Keywords, tt.wantCats, tt.wantKeywords)
		}
	}
}

func TestCheckID(t *testing.T) {
	tests := []struct {
		id   string
		want string // in the error; "" for a good id
	}{
		{"2402.18668", ""},
		{"hep-th/9901001", ""},
		{"math.GT/0309136", ""},
		{TitleID("A paper with no id"), ""},
		{"...", ""}, // not a dot segment
		{".x", ""},
		{"x.", ""},
		{"a.b/c..d", ""},
		{"%2e%2e", ""}, // escaped to %252e%252e in links: a literal id
		{`..\..\x`, ""},
		{"a?b#c d", ""},
		{"similar", ""},
		{strings.Repeat("9", MaxIDBytes), ""},
		{strings.Repeat("9", MaxIDBytes+1), "is 257 bytes; the limit is 256"},
		{".", `has a "." path segment`},
		{"..", `has a ".." path segment`},
		{"../../etc/passwd", `has a ".." path segment`},
		{"a/./b", `has a "." path segment`},
		{"hep-th/..", `has a ".." path segment`},
		{"/etc/passwd", "empty path segment"},
		{"a/", "empty path segment"},
		{"a//b", "empty path segment"},
		{"2402.18668/similar", "ends in /similar"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			err := checkID(tt.id)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("checkID(%q) = %v, want %q", tt.id, err, tt.want)
			}
		})
	}
}
