// Package indexer turns sources of papers into clean search.Paper records and
// writes them to a search.Index.
//
// Each source format has its own file with a parser that reads an io.Reader
// and yields papers one at a time, so memory stays flat however large the
// source. A malformed record is yielded as a *RecordError that names the
// source and the line (or byte offset), and parsing goes on; only an
// unreadable source stops a parser. Topic tagging (topics.go) is a pure
// function of a paper's title and abstract.
//
// Tests parse real fixtures under testdata/ and index into real Bleve indexes
// in t.TempDir(); every parser has a fuzz test seeded with its fixtures. The
// hot paths of a build have fast versions held to a plain reference, value
// for value, on the demo corpus, the fixtures and fuzzed input: the JSON
// scanner (jsonscan.go) to encoding/json, Tag to the tagger kept in
// topics_ref_test.go, CleanText to a rune-at-a-time version.
package indexer
