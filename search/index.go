package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search/query"
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
	bi   bleve.Index
	path string
	log  *slog.Logger
	cols *columnCache
	// generation counts committed writes; it changes whenever results may.
	generation atomic.Uint64
	// Batches may be written concurrently, and Bleve applies them in the
	// order they finish, so the generation a batch records may be
	// overwritten by an older one. genMu tracks that, so that the highest
	// is recorded again once writes stop overlapping.
	genMu      sync.Mutex
	writers    int
	overlapped bool
}

// Open opens the index at path, creating it (and the directory) if missing.
func Open(path string, log *slog.Logger) (*Index, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bi, err := bleve.OpenUsing(path, scorchConfig())
	switch {
	case errors.Is(err, bleve.ErrorIndexPathDoesNotExist):
		bi, err = create(path)
		if err != nil {
			return nil, err
		}
	case err != nil:
		return nil, openError(path, err)
	}
	idx := &Index{bi: bi, path: path, log: log, cols: newColumnCache()}
	if err := idx.checkSchema(); err != nil {
		bi.Close()
		return nil, err
	}
	if b, err := bi.GetInternal([]byte(internalGeneration)); err == nil && len(b) > 0 {
		g, _ := strconv.ParseUint(string(b), 10, 64)
		idx.generation.Store(g)
	}
	// Record the writer so that a second process can say who holds the lock.
	_ = os.WriteFile(filepath.Join(path, pidFile), []byte(strconv.Itoa(os.Getpid())), 0o644)
	return idx, nil
}

func create(path string) (bleve.Index, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create index directory %s: %w", path, err)
	}
	m, err := newMapping()
	if err != nil {
		return nil, fmt.Errorf("build index mapping: %w", err)
	}
	bi, err := bleve.NewUsing(path, m, scorch.Name, scorch.Name, scorchConfig())
	if err != nil {
		return nil, openError(path, err)
	}
	if err := bi.SetInternal([]byte(internalSchema), []byte(schemaVersion)); err != nil {
		bi.Close()
		return nil, fmt.Errorf("create index %s: %w", path, err)
	}
	return bi, nil
}

// maxSegmentDocs caps the papers in one index segment. Merging reads its
// input segments through memory maps, which count as resident memory while
// a merge runs; without a cap the last merges of a big build map the whole
// index at once (a million papers take some 3 GB). Searches pay a little
// for the extra segments (a tenth more per query at 11 segments than at 2).
const maxSegmentDocs = 100_000

func scorchConfig() map[string]any {
	return map[string]any{
		"bolt_timeout": lockWait.String(),
		// Scorch starts from its default merge plan and overrides what
		// this names.
		"scorchMergePlanOptions": map[string]any{"MaxSegmentSize": maxSegmentDocs},
	}
}

func openError(path string, err error) error {
	if strings.Contains(err.Error(), "timeout") {
		who := "another process"
		if b, rerr := os.ReadFile(filepath.Join(path, pidFile)); rerr == nil {
			who = "process " + strings.TrimSpace(string(b))
		}
		return fmt.Errorf("open index %s: %w: %s holds it; stop it, or use its HTTP API, or pass another --index", path, ErrLocked, who)
	}
	if errors.Is(err, bleve.ErrorIndexMetaCorrupt) || errors.Is(err, bleve.ErrorUnknownIndexType) {
		return fmt.Errorf("open index %s: %w: %v; delete the directory and index again", path, ErrSchema, err)
	}
	return fmt.Errorf("open index %s: %w", path, err)
}

func (x *Index) checkSchema() error {
	b, err := x.bi.GetInternal([]byte(internalSchema))
	if err != nil {
		return fmt.Errorf("open index %s: read schema version: %w", x.path, err)
	}
	if string(b) != schemaVersion {
		found := string(b)
		if found == "" {
			found = "none"
		}
		return fmt.Errorf("open index %s: %w: it has schema %s, this papersearch needs %s; delete the directory and index again",
			x.path, ErrSchema, found, schemaVersion)
	}
	return nil
}

