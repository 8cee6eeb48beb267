package indexer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"regexp"
	"strings"

	"github.com/papersearch/papersearch/search"
)

// The arXiv metadata snapshot (Kaggle's arxiv-metadata-oai-snapshot.json):
// JSON lines of
//
//	{id, submitter, authors, title, comments, journal-ref, doi, report-no,
//	 categories, license, abstract, versions:[{version, created}],
//	 update_date, authors_parsed:[[last, first, suffix]]}
//
// The full dump is millions of lines: it is read a line at a time, so
// memory stays flat whatever its size.

type snapshotRecord struct {
	ID            flexString      `json:"id"`
	Authors       string          `json:"authors"`
	Title         string          `json:"title"`
	Comments      string          `json:"comments"`
	JournalRef    string          `json:"journal-ref"`
	DOI           string          `json:"doi"`
	Categories    string          `json:"categories"`
	Abstract      string          `json:"abstract"`
	Versions      []snapVersion   `json:"versions"`
	UpdateDate    string          `json:"update_date"`
	AuthorsParsed json.RawMessage `json:"authors_parsed"`
}

type snapVersion struct {
	Version string `json:"version"`
	Created string `json:"created"`
}

const snapshotFormat = "arxiv-snapshot"

// ParseArxivSnapshot reads the arXiv metadata snapshot.
func ParseArxivSnapshot(r io.Reader, source string) iter.Seq2[search.Paper, error] {
	return func(yield func(search.Paper, error) bool) {
		for v, err := range jsonValues(r, source) {
			if err != nil {
				if !yield(search.Paper{}, err) {
					return
				}
				continue
			}
			p, err := snapshotPaper(v.raw)
			if err != nil {
				err = v.errAt(source, err)
			}
			if !yield(p, err) {
				return
			}
		}
	}
}

func snapshotPaper(raw []byte) (search.Paper, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return search.Paper{}, fmt.Errorf("want a snapshot record (a JSON object), got %s", clipBytes(raw))
	}
	if err := checkUTF8(raw); err != nil {
		return search.Paper{}, err
	}
	var s snapshotRecord
	if err := json.Unmarshal(raw, &s); err != nil {
		return search.Paper{}, decodeErr("a snapshot record", err)
	}
	if strings.TrimSpace(string(s.ID)) == "" {
		return search.Paper{}, errors.New("record has no id")
	}
	if ArxivID(string(s.ID)) == "" {
		return search.Paper{}, fmt.Errorf("id %q is not an arXiv id", clip(string(s.ID)))
	}
	p := search.Paper{
		ID:         string(s.ID),
		Title:      s.Title,
		Abstract:   s.Abstract,
		Authors:    parsedAuthors(s.AuthorsParsed),
		Categories: strings.Fields(s.Categories),
		Comment:    s.Comments,
		JournalRef: s.JournalRef,
		DOI:        s.DOI,
		Source:     snapshotFormat,
	}
	if len(p.Authors) == 0 {
		p.Authors = splitAuthors(s.Authors)
	}
	for _, v := range s.Versions {
		d, ok := ParseDate(v.Created)
		if !ok {
			return search.Paper{}, fmt.Errorf("version %s date %q is not a date", clip(v.Version), clip(v.Created))
		}
		p.Published = earliest(p.Published, d)
	}
	if s.UpdateDate != "" {
		d, ok := ParseDate(s.UpdateDate)
		if !ok {
			return search.Paper{}, fmt.Errorf("update_date %q is not a date", clip(s.UpdateDate))
		}
		p.Updated = d
	}
	normalize(&p)
	if p.Title == "" {
		return search.Paper{}, fmt.Errorf("record %s has no title", clip(p.ID))
	}
	return p, nil
}

// parsedAuthors turns authors_parsed, [[last, first, suffix, ...]], into
// "First Last Suffix" names. It returns nil when the field has another
// shape, and the authors string is used instead.
func parsedAuthors(raw json.RawMessage) []string {
	var parsed [][]string
	if len(raw) == 0 || json.Unmarshal(raw, &parsed) != nil {
		return nil
	}
	names := make([]string, 0, len(parsed))
	for _, a := range parsed {
		if len(a) == 0 {
			continue
		}
		parts := []string{"", a[0], ""}
		if len(a) > 1 {
			parts[0] = a[1]
		}
		if len(a) > 2 {
			parts[2] = a[2]
		}
		if name := strings.Join(strings.Fields(strings.Join(parts, " ")), " "); name != "" {
			names = append(names, name)
		}
	}
	return names
}

var (
	authorParens = regexp.MustCompile(`\([^()]*\)`)
	authorSep    = regexp.MustCompile(`\s*[,;]\s*(?:and\s+)?|\s+and\s+`)
)

// splitAuthors splits an authors string, "A. One, B. Two and C. Three
// (Affiliation)", into names: at commas, semicolons and "and", never at
// spaces. Affiliations in brackets, nested ones too ("A. One (1) ((1)
// MIT)"), are dropped.
func splitAuthors(s string) []string {
	for i := 0; i < 4 && strings.Contains(s, "("); i++ {
		s = authorParens.ReplaceAllString(s, " ")
	}
	var out []string
	for _, a := range authorSep.Split(s, -1) {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// snapshotKeys are keys that only snapshot records have.
var snapshotKeys = []string{"submitter", "versions", "authors_parsed", "update_date", "journal-ref", "report-no"}

// sniffArxivSnapshot looks at the keys of the first record.
func sniffArxivSnapshot(head []byte) bool {
	keys := jsonHeadKeys(head)
	for _, k := range snapshotKeys {
		if d, ok := keys[k]; ok && d == 1 {
			return true
		}
	}
	return false
}
