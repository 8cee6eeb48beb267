package search

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

var (
	// ErrNotFound means no paper has the requested id.
	ErrNotFound = errors.New("not found")
	// ErrBadQuery marks errors caused by the caller's request.
	ErrBadQuery = errors.New("bad query")
	// ErrLocked means another process holds the index open for writing.
	ErrLocked = errors.New("index is locked by another process")
	// ErrSchema means the index was made by an incompatible version.
	ErrSchema = errors.New("incompatible index schema")
)

const (
	internalSchema     = "papersearch.schema"
	internalGeneration = "papersearch.generation"
	pidFile            = "papersearch.pid"
	// lockWait bounds how long Open waits for another process's lock.
	lockWait = 3 * time.Second
)

// Index is a Bleve index of papers. It is safe for concurrent use.
type Index struct {
	// mu guards bi. Reads hold it shared for their whole call; a write
	// holds it alone while Bleve commits. The reason is a Bleve (v2.6.3)
	// failure mode: when a batch cannot be persisted (a full disk), Batch
	// closes the batch's segment although the live snapshot still holds it,
	// and a read of that snapshot then crashes the process. So no read may
	// run alongside a commit, and a failed commit reopens the index from
	// disk (see reopen) before reads resume. Commits take milliseconds.
	mu     sync.RWMutex
	bi     bleve.Index // nil once a reopen failed or the index is closed
	closed bool
	merges map[string]any // the merge plan bi was opened with
	// writeMu serialises writes and backups, so that a backup never waits
	// on mu (and, through a waiting writer, holds up reads).
	writeMu  sync.Mutex
	path     string
	log      *slog.Logger
	readOnly bool
	// prose and names are the mapping's analyzers, for counting field
	// lengths at index time and analysing query words.
	prose, names analysis.Analyzer
	// fbTexts remembers what feedback made of the papers it analysed.
	fbTexts fbTextCache
	// split, when not nil, analyses title and abstract for their own
	// fields and for the vocabulary in one pass (see splitAnalysis).
	split *splitAnalysis
	// vocab is every word of the titles and abstracts (vocab.go).
	vocab *vocabulary
	// mapping is the index's mapping, which turns papers into documents.
	mapping mapping.IndexMapping
	// schema is the index's schema version: schemaVersion, or one of
	// olderSchemas until the first commit (see commitHeld).
	schema string
	// generation counts committed writes; it changes whenever results may.
	generation atomic.Uint64
	// lastReopen is when reopenSoon last tried, in Unix nanoseconds.
	lastReopen atomic.Int64
	// topics caches the recorded taxonomy, which every query consults.
	topics atomic.Pointer[[]Topic]
	health healthState
	// cols caches what filters, facets and sorting read, per segment.
	cols *columnCache
	// stats caches the ranker's collection statistics; postings, the
	// decoded postings of common terms.
	stats    *statsCache
	postings *postingsCache
	matched  *matchCache
	// bulk, when not nil, makes this the first load of a new index
	// (bulk.go).
	bulk *bulkLoad
}

// runtimeConfig is the Bleve configuration every open uses. It never sets
// unsafe_batch: a batch returns only once scorch has synced it to disk,
// which is what lets Put promise durability. Saying false explicitly also
// overrides an index_meta.json that asks for it.
func runtimeConfig(plan map[string]any) map[string]any {
	return map[string]any{
		"bolt_timeout":           lockWait.String(),
		"unsafe_batch":           false,
		"asyncErrorCallbackName": asyncErrorCallback,
		// Scorch starts from its default merge plan and overrides what
		// plan names.
		"scorchMergePlanOptions": plan,
	}
}

// mergePlan is the merge plan of an open index; a variable only so that a
// test can keep an index in several segments.
var mergePlan = func() map[string]any { return map[string]any{"MaxSegmentSize": maxSegmentDocs} }

