// Package eval measures ranking quality the way trec_eval does: it reads a
// judged collection (a corpus, queries and relevance judgments, in the BEIR
// layout or TREC's), runs every query through a search.Index, and scores
// the rankings with nDCG@k, MAP (to depth 1000), Recall@100 and MRR@k.
//
// Metric arithmetic is pinned by hand-computed values on a tiny fixture;
// the command end to end is tested on a few dozen judged CACM documents in
// testdata/. Real collections are passed in by path, never read by tests.
package eval
