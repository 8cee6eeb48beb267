package indexer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
)

// Decoding helpers shared by the format parsers: framing JSON values and
// reading a whole HTML page under a size cap (XML: xmlrecords.go).

// ErrEmpty means a source holds nothing but white space (or nothing at
// all). Parse returns it for a source that is wholly empty, whatever the
// format, so that callers can treat an empty fetch as zero papers rather
// than as a record or a source that failed.
var ErrEmpty = errors.New("the source is empty")

// jsonValue is one JSON value of a source and where it starts.
type jsonValue struct {
	raw  []byte
	line int
	off  int64
}

// errAt wraps a reason for one value as a RecordError at its position.
func (v jsonValue) errAt(source string, err error) *RecordError {
	return &RecordError{Source: source, Line: v.line, Offset: v.off, Err: err}
}

// jsonValues frames a JSON source into values, whatever its layout: the
// elements of a top-level array (pretty-printed or not), JSON lines, or
// one or more pretty-printed objects. A line or value that holds an array
// is flattened into its elements. Bad JSON lines are reported and skipped;
// a syntax error inside an array or a multi-line object cannot be framed
// past, so it is reported and ends the source.
func jsonValues(r io.Reader, source string) iter.Seq2[jsonValue, error] {
	return func(yield func(jsonValue, error) bool) {
		br := bufio.NewReaderSize(r, 64<<10)
		if bom, _ := br.Peek(3); string(bom) == "\xef\xbb\xbf" {
			br.Discard(3)
		}
		c, err := peekFirst(br)
		if err != nil {
			if err == io.EOF {
				err = ErrEmpty
			}
			yield(jsonValue{}, &RecordError{Source: source, Err: err})
			return
		}
		switch c {
		case '[':
			jsonStream(br, source, yield)
		case '{':
			if firstLineIsJSON(br) {
				jsonLines(br, source, yield)
			} else {
				jsonStream(br, source, yield)
			}
		default:
			yield(jsonValue{}, recordErr(source, 1, "not JSON: the source starts with %q", clip(string(rune(c)))))
		}
	}
}

// peekFirst returns the first byte of br that is not white space or a
// byte-order mark, without consuming it; io.EOF means there is none.
func peekFirst(br *bufio.Reader) (byte, error) {
	for i := 1; ; i++ {
		b, err := br.Peek(i)
		if len(b) < i {
			if err == nil || errors.Is(err, bufio.ErrBufferFull) {
				err = io.EOF // only white space fits in the buffer
			}
			return 0, err
		}
		c := b[i-1]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			continue
		case i <= 3 && bytes.HasPrefix([]byte("\xef\xbb\xbf"), b):
			continue
		}
		return c, nil
	}
}

// firstLineIsJSON tells JSON lines from pretty-printed objects by the
// first line: it is JSON lines unless that line is the start of a value
// that goes on past it ("{", or `{"id": "1",`). A first line that is
// complete but broken is a bad record of JSON lines, reported on its own;
// so is one cut short, when the line after it is a whole object: read as
// one stream, the first error would end the source and lose every line
// after it.
func firstLineIsJSON(br *bufio.Reader) bool {
	head, _ := br.Peek(br.Size())
	line, rest, found := bytes.Cut(head, []byte("\n"))
	if !found && len(head) == br.Size() {
		return true // one long line: read it as JSON lines, which caps it
	}
	line = bytes.TrimSpace(bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")))
	if !errors.Is(decodeWhole(line), io.ErrUnexpectedEOF) {
		return true
	}
	for len(rest) > 0 {
		line, rest, found = bytes.Cut(rest, []byte("\n"))
		if line = bytes.TrimSpace(line); len(line) == 0 {
			continue
		}
		// Pretty-printed, the next line is a part ("id": "1",), never a
		// whole object; cut off by the buffer, it proves nothing.
		return found && line[0] == '{' && decodeWhole(line) == nil
	}
	return false
}

// decodeWhole reports whether b is one JSON value.
func decodeWhole(b []byte) error {
	var raw json.RawMessage
	return json.NewDecoder(bytes.NewReader(b)).Decode(&raw)
}

func jsonLines(r io.Reader, source string, yield func(jsonValue, error) bool) {
	lr := newLineReader(r)
	for {
		line, n, err := lr.next()
		if err == io.EOF {
			return
		}
		if err != nil {
			if !yield(jsonValue{}, recordErr(source, n, "%v", err)) || !errors.Is(err, errLineTooLong) {
				return
			}
			continue
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		// The parser's own decoding validates the line: checking here too
		// would scan every line twice.
		if !yieldFlat(jsonValue{raw: line, line: n}, source, yield) {
			return
		}
	}
}

func jsonStream(r io.Reader, source string, yield func(jsonValue, error) bool) {
	lc := &lineCounter{r: r, limit: maxLine}
	dec := json.NewDecoder(lc)
	inArray := false
	for {
		if !inArray {
			if !dec.More() {
				// More is false at the end and at a stray closer: a
				// final Token tells the two apart.
				off := nextValueOffset(dec)
				if _, err := dec.Token(); err != io.EOF {
					yield(jsonValue{}, &RecordError{Source: source, Line: lc.lineAt(off), Offset: off, Err: fmt.Errorf("invalid JSON: %v", tokenErr(err))})
				}
				return
			}
			if c := peekByte(dec); c == '[' {
				if _, err := dec.Token(); err != nil {
					yield(jsonValue{}, &RecordError{Source: source, Err: err})
					return
				}
				inArray = true
				continue
			}
		} else if !dec.More() {
			// The closing bracket, or the end of a truncated array.
			off := nextValueOffset(dec)
			if _, err := dec.Token(); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				yield(jsonValue{}, &RecordError{Source: source, Line: lc.lineAt(off), Offset: off, Err: fmt.Errorf("the JSON array does not close: %v (truncated?)", err)})
				return
			}
			inArray = false
			continue
		}
		off := nextValueOffset(dec)
		lc.start = off
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			yield(jsonValue{}, &RecordError{Source: source, Line: lc.lineAt(off), Offset: off, Err: fmt.Errorf("invalid JSON: %v", err)})
			return
		}
		if !yieldFlat(jsonValue{raw: raw, line: lc.lineAt(off), off: off}, source, yield) {
			return
		}
	}
}

