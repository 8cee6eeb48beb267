package indexer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/url"
	"slices"

	"github.com/papersearch/papersearch/search"
)

// The Hugging Face papers API:
//
//   - /api/daily_papers and /api/papers/search return a list of items
//     {paper:{id, authors:[{name}], publishedAt, title, summary, upvotes,
//     githubRepo, githubStars, ai_keywords, submittedOnDailyAt, ...},
//     publishedAt, title, summary, numComments, ...};
//   - /api/papers/{id} returns one bare paper object.
//
// The schema has drifted since 2024, so everything but paper.id is optional.
// The same item shape is embedded in the papers pages (hfhtml.go).

type hfItem struct {
	Paper       *hfPaper `json:"paper"`
	Title       string   `json:"title"`
	Summary     string   `json:"summary"`
	PublishedAt string   `json:"publishedAt"`
	NumComments int      `json:"numComments"`
}

type hfPaper struct {
	ID                 flexString `json:"id"`
	Title              string     `json:"title"`
	Summary            string     `json:"summary"`
	Authors            []hfAuthor `json:"authors"`
	PublishedAt        string     `json:"publishedAt"`
	SubmittedOnDailyAt string     `json:"submittedOnDailyAt"`
	Upvotes            int        `json:"upvotes"`
	NumComments        int        `json:"numComments"`
	GitHubRepo         string     `json:"githubRepo"`
	GitHubStars        int        `json:"githubStars"`
	AIKeywords         []string   `json:"ai_keywords"`
}

type hfAuthor struct {
	Name string `json:"name"`
}

// ParseHFAPI reads Hugging Face papers API responses: a JSON array of
// daily-papers or search items, one bare paper, or JSON lines of either.
func ParseHFAPI(r io.Reader, source string) iter.Seq2[search.Paper, error] {
	return func(yield func(search.Paper, error) bool) {
		for v, err := range jsonValues(r, source) {
			if err != nil {
				if !yield(search.Paper{}, err) {
					return
				}
				continue
			}
			err = checkUTF8(v.raw)
			var p search.Paper
			if err == nil {
				p, err = hfRecord(v.raw, "", "hf-api")
			}
			if err != nil {
				err = v.errAt(source, err)
			}
			if !yield(p, err) {
				return
			}
		}
	}
}

// hfRecord converts one item or bare paper. featured is the day of the
// listing it came from, when the page says so.
func hfRecord(raw []byte, featured, format string) (search.Paper, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return search.Paper{}, fmt.Errorf("want a Hugging Face paper object, got %s", clipBytes(raw))
	}
	var it hfItem
	if err := json.Unmarshal(raw, &it); err != nil {
		return search.Paper{}, decodeErr("a Hugging Face paper item", err)
	}
	if it.Paper != nil {
		return it.Paper.paper(it, featured, format)
	}
	var hp hfPaper
	if err := json.Unmarshal(raw, &hp); err != nil {
		return search.Paper{}, decodeErr("a Hugging Face paper", err)
	}
	if hp.ID == "" {
		return search.Paper{}, fmt.Errorf("not a Hugging Face paper: want an object with %q or %q, got keys %s", "paper", "id", jsonKeys(raw))
	}
	return hp.paper(hfItem{}, featured, format)
}

func (hp *hfPaper) paper(it hfItem, featured, format string) (search.Paper, error) {
	if string(hp.ID) == "" {
		return search.Paper{}, errors.New("the item has no paper.id")
	}
	p := search.Paper{
		ID:          string(hp.ID),
		Title:       hp.Title,
		Abstract:    hp.Summary,
		Upvotes:     max(hp.Upvotes, 0),
		NumComments: max(it.NumComments, hp.NumComments, 0),
		GitHubRepo:  hp.GitHubRepo,
		GitHubStars: max(hp.GitHubStars, 0),
		Keywords:    hp.AIKeywords,
		Source:      format,
	}
	if p.Title == "" {
		p.Title = it.Title
	}
	if p.Abstract == "" {
		p.Abstract = it.Summary
	}
	for _, a := range hp.Authors {
		p.Authors = append(p.Authors, a.Name)
	}
	if hp.PublishedAt != "" {
		d, ok := ParseDate(hp.PublishedAt)
		if !ok {
			return search.Paper{}, fmt.Errorf("paper.publishedAt %q is not a date", clip(hp.PublishedAt))
		}
		p.Published = d
	}
	// The day a paper was featured: the item's own submission day when it
	// has one, else the listing's day, else the item's publishedAt, which
	// meant the submission time before submittedOnDailyAt existed.
	for _, s := range []string{hp.SubmittedOnDailyAt, featured, it.PublishedAt} {
		if d, ok := ParseDate(s); ok {
			p.FeaturedOn = d
			break
		}
	}
	normalize(&p)
	if p.Title == "" {
		return search.Paper{}, fmt.Errorf("paper %s has no title", clip(p.ID))
	}
	if err := checkID(p.ID); err != nil {
		return search.Paper{}, err
	}
	p.HFURL = hfURL(p.ID)
	return p, nil
}

func hfURL(id string) string {
	if !isArxivID(id) {
		id = url.PathEscape(id)
	}
	return "https://huggingface.co/papers/" + id
}

// jsonKeys lists the keys of a JSON object, for messages about its shape.
func jsonKeys(raw []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return "(none)"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return clip(fmt.Sprint(keys))
}

// hfAPIKeys are keys only Hugging Face records have, at any depth.
var hfAPIKeys = []string{"submittedOnDailyAt", "discussionId", "ai_keywords", "_id"}

// sniffHFAPI looks at the keys of the first record: a daily-papers or
// search item has "paper", a bare paper has "publishedAt", and their
// author objects have Hugging Face's own "_id".
func sniffHFAPI(head []byte) bool {
	keys := jsonHeadKeys(head)
	if d, ok := keys["paper"]; ok && d == 1 {
		return true
	}
	if d, ok := keys["publishedAt"]; ok && d == 1 {
		return true
	}
	for _, k := range hfAPIKeys {
		if _, ok := keys[k]; ok {
			return true
		}
	}
	return false
}

// jsonHeadKeys returns the keys of the first JSON record in head, the
// start of a source (JSON lines or an array), each with its depth in the
// record: 1 for the record's own keys, one more for each object or array
// around a key. A record cut off by the end of head gives the keys seen so
// far.
func jsonHeadKeys(head []byte) map[string]int {
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	keys := map[string]int{}
	if len(head) == 0 {
		return keys
	}
	base := 0 // containers around the first record
	if head[0] == '[' {
		base = 1
	}
	type frame struct{ obj, wantKey bool }
	var stack []frame
	dec := json.NewDecoder(bytes.NewReader(head))
	valueDone := func() bool {
		if len(stack) == base {
			return true // the first record is complete
		}
		if top := &stack[len(stack)-1]; top.obj {
			top.wantKey = true
		}
		return false
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
			if k, ok := tok.(string); ok {
				if d, seen := keys[k]; !seen || n-base < d {
					keys[k] = n - base
				}
				stack[n-1].wantKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			stack = append(stack, frame{obj: tok == json.Delim('{'), wantKey: tok == json.Delim('{')})
			continue
		case json.Delim('}'), json.Delim(']'):
			if len(stack) == 0 {
				return keys
			}
			stack = stack[:len(stack)-1]
		}
		if len(stack) < base || valueDone() {
			return keys
		}
	}
}
