package search

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strings"

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
// A chunk is only written in the short form if decoding it gives back the
// same bytes, so any chunk the codec misreads (a postings list that happens
// to look like locations, say) is stored as it was rather than lost.
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
		if persistingMemorySegment() {
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
// locations that round-trips.
func encodeChunk(data []byte) []byte {
	if out, ok := encodeLocs(data); ok {
		if back, err := decodeLocs(out[1:], out[0] == chunkLocs); err == nil && bytes.Equal(back, data) {
			return out
		}
	}
	out := make([]byte, 1+len(data))
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
//	position, the count of array positions and each one.
//
// Positions within a document are in order, so the gaps are small.
func encodeLocs(data []byte) ([]byte, bool) {
	if len(data) < 8 {
		return nil, false
	}
	const noField = 1<<64 - 1
	field := uint64(noField)
	r := data
	next := func() (uint64, bool) {
		v, n := binary.Uvarint(r)
		if n <= 0 {
			return 0, false
		}
		r = r[n:]
		return v, true
	}
	body := make([]byte, 0, len(data)/2+16)
	gaps := make([]byte, 0, len(data)/3+16) // body without the counts of array positions
	arrays := false
	var doc, docGaps []byte // one document's occurrences, before their count
	for len(r) > 0 {
		size, ok := next()
		if !ok || size == 0 || size > uint64(len(r)) {
			return nil, false
		}
		rest := r[size:]
		r = r[:size]
		doc, docGaps = doc[:0], docGaps[:0]
		var count, last uint64
		for len(r) > 0 {
			f, ok1 := next()
			pos, ok2 := next()
			start, ok3 := next()
			end, ok4 := next()
			nap, ok5 := next()
			if !(ok1 && ok2 && ok3 && ok4 && ok5) || start != 0 || end != 0 || nap > uint64(len(r)) || pos < last {
				return nil, false
			}
			if field == noField {
				field = f
			} else if f != field {
				return nil, false
			}
			doc = binary.AppendUvarint(doc, pos-last)
			docGaps = binary.AppendUvarint(docGaps, pos-last)
			doc = binary.AppendUvarint(doc, nap)
			arrays = arrays || nap > 0
			for range nap {
				ap, ok := next()
				if !ok {
					return nil, false
				}
				doc = binary.AppendUvarint(doc, ap)
			}
			last = pos
			count++
		}
		body = binary.AppendUvarint(body, count)
		body = append(body, doc...)
		gaps = binary.AppendUvarint(gaps, count)
		gaps = append(gaps, docGaps...)
		r = rest
	}
	tag := byte(chunkLocs)
	if !arrays {
		tag, body = chunkPositions, gaps
	}
	out := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(body))
	out = append(out, tag)
	out = binary.AppendUvarint(out, uint64(len(data)))
	out = binary.AppendUvarint(out, field)
	out = append(out, body...)
	if len(out) >= len(data) {
		return nil, false
	}
	return out, true
}

// decodeLocs gives back the chunk encodeLocs was given.
func decodeLocs(data []byte, arrays bool) ([]byte, error) {
	r := data
	next := func() (uint64, error) {
		v, n := binary.Uvarint(r)
		if n <= 0 {
			return 0, errChunk
		}
		r = r[n:]
		return v, nil
	}
	size, err := next()
	if err != nil || size > 1<<31 {
		return nil, errChunk
	}
	field, err := next()
	if err != nil {
		return nil, err
	}
	fieldLen := uvarintLen(field)
	out := make([]byte, 0, size)
	var aps []uint64
	for len(r) > 0 {
		count, err := next()
		if err != nil {
			return nil, err
		}
		// The document's byte length comes first, so read its
		// occurrences before writing any.
		var docBytes uint64
		saved := r
		var last uint64
		for range count {
			gap, err := next()
			if err != nil {
				return nil, err
			}
			var nap uint64
			if arrays {
				if nap, err = next(); err != nil {
					return nil, err
				}
			}
			last += gap
			docBytes += uint64(fieldLen+uvarintLen(last)+2) + uint64(uvarintLen(nap))
			for range nap {
				ap, err := next()
				if err != nil {
					return nil, err
				}
				docBytes += uint64(uvarintLen(ap))
			}
		}
		r = saved
		out = binary.AppendUvarint(out, docBytes)
		last = 0
		for range count {
			gap, _ := next()
			var nap uint64
			if arrays {
				nap, _ = next()
			}
			last += gap
			out = binary.AppendUvarint(out, field)
			out = binary.AppendUvarint(out, last)
			out = append(out, 0, 0)
			out = binary.AppendUvarint(out, nap)
			aps = aps[:0]
			for range nap {
				ap, _ := next()
				aps = append(aps, ap)
			}
			for _, ap := range aps {
				out = binary.AppendUvarint(out, ap)
			}
		}
		if uint64(len(out)) > size {
			return nil, errChunk
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
