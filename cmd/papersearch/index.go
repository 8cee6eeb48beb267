package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/papersearch/papersearch/indexer"
	"github.com/papersearch/papersearch/search"
)

func (e *env) index(ctx context.Context, args []string) error {
	fs := newFlagSet("index", e.stderr)
	dir := fs.String("index", e.defaultIndex(), "index directory (env PAPERSEARCH_INDEX)")
	topicsFile := fs.String("topics", "", "taxonomy file (JSON) to tag topics with; default: the built-in one")
	format := fs.String("format", "", "force a source format: "+strings.Join(indexer.FormatNames(), ", "))
	batch := fs.Int("batch", indexer.DefaultBatchSize, "papers per index commit")
	logCommits := fs.Bool("log-commits", false, "log every committed batch with the id of its last paper")
	allowPrivate := fs.Bool("allow-private-urls", false, "let URL sources reach loopback, private and link-local addresses")
	sources, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(sources) == 0 {
		return usageError{"index needs at least one SOURCE (a file, or - for stdin)"}
	}
	if *batch < 1 {
		return usageError{"--batch must be at least 1"}
	}
	tax, err := e.taxonomy(*topicsFile)
	if err != nil {
		return err
	}

	idx, err := search.Open(*dir, e.log)
	if le, ok := errors.AsType[*search.LockedError](err); ok && le.Owner.Kind == "serve" && le.Owner.URL != "" {
		return servedError(le, sources)
	}
	if err != nil {
		return err
	}
	defer idx.Close()
	if err := idx.SetOwner("index", ""); err != nil {
		e.log.Warn("cannot record this process as the index's owner", "err", err)
	}
	if err := idx.SetTopics(tax.Topics()); err != nil {
		return err
	}
	ix := indexer.New(idx, tax, e.log)
	ix.BatchSize = *batch
	ix.OnReject = func(err error) { fmt.Fprintln(e.stderr, err) }
	progress := newProgress(e.stderr)
	ix.OnCommit = func(s indexer.Stats) {
		// Logged after the batch is durably committed: a paper read at or
		// before last_id survives a crash from here on.
		if *logCommits {
			e.log.Info("committed", "batch", s.Batches, "papers", s.Added+s.Updated, "last_id", s.LastID)
		}
		progress.update(s)
	}
	client := indexer.NewGuardedHTTPClient(*allowPrivate)

	var unreadable []error
	for _, src := range sources {
		if err := ctx.Err(); err != nil {
			break
		}
		rc, err := openArg(ctx, src, e.stdin, client)
		if err != nil {
			fmt.Fprintln(e.stderr, err)
			unreadable = append(unreadable, err)
			continue
		}
		name := src
		if src == "-" {
			name = "stdin"
		}
		err = ix.IndexReader(ctx, rc, name, *format)
		rc.Close()
		if err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(e.stderr, err)
			unreadable = append(unreadable, err)
		}
	}
	// Commit what was read even after Ctrl-C: it was parsed and is good.
	flushErr := ix.Flush(context.WithoutCancel(ctx))
	progress.done()
	st := ix.Stats()
	n, _ := idx.Count()
	fmt.Fprintf(e.stdout, "%s; %d papers in %s\n", st, n, *dir)
	switch {
	case flushErr != nil:
		return flushErr
	case ctx.Err() != nil:
		return ctx.Err()
	case len(unreadable) > 0:
		return fmt.Errorf("%d of %d sources could not be read", len(unreadable), len(sources))
	case st.Rejected > 0:
		return errRejected
	}
	return nil
}

// openArg opens one SOURCE argument: a file, "-" for stdin, or an
// http(s) URL fetched with client.
func openArg(ctx context.Context, arg string, stdin io.Reader, client *http.Client) (io.ReadCloser, error) {
	if l := strings.ToLower(arg); !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") {
		return indexer.OpenSource(arg, stdin)
	}
	srcs, err := indexer.ExpandSources([]string{arg}, stdin, client)
	if err != nil {
		return nil, err
	}
	return srcs[0].Open(ctx)
}

// servedError is index's answer when a server holds the index: writes go
// through its API.
func servedError(le *search.LockedError, sources []string) error {
	file := "papers.jsonl"
	if len(sources) > 0 && sources[0] != "-" {
		file = sources[0]
	}
	return fmt.Errorf("open index %s: %w: %s serves it and is its only writer; post the papers to it instead:\n"+
		"  curl -H \"Authorization: Bearer $PAPERSEARCH_ADMIN_KEY\" --data-binary @%s %s/api/papers\n"+
		"(serve must run with PAPERSEARCH_ADMIN_KEY set; a request may carry 1 MiB, so split large files), or stop the server and run index again",
		le.Path, search.ErrLocked, le.Owner, file, le.Owner.URL)
}

// progress shows a live status line on a terminal and nothing elsewhere.
type progress struct {
	out   *os.File
	start time.Time
	shown bool
}

func newProgress(w any) *progress {
	f, ok := w.(*os.File)
	if !ok || !isTerminal(f) {
		return &progress{}
	}
	return &progress{out: f, start: time.Now()}
}

func (p *progress) update(s indexer.Stats) {
	if p.out == nil {
		return
	}
	secs := time.Since(p.start).Seconds()
	rate := float64(s.Read) / max(secs, 0.001)
	fmt.Fprintf(p.out, "\r\033[K%d records, %.0f/s, %s elapsed", s.Read, rate, time.Since(p.start).Round(time.Second))
	p.shown = true
}

func (p *progress) done() {
	if p.shown {
		fmt.Fprint(p.out, "\r\033[K")
	}
}

// isTerminal reports whether f is a character device (a terminal), without
// a dependency for one system call's worth of work.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
