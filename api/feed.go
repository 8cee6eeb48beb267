package api

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/papersearch/papersearch/search"
)

// A feed per search lets a reader follow a saved search: the same
// parameters as /api/search, newest papers first unless sort says
// otherwise.

const (
	atomNS = "http://www.w3.org/2005/Atom"
	// feedSize is how many entries a feed has unless size says otherwise.
	feedSize = 30
)

type atomFeed struct {
	XMLName xml.Name    `xml:"feed"`
	NS      string      `xml:"xmlns,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Gen     string      `xml:"generator"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      string         `xml:"title"`
	Updated    string         `xml:"updated"`
	Published  string         `xml:"published,omitempty"`
	Authors    []atomPerson   `xml:"author"`
	Links      []atomLink     `xml:"link"`
	Categories []atomCategory `xml:"category"`
	Summary    string         `xml:"summary"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr,omitempty"`
}

func (s *server) feed(c *gin.Context) error {
	v, err := queryValues(c)
	if err != nil {
		return err
	}
	// Before the defaults below, which would hide a second, blank value.
	if err := givenOnce(v, singleParams...); err != nil {
		return err
	}
	v.Del("facets") // a feed shows none: it counts none, whatever facets says
	if v.Get("sort") == "" {
		v.Set("sort", search.SortNewest)
	}
	if v.Get("size") == "" {
		v.Set("size", strconv.Itoa(feedSize))
	}
	req, err := ParseSearch(v)
	if err != nil {
		return err
	}
	req.NoFacets = slices.Clone(search.FacetGroups)
	var res search.Result
	err = s.withSlot(c, req.Expensive(), func(ctx context.Context) error {
		res, err = s.idx.Search(ctx, req)
		return err
	})
	if err != nil {
		return err
	}
	b, err := s.atom(baseURL(c.Request), req, res)
	if err != nil {
		return err
	}
	send(c, http.StatusOK, "application/atom+xml; charset=utf-8", b)
	return nil
}

// feedValues are the query parameters of the feed of r: every one that
// shapes it, none at the feed's own defaults, so that one feed has one URL
// (its id). Values leaves out /api/search's defaults instead, and a feed
// whose sort=relevance was dropped would come back newest first.
func feedValues(r search.Request) url.Values {
	r.NoFacets = nil // a feed counts no facets, whatever facets says
	v := Values(r)
	v.Del("sort")
	if r.Sort != "" && r.Sort != search.SortNewest {
		v.Set("sort", r.Sort)
	}
	v.Del("size")
	if r.Size != 0 && r.Size != feedSize {
		v.Set("size", strconv.Itoa(r.Size))
	}
	return v
}

// atom renders a result as an Atom 1.0 document. Links are absolute, as
// feed readers need, and built on base, the origin the request came to;
// req is the search the feed ran, with the feed's defaults filled in.
func (s *server) atom(base string, req search.Request, res search.Result) ([]byte, error) {
	q := feedValues(req)
	// The page of the same search, in the same order and size.
	page := req
	page.NoFacets = nil
	title := "papersearch"
	if req.Query != "" {
		title = req.Query + " · papersearch"
	}
	if len(req.Topics) > 0 {
		labels := make([]string, len(req.Topics))
		for i, t := range req.Topics {
			labels[i] = s.label(t)
		}
		title += " · " + strings.Join(labels, ", ")
	}
	f := atomFeed{
		NS: atomNS, ID: base + "/feed.atom" + query(q), Title: title,
		// An empty feed still needs a date; the epoch says "nothing yet".
		Updated: "1970-01-01T00:00:00Z",
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: base + "/feed.atom" + query(q)},
			{Rel: "alternate", Type: "text/html", Href: base + link(page)},
		},
		Gen: "papersearch",
	}
	for _, h := range res.Hits {
		p := h.Paper
		e := atomEntry{
			ID: base + paperPath(p.ID), Title: p.Title, Summary: p.Abstract,
			Updated: atomDate(p.Updated, p.Published),
			Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: base + paperPath(p.ID)}},
		}
		if p.Published != "" {
			e.Published = atomDate(p.Published, "")
		}
		if e.Updated > f.Updated {
			f.Updated = e.Updated
		}
		for _, a := range p.Authors {
			e.Authors = append(e.Authors, atomPerson{a})
		}
		if len(e.Authors) == 0 {
			// Atom wants an author per entry (or per feed).
			e.Authors = []atomPerson{{authorsText(p, 0)}}
			if e.Authors[0].Name == "" {
				e.Authors[0].Name = "unknown"
			}
		}
		if p.URL != "" {
			e.Links = append(e.Links, atomLink{Rel: "related", Type: "text/html", Href: p.URL})
		}
		if p.PDFURL != "" {
			e.Links = append(e.Links, atomLink{Rel: "related", Type: "application/pdf", Href: p.PDFURL})
		}
		for _, t := range p.Topics {
			e.Categories = append(e.Categories, atomCategory{Term: t, Label: s.label(t)})
		}
		f.Entries = append(f.Entries, e)
	}
	out, err := xml.MarshalIndent(f, "", " ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

// atomDate turns YYYY-MM-DD into an RFC 3339 date-time; or falls back.
func atomDate(d, fallback string) string {
	if len(d) != len("2006-01-02") {
		d = fallback
	}
	if len(d) != len("2006-01-02") {
		return "1970-01-01T00:00:00Z"
	}
	return d + "T00:00:00Z"
}

func query(v url.Values) string {
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// baseURL is the origin a request was made to. The server runs behind no
// trusted proxy by default, so X-Forwarded-* are not read.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// paperPath is the page of one paper. Old arXiv ids have a slash, which
// stays a slash: the route is a wildcard.
func paperPath(id string) string {
	return "/papers/" + (&url.URL{Path: id}).EscapedPath()
}
