package indexer

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// unmarshalPaper decodes one JSON paper into j as json.Unmarshal does.
//
// Nearly every record is a flat object of strings, integers, nulls and
// lists of strings, which scanJSONPaper reads in one pass without
// reflection. Anything else it declines (a number for an id, a key in
// another case, an escaped key, a repeated key, invalid UTF-8, broken
// JSON), and json.Unmarshal decodes the record from the start, so that what
// is accepted, and every error, stays exactly json.Unmarshal's.
func unmarshalPaper(b []byte, j *jsonPaper) error {
	s := jsonScanner{b: b}
	if s.paper(j) {
		return nil
	}
	*j = jsonPaper{}
	return json.Unmarshal(b, j)
}

// decodePaper is unmarshalPaper for records read from a file, which refuses
// invalid UTF-8 (see checkUTF8) where json.Unmarshal would replace it. The
// scanner declines every record that has any, so only the records it
// declines are checked: the common case pays nothing.
func decodePaper(b []byte, j *jsonPaper) error {
	s := jsonScanner{b: b}
	if s.paper(j) {
		return nil
	}
	if err := checkUTF8(b); err != nil {
		return err
	}
	*j = jsonPaper{}
	return json.Unmarshal(b, j)
}

// jsonScanner reads one JSON object. Its methods report false as soon as
// the input is anything json.Unmarshal should judge.
type jsonScanner struct {
	b   []byte
	i   int
	buf []byte // unescaped strings
}

// maxSkipDepth bounds the nesting of values the scanner skips; deeper ones
// go to json.Unmarshal.
const maxSkipDepth = 64

// The fields of jsonPaper, one bit each, to turn a repeated key (which
// json.Unmarshal merges in its own ways) over to json.Unmarshal.
const (
	fID = 1 << iota
	fTitle
	fAbstract
	fSummary
	fAuthors
	fAuthorCount
	fPublished
	fUpvotes
	fCategories
	fTopics
	fURL
	fPDFURL
	fSource
	fUpdated
	fComment
	fJournalRef
	fDOI
	fNumComments
	fGitHubRepo
	fGitHubStars
	fKeywords
	fFeaturedOn
	fHFURL
	fAbs
	fPDF
	fListingDate
)

// jsonPaperKeys are the keys jsonPaper decodes, for telling an unknown key
// (skipped) from a known one in another case (declined).
var jsonPaperKeys = []string{
	"id", "title", "abstract", "summary", "authors", "author_count", "published", "upvotes", "categories", "topics",
	"url", "pdf_url", "source", "updated", "comment", "journal_ref", "doi", "num_comments", "github_repo",
	"github_stars", "keywords", "featured_on", "hf_url", "abs", "pdf", "listing_date",
}

