// Package search owns the paper document, the Bleve index that holds papers
// and the queries run against it.
//
// It knows nothing of HTTP: callers hand it a plain Request and get a plain
// Result back. Errors caused by the caller's input wrap ErrBadQuery so that
// transports can map them to a client error; ErrNotFound marks a missing
// paper. Everything Bleve-specific (mapping, analyzers, query types) stays in
// this package.
//
// Tests open real indexes in t.TempDir(); nothing is mocked.
package search
