package api

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/papersearch/papersearch/search"
)

// When every slot for expensive searches is taken, an expensive search
// waits until its deadline and gets 503 with Retry-After; a cheap one runs
// at once.
func TestExpensiveSearchesWaitForASlot(t *testing.T) {
	idx, err := search.Open(filepath.Join(t.TempDir(), "index"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if err := idx.Put([]search.Paper{{ID: "2401.00001", Title: "Pruning", Published: "2024-01-01"}}); err != nil {
		t.Fatal(err)
	}
	s, h, err := build(Config{Index: idx, QueueWait: 50 * time.Millisecond, ExpensiveSlots: 1, MaxSearches: 2})
	if err != nil {
		t.Fatal(err)
	}
	get := func(target string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		return w
	}
	deep := "/api/search?q=pruning&page=20&size=100"
	if w := get(deep); w.Code != http.StatusOK {
		t.Fatalf("expensive search with a free slot: %d %s", w.Code, w.Body)
	}
	s.heavy <- struct{}{} // another expensive search runs
	w := get(deep)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" {
		t.Errorf("expensive search without a slot: %d, Retry-After %q; want 503 and 1", w.Code, w.Header().Get("Retry-After"))
	}
	if w := get("/?q=" + "a+b+c+d+e+f+g+h+i"); w.Code != http.StatusServiceUnavailable {
		t.Errorf("expensive page without a slot: %d", w.Code)
	}
	if w := get("/api/search?q=pruning"); w.Code != http.StatusOK {
		t.Errorf("cheap search while the slot is taken: %d", w.Code)
	}
	<-s.heavy
	if w := get(deep); w.Code != http.StatusOK {
		t.Errorf("expensive search once the slot is free: %d", w.Code)
	}
	// With every search slot taken, even a cheap search waits, then gets
	// 503.
	s.slots <- struct{}{}
	s.slots <- struct{}{}
	if w := get("/api/search?q=pruning"); w.Code != http.StatusServiceUnavailable {
		t.Errorf("cheap search with no slot: %d", w.Code)
	}
	<-s.slots
	if w := get("/api/search?q=pruning"); w.Code != http.StatusOK {
		t.Errorf("cheap search with a slot: %d", w.Code)
	}
}