func (s *jsonScanner) paper(j *jsonPaper) bool {
	s.ws()
	if !s.byte('{') {
		return false
	}
	var seen uint32
	s.ws()
	if s.byte('}') {
		return s.end()
	}
	for {
		s.ws()
		key, ok := s.key()
		if !ok {
			return false
		}
		s.ws()
		if !s.byte(':') {
			return false
		}
		s.ws()
		var bit uint32
		switch string(key) {
		case "id":
			bit = fID
			ok = s.flexString(&j.ID)
		case "title":
			bit, ok = fTitle, s.str(&j.Title)
		case "abstract":
			bit, ok = fAbstract, s.str(&j.Abstract)
		case "summary":
			bit, ok = fSummary, s.str(&j.Summary)
		case "authors":
			bit, ok = fAuthors, s.flexStrings((*[]string)(&j.Authors), splitAuthors)
		case "author_count":
			bit, ok = fAuthorCount, s.int(&j.AuthorCount)
		case "published":
			bit, ok = fPublished, s.str(&j.Published)
		case "upvotes":
			bit, ok = fUpvotes, s.int(&j.Upvotes)
		case "categories":
			bit, ok = fCategories, s.flexStrings((*[]string)(&j.Categories), splitList)
		case "topics":
			bit, ok = fTopics, s.strs(&j.Topics)
		case "url":
			bit, ok = fURL, s.str(&j.URL)
		case "pdf_url":
			bit, ok = fPDFURL, s.str(&j.PDFURL)
		case "source":
			bit, ok = fSource, s.str(&j.Source)
		case "updated":
			bit, ok = fUpdated, s.str(&j.Updated)
		case "comment":
			bit, ok = fComment, s.strPtr(&j.Comment)
		case "journal_ref":
			bit, ok = fJournalRef, s.str(&j.JournalRef)
		case "doi":
			bit, ok = fDOI, s.str(&j.DOI)
		case "num_comments":
			bit, ok = fNumComments, s.int(&j.NumComments)
		case "github_repo":
			bit, ok = fGitHubRepo, s.str(&j.GitHubRepo)
		case "github_stars":
			bit, ok = fGitHubStars, s.int(&j.GitHubStars)
		case "keywords":
			bit, ok = fKeywords, s.strs(&j.Keywords)
		case "featured_on":
			bit, ok = fFeaturedOn, s.str(&j.FeaturedOn)
		case "hf_url":
			bit, ok = fHFURL, s.str(&j.HFURL)
		case "abs":
			bit, ok = fAbs, s.str(&j.Abs)
		case "pdf":
			bit, ok = fPDF, s.str(&j.PDF)
		case "listing_date":
			bit, ok = fListingDate, s.str(&j.ListingDate)
		default:
			// json.Unmarshal matches keys without regard to case.
			for _, k := range jsonPaperKeys {
				if strings.EqualFold(string(key), k) {
					return false
				}
			}
			ok = s.skip(0)
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		s.ws()
		if s.byte('}') {
			return s.end()
		}
		if !s.byte(',') {
			return false
		}
	}
}

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// byte consumes c if it comes next.
func (s *jsonScanner) byte(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end reports whether nothing but white space follows.
func (s *jsonScanner) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// null consumes a null if one comes next.
func (s *jsonScanner) null() bool {
	if len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// key reads an object key, declining escaped and non-ASCII ones (which
// json.Unmarshal may match to a field in ways not worth copying here).
func (s *jsonScanner) key() ([]byte, bool) {
	if !s.byte('"') {
		return nil, false
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], true
		case c == '\\' || c < ' ' || c >= utf8.RuneSelf:
			return nil, false
		}
		s.i++
	}
	return nil, false
}

// stringBytes reads a string value and returns its bytes, unescaped; they
// are valid until the next call.
func (s *jsonScanner) stringBytes() ([]byte, bool) {
	if !s.byte('"') {
		return nil, false
	}
	start := s.i
	for s.i < len(s.b) {
		for s.i < len(s.b) && jsonPlain[s.b[s.i]] {
			s.i++
		}
		if s.i == len(s.b) {
			break
		}
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], true
		case c == '\\':
			return s.escaped(start)
		case c < ' ':
			return nil, false
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && size == 1 {
				return nil, false // json.Unmarshal replaces it
			}
			s.i += size
			continue
		}
		s.i++
	}
	return nil, false
}

// jsonPlain marks the bytes a JSON string holds as they are: ASCII other
// than controls, quotes and backslashes.
var jsonPlain = func() (p [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		p[c] = c != '"' && c != '\\'
	}
	return
}()

// escaped reads the rest of a string that has escapes, from start (just
// after the opening quote) with s.i at the first backslash.
func (s *jsonScanner) escaped(start int) ([]byte, bool) {
	s.buf = append(s.buf[:0], s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.buf, true
		case c < ' ':
			return nil, false
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && size == 1 {
				return nil, false
			}
			s.buf = append(s.buf, s.b[s.i:s.i+size]...)
			s.i += size
			continue
		case c != '\\':
			s.buf = append(s.buf, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.b) {
			return nil, false
		}
		e := s.b[s.i+1]
		s.i += 2
		switch e {
		case '"', '\\', '/':
			s.buf = append(s.buf, e)
		case 'b':
			s.buf = append(s.buf, '\b')
		case 'f':
			s.buf = append(s.buf, '\f')
		case 'n':
			s.buf = append(s.buf, '\n')
		case 'r':
			s.buf = append(s.buf, '\r')
		case 't':
			s.buf = append(s.buf, '\t')
		case 'u':
			if s.i+4 > len(s.b) {
				return nil, false
			}
			var r rune
			for _, h := range s.b[s.i : s.i+4] {
				switch {
				case h >= '0' && h <= '9':
					h -= '0'
				case h >= 'a' && h <= 'f':
					h -= 'a' - 10
				case h >= 'A' && h <= 'F':
					h -= 'A' - 10
				default:
					return nil, false
				}
				r = r<<4 | rune(h)
			}
			if utf16.IsSurrogate(r) {
				return nil, false // pairs and lone halves: json.Unmarshal's rules
			}
			s.buf = utf8.AppendRune(s.buf, r)
			s.i += 4
		default:
			return nil, false
		}
	}
	return nil, false
}