// bulkMergePlan is the merge plan of a bulk load: it merges up to 30
// segments at once, where Bleve merges 10, so that a paper goes through
// fewer merges on its way from its batch's segment into a full one: a
// million papers built in 264 s instead of 336 s (567 s of user CPU
// instead of 708 s), leaving 37 segments instead of 17. An open index
// keeps Bleve's 10: its segments are searched for as long as it serves.
// The end of a load merges the segments it leaves under half the cap (see
// tailSegmentDocs), which that plan would otherwise merge again at the
// first open.
func bulkMergePlan() map[string]any {
	return map[string]any{"MaxSegmentSize": maxSegmentDocs, "MaxSegmentsPerTier": 30, "SegmentsPerMergeTask": 30}
}

// maxSegmentDocs caps the papers in one index segment. A merge reads its
// input segments through memory maps, which count as resident memory while
// it runs, and rewrites them whole: without a cap, the last merges of a big
// build map and rewrite the whole index, again and again.
const maxSegmentDocs = 100_000

// Open opens the index at path, creating it (and the directory) if missing
// or empty. Only one process can have an index open: a second Open waits
// up to three seconds for the lock and then fails with a *LockedError.
func Open(path string, log *slog.Logger) (*Index, error) {
	return open(path, log, mergePlan())
}

// open is Open with a merge plan.
func open(path string, log *slog.Logger, plan map[string]any) (*Index, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	x := &Index{path: path, log: log, merges: plan, stats: &statsCache{}, postings: newPostingsCache(postingsCacheBytes(path)), matched: &matchCache{}}
	x.cols = newColumnCache(x.postings, newColFiles(path, true), log)
	x.cols.latest = func() (map[string]bool, error) {
		r, err := x.reader()
		if err != nil {
			return nil, err
		}
		defer r.Close()
		snap, ok := r.(*scorch.IndexSnapshot)
		if !ok {
			return nil, fmt.Errorf("index reader is a %T, not a scorch snapshot", r)
		}
		return segmentFileNames(snap.Segments()), nil
	}
	// Bleve reports background errors by store path; register before
	// opening so that none is missed.
	openStores.Store(storePath(path), x)
	bi, err := bleve.OpenUsing(path, runtimeConfig(plan))
	if missing(path, err) {
		if err = create(path, log); err == nil {
			bi, err = bleve.OpenUsing(path, runtimeConfig(plan))
		}
	}
	if err != nil {
		openStores.Delete(storePath(path))
		return nil, openError(path, err)
	}
	x.bi = bi
	if err := x.checkSchema(); err != nil {
		bi.Close()
		openStores.Delete(storePath(path))
		return nil, err
	}
	if err := x.setAnalyzers(); err != nil {
		bi.Close()
		openStores.Delete(storePath(path))
		return nil, err
	}
	if err := x.openVocabulary(); err != nil {
		bi.Close()
		openStores.Delete(storePath(path))
		return nil, fmt.Errorf("open index %s: %w", path, err)
	}
	if b, err := bi.GetInternal([]byte(internalGeneration)); err == nil && len(b) > 0 {
		g, _ := strconv.ParseUint(string(b), 10, 64)
		x.generation.Store(g)
	}
	// Record the writer so that a second process can say who holds the lock.
	if err := writeOwner(path, Owner{PID: os.Getpid()}); err != nil {
		log.Warn("cannot record this process as the index's owner", "err", err)
	}
	return x, nil
}

// missing reports whether err from opening path means there is no index
// there yet: no directory, or an empty one (a fresh volume mount).
func missing(path string, err error) bool {
	if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
		return true
	}
	if errors.Is(err, bleve.ErrorIndexMetaMissing) {
		entries, rerr := os.ReadDir(path)
		return rerr == nil && len(entries) == 0
	}
	return false
}

