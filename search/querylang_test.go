package search

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// show renders a clause tree compactly: +must ?should -not, leaves as
// kind:field:text.
func show(c *clause) string {
	if c == nil {
		return "<nil>"
	}
	switch c.kind {
	case kindBool:
		var parts []string
		for _, s := range c.must {
			parts = append(parts, "+"+show(s))
		}
		for _, s := range c.should {
			parts = append(parts, "?"+show(s))
		}
		for _, s := range c.not {
			parts = append(parts, "-"+show(s))
		}
		return "(" + strings.Join(parts, " ") + ")"
	case kindYear:
		return fmt.Sprintf("year:%d..%d", c.from, c.to)
	}
	name := map[clauseKind]string{kindWord: "w", kindPhrase: "p", kindPrefix: "pre", kindFuzzy: "fz", kindTopic: "topic", kindCategory: "cat"}[c.kind]
	s := name + ":" + c.text
	if c.field != "" && c.kind != kindTopic && c.kind != kindCategory {
		s = c.field + "." + s
	}
	if c.fuzz > 0 {
		s += fmt.Sprintf("~%d", c.fuzz)
	}
	return s
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		q, want string
		notices int
	}{
		{`quantization llm`, `(?w:quantization ?w:llm)`, 0},
		{`"long context" +kv -vision`, `(+w:kv ?p:long context -w:vision)`, 0},
		{`title:pruning abstract:"kv cache" au:hinton`, `(?title.w:pruning ?abstract.p:kv cache ?author.w:hinton)`, 0},
		{`topic:quantization cat:cs.CL year:2023..2025 llm`, `(+topic:quantization +cat:cs.CL +year:2023..2025 ?w:llm)`, 0},
		{`year:2020.. year:..2024 year:2022`, `(+year:2020..0 +year:0..2024 +year:2022..2022)`, 0},
		// Years with none in common: any of them, said in a notice.
		{`year:..2020 year:2024.. year:2024`, `(+(?year:0..2020 ?year:2024..0 ?year:2024..2024))`, 1},
		{`llm year:2024 topic:x year:2025`, `(+topic:x +(?year:2024..2024 ?year:2025..2025) ?w:llm)`, 1},
		{`quant* quantisation~ x~2`, `(?pre:quant ?fz:quantisation~1 ?fz:x~2)`, 0},
		{`a AND b OR c`, `(?(?(+w:a +w:b) ?w:c))`, 0},
		{`a AND b c`, `(+(+w:a +w:b) ?w:c)`, 0},
		{`(pruning OR distillation) AND NOT vision`, `(+(+(?w:pruning ?w:distillation) -w:vision))`, 0},
		{`title:(pruning sparsity)`, `(?(?title.w:pruning ?title.w:sparsity))`, 0},
		{`MEASUREMENT OF DIELECTRIC CONSTANT AND LOSS`, `(?w:MEASUREMENT ?w:OF ?w:DIELECTRIC ?w:CONSTANT ?w:AND ?w:LOSS)`, 0},
		{`LLM AND RAG`, `(+(+w:LLM +w:RAG))`, 0},
		{`post-training non-linear`, `(?w:post-training ?w:non-linear)`, 0},
		{`foo:bar`, `(?w:foo:bar)`, 0},
		{`quantization;llm <b>pruning</b>`, `(?w:quantization ?w:llm ?w:b ?w:pruning ?w:/b)`, 0},
		{`quantization^5, kv=cache [sparsity]`, `(?w:quantization ?w:5 ?w:kv ?w:cache ?w:sparsity)`, 0},
		{`quantization. TCP/IP cs.CL`, `(?w:quantization ?w:TCP/IP ?w:cs.CL)`, 0},
		{`quant*.`, `(?pre:quant)`, 0},
		// Proximity: the phrase or all of its words.
		{`"kv cache"~2 llm`, `(?(?p:kv cache ?(+w:kv +w:cache)) ?w:llm)`, 1},
		{`title:"kv cache"~ -"low rank"~10`, `(?(?title.p:kv cache ?(+title.w:kv +title.w:cache)) -(?p:low rank ?(+w:low +w:rank)))`, 2},
		{`"kv"~3 "a~b"`, `(?p:kv ?p:a~b)`, 1},
		// Repairs.
		{`"long context`, `(?w:long ?w:context)`, 1},
		{`(pruning OR distillation`, `(?(?w:pruning ?w:distillation))`, 1},
		{`pruning)`, `(?w:pruning)`, 1},
		{`quantization - llm`, `(?w:quantization ?w:llm)`, 1},
		{`quantization title:`, `(?w:quantization)`, 1},
		{`AND quantization OR`, `(?w:quantization)`, 2},
		{`*ization qu*nt`, `(?w:ization ?w:qunt)`, 2},
		{`pruning~5`, `(?fz:pruning~2)`, 1},
		{`ab*`, `(?w:ab)`, 1},
		{`year:2026..2025`, `(+year:2025..2026)`, 1},
		{`() ""`, `()`, 2},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			c, notices, err := parseQuery(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := show(c); got != tc.want {
				t.Errorf("parse = %s, want %s", got, tc.want)
			}
			if len(notices) != tc.notices {
				t.Errorf("notices = %q, want %d", notices, tc.notices)
			}
		})
	}
	// The words of "…"~N match only and count once towards the limit.
	long := `"` + strings.TrimSpace(strings.Repeat("w ", 16)) + `"~2 `
	if _, _, err := parseQuery(strings.Repeat(long, maxClauses/16)); err != nil {
		t.Errorf("%d phrases of 16 words with ~2: %v", maxClauses/16, err)
	}
	for _, bad := range []string{"year:abc", "year:99", strings.Repeat("(", maxDepth+1) + "x", strings.Repeat("w ", maxClauses+1)} {
		if _, _, err := parseQuery(bad); !errors.Is(err, ErrBadQuery) {
			t.Errorf("parse %q: err = %v, want ErrBadQuery", bad[:min(len(bad), 20)], err)
		}
	}
}

