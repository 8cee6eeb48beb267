package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/papersearch/papersearch/indexer"
	"github.com/papersearch/papersearch/search"
)

func (e *env) index(ctx context.Context, args []string) error {
	fs := newFlagSet("index", e.stderr)
	dir := fs.String("index", e.defaultIndex(), "index directory (env PAPERSEARCH_INDEX)")
	topicsFile := fs.String("topics", "", "taxonomy file (JSON) to tag topics with; default: the one the index was tagged with, else the built-in one (\"builtin\": the built-in one)")
	format := fs.String("format", "", "force a source format: "+strings.Join(indexer.FormatNames(), ", "))
	batch := fs.Int("batch", indexer.DefaultBatchSize, "papers per index commit")
	logCommits := fs.Bool("log-commits", false, "log every committed batch with the id of its last paper")
	allowPrivate := fs.Bool("allow-private-urls", false, "let URL sources reach loopback, private and link-local addresses")
	del := fs.Bool("delete", false, "remove the papers whose ids are given instead of indexing sources")
	replace := fs.Bool("replace", false, "replace the stored paper of each id instead of merging the record into it")
	args, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *del {
		return e.deletePapers(*dir, args)
	}
	if len(args) == 0 {
		return usageError{"index needs at least one SOURCE (a file, a directory, a URL, or - for stdin)"}
	}
	if *batch < 1 {
		return usageError{"--batch must be at least 1"}
	}
	defer e.bulkGC()()
	given, err := e.taxonomy(*topicsFile)
	if err != nil {
		return err
	}

	// A new index is a bulk load: built aside and moved into place at the
	// end, with batches committing side by side (search.OpenBulk). A
	// crash leaves no index, and running the command again rebuilds it.
	bulk := !indexExists(*dir)
	var idx *search.Index
	if bulk {
		idx, err = search.OpenBulk(*dir, e.log)
	} else {
		idx, err = search.Open(*dir, e.log)
	}
	if le, ok := errors.AsType[*search.LockedError](err); ok && le.Owner.Kind == "serve" && le.Owner.URL != "" {
		return servedError(le, args, *format, *replace)
	}
	if err != nil {
		return err
	}
	finished := false
	defer func() {
		if !finished {
			if bulk {
				idx.FinishBulk(false)
			} else {
				idx.Close()
			}
		}
	}()
	if err := idx.SetOwner("index", ""); err != nil {
		e.log.Warn("cannot record this process as the index's owner", "err", err)
	}
	tf := given
	if !bulk {
		if tf, err = e.indexTaxonomy(idx, *topicsFile, given); err != nil {
			return err
		}
		e.warnTaxonomy(idx, tf.tax, *topicsFile)
	}
	if err := idx.SetTopics(tf.tax.Topics()); err != nil {
		return err
	}
	if err := idx.SetTaxonomyFile(tf.raw); err != nil {
		return err
	}
	ix := indexer.New(idx, tf.tax, e.log)
	ix.BatchSize = *batch
	ix.Replace = *replace
	ix.OnReject = func(err error) { fmt.Fprintln(e.stderr, err) }
	progress := newProgress(e.stderr)
	ix.OnCommit = func(s indexer.Stats) {
		// Logged after the batch is durably committed: a paper read at or
		// before last_id survives a crash from here on. A bulk load
		// commits nothing for good until it ends (see below).
		if *logCommits && !bulk {
			e.log.Info("committed", "batch", s.Batches, "papers", s.Added+s.Updated, "last_id", s.LastID)
		}
		progress.update(s)
	}

	var unreadable []error
	empty := 0 // sources that held nothing: an empty fetch is no failure
	// URLs are fetched through the SSRF guard unless told otherwise.
	stdin := e.stdin
	if slices.Contains(args, "-") && !isRegularFile(stdin) {
		// A file (index - < papers.jsonl) never blocks, and read as it
		// is it keeps its size for the progress line.
		r, stop := interruptible(ctx, stdin)
		defer stop()
		stdin = r
	}
	sources, err := indexer.ExpandSources(args, stdin, indexer.NewGuardedHTTPClient(*allowPrivate))
	if err != nil {
		// Each argument that failed is reported; the others still run.
		// Files of a directory that no format recognises are only noted.
		for _, err := range leafErrors(err) {
			fmt.Fprintln(e.stderr, err)
			if _, ok := errors.AsType[*indexer.SkippedFiles](err); !ok {
				unreadable = append(unreadable, err)
			}
		}
	}
	for _, src := range sources {
		if err := ctx.Err(); err != nil {
			break
		}
		rc, err := src.Open(ctx)
		if err != nil {
			fmt.Fprintln(e.stderr, err)
			unreadable = append(unreadable, err)
			continue
		}
		progress.source(src)
		name := src.Name
		if name == "-" {
			name = "stdin"
		}
		err = ix.IndexReader(ctx, rc, name, *format)
		rc.Close()
		if errors.Is(err, indexer.ErrEmpty) {
			fmt.Fprintf(e.stderr, "%v: no papers read from it\n", err)
			empty++
			continue
		}
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
	finished = true
	made := true
	if bulk {
		// A new index that got no paper because its sources could not be
		// read (a mistyped file name) or were empty is not left behind,
		// empty.
		keep := flushErr == nil && !(st.Added == 0 && (len(unreadable) > 0 || empty > 0))
		if err := idx.FinishBulk(keep); err != nil {
			return err
		}
		made = keep
		if !keep && flushErr == nil && len(unreadable) == 0 {
			fmt.Fprintf(e.stderr, "no index made at %s: its sources held no papers\n", *dir)
		}
		if *logCommits && flushErr == nil && st.Batches > 0 {
			e.log.Info("committed", "batch", st.Batches, "papers", st.Added+st.Updated, "last_id", st.LastID)
		}
	} else if err := idx.Close(); err != nil && flushErr == nil {
		flushErr = err
	}
	if made {
		fmt.Fprintf(e.stdout, "%s; %d papers in %s\n", st, n, *dir)
	} else {
		fmt.Fprintf(e.stdout, "%s; no index made at %s\n", st, *dir)
	}
	switch {
	case flushErr != nil:
		return flushErr
	case ctx.Err() != nil:
		return ctx.Err()
	case len(unreadable) > 0:
		return fmt.Errorf("%d of %d sources could not be read", len(unreadable), max(len(args), len(unreadable)))
	case st.Rejected > 0:
		return errRejected
	}
	return nil
}

// interruptible returns a reader of r whose Read returns ctx's error as
// soon as ctx is done. A read of stdin blocks until input comes, which may
// be never (a pipe from a slow producer, a terminal), and Ctrl-C must
// still stop the run; the read left blocked ends with the process. stop
// lets go of the copy once the run no longer reads.
func interruptible(ctx context.Context, r io.Reader) (_ io.Reader, stop func()) {
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(pw, r)
		pw.CloseWithError(err) // nil: EOF
	}()
	stopAfter := context.AfterFunc(ctx, func() { pw.CloseWithError(ctx.Err()) })
	return pr, func() {
		stopAfter()
		pr.Close() // a copy blocked writing to the pipe returns
	}
}

