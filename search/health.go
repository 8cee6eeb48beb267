package search

import (
	"errors"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"
)

// Scorch persists and merges segments in background goroutines; when one
// of those fails (a full disk, an I/O error) nothing returns an error to a
// caller. Bleve hands such errors to a callback registered by name, which
// knows the index only by its store path, hence the registry of open
// indexes below: the one piece of package state, and it exists because
// Bleve's registry is global.

const asyncErrorCallback = "papersearch"

// openStores maps the store path of each open, writable Index to it.
var openStores sync.Map

func init() {
	scorch.RegistryAsyncErrorCallbacks[asyncErrorCallback] = func(err error, path string) {
		if v, ok := openStores.Load(path); ok {
			v.(*Index).asyncError(err)
			return
		}
		slog.Error("index background error", "store", path, "err", err)
	}
}

// DiskSize adds up the sizes of the files under dir, an index directory
// or any other. Files vanish while Bleve merges segments; those are
// skipped, not errors.
func DiskSize(dir string) int64 {
	var total int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return total
}

// storePath is where Bleve keeps an index's data, the path its callbacks
// name.
func storePath(path string) string { return filepath.Join(path, "store") }

// degradedFor is how long after a background error Health reports the
// index as degraded.
const degradedFor = 5 * time.Minute

// Health is the state of an index's background work.
type Health struct {
	// Degraded is true when a background error happened in the last few
	// minutes: recent writes may not be on disk yet, and searches may be
	// slower than they should.
	Degraded bool
	// LastError is the most recent background error, if any, and when it
	// happened; Errors counts them since the index was opened.
	LastError   string
	LastErrorAt time.Time
	Errors      uint64
}

type healthState struct {
	mu         sync.Mutex
	last       error
	at         time.Time
	count      uint64
	lastLogged time.Time
	unlogged   int
}

// asyncError records a background error and logs it, at most once a
// second: scorch's persister retries a failed write at once and would
// otherwise flood the log.
func (x *Index) asyncError(err error) {
	h := &x.health
	h.mu.Lock()
	now := time.Now()
	h.last, h.at = err, now
	h.count++
	if now.Sub(h.lastLogged) < time.Second {
		h.unlogged++
		h.mu.Unlock()
		return
	}
	repeats := h.unlogged
	h.lastLogged, h.unlogged = now, 0
	h.mu.Unlock()
	attrs := []any{"index", x.path, "err", err, "not_logged_since_last", repeats}
	if se, ok := errors.AsType[*scorch.ScorchError](err); ok {
		attrs = append(attrs, "kind", string(se.ErrType))
	}
	x.log.Error("index background error; recent writes may not be on disk", attrs...)
}

// Health reports background errors.
func (x *Index) Health() Health {
	h := &x.health
	h.mu.Lock()
	defer h.mu.Unlock()
	out := Health{Errors: h.count, LastErrorAt: h.at}
	if h.last != nil {
		out.LastError = h.last.Error()
		out.Degraded = time.Since(h.at) < degradedFor
	}
	return out
}
