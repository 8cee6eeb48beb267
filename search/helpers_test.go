package search_test

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papersearch/papersearch/search"
)

// testLogger routes the index's logs to the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// openIndex opens a fresh index in a temporary directory, closed when the
// test ends.
func openIndex(t testing.TB) *search.Index {
	t.Helper()
	idx, err := search.Open(filepath.Join(t.TempDir(), "index"), testLogger(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := idx.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return idx
}

// openCorpus opens a fresh index holding corpus.
func openCorpus(t testing.TB) *search.Index {
	t.Helper()
	idx := openIndex(t)
	if err := idx.Put(corpus()); err != nil {
		t.Fatalf("Put: %v", err)
	}
	return idx
}

// The XSS payloads a paper's text may carry.
const (
	scriptTag = "<script>alert(1)</script>"
	imgTag    = "<img src=x onerror=alert(1)>"
)

// Ids of the corpus papers, named for what each is there to test.
const (
	idPruningTitle    = "2401.00001" // "pruning" in the title
	idPruningAbstract = "2305.00002" // "pruning" once, in the abstract only
	idGPTQ            = "2301.00003" // most upvoted
	idJoint           = "2407.00004" // two topics, two categories, 0 upvotes
	idLongContext     = "2502.00005" // newest
	idXSS             = "2206.00006" // markup in title, abstract and authors
	idUndated         = "notes-on-tokenization-1a2b3c4d"
	idOldStyle        = "hep-th/9901001" // oldest; an id with a slash
	idLighthouse      = "2410.00009"     // a long abstract with one rare word in the middle
)

// lighthouseAbstract is long enough that its snippet must be cut on both
// sides of the one sentence that mentions a lighthouse.
var lighthouseAbstract = strings.Repeat("The model reads many documents before it answers a question. ", 6) +
	"A lighthouse guides the search through the collection. " +
	strings.Repeat("Results are reported on several benchmarks, with care, and compared fairly. ", 6)

// corpus returns the papers most search tests run on. Every paper has its
// own date so that date orders are total.
func corpus() []search.Paper {
	return []search.Paper{
		{
			ID: idPruningTitle, Title: "Structured Pruning of Large Language Models",
			Abstract:    "We remove attention heads and whole layers from large language models and recover accuracy with a short phase of training. Structured sparsity keeps inference fast on ordinary hardware.",
			Authors:     []string{"Ada Lovelace", "Alan Turing"},
			AuthorCount: 2, Published: "2024-03-01", Upvotes: 10,
			Categories: []string{"cs.CL"}, Topics: []string{"pruning"},
		},
		{
			ID: idPruningAbstract, Title: "Efficient Inference for Transformers",
			Abstract:    "A survey of serving techniques for large models: batching, caching, speculative decoding and kernel fusion. We touch on pruning only briefly, and spend most pages on memory bandwidth.",
			AuthorCount: 4, Published: "2023-05-10", Upvotes: 3,
			Categories: []string{"cs.LG"}, Topics: []string{"inference-efficiency"},
		},
		{
			ID: idGPTQ, Title: "GPTQ: Accurate Post-Training Quantization for Generative Transformers",
			Abstract:    "We quantize the weights of generative transformers to three or four bits in one shot, using approximate second-order information, with a negligible increase in perplexity.",
			Authors:     []string{"Elias Frantar"},
			AuthorCount: 4, Published: "2023-01-15", Upvotes: 50,
			Categories: []string{"cs.LG"}, Topics: []string{"quantization", "perplexity"},
		},
		{
			ID: idJoint, Title: "Joint Quantization and Sparsity for Compact Models",
			Abstract:    "Combining low-bit weights with N:M sparsity gives compact models that run on commodity accelerators.",
			AuthorCount: 3, Published: "2024-07-07", Upvotes: 0,
			Categories: []string{"cs.LG", "cs.CL"}, Topics: []string{"quantization", "pruning"},
		},
		{
			ID: idLongContext, Title: "Scaling Context Windows to a Million Tokens",
			Abstract:    "Long-context language models forget the middle of their input. We extend the context window of an open model to one million tokens and measure recall at every depth.",
			AuthorCount: 6, Published: "2025-02-02", Upvotes: 7,
			Categories: []string{"cs.CL"}, Topics: []string{"long-context"},
		},
		{
			ID: idXSS, Title: scriptTag + " Retrieval Attacks",
			Abstract:    "Retrieval-augmented systems render untrusted text such as " + scriptTag + " and " + imgTag + " & other markup.",
			Authors:     []string{imgTag, "Mallory " + scriptTag},
			AuthorCount: 2, Published: "2022-06-01", Upvotes: 1,
			Categories: []string{"cs.CR"}, Topics: []string{"retrieval-augmented"},
		},
		{
			ID: idUndated, Title: "Notes on Tokenization",
			Abstract:   "Byte-pair encoding splits rare words into pieces; we count how often it does.",
			Categories: []string{"cs.CL"}, Topics: []string{"tokenization"},
		},
		{
			ID: idOldStyle, Title: "Strings and Branes",
			Abstract:    "An old-style arXiv identifier with a slash in it.",
			AuthorCount: 1, Published: "1999-01-05",
			Categories: []string{"hep-th"},
		},
		{
			ID: idLighthouse, Title: "Guiding Search with Landmarks",
			Abstract:    lighthouseAbstract,
			AuthorCount: 2, Published: "2024-10-09", Upvotes: 2,
			Categories: []string{"cs.IR"}, Topics: []string{"retrieval-augmented"},
		},
	}
}

func hitIDs(hits []search.Hit) []string {
	ids := make([]string, 0, len(hits))
	for _, h := range hits {
		ids = append(ids, h.Paper.ID)
	}
	return ids
}
