package search

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	index "github.com/blevesearch/bleve_index_api"
)

// Positions are most of an index that zap writes in a roomy form: for every
// occurrence of a term it writes five varints (field, position, start and
// end offsets, and the count of array positions), and in our index three
// of them are always zero (toDoc keeps no offsets) and the field is the
// same for the whole list. zap hands every chunk it writes to a hook
// (index.WriterHook) and every chunk it reads back to another
// (index.ReaderHook); the locations codec rewrites a chunk of locations as
// just its position gaps, and leaves anything else as it is. Building the
// 74,728 arXiv papers, the merges wrote 105 MB of locations as 36 MB, and
// the index came out a sixth smaller. The price is that zap's merges, which
// copy postings byte for byte only between segments without a codec,
// decode and re-encode them: about a tenth more build CPU.
//
// Each chunk through the codec starts with a tag saying how it was stored.
// A chunk is only written in the short form if it parses whole as
// locations, varints in their shortest form, which is what makes decoding
// give back the same bytes: a chunk that only looks like locations (a
// postings list, say) still comes back as it was.
const codecID = "papersearch-locs-1"

const (
	chunkRaw  = 0 // the chunk as zap wrote it
	chunkLocs = 1 // locations without offsets: see encodeLocs
	// chunkPositions is chunkLocs with no array positions at all, so
	// without their count: only the gaps.
	chunkPositions = 2
)

var errChunk = errors.New("corrupt index chunk")

func init() {
	index.WriterHook = func(context []byte) (string, func([]byte) []byte, error) {
		// The context is the path of the file zap is about to write.
		if persistingMemorySegment() || rawMerging(filepath.Dir(string(context))) {
			return "", nil, nil
		}
		return codecID, encodeChunk, nil
	}
	index.ReaderHook = func(id string, context []byte) (func([]byte) ([]byte, error), error) {
		switch id {
		case "":
			return nil, nil
		case codecID:
			return decodeChunk, nil
		}
		return nil, fmt.Errorf("index written with unknown chunk codec %q", id)
	}
}

// rawMergeDirs holds the store directories whose merges write zap's own
// form for now: those of bulk loads in progress.
var rawMergeDirs sync.Map

// setRawMerges turns the codec off (raw) or back on for the segments
// written in dir.
func setRawMerges(dir string, raw bool) {
	if raw {
		rawMergeDirs.Store(filepath.Clean(dir), struct{}{})
	} else {
		rawMergeDirs.Delete(filepath.Clean(dir))
	}
}

func rawMerging(dir string) bool {
	_, ok := rawMergeDirs.Load(filepath.Clean(dir))
	return ok
}

// persistingMemorySegment reports whether the hook was asked for by zap's
// PersistSegmentBase, which writes a batch's segment to disk. A segment
// built in memory has no codec, and given one to persist with, zap rewrites
// the whole segment through its merge path first: a fifth more CPU for the
// first copy of every paper. Batches are therefore persisted as they are,
// and only merges, which rewrite postings anyway, write the short form. If
// zap renames the function, every persist is rewritten: slower, not wrong.
func persistingMemorySegment() bool {
	var pcs [6]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if strings.HasSuffix(f.Function, ".PersistSegmentBase") && strings.Contains(f.Function, "/zapx/") {
			return true
		}
		if !more {
			return false
		}
	}
}

// encodeChunk returns data tagged, in the short form if it is a chunk of
// locations.
func encodeChunk(data []byte) []byte {
	out, ok := encodeLocs(data, false)
	if !ok && out != nil {
		// It has array positions: an author list.
		out, ok = encodeLocs(data, true)
	}
	if ok {
		return out
	}
	out = make([]byte, 1+len(data))
	out[0] = chunkRaw
	copy(out[1:], data)
	return out
}

// decodeChunk returns the chunk zap wrote. A raw chunk is returned in
// place (zap reads postings straight from the memory map).
func decodeChunk(data []byte) ([]byte, error) {
	if len(data) == 0 {
		return nil, errChunk
	}
	switch data[0] {
	case chunkRaw:
		return data[1:], nil
	case chunkLocs, chunkPositions:
		return decodeLocs(data[1:], data[0] == chunkLocs)
	}
	return nil, fmt.Errorf("%w: tag %d", errChunk, data[0])
}

