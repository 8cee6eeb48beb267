package search

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// loc is one occurrence as zap writes it in a chunk of locations.
type loc struct {
	field, pos, start, end uint64
	arrays                 []uint64
}

// locChunk writes docs the way zap's locations encoder does.
func locChunk(docs ...[]loc) []byte {
	var out []byte
	for _, d := range docs {
		var b []byte
		for _, l := range d {
			for _, v := range []uint64{l.field, l.pos, l.start, l.end, uint64(len(l.arrays))} {
				b = binary.AppendUvarint(b, v)
			}
			for _, a := range l.arrays {
				b = binary.AppendUvarint(b, a)
			}
		}
		out = binary.AppendUvarint(out, uint64(len(b)))
		out = append(out, b...)
	}
	return out
}

func positions(field uint64, ps ...uint64) []loc {
	var d []loc
	for _, p := range ps {
		d = append(d, loc{field: field, pos: p})
	}
	return d
}

func TestCodecRoundTrip(t *testing.T) {
	long := make([]uint64, 300) // a count past one varint byte
	for i := range long {
		long[i] = uint64(3 * i)
	}
	tests := []struct {
		name  string
		chunk []byte
		tag   byte
	}{
		{"positions", locChunk(positions(2, 3, 10, 300), positions(2, 1), positions(2, 5, 6, 70000)), chunkPositions},
		{"many in one paper", locChunk(positions(1, long...), positions(1, 0)), chunkPositions},
		{"field zero", locChunk(positions(0, 4, 8), positions(0, 1)), chunkPositions},
		{"authors' array positions", locChunk(
			[]loc{{field: 3, pos: 1, arrays: []uint64{0}}, {field: 3, pos: 2, arrays: []uint64{0}}},
			[]loc{{field: 3, pos: 1, arrays: []uint64{2}}}), chunkLocs},
		{"offsets kept", locChunk([]loc{{field: 1, pos: 1, start: 0, end: 4}, {field: 1, pos: 2, start: 5, end: 9}}), chunkRaw},
		{"two fields", locChunk(positions(1, 1, 2), positions(2, 1, 2)), chunkRaw},
		{"positions out of order", locChunk(positions(1, 9, 2, 5)), chunkRaw},
		{"too short to pay", locChunk(positions(1, 1)), chunkRaw},
		{"frequencies and norms", func() []byte {
			var b []byte
			for i := range 200 {
				b = binary.AppendUvarint(b, uint64(i%5)<<1|1)
				b = binary.AppendUvarint(b, uint64(100+i))
			}
			return b
		}(), chunkRaw},
		{"truncated", locChunk(positions(1, 1, 2, 3, 4, 5, 6, 7, 8))[:12], chunkRaw},
		{"empty", nil, chunkRaw},
		{"text", []byte("a stored paper that is not a chunk of locations at all"), chunkRaw},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := encodeChunk(tt.chunk)
			if enc[0] != tt.tag {
				t.Errorf("stored with tag %d, want %d", enc[0], tt.tag)
			}
			if tt.tag != chunkRaw && len(enc) >= len(tt.chunk) {
				t.Errorf("short form has %d bytes for %d", len(enc), len(tt.chunk))
			}
			got, err := decodeChunk(enc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.chunk) {
				t.Errorf("decoded\n%v\nwant\n%v", got, tt.chunk)
			}
		})
	}
}

func TestCodecRejectsCorruption(t *testing.T) {
	good := encodeChunk(locChunk(positions(2, 3, 10, 300), positions(2, 1)))
	for _, bad := range [][]byte{
		nil,
		{9, 1, 2},
		good[:len(good)-1],
		append(bytes.Clone(good), 5, 1),
		{chunkPositions, 0xff},
	} {
		if got, err := decodeChunk(bad); err == nil {
			t.Errorf("decodeChunk(%v) = %v, want an error", bad, got)
		}
	}
}

func FuzzCodec(f *testing.F) {
	f.Add(locChunk(positions(2, 3, 10, 300), positions(2, 1)))
	f.Add(locChunk([]loc{{field: 3, pos: 1, arrays: []uint64{0}}}, []loc{{field: 3, pos: 4, arrays: []uint64{1, 2}}}))
	f.Add([]byte("plain bytes"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeChunk(encodeChunk(data))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip of %v gave %v, %v", data, got, err)
		}
		decodeChunk(data) // must not panic on anything
	})
}