// create builds an empty index under a temporary name next to path and
// renames it into place, so that a crash half-way through creation leaves
// no half-made index behind to be taken for a real one.
func create(path string, log *slog.Logger) error {
	parent, base := filepath.Dir(path), filepath.Base(path)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create index directory %s: %w", path, err)
	}
	removeStale(parent, "."+base+".creating-", log)
	tmp, err := os.MkdirTemp(parent, "."+base+".creating-")
	if err != nil {
		return fmt.Errorf("create index %s: %w", path, err)
	}
	defer os.RemoveAll(tmp)
	m, err := newMapping()
	if err != nil {
		return fmt.Errorf("build index mapping: %w", err)
	}
	dir := filepath.Join(tmp, "index")
	bi, err := bleve.NewUsing(dir, m, scorch.Name, scorch.Name, map[string]any{"bolt_timeout": lockWait.String()})
	if err != nil {
		return fmt.Errorf("create index %s: %w", path, err)
	}
	if err := bi.SetInternal([]byte(internalSchema), []byte(schemaVersion)); err != nil {
		bi.Close()
		return fmt.Errorf("create index %s: %w", path, err)
	}
	if err := bi.Close(); err != nil {
		return fmt.Errorf("create index %s: %w", path, err)
	}
	// os.Rename refuses to replace a directory, even an empty one; take
	// the empty one away first (Remove fails on a non-empty one). If
	// another process got there first, its index is as good as ours.
	_ = os.Remove(path)
	if err := os.Rename(dir, path); err != nil {
		if _, serr := os.Stat(filepath.Join(path, "index_meta.json")); serr == nil {
			return nil
		}
		return fmt.Errorf("create index %s: %w", path, err)
	}
	syncDir(parent)
	return nil
}

// removeStale deletes what crashed runs left in parent under names with
// the given prefix. Anything older than ten minutes is past use: creating
// an empty index or copying one takes far less.
func removeStale(parent, prefix string, log *slog.Logger) {
	removeLeftovers(parent, prefix, log, func(_ string, info fs.FileInfo) bool {
		return time.Since(info.ModTime()) > 10*time.Minute
	})
}

// removeLeftovers deletes the directories in parent under names with the
// given prefix that abandoned says a crashed run left.
func removeLeftovers(parent, prefix string, log *slog.Logger, abandoned func(dir string, info fs.FileInfo) bool) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		if info, err := e.Info(); err == nil && abandoned(dir, info) {
			log.Info("removing what an interrupted run left behind", "dir", dir)
			os.RemoveAll(dir)
		}
	}
}

// syncDir makes a rename in dir durable; it is best effort (not every
// platform can sync a directory).
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		f.Close()
	}
}

func openError(path string, err error) error {
	if strings.Contains(err.Error(), "timeout") {
		le := &LockedError{Path: path}
		le.Owner, _ = ReadOwner(path)
		return le
	}
	if errors.Is(err, bleve.ErrorIndexMetaCorrupt) || errors.Is(err, bleve.ErrorUnknownIndexType) || errors.Is(err, bleve.ErrorIndexMetaMissing) {
		return fmt.Errorf("open index %s: %w: %v; %s", path, ErrSchema, err, rebuildHint(path))
	}
	return fmt.Errorf("open index %s: %w", path, err)
}

// rebuildHint says how to get a usable index when the one at path cannot
// be used.
func rebuildHint(path string) string {
	return fmt.Sprintf("rebuild it from your sources: move %s aside (or delete it), then run 'papersearch index --index %s SOURCE...'", path, path)
}

func (x *Index) checkSchema() error {
	b, err := x.bi.GetInternal([]byte(internalSchema))
	if err != nil {
		return fmt.Errorf("open index %s: read schema version: %w", x.path, err)
	}
	x.schema = string(b)
	if x.schema != schemaVersion && !slices.Contains(olderSchemas, x.schema) {
		found := string(b)
		if found == "" {
			found = "none"
		}
		return fmt.Errorf("open index %s: %w: it has schema %s, this papersearch needs %s; %s",
			x.path, ErrSchema, found, schemaVersion, rebuildHint(x.path))
	}
	return nil
}