// A chunk of locations, as zap writes it, is for each document with the
// term: the byte length of its locations, then for each occurrence the
// field, the position, start and end offsets, and the array positions
// (their count, then each). encodeLocs takes chunks whose offsets are all
// zero and whose field is one, and writes
//
//	tag, length of the chunk, field, then per document:
//	count of occurrences, then per occurrence the gap from the last
//	position and, with arrays, the count of array positions and each one.
//
// Positions within a document are in order, so the gaps are small. Every
// varint must be in its shortest form, as zap writes them: then decodeLocs
// gives back exactly data, since it works each length out again from the
// values. Without arrays, a chunk that has array positions returns a
// non-nil slice and false, to be tried again with arrays; anything else
// that does not parse returns nil.
func encodeLocs(data []byte, arrays bool) ([]byte, bool) {
	if len(data) < 8 {
		return nil, false
	}
	r := data
	bad := false
	next := func() uint64 {
		if len(r) > 0 && r[0] < 0x80 {
			v := uint64(r[0])
			r = r[1:]
			return v
		}
		v, n := binary.Uvarint(r)
		if n <= 1 || r[n-1] == 0 { // not a varint, or not the shortest
			bad = true
			return 0
		}
		r = r[n:]
		return v
	}
	// The field follows the first document's length.
	next()
	field := next()
	if bad {
		return nil, false
	}
	r = data
	tag := byte(chunkPositions)
	if arrays {
		tag = chunkLocs
	}
	out := make([]byte, 0, len(data)/2+2*binary.MaxVarintLen64)
	out = append(out, tag)
	out = binary.AppendUvarint(out, uint64(len(data)))
	out = binary.AppendUvarint(out, field)
	for len(r) > 0 {
		size := next()
		if bad || size == 0 || size > uint64(len(r)) {
			return nil, false
		}
		rest := r[size:]
		r = r[:size]
		// The count goes before the occurrences; one byte is kept for
		// it, and made room for in the rare document with 128 or more.
		countAt := len(out)
		out = append(out, 0)
		var count, last uint64
		for len(r) > 0 {
			f, pos, start, end, nap := next(), next(), next(), next(), next()
			if bad || f != field || start != 0 || end != 0 || pos < last || nap > uint64(len(r)) {
				return nil, false
			}
			if nap > 0 && !arrays {
				return out, false
			}
			out = binary.AppendUvarint(out, pos-last)
			if arrays {
				out = binary.AppendUvarint(out, nap)
				for range nap {
					out = binary.AppendUvarint(out, next())
				}
				if bad {
					return nil, false
				}
			}
			last = pos
			count++
		}
		if count < 0x80 {
			out[countAt] = byte(count)
		} else {
			n := uvarintLen(count)
			end := len(out)
			out = append(out, make([]byte, n-1)...)
			copy(out[countAt+n:], out[countAt+1:end])
			binary.PutUvarint(out[countAt:], count)
		}
		r = rest
		if len(out) >= len(data) {
			return nil, false
		}
	}
	return out, true
}

// decodeLocs gives back the chunk encodeLocs was given. It runs on every
// chunk of positions a search reads, so it makes one pass: each
// document's byte length goes before its occurrences, in a byte kept for
// it and made room for when it needs more.
func decodeLocs(data []byte, arrays bool) ([]byte, error) {
	r := data
	bad := false
	// encodeLocs's reader, without the check for the shortest form. A
	// shared reader type measured 15-20% slower (BenchmarkDecodeLocations):
	// these closures keep r and bad in registers.
	next := func() uint64 {
		if len(r) > 0 && r[0] < 0x80 {
			v := uint64(r[0])
			r = r[1:]
			return v
		}
		v, n := binary.Uvarint(r)
		if n <= 0 {
			bad = true
			return 0
		}
		r = r[n:]
		return v
	}
	size := next()
	field := next()
	if bad || size > 1<<31 {
		return nil, errChunk
	}
	var fieldBuf [binary.MaxVarintLen64]byte
	fieldBytes := fieldBuf[:binary.PutUvarint(fieldBuf[:], field)]
	out := make([]byte, 0, size)
	for len(r) > 0 {
		count := next()
		if bad || count > uint64(len(r)) {
			return nil, errChunk
		}
		at := len(out)
		out = append(out, 0)
		var last uint64
		for range count {
			last += next()
			out = append(out, fieldBytes...)
			out = binary.AppendUvarint(out, last)
			out = append(out, 0, 0)
			if !arrays {
				out = append(out, 0)
				continue
			}
			nap := next()
			if nap > uint64(len(r)) {
				return nil, errChunk
			}
			out = binary.AppendUvarint(out, nap)
			for range nap {
				out = binary.AppendUvarint(out, next())
			}
		}
		if bad || uint64(len(out)) > size {
			return nil, errChunk
		}
		docBytes := uint64(len(out) - at - 1)
		if docBytes < 0x80 {
			out[at] = byte(docBytes)
		} else {
			n := uvarintLen(docBytes)
			end := len(out)
			out = append(out, make([]byte, n-1)...)
			copy(out[at+n:], out[at+1:end])
			binary.PutUvarint(out[at:], docBytes)
		}
	}
	if uint64(len(out)) != size {
		return nil, errChunk
	}
	return out, nil
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}
