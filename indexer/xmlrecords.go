package indexer

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// The XML formats (arXiv Atom, OAI-PMH) are read record by record: an
// <entry> or a <record> that is not well-formed costs that record, not
// every record after it.
//
// encoding/xml stops for good at its first error, so the decoder reads the
// document one byte at a time from an xmlInput (it reads an io.ByteReader
// as it is, without buffering ahead), which notices the start tags of
// records as they go by. After an error, reading goes on at the next
// record's start tag, with a fresh decoder for each record from there on;
// what lies between records is then skipped unparsed. While a record is
// decoded, the start tag of the next one ends it: a record whose end tag
// is missing, or that opens a comment it never closes, is reported alone
// instead of taking the records after it along. (So a record cannot hold
// the text "<entry" in a comment or CDATA section; the arXiv feeds never
// do.) Between records, before an error, the decoder reads as XML says:
// records in a comment are not records. When such a comment then breaks,
// the error counts the records it hid, as their papers are lost.
//
// Entities: the five of XML, character references and the HTML named ones
// (&eacute;, &nbsp;, &mdash;: people and tools put them in feeds) become
// their characters. A DTD is kept as an opaque directive, so the entities
// it declares stay unknown (&xxe; and &lol9; are errors) and nothing
// outside the document is read.

// errNextRecord ends a decoder's read at the start tag of the next record.
var errNextRecord = errors.New("the next record starts")

// maxTagName bounds the element names xmlInput keeps while it matches them.
const maxTagName = 64

// maxXMLRecord bounds a record, and the document before the first record
// or between two: encoding/xml holds a text node whole, and a feed whose
// entry held gigabytes of it would take that much memory. It bounds bytes,
// not memory: a record of 1 MiB of empty elements allocates 94 MiB in
// encoding/xml's tokens (BenchmarkParseArxivAtomRecordAtBound), so it is
// kept low. An arXiv entry is a few KB, and a paper may not carry more than
// about 350 KB (see normalize.go).
const maxXMLRecord = 1 << 20

var errRecordTooLarge = fmt.Errorf("longer than %d MiB", maxXMLRecord>>20)

// xmlInput is the document, as UTF-8, that the decoders read. It keeps the
// line and offset of the next byte and matches tag names as they pass.
type xmlInput struct {
	src  io.Reader
	buf  []byte // buf[pos:] is read next
	pos  int
	own  []byte // the buffer src is read into
	err  error  // src's error, once buf is drained
	off  int64  // offset in the (UTF-8) document of the next byte
	line int    // its line
	// recordOff is where the last record's start tag began (0 before the
	// first); reading more than maxXMLRecord past it fails, and sets
	// overCap, unless unbounded, as while skipping to the next record,
	// which keeps nothing. encoding/xml may report that failure as another
	// error (invalid UTF-8, when the cap splits a character), so overCap
	// is what says it was the cap.
	recordOff  int64
	recordLine int // the line of recordOff
	unbounded  bool
	overCap    bool

	record string // local name of a record element
	root   string // local name of the root element
	// stop makes the start tag of a record end the read: ReadByte returns
	// errNextRecord, and the tag is read again by whoever reads next.
	stop    bool
	rootEnd bool // the root's end tag went by
	// passed counts the record start tags read while stop was off, since
	// it was last reset; passedLine is the line of the first.
	passed     int
	passedLine int

	tag     []byte // "<" or "</" and the name read so far; empty outside a tag
	tagOff  int64
	tagLine int
	// While a start tag that ended a read is read again, buf is replay and
	// the read buffer waits in saved.
	replaying bool
	replay    []byte
	saved     []byte
	savedPos  int
}

