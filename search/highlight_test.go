package search_test

import (
	"context"
	"html"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/papersearch/papersearch/search"
)

// plain turns a highlight fragment back into the text it shows.
func plain(frag string) string {
	frag = strings.ReplaceAll(frag, "<mark>", "")
	frag = strings.ReplaceAll(frag, "</mark>", "")
	return html.UnescapeString(frag)
}

// checkFragment checks what every fragment must be: the paper text escaped,
// with nothing added but <mark> pairs, and a piece of text (a whole field
// when whole is set).
func checkFragment(t *testing.T, field, frag, text string, whole bool) {
	t.Helper()
	bare := strings.ReplaceAll(strings.ReplaceAll(frag, "<mark>", ""), "</mark>", "")
	if strings.ContainsAny(bare, "<>\"") {
		t.Errorf("%s fragment has markup other than <mark>: %q", field, frag)
	}
	if strings.Count(frag, "<mark>") != strings.Count(frag, "</mark>") {
		t.Errorf("%s fragment has unbalanced marks: %q", field, frag)
	}
	got := plain(frag)
	if whole {
		if got != text {
			t.Errorf("%s fragment shows %q, want the whole field %q", field, got, text)
		}
		return
	}
	got = strings.TrimSuffix(strings.TrimPrefix(got, "…"), "…")
	if !strings.Contains(text, got) {
		t.Errorf("%s fragment shows %q, which is not a piece of %q", field, got, text)
	}
}

func TestHighlights(t *testing.T) {
	idx := openCorpus(t)
	papers := map[string]string{} // id -> abstract
	titles := map[string]string{}
	for _, p := range corpus() {
		papers[p.ID], titles[p.ID] = p.Abstract, p.Title
	}
	tests := []struct {
		name      string
		query     string
		id        string // the hit to look at
		wantTitle string // exact, when set
		wantAbs   []string
		notAbs    []string
	}{
		{
			name:      "title and abstract matches are marked",
			query:     "pruning",
			id:        idPruningTitle,
			wantTitle: "Structured <mark>Pruning</mark> of Large Language Models",
		},
		{
			name:    "an abstract-only match",
			query:   "pruning",
			id:      idPruningAbstract,
			wantAbs: []string{"We touch on <mark>pruning</mark> only briefly"},
		},
		{
			name:      "stemmed matches are marked as written",
			query:     "quantize",
			id:        idGPTQ,
			wantTitle: "GPTQ: Accurate Post-Training <mark>Quantization</mark> for Generative Transformers",
			wantAbs:   []string{"We <mark>quantize</mark> the weights"},
		},
		{
			name:      "script in the title is escaped around the mark",
			query:     "alert",
			id:        idXSS,
			wantTitle: "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt; Retrieval Attacks",
			wantAbs: []string{
				"&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;",
				"&lt;img src=x onerror=<mark>alert</mark>(1)&gt; &amp; other markup.",
			},
			notAbs: []string{"<script", "<img"},
		},
		{
			name:      "markup is escaped where nothing matched",
			query:     "retrieval",
			id:        idXSS,
			wantTitle: "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Retrieval</mark> Attacks",
			wantAbs:   []string{"<mark>Retrieval</mark>-augmented", "&lt;img src=x onerror=alert(1)&gt;"},
			notAbs:    []string{"<script", "<img"},
		},
		{
			name:    "a query for the tag name does not unescape it",
			query:   "script",
			id:      idXSS,
			wantAbs: []string{"&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;"},
		},
		{
			name:    "snippet around a match deep in a long abstract",
			query:   "lighthouse",
			id:      idLighthouse,
			wantAbs: []string{"…A <mark>lighthouse</mark> guides the search"},
		},
		{
			name:    "the window with more distinct terms wins",
			query:   "lighthouse benchmarks",
			id:      idLighthouse,
			wantAbs: []string{"<mark>lighthouse</mark>", "<mark>benchmarks</mark>"},
		},
		{
			name:    "author-only match: the abstract starts the snippet",
			query:   "lovelace",
			id:      idPruningTitle,
			wantAbs: []string{"We remove attention heads"},
			notAbs:  []string{"<mark>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := idx.Search(context.Background(), search.Request{Query: tt.query})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range res.Hits {
				checkFragment(t, h.Paper.ID+" title", h.Highlights["title"][0], titles[h.Paper.ID], true)
				checkFragment(t, h.Paper.ID+" abstract", h.Highlights["abstract"][0], papers[h.Paper.ID], false)
			}
			var hit *search.Hit
			for i := range res.Hits {
				if res.Hits[i].Paper.ID == tt.id {
					hit = &res.Hits[i]
				}
			}
			if hit == nil {
				t.Fatalf("%s not among the hits %q", tt.id, hitIDs(res.Hits))
			}
			if len(hit.Highlights["title"]) != 1 || len(hit.Highlights["abstract"]) != 1 {
				t.Fatalf("want one title and one abstract fragment, got %q", hit.Highlights)
			}
			title, abs := hit.Highlights["title"][0], hit.Highlights["abstract"][0]
			if tt.wantTitle != "" && title != tt.wantTitle {
				t.Errorf("title fragment = %q\nwant             %q", title, tt.wantTitle)
			}
			for _, w := range tt.wantAbs {
				if !strings.Contains(abs, w) {
					t.Errorf("abstract fragment %q\ndoes not contain %q", abs, w)
				}
			}
			for _, w := range tt.notAbs {
				if strings.Contains(abs, w) {
					t.Errorf("abstract fragment %q contains %q", abs, w)
				}
			}
		})
	}
}

