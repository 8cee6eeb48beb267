package indexer

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"regexp"
	"strings"

	"github.com/papersearch/papersearch/search"
)

// arXiv OAI-PMH responses (export.arxiv.org/oai2): ListRecords or GetRecord
// with metadataPrefix arXiv (structured authors and categories) or oai_dc
// (Dublin Core: creators as "Last, First", dates, descriptions).
//
// Records are read one at a time. A deleted record is skipped. A
// resumptionToken, which names the next page of a harvest, is not
// followed: each response is one source. A record that is not well-formed
// XML is reported and skipped, and reading goes on at the next <record>
// (xmlrecords.go). When arXiv is busy it answers
// 503 with a small HTML page, "Retry after N seconds"; that page is
// reported as such rather than as malformed XML.

type oaiRecord struct {
	Header struct {
		Identifier string `xml:"identifier"`
		Status     string `xml:"status,attr"`
	} `xml:"header"`
	Metadata struct {
		ArXiv *oaiArxiv `xml:"arXiv"`
		DC    *oaiDC    `xml:"dc"`
		Other []struct {
			XMLName xml.Name
		} `xml:",any"`
	} `xml:"metadata"`
}

type oaiArxiv struct {
	ID      string `xml:"id"`
	Created string `xml:"created"`
	Updated string `xml:"updated"`
	Authors []struct {
		Keyname   string `xml:"keyname"`
		Forenames string `xml:"forenames"`
		Suffix    string `xml:"suffix"`
	} `xml:"authors>author"`
	Title      string `xml:"title"`
	Categories string `xml:"categories"`
	Comments   string `xml:"comments"`
	JournalRef string `xml:"journal-ref"`
	DOI        string `xml:"doi"`
	Abstract   string `xml:"abstract"`
}

type oaiDC struct {
	Titles       []string `xml:"title"`
	Creators     []string `xml:"creator"`
	Descriptions []string `xml:"description"`
	Dates        []string `xml:"date"`
	Identifiers  []string `xml:"identifier"`
}

const oaiFormat = "arxiv-oai"

var oaiRetry = regexp.MustCompile(`(?i)retry after (\d+) seconds?`)

// ParseArxivOAI reads an arXiv OAI-PMH response.
func ParseArxivOAI(r io.Reader, source string) iter.Seq2[search.Paper, error] {
	return func(yield func(search.Paper, error) bool) {
		br := bufio.NewReaderSize(r, 64<<10)
		head, _ := br.Peek(4 << 10)
		if looksHTML(head) && !bytes.Contains(head, []byte("<OAI-PMH")) {
			err := errors.New("not an OAI-PMH response but an HTML page")
			if m := oaiRetry.FindSubmatch(head); m != nil {
				err = fmt.Errorf("the server is busy (an HTTP 503 page): it asks to retry after %s seconds", m[1])
			}
			yield(search.Paper{}, &RecordError{Source: source, Err: err})
			return
		}
		x, rerr := newXMLReader(br, source, "OAI-PMH", "an OAI-PMH response", "record")
		if rerr != nil {
			yield(search.Paper{}, rerr)
			return
		}
		verb := ""
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
			switch t := tok.(type) {
			case xml.EndElement:
				if t.Name.Local != "OAI-PMH" {
					continue
				}
				if verb != "" && verb != "ListRecords" && verb != "GetRecord" {
					yield(search.Paper{}, &RecordError{Source: source, Err: fmt.Errorf("an OAI-PMH %s response holds no papers: harvest with verb=ListRecords", clip(verb))})
				}
				return
			case xml.StartElement:
				switch t.Name.Local {
				case "Identify", "ListSets", "ListMetadataFormats", "ListIdentifiers", "ListRecords", "GetRecord":
					if verb == "" {
						verb = t.Name.Local
					}
				case "error":
					line := x.Line()
					var msg string
					if err := x.DecodeElement(&msg, &t); err != nil {
						if !yield(search.Paper{}, err) {
							return
						}
						continue
					}
					code := attr(t, "code")
					if code == "noRecordsMatch" {
						continue
					}
					if !yield(search.Paper{}, recordErr(source, line, "OAI-PMH error %s: %s", clip(code), clip(CleanText(msg)))) {
						return
					}
				case "record":
					line := x.Line()
					var rec oaiRecord
					if err := x.DecodeElement(&rec, &t); err != nil {
						if !yield(search.Paper{}, err) {
							return
						}
						continue
					}
					if rec.Header.Status == "deleted" {
						continue
					}
					p, err := rec.paper()
					if err != nil {
						err = &RecordError{Source: source, Line: line, Err: err}
					}
					if !yield(p, err) {
						return
					}
				}
			}
		}
	}
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (rec *oaiRecord) paper() (search.Paper, error) {
	var p search.Paper
	var err error
	switch m := rec.Metadata; {
	case m.ArXiv != nil:
		p, err = m.ArXiv.paper()
	case m.DC != nil:
		p, err = m.DC.paper()
	case len(m.Other) > 0:
		return search.Paper{}, fmt.Errorf("record %s: metadata format <%s> is not supported (use metadataPrefix arXiv or oai_dc)", clip(rec.Header.Identifier), clip(m.Other[0].XMLName.Local))
	default:
		return search.Paper{}, fmt.Errorf("record %s has no metadata", clip(rec.Header.Identifier))
	}
	if err != nil {
		return search.Paper{}, err
	}
	if p.ID == "" {
		p.ID = strings.TrimPrefix(strings.TrimSpace(rec.Header.Identifier), "oai:arXiv.org:")
	}
	if strings.TrimSpace(p.ID) == "" {
		return search.Paper{}, errors.New("record has no identifier")
	}
	if ArxivID(p.ID) == "" {
		return search.Paper{}, fmt.Errorf("record identifier %q is not an arXiv id", clip(p.ID))
	}
	p.Source = oaiFormat
	normalize(&p)
	if p.Title == "" {
		return search.Paper{}, fmt.Errorf("record %s has no title", clip(p.ID))
	}
	return p, nil
}