// setAnalyzers takes the mapping and its analyzers, which index and query
// text.
func (x *Index) setAnalyzers() error {
	x.mapping = x.bi.Mapping()
	x.prose = x.mapping.AnalyzerNamed(analyzerProse)
	x.names = x.mapping.AnalyzerNamed(analyzerName)
	if x.prose == nil || x.names == nil {
		return fmt.Errorf("open index %s: %w: its mapping lacks our analyzers; %s", x.path, ErrSchema, rebuildHint(x.path))
	}
	x.split = newSplitAnalysis(x.prose, x.names)
	return nil
}

// splitAnalysis analyses a text with the prose analyzer and the names
// analyzer in one pass. Both start with the same tokenizer, and the names
// analyzer only lower-cases; lower-casing first and then running the prose
// filters (possessives dropped, lower case again, stop words, stems) gives
// the prose analyzer's tokens, since the possessive filter takes "'s" and
// "'S" alike. Title and abstract go through both (their fields and the
// vocabulary), and tokenizing them once took a tenth off a build.
type splitAnalysis struct {
	tokenizer analysis.Tokenizer
	lower     analysis.TokenFilter
	prose     []analysis.TokenFilter // after lower
}

// newSplitAnalysis returns nil unless the analyzers have the shape
// splitAnalysis relies on (an index made with another mapping).
func newSplitAnalysis(prose, names analysis.Analyzer) *splitAnalysis {
	p, ok := prose.(*analysis.DefaultAnalyzer)
	if !ok || p.CharFilters != nil || len(p.TokenFilters) < 2 {
		return nil
	}
	n, ok := names.(*analysis.DefaultAnalyzer)
	if !ok || n.CharFilters != nil || len(n.TokenFilters) != 1 || p.Tokenizer != n.Tokenizer {
		return nil
	}
	if _, ok := p.TokenFilters[0].(*en.PossessiveFilter); !ok {
		return nil
	}
	if _, ok := p.TokenFilters[1].(*lowercase.LowerCaseFilter); !ok {
		return nil
	}
	if _, ok := n.TokenFilters[0].(*lowercase.LowerCaseFilter); !ok {
		return nil
	}
	return &splitAnalysis{tokenizer: p.Tokenizer, lower: n.TokenFilters[0], prose: p.TokenFilters}
}

// analyse returns text's prose tokens, and appends its names-analyzer
// terms to names.
func (a *splitAnalysis) analyse(text string, names [][]byte) (analysis.TokenStream, [][]byte) {
	tokens := a.lower.Filter(a.tokenizer.Tokenize([]byte(text)))
	for _, t := range tokens {
		// Filters replace a token's Term rather than write into it.
		names = append(names, t.Term)
	}
	for _, f := range a.prose {
		tokens = f.Filter(tokens)
	}
	return tokens, names
}

// Path returns the directory the index lives in.
func (x *Index) Path() string { return x.path }

// Generation changes whenever a write is committed.
func (x *Index) Generation() uint64 { return x.generation.Load() }

// errUnavailable is returned after a failed write could not reopen the
// index.
var errUnavailable = errors.New("the index is unavailable after a failed write; restart papersearch")

var errClosed = errors.New("the index is closed")

// rlock takes the read lock for a call that reads the index, or fails
// (without it) when there is no index to read. Only exported methods take
// it, once per call: a second RLock in the same call would deadlock
// behind a waiting writer. Unexported methods expect it held.
func (x *Index) rlock() error {
	x.mu.RLock()
	if x.bi == nil {
		err := errUnavailable
		if x.closed {
			err = errClosed
		}
		x.mu.RUnlock()
		if !errors.Is(err, errClosed) {
			x.reopenSoon()
		}
		return fmt.Errorf("index %s: %w", x.path, err)
	}
	// After a failed batch, Bleve's snapshot may hold a segment it has
	// closed (see mu): a bulk load is over, and nothing reads it again.
	if err := x.bulk.failed(); err != nil {
		x.mu.RUnlock()
		return fmt.Errorf("index %s: %w: %w", x.path, errUnavailable, err)
	}
	return nil
}

