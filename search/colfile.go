package search

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/blevesearch/bleve/v2/index/scorch"
	zap "github.com/blevesearch/zapx/v17"
)

// Column files keep a segment's columns on disk, beside the index, so that
// the next process to open the index reads them in one go instead of
// walking the segment's fields again. A command-line search opens the
// index for one search: at 2.7 million papers it took 2.2-2.6 s reading
// the columns from the segments and 0.9-1.2 s reading the files (a
// profile put the files' part at 0.25 s of CPU). A segment never
// changes, so its file never goes stale; it is
// named after the segment's file and carries the segment's checksum and
// size, and is read only if they still match, and only if its own
// checksum does. Anything wrong with one (missing, damaged, from another
// index) only means the columns are read from the segment again, and the
// file written anew.

// colDirName is the directory of column files inside an index directory.
const colDirName = "columns"

// colMagic starts a column file; its last byte is the format's version.
const colMagic = "PSCOLS\x00\x01"

// colFileSuffix ends a column file's name; the rest is its segment's.
const colFileSuffix = ".cols"

// minColFileDocs: a segment of fewer papers keeps no column file. Small
// segments are read quickly from the index and soon merged away; an open
// index making a file for each would write one for every commit.
var minColFileDocs = 10_000

// maxColBytesPerDoc bounds the size of a column file that load reads: a
// paper takes 26 bytes, its id and 4 bytes a topic or category.
const maxColBytesPerDoc = 4096

// colFiles reads and writes the column files of one index.
type colFiles struct {
	dir   string // the column files' directory
	write bool   // false for a read-only open: files are read, never written
}

// newColFiles returns the column files of the index at path.
func newColFiles(path string, write bool) *colFiles {
	return &colFiles{dir: filepath.Join(path, colDirName), write: write}
}

// segmentFile is what a column file is checked against: the zap segment's
// own file.
type segmentFile interface {
	Path() string
	CRC() uint32
	Data() []byte
}

var _ segmentFile = (*zap.Segment)(nil)

// name returns the column file of seg, or "" for a segment that is not a
// file (one being built in memory).
func (f *colFiles) name(seg any) (string, segmentFile) {
	sf, ok := seg.(segmentFile)
	if f == nil || f.dir == "" || !ok || sf.Path() == "" {
		return "", nil
	}
	base := strings.TrimSuffix(filepath.Base(sf.Path()), filepath.Ext(sf.Path()))
	return filepath.Join(f.dir, base+colFileSuffix), sf
}

// colHeader identifies the segment a column file was made from.
type colHeader struct {
	crc  uint32 // the segment file's own checksum
	size uint64 // the segment file's length
	docs uint64
}

// load reads the columns of seg from its column file, with their values
// numbered in dict, which must be empty. It returns nil, and leaves dict
// empty, when there is no usable file: the caller reads the segment
// instead.
func (f *colFiles) load(seg any, docs uint64, dict *facetDict) (c *columns) {
	path, sf := f.name(seg)
	if path == "" || docs < uint64(minColFileDocs) {
		return nil
	}
	// The file is input like any other: a decoder bug it trips must not
	// end the process (this runs on a goroutine of its own).
	defer func() {
		if r := recover(); r != nil {
			c = nil
		}
	}()
	// A file far bigger than its papers could need is not read into
	// memory to find that out.
	if st, err := os.Stat(path); err != nil || st.Size() > int64(docs)*maxColBytesPerDoc+1<<20 {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var d facetDict
	c, err = decodeColumns(b, colHeader{crc: sf.CRC(), size: uint64(len(sf.Data())), docs: docs}, &d)
	if err != nil {
		return nil
	}
	*dict = d
	return c
}

// save writes the column file of seg, if it keeps one. A failure (a full
// disk) costs only the time a file would save next time: the caller logs
// it and goes on.
func (f *colFiles) save(seg any, c *columns, dict *facetDict) error {
	path, sf := f.name(seg)
	if path == "" || !f.write || len(c.published) < minColFileDocs {
		return nil
	}
	b := encodeColumns(c, dict, colHeader{crc: sf.CRC(), size: uint64(len(sf.Data())), docs: uint64(len(c.published))})
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return fmt.Errorf("write column file: %w", err)
	}
	// Written under a temporary name and renamed: a reader never sees half
	// a file. Not synced: a file lost or torn by a crash fails its checksum
	// and is written again.
	tmp, err := os.CreateTemp(f.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("write column file: %w", err)
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write column file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write column file %s: %w", path, err)
	}
	return nil
}

// prune removes the column files of segments not in live, the file
// names of the segments of the index's latest snapshot, and temporary
// files a crash left. A segment leaves the latest snapshot only when a
// merge replaces it, and never comes back, though its file stays on disk
// while older snapshots hold it; and a segment has a column file only
// once a snapshot with it was searched. So with the cache's lock held,
// which every write of a file takes, a file not in live is of no use.
func (f *colFiles) prune(live map[string]bool) error {
	if f == nil || f.dir == "" || !f.write {
		return nil
	}
	entries, err := os.ReadDir(f.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("prune column files: %w", err)
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, ".tmp-"):
		case strings.HasSuffix(name, colFileSuffix):
			if live[strings.TrimSuffix(name, colFileSuffix)] {
				continue
			}
		default:
			continue
		}
		if err := os.Remove(filepath.Join(f.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("prune column files: %w", err)
	}
	return nil
}

