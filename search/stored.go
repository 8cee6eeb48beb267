package search

import (
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// The stored paper is compressed on its own, with zstd and a dictionary.
// zap compresses each paper's stored fields with snappy, which leaves
// English text at four fifths of its size; deflate took it to a little over
// half, and the stored papers were still a third of the index. A paper is
// too short to teach a compressor much, so zstd starts from a dictionary
// of papers (storedDict): that takes a stored paper to about two fifths of
// its text, and both ways are faster than deflate's: encodeStored 28-30 µs
// against 38-40, decodeStored (JSON included) 12-13 µs against 24-26
// (BenchmarkEncodeStored and BenchmarkDecodeStored, three runs each).
//
// Title and abstract come first, each after its length, and only the rest
// is JSON: unquoting them would double what reading a paper back costs a
// search.

// storedDict is zstd's starting history for every stored paper: the last
// 64 KiB of the embedded demo corpus's papers in the stored form (see
// TestStoredDictionary, which rebuilds it). It can never change without a
// new schemaVersion, since every index compressed its papers against it.
//
//go:embed stored.dict
var storedDict []byte

// storedDictID names the dictionary in each compressed paper.
const storedDictID = 0x70617031 // "pap1"

type storedCoder struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

var storedCodec = sync.OnceValues(func() (storedCoder, error) {
	n := runtime.GOMAXPROCS(0)
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(n),
		zstd.WithEncoderCRC(false),
		zstd.WithZeroFrames(true),
		zstd.WithEncoderDictRaw(storedDictID, storedDict))
	if err != nil {
		return storedCoder{}, fmt.Errorf("stored papers' encoder: %w", err)
	}
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(n),
		zstd.WithDecoderMaxMemory(maxStoredPaper),
		zstd.WithDecoderDictRaw(storedDictID, storedDict))
	if err != nil {
		return storedCoder{}, fmt.Errorf("stored papers' decoder: %w", err)
	}
	return storedCoder{enc, dec}, nil
})

var storedBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxStoredPaper bounds what decoding one stored paper may allocate, so a
// corrupt index cannot ask for gigabytes.
const maxStoredPaper = 64 << 20

// storedText returns p as the stored form holds it before compression.
func storedText(p *Paper) ([]byte, error) {
	meta := *p
	meta.ID, meta.Title, meta.Abstract = "", "", ""
	js, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	raw := make([]byte, 0, 2*binary.MaxVarintLen64+len(p.Title)+len(p.Abstract)+len(js))
	raw = binary.AppendUvarint(raw, uint64(len(p.Title)))
	raw = append(raw, p.Title...)
	raw = binary.AppendUvarint(raw, uint64(len(p.Abstract)))
	raw = append(raw, p.Abstract...)
	raw = append(raw, js...)
	return raw, nil
}

// encodeStored returns what meta stores for p.
func encodeStored(p *Paper) ([]byte, error) {
	raw, err := storedText(p)
	if err != nil {
		return nil, err
	}
	c, err := storedCodec()
	if err != nil {
		return nil, err
	}
	return c.enc.EncodeAll(raw, make([]byte, 0, len(raw)/2+64)), nil
}

// decodeStored reads back what encodeStored made of the paper id.
func decodeStored(id string, b []byte) (Paper, error) {
	var p Paper
	err := readStored(id, b, func(title, abstract, meta []byte) error {
		if err := json.Unmarshal(meta, &p); err != nil {
			return fmt.Errorf("decode stored paper %s: %w", id, err)
		}
		// The text is copied out (strings, and JSON's), so the buffer
		// goes back to the pool.
		p.ID, p.Title, p.Abstract = id, string(title), string(abstract)
		return nil
	})
	return p, err
}

// readStored decompresses what encodeStored made of the paper id and
// hands f its parts: title, abstract and the rest as JSON. They live in a
// pooled buffer until f returns. A search that reads papers only for
// their text (see paperTexts) skips the JSON, which was a seventh of
// reading a paper.
func readStored(id string, b []byte, f func(title, abstract, meta []byte) error) error {
	c, err := storedCodec()
	if err != nil {
		return err
	}
	bp := storedBufs.Get().(*[]byte)
	defer storedBufs.Put(bp)
	raw, err := c.dec.DecodeAll(b, (*bp)[:0])
	*bp = raw
	if cap(raw) > 1<<20 {
		*bp = nil // an outsized paper's buffer is not kept
	}
	if err != nil {
		return fmt.Errorf("decode stored paper %s: %w", id, err)
	}
	var text [2][]byte
	for i := range text {
		n, k := binary.Uvarint(raw)
		if k <= 0 || n > uint64(len(raw)-k) {
			return fmt.Errorf("decode stored paper %s: bad text length", id)
		}
		text[i] = raw[k : k+int(n)]
		raw = raw[k+int(n):]
	}
	return f(text[0], text[1], raw)
}
