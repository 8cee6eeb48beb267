package indexer

import (
	"fmt"
)

// RecordError reports one record that was skipped. Line is 1-based; when a
// format has no lines, Offset gives the byte offset instead.
type RecordError struct {
	Source string
	Line   int
	Offset int64
	Err    error
}

func (e *RecordError) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.Source, e.Line, e.Err)
	case e.Offset > 0:
		return fmt.Sprintf("%s:@%d: %v", e.Source, e.Offset, e.Err)
	default:
		return fmt.Sprintf("%s: %v", e.Source, e.Err)
	}
}

func (e *RecordError) Unwrap() error { return e.Err }

func recordErr(source string, line int, format string, args ...any) *RecordError {
	return &RecordError{Source: source, Line: line, Err: fmt.Errorf(format, args...)}
}
