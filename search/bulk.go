package search

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/blevesearch/bleve/v2"
)

// A bulk load is the first load of a new index. It is built under a
// temporary name beside its directory and renamed into place when it
// ends, so that a crash part-way leaves no index at all, only leftovers
// the next load clears away, and running the load again rebuilds it: a
// crash is detected (there is no index) and recovered by rebuilding.
//
// That frees a bulk load from the one-commit-at-a-time rule of an open
// index (see Index.mu): its batches commit side by side, so that Bleve
// builds their segments on every core. Reads still never run alongside a
// commit. If a batch fails, the load is over: Finish removes what was built.

// bulkLoad is the state of a bulk load.
type bulkLoad struct {
	target string // where the index goes when the load ends
	tmp    string // the directory the index is built in
	bi     bleve.Index

	// gate guards committers; it is held while the first batch in waits
	// for readers to leave, which never take it.
	gate       sync.Mutex
	committers int // batches committing now

	mu  sync.Mutex
	err error // the first batch that failed

	// papers counts the papers committed, to know when the load has
	// outgrown rawMergesUpTo.
	papers atomic.Int64
}

// rawMergesUpTo is how many papers a bulk load merges without the codec
// (see codec.go). Its final compaction rewrites segments of up to
// maxSegmentDocs papers; a segment that fills up during a bigger load is
// never merged again, so from then on the load's merges use the codec.
//
// tailSegmentDocs bounds the segments that the end of a load past
// rawMergesUpTo merges: those of fewer than half as many papers into
// segments of up to this many. A load merges wider than an open index
// (see bulkMergePlan) and leaves many segments under the cap; merged only
// up to 20,000 papers, they were merged again, in the background, by the
// first open (18 s of CPU in the first two minutes at a million papers,
// searches slowed meanwhile). Merging them here instead took 20-23 s of
// a million-paper load and left 10 segments that the first open leaves
// alone. Both are variables only so that a test can reach them with a
// few papers.
var (
	rawMergesUpTo   int64 = maxSegmentDocs
	tailSegmentDocs int64 = maxSegmentDocs
)

// failed returns the error of the batch that ended the load, if any.
func (b *bulkLoad) failed() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// bulkPrefix starts the names of bulk loads in progress beside their index
// directory.
const bulkPrefix = ".loading-"

// OpenBulk starts the first load of a new index at path, which must not
// hold an index yet. Write to it as to any Index, then call FinishBulk.
func OpenBulk(path string, log *slog.Logger) (*Index, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := os.Stat(filepath.Join(path, "index_meta.json")); err == nil {
		return nil, fmt.Errorf("bulk load into %s: it holds an index already", path)
	}
	// The finished index is renamed onto path, which must then be missing
	// or an empty directory: refuse anything else now, not after the load.
	if entries, err := os.ReadDir(path); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("bulk load into %s: the directory is not empty (and holds no index); give a new or empty one", path)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("bulk load into %s: %w", path, err)
	}
	parent, base := filepath.Dir(path), filepath.Base(path)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("bulk load into %s: %w", path, err)
	}
	removeAbandonedLoads(parent, "."+base+bulkPrefix, log)
	tmp, err := os.MkdirTemp(parent, "."+base+bulkPrefix)
	if err != nil {
		return nil, fmt.Errorf("bulk load into %s: %w", path, err)
	}
	x, err := open(filepath.Join(tmp, "index"), log, bulkMergePlan())
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	x.bulk = &bulkLoad{target: path, tmp: tmp, bi: x.bi}
	setRawMerges(storePath(x.path), true)
	return x, nil
}

// Bulk reports whether x is a bulk load in progress.
func (x *Index) Bulk() bool { return x.bulk != nil }

// FinishBulk ends a bulk load: it closes the index and moves it into place,
// or, if a batch failed or keep is false, removes it. Open the index again
// to use it.
func (x *Index) FinishBulk(keep bool) error {
	b := x.bulk
	if b == nil {
		return errors.New("finish a bulk load: this index is not one")
	}
	defer setRawMerges(storePath(x.path), false)
	failed := b.failed()
	if failed == nil && keep {
		// The load merged without the codec; one last merge with it
		// shortens every position and leaves one segment: at 74,728
		// papers, 4 s for an index 30% smaller and searches a tenth
		// faster than the load left them. A load past rawMergesUpTo
		// merged with the codec since, and only its segments under half
		// of tailSegmentDocs are merged, not the full ones: a merge of
		// them all keeps every segment it writes mapped until the last is
		// done (1.6 GB resident at a million papers, for 34 s).
		//
		// Below rawMergesUpTo, every segment is in the merge, however big
		// Bleve's own merges made it (a segment of over half the limit
		// would otherwise stay as it is), and a lone one is rewritten.
		raw := rawMerging(storePath(x.path))
		limit := tailSegmentDocs
		if raw {
			limit = 2*b.papers.Load() + 2
		}
		setRawMerges(storePath(x.path), false)
		start := time.Now()
		err := x.forceMerge(context.Background(), limit)
		if err == nil && raw {
			err = x.recodeLoneSegment(context.Background(), func(b *bleve.Batch) error { return x.commit(b, nil) })
		}
		if err != nil {
			failed = fmt.Errorf("compact: %w", err)
		}
		x.log.Debug("bulk load compacted", "took", time.Since(start).Round(time.Millisecond), "segments_up_to", limit)
	}
	if failed == nil && keep {
		// Batches commit out of order: record the highest generation
		// handed out, as a commit of an open index would. This write
		// also puts the merged snapshot on disk.
		if err := x.bi.SetInternal([]byte(internalGeneration), []byte(fmt.Sprint(x.generation.Load()))); err != nil {
			failed = err
		} else {
			x.awaitReplacedRemoved(context.Background(), replacedWait)
		}
	}
	err := func() (err error) {
		// Closing after a failed batch may trip over the segment Bleve
		// closed early; the load is thrown away anyway.
		defer func() {
			if r := recover(); r != nil && failed != nil {
				err = nil
			} else if r != nil {
				panic(r)
			}
		}()
		return x.Close()
	}()
	switch {
	case failed != nil:
		os.RemoveAll(b.tmp)
		return fmt.Errorf("bulk load into %s: a batch failed, nothing was kept: %w", b.target, failed)
	case err != nil:
		os.RemoveAll(b.tmp)
		return fmt.Errorf("bulk load into %s: %w", b.target, err)
	case !keep:
		os.RemoveAll(b.tmp)
		return nil
	}
	built := filepath.Join(b.tmp, "index")
	// Bleve does not sync every file it writes (index_meta.json, by which
	// an index is known); the rename must not outrun them.
	if err := syncTree(built); err != nil {
		return fmt.Errorf("bulk load into %s: %w", b.target, err)
	}
	// os.Rename refuses to replace a directory, even an empty one; take
	// the empty one away first (Remove fails on a non-empty one).
	_ = os.Remove(b.target)
	if err := os.Rename(built, b.target); err != nil {
		// The index is whole: say where it is rather than lose it.
		return fmt.Errorf("bulk load into %s: the index is built, but moving it into place failed (it is in %s; move it there yourself): %w", b.target, built, err)
	}
	syncDir(filepath.Dir(b.target))
	os.Remove(b.tmp)
	return nil
}

