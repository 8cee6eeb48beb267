package indexer

import "slices"

// hashSet is a set of 64-bit hashes kept in about 9 bytes each: a sorted
// run, and a map of the latest additions that is merged into the run when
// it fills. A bulk load keeps the hash of every id it writes (see
// Indexer.written); as a map, that took 28 bytes a hash, 76 MB at the 2.7
// million papers of the whole arXiv, the biggest part of a load's live
// heap, which the collector's headroom multiplies in the process's memory.
type hashSet struct {
	run    []uint64 // sorted, no repeats
	recent map[uint64]struct{}
}

// recentMin and recentShare bound the map of latest additions: at least
// recentMin hashes, or one in recentShare of the run. Merging costs a
// pass over the run, so the map grows with it. recentMin is a variable
// only so that tests of a small load reach the run.
var recentMin = 1 << 14

const recentShare = 32

func (s *hashSet) add(h uint64) {
	if s.has(h) {
		return
	}
	if s.recent == nil {
		s.recent = make(map[uint64]struct{})
	}
	s.recent[h] = struct{}{}
	if len(s.recent) >= max(recentMin, len(s.run)/recentShare) {
		s.merge()
	}
}

func (s *hashSet) has(h uint64) bool {
	if _, ok := s.recent[h]; ok {
		return true
	}
	_, ok := slices.BinarySearch(s.run, h)
	return ok
}

func (s *hashSet) len() int { return len(s.run) + len(s.recent) }

// merge moves the latest additions into the run, merging from the back
// so that a run with room needs no second copy. A run without room grows
// to an eighth more than it needs, where append would add a quarter or
// more.
func (s *hashSet) merge() {
	add := make([]uint64, 0, len(s.recent))
	for h := range s.recent {
		add = append(add, h)
	}
	slices.Sort(add)
	clear(s.recent)
	n, k := len(s.run), len(add)
	if cap(s.run) < n+k {
		grown := make([]uint64, n, n+k+(n+k)/8)
		copy(grown, s.run)
		s.run = grown
	}
	s.run = s.run[:n+k]
	i, j := n-1, k-1
	for o := n + k - 1; j >= 0; o-- {
		if i >= 0 && s.run[i] > add[j] {
			s.run[o] = s.run[i]
			i--
		} else {
			s.run[o] = add[j]
			j--
		}
	}
}
