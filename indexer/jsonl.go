package indexer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"reflect"
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
			return typeErr(reflect.TypeFor[flexString](), b)
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
	return unmarshalFlexList((*[]string)(f), b, splitList, reflect.TypeFor[flexStrings]())
}

// authorNames accepts a list of names or one string of them, separated by
// commas, semicolons or "and" ("A. One, B. Two and C. Three"), never by
// spaces, which are inside names.
type authorNames []string

func (f *authorNames) UnmarshalJSON(b []byte) error {
	return unmarshalFlexList((*[]string)(f), b, splitAuthors, reflect.TypeFor[authorNames]())
}

// unmarshalFlexList decodes a list of strings, or one string that split
// cuts into values; null leaves *dst as it is. t names the type in errors.
func unmarshalFlexList(dst *[]string, b []byte, split func(string) []string, t reflect.Type) error {
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
		if b[0] == '[' {
			return &json.UnmarshalTypeError{Value: "a list with an item that is not a string", Type: t}
		}
		return typeErr(t, b)
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
	if err := decodePaper(raw, &j); err != nil {
		if _, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			return search.Paper{}, jsonErr(err)
		}
		if errors.Is(err, errNotUTF8) {
			return search.Paper{}, err
		}
		return search.Paper{}, fmt.Errorf("invalid JSON: %v", err)
	}
	return j.paper()
}

// jsonErr rewords encoding/json's type errors for people: what to write
// in the field, in JSON's words, not the Go type it decodes into.
func jsonErr(err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err
	}
	if te.Field == "" {
		return fmt.Errorf("the record should be %s, not %s", describeType(te.Type), describeValue(te.Value))
	}
	return fmt.Errorf("field %q should be %s, not %s", te.Field, describeType(te.Type), describeValue(te.Value))
}

// describeType says what JSON a Go type decodes, as a user would write it.
func describeType(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[flexString]():
		return "a string or a number"
	case reflect.TypeFor[flexStrings]():
		return "a list of strings, or one string of them"
	case reflect.TypeFor[authorNames]():
		return "a list of names, or one string of them"
	case reflect.TypeFor[hfAuthor]():
		return `an author object ({"name": "..."})`
	}
	switch t.Kind() {
	case reflect.Pointer:
		return describeType(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		// "a list of " + the plural of what one item is.
		item := describeType(t.Elem())
		switch {
		case strings.HasPrefix(item, "a list"):
			return "a list of lists"
		case strings.HasPrefix(item, "an author object"):
			return `a list of author objects ({"name": "..."})`
		case item == "true or false":
			return "a list of true/false values"
		}
		item = strings.TrimPrefix(strings.TrimPrefix(item, "a "), "an ")
		return "a list of " + item + "s"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another kind of value"
}

// describeValue turns the Value of an UnmarshalTypeError ("number",
// "number 1.5", "array") into words.
func describeValue(v string) string {
	switch v {
	case "string":
		return "a string"
	case "number":
		return "a number"
	case "array":
		return "a list"
	case "object":
		return "an object"
	case "bool":
		return "true or false"
	}
	if n, ok := strings.CutPrefix(v, "number "); ok {
		return "the number " + clip(n)
	}
	return v
}

// typeErr is the error of a custom decoder for a value of another kind,
// shaped as encoding/json's own, which names the field.
func typeErr(t reflect.Type, b []byte) error {
	v := "value"
	switch {
	case len(b) == 0:
	case b[0] == '"':
		v = "string"
	case b[0] == '[':
		v = "array"
	case b[0] == '{':
		v = "object"
	case b[0] == 't' || b[0] == 'f':
		v = "bool"
	case b[0] == '-' || b[0] >= '0' && b[0] <= '9':
		v = "number"
	}
	return &json.UnmarshalTypeError{Value: v, Type: t}
}
