package indexer

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"iter"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/papersearch/papersearch/search"
)

// DefaultBatchSize is how many papers go into one index commit.
const DefaultBatchSize = 500

// Format is one source format papersearch reads.
type Format struct {
	Name string
	// Sniff reports whether the start of a source looks like this format.
	Sniff func(head []byte) bool
	Parse func(r io.Reader, source string) iter.Seq2[search.Paper, error]
}

// Formats lists the formats in the order detection tries them.
func Formats() []Format {
	// Specific formats come before the general ones they resemble: HF API
	// and snapshot JSON before any JSON, HF pages before the plain-text
	// listing (which also says "Daily Papers").
	return []Format{
		{Name: "hf-api", Sniff: sniffHFAPI, Parse: ParseHFAPI},
		{Name: "arxiv-snapshot", Sniff: sniffArxivSnapshot, Parse: ParseArxivSnapshot},
		{Name: "json", Sniff: sniffJSON, Parse: ParseJSON},
		{Name: "arxiv-atom", Sniff: sniffArxivAtom, Parse: ParseArxivAtom},
		{Name: "arxiv-oai", Sniff: sniffArxivOAI, Parse: ParseArxivOAI},
		{Name: "hf-html", Sniff: sniffHFHTML, Parse: ParseHFHTML},
		{Name: "arxiv-listing", Sniff: sniffArxivListing, Parse: ParseArxivListing},
		{Name: "listing", Sniff: sniffListing, Parse: ParseListing},
	}
}

// FormatNames lists the names --format accepts.
func FormatNames() []string {
	var out []string
	for _, f := range Formats() {
		out = append(out, f.Name)
	}
	return out
}

func sniffJSON(head []byte) bool {
	h := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	return len(h) > 0 && (h[0] == '{' || h[0] == '[')
}

// ErrUnknownFormat means no format recognised a source.
var ErrUnknownFormat = errors.New("unrecognised format")

// Detect picks the format of a source from its first bytes.
func Detect(head []byte) (Format, error) {
	if len(bytes.TrimSpace(head)) == 0 {
		return Format{}, fmt.Errorf("%w: the source is empty", ErrUnknownFormat)
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return Format{}, fmt.Errorf("%w: the source looks binary", ErrUnknownFormat)
	}
	for _, f := range Formats() {
		if f.Sniff(head) {
			return f, nil
		}
	}
	return Format{}, fmt.Errorf("%w: name it with --format, or ?format= when posting (one of %s)", ErrUnknownFormat, strings.Join(FormatNames(), ", "))
}

// Stats counts what an Indexer has done.
type Stats struct {
	Read    int // records read, good and bad
	Added   int // new papers
	Updated int // papers that were already in the index
	Merged  int // records folded into another record of the same paper in this batch
	// Superseded counts, with Indexer.Replace, the records a later record
	// of the same paper in this batch took the place of.
	Superseded int
	Rejected   int // records skipped as malformed
	Elapsed    time.Duration
	// Batches counts committed batches, and LastID is the id of the last
	// paper of the last one: every paper read before it is in the index.
	Batches int
	LastID  string
}

func (s Stats) String() string {
	merged := ""
	if s.Merged > 0 {
		merged = fmt.Sprintf(", merged %d", s.Merged)
	}
	if s.Superseded > 0 {
		merged += fmt.Sprintf(", superseded %d", s.Superseded)
	}
	return fmt.Sprintf("read %d, added %d, updated %d%s, rejected %d, in %s",
		s.Read, s.Added, s.Updated, merged, s.Rejected, s.Elapsed.Round(time.Millisecond))
}

