package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/papersearch/papersearch/search"
)

func (s *server) health(c *gin.Context) error {
	n, err := s.idx.Count()
	if err != nil {
		return err
	}
	resp := HealthResponse{Status: "ok", Papers: n}
	if h := s.idx.Health(); h.LastError != "" {
		if h.Degraded {
			resp.Status = "degraded"
		}
		resp.LastError, resp.LastErrorAt, resp.BackgroundErrors = h.LastError, &h.LastErrorAt, h.Errors
	}
	writeJSON(c, http.StatusOK, resp)
	return nil
}

// runSearch runs the search the request's query string asks for. The page
// shows every facet group, whatever facets= says.
func (s *server) runSearch(c *gin.Context, page bool) (search.Request, search.Result, error) {
	v, err := queryValues(c)
	if err != nil {
		return search.Request{}, search.Result{}, err
	}
	if page {
		v.Del("facets")
	}
	req, err := ParseSearch(v)
	if err != nil {
		return req, search.Result{}, err
	}
	var res search.Result
	err = s.withSlot(c, req.Expensive(), func(ctx context.Context) error {
		res, err = s.idx.Search(ctx, req)
		return err
	})
	return req, res, err
}

// withSlot runs a search (fn) once a slot is free (see slots.go), within
// the search deadline. It waits in line at most queueWait, and answers 503
// busy when no slot frees in time.
func (s *server) withSlot(c *gin.Context, expensive bool, fn func(ctx context.Context) error) error {
	wait, stopWaiting := context.WithTimeout(c.Request.Context(), s.queueWait)
	defer stopWaiting()
	if !s.slots.acquire(wait, expensive) {
		return s.busy(c)
	}
	defer s.slots.release(expensive)
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.timeout)
	defer cancel()
	return fn(ctx)
}

// busy is the error for a search that found no slot in time, or the
// client's own cancellation.
func (s *server) busy(c *gin.Context) error {
	if err := c.Request.Context().Err(); err != nil {
		return err
	}
	c.Header("Retry-After", "1")
	return errBusy
}

// errBusy answers an expensive search that found no free slot in time.
var errBusy = &httpError{http.StatusServiceUnavailable, "busy",
	"the server is busy with other searches (deep pages, long queries and many filters wait for each other); retry in a moment, or narrow the search"}

func (s *server) search(c *gin.Context) error {
	_, res, err := s.runSearch(c, false)
	if err != nil {
		return err
	}
	writeJSON(c, http.StatusOK, NewSearchResponse(res))
	return nil
}

// paperID extracts the id from a /*id route; arXiv's old-style ids contain
// a slash ("hep-th/9901001"), so the route is a wildcard. With a PaperID
// in the config, it is the id the index uses.
func (s *server) paperID(c *gin.Context) string {
	id := strings.Trim(c.Param("id"), "/")
	if s.paperIDFunc == nil || id == "" {
		return id
	}
	if rest, ok := strings.CutSuffix(id, similarSuffix); ok && rest != "" {
		return s.paperIDFunc(rest) + similarSuffix
	}
	return s.paperIDFunc(id)
}

// similarSuffix ends /api/papers/{id}/similar. The route is a wildcard
// (old arXiv ids have a slash), so the suffix is recognised here.
const similarSuffix = "/similar"

func (s *server) paper(c *gin.Context) error {
	id := s.paperID(c)
	if rest, ok := strings.CutSuffix(id, similarSuffix); ok && rest != "" {
		return s.similar(c, rest)
	}
	if id == "" {
		return errNotFound("no paper id given; use /api/papers/{id}")
	}
	p, err := s.idx.Get(c.Request.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(c, http.StatusOK, p)
	return nil
}

func (s *server) topicList(c *gin.Context) error {
	resp, err := Topics(c.Request.Context(), s.idx, s.topics)
	if err != nil {
		return err
	}
	writeJSON(c, http.StatusOK, resp)
	return nil
}

// Topics builds the body of GET /api/topics (the CLI prints it too). A nil
// taxonomy means the one recorded in the index.
func Topics(ctx context.Context, idx *search.Index, topics []search.Topic) (TopicsResponse, error) {
	if topics == nil {
		var err error
		if topics, err = idx.Topics(); err != nil {
			return TopicsResponse{}, err
		}
	}
	counts, err := idx.TopicCounts(ctx)
	if err != nil {
		return TopicsResponse{}, err
	}
	n, err := idx.Count()
	if err != nil {
		return TopicsResponse{}, err
	}
	return TopicsResponse{Topics: topicsWithCounts(topics, counts), Papers: n}, nil
}

// topicsWithCounts lists the taxonomy in its own order with counts, then
// any slug found in the index that the taxonomy no longer names.
func topicsWithCounts(topics []search.Topic, counts map[string]int) []TopicJSON {
	out := make([]TopicJSON, 0, len(topics))
	known := map[string]bool{}
	for _, t := range topics {
		known[t.Slug] = true
		out = append(out, TopicJSON{Topic: t, Count: counts[t.Slug]})
	}
	var unknown []string
	for slug := range counts {
		if !known[slug] {
			unknown = append(unknown, slug)
		}
	}
	slices.Sort(unknown)
	for _, slug := range unknown {
		out = append(out, TopicJSON{Topic: search.Topic{Slug: slug, Label: slug}, Count: counts[slug]})
	}
	return out
}

func (s *server) similar(c *gin.Context, id string) error {
	v, err := queryValues(c)
	if err != nil {
		return err
	}
	if err := givenOnce(v, "size"); err != nil {
		return err
	}
	n, err := intParam(v, "size", 10)
	if err != nil {
		return err
	}
	var hits []search.Hit
	err = s.withSlot(c, false, func(ctx context.Context) error {
		hits, err = s.idx.Similar(ctx, id, n)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(c, http.StatusOK, NewSimilarResponse(id, hits))
	return nil
}

func (s *server) suggest(c *gin.Context) error {
	v, err := queryValues(c)
	if err != nil {
		return err
	}
	if err := givenOnce(v, "q", "size"); err != nil {
		return err
	}
	q := v.Get("q")
	if len(q) > search.MaxQueryLen {
		return fmt.Errorf("%w: q is %d bytes; the limit is %d", search.ErrBadQuery, len(q), search.MaxQueryLen)
	}
	n, err := intParam(v, "size", 10)
	if err != nil {
		return err
	}
	if n < 1 || n > search.MaxSuggest {
		return fmt.Errorf("%w: size must be between 1 and %d, not %d", search.ErrBadQuery, search.MaxSuggest, n)
	}
	var ss []search.Suggestion
	err = s.withSlot(c, false, func(ctx context.Context) error {
		ss, err = s.idx.Suggest(ctx, q, n)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(c, http.StatusOK, NewSuggestResponse(q, ss))
	return nil
}

// intParam reads a whole-number query parameter, or def when absent.
func intParam(q url.Values, name string, def int) (int, error) {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%w: %s must be a whole number, not %q", search.ErrBadQuery, name, clip(v))
	}
	return n, nil
}

// queryValues parses the request's query string, and refuses values that
// are not UTF-8. URL.Query drops what it cannot parse: "q=a;b" unencoded
// searched for nothing, and so listed every paper. Every handler that
// reads parameters reads them here, so that all refuse the same things.
func queryValues(c *gin.Context) (url.Values, error) {
	v, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: the query string is malformed (%v); encode ; as %%3B, & as %%26 and %% as %%25 inside a value", search.ErrBadQuery, err)
	}
	return v, validUTF8(v)
}
