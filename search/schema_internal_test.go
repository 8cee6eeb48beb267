package search

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"
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
			// The refused index was closed: opening it again fails the same
			// way at once instead of waiting for a lock.
			if _, err := Open(path, nil); !errors.Is(err, ErrSchema) {
				t.Errorf("second Open: %v, want ErrSchema again", err)
			}
		})
	}
}