// TestMergedSegmentsUseCodec builds an index in batches, compacts it into
// one segment and checks that the merge wrote the short form, that the index
// shrank, and that every search reads the same as before.
func TestMergedSegmentsUseCodec(t *testing.T) {
	dir := t.TempDir()
	// Bleve's own merges, in the background, would write some segments
	// with the codec before the size is taken, or not, as timing goes: a
	// plan that never merges leaves them all to the compaction.
	saved := mergePlan
	mergePlan = neverMerge
	ix, err := Open(dir, nil)
	mergePlan = saved
	if err != nil {
		t.Fatal(err)
	}
	defer func() { ix.Close() }()
	papers := demoPapers(t)[:1200]
	for i := 0; i < len(papers); i += 100 {
		if err := ix.Put(papers[i : i+100]); err != nil {
			t.Fatal(err)
		}
	}
	queries := []Request{
		{Query: `"large language models"`, Size: 20},
		{Query: "quantization pruning", Size: 20},
		{Query: "language", Size: 10, Categories: []string{"cs.CL"}, YearFrom: 2025},
		{Query: "diffusion", Size: 5},
		{Query: `author:"wang"`, Size: 20},
	}
	before := make([]Result, len(queries))
	for i, q := range queries {
		if before[i], err = ix.Search(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	store := filepath.Join(dir, "store")
	sizeBefore := DiskSize(store)

	if _, err := ix.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Reopened, the index has removed the segments the merge replaced,
	// and reads the merged one from its file.
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if ix, err = Open(dir, nil); err != nil {
		t.Fatal(err)
	}

	var segs, coded int
	entries, err := os.ReadDir(store)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".zap" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(store, e.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue // a merged segment, removed after the merge
		}
		if err != nil {
			t.Fatal(err)
		}
		segs++
		if bytes.Contains(b, []byte(codecID)) {
			coded++
		}
	}
	if coded == 0 {
		t.Errorf("none of %d segments was written with the codec", segs)
	}
	if after := DiskSize(store); after > sizeBefore*85/100 {
		t.Errorf("merged index has %d bytes against %d before: the positions were not shortened", after, sizeBefore)
	}
	for i, q := range queries {
		got, err := ix.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Hits) == 0 {
			t.Errorf("%q: no hits", q.Query)
		}
		if got.Total != before[i].Total || !reflect.DeepEqual(got.Facets, before[i].Facets) {
			t.Errorf("%q: %d hits and facets %v after the merge, want %d and %v", q.Query, got.Total, got.Facets, before[i].Total, before[i].Facets)
		}
		for k := range got.Hits {
			g, w := got.Hits[k], before[i].Hits[k]
			if g.Paper.ID != w.Paper.ID || !reflect.DeepEqual(g.Highlights, w.Highlights) || !reflect.DeepEqual(g.Paper, w.Paper) {
				t.Errorf("%q: hit %d is %s after the merge, want %s (or its text or marks differ)", q.Query, k, g.Paper.ID, w.Paper.ID)
			}
		}
	}
}

// FuzzCodecLocations builds chunks of locations from the fuzzer's bytes,
// so that most inputs are ones the short form takes.
func FuzzCodecLocations(f *testing.F) {
	f.Add(uint8(2), false, []byte{3, 7, 0, 1, 200, 9, 0, 0, 4})
	f.Add(uint8(0), true, []byte{1, 2, 3, 0, 5, 6})
	f.Fuzz(func(t *testing.T, field uint8, arrays bool, spec []byte) {
		// A zero byte ends a document; any other adds a position that
		// far (times 37, to reach multi-byte varints) past the last.
		var docs [][]loc
		var d []loc
		var pos uint64
		for _, b := range spec {
			if b == 0 {
				if len(d) > 0 {
					docs = append(docs, d)
				}
				d, pos = nil, 0
				continue
			}
			pos += uint64(b) * 37
			l := loc{field: uint64(field), pos: pos}
			if arrays {
				l.arrays = []uint64{uint64(b % 5)}
			}
			d = append(d, l)
		}
		if len(d) > 0 {
			docs = append(docs, d)
		}
		chunk := locChunk(docs...)
		enc := encodeChunk(chunk)
		got, err := decodeChunk(enc)
		if err != nil || !bytes.Equal(got, chunk) {
			t.Fatalf("round trip of %v (tag %d) gave %v, %v", chunk, enc[0], got, err)
		}
		if len(chunk) > 64 && enc[0] == chunkRaw {
			t.Errorf("a chunk of %d bytes of locations was stored raw", len(chunk))
		}
	})
}