// commitBulk commits a batch of a bulk load alongside the others in flight.
func (x *Index) commitBulk(b *bleve.Batch, words *wordSet) error {
	bl := x.bulk
	// The first batch in takes the index from readers; the last one out
	// gives it back.
	bl.gate.Lock()
	if bl.committers == 0 {
		x.mu.Lock()
	}
	bl.committers++
	bl.gate.Unlock()
	defer func() {
		bl.gate.Lock()
		bl.committers--
		if bl.committers == 0 {
			x.mu.Unlock()
		}
		bl.gate.Unlock()
	}()
	// A bulk load is single-use: a failed batch ends it.
	failed := bl.failed()
	switch {
	case failed != nil:
		return fmt.Errorf("write batch to %s: an earlier batch failed: %w", bl.target, failed)
	case x.closed:
		return fmt.Errorf("write batch to %s: %w", bl.target, errClosed)
	}
	err := x.vocab.add(words)
	if err == nil {
		g := x.generation.Add(1)
		b.SetInternal([]byte(internalGeneration), []byte(fmt.Sprint(g)))
		err = bl.batch(b)
	}
	if err == nil && bl.papers.Add(int64(b.Size())) > rawMergesUpTo {
		setRawMerges(storePath(x.path), false)
	}
	if err != nil {
		err = fmt.Errorf("write batch to %s: %w", bl.target, err)
		x.asyncError(err)
		bl.mu.Lock()
		first := bl.err == nil
		if first {
			bl.err = err
		}
		bl.mu.Unlock()
		if first {
			// The load is over. Its files go now rather than in
			// FinishBulk: after a failed persist, Bleve 2.6.3's own
			// merger can crash the process on the segment it closed,
			// and nothing half-built may be left behind if it does.
			discardLoad(bl.tmp)
		}
		return err
	}
	return nil
}

// batch hands b to Bleve. When a batch in flight beside it fails to
// persist, Bleve 2.6.3 closes that batch's segment while the snapshot still
// holds it, and this batch, reading the snapshot's segments for the papers
// it replaces, panics on the closed one, sometimes before the other has
// returned its error. Either way the load is over: the panic ends it with
// an error, as the failure does, rather than crashing the process and
// leaving the half-built index behind.
func (bl *bulkLoad) batch(b *bleve.Batch) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bleve failed while committing (a batch beside it failing to persist makes it do so): %v", r)
		}
	}()
	return bl.bi.Batch(b)
}

// discardedSuffix marks a bulk load being removed (see discardLoad).
const discardedSuffix = ".discarded"

// discardLoad removes the directory of a failed bulk load. It renames it
// first: a crash part-way through the removal (Bleve's merger may crash
// the process right then) would otherwise leave a load without its owner
// record, which the next load takes for one that has only just begun and
// leaves alone.
func discardLoad(tmp string) {
	if err := os.Rename(tmp, tmp+discardedSuffix); err == nil {
		tmp += discardedSuffix
	}
	os.RemoveAll(tmp)
}

// removeAbandonedLoads deletes the bulk loads in parent that crashed runs
// left: those whose process is gone, and those being discarded.
func removeAbandonedLoads(parent, prefix string, log *slog.Logger) {
	removeLeftovers(parent, prefix, log, func(dir string, info fs.FileInfo) bool {
		if strings.HasSuffix(dir, discardedSuffix) {
			return true
		}
		if o, ok := ReadOwner(filepath.Join(dir, "index")); ok {
			return !(o.PID > 0 && processAlive(o.PID))
		}
		// No owner recorded yet: a load that has only just begun, unless
		// it is old or holds nothing.
		inside, _ := os.ReadDir(dir)
		return len(inside) == 0 || time.Since(info.ModTime()) >= time.Minute
	})
}

func processAlive(pid int) bool {
	if pid == os.Getpid() {
		return true
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
