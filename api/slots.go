package api

import (
	"context"
	"slices"
	"sync"
)

// slots bounds the searches that run at once. Searches are CPU-bound:
// running more at once than there are CPUs only makes each slower, until
// all of them miss their deadline together. A search waits for a slot in
// line; when one frees, ordinary searches go first and expensive ones
// (deep pages, long queries, many filters) take what is left, so that a
// client looping costly requests cannot crowd out everyone else. Expensive
// searches are also capped on their own.
type slots struct {
	mu       sync.Mutex
	free     int
	heavy    int // expensive searches running
	maxHeavy int
	// waiting, in arrival order, for each class.
	normal, expensive []chan struct{}
}

func newSlots(n, maxHeavy int) *slots {
	return &slots{free: n, maxHeavy: maxHeavy}
}

// acquire waits for a slot until ctx is done; it reports whether it got
// one, which the caller must hand back with release(expensive).
func (s *slots) acquire(ctx context.Context, expensive bool) bool {
	s.mu.Lock()
	if s.free > 0 && len(s.normal) == 0 && (!expensive || len(s.expensive) == 0 && s.heavy < s.maxHeavy) {
		s.take(expensive)
		s.mu.Unlock()
		return true
	}
	ready := make(chan struct{}, 1)
	if expensive {
		s.expensive = append(s.expensive, ready)
	} else {
		s.normal = append(s.normal, ready)
	}
	s.mu.Unlock()

	select {
	case <-ready:
		return true
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := &s.normal
	if expensive {
		q = &s.expensive
	}
	if i := slices.Index(*q, ready); i >= 0 {
		*q = slices.Delete(*q, i, i+1)
		return false
	}
	// The slot was handed over as the wait ended; pass it on.
	s.releaseLocked(expensive)
	return false
}

// take counts a slot as used; s.mu is held.
func (s *slots) take(expensive bool) {
	s.free--
	if expensive {
		s.heavy++
	}
}

// release hands a slot back, to the first ordinary search waiting, else
// to the first expensive one that may run.
func (s *slots) release(expensive bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked(expensive)
}

func (s *slots) releaseLocked(expensive bool) {
	s.free++
	if expensive {
		s.heavy--
	}
	switch {
	case len(s.normal) > 0:
		next := s.normal[0]
		s.normal = s.normal[1:]
		s.take(false)
		next <- struct{}{}
	case len(s.expensive) > 0 && s.heavy < s.maxHeavy:
		next := s.expensive[0]
		s.expensive = s.expensive[1:]
		s.take(true)
		next <- struct{}{}
	}
}
