package search

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Owner describes the process that has an index open, as it recorded
// itself in the index directory. Bleve's lock says that someone holds the
// index; this says who, so that the next process can tell its user.
type Owner struct {
	PID int `json:"pid"`
	// Kind is the papersearch command ("serve", "index", ...), or "" when
	// the owner did not say.
	Kind string `json:"kind,omitempty"`
	// URL is where a serving owner answers, e.g. http://localhost:8080.
	URL string `json:"url,omitempty"`
}

func (o Owner) String() string {
	switch {
	case o.PID == 0:
		return "another process"
	case o.Kind == "":
		return fmt.Sprintf("process %d", o.PID)
	case o.URL != "":
		return fmt.Sprintf("papersearch %s (pid %d) at %s", o.Kind, o.PID, o.URL)
	}
	return fmt.Sprintf("papersearch %s (pid %d)", o.Kind, o.PID)
}

// LockedError means another process holds the index open. It wraps
// ErrLocked.
type LockedError struct {
	Path  string
	Owner Owner // zero when the owner left no record
}

func (e *LockedError) Error() string {
	what := "stop it, or pass another --index"
	switch e.Owner.Kind {
	case "serve":
		what = "use its HTTP API, stop it, or pass another --index"
	case "index", "backup", "compact":
		what = "wait for it to finish, stop it, or pass another --index"
	}
	return fmt.Sprintf("open index %s: %v: %s holds it; %s", e.Path, ErrLocked, e.Owner, what)
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// ReadOwner returns the owner recorded in the index directory at path. The
// record may be stale (its process gone): only a failed Open proves that
// someone holds the index.
func ReadOwner(path string) (Owner, bool) {
	b, err := os.ReadFile(filepath.Join(path, pidFile))
	if err != nil {
		return Owner{}, false
	}
	var o Owner
	if json.Unmarshal(b, &o) == nil && o.PID > 0 {
		return o, true
	}
	// Versions before the JSON record wrote the bare pid.
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
		return Owner{PID: pid}, true
	}
	return Owner{}, false
}

// SetOwner records what this process is, and for a server where it
// answers, so that another process refused the lock can say so.
func (x *Index) SetOwner(kind, url string) error {
	return writeOwner(x.path, Owner{PID: os.Getpid(), Kind: kind, URL: url})
}

// writeOwner replaces the owner record atomically, so that a reader never
// sees half of it.
func writeOwner(path string, o Owner) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	tmp := filepath.Join(path, pidFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(path, pidFile))
}
