package search

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	"github.com/blevesearch/bleve/v2/search/query"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Compact merges the index into as few segments as maxSegmentDocs allows
// (one up to 100,000 papers) and returns how long that took. Batches of
// later loads and posts leave segments of assorted sizes behind, and a
// search pays for each; and the papers of segments that were never merged
// keep their positions in zap's long form (see codec.go). A bulk load
// compacts its index when it ends (FinishBulk). An index of 74,728 papers in 12 segments
// (148 MiB) compacted in 4.0 s to one of 134 MiB, and its searches took a
// tenth less time.
//
// An index already in one segment that was written without the codec is
// rewritten with it (see recodeLoneSegment).
//
// Writes wait while it runs; searches go on.
func (x *Index) Compact(ctx context.Context) (time.Duration, error) {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	if err := x.rlock(); err != nil {
		return 0, err
	}
	defer x.mu.RUnlock()
	if x.bulk != nil {
		return 0, errors.New("compact: a bulk load is in progress; finish it first")
	}
	start := time.Now()
	if err := x.forceMerge(ctx, maxSegmentDocs); err != nil {
		return 0, fmt.Errorf("compact %s: %w", x.path, err)
	}
	// The paper written again goes through commit's path, which reopens
	// the index if the write fails (see commit): it waits for searches,
	// and they for it.
	err := x.recodeLoneSegment(ctx, func(b *bleve.Batch) error {
		x.mu.RUnlock()
		defer x.mu.RLock()
		return x.commitHeld(b, nil)
	})
	if err != nil {
		return 0, fmt.Errorf("compact %s: %w", x.path, err)
	}
	// ForceMerge returns once searches see the merged segment, which may
	// be before the index on disk says so: closed then, the index would
	// reopen on the segments it had. A write returns only once the
	// snapshot it is part of, merge included, is on disk.
	// Merges copy the stored papers as they are: the schema stays.
	if err := x.bi.SetInternal([]byte(internalSchema), []byte(x.schema)); err != nil {
		return 0, fmt.Errorf("compact %s: %w", x.path, err)
	}
	x.awaitReplacedRemoved(ctx, replacedWait)
	return time.Since(start), nil
}

// replacedWait bounds awaitReplacedRemoved.
const replacedWait = 3 * time.Second

