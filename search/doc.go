// Package search owns the paper document, the Bleve index that holds papers
// and the queries run against it.
//
// It knows nothing of HTTP: callers hand it a plain Request and get a plain
// Result back. Errors caused by the caller's input wrap ErrBadQuery so that
// transports can map them to a client error; ErrNotFound marks a missing
// paper. Everything Bleve-specific (mapping, analyzers, query types) stays in
// this package.
//
// A query goes querylang.go (text to clauses, repairing what is malformed)
// -> compile.go (clauses to a Bleve query that selects papers and a bag of
// weighted terms that ranks them; spelling correction, expand.go's
// expansions, dict.go's prefix and fuzzy look-ups) -> rank.go (our BM25F
// searcher, which replaces Bleve's scoring: it reads postings straight from
// the segments through postings.go's caches, evaluates the boolean match
// itself, and reranks with feedback.go's terms in the same pass) ->
// collect.go (filters, disjunctive facets and the order of hits from
// columns.go's per-segment columns, in one pass over the matches).
// similar.go and suggest.go reuse these parts; explain.go flattens score
// explanations. bulk.go builds a new index aside, committing batches side
// by side.
//
// Tests open real indexes in t.TempDir() on real abstracts (testdata/);
// nothing is mocked. The parser and the whole search are fuzzed.
package search