func isRegularFile(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode().IsRegular()
}

// servedError is index's answer when a server holds the index: writes go
// through its API. The hint posts every source the run was given, each
// as index would have read it, so that following it drops none.
func servedError(le *search.LockedError, sources []string, format string, replace bool) error {
	// The same flags, as the API's parameters.
	q := url.Values{}
	if format != "" {
		q.Set("format", format)
	}
	if replace {
		q.Set("replace", "true")
	}
	target := le.Owner.URL + "/api/papers"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	target = shellQuote(target)
	const post = `curl -H "Authorization: Bearer $PAPERSEARCH_ADMIN_KEY" --data-binary `
	var b strings.Builder
	for _, src := range sources {
		switch st, err := os.Stat(src); {
		case src == "-":
			// curl reads the body from its own stdin, where the papers go.
			fmt.Fprintf(&b, "  %s@- %s  # the papers on its stdin, as index - read them\n", post, target)
		case strings.HasPrefix(strings.ToLower(src), "http://") || strings.HasPrefix(strings.ToLower(src), "https://"):
			fmt.Fprintf(&b, "  curl -sS %s | %s@- %s\n", shellQuote(src), post, target)
		case err == nil && st.IsDir():
			fmt.Fprintf(&b, "  %s is a directory: post each of its files as above\n", shellQuote(src))
		default:
			fmt.Fprintf(&b, "  %s%s %s\n", post, shellQuote("@"+src), target)
		}
	}
	return fmt.Errorf("open index %s: %w: %s serves it and is its only writer; post the papers to it instead:\n%s"+
		"(serve must run with PAPERSEARCH_ADMIN_KEY set; a request may carry 1 MiB, so split large files), or stop the server and run index again",
		le.Path, search.ErrLocked, le.Owner, b.String())
}