// Close flushes and closes the index. Removing the owner file is the last
// step, so its absence after a process exits means the index was closed
// cleanly.
func (x *Index) Close() error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	x.closed = true
	verr := x.vocab.close()
	if x.bi == nil {
		return verr
	}
	err := errors.Join(x.bi.Close(), verr)
	x.bi = nil
	if x.readOnly {
		return err
	}
	openStores.Delete(storePath(x.path))
	if err != nil {
		return fmt.Errorf("close index %s: %w", x.path, err)
	}
	_ = os.Remove(filepath.Join(x.path, pidFile))
	return nil
}

// Count returns the number of papers in the index.
func (x *Index) Count() (uint64, error) {
	if err := x.rlock(); err != nil {
		return 0, err
	}
	defer x.mu.RUnlock()
	n, err := x.bi.DocCount()
	if err != nil {
		return 0, fmt.Errorf("count papers: %w", err)
	}
	return n, nil
}

// Put writes papers, replacing any stored under the same ids, in one batch.
// It returns once the batch is durably committed.
func (x *Index) Put(papers []Paper) error {
	if len(papers) == 0 {
		return nil
	}
	b, err := x.newBatch()
	if err != nil {
		return err
	}
	words := newWordSet()
	for i := range papers {
		p := &papers[i]
		if p.ID == "" {
			return fmt.Errorf("put paper %q: empty id", p.Title)
		}
		doc, err := x.toDoc(p, words)
		if err != nil {
			return fmt.Errorf("put paper %s: %w", p.ID, err)
		}
		if err := b.IndexAdvanced(doc); err != nil {
			return fmt.Errorf("put paper %s: %w", p.ID, err)
		}
	}
	return x.commit(b, words)
}

// Delete removes papers by id; unknown ids are ignored.
func (x *Index) Delete(ids []string) error {
	b, err := x.newBatch()
	if err != nil {
		return err
	}
	for _, id := range ids {
		b.Delete(id)
	}
	return x.commit(b, nil)
}

func (x *Index) newBatch() (*bleve.Batch, error) {
	if x.bulk != nil {
		// A bulk load's Bleve index never changes hands (nothing reopens
		// it), and a batch is only a buffer: making one need not wait for
		// the commits in flight.
		if err := x.bulk.failed(); err != nil {
			return nil, fmt.Errorf("index %s: %w: %w", x.path, errUnavailable, err)
		}
		return x.bulk.bi.NewBatch(), nil
	}
	if err := x.rlock(); err != nil {
		return nil, err
	}
	defer x.mu.RUnlock()
	return x.bi.NewBatch(), nil
}

// errReadOnly refuses writes to an index opened with OpenReadOnly: scorch
// would accept the batch and then wait forever for a persister that a
// read-only index does not run.
var errReadOnly = errors.New("the index is open read-only")

// commit writes a batch, whose papers have words, and returns once it is
// on disk. Nothing of a batch that fails is kept: the index is reopened
// from what is on disk.
func (x *Index) commit(b *bleve.Batch, words *wordSet) error {
	if x.readOnly {
		return fmt.Errorf("write batch to %s: %w", x.path, errReadOnly)
	}
	if x.bulk != nil {
		return x.commitBulk(b, words)
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	return x.commitHeld(b, words)
}

// commitHeld is commit for a caller that holds x.writeMu.
func (x *Index) commitHeld(b *bleve.Batch, words *wordSet) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return fmt.Errorf("write batch to %s: %w", x.path, errClosed)
	}
	if x.bi == nil {
		// A reopen after a failed write can fail too (on a full disk,
		// say); once space is back, this write brings the index back.
		if err := x.openAgain(); err != nil {
			return fmt.Errorf("write batch to %s: %w (reopen: %w)", x.path, errUnavailable, err)
		}
		x.log.Info("the index is open again", "index", x.path)
	}
	if err := x.vocab.add(words); err != nil {
		return fmt.Errorf("write batch to %s: %w", x.path, err)
	}
	g := x.generation.Load() + 1
	b.SetInternal([]byte(internalGeneration), []byte(strconv.FormatUint(g, 10)))
	if x.schema != schemaVersion {
		// Papers written now take the current stored form.
		b.SetInternal([]byte(internalSchema), []byte(schemaVersion))
	}
	if err := x.bi.Batch(b); err != nil {
		err = fmt.Errorf("write batch to %s: %w", x.path, err)
		x.reopen(err)
		return err
	}
	x.generation.Store(g)
	x.schema = schemaVersion
	return nil
}

