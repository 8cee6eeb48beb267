package search

import (
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
)

// Open must refuse an index this version cannot serve. Writing another
// schema version needs the index's internals, hence a test inside the
// package.
func TestOpenSchemaMismatch(t *testing.T) {
	tests := []struct {
		name string
		// make leaves an index at path that is not of the current schema.
		make      func(t *testing.T, path string)
		wantFound string // the schema the error reports
	}{
		{
			name: "older schema version",
			make: func(t *testing.T, path string) {
				x, err := Open(path, nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := x.bi.SetInternal([]byte(internalSchema), []byte("0")); err != nil {
					t.Fatal(err)
				}
				if err := x.Close(); err != nil {
					t.Fatal(err)
				}
			},
			wantFound: "schema 0",
		},
		{
			name: "a Bleve index made by something else",
			make: func(t *testing.T, path string) {
				bi, err := bleve.New(path, bleve.NewIndexMapping())
				if err != nil {
					t.Fatal(err)
				}
				if err := bi.Close(); err != nil {
					t.Fatal(err)
				}
			},
			wantFound: "schema none",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "index")
			tt.make(t, path)
			x, err := Open(path, nil)
			if err == nil {
				x.Close()
				t.Fatal("Open succeeded; want ErrSchema")
			}
			if !errors.Is(err, ErrSchema) {
				t.Fatalf("Open: %v, want ErrSchema", err)
			}
			if !strings.Contains(err.Error(), tt.wantFound) || !strings.Contains(err.Error(), "needs "+schemaVersion) {
				t.Errorf("error %q should name the found schema (%s) and the needed one (%s)", err, tt.wantFound, schemaVersion)
			}
			if want := "rebuild it from your sources: move " + path + " aside (or delete it), then run 'papersearch index --index " + path + " SOURCE...'"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q should say how to rebuild: %q", err, want)
			}
			// The refused index was closed: opening it again fails the same
			// way at once instead of waiting for a lock.
			if _, err := Open(path, nil); !errors.Is(err, ErrSchema) {
				t.Errorf("second Open: %v, want ErrSchema again", err)
			}
		})
	}
}

// Bleve's background errors reach the index they come from, through the
// callback registered by name, and show in Health.
func TestAsyncErrorsShowInHealth(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index")
	x, err := Open(path, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if h := x.Health(); h.Degraded || h.Errors != 0 || h.LastError != "" {
		t.Fatalf("Health of a new index = %+v, want healthy", h)
	}
	callback := scorch.RegistryAsyncErrorCallbacks[asyncErrorCallback]
	for range 3 {
		callback(scorch.NewScorchError("persister", "write 000000000002.zap: no space left on device", scorch.ErrPersist), storePath(path))
	}
	h := x.Health()
	if !h.Degraded || h.Errors != 3 || !strings.Contains(h.LastError, "no space left on device") || h.LastErrorAt.IsZero() {
		t.Errorf("Health after background errors = %+v, want degraded with the last error", h)
	}
	// An error for an index that is not open here goes to the default
	// logger rather than nowhere, and touches no open index.
	callback(errors.New("elsewhere"), filepath.Join(t.TempDir(), "store"))
	if h := x.Health(); h.Errors != 3 {
		t.Errorf("an error of another index counted here: %+v", h)
	}
}

// The index must never run with unsafe_batch, whatever its metadata says:
// a batch must be on disk when Put returns.
func TestUnsafeBatchIsOff(t *testing.T) {
	if v, ok := runtimeConfig(mergePlan())["unsafe_batch"].(bool); !ok || v {
		t.Errorf("runtimeConfig unsafe_batch = %v, %v; want false, set explicitly", v, ok)
	}
}
