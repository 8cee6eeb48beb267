package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/papersearch/papersearch/eval"
	"github.com/papersearch/papersearch/indexer"
	"github.com/papersearch/papersearch/search"
)

func (e *env) eval(ctx context.Context, args []string) error {
	fs := newFlagSet("eval", e.stderr)
	corpusFile := fs.String("corpus", "", "documents: BEIR corpus.jsonl or our paper JSON lines (.gz ok)")
	queriesFile := fs.String("queries", "", "queries: BEIR queries.jsonl or qid<TAB>text lines")
	qrelsFile := fs.String("qrels", "", "judgments: BEIR qrels TSV or TREC qrels")
	k := fs.Int("k", 10, "cut-off of nDCG and MRR")
	asJSON := fs.Bool("json", false, "print the metrics as one JSON object")
	runFile := fs.String("run", "", "also write the rankings to this TREC run file (for trec_eval)")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usageError{fmt.Sprintf("eval takes no arguments, got %q", rest)}
	}
	switch {
	case *corpusFile == "" || *queriesFile == "" || *qrelsFile == "":
		return usageError{"eval needs --corpus, --queries and --qrels"}
	case *k < 1:
		return usageError{"--k must be at least 1"}
	}
	queries, err := readWith(*queriesFile, e, eval.ReadQueries)
	if err != nil {
		return usageError{err.Error()}
	}
	qrels, err := readWith(*qrelsFile, e, eval.ReadQrels)
	if err != nil {
		return usageError{err.Error()}
	}
	corpus, err := indexer.OpenSource(*corpusFile, e.stdin)
	if err != nil {
		return usageError{err.Error()}
	}
	defer corpus.Close()

	dir, err := os.MkdirTemp("", "papersearch-eval-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	idx, err := search.Open(filepath.Join(dir, "index"), e.log)
	if err != nil {
		return err
	}
	defer idx.Close()
	start := time.Now()
	rejected := 0
	n, err := eval.Build(ctx, idx, eval.ReadCorpus(corpus, *corpusFile), func(err error) {
		rejected++
		fmt.Fprintln(e.stderr, err)
	})
	if err != nil {
		return err
	}
	e.log.Info("indexed corpus", "docs", n, "rejected", rejected, "took", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	runs, err := eval.Run(ctx, idx, queries, func(q eval.Query, err error) {
		fmt.Fprintf(e.stderr, "query %s: %v\n", q.ID, err)
	})
	if err != nil {
		return err
	}
	took := time.Since(start)
	if *runFile != "" {
		f, err := os.Create(*runFile)
		if err != nil {
			return err
		}
		err = eval.WriteRun(f, queries, runs, "papersearch")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write run file: %w", err)
		}
	}
	ids := make([]string, len(queries))
	for i, q := range queries {
		ids[i] = q.ID
	}
	s := eval.Evaluate(runs, qrels, ids, *k)
	if *asJSON {
		// Written by hand to keep the documented key order; k is in the names.
		_, err := fmt.Fprintf(e.stdout, "{\"queries\": %d, \"ndcg@%d\": %s, \"map\": %s, \"recall@100\": %s, \"mrr@%d\": %s}\n",
			s.Queries, s.K, num4(s.NDCG), num4(s.MAP), num4(s.Recall), s.K, num4(s.MRR))
		return err
	}
	fmt.Fprintf(e.stdout, "%d documents, %d queries: %d evaluated", n, len(queries), s.Queries)
	if s.Unjudged > 0 {
		fmt.Fprintf(e.stdout, ", %d skipped without relevant judgments", s.Unjudged)
	}
	if s.Unrun > 0 {
		fmt.Fprintf(e.stdout, ", %d judged queries missing from the queries file", s.Unrun)
	}
	fmt.Fprintf(e.stdout, " (%.1f ms per query)\n", float64(took.Microseconds())/1000/float64(max(len(queries), 1)))
	fmt.Fprintf(e.stdout, "nDCG@%-3d    %.4f\n", s.K, s.NDCG)
	fmt.Fprintf(e.stdout, "MAP         %.4f\n", s.MAP)
	fmt.Fprintf(e.stdout, "Recall@100  %.4f\n", s.Recall)
	fmt.Fprintf(e.stdout, "MRR@%-3d     %.4f\n", s.K, s.MRR)
	return nil
}

// num4 formats a metric to four decimals, as trec_eval prints them.
func num4(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }

// readWith opens a file (or - for stdin; .gz ok) and parses it with read.
func readWith[T any](name string, e *env, read func(io.Reader, string) (T, error)) (T, error) {
	var zero T
	rc, err := indexer.OpenSource(name, e.stdin)
	if err != nil {
		return zero, err
	}
	defer rc.Close()
	return read(rc, name)
}