// Indexer parses sources, tags and merges papers, and writes them in batches.
//
// Writing runs behind reading: a full batch is handed to a writer
// goroutine and reading goes on, so that parsing, Bleve's analysis and its
// segment building overlap. Up to Writers batches are written at once;
// batches that share a paper are written one after the other, so that each
// merges with what the one before it stored.
type Indexer struct {
	idx   *search.Index
	tax   *Taxonomy
	log   *slog.Logger
	start time.Time
	batch []search.Paper
	pos   map[string]int // id -> position in batch

	mu                  sync.Mutex
	cond                sync.Cond // signalled when a write ends
	stats               Stats
	writing             int             // batches being written
	inflight            map[string]bool // ids of the papers being written
	dispatched, lastSeq int             // batches handed to writers; the latest committed
	// written holds, in a bulk load, hashes of the ids written so far:
	// the index started empty, so only these can have a stored paper to
	// merge with. Hashes, not strings: string keys are pointers the
	// garbage collector scans at every cycle (at 300,000 papers, the mean
	// live heap fell from 105 to 100 MB and GC from 9% to 7% of the
	// build's CPU). A hash that collides only costs a look-up that finds
	// nothing. A hashSet, not a map: see there.
	written  *hashSet
	idSeed   maphash.Seed
	err      error      // the first write that failed
	commitMu sync.Mutex // serialises OnCommit

	// BatchSize is how many papers go into one commit.
	BatchSize int
	// Writers is how many batches may be written at once.
	Writers int
	// Limit stops IndexReader after this many records, good or bad, over
	// all sources; 0 means no limit.
	Limit int
	// Replace makes a record replace the stored paper of its id, and an
	// earlier record of it in the same run, where records are otherwise
	// merged (see Merge): how a correction removes a wrong title or
	// category that merging would keep.
	Replace bool
	// OnReject is told about every skipped record.
	OnReject func(error)
	// OnCommit is told the running totals after every committed batch. It
	// is called from the goroutine that wrote the batch, one call at a time.
	OnCommit func(Stats)
}

// DefaultWriters is how many batches an Indexer writes at once. One: the
// index commits batches one at a time anyway (search.Index holds its lock
// across Bleve's Batch, see there), and with one writer batches commit in
// the order they were read, so what has been acknowledged is always a
// prefix of the input, which is what a rerun after a crash relies on.
// Reading and parsing still run ahead of the writer.
const DefaultWriters = 1

// BulkWriters is how many batches an Indexer writes at once into a bulk
// load (search.OpenBulk), where batches may commit side by side: Bleve
// builds each batch's segment on the goroutine that commits it, so two
// keep both cores of a laptop busy.
const BulkWriters = 2

// New returns an Indexer writing to idx, tagging with tax.
func New(idx *search.Index, tax *Taxonomy, log *slog.Logger) *Indexer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ix := &Indexer{
		idx: idx, tax: tax, log: log, start: time.Now(), pos: map[string]int{}, inflight: map[string]bool{},
		BatchSize: DefaultBatchSize, Writers: DefaultWriters,
	}
	ix.cond.L = &ix.mu
	if idx.Bulk() {
		ix.Writers = BulkWriters
		ix.written, ix.idSeed = &hashSet{}, maphash.MakeSeed()
	}
	return ix
}

// Stats returns the running totals.
func (ix *Indexer) Stats() Stats {
	ix.mu.Lock()
	s := ix.stats
	ix.mu.Unlock()
	s.Elapsed = time.Since(ix.start)
	return s
}

// OpenSource opens a file, or stdin for "-", decompressing gzip and bzip2.
func OpenSource(name string, stdin io.Reader) (io.ReadCloser, error) {
	var rc io.ReadCloser
	if name == "-" {
		rc = io.NopCloser(stdin)
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err // already says "open NAME: reason"
		}
		if st, err := f.Stat(); err == nil && st.IsDir() {
			f.Close()
			return nil, fmt.Errorf("open source %s: is a directory", name)
		}
		rc = f
	}
	return maybeGunzip(rc, name)
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

func maybeGunzip(rc io.ReadCloser, name string) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(rc, 64<<10)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			rc.Close()
			return nil, fmt.Errorf("open source %s: gzip: %w", name, err)
		}
		return readCloser{truncation{zr, "gzip"}, func() error { zr.Close(); return rc.Close() }}, nil
	}
	if magic, _ := br.Peek(3); string(magic) == "BZh" {
		return readCloser{truncation{bzip2.NewReader(br), "bzip2"}, rc.Close}, nil
	}
	return readCloser{br, rc.Close}, nil
}