// checkUTF8 refuses a JSON record that is not valid UTF-8, which JSON must
// be: encoding/json would quietly turn each bad byte into U+FFFD, and a
// Latin-1 file would be indexed as "Caf\uFFFD". The error says where, and
// how to convert the file.
func checkUTF8(raw []byte) error {
	if utf8.Valid(raw) {
		return nil
	}
	i := 0
	for i < len(raw) {
		r, size := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	// What comes just before, as text a person can find in the file.
	from := max(0, i-16)
	for from < i && !utf8.RuneStart(raw[from]) {
		from++
	}
	before := strings.Join(strings.Fields(string(raw[from:i])), " ")
	if from > 0 {
		before = "…" + before
	}
	return fmt.Errorf("%w: byte 0x%02X at byte %d of the record (after %s); the file is in another encoding "+
		"(Latin-1 or Windows-1252?): convert it, e.g. iconv -f latin1 -t utf-8 FILE > FILE.utf8", errNotUTF8, raw[i], i+1, before)
}

var errNotUTF8 = errors.New("not UTF-8")

// decodeErr describes why a JSON value did not decode into what a format
// expects: broken JSON, or JSON of another shape.
func decodeErr(what string, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON: %v", err)
	}
	return fmt.Errorf("not %s: %v", what, jsonErr(err))
}

// tokenErr names what a closing Token found instead of the end.
func tokenErr(err error) error {
	if err == nil {
		return errors.New("unexpected closing bracket")
	}
	return err
}

// nextValueOffset returns the offset of the decoder's next value: past the
// white space and separators it has buffered, so that a broken value is
// reported where it starts.
func nextValueOffset(dec *json.Decoder) int64 {
	off := dec.InputOffset()
	// Byte by byte: after a long value the decoder may hold megabytes,
	// and copying them for each small value after it would be quadratic.
	br, ok := dec.Buffered().(io.ByteReader)
	if !ok {
		return off
	}
	for {
		c, err := br.ReadByte()
		if err != nil || (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != ',' && c != ':') {
			return off
		}
		off++
	}
}

// peekByte returns the next non-space byte the decoder will read, or 0.
func peekByte(dec *json.Decoder) byte {
	b, _ := io.ReadAll(io.LimitReader(dec.Buffered(), 64))
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		// More has just filled the buffer, so the value starts in it.
		return 0
	}
	return b[0]
}

// yieldFlat yields v, or each element of v when v is an array.
func yieldFlat(v jsonValue, source string, yield func(jsonValue, error) bool) bool {
	if len(v.raw) == 0 || v.raw[0] != '[' {
		return yield(v, nil)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(v.raw, &elems); err != nil {
		return yield(jsonValue{}, v.errAt(source, fmt.Errorf("invalid JSON: %v", err)))
	}
	for _, e := range elems {
		if !yield(jsonValue{raw: e, line: v.line, off: v.off}, nil) {
			return false
		}
	}
	return true
}

// lineCounter counts the lines of what passes through it, so that a byte
// offset reported by a decoder that reads ahead can be turned into a line.
// Offsets must be asked for in increasing order; it keeps only the newlines
// read ahead of the last offset asked for. With a limit, it fails once more
// than limit bytes (and a buffer's worth) have been read since start, the
// offset of the value being decoded: a decoder holds a whole value, so one
// runaway value would otherwise hold the whole source.
type lineCounter struct {
	r        io.Reader
	read     int64
	newlines []int64 // offsets of newlines at or after the last query
	line     int     // newlines before the last query
	start    int64
	limit    int64
}

func (c *lineCounter) Read(p []byte) (int, error) {
	if c.limit > 0 && c.read-c.start > c.limit+64<<10 {
		return 0, fmt.Errorf("a JSON value longer than %d MiB", c.limit>>20)
	}
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			c.newlines = append(c.newlines, c.read+int64(i))
		}
	}
	c.read += int64(n)
	return n, err
}