// newXMLInput returns the document r as UTF-8: decoded from the encoding
// its declaration names, or else read as UTF-8 without a byte-order mark,
// invalid bytes becoming U+FFFD; a document declared UTF-16 was decoded
// already (decodeUTF16).
func newXMLInput(r io.Reader, record, root string) (*xmlInput, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(512)
	var src io.Reader
	m := xmlEncoding.FindSubmatch(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")))
	if m == nil || strings.EqualFold(string(m[1]), "utf-8") || strings.EqualFold(string(m[1]), "utf8") || isUTF16Label(string(m[1])) {
		src = transform.NewReader(br, unicode.UTF8BOM.NewDecoder())
	} else {
		cr, err := charset.NewReaderLabel(string(m[1]), br)
		if err != nil {
			return nil, fmt.Errorf("the XML declares an encoding papersearch cannot read: %w", err)
		}
		src = cr
	}
	return &xmlInput{src: src, own: make([]byte, 8<<10), line: 1, record: record, root: root}, nil
}

// isUTF16Label reports whether an XML declaration names UTF-16. A
// declaration the decoder can read in ASCII is not in UTF-16 any more:
// Parse has decoded the document (decodeUTF16), and it is UTF-8 now.
func isUTF16Label(label string) bool {
	l := strings.ToLower(label)
	return strings.HasPrefix(l, "utf-16") || l == "utf16" || l == "ucs-2"
}

var xmlEncoding = regexp.MustCompile(`^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']`)

// ReadByte is called for every byte of the document: its common path is
// kept short.
func (in *xmlInput) ReadByte() (byte, error) {
	if in.pos >= len(in.buf) {
		if err := in.fill(); err != nil {
			return 0, err
		}
	}
	b := in.buf[in.pos]
	in.pos++
	in.off++
	if b == '\n' {
		in.line++
	}
	if (b == '<' || len(in.tag) > 0) && !in.replaying && in.match(b) {
		return 0, errNextRecord
	}
	if in.off-in.recordOff > maxXMLRecord && !in.unbounded {
		in.overCap = true
		return 0, errRecordTooLarge
	}
	return b, nil
}

// fill ends a replay, or reads more of the source.
func (in *xmlInput) fill() error {
	if in.replaying {
		in.replaying = false
		in.buf, in.pos = in.saved, in.savedPos
		if in.pos < len(in.buf) {
			return nil
		}
	}
	for in.err == nil {
		n, err := in.src.Read(in.own)
		in.buf, in.pos, in.err = in.own[:n], 0, err
		if n > 0 {
			return nil
		}
	}
	return in.err
}

// Read is there for the decoder, which hands its reader to CharsetReader
// as an io.Reader; the document is UTF-8 by then.
func (in *xmlInput) Read(p []byte) (int, error) {
	for i := range p {
		b, err := in.ReadByte()
		if err != nil {
			return i, err
		}
		p[i] = b
	}
	return len(p), nil
}

// match follows tag names through the bytes; b has just been read. It
// reports a record's start tag when stop is set, after setting the tag up
// to be read again from its "<".
func (in *xmlInput) match(b byte) bool {
	switch {
	case b == '<':
		in.tag = append(in.tag[:0], '<')
		in.tagOff, in.tagLine = in.off-1, in.line
		return false
	case b == '/' && len(in.tag) == 1:
		in.tag = append(in.tag, '/')
		return false
	case isNameByte(b):
		if len(in.tag) < maxTagName {
			in.tag = append(in.tag, b)
		} else {
			in.tag = in.tag[:0]
		}
		return false
	}
	tag := in.tag
	in.tag = in.tag[:0]
	end := len(tag) > 1 && tag[1] == '/'
	name := tag[1:]
	if end {
		name = tag[2:]
	}
	if i := bytes.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	switch {
	case end && (b == '>' || isXMLSpace(b)) && string(name) == in.root:
		in.rootEnd = true
	case !end && (b == '>' || b == '/' || isXMLSpace(b)) && string(name) == in.record:
		// A record starts here only if the decoder says so (xmlReader.Token)
		// or it ends a read (below): the text "<entry" in a comment or a
		// CDATA section must not reset the bound.
		if !in.stop {
			if in.passed++; in.passed == 1 {
				in.passedLine = in.tagLine
			}
			return false
		}
		in.recordOff, in.recordLine = in.tagOff, in.tagLine
		in.replay = append(append(in.replay[:0], tag...), b)
		in.saved, in.savedPos = in.buf, in.pos
		in.buf, in.pos, in.replaying = in.replay, 0, true
		in.off, in.line = in.tagOff, in.tagLine
		return true
	}
	return false
}

// pending reports whether a start tag waits to be read again.
func (in *xmlInput) pending() bool { return in.replaying && in.pos < len(in.buf) }

// dropPending drops what is left of a start tag read again: the read
// that took the rest of it failed.
func (in *xmlInput) dropPending() {
	if in.replaying {
		in.pos = len(in.buf)
	}
}

// skipToRecord reads up to the next record's start tag, which is then
// read again by the next decoder. It returns false at the end of the
// document; err is an error of the source itself.
func (in *xmlInput) skipToRecord() (found bool, err error) {
	if in.pending() {
		return true, nil
	}
	in.stop, in.unbounded, in.overCap = true, true, false
	defer func() { in.unbounded = false }()
	for {
		_, err := in.ReadByte()
		switch {
		case err == nil:
		case errors.Is(err, errNextRecord):
			return true, nil
		case err == io.EOF:
			return false, nil
		default:
			return false, err
		}
	}
}

func isNameByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
		b == '-' || b == '_' || b == '.' || b == ':' || b >= 0x80
}

func isXMLSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// xmlReader reads the tokens of an XML document whose records (elements
// named record) may be broken; see the top of this file.
type xmlReader struct {
	source string
	in     *xmlInput
	d      *xml.Decoder
	line0  int   // the line on which the decoder started, minus one
	off0   int64 // the offset at which it started

	// skipping: an error has been met, and each record from here on is
	// found by its start tag and read with a decoder of its own.
	skipping bool
	done     bool
	readErr  error // an error of the source, reported after the XML error it caused
	start    int   // line of the last start tag returned by Token
	lastGood int   // line where the last token read whole ends
}

// newXMLReader reads up to the root element of an XML source and checks
// that it is named root; what names the document in errors ("an Atom
// feed"). record is the local name of the elements holding papers.
func newXMLReader(r io.Reader, source, root, what, record string) (*xmlReader, *RecordError) {
	in, err := newXMLInput(r, record, root)
	if err != nil {
		return nil, &RecordError{Source: source, Line: 1, Err: err}
	}
	x := &xmlReader{source: source, in: in}
	x.d = x.newDecoder()
	for {
		tok, err := x.d.Token()
		if err != nil {
			switch {
			case in.overCap:
				err = fmt.Errorf("the XML before <%s> is %w", root, errRecordTooLarge)
			case errors.Is(err, io.EOF) && x.d.InputOffset() == 0:
				err = ErrEmpty
			}
			return nil, x.syntaxErr(err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if se.Name.Local != root {
			return nil, x.syntaxErr(fmt.Errorf("not %s: the root element is <%s>", what, clip(se.Name.Local)))
		}
		x.lastGood = x.Line()
		return x, nil
	}
}

// newDecoder returns a strict decoder of the input from where it stands.
func (x *xmlReader) newDecoder() *xml.Decoder {
	d := xml.NewDecoder(x.in)
	d.Strict = true
	d.Entity = xml.HTMLEntity
	// The input is UTF-8 already (newXMLInput decoded it).
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	x.line0, x.off0 = x.in.line-1, x.in.off
	return d
}

// Line returns the source line of the end of the last token read.
func (x *xmlReader) Line() int {
	line, _ := x.d.InputPos()
	return x.line0 + line
}

func (x *xmlReader) offset() int64 { return x.off0 + x.d.InputOffset() }

// Token returns the next token. A part of the document that is not
// well-formed is returned as a *RecordError, and the next call goes on
// after it. At the end it returns io.EOF; after an error, the root's end
// tag is returned as an EndElement if it was met.
func (x *xmlReader) Token() (xml.Token, error) {
	switch {
	case x.readErr != nil:
		err := &RecordError{Source: x.source, Line: x.in.line, Offset: x.in.off, Err: x.readErr}
		x.readErr, x.done = nil, true
		return nil, err
	case x.done:
		return nil, io.EOF
	case x.skipping:
		return x.nextRecord()
	}
	x.in.passed = 0
	before, beforeLine := x.offset(), x.Line()
	tok, err := x.d.Token()
	if err != nil {
		if err == io.EOF {
			x.done = true
			return nil, io.EOF
		}
		return nil, x.fail(err, nil)
	}
	x.lastGood = x.Line()
	if se, ok := tok.(xml.StartElement); ok {
		x.start = x.lastGood
		if se.Name.Local == x.in.record {
			x.in.recordOff, x.in.recordLine = before, beforeLine
		}
	}
	return tok, nil
}

// DecodeElement decodes the element that start, just returned by Token,
// opens. An element that is not well-formed is returned as a *RecordError,
// and the next call to Token goes on after it.
func (x *xmlReader) DecodeElement(v any, start *xml.StartElement) error {
	x.in.stop = true
	err := x.d.DecodeElement(v, start)
	x.in.stop = x.skipping
	if err != nil {
		return x.fail(err, start)
	}
	x.lastGood = x.Line()
	return nil
}

// nextRecord finds the next record after an error and returns its start
// tag, read by a decoder of its own.
func (x *xmlReader) nextRecord() (xml.Token, error) {
	found, err := x.in.skipToRecord()
	if err != nil {
		x.readErr = err
		return x.Token()
	}
	if !found {
		x.done = true
		if x.in.rootEnd {
			return xml.EndElement{Name: xml.Name{Local: x.in.root}}, nil
		}
		return nil, &RecordError{Source: x.source, Line: x.in.line, Offset: x.in.off,
			Err: fmt.Errorf("the document ends without </%s>: it is truncated, and papers after this point are missing", x.in.root)}
	}
	x.d = x.newDecoder()
	tok, err := x.d.Token()
	if err != nil {
		return nil, x.fail(err, nil)
	}
	x.start = x.Line()
	return tok, nil
}

// fail reports err, met in the element that start opens (nil: outside
// the elements handed to DecodeElement), and sets the reader to go on at
// the next record.
func (x *xmlReader) fail(err error, start *xml.StartElement) *RecordError {
	wasSkipping := x.skipping
	x.skipping, x.in.stop = true, true
	// what names the element that failed, if it is known.
	what, line := "", 0
	switch {
	case start != nil:
		line = x.start
		what = fmt.Sprintf("the <%s> at line %d", clip(start.Name.Local), line)
	case wasSkipping:
		// A fresh decoder failed in the start tag of its record.
		line = x.line0 + 1
		what = fmt.Sprintf("the <%s> at line %d", x.in.record, line)
	}

	if x.in.overCap {
		// The input stands inside the record (or the stretch between
		// records): skip to the next record and go on there.
		off := x.in.off
		if what == "" {
			what = fmt.Sprintf("the XML from line %d to %d, outside any <%s>,", max(x.in.recordLine, 1), x.in.line, x.in.record)
			line = x.in.line
		}
		rerr := &RecordError{Source: x.source, Line: line, Offset: off, Err: fmt.Errorf("%s is %w; it is skipped", what, errRecordTooLarge)}
		// The next Token goes on from there: at the next record, or at
		// the end, where it says whether the document was whole.
		if _, serr := x.in.skipToRecord(); serr != nil {
			x.readErr = serr
		}
		return rerr
	}
	if errors.Is(err, errNextRecord) {
		// Only DecodeElement and fresh decoders stop there, so what is
		// known. The input stands at the next record's start tag.
		return &RecordError{Source: x.source, Line: line, Err: fmt.Errorf(
			"invalid XML: %s does not end before the next <%s>, at line %d (an end tag missing, or a comment left open?); it is skipped",
			what, x.in.record, x.in.line)}
	}
	if wasSkipping {
		// The next record is found after this one's start tag.
		x.in.dropPending()
	}
	rerr := x.syntaxErr(err)
	var se *xml.SyntaxError
	isSyntax := errors.As(err, &se)
	if !isSyntax && !errors.Is(err, io.EOF) {
		// The source failed (a network error, a cap): nothing more to read.
		x.done = true
		return rerr
	}
	if !isSyntax || strings.HasPrefix(se.Msg, "unexpected EOF") {
		x.done = true
		missing := fmt.Sprintf("any papers after line %d are missing", x.lastGood)
		if what != "" {
			missing = what + " and any papers after it are missing"
		}
		rerr.Err = fmt.Errorf("%w: the document is truncated (or a comment or CDATA section never closes): %s", rerr.Err, missing)
		return rerr
	}
	// Outside a record, the decoder may have read over start tags of
	// records (in a comment that then broke): their papers are lost.
	lost := ""
	switch n := x.in.passed; {
	case wasSkipping || start != nil || n == 0:
	case n == 1:
		lost = fmt.Sprintf("the paper of the <%s> at line %d is missing; ", x.in.record, x.in.passedLine)
	default:
		lost = fmt.Sprintf("the papers of %d <%s> elements from line %d on are missing; ", n, x.in.record, x.in.passedLine)
	}
	found, serr := x.in.skipToRecord()
	switch {
	case serr != nil:
		x.readErr = serr
	case what != "":
		rerr.Err = fmt.Errorf("%w (%s is skipped)", rerr.Err, what)
	case found:
		rerr.Err = fmt.Errorf("%w (%sreading goes on at the next <%s>, line %d)", rerr.Err, lost, x.in.record, x.in.line)
	case lost != "":
		rerr.Err = fmt.Errorf("%w (%s)", rerr.Err, strings.TrimSuffix(lost, "; "))
	}
	return rerr
}

// syntaxErr turns a decoder error into a RecordError at its position.
func (x *xmlReader) syntaxErr(err error) *RecordError {
	line := x.Line()
	if errors.Is(err, io.EOF) {
		err = errors.New("the XML ends early (truncated?)")
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		line = x.line0 + se.Line
		err = fmt.Errorf("invalid XML: %s", se.Msg)
	}
	return &RecordError{Source: x.source, Line: line, Offset: x.offset(), Err: err}
}

// xmlRootIs reports whether head, the start of a source, is an XML
// document whose root element is named name (with or without a prefix):
// after a byte-order mark, white space, the XML declaration, processing
// instructions, comments and a document type, the first thing must be
// that element's start tag. Text that merely mentions "<feed" (a README)
// is not a feed.
func xmlRootIs(head []byte, name string) bool {
	h := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	for {
		h = bytes.TrimLeft(h, " \t\r\n")
		end := 0 // of what h starts with, when it is skipped
		switch {
		case bytes.HasPrefix(h, []byte("<?")):
			end = indexEnd(h, "?>")
		case bytes.HasPrefix(h, []byte("<!--")):
			end = indexEnd(h, "-->")
		case bytes.HasPrefix(h, []byte("<!DOCTYPE")):
			end = doctypeEnd(h)
		default:
			if len(h) < 2 || h[0] != '<' {
				return false
			}
			tag := h[1:]
			n := 0
			for n < len(tag) && isNameByte(tag[n]) {
				n++
			}
			if n < len(tag) && tag[n] != '>' && tag[n] != '/' && !isXMLSpace(tag[n]) {
				return false
			}
			tag = tag[:n]
			if i := bytes.LastIndexByte(tag, ':'); i >= 0 {
				tag = tag[i+1:]
			}
			return string(tag) == name
		}
		if end == 0 { // not closed within head
			return false
		}
		h = h[end:]
	}
}

// indexEnd returns the offset just past the first close in h, or 0.
func indexEnd(h []byte, close string) int {
	i := bytes.Index(h, []byte(close))
	if i < 0 {
		return 0
	}
	return i + len(close)
}

// doctypeEnd returns the length of the document type declaration that h
// starts with, internal subset included, or 0 when it does not end in h.
func doctypeEnd(h []byte) int {
	depth := 0
	var quote byte
	for i, b := range h {
		switch {
		case quote != 0:
			if b == quote {
				quote = 0
			}
		case b == '"' || b == '\'':
			quote = b
		case b == '[':
			depth++
		case b == ']':
			depth--
		case b == '>' && depth <= 0:
			return i + 1
		}
	}
	return 0
}