func (a *oaiArxiv) paper() (search.Paper, error) {
	p := search.Paper{
		ID:         a.ID,
		Title:      a.Title,
		Abstract:   a.Abstract,
		Categories: strings.Fields(a.Categories),
		Comment:    a.Comments,
		JournalRef: a.JournalRef,
		DOI:        a.DOI,
	}
	for _, au := range a.Authors {
		name := strings.Join(strings.Fields(au.Forenames+" "+au.Keyname+" "+au.Suffix), " ")
		p.Authors = append(p.Authors, name)
	}
	for _, d := range []struct {
		name, in string
		out      *string
	}{{"created", a.Created, &p.Published}, {"updated", a.Updated, &p.Updated}} {
		if d.in == "" {
			continue
		}
		v, ok := ParseDate(d.in)
		if !ok {
			return search.Paper{}, fmt.Errorf("%s %q is not a date", d.name, clip(d.in))
		}
		*d.out = v
	}
	return p, nil
}

func (dc *oaiDC) paper() (search.Paper, error) {
	var p search.Paper
	if len(dc.Titles) > 0 {
		p.Title = dc.Titles[0]
	}
	for _, c := range dc.Creators {
		// "Last, First" -> "First Last"
		if last, first, ok := strings.Cut(c, ","); ok && strings.TrimSpace(first) != "" {
			c = strings.TrimSpace(first) + " " + strings.TrimSpace(last)
		}
		p.Authors = append(p.Authors, c)
	}
	for _, d := range dc.Descriptions {
		d = strings.TrimSpace(d)
		if c, ok := strings.CutPrefix(d, "Comment:"); ok {
			p.Comment = c
		} else if p.Abstract == "" {
			p.Abstract = d
		}
	}
	// Dates are one per version: the earliest is the publication.
	for _, s := range dc.Dates {
		d, ok := ParseDate(s)
		if !ok {
			return search.Paper{}, fmt.Errorf("date %q is not a date", clip(s))
		}
		p.Published = earliest(p.Published, d)
		p.Updated = latest(p.Updated, d)
	}
	if p.Updated == p.Published {
		p.Updated = ""
	}
	for _, id := range dc.Identifiers {
		id = strings.TrimSpace(id)
		switch {
		case p.ID == "" && ArxivID(id) != "":
			p.ID = ArxivID(id)
		case strings.HasPrefix(strings.ToLower(id), "doi:"):
			p.DOI = strings.TrimSpace(id[4:])
		}
	}
	return p, nil
}

// sniffArxivOAI recognises an OAI-PMH response (an XML document whose root
// is <OAI-PMH>), or arXiv's 503 page.
func sniffArxivOAI(head []byte) bool {
	return xmlRootIs(head, "OAI-PMH") || (looksHTML(head) && oaiRetry.Match(head) && bytes.Contains(head, []byte("<h1>")))
}