// truncation says in words that a compressed stream ended early, which the
// decompressors report as a bare "unexpected EOF".
type truncation struct {
	r    io.Reader
	kind string
}

func (t truncation) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	var corrupt bzip2.StructuralError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = fmt.Errorf("the %s data ends early, so the file is truncated: %w", t.kind, err)
	case errors.As(err, &corrupt):
		// A bzip2 file cut inside a block fails its checksum rather than
		// ending early.
		err = fmt.Errorf("the %s data is damaged: the file is truncated or corrupt (%w)", t.kind, err)
	}
	return n, err
}

// Parse returns the papers of one source. format is a name from
// FormatNames, or "" to detect it from the first bytes. It fails only for a
// source that cannot be read or recognised; bad records are yielded as
// *RecordError and parsing goes on. An empty source (white space at most)
// is ErrEmpty, whatever the format.
func Parse(r io.Reader, source, format string) (iter.Seq2[search.Paper, error], error) {
	var f Format
	if format != "" {
		var ok bool
		if f, ok = formatNamed(format); !ok {
			return nil, fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(FormatNames(), ", "))
		}
	}
	br := decodeUTF16(bufio.NewReaderSize(r, 64<<10))
	head, err := br.Peek(8 << 10)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read %s: %w", source, err)
	}
	// Checked before the format, so that an empty source is the same
	// answer for every format rather than a rejected record in some.
	if err == io.EOF && len(bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")))) == 0 {
		return nil, fmt.Errorf("%s: %w", source, ErrEmpty)
	}
	if format == "" {
		if f, err = Detect(head); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
	}
	return f.Parse(br, source), nil
}

// decodeUTF16 turns a source that starts with a UTF-16 byte-order mark
// (what Windows PowerShell writes, for one) into UTF-8, which every parser
// reads. Other sources are returned as they are.
func decodeUTF16(br *bufio.Reader) *bufio.Reader {
	bom, _ := br.Peek(2)
	if len(bom) < 2 || !(bom[0] == 0xFF && bom[1] == 0xFE || bom[0] == 0xFE && bom[1] == 0xFF) {
		return br
	}
	// ExpectBOM: the mark says which byte order, and is dropped.
	dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
	return bufio.NewReaderSize(transform.NewReader(br, dec), 64<<10)
}