// str reads a string or null (which leaves *dst as it is).
func (s *jsonScanner) str(dst *string) bool {
	if s.null() {
		return true
	}
	b, ok := s.stringBytes()
	if ok {
		*dst = string(b)
	}
	return ok
}

func (s *jsonScanner) strPtr(dst **string) bool {
	if s.null() {
		*dst = nil
		return true
	}
	b, ok := s.stringBytes()
	if ok {
		v := string(b)
		*dst = &v
	}
	return ok
}

// flexString reads what flexString accepts, less numbers.
func (s *jsonScanner) flexString(dst *flexString) bool {
	if s.null() {
		*dst = "" // flexString.UnmarshalJSON("null")
		return true
	}
	b, ok := s.stringBytes()
	if ok {
		*dst = flexString(b)
	}
	return ok
}

// strs reads a list of strings, or null (which sets *dst to nil).
func (s *jsonScanner) strs(dst *[]string) bool {
	if s.null() {
		*dst = nil
		return true
	}
	if !s.byte('[') {
		return false
	}
	list := []string{}
	s.ws()
	if s.byte(']') {
		*dst = list
		return true
	}
	for {
		s.ws()
		b, ok := s.stringBytes()
		if !ok {
			return false
		}
		list = append(list, string(b))
		s.ws()
		if s.byte(']') {
			*dst = list
			return true
		}
		if !s.byte(',') {
			return false
		}
	}
}

// flexStrings reads what flexStrings and authorNames accept: a list of
// strings, one string of values that split cuts, or null (which leaves
// *dst as it is).
func (s *jsonScanner) flexStrings(dst *[]string, split func(string) []string) bool {
	if s.null() {
		return true
	}
	if s.i < len(s.b) && s.b[s.i] == '"' {
		b, ok := s.stringBytes()
		if ok {
			*dst = append(*dst, split(string(b))...)
		}
		return ok
	}
	return s.strs(dst)
}

// int reads an integer, or null (which leaves *dst as it is). Fractions
// and exponents, which json.Unmarshal rejects for an int, are declined.
func (s *jsonScanner) int(dst *int) bool {
	if s.null() {
		return true
	}
	start := s.i
	s.byte('-')
	digits := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	if s.i == digits || s.b[digits] == '0' && s.i-digits > 1 {
		return false
	}
	if s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		return false
	}
	n, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 0)
	if err != nil {
		return false
	}
	*dst = int(n)
	return true
}

// skip reads any JSON value, checking it as json.Unmarshal does.
func (s *jsonScanner) skip(depth int) bool {
	if depth > maxSkipDepth || s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, ok := s.stringBytes()
		return ok
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		s.i++
		s.ws()
		if s.byte(end) {
			return true
		}
		for {
			s.ws()
			if c == '{' {
				if _, ok := s.stringBytes(); !ok {
					return false
				}
				s.ws()
				if !s.byte(':') {
					return false
				}
				s.ws()
			}
			if !s.skip(depth + 1) {
				return false
			}
			s.ws()
			if s.byte(end) {
				return true
			}
			if !s.byte(',') {
				return false
			}
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.null()
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return false
}

func (s *jsonScanner) literal(lit string) bool {
	if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return true
	}
	return false
}

// number reads a number as JSON writes it.
func (s *jsonScanner) number() bool {
	s.byte('-')
	switch {
	case s.byte('0'):
	case s.i < len(s.b) && s.b[s.i] >= '1' && s.b[s.i] <= '9':
		s.digits()
	default:
		return false
	}
	if s.byte('.') && !s.digits() {
		return false
	}
	if s.byte('e') || s.byte('E') {
		if !s.byte('+') {
			s.byte('-')
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// digits reads one or more digits.
func (s *jsonScanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}
