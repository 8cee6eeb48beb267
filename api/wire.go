package api

import (
	"bytes"
	"encoding/json"
	"math"
	"time"

	"github.com/papersearch/papersearch/search"
)

// SearchResponse is the body of GET /api/search and of `papersearch search
// --json`. Its field names are a public contract.
type SearchResponse struct {
	Query  string  `json:"query"`
	Sort   string  `json:"sort"`
	Total  uint64  `json:"total"`
	TookMS float64 `json:"took_ms"`
	Page   int     `json:"page"`
	Size   int     `json:"size"`
	// NextCursor continues after this page (?cursor=); absent on the last.
	NextCursor string     `json:"next_cursor,omitempty"`
	Hits       []HitJSON  `json:"hits"`
	Facets     FacetsJSON `json:"facets"`
	// CorrectedQuery is what was searched after correcting misspellings;
	// absent when nothing was corrected.
	CorrectedQuery string `json:"corrected_query,omitempty"`
	// Expansions lists acronyms, synonyms, spellings and topics searched
	// besides what was typed (expand=false turns them off).
	Expansions []ExpansionJSON `json:"expansions,omitempty"`
	// Notices say how a malformed query was repaired.
	Notices []string `json:"notices,omitempty"`
}

// ExpansionJSON is one query form and what it was expanded to.
type ExpansionJSON struct {
	From string   `json:"from"`
	To   []string `json:"to"`
}

// ReasonJSON is one part of a hit's score (explain=true).
type ReasonJSON struct {
	Score float64 `json:"score"`
	Why   string  `json:"why"`
}

// HitJSON is one search hit.
type HitJSON struct {
	ID          string              `json:"id"`
	Title       string              `json:"title"`
	Authors     []string            `json:"authors"`
	AuthorCount int                 `json:"author_count"`
	Published   string              `json:"published,omitempty"`
	Upvotes     int                 `json:"upvotes"`
	Topics      []string            `json:"topics"`
	Categories  []string            `json:"categories"`
	URL         string              `json:"url,omitempty"`
	PDFURL      string              `json:"pdf_url,omitempty"`
	HFURL       string              `json:"hf_url,omitempty"`
	Score       float64             `json:"score"`
	Highlights  map[string][]string `json:"highlights"`
	// Explanation says why the hit scored as it did (explain=true).
	Explanation []ReasonJSON `json:"explanation,omitempty"`
}

// FacetsJSON holds facet counts per group. A group the request left out
// (facets=) is absent; a group counted with no values is [].
type FacetsJSON struct {
	Topics     []FacetValueJSON `json:"topics,omitzero"`
	Years      []FacetValueJSON `json:"years,omitzero"`
	Categories []FacetValueJSON `json:"categories,omitzero"`
}

// FacetValueJSON is one facet bucket.
type FacetValueJSON struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// TopicJSON is one entry of GET /api/topics.
type TopicJSON struct {
	search.Topic
	Count int `json:"count"`
}

// TopicsResponse is the body of GET /api/topics.
type TopicsResponse struct {
	Topics []TopicJSON `json:"topics"`
	Papers uint64      `json:"papers"`
}

// ErrorResponse is the one error shape of the API.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody says what went wrong: a stable code for programs, a message for
// people, and for a rejected write the records at fault.
type ErrorBody struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Details []string `json:"details,omitempty"`
}

// HealthResponse is the body of GET /healthz. Status is "ok", or
// "degraded" when the index reported a background error in the last few
// minutes (it still serves; see the log).
type HealthResponse struct {
	Papers           uint64     `json:"papers"`
	Status           string     `json:"status"`
	LastError        string     `json:"last_error,omitempty"`
	LastErrorAt      *time.Time `json:"last_error_at,omitempty"`
	BackgroundErrors uint64     `json:"background_errors,omitempty"`
}

// WriteResponse is the body of a successful POST /api/papers or DELETE
// /api/papers/{id}: what was written, and the index's size and generation
// after it. Merged and Superseded appear only when not zero, as in index's
// summary line; Read = Added + Updated + Merged + Superseded.
type WriteResponse struct {
	Read       int      `json:"read,omitempty"`
	Added      int      `json:"added"`
	Updated    int      `json:"updated"`
	Merged     int      `json:"merged,omitempty"`
	Superseded int      `json:"superseded,omitempty"`
	IDs        []string `json:"ids,omitempty"`
	Deleted    []string `json:"deleted,omitempty"`
	Papers     uint64   `json:"papers"`
	Generation uint64   `json:"generation"`
}

