package search_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/papersearch/papersearch/search"
)

func TestOpenCreatesDirectoryAndReopens(t *testing.T) {
	// Two levels that do not exist yet: Open must create both.
	dir := filepath.Join(t.TempDir(), "data", "papersearch", "index")
	idx, err := search.Open(dir, testLogger(t))
	if err != nil {
		t.Fatalf("Open new: %v", err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("index directory %s not created: %v", dir, err)
	}
	if idx.Path() != dir {
		t.Errorf("Path() = %q, want %q", idx.Path(), dir)
	}
	if n, err := idx.Count(); err != nil || n != 0 {
		t.Fatalf("Count of a new index = %d, %v; want 0", n, err)
	}
	if err := idx.Put(corpus()); err != nil {
		t.Fatalf("Put: %v", err)
	}
	topics := []search.Topic{{Slug: "pruning", Label: "Pruning", Description: "Removing weights."}}
	if err := idx.SetTopics(topics); err != nil {
		t.Fatalf("SetTopics: %v", err)
	}
	gen := idx.Generation()
	if gen == 0 {
		t.Errorf("Generation() after a Put = 0; want it to move")
	}
	if err := idx.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	idx, err = search.Open(dir, testLogger(t))
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer idx.Close()
	if n, err := idx.Count(); err != nil || n != uint64(len(corpus())) {
		t.Errorf("Count after reopen = %d, %v; want %d", n, err, len(corpus()))
	}
	if g := idx.Generation(); g != gen {
		t.Errorf("Generation() after reopen = %d, want %d (it is persisted)", g, gen)
	}
	got, err := idx.Topics()
	if err != nil || !reflect.DeepEqual(got, topics) {
		t.Errorf("Topics() after reopen = %+v, %v; want %+v", got, err, topics)
	}
	if _, err := idx.Get(context.Background(), idPruningTitle); err != nil {
		t.Errorf("Get after reopen: %v", err)
	}
}

func TestTopicsOfNewIndexIsNil(t *testing.T) {
	idx := openIndex(t)
	got, err := idx.Topics()
	if err != nil || got != nil {
		t.Errorf("Topics() = %v, %v; want nil, nil", got, err)
	}
}

func TestPutGetLookup(t *testing.T) {
	ctx := context.Background()
	idx := openCorpus(t)
	want := map[string]search.Paper{}
	for _, p := range corpus() {
		// A stored paper comes back with empty lists, never nil ones, so
		// that JSON shows [] rather than null.
		for _, s := range []*[]string{&p.Authors, &p.Categories, &p.Topics} {
			if *s == nil {
				*s = []string{}
			}
		}
		want[p.ID] = p
	}

	for id, p := range want {
		t.Run(id, func(t *testing.T) {
			got, err := idx.Get(ctx, id)
			if err != nil {
				t.Fatalf("Get(%q): %v", id, err)
			}
			if !reflect.DeepEqual(got, p) {
				t.Errorf("Get(%q) =\n%+v\nwant\n%+v", id, got, p)
			}
		})
	}

	t.Run("missing id", func(t *testing.T) {
		_, err := idx.Get(ctx, "0000.00000")
		if !errors.Is(err, search.ErrNotFound) {
			t.Errorf("Get(missing) error = %v, want ErrNotFound", err)
		}
	})
	t.Run("lookup returns the found ids only", func(t *testing.T) {
		got, err := idx.Lookup(ctx, []string{idGPTQ, "nope", idOldStyle})
		if err != nil {
			t.Fatalf("Lookup: %v", err)
		}
		if len(got) != 2 || got[idGPTQ].Title != want[idGPTQ].Title || got[idOldStyle].Title != want[idOldStyle].Title {
			t.Errorf("Lookup = %v, want %s and %s", got, idGPTQ, idOldStyle)
		}
	})
	t.Run("lookup of no ids", func(t *testing.T) {
		got, err := idx.Lookup(ctx, nil)
		if err != nil || len(got) != 0 {
			t.Errorf("Lookup(nil) = %v, %v; want empty", got, err)
		}
	})
	t.Run("empty id is refused", func(t *testing.T) {
		if err := idx.Put([]search.Paper{{Title: "No id"}}); err == nil {
			t.Error("Put of a paper without id succeeded")
		}
	})
}

func TestPutUpsertsByID(t *testing.T) {
	ctx := context.Background()
	idx := openCorpus(t)
	n0, _ := idx.Count()
	gen := idx.Generation()

	p := corpus()[0]
	p.Title = "Structured Pruning, Revised"
	p.Upvotes = 99
	// The same id twice in one batch, and again in another: one document.
	if err := idx.Put([]search.Paper{p, p}); err != nil {
		t.Fatal(err)
	}
	if err := idx.Put(corpus()[1:3]); err != nil {
		t.Fatal(err)
	}
	if n, _ := idx.Count(); n != n0 {
		t.Errorf("Count after upserts = %d, want %d", n, n0)
	}
	if idx.Generation() == gen {
		t.Error("Generation() did not change after a write")
	}
	got, err := idx.Get(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != p.Title || got.Upvotes != 99 {
		t.Errorf("after upsert got %q with %d upvotes, want %q with 99", got.Title, got.Upvotes, p.Title)
	}
	// The old title must be gone from the inverted index, not only from the
	// stored fields.
	res, err := idx.Search(ctx, search.Request{Query: "revised"})
	if err != nil || res.Total != 1 {
		t.Errorf("search for the new title: total %d, %v; want 1", res.Total, err)
	}
	res, err = idx.Search(ctx, search.Request{Query: "language models", Topics: []string{"pruning"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		if h.Paper.ID == p.ID && h.Highlights["title"][0] != "Structured Pruning, Revised" {
			t.Errorf("stale title highlight %q", h.Highlights["title"][0])
		}
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	idx := openCorpus(t)
	n0, _ := idx.Count()
	if err := idx.Delete([]string{idGPTQ, "not-there"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := idx.Count(); n != n0-1 {
		t.Errorf("Count after Delete = %d, want %d", n, n0-1)
	}
	if _, err := idx.Get(ctx, idGPTQ); !errors.Is(err, search.ErrNotFound) {
		t.Errorf("Get of a deleted paper: %v, want ErrNotFound", err)
	}
}

func TestTopicCounts(t *testing.T) {
	idx := openCorpus(t)
	got, err := idx.TopicCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		"pruning": 2, "quantization": 2, "retrieval-augmented": 2, "perplexity": 1,
		"inference-efficiency": 1, "long-context": 1, "tokenization": 1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TopicCounts = %v, want %v", got, want)
	}
}

// A second Open of an index that is open fails once the lock wait (3 s)
// runs out, with an error that names the holder and says what to do.
func TestOpenLockedIndex(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "index")
	idx, err := search.Open(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			idx.Close()
		}
	}()
	if err := idx.SetOwner("serve", "http://localhost:8123"); err != nil {
		t.Fatal(err)
	}

	second, err := search.Open(dir, testLogger(t))
	if err == nil {
		second.Close()
		t.Fatal("second Open of an open index succeeded")
	}
	if !errors.Is(err, search.ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	le, ok := errors.AsType[*search.LockedError](err)
	if !ok {
		t.Fatalf("second Open: %T, want *LockedError", err)
	}
	want := search.Owner{PID: os.Getpid(), Kind: "serve", URL: "http://localhost:8123"}
	if le.Owner != want {
		t.Errorf("LockedError.Owner = %+v, want %+v", le.Owner, want)
	}
	for _, s := range []string{fmt.Sprintf("pid %d", os.Getpid()), "http://localhost:8123", "use its HTTP API"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	t.Logf("second Open: %v", err)

	// Once the first is closed, its owner record is gone and the index
	// opens again.
	closed = true
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	if o, ok := search.ReadOwner(dir); ok {
		t.Errorf("owner record %+v left after Close", o)
	}
	third, err := search.Open(dir, testLogger(t))
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	third.Close()
}

func TestLockedErrorMessages(t *testing.T) {
	tests := []struct {
		owner search.Owner
		want  string
	}{
		{search.Owner{}, "another process holds it; stop it, or pass another --index"},
		{search.Owner{PID: 42}, "process 42 holds it; stop it"},
		{search.Owner{PID: 42, Kind: "index"}, "papersearch index (pid 42) holds it; wait for it to finish"},
		{search.Owner{PID: 42, Kind: "serve", URL: "http://localhost:1"}, "papersearch serve (pid 42) at http://localhost:1 holds it; use its HTTP API"},
	}
	for _, tt := range tests {
		err := &search.LockedError{Path: "/x", Owner: tt.owner}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %q does not say %q", tt.owner, err, tt.want)
		}
	}
}

// Versions before the JSON owner record wrote a bare pid.
func TestReadOwnerOfOlderVersion(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "papersearch.pid"), []byte("1234"), 0o644); err != nil {
		t.Fatal(err)
	}
	if o, ok := search.ReadOwner(dir); !ok || o != (search.Owner{PID: 1234}) {
		t.Errorf("ReadOwner = %+v, %v; want pid 1234", o, ok)
	}
}

// An empty directory (a fresh volume) is where a new index goes, and
// creating one leaves nothing else behind next to it.
func TestOpenEmptyDirectory(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "index")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	idx, err := search.Open(dir, testLogger(t))
	if err != nil {
		t.Fatalf("Open of an empty directory: %v", err)
	}
	idx.Close()
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("next to the index: %v; want only the index", names)
	}
}

func TestOpenRefusesNonIndex(t *testing.T) {
	// A directory with something that is not a Bleve index in it.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index_meta.json"), []byte("not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	idx, err := search.Open(dir, testLogger(t))
	if err == nil {
		idx.Close()
		t.Fatal("Open of a corrupt index succeeded")
	}
	if !errors.Is(err, search.ErrSchema) {
		t.Errorf("Open of a corrupt index: %v, want ErrSchema", err)
	}
}