// BenchmarkDecodeLocations is what reading a chunk of positions costs a
// search on top of zap's own decoding: a chunk of 1,024 abstracts.
func BenchmarkDecodeLocations(b *testing.B) {
	var docs [][]loc
	for i := range 1024 {
		docs = append(docs, positions(2, uint64(i%50), uint64(i%50+40), uint64(i%50+130)))
	}
	enc := encodeChunk(locChunk(docs...))
	b.SetBytes(int64(len(locChunk(docs...))))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeChunk(enc); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLoneSegmentRecoded covers the index whose every paper ends up in one
// segment that zap wrote in its own form, which Bleve never merges again:
// a load of one batch, or one whose own merges (without the codec) got it
// all into one segment. The end of the load, or Compact, must still
// rewrite it with the codec, keep every paper and drop the old copy of
// the paper it wrote again.
func TestLoneSegmentRecoded(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(dir string) (*Index, error)
		end  func(ix *Index) error
	}{
		{"bulk load", func(dir string) (*Index, error) { return OpenBulk(dir, nil) }, func(ix *Index) error { return ix.FinishBulk(true) }},
		{"compact", func(dir string) (*Index, error) { return Open(dir, nil) }, func(ix *Index) error {
			if _, err := ix.Compact(context.Background()); err != nil {
				return err
			}
			return ix.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "index")
			ix, err := tc.open(dir)
			if err != nil {
				t.Fatal(err)
			}
			papers := demoPapers(t)[:300]
			if err := ix.Put(papers); err != nil {
				t.Fatal(err)
			}
			if path, _, err := ix.loneSegment(); err != nil || path == "" {
				t.Fatalf("one batch left no lone segment (%v)", err)
			} else if id, err := segmentCodec(path); err != nil || id != "" {
				t.Fatalf("the batch's segment has codec %q (%v), want zap's own form", id, err)
			}
			if err := tc.end(ix); err != nil {
				t.Fatal(err)
			}
			if ix, err = Open(dir, nil); err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			path, docs, err := ix.loneSegment()
			if err != nil || path == "" {
				t.Fatalf("after the rewrite the index is not one segment (%v)", err)
			}
			if id, err := segmentCodec(path); err != nil || id != codecID {
				t.Errorf("the segment has codec %q (%v), want %q", id, err, codecID)
			}
			if n, err := ix.Count(); err != nil || n != uint64(len(papers)) || docs != n {
				t.Errorf("%d papers, %d in the segment (%v); want %d in both", n, docs, err, len(papers))
			}
			// Every paper, the one written again included, reads back as
			// it was put.
			ids := make([]string, len(papers))
			for i, p := range papers {
				ids[i] = p.ID
			}
			got, err := ix.Lookup(context.Background(), ids)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range papers {
				g := got[p.ID]
				if g.Title != p.Title || g.Abstract != p.Abstract || !slices.Equal(g.Authors, p.Authors) || g.Published != p.Published || !slices.Equal(g.Topics, p.Topics) {
					t.Errorf("paper %s after the rewrite: %+v", p.ID, g)
				}
			}
		})
	}
}

// An index of one paper is left as it is: writing the paper again would
// leave its new copy as the lone segment, and every Compact would do so
// again.
func TestLoneSegmentOfOnePaper(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if err := ix.Put(demoPapers(t)[:1]); err != nil {
		t.Fatal(err)
	}
	before, _, err := ix.loneSegment()
	if err != nil || before == "" {
		t.Fatalf("no lone segment: %v", err)
	}
	for range 2 {
		if _, err := ix.Compact(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if after, _, err := ix.loneSegment(); err != nil || after != before {
		t.Errorf("compacting an index of one paper replaced its segment %s with %s (%v)", before, after, err)
	}
	if n, err := ix.Count(); err != nil || n != 1 {
		t.Errorf("%d papers, %v; want 1", n, err)
	}
}

func TestSegmentCodecRejectsGarbage(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"short":    []byte("zap"),
		"huge id":  append(bytes.Repeat([]byte{0}, 10), 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36),
		"past top": append([]byte{0, 0, 0, 60}, bytes.Repeat([]byte{0}, 36)...),
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if id, err := segmentCodec(path); err == nil {
			t.Errorf("%s: codec %q, want an error", name, id)
		}
	}
}
