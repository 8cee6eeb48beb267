package indexer

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestHashSet holds hashSet to a map through several merges, with hashes
// added again, and its memory to about 9 bytes a hash.
func TestHashSet(t *testing.T) {
	tests := []struct {
		name    string
		adds    int
		repeats int // one add in repeats is of a hash added before
	}{
		{"empty", 0, 0},
		{"under one merge", recentMin - 1, 0},
		{"one merge", recentMin, 0},
		{"many merges", 300_000, 0},
		{"many merges, repeats", 300_000, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tt.adds)))
			var s hashSet
			want := map[uint64]bool{}
			var added []uint64
			// merges and grows count the merges into the run, and those
			// that found it without room and copied it.
			merges, grows, lastCap := 0, 0, 0
			for i := range tt.adds {
				h := rng.Uint64()
				if tt.repeats > 0 && i%tt.repeats == 0 && len(added) > 0 {
					h = added[rng.IntN(len(added))]
				}
				n := len(s.run)
				s.add(h)
				if len(s.run) != n {
					merges++
				}
				if cap(s.run) != lastCap {
					grows, lastCap = grows+1, cap(s.run)
				}
				want[h] = true
				added = append(added, h)
				if i%10_007 == 0 && !s.has(h) {
					t.Fatalf("add %d: %#x not found right after", i, h)
				}
			}
			if s.len() != len(want) {
				t.Errorf("len %d, want %d", s.len(), len(want))
			}
			for h := range want {
				if !s.has(h) {
					t.Fatalf("%#x added and not found", h)
				}
			}
			for range 10_000 {
				if h := rng.Uint64(); s.has(h) != want[h] {
					t.Fatalf("has(%#x) = %v", h, !want[h])
				}
			}
			if !slices.IsSorted(s.run) || len(slices.Compact(slices.Clone(s.run))) != len(s.run) {
				t.Error("run not sorted, or with repeats")
			}
			for _, h := range s.run {
				if _, ok := s.recent[h]; ok {
					t.Fatalf("%#x both in the run and recent", h)
				}
			}
			if n := len(want); n >= 100_000 {
				// 8 bytes a hash in the run, an eighth more of room, and
				// at most one in recentShare (or recentMin) waiting in the
				// map.
				wait := max(recentMin, n/recentShare)
				if c := cap(s.run); c > n+n/8+wait {
					t.Errorf("run has room for %d hashes, for %d", c, n)
				}
				if grows >= merges {
					t.Errorf("the run was copied in each of its %d merges: it grows with no room to spare", merges)
				}
				if len(s.recent) > wait {
					t.Errorf("%d hashes wait in the map, of %d", len(s.recent), n)
				}
			}
		})
	}
}

func BenchmarkHashSet(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	var s hashSet
	for range 1_000_000 {
		s.add(rng.Uint64())
	}
	b.ResetTimer()
	for i := range b.N {
		s.has(uint64(i) * 0x9e3779b97f4a7c15)
	}
}
