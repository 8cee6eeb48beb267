package search

import (
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// A stored paper is compressed on its own, from a dictionary of papers: a
// paper is too short to teach a compressor much. zap compresses stored
// fields with snappy, which leaves English text at four fifths of its size;
// from a dictionary it takes about two fifths.
//
// Title and abstract come first, each after its length, so that a search
// reading papers for their words (see paperTexts) stops there; the rest
// follows. Two forms exist, told apart by their first byte:
//
//   - storedS2 (schema 7, see schemaVersion): an s2 block, from
//     storedDict2, with the rest in binary (appendMeta). Decoding 2,000 demo
//     papers takes 4-5 µs a paper, encoding 17 µs, for 0.43 of their text
//     (BenchmarkDecodeStored, BenchmarkEncodeStored, TestStoredDictionary).
//   - a zstd frame (its magic number starts with 0x28), from storedDict, with
//     the rest as JSON: how schema 6 stored papers first. It took 0.41 of the
//     text, but decoding a paper took 15-17 µs, half of it JSON, and zstd's
//     dictionary encoder copies a 256 KiB table for every paper (28 µs). The
//     ten papers a search shows and the best it reads for feedback made
//     decoding 10% of a search's CPU at 74,728 papers. Schema 6 indexes are
//     still read as they are; a paper written again takes the new form, and
//     the index schema 7.

// storedS2 starts a paper stored as an s2 block with binary metadata. A
// zstd frame starts with 0x28, a skippable one with 0x5?.
const storedS2 = 0x02

// storedDict2 is s2's starting history for every paper in the storedS2
// form: the last 64 KiB of the embedded demo corpus's papers in that form
// (see TestStoredDictionary, which rebuilds it). It can never change: every
// index compressed its papers against it; another dictionary would need
// another first byte.
//
//go:embed stored2.dict
var storedDict2 []byte

var storedS2Dict = sync.OnceValue(func() *s2.Dict { return s2.MakeDict(storedDict2, nil) })

// storedDict is zstd's starting history for papers in the zstd form: the
// last 64 KiB of the demo corpus's papers in that form (see
// TestStoredDictionary). It is kept to read indexes written in that form.
//
//go:embed stored.dict
var storedDict []byte

// storedDictID names the dictionary in each paper in the zstd form.
const storedDictID = 0x70617031 // "pap1"

var zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(runtime.GOMAXPROCS(0)),
		zstd.WithDecoderMaxMemory(maxStoredPaper),
		zstd.WithDecoderDictRaw(storedDictID, storedDict))
	if err != nil {
		return nil, fmt.Errorf("stored papers' decoder: %w", err)
	}
	return dec, nil
})

var storedBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxStoredPaper bounds a stored paper, so that a corrupt index cannot ask
// for gigabytes.
const maxStoredPaper = 64 << 20

// maxStoredList bounds a stored list (authors, categories...). A string
// in a list takes a byte at least but 16 in memory: without it, a corrupt
// block of a few dozen bytes that decodes to 60 MiB of empty names asked
// for a gigabyte. The indexer keeps lists far shorter (see
// indexer.MaxAuthors).
const maxStoredList = 1 << 16

// storedText appends p as the storedS2 form holds it before compression.
func storedText(dst []byte, p *Paper) []byte {
	dst = appendStoredString(dst, p.Title)
	dst = appendStoredString(dst, p.Abstract)
	return appendMeta(dst, p)
}

// appendMeta appends what a paper holds besides its id, title and
// abstract. Fields are only ever appended to the end of this list, never
// moved: a paper stored before a field existed ends before it, and reads
// it as empty.
func appendMeta(b []byte, p *Paper) []byte {
	b = appendStoredStrings(b, p.Authors)
	b = binary.AppendVarint(b, int64(p.AuthorCount))
	b = appendStoredString(b, p.Published)
	b = binary.AppendVarint(b, int64(p.Upvotes))
	b = appendStoredStrings(b, p.Categories)
	b = appendStoredStrings(b, p.Topics)
	b = appendStoredString(b, p.URL)
	b = appendStoredString(b, p.PDFURL)
	b = appendStoredString(b, p.Source)
	b = appendStoredString(b, p.Updated)
	b = appendStoredString(b, p.Comment)
	b = appendStoredString(b, p.JournalRef)
	b = appendStoredString(b, p.DOI)
	b = binary.AppendVarint(b, int64(p.NumComments))
	b = appendStoredString(b, p.GitHubRepo)
	b = binary.AppendVarint(b, int64(p.GitHubStars))
	b = appendStoredStrings(b, p.Keywords)
	b = appendStoredString(b, p.FeaturedOn)
	b = appendStoredString(b, p.HFURL)
	return b
}

// readMeta reads what appendMeta wrote into p. Its strings share s.
func readMeta(s string, p *Paper) error {
	r := metaReader{s: s}
	p.Authors = r.strings()
	p.AuthorCount = r.int()
	p.Published = r.string()
	p.Upvotes = r.int()
	p.Categories = r.strings()
	p.Topics = r.strings()
	p.URL = r.string()
	p.PDFURL = r.string()
	p.Source = r.string()
	p.Updated = r.string()
	p.Comment = r.string()
	p.JournalRef = r.string()
	p.DOI = r.string()
	p.NumComments = r.int()
	p.GitHubRepo = r.string()
	p.GitHubStars = r.int()
	p.Keywords = r.strings()
	p.FeaturedOn = r.string()
	p.HFURL = r.string()
	if r.bad || r.s != "" {
		return errBadMeta
	}
	return nil
}

var errBadMeta = errors.New("bad metadata")

