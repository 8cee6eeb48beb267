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
	Query  string     `json:"query"`
	Sort   string     `json:"sort"`
	Total  uint64     `json:"total"`
	TookMS float64    `json:"took_ms"`
	Page   int        `json:"page"`
	Size   int        `json:"size"`
	Hits   []HitJSON  `json:"hits"`
	Facets FacetsJSON `json:"facets"`
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
}

// FacetsJSON holds facet counts per group.
type FacetsJSON struct {
	Topics     []FacetValueJSON `json:"topics"`
	Years      []FacetValueJSON `json:"years"`
	Categories []FacetValueJSON `json:"categories"`
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
// after it.
type WriteResponse struct {
	Read       int      `json:"read,omitempty"`
	Added      int      `json:"added"`
	Updated    int      `json:"updated"`
	IDs        []string `json:"ids,omitempty"`
	Deleted    []string `json:"deleted,omitempty"`
	Papers     uint64   `json:"papers"`
	Generation uint64   `json:"generation"`
}

// NewSearchResponse converts a search result to its wire form.
func NewSearchResponse(r search.Result) SearchResponse {
	out := SearchResponse{
		Query: r.Query, Sort: r.Sort, Total: r.Total, Page: r.Page, Size: r.Size,
		TookMS: math.Round(float64(r.Took.Microseconds())/10) / 100,
		Hits:   make([]HitJSON, 0, len(r.Hits)),
		Facets: FacetsJSON{
			Topics:     facetJSON(r.Facets.Topics),
			Years:      facetJSON(r.Facets.Years),
			Categories: facetJSON(r.Facets.Categories),
		},
	}
	for _, h := range r.Hits {
		p := h.Paper
		out.Hits = append(out.Hits, HitJSON{
			ID: p.ID, Title: p.Title, Authors: p.Authors, AuthorCount: p.AuthorCount,
			Published: p.Published, Upvotes: p.Upvotes, Topics: p.Topics, Categories: p.Categories,
			URL: p.URL, PDFURL: p.PDFURL, HFURL: p.HFURL,
			Score: math.Round(h.Score*1e4) / 1e4, Highlights: h.Highlights,
		})
	}
	return out
}

func facetJSON(vs []search.FacetValue) []FacetValueJSON {
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
