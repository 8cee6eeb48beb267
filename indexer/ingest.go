package indexer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"

	"github.com/papersearch/papersearch/search"
)

// IngestResult says what Ingest did.
type IngestResult struct {
	Stats Stats
	// IDs are the ids written, in the order first read.
	IDs []string
	// Rejected lists why records (or the whole source) could not be used;
	// when it is not empty, nothing was written.
	Rejected []error
}

// IngestOptions are how a write asks to be read: Format names a format
// ("" to detect it) and Replace makes records replace the stored papers
// of their ids instead of merging into them.
type IngestOptions struct {
	Format  string
	Replace bool
}

// Ingest is for writes that must be all or nothing, such as a request to
// the API: it parses every record of r first, and only if none is bad
// writes them all in one batch, merged with the stored papers and tagged
// as IndexReader and Flush do. It returns once the batch is durably in
// the index. format is a name from FormatNames, or "" to detect it; with
// replace, each record replaces the stored paper of its id (see
// Indexer.Replace).
func Ingest(ctx context.Context, idx *search.Index, tax *Taxonomy, log *slog.Logger, r io.Reader, source string, opt IngestOptions) (IngestResult, error) {
	ix := New(idx, tax, log)
	ix.BatchSize = math.MaxInt // one batch: all or nothing
	ix.Replace = opt.Replace
	format := opt.Format
	var res IngestResult
	ix.OnReject = func(err error) { res.Rejected = append(res.Rejected, err) }
	if err := ix.IndexReader(ctx, r, source, format); err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return res, err
		}
		res.Rejected = append(res.Rejected, err)
	}
	res.Stats = ix.Stats()
	if len(res.Rejected) > 0 {
		return res, nil
	}
	for _, p := range ix.batch {
		res.IDs = append(res.IDs, p.ID)
	}
	if err := ix.Flush(ctx); err != nil {
		return res, err
	}
	res.Stats = ix.Stats()
	return res, nil
}
