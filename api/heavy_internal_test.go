package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/papersearch/papersearch/search"
)

// When slots are taken, a search waits in line until its queue deadline
// and then gets 503 with Retry-After; an expensive search also waits for
// its own class's cap.
func TestSearchesWaitForASlot(t *testing.T) {
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
		t.Fatalf("expensive search with free slots: %d %s", w.Code, w.Body)
	}
	ctx := context.Background()
	s.slots.acquire(ctx, true) // another expensive search runs
	w := get(deep)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" {
		t.Errorf("expensive search past the expensive cap: %d, Retry-After %q; want 503 and 1", w.Code, w.Header().Get("Retry-After"))
	}
	if w := get("/api/search?q=pruning"); w.Code != http.StatusOK {
		t.Errorf("cheap search while the expensive slot is taken: %d", w.Code)
	}
	s.slots.acquire(ctx, false) // and an ordinary one: every slot taken
	if w := get("/api/search?q=pruning"); w.Code != http.StatusServiceUnavailable {
		t.Errorf("cheap search with no slot: %d", w.Code)
	}
	s.slots.release(false)
	s.slots.release(true)
	if w := get(deep); w.Code != http.StatusOK {
		t.Errorf("expensive search once slots are free: %d", w.Code)
	}
}

// A freed slot goes to the ordinary searches waiting before the expensive
// ones, whatever the order they came in.
func TestOrdinarySearchesGoFirst(t *testing.T) {
	s := newSlots(1, 1)
	ctx := context.Background()
	if !s.acquire(ctx, false) {
		t.Fatal("first acquire failed")
	}
	order := make(chan string, 2)
	started := make(chan struct{}, 2)
	for _, kind := range []string{"expensive", "ordinary"} {
		go func() {
			started <- struct{}{}
			if s.acquire(ctx, kind == "expensive") {
				order <- kind
				s.release(kind == "expensive")
			}
		}()
		<-started
		// Let this waiter join the line before the next one.
		for {
			s.mu.Lock()
			n := len(s.normal) + len(s.expensive)
			s.mu.Unlock()
			if (kind == "expensive" && n == 1) || n == 2 {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	s.release(false)
	if first, second := <-order, <-order; first != "ordinary" || second != "expensive" {
		t.Errorf("slots went to %s, then %s; want ordinary first", first, second)
	}
}

// A waiter that gives up leaves the line, and a slot handed to it as it
// gave up is passed on.
func TestSlotWaitCanceled(t *testing.T) {
	s := newSlots(1, 1)
	if !s.acquire(context.Background(), false) {
		t.Fatal("acquire failed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if s.acquire(ctx, false) {
		t.Fatal("acquire with no slot succeeded")
	}
	if len(s.normal) != 0 {
		t.Errorf("%d waiters left in line", len(s.normal))
	}
	s.release(false)
	if s.free != 1 {
		t.Errorf("free = %d after all releases, want 1", s.free)
	}
}
