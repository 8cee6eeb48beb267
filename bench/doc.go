// Package bench measures papersearch the way its users meet it.
//
// Run builds a fresh index from a corpus through the same indexer as
// "papersearch index" (any format it reads), or from synthetic papers
// generated from the corpus, and reports the build time, the index size on
// disk and the peak resident memory. It then runs a fixed, seeded mix of
// queries for a while from several in-process clients through the handler
// that serves GET /api/search (its search slots, which let one search per CPU
// run and queue the rest, included; only the network is left out) and
// reports throughput and latency percentiles.
//
// Synthetic papers come from a word-level Markov model of the corpus's
// titles and abstracts (Model), with authors, dates and categories drawn
// from the corpus's own, so that term statistics and facet spreads stay
// realistic at sizes the corpus does not reach. The corpus that is indexed
// and the query mix can both be written out as JSON lines, so that other
// engines can be measured on exactly the same data (scripts/compare_engines.py).
//
// Tests run the whole benchmark on a tiny corpus in a few seconds; the
// figures in the README come from "papersearch bench" on the real data.
package bench
