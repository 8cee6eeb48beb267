package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/papersearch/papersearch/search"
)

// compact merges an index that no server holds into as few segments as
// it can: smaller, and faster to search (see search.Index.Compact).
func (e *env) compact(ctx context.Context, args []string) error {
	fs := newFlagSet("compact", e.stderr)
	dir := fs.String("index", e.defaultIndex(), "index directory (env PAPERSEARCH_INDEX)")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usageError{fmt.Sprintf("compact takes no arguments, got %q", rest)}
	}
	if !indexExists(*dir) {
		return usageError{fmt.Sprintf("no index at %s", *dir)}
	}
	idx, err := search.Open(*dir, e.log)
	if le, ok := errors.AsType[*search.LockedError](err); ok && le.Owner.Kind == "serve" {
		return fmt.Errorf("compact %s: serve (%s) holds the index; stop it, compact, and start it again: %w", *dir, le.Owner.URL, search.ErrLocked)
	}
	if err != nil {
		return err
	}
	defer idx.Close()
	if err := idx.SetOwner("compact", ""); err != nil {
		e.log.Warn("cannot record this process as the index's owner", "err", err)
	}
	before := search.DiskSize(*dir)
	took, err := idx.Compact(ctx)
	if err != nil {
		return err
	}
	n, err := idx.Count()
	if err != nil {
		return err
	}
	// Compact waits, a few seconds at most, for Bleve to delete the
	// segments the merge replaced, so the size after is the index's own;
	// when they outlast the wait, it logs a warning.
	if err := idx.Close(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "papersearch: compacted %d papers in %s in %.1fs: %s -> %s\n",
		n, *dir, took.Seconds(), mib(before), mib(search.DiskSize(*dir)))
	return nil
}

func mib(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