// reopen replaces the Bleve index after a failed write with a fresh open
// of what is on disk: every batch that was acknowledged, none that failed.
// x.mu is held.
func (x *Index) reopen(cause error) {
	x.asyncError(cause)
	func() {
		// Closing an index in the state a failed persist leaves may trip
		// over the segment Bleve closed early; the files are what matter.
		defer func() {
			if r := recover(); r != nil {
				x.log.Error("closing the index after a failed write panicked", "panic", r)
			}
		}()
		if err := x.bi.Close(); err != nil {
			x.log.Warn("closing the index after a failed write", "err", err)
		}
	}()
	x.bi = nil
	if err := x.openAgain(); err != nil {
		x.log.Error("cannot reopen the index after a failed write; the next write tries again", "index", x.path, "err", err)
		return
	}
	x.log.Warn("a write failed; the index was reopened from disk without it", "index", x.path, "err", cause)
}

// reopenSoon tries, in the background and at most once a second, to open
// the index again after a reopen failed, so that reads come back without
// waiting for a write (see commit).
func (x *Index) reopenSoon() {
	now := time.Now().UnixNano()
	last := x.lastReopen.Load()
	if now-last < int64(time.Second) || !x.lastReopen.CompareAndSwap(last, now) {
		return
	}
	go func() {
		x.mu.Lock()
		defer x.mu.Unlock()
		if x.bi != nil || x.closed {
			return
		}
		if err := x.openAgain(); err != nil {
			x.log.Warn("the index is still unavailable", "index", x.path, "err", err)
			return
		}
		x.log.Info("the index is open again", "index", x.path)
	}()
}

// openAgain opens the Bleve index at x.path into x.bi. x.mu is held.
func (x *Index) openAgain() error {
	bi, err := bleve.OpenUsing(x.path, runtimeConfig(x.merges))
	if err != nil {
		return err
	}
	x.bi = bi
	if err := x.setAnalyzers(); err != nil {
		x.log.Error("the reopened index lacks its analyzers", "err", err)
	}
	return nil
}

// Lookup returns the stored papers among ids, keyed by id.
func (x *Index) Lookup(ctx context.Context, ids []string) (map[string]Paper, error) {
	if err := x.rlock(); err != nil {
		return nil, err
	}
	defer x.mu.RUnlock()
	return x.lookup(ctx, ids)
}

func (x *Index) lookup(ctx context.Context, ids []string) (map[string]Paper, error) {
	out := make(map[string]Paper, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	req := bleve.NewSearchRequestOptions(query.NewDocIDQuery(ids), len(ids), 0, false)
	req.Fields = []string{fieldMeta}
	req.SortBy([]string{"_id"})
	res, err := x.bi.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("look up %d papers: %w", len(ids), err)
	}
	for _, h := range res.Hits {
		p, err := fromFields(h.ID, h.Fields)
		if err != nil {
			return nil, err
		}
		out[h.ID] = p
	}
	return out, nil
}

