package indexer

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/papersearch/papersearch/search"
)

// arXiv API responses (export.arxiv.org/api/query): an Atom feed with one
// entry per paper. Two generations exist: the 2017 one declares the arxiv
// namespace on each element and puts links before the title; the current
// one declares namespaces on <feed> and orders elements differently.
// Elements are matched by local name, so both read the same.
//
// A bad request (a malformed id) is answered with HTTP 400 and a feed whose
// single entry is an error: its id is https://arxiv.org/api/errors#...

type atomEntry struct {
	ID        string `xml:"id"`
	Title     string `xml:"title"`
	Summary   string `xml:"summary"`
	Published string `xml:"published"`
	Updated   string `xml:"updated"`
	Authors   []struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Primary struct {
		Term string `xml:"term,attr"`
	} `xml:"primary_category"`
	Categories []struct {
		Term string `xml:"term,attr"`
	} `xml:"category"`
	Comment    string `xml:"comment"`
	JournalRef string `xml:"journal_ref"`
	DOI        string `xml:"doi"`
	Links      []struct {
		Href  string `xml:"href,attr"`
		Rel   string `xml:"rel,attr"`
		Title string `xml:"title,attr"`
		Type  string `xml:"type,attr"`
	} `xml:"link"`
}

const atomFormat = "arxiv-atom"

// ParseArxivAtom reads an arXiv API Atom feed. An entry that is not
// well-formed XML is reported and skipped, and reading goes on at the next
// <entry> (xmlrecords.go).
func ParseArxivAtom(r io.Reader, source string) iter.Seq2[search.Paper, error] {
	return func(yield func(search.Paper, error) bool) {
		x, rerr := newXMLReader(r, source, "feed", "an Atom feed", "entry")
		if rerr != nil {
			yield(search.Paper{}, rerr)
			return
		}
		for {
			tok, err := x.Token()
			if err == io.EOF {
				return
			}
			if err != nil {
				if !yield(search.Paper{}, err) {
					return
				}
				continue
			}
			if end, ok := tok.(xml.EndElement); ok && end.Name.Local == "feed" {
				return
			}
			se, ok := tok.(xml.StartElement)
			if !ok || se.Name.Local != "entry" {
				continue
			}
			line := x.Line()
			var e atomEntry
			if err := x.DecodeElement(&e, &se); err != nil {
				if !yield(search.Paper{}, err) {
					return
				}
				continue
			}
			p, err := e.paper()
			if err != nil {
				err = &RecordError{Source: source, Line: line, Err: err}
			}
			if !yield(p, err) {
				return
			}
		}
	}
}

func (e *atomEntry) paper() (search.Paper, error) {
	id := strings.TrimSpace(e.ID)
	if strings.Contains(id, "arxiv.org/api/errors") {
		return search.Paper{}, fmt.Errorf("the arXiv API answered with an error: %s", clip(CleanText(e.Summary)))
	}
	if id == "" {
		return search.Paper{}, errors.New("entry has no id")
	}
	if ArxivID(id) == "" {
		return search.Paper{}, fmt.Errorf("entry id %q is not an arXiv id", clip(id))
	}
	p := search.Paper{
		ID:         id,
		Title:      e.Title,
		Abstract:   e.Summary,
		Comment:    e.Comment,
		JournalRef: e.JournalRef,
		DOI:        e.DOI,
		Source:     atomFormat,
	}
	for _, a := range e.Authors {
		p.Authors = append(p.Authors, a.Name)
	}
	if e.Primary.Term != "" {
		p.Categories = append(p.Categories, e.Primary.Term)
	}
	for _, c := range e.Categories {
		// The old feeds list MSC and ACM classes as categories too
		// ("14C20, 14M99"): keep arXiv's own.
		if isArxivCategory(c.Term) {
			p.Categories = append(p.Categories, c.Term)
		}
	}
	// Links name a version (.../abs/1611.09520v2): one of the arXiv id is
	// left to normalize, which gives every source the same versionless
	// address. Other links are kept.
	for _, l := range e.Links {
		arxiv := ArxivID(l.Href) != ""
		switch {
		case l.Title == "doi" && p.DOI == "":
			p.DOI = doiFromURL(l.Href)
		case (l.Title == "pdf" || l.Type == "application/pdf") && !arxiv:
			p.PDFURL = l.Href
		case l.Rel == "alternate" && !arxiv:
			p.URL = l.Href
		}
	}
	for _, d := range []struct {
		name, in string
		out      *string
	}{{"published", e.Published, &p.Published}, {"updated", e.Updated, &p.Updated}} {
		if d.in == "" {
			continue
		}
		v, ok := ParseDate(d.in)
		if !ok {
			return search.Paper{}, fmt.Errorf("%s %q is not a date", d.name, clip(d.in))
		}
		*d.out = v
	}
	normalize(&p)
	if p.Title == "" {
		return search.Paper{}, fmt.Errorf("entry %s has no title", clip(p.ID))
	}
	return p, nil
}

func doiFromURL(u string) string {
	for _, host := range []string{"dx.doi.org/", "doi.org/"} {
		if _, doi, ok := strings.Cut(u, host); ok {
			return doi
		}
	}
	return ""
}

// isArxivCategory reports whether s looks like an arXiv category such as
// "cs.CL", "hep-th" or "astro-ph.EP".
func isArxivCategory(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r == '-' && i > 0:
		case r == '.' && i > 0:
		case r >= 'A' && r <= 'Z' && strings.Contains(s[:i], "."):
		default:
			return false
		}
	}
	return true
}

// sniffArxivAtom recognises an Atom feed from the arXiv API: an XML
// document whose root is <feed>, naming the arXiv API or its schema.
func sniffArxivAtom(head []byte) bool {
	return xmlRootIs(head, "feed") &&
		(bytes.Contains(head, []byte("arxiv.org/api")) || bytes.Contains(head, []byte("arxiv.org/schemas/atom")))
}