// Path returns the directory the index lives in.
func (x *Index) Path() string { return x.path }

// Generation changes whenever a write is committed.
func (x *Index) Generation() uint64 { return x.generation.Load() }

// Close flushes and closes the index.
func (x *Index) Close() error {
	if err := x.bi.Close(); err != nil {
		return fmt.Errorf("close index %s: %w", x.path, err)
	}
	_ = os.Remove(filepath.Join(x.path, pidFile))
	return nil
}

// Count returns the number of papers in the index.
func (x *Index) Count() (uint64, error) {
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
	b := x.bi.NewBatch()
	for i := range papers {
		p := &papers[i]
		if p.ID == "" {
			return fmt.Errorf("put paper %q: empty id", p.Title)
		}
		doc, err := toDoc(p)
		if err != nil {
			return fmt.Errorf("put paper %s: %w", p.ID, err)
		}
		if err := b.Index(p.ID, doc); err != nil {
			return fmt.Errorf("put paper %s: %w", p.ID, err)
		}
	}
	return x.commit(b)
}

// Delete removes papers by id; unknown ids are ignored.
func (x *Index) Delete(ids []string) error {
	b := x.bi.NewBatch()
	for _, id := range ids {
		b.Delete(id)
	}
	return x.commit(b)
}

func (x *Index) commit(b *bleve.Batch) error {
	x.genMu.Lock()
	x.writers++
	x.overlapped = x.overlapped || x.writers > 1
	g := x.generation.Add(1)
	x.genMu.Unlock()
	b.SetInternal([]byte(internalGeneration), []byte(strconv.FormatUint(g, 10)))
	err := x.bi.Batch(b)

	x.genMu.Lock()
	defer x.genMu.Unlock()
	x.writers--
	if err != nil {
		return fmt.Errorf("write batch to %s: %w", x.path, err)
	}
	if x.writers == 0 && x.overlapped {
		// No write is running and none can start while genMu is held.
		x.overlapped = false
		g := strconv.FormatUint(x.generation.Load(), 10)
		if err := x.bi.SetInternal([]byte(internalGeneration), []byte(g)); err != nil {
			return fmt.Errorf("write generation to %s: %w", x.path, err)
		}
	}
	return nil
}

// Lookup returns the stored papers among ids, keyed by id.
func (x *Index) Lookup(ctx context.Context, ids []string) (map[string]Paper, error) {
	out := make(map[string]Paper, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	req := bleve.NewSearchRequestOptions(query.NewDocIDQuery(ids), len(ids), 0, false)
	req.Fields = []string{fieldDoc}
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
	m, err := x.Lookup(ctx, []string{id})
	if err != nil {
		return Paper{}, err
	}
	p, ok := m[id]
	if !ok {
		return Paper{}, fmt.Errorf("paper %q: %w", id, ErrNotFound)
	}
	return p, nil
}

// toDoc turns a paper into the Bleve document.
func toDoc(p *Paper) (map[string]any, error) {
	stored, err := encodeStored(p)
	if err != nil {
		return nil, err
	}
	doc := map[string]any{
		fieldTitle:      p.Title,
		fieldAbstract:   p.Abstract,
		fieldAuthors:    p.Authors,
		fieldTopics:     p.Topics,
		fieldCategories: p.Categories,
		fieldUpvotes:    upvotesKey(p.Upvotes),
		fieldDoc:        stored,
	}
	if t := p.publishedTime(); !t.IsZero() {
		doc[fieldPublished] = t.Format(time.DateOnly)
		doc[fieldYear] = strconv.Itoa(t.Year())
	}
	return doc, nil
}

// upvotesKey writes upvotes so that keys sort as the numbers do.
func upvotesKey(n int) string {
	return fmt.Sprintf("%010d", min(max(n, 0), 1<<31-1))
}

func fromFields(id string, fields map[string]any) (Paper, error) {
	s, _ := fields[fieldDoc].(string)
	return decodeStored(id, []byte(s))
}
