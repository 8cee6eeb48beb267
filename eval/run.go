package eval

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"iter"
	"strconv"

	"github.com/papersearch/papersearch/search"
)

const buildBatch = 1000

// Build writes a corpus into idx in batches and returns how many documents
// it wrote. A bad record goes to onReject (when not nil) and is skipped.
func Build(ctx context.Context, idx *search.Index, corpus iter.Seq2[search.Paper, error], onReject func(error)) (int, error) {
	var batch []search.Paper
	n := 0
	flush := func() error {
		if err := idx.Put(batch); err != nil {
			return err
		}
		n += len(batch)
		batch = batch[:0]
		return nil
	}
	for p, err := range corpus {
		if err != nil {
			if onReject != nil {
				onReject(err)
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			return n, err
		}
		batch = append(batch, p)
		if len(batch) == buildBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	return n, flush()
}

// Run runs every query as a user's search (same parsing, same ranking) and
// returns each query's ranking, MAPDepth deep. A query the search refuses
// gets an empty ranking and a call to onError (when not nil).
func Run(ctx context.Context, idx *search.Index, queries []Query, onError func(Query, error)) (map[string][]Ranked, error) {
	out := make(map[string][]Ranked, len(queries))
	for _, q := range queries {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		res, err := idx.Rank(ctx, search.Request{Query: q.Text}, MAPDepth)
		if err != nil {
			if onError != nil {
				onError(q, err)
			}
			out[q.ID] = nil
			continue
		}
		rs := make([]Ranked, len(res))
		for i, r := range res {
			rs[i] = Ranked{ID: r.ID, Score: r.Score}
		}
		out[q.ID] = rs
	}
	return out, nil
}

// WriteRun writes rankings as a TREC run file ("qid Q0 docid rank score
// tag"), queries in the given order, each in the order trec_eval reads it.
func WriteRun(w io.Writer, queries []Query, runs map[string][]Ranked, tag string) error {
	bw := bufio.NewWriter(w)
	for _, q := range queries {
		for i, r := range trecOrder(runs[q.ID]) {
			fmt.Fprintf(bw, "%s Q0 %s %d %s %s\n", q.ID, r.ID, i+1, strconv.FormatFloat(r.Score, 'g', -1, 64), tag)
		}
	}
	return bw.Flush()
}
