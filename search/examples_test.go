package search_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/papersearch/papersearch/search"
)

// Open an index (created on first use), put papers in it and search them:
// hits carry highlighted fragments and the result carries facet counts.
func Example() {
	dir, err := os.MkdirTemp("", "papersearch-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	idx, err := search.Open(filepath.Join(dir, "index"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer idx.Close()

	err = idx.Put([]search.Paper{
		{
			ID: "2210.17323", Title: "GPTQ: Accurate Post-Training Quantization for Generative Pre-trained Transformers",
			Abstract:  "We quantize GPT models to 3 or 4 bits per weight with negligible loss of accuracy.",
			Published: "2022-10-31", Topics: []string{"quantization"},
		},
		{
			ID: "2306.11695", Title: "A Simple and Effective Pruning Approach for Large Language Models",
			Abstract:  "Wanda prunes weights with the smallest magnitudes multiplied by the input activations.",
			Published: "2023-06-20", Topics: []string{"pruning"},
		},
	})
	if err != nil {
		log.Fatal(err)
	}

	res, err := idx.Search(context.Background(), search.Request{Query: "quantization"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d of 2 papers match %q\n", res.Total, res.Query)
	for _, h := range res.Hits {
		fmt.Println(h.Paper.ID, h.Paper.Published)
		fmt.Println(h.Highlights["title"][0])
	}
	for _, f := range res.Facets.Topics {
		fmt.Printf("topic %s: %d\n", f.Value, f.Count)
	}
	// Output:
	// 1 of 2 papers match "quantization"
	// 2210.17323 2022-10-31
	// GPTQ: Accurate Post-Training <mark>Quantization</mark> for Generative Pre-trained Transformers
	// topic quantization: 1
}
