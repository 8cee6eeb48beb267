package indexer

import (
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
	if err := checkID(p.ID); err != nil {
		return search.Paper{}, err
	}
	return p, nil
}

// ParseJSON reads papers as JSON lines, or as any stream of JSON values:
// one array of papers, or objects one after another however they are laid
// out (a pretty-printed object, the output of jq). A bad record is reported
// at its first line and skipped. Ordinary JSON lines take the fast path: a
// line at a time, each decoded by the hand-written scanner.
func ParseJSON(r io.Reader, source string) iter.Seq2[search.Paper, error] {
	return func(yield func(search.Paper, error) bool) {
		for v, err := range jsonValues(r, source) {
			if err != nil {
				if !yield(search.Paper{}, err) {
					return
				}
				continue
			}
			p, err := jsonRecord(v.raw)
			if err != nil {
				err = v.errAt(source, err)
			}
			if !yield(p, err) {
				return
			}
		}
	}
}

// jsonRecord decodes one paper of the json format.
func jsonRecord(raw []byte) (search.Paper, error) {
	var j jsonPaper
	if err := unmarshalPaper(raw, &j); err != nil {
		return search.Paper{}, fmt.Errorf("invalid JSON: %v", jsonErr(err))
	}
	return j.paper()
}

// jsonErr rewords encoding/json's type errors for people.
func jsonErr(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %q should be %s, not a JSON %s", te.Field, te.Type.String(), te.Value)
	}
	return err
}
