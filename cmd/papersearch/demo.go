package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/papersearch/papersearch/indexer"
	"github.com/papersearch/papersearch/search"
)

// The demo corpus: the 33-paper seed listing this project started from and
// a sample of real recent arXiv papers (arXiv metadata is CC0), made by
// scripts/make_demo_corpus.py.
//
//go:embed demo/seed.txt demo/arxiv-sample.jsonl.bz2
var demoFS embed.FS

var demoFiles = []string{"demo/seed.txt", "demo/arxiv-sample.jsonl.bz2"}

// indexExists reports whether dir holds an index.
func indexExists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "index_meta.json"))
	return err == nil
}

// openOrDemo opens the index at dir, first building it from the demo corpus
// when there is none yet, so that every command works on a fresh machine.
// The demo index is a bulk load (search.OpenBulk): built under a temporary
// name and moved into place at the end, so that an interrupted build (even
// by SIGKILL) leaves nothing at dir to be taken for a finished index.
func (e *env) openOrDemo(ctx context.Context, dir string) (*search.Index, error) {
	if indexExists(dir) {
		return search.Open(dir, e.log)
	}
	e.log.Info("no index yet; building one from the built-in demo corpus", "index", dir)
	idx, err := search.OpenBulk(dir, e.log)
	if err != nil {
		return nil, fmt.Errorf("build demo index: %w", err)
	}
	stats, err := buildDemo(ctx, idx, indexer.DefaultTaxonomy())
	if ferr := idx.FinishBulk(err == nil); err == nil {
		err = ferr
	}
	// If another process built one meanwhile, use that.
	if err != nil && !indexExists(dir) {
		return nil, fmt.Errorf("build demo index: %w", err)
	}
	e.log.Info("demo index ready", "papers", stats.Added, "took", stats.Elapsed.Round(1e6))
	return search.Open(dir, e.log)
}

// openToRead is openOrDemo for the commands that only read the index: the
// demo is built only at the default index, so that a mistyped --index is
// an error rather than a new demo index at the typo.
func (e *env) openToRead(ctx context.Context, dir string) (*search.Index, error) {
	if dir != e.defaultIndex() && !indexExists(dir) {
		return nil, usageError{fmt.Sprintf("no index at %s; papersearch index --index %s FILE builds one (without --index, the demo index is used)", dir, dir)}
	}
	return e.openOrDemo(ctx, dir)
}

func buildDemo(ctx context.Context, idx *search.Index, tax *indexer.Taxonomy) (indexer.Stats, error) {
	if err := idx.SetTopics(tax.Topics()); err != nil {
		return indexer.Stats{}, err
	}
	ix := indexer.New(idx, tax, nil)
	var rejected []error
	ix.OnReject = func(err error) { rejected = append(rejected, err) }
	for _, name := range demoFiles {
		b, err := demoFS.ReadFile(name)
		if err != nil {
			return ix.Stats(), err
		}
		rc, err := indexer.OpenSource("-", bytes.NewReader(b))
		if err != nil {
			return ix.Stats(), fmt.Errorf("%s: %w", name, err)
		}
		err = ix.IndexReader(ctx, rc, name, "")
		rc.Close()
		if err != nil {
			return ix.Stats(), err
		}
	}
	if err := ix.Flush(ctx); err != nil {
		return ix.Stats(), err
	}
	if len(rejected) > 0 {
		// The demo files are part of the build; a rejection is a defect.
		return ix.Stats(), fmt.Errorf("demo corpus has bad records: %w", errors.Join(rejected...))
	}
	return ix.Stats(), nil
}