// NewSearchResponse converts a search result to its wire form.
func NewSearchResponse(r search.Result) SearchResponse {
	out := SearchResponse{
		Query: r.Query, Sort: r.Sort, Total: r.Total, Page: r.Page, Size: r.Size, NextCursor: r.NextCursor,
		TookMS: math.Round(float64(r.Took.Microseconds())/10) / 100,
		Hits:   make([]HitJSON, 0, len(r.Hits)),
		Facets: FacetsJSON{
			Topics:     facetJSON(r.Facets.Topics),
			Years:      facetJSON(r.Facets.Years),
			Categories: facetJSON(r.Facets.Categories),
		},
	}
	for _, h := range r.Hits {
		out.Hits = append(out.Hits, hitJSON(h))
	}
	out.CorrectedQuery = r.CorrectedQuery
	for _, e := range r.Expansions {
		out.Expansions = append(out.Expansions, ExpansionJSON{From: e.From, To: e.To})
	}
	out.Notices = r.Notices
	return out
}

func hitJSON(h search.Hit) HitJSON {
	p := h.Paper
	out := HitJSON{
		ID: p.ID, Title: p.Title, Authors: p.Authors, AuthorCount: p.AuthorCount,
		Published: p.Published, Upvotes: p.Upvotes, Topics: p.Topics, Categories: p.Categories,
		URL: p.URL, PDFURL: p.PDFURL, HFURL: p.HFURL,
		Score: round4(h.Score), Highlights: h.Highlights,
	}
	for _, r := range h.Explanation {
		out.Explanation = append(out.Explanation, ReasonJSON{Score: round4(r.Score), Why: r.Why})
	}
	return out
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

func facetJSON(vs []search.FacetValue) []FacetValueJSON {
	if vs == nil {
		return nil // not counted
	}
	out := make([]FacetValueJSON, len(vs))
	for i, v := range vs {
		out[i] = FacetValueJSON{Value: v.Value, Count: v.Count}
	}
	return out
}

// Marshal encodes v as the API does: without escaping <, > and & (the body
// is JSON, not HTML, and highlight fragments stay readable), one line,
// newline-terminated. The CLI uses it too, so both print the same bytes.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SimilarResponse is the body of GET /api/papers/{id}/similar and of
// `papersearch similar --json`.
type SimilarResponse struct {
	ID   string    `json:"id"`
	Hits []HitJSON `json:"hits"`
}

// NewSimilarResponse converts similar papers to their wire form.
func NewSimilarResponse(id string, hits []search.Hit) SimilarResponse {
	out := SimilarResponse{ID: id, Hits: make([]HitJSON, 0, len(hits))}
	for _, h := range hits {
		out.Hits = append(out.Hits, hitJSON(h))
	}
	return out
}

// SuggestResponse is the body of GET /api/suggest.
type SuggestResponse struct {
	Query       string           `json:"query"`
	Suggestions []SuggestionJSON `json:"suggestions"`
}

// SuggestionJSON is one completion: its text, its kind (topic, word,
// phrase or title), how many papers have it, and the topic slug or paper
// id it stands for.
type SuggestionJSON struct {
	Text  string `json:"text"`
	Kind  string `json:"kind"`
	Count int    `json:"count,omitempty"`
	Topic string `json:"topic,omitempty"`
	ID    string `json:"id,omitempty"`
}

// NewSuggestResponse converts suggestions to their wire form.
func NewSuggestResponse(q string, ss []search.Suggestion) SuggestResponse {
	out := SuggestResponse{Query: q, Suggestions: make([]SuggestionJSON, 0, len(ss))}
	for _, s := range ss {
		out.Suggestions = append(out.Suggestions, SuggestionJSON{Text: s.Text, Kind: s.Kind, Count: s.Count, Topic: s.Topic, ID: s.ID})
	}
	return out
}
