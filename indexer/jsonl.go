package indexer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/papersearch/papersearch/search"
)

// jsonPaper is the paper model as it arrives in JSON. It is lenient where
// sources differ in form (a date with a time, authors as one string) and
// strict where a value cannot mean anything (a title that is a number).
type jsonPaper struct {
	ID          flexString  `json:"id"`
	Title       string      `json:"title"`
	Abstract    string      `json:"abstract"`
	Summary     string      `json:"summary"`
	Authors     authorNames `json:"authors"`
	AuthorCount int         `json:"author_count"`
	Published   string      `json:"published"`
	Upvotes     int         `json:"upvotes"`
	Categories  flexStrings `json:"categories"`
	Topics      []string    `json:"topics"`
	URL         string      `json:"url"`
	PDFURL      string      `json:"pdf_url"`
	Source      string      `json:"source"`
	Updated     string      `json:"updated"`
	Comment     *string     `json:"comment"`
	JournalRef  string      `json:"journal_ref"`
	DOI         string      `json:"doi"`
	NumComments int         `json:"num_comments"`
	GitHubRepo  string      `json:"github_repo"`
	GitHubStars int         `json:"github_stars"`
	Keywords    []string    `json:"keywords"`
	FeaturedOn  string      `json:"featured_on"`
	HFURL       string      `json:"hf_url"`

	// Names used by the arXiv daily-listing dumps.
	Abs         string `json:"abs"`
	PDF         string `json:"pdf"`
	ListingDate string `json:"listing_date"`
}

// flexString accepts a JSON string or number (ids such as 2402.18668 are
// sometimes written unquoted).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] != '"' {
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("want a string or number, got %s", clipBytes(b))
		}
		*f = flexString(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*f = flexString(s)
	return nil
}

// flexStrings accepts a list of strings or one string of comma- or
// space-separated values.
type flexStrings []string

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	return unmarshalFlexList((*[]string)(f), b, splitList)
}

// authorNames accepts a list of names or one string of them, separated by
// commas, semicolons or "and" ("A. One, B. Two and C. Three"), never by
// spaces, which are inside names.
type authorNames []string

func (f *authorNames) UnmarshalJSON(b []byte) error {
	return unmarshalFlexList((*[]string)(f), b, splitAuthors)
}

// unmarshalFlexList decodes a list of strings, or one string that split
// cuts into values; null leaves *dst as it is.
func unmarshalFlexList(dst *[]string, b []byte, split func(string) []string) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*dst = append(*dst, split(s)...)
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("want a list of strings, got %s", clipBytes(b))
	}
	*dst = list
	return nil
}

// splitList splits one string of comma-separated values, or of
// space-separated ones where it has no comma.
func splitList(s string) []string {
	sep := ","
	if !strings.Contains(s, ",") {
		sep = " "
	}
	var out []string
	for _, v := range strings.Split(s, sep) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func clipBytes(b []byte) string { return clip(string(b)) }

func (j *jsonPaper) paper() (search.Paper, error) {
	p := search.Paper{
		ID: string(j.ID), Title: j.Title, Abstract: j.Abstract, Authors: j.Authors,
		AuthorCount: j.AuthorCount, Upvotes: max(j.Upvotes, 0), Categories: j.Categories,
		URL: j.URL, PDFURL: j.PDFURL, Source: j.Source, JournalRef: j.JournalRef, DOI: j.DOI,
		NumComments: max(j.NumComments, 0), GitHubRepo: j.GitHubRepo, GitHubStars: max(j.GitHubStars, 0),
		Keywords: j.Keywords, HFURL: j.HFURL,
	}
	if p.Abstract == "" {
		p.Abstract = j.Summary
	}
	if p.URL == "" {
		p.URL = j.Abs
	}
	if p.PDFURL == "" {
		p.PDFURL = j.PDF
	}
	if j.Published == "" {
		j.Published = j.ListingDate
	}
	if j.Comment != nil {
		p.Comment = *j.Comment
	}
	if p.Source == "" {
		p.Source = "jsonl"
	}
	for _, d := range []struct {
		name string
		in   string
		out  *string
	}{{"published", j.Published, &p.Published}, {"updated", j.Updated, &p.Updated}, {"featured_on", j.FeaturedOn, &p.FeaturedOn}} {
		if d.in == "" {
			continue
		}
		v, ok := ParseDate(d.in)
		if !ok {
			return search.Paper{}, fmt.Errorf("%s %q is not a date (want YYYY-MM-DD)", d.name, clip(d.in))
		}
		*d.out = v
	}
	normalize(&p)
	if p.Title == "" {
		return search.Paper{}, errors.New("record has no title")
	}
	return p, nil
}

// ParseJSON reads papers as JSON lines, or as one JSON array of papers.
func ParseJSON(r io.Reader, source string) iter.Seq2[search.Paper, error] {
	br := bufio.NewReaderSize(r, 64<<10)
	if firstByte(br) == '[' {
		return parseJSONArray(br, source)
	}
	return func(yield func(search.Paper, error) bool) {
		lr := newLineReader(br)
		for {
			line, n, err := lr.next()
			if err == io.EOF {
				return
			}
			if errors.Is(err, errLineTooLong) {
				if !yield(search.Paper{}, recordErr(source, n, "%v", err)) {
					return
				}
				continue
			}
			if err != nil {
				yield(search.Paper{}, &RecordError{Source: source, Line: n, Err: err})
				return
			}
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			var j jsonPaper
			if err := unmarshalPaper(line, &j); err != nil {
				if !yield(search.Paper{}, recordErr(source, n, "invalid JSON: %v", jsonErr(err))) {
					return
				}
				continue
			}
			p, err := j.paper()
			if err != nil {
				if !yield(search.Paper{}, recordErr(source, n, "%v", err)) {
					return
				}
				continue
			}
			if !yield(p, nil) {
				return
			}
		}
	}
}

func parseJSONArray(r io.Reader, source string) iter.Seq2[search.Paper, error] {
	return func(yield func(search.Paper, error) bool) {
		dec := json.NewDecoder(r)
		if _, err := dec.Token(); err != nil {
			yield(search.Paper{}, &RecordError{Source: source, Offset: dec.InputOffset(), Err: err})
			return
		}
		for dec.More() {
			off := dec.InputOffset()
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				// The array itself is broken: nothing after this point can
				// be framed, so stop here.
				yield(search.Paper{}, &RecordError{Source: source, Offset: off, Err: fmt.Errorf("invalid JSON: %v", jsonErr(err))})
				return
			}
			var j jsonPaper
			err := unmarshalPaper(raw, &j)
			var p search.Paper
			if err == nil {
				p, err = j.paper()
			} else {
				err = fmt.Errorf("invalid paper: %v", jsonErr(err))
			}
			if err != nil {
				if !yield(search.Paper{}, &RecordError{Source: source, Offset: off + 1, Err: err}) {
					return
				}
				continue
			}
			if !yield(p, nil) {
				return
			}
		}
	}
}

// jsonErr rewords encoding/json's type errors for people.
func jsonErr(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %q should be %s, not a JSON %s", te.Field, te.Type.String(), te.Value)
	}
	return err
}

// firstByte peeks at the first byte that is not white space or a BOM.
func firstByte(br *bufio.Reader) byte {
	for i := 1; i <= 4096; i++ {
		b, err := br.Peek(i)
		if len(b) < i || err != nil {
			return 0
		}
		c := b[i-1]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			continue
		case i <= 3 && (c == 0xEF || c == 0xBB || c == 0xBF):
			continue
		}
		return c
	}
	return 0
}