// segmentFileNames returns the names, without extension, of the files of
// the segments of snap that have one.
func segmentFileNames(segs []*scorch.SegmentSnapshot) map[string]bool {
	out := make(map[string]bool, len(segs))
	for _, ss := range segs {
		if sf, ok := ss.Segment().(segmentFile); ok && sf.Path() != "" {
			out[strings.TrimSuffix(filepath.Base(sf.Path()), filepath.Ext(sf.Path()))] = true
		}
	}
	return out
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encodeColumns lays c out as a column file: the magic, the header, the
// segment's value names, then each column, all little-endian, then a
// checksum of everything before it. Values are numbered as in dict.
func encodeColumns(c *columns, dict *facetDict, h colHeader) []byte {
	n := len(c.published)
	idBytes := 0
	for _, id := range c.ids {
		idBytes += len(id)
	}
	b := make([]byte, 0, 64+n*(8+2+8+4+4)+4*len(c.vals)+idBytes+16*len(dict.names))
	b = append(b, colMagic...)
	b = binary.LittleEndian.AppendUint32(b, h.crc)
	b = binary.LittleEndian.AppendUint64(b, h.size)
	b = binary.LittleEndian.AppendUint64(b, h.docs)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(c.vals)))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(dict.names)))
	b = binary.LittleEndian.AppendUint64(b, uint64(idBytes))
	for i, name := range dict.names {
		b = append(b, dict.group[i])
		b = binary.AppendUvarint(b, uint64(len(name)))
		b = append(b, name...)
	}
	for _, v := range c.published {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	for _, v := range c.year {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	for _, v := range c.upvotes {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	for _, v := range c.off {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	for _, v := range c.vals {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	end := uint32(0)
	for _, id := range c.ids {
		end += uint32(len(id))
		b = binary.LittleEndian.AppendUint32(b, end)
	}
	for _, id := range c.ids {
		b = append(b, id...)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// errColFile is any reason a column file cannot be used.
var errColFile = errors.New("column file unusable")

// decodeColumns reads a column file made by encodeColumns for the segment
// want describes, numbering its values in dict, which must be empty.
func decodeColumns(b []byte, want colHeader, dict *facetDict) (*columns, error) {
	const head = len(colMagic) + 4 + 5*8
	if len(b) < head+4 || string(b[:len(colMagic)]) != colMagic {
		return nil, errColFile
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, errColFile
	}
	le := binary.LittleEndian
	p := body[len(colMagic):]
	got := colHeader{crc: le.Uint32(p), size: le.Uint64(p[4:]), docs: le.Uint64(p[12:])}
	nvals, nnames, idBytes := le.Uint64(p[20:]), le.Uint64(p[28:]), le.Uint64(p[36:])
	p = p[44:]
	if got != want {
		return nil, errColFile
	}
	n := got.docs
	// Every count is checked against what is left before anything is
	// allocated from it: the checksum guards against damage, not against
	// a file made to be read.
	if n > uint64(len(p)) || nvals > uint64(len(p)) || nnames > uint64(len(p)) || idBytes > uint64(len(p)) {
		return nil, errColFile
	}
	seen := map[string]bool{}
	for range nnames {
		if len(p) < 1 {
			return nil, errColFile
		}
		g := p[0]
		l, k := binary.Uvarint(p[1:])
		if k <= 0 || l > uint64(len(p)-1-k) || g > groupCategories {
			return nil, errColFile
		}
		name := string(p[1+k : 1+k+int(l)])
		// Two ids of one value would count its papers twice.
		key := string(g) + name
		if seen[key] {
			return nil, errColFile
		}
		seen[key] = true
		dict.names = append(dict.names, name)
		dict.group = append(dict.group, g)
		p = p[1+k+int(l):]
	}
	if uint64(len(p)) != n*(8+2+8+4+4)+4+4*nvals+idBytes {
		return nil, errColFile
	}
	c := &columns{
		published: make([]int64, n), year: make([]int16, n), upvotes: make([]float64, n), ids: make([]string, n),
		off: make([]uint32, n+1), vals: make([]uint32, nvals),
	}
	for i := range c.published {
		c.published[i] = int64(le.Uint64(p[8*i:]))
	}
	p = p[8*n:]
	for i := range c.year {
		c.year[i] = int16(le.Uint16(p[2*i:]))
	}
	p = p[2*n:]
	for i := range c.upvotes {
		if c.upvotes[i] = math.Float64frombits(le.Uint64(p[8*i:])); math.IsNaN(c.upvotes[i]) {
			return nil, errColFile // would break the order of a sort by upvotes
		}
	}
	p = p[8*n:]
	for i := range c.off {
		c.off[i] = le.Uint32(p[4*i:])
	}
	p = p[4*(n+1):]
	for i := range c.vals {
		if c.vals[i] = le.Uint32(p[4*i:]); uint64(c.vals[i]) >= nnames {
			return nil, errColFile
		}
	}
	p = p[4*nvals:]
	if c.off[0] != 0 || uint64(c.off[n]) != nvals {
		return nil, errColFile
	}
	ends := p[:4*n]
	// One string holds every id; each paper's is a slice of it.
	all := string(p[4*n:])
	start := uint32(0)
	for i := range c.ids {
		end := le.Uint32(ends[4*i:])
		if end < start || uint64(end) > idBytes || c.off[i+1] < c.off[i] {
			return nil, errColFile
		}
		c.ids[i] = all[start:end]
		start = end
	}
	if uint64(start) != idBytes {
		return nil, errColFile
	}
	return c, nil
}
