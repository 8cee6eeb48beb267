package indexer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// maxLine bounds one line of a line-oriented source. Longer lines are
// skipped and reported, so a runaway line cannot exhaust memory.
const maxLine = 16 << 20

var errLineTooLong = fmt.Errorf("line longer than %d MiB", maxLine>>20)

// lineReader reads lines of any length without holding more than maxLine
// bytes, strips a leading byte-order mark and CRLF endings.
type lineReader struct {
	r    *bufio.Reader
	n    int
	buf  []byte
	done bool
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line and its 1-based number. err is errLineTooLong
// for a skipped line, io.EOF at the end, or a read error, with the number
// of the line it broke.
func (l *lineReader) next() (line []byte, n int, err error) {
	if l.done {
		return nil, l.n, io.EOF
	}
	l.buf = l.buf[:0]
	tooLong := false
	for {
		chunk, err := l.r.ReadSlice('\n')
		if !tooLong {
			if len(l.buf)+len(chunk) > maxLine {
				tooLong = true
				l.buf = l.buf[:0]
			} else {
				l.buf = append(l.buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			if err != io.EOF {
				// The source broke inside the line after the last one
				// returned: that is the line reported.
				l.n++
				l.done = true
				return nil, l.n, err
			}
			l.done = true
			if len(l.buf) == 0 && !tooLong {
				return nil, l.n, io.EOF
			}
		}
		break
	}
	l.n++
	if tooLong {
		return nil, l.n, errLineTooLong
	}
	line = bytes.TrimRight(l.buf, "\r\n")
	if l.n == 1 {
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	}
	return line, l.n, nil
}