// servedDeleteError is index --delete's answer when a server holds the
// index: one DELETE request per paper.
func servedDeleteError(le *search.LockedError, ids []string) error {
	var b strings.Builder
	for _, id := range ids {
		// Old-style ids keep their slash in the path, as the API expects.
		segs := strings.Split(id, "/")
		for i, seg := range segs {
			segs[i] = url.PathEscape(seg)
		}
		fmt.Fprintf(&b, "  curl -H \"Authorization: Bearer $PAPERSEARCH_ADMIN_KEY\" -X DELETE %s\n",
			shellQuote(le.Owner.URL+"/api/papers/"+strings.Join(segs, "/")))
	}
	return fmt.Errorf("open index %s: %w: %s serves it and is its only writer; delete through it instead:\n%s"+
		"(serve must run with PAPERSEARCH_ADMIN_KEY set; an id it does not hold answers 404), or stop the server and run index --delete again",
		le.Path, search.ErrLocked, le.Owner, b.String())
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// characters no shell treats specially, so that a printed command can be
// pasted as it is.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:@%+=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// progress shows a live status line on a terminal and nothing elsewhere.
type progress struct {
	out   *os.File
	start time.Time
	shown bool
	cur   indexer.Source
}

// source tells progress which source is being read, for its percentage.
func (p *progress) source(s indexer.Source) { p.cur = s }

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
	pct := ""
	if p.cur.Size > 0 {
		pct = fmt.Sprintf(", %s %.0f%%", p.cur.Name, 100*float64(p.cur.BytesRead())/float64(p.cur.Size))
	}
	fmt.Fprintf(p.out, "\r\033[K%d records, %.0f/s, %s elapsed%s", s.Read, rate, time.Since(p.start).Round(time.Second), pct)
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

func (e *env) deletePapers(dir string, ids []string) error {
	if len(ids) == 0 {
		return usageError{"index --delete needs at least one paper ID"}
	}
	if !indexExists(dir) {
		return fmt.Errorf("no index at %s", dir)
	}
	// Ids are normalised as the indexer does, so "arXiv:2402.18668v2"
	// removes the paper stored as 2402.18668.
	norm := make([]string, len(ids))
	for i, id := range ids {
		if a := indexer.ArxivID(id); a != "" {
			id = a
		}
		norm[i] = id
	}
	idx, err := search.Open(dir, e.log)
	if le, ok := errors.AsType[*search.LockedError](err); ok && le.Owner.Kind == "serve" && le.Owner.URL != "" {
		return servedDeleteError(le, norm)
	}
	if err != nil {
		return err
	}
	defer idx.Close()
	found, err := idx.Lookup(context.Background(), norm)
	if err != nil {
		return err
	}
	if err := idx.Delete(norm); err != nil {
		return err
	}
	var missing []string
	for _, id := range norm {
		if _, ok := found[id]; !ok {
			missing = append(missing, id)
		}
	}
	n, _ := idx.Count()
	fmt.Fprintf(e.stdout, "deleted %d, not found %d; %d papers in %s\n", len(found), len(missing), n, dir)
	// An id that is already gone is what the caller wanted, as with rm -f:
	// a cleanup job run twice must not fail the second time. It is noted,
	// not an error; exit 1 is for records that were rejected.
	if len(missing) > 0 {
		fmt.Fprintf(e.stderr, "not in the index: %s\n", strings.Join(missing, ", "))
	}
	return nil
}

// leafErrors returns the errors that err joins, joins within it
// flattened, or err itself.
func leafErrors(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, leafErrors(e)...)
	}
	return out
}