func TestSpans(t *testing.T) {
	q := `title:quantizaton "kv cache" distilation "low  rank"~2`
	c, _, err := parseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	c.walk(func(c *clause, _ bool) {
		if c.leaf() && q[c.span[0]:c.span[1]] != c.text {
			t.Errorf("span %v of %q covers %q", c.span, c.text, q[c.span[0]:c.span[1]])
		}
	})
}

// FuzzParseQuery: any text parses to clauses or is refused with
// ErrBadQuery, never panics, and leaf spans stay inside the query.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{`quantization llm`, `"long context" +kv -vision`, `title:(a OR b) AND NOT c`, `year:2023..2025 topic:x`,
		`quant* x~2 *y`, `"a b"~2 c`, `"a"~`, `((((`, `))`, `"`, `- + -- ++x`, `title: abstract:`, `NOT NOT NOT`, "\xff\xfe", `a:b:c:"d`, `year:..`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		c, _, err := parseQuery(q)
		if err != nil {
			if !errors.Is(err, ErrBadQuery) {
				t.Fatalf("parse %q: err %v does not wrap ErrBadQuery", q, err)
			}
			return
		}
		if c == nil {
			t.Fatalf("parse %q: nil clause and nil error", q)
		}
		c.walk(func(c *clause, _ bool) {
			if !c.leaf() || c.kind == kindYear || c.kind == kindTopic || c.kind == kindCategory {
				return
			}
			if c.span[0] < 0 || c.span[1] > len(q) || c.span[0] > c.span[1] {
				t.Fatalf("parse %q: span %v out of range", q, c.span)
			}
			if c.text == "" {
				t.Fatalf("parse %q: an empty leaf", q)
			}
			if utf8.ValidString(q) && !utf8.ValidString(c.text) {
				t.Fatalf("parse %q: leaf %q is not valid UTF-8", q, c.text)
			}
		})
	})
}