// lineAt returns the 1-based line of byte offset off.
func (c *lineCounter) lineAt(off int64) int {
	i := 0
	for i < len(c.newlines) && c.newlines[i] < off {
		i++
	}
	c.line += i
	c.newlines = c.newlines[i:]
	if len(c.newlines) == 0 {
		c.newlines = nil // let the backing array go
	}
	return c.line + 1
}

// maxPage bounds an HTML page, which is parsed whole.
const maxPage = 64 << 20

// readPage reads a whole HTML page, refusing one that is empty, binary or
// larger than maxPage.
func readPage(r io.Reader, source string) ([]byte, *RecordError) {
	raw, err := io.ReadAll(io.LimitReader(r, maxPage+1))
	switch {
	case err != nil:
		return nil, &RecordError{Source: source, Offset: int64(len(raw)), Err: err}
	case len(raw) > maxPage:
		return nil, &RecordError{Source: source, Err: fmt.Errorf("the page is larger than %d MiB", maxPage>>20)}
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, &RecordError{Source: source, Err: ErrEmpty}
	}
	if i := bytes.IndexByte(raw[:min(len(raw), 8<<10)], 0); i >= 0 {
		return nil, &RecordError{Source: source, Offset: int64(i), Err: errors.New("the source looks binary, not HTML")}
	}
	return raw, nil
}

// pageEnd reports what is wrong with a page once it has been read: that it
// is cut off before </html>, or that it held nothing (records counts the
// papers and errors it gave).
func pageEnd(raw []byte, source string, records int, what string) *RecordError {
	truncated := indexFold(raw, []byte("</html>")) < 0
	end := &RecordError{Source: source, Line: bytes.Count(raw, []byte("\n")) + 1, Offset: int64(len(raw))}
	switch {
	case truncated && records == 0:
		end.Err = errors.New("the page ends without </html> before any paper: it is truncated")
	case records == 0:
		return &RecordError{Source: source, Err: fmt.Errorf("no papers found: not %s", what)}
	case truncated:
		end.Err = errors.New("the page ends without </html>: it is truncated, and papers after this point are missing")
	default:
		return nil
	}
	return end
}

// pagePos finds positions in a page for error messages: the n-th
// occurrence of a tag, and the line of an offset. It scans the page once
// however many records ask, as long as they ask in page order.
type pagePos struct {
	raw     []byte
	tag     string
	offs    []int // offsets of tag found so far
	scanned int   // raw[:scanned] has been searched for tag
	lineOff int   // the line of lineOff is line
	line    int
}

func newPagePos(raw []byte, tag string) *pagePos {
	return &pagePos{raw: raw, tag: tag, line: 1}
}

// nth returns the offset of the n-th (0-based) tag, or -1.
func (pp *pagePos) nth(n int) int {
	for len(pp.offs) <= n {
		i := indexFold(pp.raw[pp.scanned:], []byte(pp.tag))
		if i < 0 {
			pp.scanned = len(pp.raw)
			return -1
		}
		pp.offs = append(pp.offs, pp.scanned+i)
		pp.scanned += i + len(pp.tag)
	}
	return pp.offs[n]
}

// lineAt returns the 1-based line of offset off, or 0 when off is not in
// the page.
func (pp *pagePos) lineAt(off int) int {
	if off < 0 || off > len(pp.raw) {
		return 0
	}
	if off < pp.lineOff {
		pp.lineOff, pp.line = 0, 1
	}
	pp.line += bytes.Count(pp.raw[pp.lineOff:off], []byte("\n"))
	pp.lineOff = off
	return pp.line
}

// errAt returns a RecordError at offset off of the page.
func (pp *pagePos) errAt(source string, off int, err error) *RecordError {
	return &RecordError{Source: source, Line: pp.lineAt(off), Offset: int64(max(off, 0)), Err: err}
}

// indexFold returns the offset of sep in s, ignoring ASCII case, or -1.
func indexFold(s, sep []byte) int {
	if len(sep) == 0 {
		return 0
	}
	first := sep[0]
	if 'a' <= first|0x20 && first|0x20 <= 'z' {
		for i := 0; i+len(sep) <= len(s); i++ {
			if bytes.EqualFold(s[i:i+len(sep)], sep) {
				return i
			}
		}
		return -1
	}
	for off := 0; ; {
		i := bytes.IndexByte(s[off:], first)
		if i < 0 || off+i+len(sep) > len(s) {
			return -1
		}
		if bytes.EqualFold(s[off+i:off+i+len(sep)], sep) {
			return off + i
		}
		off += i + 1
	}
}

// looksHTML reports whether the start of a source is an HTML document.
func looksHTML(head []byte) bool {
	h := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	h = h[:min(len(h), 1024)]
	return indexFold(h, []byte("<!doctype html")) >= 0 || indexFold(h, []byte("<html")) >= 0
}

// readHTML reads a whole page (readPage's caps apply) and parses it.
func readHTML(r io.Reader, source string) ([]byte, *goquery.Document, *RecordError) {
	raw, rerr := readPage(r, source)
	if rerr != nil {
		return nil, nil, rerr
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, &RecordError{Source: source, Err: err}
	}
	return raw, doc, nil
}