// Get returns one paper, or an error wrapping ErrNotFound.
func (x *Index) Get(ctx context.Context, id string) (Paper, error) {
	if err := x.rlock(); err != nil {
		return Paper{}, err
	}
	defer x.mu.RUnlock()
	return x.get(ctx, id)
}

func (x *Index) get(ctx context.Context, id string) (Paper, error) {
	m, err := x.lookup(ctx, []string{id})
	if err != nil {
		return Paper{}, err
	}
	p, ok := m[id]
	if !ok {
		return Paper{}, fmt.Errorf("paper %q: %w", id, ErrNotFound)
	}
	return p, nil
}

// toDoc turns a paper into its Bleve document. The paper is stored whole,
// compressed, in meta (see encodeStored); no other field is stored.
//
// Title and abstract are analysed here, once: their token counts go into
// the length fields, and their tokens into the document as analysedFields,
// so that Bleve does not analyse them a second time. Authors are analysed
// here too, so that no field with term vectors reaches the index with byte
// offsets (see tokenFrequencies).
//
// The words of title and abstract are added to words, for the vocabulary.
// storePaper makes what the meta field stores for a paper: encodeStored,
// or, in a test, an older stored form.
var storePaper = encodeStored

func (x *Index) toDoc(p *Paper, words *wordSet) (*document.Document, error) {
	b, err := storePaper(p)
	if err != nil {
		return nil, err
	}
	// Analysis lower-cases in place: it works on copies of the text.
	var title, abstract analysis.TokenStream
	if x.split != nil {
		var terms [][]byte
		title, terms = x.split.analyse(p.Title, nil)
		abstract, terms = x.split.analyse(p.Abstract, terms)
		words.nextPaper()
		words.addTokens(terms)
	} else {
		title, abstract = x.prose.Analyze([]byte(p.Title)), x.prose.Analyze([]byte(p.Abstract))
		x.paperWords(p, words)
	}
	data := map[string]any{
		fieldTitle:      p.Title,
		fieldAbstract:   p.Abstract,
		fieldAuthors:    p.Authors,
		fieldTopics:     p.Topics,
		fieldCategories: p.Categories,
		fieldUpvotes:    strconv.Itoa(p.Upvotes),
		fieldMeta:       string(b),
	}
	// Lengths as Bleve counts them: tokens left after analysis.
	if n := len(title); n > 0 {
		data[fieldTitleLen] = strconv.Itoa(n)
	}
	if n := len(abstract); n > 0 {
		data[fieldAbstractLen] = strconv.Itoa(n)
	}
	if t := p.publishedTime(); !t.IsZero() {
		data[fieldPublished] = t.Format(time.DateOnly)
		data[fieldYear] = fmt.Sprintf("%04d", t.Year())
	}
	doc := document.NewDocument(p.ID)
	if err := x.mapping.MapDocument(doc, data); err != nil {
		return nil, err
	}
	for i, f := range doc.Fields {
		tf, ok := f.(*document.TextField)
		if !ok {
			continue
		}
		// A field whose mapping names another analyzer (an index made
		// with another mapping) is left to Bleve.
		switch {
		case tf.Name() == fieldTitle && tf.Analyzer() == x.prose:
			doc.Fields[i] = newAnalysedField(tf, title)
		case tf.Name() == fieldAbstract && tf.Analyzer() == x.prose:
			doc.Fields[i] = newAnalysedField(tf, abstract)
		case tf.Name() == fieldAuthors && tf.Analyzer() == x.names:
			// One field per author: its array position keeps a phrase
			// from running from one author's name into the next.
			toks := x.names.Analyze(append([]byte(nil), tf.Value()...))
			f := newAnalysedField(tf, withFolded(toks))
			// The ASCII forms share their tokens' positions: the field's
			// length, which BM25 normalises by, counts the name's own
			// tokens, as Bleve's analysis of it does.
			f.length = len(toks)
			doc.Fields[i] = f
		}
	}
	return doc, nil
}

