package indexer

import (
	"slices"
	"strings"
	"testing"

	"github.com/papersearch/papersearch/search"
)

func TestTag(t *testing.T) {
	tax := DefaultTaxonomy()
	tests := []struct {
		name, title, abstract string
		want, notWant         []string
	}{
		{name: "title match is enough", title: "GPTQ: Accurate Post-Training Quantization for Generative Transformers",
			want: []string{"quantization"}},
		{name: "inflection and case", title: "Quantized LLMs on the Edge", want: []string{"quantization"}},
		{name: "british spelling", title: "Quantisation of Weights", want: []string{"quantization"}},
		{name: "passing mention is not enough", title: "A Benchmark for Code Agents",
			abstract: "We study agents. Unlike work on pruning, we do not compress models.",
			notWant:  []string{"pruning"}},
		{name: "repeated mentions in the abstract", title: "Making Models Smaller",
			abstract: "We prune attention heads. Pruning more heads hurts less than expected.", want: []string{"pruning"}},
		{name: "acronym with case", title: "Teaching small models", abstract: "We apply KD with a large teacher. KD helps.",
			want: []string{"distillation"}},
		{name: "acronym needs its case", title: "The kd-tree revisited", notWant: []string{"distillation"}},
		{name: "phrase", title: "A study", abstract: "We build retrieval-augmented generation with RAG pipelines.",
			want: []string{"retrieval-augmented"}},
		{name: "state space models", title: "Hungry Hungry Hippos: Towards Language Modeling with State Space Models",
			want: []string{"efficient-architectures"}},
		{name: "perplexity", title: "Mirostat: A Neural Text Decoding Algorithm that Directly Controls Perplexity",
			want: []string{"perplexity"}},
		{name: "nothing", title: "On the weather", abstract: "It rains.", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tax.Tag(tt.title, tt.abstract)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("Tag = %v, want it to contain %s", got, w)
				}
			}
			for _, w := range tt.notWant {
				if slices.Contains(got, w) {
					t.Errorf("Tag = %v, want no %s", got, w)
				}
			}
			if tt.want == nil && tt.notWant == nil && len(got) != 0 {
				t.Errorf("Tag = %v, want none", got)
			}
		})
	}
}

func TestTagStrongestFirst(t *testing.T) {
	got := DefaultTaxonomy().Tag("Pruning and Quantization", "We prune. Pruning again. Also quantized weights, and pruned heads.")
	if len(got) < 2 || got[0] != "pruning" {
		t.Errorf("Tag = %v, want pruning first", got)
	}
}

func TestDefaultTaxonomy(t *testing.T) {
	tax := DefaultTaxonomy()
	ts := tax.Topics()
	if len(ts) < 20 || len(ts) > 40 {
		t.Errorf("default taxonomy has %d topics, want 20 to 40", len(ts))
	}
	for _, slug := range []string{"quantization", "pruning", "perplexity", "distillation", "scaling-laws", "tokenization",
		"multimodal", "long-context", "retrieval-augmented", "efficient-architectures"} {
		if !slices.ContainsFunc(ts, func(x search.Topic) bool { return x.Slug == slug }) {
			t.Errorf("default taxonomy lacks %s", slug)
		}
	}
}

func TestLoadTaxonomyErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", "{", "read topics"},
		{"no topics", `{"topics": []}`, "no topics"},
		{"bad slug", `{"topics": [{"slug": "Bad Slug", "terms": ["x"]}]}`, "slug"},
		{"duplicate", `{"topics": [{"slug": "a", "terms": ["x"]}, {"slug": "a", "terms": ["y"]}]}`, "twice"},
		{"no signals", `{"topics": [{"slug": "a"}]}`, "no terms"},
		{"short prefix", `{"topics": [{"slug": "a", "terms": ["ab*"]}]}`, "prefix"},
		{"unknown field", `{"topics": [{"slug": "a", "terms": ["x"], "colour": 1}]}`, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadTaxonomy(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadTaxonomy error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestLoadTaxonomyCustom(t *testing.T) {
	tax, err := LoadTaxonomy(strings.NewReader(`{"topics": [{"slug": "bees", "label": "Bees", "terms": ["honeybee*", "bumble bee"], "acronyms": ["CCD"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := tax.Tag("Honeybees and CCD", ""); !slices.Equal(got, []string{"bees"}) {
		t.Errorf("Tag = %v, want [bees]", got)
	}
}

func BenchmarkTag(b *testing.B) {
	tax := DefaultTaxonomy()
	title := "Simple linear attention language models balance the recall-throughput tradeoff"
	abstract := strings.Repeat("Recent work has shown that attention-based language models excel at recall, the ability to ground generations in tokens previously seen in context. ", 8)
	b.SetBytes(int64(len(title) + len(abstract)))
	for b.Loop() {
		tax.Tag(title, abstract)
	}
}
