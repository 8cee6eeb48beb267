package main

import (
	"context"
	"fmt"

	"github.com/papersearch/papersearch/api"
	"github.com/papersearch/papersearch/search"
)

func (e *env) similar(ctx context.Context, args []string) error {
	fs := newFlagSet("similar", e.stderr)
	dir := fs.String("index", e.defaultIndex(), "index directory (env PAPERSEARCH_INDEX)")
	size := fs.Int("size", 10, "how many similar papers")
	asJSON := fs.Bool("json", false, "print the JSON body GET /api/papers/{id}/similar returns")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"similar takes one paper ID"}
	}
	if *size < 1 || *size > search.MaxSimilar {
		return usageError{fmt.Sprintf("--size must be between 1 and %d", search.MaxSimilar)}
	}
	idx, err := e.openToRead(ctx, *dir)
	if err != nil {
		return err
	}
	defer idx.Close()
	id := canonicalID(rest[0])
	hits, err := idx.Similar(ctx, id, *size)
	if err != nil {
		return err
	}
	if *asJSON {
		b, err := api.Marshal(api.NewSimilarResponse(id, hits))
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(b)
		return err
	}
	fmt.Fprintf(e.stdout, "%d papers like %s\n", len(hits), id)
	for i, h := range hits {
		p := h.Paper
		fmt.Fprintf(e.stdout, "\n%d. %s\n   %s", i+1, p.Title, p.ID)
		if p.Published != "" {
			fmt.Fprintf(e.stdout, " · %s", p.Published)
		}
		fmt.Fprintf(e.stdout, " · score %.3f\n", h.Score)
	}
	return nil
}
