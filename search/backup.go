package search

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/blevesearch/bleve/v2"
)

// Backup writes a consistent copy of the index, as of the call, to dst,
// which must not exist yet. Searches and writes go on meanwhile: scorch
// pins the segments of the current snapshot and copies them, so a batch
// committed during the copy is either wholly in it or not at all. The copy
// is made under a temporary name next to dst and renamed into place, so
// that dst, once it exists, is complete.
func (x *Index) Backup(dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("back up to %s: it already exists; name a new directory", dst)
	}
	parent, base := filepath.Dir(dst), filepath.Base(dst)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("back up to %s: %w", dst, err)
	}
	removeStale(parent, "."+base+".backup-", x.log)
	tmp, err := os.MkdirTemp(parent, "."+base+".backup-")
	if err != nil {
		return fmt.Errorf("back up to %s: %w", dst, err)
	}
	defer os.RemoveAll(tmp)
	// No write may run during the copy (one that failed would reopen the
	// index under it); reads go on.
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	if err := x.rlock(); err != nil {
		return err
	}
	defer x.mu.RUnlock()
	copyable, ok := x.bi.(bleve.IndexCopyable)
	if !ok {
		return fmt.Errorf("back up %s: this index cannot be copied while open", x.path)
	}
	dir := filepath.Join(tmp, "index")
	if err := copyable.CopyTo(bleve.FileSystemDirectory(dir)); err != nil {
		return fmt.Errorf("back up %s to %s: %w", x.path, dst, err)
	}
	// After the papers: every word of theirs is in the vocabulary by now.
	if err := x.vocab.copyTo(dir); err != nil {
		return fmt.Errorf("back up %s to %s: %w", x.path, dst, err)
	}
	if err := syncTree(dir); err != nil {
		return fmt.Errorf("back up %s to %s: %w", x.path, dst, err)
	}
	if err := os.Rename(dir, dst); err != nil {
		return fmt.Errorf("back up to %s: %w", dst, err)
	}
	syncDir(parent)
	return nil
}

// syncTree flushes every file under dir to disk, so that a backup that
// Backup reported complete survives a power cut.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		serr := f.Sync()
		cerr := f.Close()
		return errors.Join(serr, cerr)
	})
}

// OpenReadOnly opens an existing index without taking the writer's lock
// for long and without writing to it: for checking a backup or an index
// nobody serves. It fails like Open when another process writes to it.
func OpenReadOnly(path string, log *slog.Logger) (*Index, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := map[string]any{"bolt_timeout": lockWait.String(), "read_only": true}
	bi, err := bleve.OpenUsing(path, cfg)
	if err != nil {
		return nil, openError(path, err)
	}
	x := &Index{bi: bi, path: path, log: log, readOnly: true, cols: newColumnCache(nil, newColFiles(path, false), log), stats: &statsCache{}}
	if err := x.checkSchema(); err != nil {
		bi.Close()
		return nil, err
	}
	if err := x.setAnalyzers(); err != nil {
		bi.Close()
		return nil, err
	}
	if err := x.openVocabulary(); err != nil {
		bi.Close()
		return nil, fmt.Errorf("open index %s: %w", path, err)
	}
	if b, err := bi.GetInternal([]byte(internalGeneration)); err == nil && len(b) > 0 {
		var g uint64
		fmt.Sscan(string(b), &g)
		x.generation.Store(g)
	}
	return x, nil
}