// withFolded adds to a name's tokens, at the same position, the ASCII form
// of each that has accents or other letters outside ASCII (balázs:
// balazs; müller: muller), so that a name typed without them is found, as
// people type names they cannot spell on their keyboard. The query's words
// are not folded: "Balázs" finds the spelling it gives.
func withFolded(toks analysis.TokenStream) analysis.TokenStream {
	out := toks
	for _, t := range toks {
		if !hasNonASCII(t.Term) {
			continue
		}
		folded := asciifolding.New().Filter(t.Term)
		if bytes.Equal(folded, t.Term) {
			continue
		}
		if len(out) == len(toks) {
			out = slices.Clip(out) // append to a copy, not into the analyzer's array
		}
		f := *t
		f.Term = folded
		out = append(out, &f)
	}
	return out
}

func hasNonASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// analysedField is a text field whose tokens are already known: Bleve's
// Analyze, which would compute them again, does nothing.
type analysedField struct {
	*document.TextField
	length int
	freqs  index.TokenFrequencies
}

func newAnalysedField(f *document.TextField, tokens analysis.TokenStream) *analysedField {
	return &analysedField{
		TextField: f,
		length:    len(tokens),
		freqs:     tokenFrequencies(tokens, f.ArrayPositions(), f.Options()),
	}
}

// tokenFrequencies is Bleve's analysis.TokenFrequency without the byte
// offsets of each occurrence: nothing reads them from the index (the
// highlighter analyses the stored text again, and phrases and proximity
// use positions), yet zap would store two varints for each and copy them
// through every merge. Zero offsets cost one byte each.
func tokenFrequencies(tokens analysis.TokenStream, arrayPositions []uint64, options index.FieldIndexingOptions) index.TokenFrequencies {
	if !options.IncludeTermVectors() {
		return analysis.TokenFrequency(tokens, arrayPositions, options)
	}
	// The frequencies and locations of all the terms share four
	// allocations, where each term took one and a growing list of
	// locations: BenchmarkToDoc/split makes 778 allocations a paper
	// rather than 1,030.
	rv := make(index.TokenFrequencies, len(tokens))
	freqs := make([]index.TokenFreq, 0, len(tokens))
	of := make([]*index.TokenFreq, len(tokens)) // each token's term
	for i, t := range tokens {
		tf, ok := rv[string(t.Term)]
		if !ok {
			freqs = append(freqs, index.TokenFreq{Term: t.Term})
			tf = &freqs[len(freqs)-1] // freqs never grows past its capacity
			rv[string(t.Term)] = tf
		}
		tf.SetFrequency(tf.Frequency() + 1)
		of[i] = tf
	}
	locs := make([]index.TokenLocation, len(tokens))
	ptrs := make([]*index.TokenLocation, len(tokens))
	at := 0
	for i := range freqs {
		n := freqs[i].Frequency()
		freqs[i].Locations = ptrs[at : at : at+n]
		at += n
	}
	for i, t := range tokens {
		locs[i] = index.TokenLocation{ArrayPositions: arrayPositions, Position: t.Position}
		of[i].Locations = append(of[i].Locations, &locs[i])
	}
	if options.SkipFreqNorm() {
		for i := range freqs {
			freqs[i].SetFrequency(0)
		}
	}
	return rv
}

func (f *analysedField) Analyze() {}

func (f *analysedField) AnalyzedLength() int { return f.length }

func (f *analysedField) AnalyzedTokenFrequencies() index.TokenFrequencies { return f.freqs }

func fromFields(id string, fields map[string]any) (Paper, error) {
	p := Paper{ID: id}
	if s, ok := fields[fieldMeta].(string); ok {
		var err error
		if p, err = decodeStored(id, []byte(s)); err != nil {
			return Paper{}, err
		}
	}
	if p.Authors == nil {
		p.Authors = []string{}
	}
	if p.Categories == nil {
		p.Categories = []string{}
	}
	if p.Topics == nil {
		p.Topics = []string{}
	}
	return p, nil
}