// Without a query every hit still carries both fragments, escaped.
func TestHighlightsWithoutQuery(t *testing.T) {
	idx := openCorpus(t)
	res, err := idx.Search(context.Background(), search.Request{Size: search.MaxSize})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		title, abs := h.Highlights["title"][0], h.Highlights["abstract"][0]
		if title != html.EscapeString(h.Paper.Title) {
			t.Errorf("%s title fragment = %q, want the escaped title", h.Paper.ID, title)
		}
		if abs != search.Snippet(h.Paper.Abstract) {
			t.Errorf("%s abstract fragment = %q, want Snippet(abstract)", h.Paper.ID, abs)
		}
		if strings.Contains(title+abs, "<mark>") {
			t.Errorf("%s: marks without a query", h.Paper.ID)
		}
	}
}

// The snippet around a match is cut at word boundaries on both sides.
func TestHighlightCutsAtWords(t *testing.T) {
	idx := openCorpus(t)
	res, err := idx.Search(context.Background(), search.Request{Query: "lighthouse"})
	if err != nil || len(res.Hits) != 1 {
		t.Fatalf("Search: %d hits, %v", len(res.Hits), err)
	}
	frag := res.Hits[0].Highlights["abstract"][0]
	if !strings.HasPrefix(frag, "…") || !strings.HasSuffix(frag, "…") {
		t.Fatalf("fragment %q should be cut on both sides", frag)
	}
	shown := strings.TrimSuffix(strings.TrimPrefix(plain(frag), "…"), "…")
	start := strings.Index(lighthouseAbstract, shown)
	if start < 0 {
		t.Fatalf("fragment %q is not a piece of the abstract", shown)
	}
	end := start + len(shown)
	if start > 0 && lighthouseAbstract[start-1] != ' ' {
		t.Errorf("fragment starts mid-word: %q", lighthouseAbstract[max(0, start-10):start+10])
	}
	if next := lighthouseAbstract[end]; next != ' ' && next != ',' {
		t.Errorf("fragment ends mid-word: %q", lighthouseAbstract[end-10:min(len(lighthouseAbstract), end+10)])
	}
	if n := len(shown); n < 200 || n > 320 {
		t.Errorf("fragment shows %d bytes; want about 280", n)
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("word ", 100) // 500 bytes
	tests := []struct {
		name string
		in   string
		want string // exact, when set
		// otherwise: a cut fragment ending in "…" whose text is a prefix
		// of in, ending at a word boundary
	}{
		{name: "empty", in: "", want: ""},
		{name: "short text is escaped whole", in: `a < b & "c"`, want: "a &lt; b &amp; &#34;c&#34;"},
		{name: "script is escaped", in: scriptTag, want: "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{name: "exactly at the limit is kept", in: strings.Repeat("x", 240), want: strings.Repeat("x", 240)},
		{name: "long text is cut at a word", in: long},
		{name: "markup at the cut is escaped", in: strings.Repeat("<b>", 100)},
		{name: "multibyte runes are not split", in: strings.Repeat("é", 300)},
		{name: "multibyte words", in: strings.Repeat("日本語 ", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := search.Snippet(tt.in)
			if !utf8.ValidString(got) {
				t.Fatalf("Snippet returned invalid UTF-8: %q", got)
			}
			if tt.want != "" || tt.in == "" {
				if got != tt.want {
					t.Errorf("Snippet = %q, want %q", got, tt.want)
				}
				return
			}
			if !strings.HasSuffix(got, "…") {
				t.Fatalf("Snippet of %d bytes = %q, want it cut with …", len(tt.in), got)
			}
			if strings.ContainsAny(strings.TrimSuffix(got, "…"), "<>") {
				t.Errorf("Snippet = %q has unescaped markup", got)
			}
			text := html.UnescapeString(strings.TrimSuffix(got, "…"))
			if !strings.HasPrefix(tt.in, text) {
				t.Fatalf("Snippet text %q is not a prefix of the input", text)
			}
			if n := utf8.RuneCountInString(text); n > 240 || n < 120 {
				t.Errorf("Snippet keeps %d runes; want at most 240 and not much fewer", n)
			}
			if strings.Contains(tt.in, " ") {
				if next := tt.in[len(text)]; next != ' ' {
					t.Errorf("Snippet cut mid-word before %q", tt.in[len(text):len(text)+5])
				}
			}
		})
	}
}