// IndexReader parses one source and indexes its papers. format is a name
// from FormatNames, or "" to detect it. It returns an error only for a
// source that cannot be read at all, or ErrEmpty for an empty one; bad
// records go to OnReject.
func (ix *Indexer) IndexReader(ctx context.Context, r io.Reader, source, format string) error {
	papers, err := Parse(r, source, format)
	if err != nil {
		return err
	}
	ix.log.Debug("indexing", "source", source)
	for p, err := range papers {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err == nil {
			err = checkID(p.ID)
		}
		ix.mu.Lock()
		if ix.Limit > 0 && ix.stats.Read >= ix.Limit {
			ix.mu.Unlock()
			return nil
		}
		ix.stats.Read++
		if err != nil {
			ix.stats.Rejected++
		}
		ix.mu.Unlock()
		if err != nil {
			var re *RecordError
			if !errors.As(err, &re) {
				err = &RecordError{Source: source, Err: err}
			}
			if ix.OnReject != nil {
				ix.OnReject(err)
			}
			continue
		}
		if err := ix.Add(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

func formatNamed(name string) (Format, bool) {
	for _, f := range Formats() {
		if f.Name == name {
			return f, true
		}
	}
	return Format{}, false
}

// Add queues one parsed paper, handing the batch to a writer when it is
// full. It returns the error of an earlier write that failed.
func (ix *Indexer) Add(ctx context.Context, p search.Paper) error {
	if i, ok := ix.pos[p.ID]; ok {
		ix.mu.Lock()
		if ix.Replace {
			ix.batch[i] = p
			ix.stats.Superseded++
		} else {
			ix.batch[i] = Merge(ix.batch[i], p)
			ix.stats.Merged++
		}
		ix.mu.Unlock()
	} else {
		ix.pos[p.ID] = len(ix.batch)
		ix.batch = append(ix.batch, p)
	}
	if len(ix.batch) >= ix.BatchSize {
		return ix.dispatch()
	}
	return nil
}

// Flush commits the queued papers and waits for every write to end. Each
// paper is merged with the stored record of the same id, tagged with topics
// on the merged text, and written; once Flush returns nil, all of them are
// durably in the index.
func (ix *Indexer) Flush(ctx context.Context) error {
	if err := ix.dispatch(); err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for ix.writing > 0 {
		ix.cond.Wait()
	}
	return ix.err
}

// dispatch starts writing the queued batch once a writer is free and no
// paper of it is being written.
func (ix *Indexer) dispatch() error {
	batch := ix.batch
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for ix.err == nil && (ix.writing >= max(ix.Writers, 1) || ix.writingAny(batch)) {
		ix.cond.Wait()
	}
	if ix.err != nil || len(batch) == 0 {
		return ix.err
	}
	for i := range batch {
		ix.inflight[batch[i].ID] = true
	}
	ix.writing++
	ix.dispatched++
	seq := ix.dispatched
	// BatchSize may be "everything" (Ingest's all-or-nothing batch), so the
	// capacity is only a hint, capped.
	ix.batch = make([]search.Paper, 0, min(ix.BatchSize, DefaultBatchSize))
	clear(ix.pos)
	go ix.write(batch, seq)
	return nil
}

func (ix *Indexer) writingAny(batch []search.Paper) bool {
	if ix.writing == 0 {
		return false
	}
	for i := range batch {
		if ix.inflight[batch[i].ID] {
			return true
		}
	}
	return false
}

// write merges a batch with what is stored, tags it and commits it.
func (ix *Indexer) write(batch []search.Paper, seq int) {
	added, err := ix.commit(batch)
	ix.mu.Lock()
	for i := range batch {
		delete(ix.inflight, batch[i].ID)
		if err == nil && ix.written != nil {
			ix.written.add(maphash.String(ix.idSeed, batch[i].ID))
		}
	}
	if err != nil && ix.err == nil {
		ix.err = err
	}
	if err == nil {
		ix.stats.Added += added
		ix.stats.Updated += len(batch) - added
		ix.stats.Batches++
		// Batches may end out of order with several writers; the last
		// id is that of the latest batch read that has committed.
		if seq > ix.lastSeq {
			ix.lastSeq = seq
			ix.stats.LastID = batch[len(batch)-1].ID
		}
	}
	s := ix.stats
	ix.cond.Broadcast()
	ix.mu.Unlock()
	if err == nil {
		ix.log.Debug("committed batch", "papers", len(batch), "added", added)
		if ix.OnCommit != nil {
			ix.commitMu.Lock()
			s.Elapsed = time.Since(ix.start)
			ix.OnCommit(s)
			ix.commitMu.Unlock()
		}
	}
	// Only now may Flush return: OnCommit has been told.
	ix.mu.Lock()
	ix.writing--
	ix.cond.Broadcast()
	ix.mu.Unlock()
}

func (ix *Indexer) commit(batch []search.Paper) (added int, err error) {
	ids := make([]string, len(batch))
	for i := range batch {
		ids[i] = batch[i].ID
	}
	if ix.written != nil {
		// A bulk load looks up only what it wrote itself: most batches
		// then need no read at all, which would wait for the commits in
		// flight to end.
		ix.mu.Lock()
		ids = slices.DeleteFunc(ids, func(id string) bool {
			return !ix.written.has(maphash.String(ix.idSeed, id))
		})
		ix.mu.Unlock()
	}
	stored := map[string]search.Paper{}
	if len(ids) > 0 {
		// Writes run detached from the caller's context: Flush is how an
		// interrupted run saves what it has read.
		var err error
		if stored, err = ix.idx.Lookup(context.Background(), ids); err != nil {
			return 0, err
		}
	}
	for i := range batch {
		p := &batch[i]
		if old, ok := stored[p.ID]; ok {
			if !ix.Replace {
				*p = Merge(old, *p)
			}
		} else {
			added++
		}
		p.Topics = ix.tax.Tag(p.Title, p.Abstract)
	}
	return added, ix.idx.Put(batch)
}