// awaitReplacedRemoved waits, up to limit, until the only segment files on
// disk are those of the index's current snapshot, and reports whether they
// are. Bleve deletes the files a merge replaced from its persister's loop,
// a moment after it persists the merge; an index closed at once
// (papersearch compact, the end of a bulk load) kept them on disk until it
// was next written, and a compaction reported their size as the index's.
// A search still reading an older snapshot keeps that snapshot's files,
// and letting it go does not wake the persister: so every
// replacedNudge the wait writes the generation again, unchanged, which
// persists a snapshot and runs Bleve's clean-up once more.
func (x *Index) awaitReplacedRemoved(ctx context.Context, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	nudge := time.Now().Add(replacedNudge)
	for {
		extra, err := x.replacedFiles()
		if err != nil {
			x.log.Warn("cannot tell whether the segment files a merge replaced are gone", "index", x.path, "err", err)
			return false
		}
		if extra == 0 {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			x.log.Warn("segment files a merge replaced are still on disk; they go with a later write", "index", x.path, "files", extra)
			return false
		}
		if time.Now().After(nudge) {
			nudge = time.Now().Add(replacedNudge)
			if err := x.bi.SetInternal([]byte(internalGeneration), []byte(strconv.FormatUint(x.generation.Load(), 10))); err != nil {
				x.log.Warn("cannot write to the index to clear the segment files a merge replaced", "index", x.path, "err", err)
				return false
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// replacedNudge: see awaitReplacedRemoved.
const replacedNudge = 100 * time.Millisecond

// replacedFiles counts the segment files on disk that x's current
// snapshot does not use.
func (x *Index) replacedFiles() (int, error) {
	live := map[string]bool{}
	err := x.atSnapshot(func(snap *scorch.IndexSnapshot) {
		for _, ss := range snap.Segments() {
			if ps, ok := ss.Segment().(segment.PersistedSegment); ok {
				live[filepath.Base(ps.Path())] = true
			}
		}
	})
	if err != nil {
		return 0, err
	}
	entries, err := os.ReadDir(storePath(x.path))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if filepath.Ext(e.Name()) == ".zap" && !live[e.Name()] {
			n++
		}
	}
	return n, nil
}

// forceMerge merges x's segments of fewer than maxDocs/2 papers into as few
// of up to maxDocs as it can. The merged snapshot is on disk only after the
// next write.
//
// It merges one output segment at a time. Bleve introduces all the
// segments of one plan together, and until then keeps every segment the
// plan read and wrote mapped: merging the tail of a million-paper load in
// one plan peaked at 1.52 GB resident, where a round's segments are let go
// before the next round reads its own.
func (x *Index) forceMerge(ctx context.Context, maxDocs int64) error {
	adv, err := x.bi.Advanced()
	if err != nil {
		return err
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return fmt.Errorf("index type %T cannot merge", adv)
	}
	n, err := x.mergeable(maxDocs)
	for err == nil && n >= 2 {
		opts := mergeplan.SingleSegmentMergePlanOptions
		opts.MaxSegmentSize = maxDocs
		// As many segments as fit in one, rather than ten at a time and
		// then the results again.
		opts.SegmentsPerMergeTask = 1 << 20
		// Bleve's planner adds tasks while the segments outnumber the
		// budget: one fewer than there are allows one task.
		budget := n - 1
		opts.CalcBudget = func(int64, int64, *mergeplan.MergePlanOptions) int { return budget }
		if err := s.ForceMerge(ctx, &opts); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		var left int
		left, err = x.mergeable(maxDocs)
		if left >= n {
			break // the planner found nothing more to merge
		}
		n = left
	}
	return err
}

// mergeable counts x's segments that forceMerge(maxDocs) would merge: those
// of fewer than maxDocs/2 live papers, as Bleve's planner picks them.
func (x *Index) mergeable(maxDocs int64) (int, error) {
	n := 0
	err := x.atSnapshot(func(snap *scorch.IndexSnapshot) {
		for _, ss := range snap.Segments() {
			if int64(ss.Count()) < maxDocs/2 {
				n++
			}
		}
	})
	return n, err
}

// recodeLoneSegment rewrites the index's only segment with the codec if
// zap wrote it in its own form: a bulk load whose merges (without the
// codec) got every paper into one segment, or an index of one batch.
// Bleve never merges a lone segment, so one paper is written again: its
// new copy is a second segment, its old one a deletion in the first, and
// the merge of the two writes the codec's form and drops the old copy.
// The paper is written with commit. An index of one paper is left as it
// is: its old copy would leave no paper behind, and the new one would be
// the lone segment.
func (x *Index) recodeLoneSegment(ctx context.Context, commit func(*bleve.Batch) error) error {
	path, docs, err := x.loneSegment()
	if err != nil || path == "" || docs < 2 {
		return err
	}
	if id, err := segmentCodec(path); err != nil || id == codecID {
		return err
	}
	req := bleve.NewSearchRequestOptions(query.NewMatchAllQuery(), 1, 0, false)
	req.Fields = []string{fieldMeta}
	res, err := x.bi.SearchInContext(ctx, req)
	if err != nil {
		return fmt.Errorf("rewrite segment %s: %w", path, err)
	}
	if len(res.Hits) == 0 {
		return nil
	}
	p, err := fromFields(res.Hits[0].ID, res.Hits[0].Fields)
	if err != nil {
		return fmt.Errorf("rewrite segment %s: %w", path, err)
	}
	doc, err := x.toDoc(&p, newWordSet())
	if err != nil {
		return fmt.Errorf("rewrite segment %s: paper %s: %w", path, p.ID, err)
	}
	b := x.bi.NewBatch()
	if err := b.IndexAdvanced(doc); err != nil {
		return fmt.Errorf("rewrite segment %s: paper %s: %w", path, p.ID, err)
	}
	if err := commit(b); err != nil {
		return fmt.Errorf("rewrite segment %s: %w", path, err)
	}
	// Big enough for the lone segment to be in the merge.
	return x.forceMerge(ctx, 2*int64(docs)+4)
}

// loneSegment returns the file and size of the index's segment if it has
// exactly one, on disk.
func (x *Index) loneSegment() (path string, docs uint64, err error) {
	err = x.atSnapshot(func(snap *scorch.IndexSnapshot) {
		if len(snap.Segments()) != 1 {
			return
		}
		ss := snap.Segments()[0]
		if ps, ok := ss.Segment().(segment.PersistedSegment); ok {
			path, docs = ps.Path(), ss.Count()
		}
	})
	return path, docs, err
}

// atSnapshot calls f with the index's current snapshot, which holds its
// segments, and lets the snapshot go after.
func (x *Index) atSnapshot(f func(*scorch.IndexSnapshot)) error {
	adv, err := x.bi.Advanced()
	if err != nil {
		return err
	}
	r, err := adv.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return fmt.Errorf("index reader type %T has no segments", r)
	}
	f(snap)
	return nil
}

// segmentCodec returns the chunk codec a zap segment file was written
// with, "" for none. zap v17 ends a file with the codec's id, then its
// length and the rest of a footer of fixed size.
func segmentCodec(path string) (string, error) {
	const footer = 4 + 4 + 4 + 4 + 8 + 8 + 8 // zapx.FooterSize, id length included
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	var tail [footer]byte
	if fi.Size() < footer {
		return "", fmt.Errorf("segment %s: %d bytes, too short", path, fi.Size())
	}
	if _, err := f.ReadAt(tail[:], fi.Size()-footer); err != nil {
		return "", fmt.Errorf("segment %s: %w", path, err)
	}
	n := int64(binary.BigEndian.Uint32(tail[:4]))
	if n > 256 || n > fi.Size()-footer {
		return "", fmt.Errorf("segment %s: a codec id of %d bytes", path, n)
	}
	id := make([]byte, n)
	if _, err := f.ReadAt(id, fi.Size()-footer-n); err != nil {
		return "", fmt.Errorf("segment %s: %w", path, err)
	}
	return string(id), nil
}
