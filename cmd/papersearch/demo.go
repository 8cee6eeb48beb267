package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

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
// The demo index is built under a temporary name and renamed into place,
// so that an interrupted build (even by SIGKILL) leaves nothing at dir to
// be taken for a finished index.
func (e *env) openOrDemo(ctx context.Context, dir string) (*search.Index, error) {
	if indexExists(dir) {
		return search.Open(dir, e.log)
	}
	e.log.Info("no index yet; building one from the built-in demo corpus", "index", dir)
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	removeStaleDemos(parent, "."+base+".demo-")
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("build demo index: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".demo-")
	if err != nil {
		return nil, fmt.Errorf("build demo index: %w", err)
	}
	defer os.RemoveAll(tmp)
	idx, err := search.Open(filepath.Join(tmp, "index"), e.log)
	if err != nil {
		return nil, err
	}
	stats, err := buildDemo(ctx, idx, indexer.DefaultTaxonomy())
	if cerr := idx.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("build demo index: %w", err)
	}
	// Rename onto a missing or empty directory; if another process built
	// one meanwhile, use that.
	_ = os.Remove(dir)
	if err := os.Rename(filepath.Join(tmp, "index"), dir); err != nil && !indexExists(dir) {
		return nil, fmt.Errorf("build demo index: %w", err)
	}
	e.log.Info("demo index ready", "papers", stats.Added, "took", stats.Elapsed.Round(1e6))
	return search.Open(dir, e.log)
}

// removeStaleDemos deletes demo builds that crashed runs left, once they
// are too old to be in progress.
func removeStaleDemos(parent, prefix string) {
	entries, _ := os.ReadDir(parent)
	for _, d := range entries {
		if info, err := d.Info(); err == nil && d.IsDir() && strings.HasPrefix(d.Name(), prefix) && time.Since(info.ModTime()) > 10*time.Minute {
			os.RemoveAll(filepath.Join(parent, d.Name()))
		}
	}
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
