package eval

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-4 }

// The fixture: grades d1=2, d2=1, d3=1; the ranking finds d2 at rank 2 and
// d1 at rank 4 and misses d3. By hand, with gain = grade and discount
// log2(rank+1):
//
//	DCG@10  = 1/log2(3) + 2/log2(5)            = 0.63093 + 0.86135 = 1.49228
//	IDCG@10 = 2/log2(2) + 1/log2(3) + 1/log2(4) = 2 + 0.63093 + 0.5 = 3.13093
//	nDCG@10 = 0.47663; nDCG@3 = 0.63093/3.13093 = 0.20152; nDCG@1 = 0
//	AP      = (1/2 + 2/4) / 3 = 0.33333 (d3, never retrieved, counts as 0)
//	R@100   = 2/3; RR@10 = 1/2; RR@1 = 0
func TestScore(t *testing.T) {
	judged := Judgments{"d1": 2, "d2": 1, "d3": 1, "n1": 0}
	ranking := []string{"x", "d2", "n1", "d1", "z"}
	tests := []struct {
		name    string
		ranking []string
		judged  Judgments
		k       int
		want    Metrics
	}{
		{"k=10", ranking, judged, 10, Metrics{NDCG: 0.47663, AP: 0.33333, Recall: 0.66667, RR: 0.5}},
		{"k=3", ranking, judged, 3, Metrics{NDCG: 0.20152, AP: 0.33333, Recall: 0.66667, RR: 0.5}},
		{"k=1", ranking, judged, 1, Metrics{NDCG: 0, AP: 0.33333, Recall: 0.66667, RR: 0}},
		{"perfect", []string{"d1", "d2", "d3"}, judged, 10, Metrics{NDCG: 1, AP: 1, Recall: 1, RR: 1}},
		{"nothing retrieved", nil, judged, 10, Metrics{}},
		{"no relevant judgments", ranking, Judgments{"n1": 0}, 10, Metrics{}},
		// A document listed twice counts once, at its first rank.
		{"duplicates", []string{"d2", "d2", "d1"}, Judgments{"d1": 1, "d2": 1}, 10, Metrics{NDCG: (1 + 1/math.Log2(4)) / (1 + 1/math.Log2(3)), AP: (1 + 2.0/3) / 2, Recall: 1, RR: 1}},
		// Beyond depth 100 a relevant document adds to AP, not to recall.
		{"depth", append(make([]string, 100), "d1"), Judgments{"d1": 1}, 10, Metrics{AP: 1.0 / 101}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Score(tc.ranking, tc.judged, tc.k)
			if !near(got.NDCG, tc.want.NDCG) || !near(got.AP, tc.want.AP) || !near(got.Recall, tc.want.Recall) || !near(got.RR, tc.want.RR) {
				t.Errorf("Score = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	qrels := map[string]Judgments{
		"q1": {"a": 1},
		"q2": {"b": 1, "c": 1},
		"q3": {"x": 0}, // judged, none relevant: skipped
		"q4": {"d": 1}, // judged but not asked: counted apart
	}
	runs := map[string][]Ranked{
		"q1": {{"a", 3}, {"z", 1}},
		// Tied scores are ordered as trec_eval orders them: by document id,
		// decreasing; so "c" comes before "b", whatever order they came in.
		"q2": {{"b", 2}, {"c", 2}, {"y", 1}},
		"q3": {{"x", 1}},
	}
	s := Evaluate(runs, qrels, []string{"q1", "q2", "q3", "q5"}, 10)
	if s.Queries != 2 || s.Unjudged != 2 || s.Unrun != 1 {
		t.Fatalf("counts = %d evaluated, %d unjudged, %d unrun; want 2, 2, 1", s.Queries, s.Unjudged, s.Unrun)
	}
	// q1: all 1. q2: c at 1, b at 2: nDCG 1, AP 1, RR 1.
	if !near(s.NDCG, 1) || !near(s.MAP, 1) || !near(s.Recall, 1) || !near(s.MRR, 1) {
		t.Errorf("summary = %+v, want all 1", s)
	}
	runs["q2"] = []Ranked{{"y", 3}, {"b", 2}}
	s = Evaluate(runs, qrels, []string{"q1", "q2"}, 10)
	// q2: b at rank 2 of 2 relevant: nDCG (1/log2 3)/(1+1/log2 3), AP 0.25,
	// recall 0.5, RR 0.5; averaged with q1's ones.
	want := Summary{NDCG: (1 + (1/math.Log2(3))/(1+1/math.Log2(3))) / 2, MAP: 1.25 / 2, Recall: 0.75, MRR: 0.75}
	if !near(s.NDCG, want.NDCG) || !near(s.MAP, want.MAP) || !near(s.Recall, want.Recall) || !near(s.MRR, want.MRR) {
		t.Errorf("summary = %+v, want %+v", s, want)
	}
}
