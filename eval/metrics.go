package eval

import (
	"cmp"
	"math"
	"slices"
)

// Depths fixed by the metrics' names, as trec_eval and BEIR report them.
const (
	// MAPDepth is how deep average precision looks ("map" over a run of
	// 1000 documents, the TREC convention).
	MAPDepth = 1000
	// RecallDepth is the cut-off of Recall@100.
	RecallDepth = 100
)

// Judgments maps a document id to its graded relevance for one query.
// Grades of 0 or less mean not relevant.
type Judgments map[string]int

// Ranked is one retrieved document with the score that ranked it.
type Ranked struct {
	ID    string
	Score float64
}

// Metrics are one query's scores.
type Metrics struct {
	NDCG   float64 // nDCG@k with linear gain (gain = grade)
	AP     float64 // average precision over the top MAPDepth
	Recall float64 // recall at RecallDepth
	RR     float64 // reciprocal rank of the first relevant document within k
}

// trecOrder sorts a ranking as trec_eval reads a run: by score, highest
// first, ties broken by document id in decreasing order. trec_eval ignores
// the rank column, so computing on this order keeps our numbers and
// trec_eval's on our --run file the same.
func trecOrder(run []Ranked) []Ranked {
	out := slices.Clone(run)
	slices.SortStableFunc(out, func(a, b Ranked) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out
}

// Score computes one query's metrics for a ranking (in rank order) against
// its judgments. k is the cut-off of nDCG and reciprocal rank.
func Score(ranking []string, judged Judgments, k int) Metrics {
	var grades []int
	for _, g := range judged {
		if g > 0 {
			grades = append(grades, g)
		}
	}
	nrel := len(grades)
	if nrel == 0 {
		return Metrics{}
	}
	var m Metrics
	var dcg, precSum float64
	found := 0
	seen := make(map[string]bool, len(ranking))
	for i, id := range ranking {
		if seen[id] {
			continue // a document counts once, at its best rank
		}
		seen[id] = true
		rank := i + 1
		g := judged[id]
		if g <= 0 {
			continue
		}
		if rank <= k {
			dcg += float64(g) / math.Log2(float64(rank)+1)
			if m.RR == 0 {
				m.RR = 1 / float64(rank)
			}
		}
		if rank <= MAPDepth {
			found++
			precSum += float64(found) / float64(rank)
		}
		if rank <= RecallDepth {
			m.Recall++
		}
	}
	m.Recall /= float64(nrel)
	m.AP = precSum / float64(nrel)
	slices.SortFunc(grades, func(a, b int) int { return b - a })
	var idcg float64
	for i, g := range grades[:min(k, len(grades))] {
		idcg += float64(g) / math.Log2(float64(i+2))
	}
	m.NDCG = dcg / idcg
	return m
}

// Summary is the mean of each metric over the evaluated queries.
type Summary struct {
	// Queries is how many queries were evaluated: those with at least one
	// relevant judgment.
	Queries int
	// Unjudged counts queries that were run but skipped for having no
	// relevant judgment; Unrun counts judged queries absent from the
	// queries file (skipped too: there is no text to run).
	Unjudged, Unrun int
	K               int
	NDCG            float64
	MAP             float64
	Recall          float64
	MRR             float64
}

// Evaluate scores every judged query's run and averages. A judged query
// that retrieved nothing still counts, with zeros (trec_eval -c).
func Evaluate(runs map[string][]Ranked, qrels map[string]Judgments, queryIDs []string, k int) Summary {
	s := Summary{K: k}
	asked := map[string]bool{}
	for _, qid := range queryIDs {
		asked[qid] = true
		if !hasRelevant(qrels[qid]) {
			s.Unjudged++
			continue
		}
		ordered := trecOrder(runs[qid])
		ids := make([]string, len(ordered))
		for i, r := range ordered {
			ids[i] = r.ID
		}
		m := Score(ids, qrels[qid], k)
		s.Queries++
		s.NDCG += m.NDCG
		s.MAP += m.AP
		s.Recall += m.Recall
		s.MRR += m.RR
	}
	for qid, j := range qrels {
		if !asked[qid] && hasRelevant(j) {
			s.Unrun++
		}
	}
	if s.Queries > 0 {
		n := float64(s.Queries)
		s.NDCG /= n
		s.MAP /= n
		s.Recall /= n
		s.MRR /= n
	}
	return s
}

func hasRelevant(j Judgments) bool {
	for _, g := range j {
		if g > 0 {
			return true
		}
	}
	return false
}