func appendStoredString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// appendStoredStrings writes a list as its length plus one, so that a nil
// list (0) comes back nil and an empty one empty, as JSON's null and [].
func appendStoredStrings(b []byte, list []string) []byte {
	if list == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(list))+1)
	for _, s := range list {
		b = appendStoredString(b, s)
	}
	return b
}

// metaReader reads appendMeta's fields off the front of s. Past the end,
// every field reads as empty; anything malformed sets bad.
type metaReader struct {
	s   string
	bad bool
}

func (r *metaReader) uvarint() uint64 {
	var x uint64
	for i := 0; i < len(r.s) && i < binary.MaxVarintLen64; i++ {
		c := r.s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break
			}
			r.s = r.s[i+1:]
			return x | uint64(c)<<(7*i)
		}
		x |= uint64(c&0x7f) << (7 * i)
	}
	if r.s != "" {
		r.bad = true
		r.s = ""
	}
	return 0
}

func (r *metaReader) int() int {
	u := r.uvarint()
	return int(int64(u>>1) ^ -int64(u&1))
}

func (r *metaReader) string() string {
	n := r.uvarint()
	if n > uint64(len(r.s)) {
		r.bad, r.s = true, ""
		return ""
	}
	s := r.s[:n]
	r.s = r.s[n:]
	return s
}

func (r *metaReader) strings() []string {
	n := r.uvarint()
	if n == 0 {
		return nil
	}
	// Each string takes at least a byte: a count past what is left is
	// corrupt, and must not size the list.
	if n-1 > uint64(len(r.s)) || n-1 > maxStoredList {
		r.bad, r.s = true, ""
		return nil
	}
	list := make([]string, n-1)
	for i := range list {
		if r.s == "" {
			// A list's strings are there, even empty ones.
			r.bad = true
			return nil
		}
		list[i] = r.string()
	}
	return list
}

// encodeStored returns what the meta field stores for p.
func encodeStored(p *Paper) ([]byte, error) {
	for _, l := range [][]string{p.Authors, p.Categories, p.Topics, p.Keywords} {
		if len(l) > maxStoredList {
			return nil, fmt.Errorf("store paper %s: a list of %d values, more than %d", p.ID, len(l), maxStoredList)
		}
	}
	bp := storedBufs.Get().(*[]byte)
	defer storedBufs.Put(bp)
	raw := storedText((*bp)[:0], p)
	*bp = raw
	if len(raw) > maxStoredPaper {
		*bp = nil
		return nil, fmt.Errorf("store paper %s: %d bytes, more than %d", p.ID, len(raw), maxStoredPaper)
	}
	if cap(raw) > 1<<20 {
		*bp = nil // an outsized paper's buffer is not kept
	}
	op := storedBufs.Get().(*[]byte)
	defer storedBufs.Put(op)
	out := slices.Grow((*op)[:0], 1+s2.MaxEncodedLen(len(raw)))[:1+s2.MaxEncodedLen(len(raw))]
	*op = out
	if cap(out) > 1<<20 {
		*op = nil
	}
	out[0] = storedS2
	n := len(storedS2Dict().EncodeBetter(out[1:], raw))
	// The field keeps what is returned until its segment is written: a
	// copy of the right size, not the encoder's worst case.
	return append([]byte(nil), out[:1+n]...), nil
}

// decodeStored reads back what encodeStored made of the paper id.
func decodeStored(id string, b []byte) (Paper, error) {
	var p Paper
	err := readStored(id, b, func(title, abstract []byte, meta storedMeta) error {
		if meta.json {
			if err := json.Unmarshal(meta.b, &p); err != nil {
				return fmt.Errorf("decode stored paper %s: %w", id, err)
			}
			p.ID, p.Title, p.Abstract = id, string(title), string(abstract)
			return nil
		}
		// One string holds the whole paper, copied out of the pooled
		// buffer; its fields are slices of it.
		all := string(title) + string(abstract) + string(meta.b)
		if err := readMeta(all[len(title)+len(abstract):], &p); err != nil {
			return fmt.Errorf("decode stored paper %s: %w", id, err)
		}
		p.ID, p.Title, p.Abstract = id, all[:len(title)], all[len(title):len(title)+len(abstract)]
		return nil
	})
	return p, err
}

// storedMeta is a stored paper's metadata: JSON in the zstd form, binary
// (appendMeta) in the storedS2 form.
type storedMeta struct {
	b    []byte
	json bool
}

// readStored decompresses what encodeStored made of the paper id and
// hands f its parts: title, abstract and the rest. They live in a pooled
// buffer until f returns. A search that reads papers only for their text
// (see paperTexts) skips the rest.
func readStored(id string, b []byte, f func(title, abstract []byte, meta storedMeta) error) error {
	bp := storedBufs.Get().(*[]byte)
	defer storedBufs.Put(bp)
	var raw []byte
	var err error
	isJSON := false
	switch {
	case len(b) > 0 && b[0] == storedS2:
		var n int
		if n, err = s2.DecodedLen(b[1:]); err == nil && n > maxStoredPaper {
			err = fmt.Errorf("%d bytes, more than %d", n, maxStoredPaper)
		}
		if err == nil {
			raw, err = storedS2Dict().Decode((*bp)[:0], b[1:])
		}
	default:
		var dec *zstd.Decoder
		if dec, err = zstdDecoder(); err == nil {
			raw, err = dec.DecodeAll(b, (*bp)[:0])
		}
		isJSON = true
	}
	if raw != nil {
		*bp = raw
	}
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
	return f(text[0], text[1], storedMeta{b: raw, json: isJSON})
}
