package indexer

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/papersearch/papersearch/search"
)

// oldArxivID matches an old-style id in any case: archive, subject class,
// number and version ("hep-th/9901001v2", "MATH.ag/0309136").
var oldArxivID = regexp.MustCompile(`(?i)^([a-z][a-z\-]*)(\.[a-z]{2})?/(\d{7})(?:v\d+)?$`)

// newStyleID matches s against ^(\d{4}\.\d{4,5})([vV]\d+)?$ and returns the
// id without its version: nearly every id is new-style, and this runs for
// every paper read, twice.
func newStyleID(s string) (string, bool) {
	if len(s) < 9 || !allDigits(s[:4]) || s[4] != '.' {
		return "", false
	}
	n := 5
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n-5 < 4 || n-5 > 5 {
		return "", false
	}
	if v := s[n:]; v != "" && (v[0] != 'v' && v[0] != 'V' || len(v) == 1 || !allDigits(v[1:])) {
		return "", false
	}
	return s[:n], true
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ArxivID returns the canonical arXiv id in s ("2402.18668", "hep-th/9901001")
// with any "arXiv:" prefix, URL and version suffix dropped, or "" when s is
// not an arXiv id. Case does not matter ("ARXIV:2501.70002V2",
// "HTTPS://ARXIV.ORG/ABS/HEP-TH/9901001"); the id comes back in arXiv's
// own case.
func ArxivID(s string) string {
	s = strings.TrimSpace(s)
	for _, p := range []string{"https://", "http://"} {
		s = trimPrefixFold(s, p)
	}
	for _, p := range []string{"www.", "export.", "arxiv.org/abs/", "arxiv.org/pdf/", "huggingface.co/papers/", "arxiv:"} {
		s = trimPrefixFold(s, p)
	}
	if n := len(s) - len(".pdf"); n > 0 && strings.EqualFold(s[n:], ".pdf") {
		s = s[:n]
	}
	if id, ok := newStyleID(s); ok {
		return id
	}
	if m := oldArxivID.FindStringSubmatch(s); m != nil {
		return strings.ToLower(m[1]) + strings.ToUpper(m[2]) + "/" + m[3]
	}
	return ""
}

// trimPrefixFold removes prefix from s, in any ASCII case.
func trimPrefixFold(s, prefix string) string {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):]
	}
	return s
}

// TitleID derives a stable id from a title for papers without an arXiv id:
// a readable slug plus a hash of the normalised title, so that case,
// punctuation and spacing do not make two ids for one paper.
func TitleID(title string) string {
	norm := normTitle(title)
	sum := sha1.Sum([]byte(norm))
	slug := strings.ReplaceAll(norm, " ", "-")
	if len(slug) > 60 {
		slug = slug[:60]
		if i := strings.LastIndexByte(slug, '-'); i > 20 {
			slug = slug[:i]
		}
	}
	if slug == "" {
		slug = "paper"
	}
	return slug + "-" + hex.EncodeToString(sum[:4])
}

// normTitle lowercases a title and keeps only letters and digits, single
// spaced, so that titles from different sources compare equal.
func normTitle(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			if r < 128 {
				b.WriteRune(r)
			}
			continue
		}
		space = true
	}
	return b.String()
}

// CleanText makes untrusted text safe to index and show: valid UTF-8, no
// control or bidirectional-override characters, whitespace runs (line
// breaks included) folded to one space. Control characters count as
// whitespace; bidirectional controls and byte-order marks are dropped.
// TeX is kept as written.
func CleanText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	// The output is runs of s joined by single spaces. The run being read,
	// s[from:to], is copied out only when the next one does not follow it
	// in s with one space between: text that is already clean (most titles
	// and names) comes back as it is, with no copy.
	var b strings.Builder
	from, to := 0, 0
	copied := false
	space := false
	for i := 0; i < len(s); {
		c := s[i]
		size := 1
		if c < utf8.RuneSelf {
			switch {
			// A control character separates like a space: it stands
			// between two words more often than inside one, and deleting
			// it would merge them ("Control\x01chars").
			case c <= ' ' || c == 0x7f:
				space = true
				i++
				continue
			}
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			switch {
			case unicode.IsSpace(r), unicode.IsControl(r):
				space = true
				i += size
				continue
			case isBidiControl(r), r == '\uFEFF':
				// Invisible formatting, not separators: dropped.
				i += size
				continue
			}
		}
		// s[i:i+size] is kept, after a space if one came since the last
		// character kept.
		written := to > from || copied
		switch {
		case to == i: // nothing was skipped: the run goes on
		case space && written && to == i-1 && s[to] == ' ':
		case !written: // what was skipped leads the text: drop it
			from = i
		default:
			if !copied {
				b.Grow(len(s))
				copied = true
			}
			b.WriteString(s[from:to])
			if space && written {
				b.WriteByte(' ')
			}
			from = i
		}
		space = false
		i += size
		// Printable ASCII, nearly all of what papers hold, in one go: a
		// single space between two such bytes is kept as it is.
		for i < len(s) {
			if printable[s[i]] {
				i++
			} else if s[i] == ' ' && i+1 < len(s) && printable[s[i+1]] {
				i += 2
			} else {
				break
			}
		}
		to = i
	}
	if !copied {
		return s[from:to]
	}
	b.WriteString(s[from:to])
	return b.String()
}

// printable marks the printable ASCII bytes other than the space.
var printable = func() (p [256]bool) {
	for c := '!'; c < 0x7f; c++ {
		p[c] = true
	}
	return
}()

func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') || r == '\u200E' || r == '\u200F'
}

// dateLayouts are the date forms sources use, most specific first.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	time.DateOnly,
	"Mon, 2 Jan 2006",
	"Jan 2, 2006",
	"January 2, 2006",
	"2 Jan 2006",
	"2006/01/02",
}

// ParseDate reads a date in any of the forms sources use and returns it as
// YYYY-MM-DD.
func ParseDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	// Most dates are already YYYY-MM-DD: parse that layout alone, and keep
	// s, which is what formatting the parsed date gives back. No layout
	// tried before it reads a string of that shape.
	if len(s) == len(time.DateOnly) && s[4] == '-' && s[7] == '-' && allDigits(s[:4]) && allDigits(s[5:7]) && allDigits(s[8:]) {
		if t, err := time.Parse(time.DateOnly, s); err == nil && t.Year() >= 1000 {
			return s, true
		}
	}
	return parseDateLayouts(s)
}

// parseDateLayouts is ParseDate of a trimmed, non-empty s, trying every
// layout.
func parseDateLayouts(s string) (string, bool) {
	// "Mon, 2 Jan 2006 15:04:05 GMT" (arXiv versions) -> drop the time.
	if i := strings.Index(s, ":"); i > 0 && strings.Contains(s, ", ") && strings.Count(s, ":") == 2 {
		if j := strings.LastIndexByte(s[:i], ' '); j > 0 {
			s = s[:j]
		}
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if t.Year() < 1000 || t.Year() > 9999 {
				return "", false
			}
			return t.Format(time.DateOnly), true
		}
	}
	return "", false
}

// Caps on what one paper may carry. Real papers are far inside them
// (arXiv abstracts stop at 1,920 characters; the longest author lists run
// to a few thousand names); hostile or broken records are cut down to
// them instead of bloating the index. AuthorCount keeps the true count.
const (
	MaxTitleBytes    = 2 << 10
	MaxAbstractBytes = 64 << 10
	MaxAuthors       = 1000
	MaxNameBytes     = 256
	MaxListValues    = 100 // categories, keywords
	MaxFieldBytes    = 4 << 10
	// MaxIDBytes bounds an id; a record with a longer one is rejected,
	// since a cut id would name another paper.
	MaxIDBytes = 256
)

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// normalize cleans a parsed paper in place: text, id, authors, dates.
func normalize(p *search.Paper) {
	p.Title = truncate(CleanText(p.Title), MaxTitleBytes)
	p.Abstract = truncate(CleanText(p.Abstract), MaxAbstractBytes)
	if id := ArxivID(p.ID); id != "" {
		p.ID = id
	} else {
		p.ID = CleanText(p.ID)
	}
	if p.ID == "" {
		p.ID = TitleID(p.Title)
	}
	authors := p.Authors[:0]
	named := 0
	for _, a := range p.Authors {
		if a = CleanText(a); a != "" {
			named++
			if len(authors) < MaxAuthors {
				authors = append(authors, truncate(a, MaxNameBytes))
			}
		}
	}
	clear(p.Authors[len(authors):])
	p.Authors = authors
	if p.AuthorCount < named {
		p.AuthorCount = named
	}
	// Listings put MSC and ACM classes ("68T50", "I.2.7") beside the arXiv
	// categories; they are kept, as keywords, out of the category facet.
	cats := p.Categories[:0]
	for _, c := range p.Categories {
		if c = strings.TrimSpace(c); isArxivCategory(c) {
			cats = append(cats, c)
		} else if c != "" {
			p.Keywords = append(p.Keywords, c)
		}
	}
	p.Categories = dedupe(cats)
	p.Keywords = dedupe(p.Keywords)
	for _, f := range []*string{&p.URL, &p.PDFURL, &p.HFURL, &p.GitHubRepo, &p.Comment, &p.JournalRef, &p.DOI, &p.Source} {
		*f = truncate(CleanText(*f), MaxFieldBytes)
	}
	for _, f := range []*string{&p.URL, &p.PDFURL, &p.HFURL, &p.GitHubRepo} {
		if !safeURL(*f) {
			*f = ""
		}
	}
	if isArxivID(p.ID) {
		if p.URL == "" {
			p.URL = "https://arxiv.org/abs/" + p.ID
		}
		if p.PDFURL == "" {
			p.PDFURL = "https://arxiv.org/pdf/" + p.ID
		}
	}
	if p.Authors == nil {
		p.Authors = []string{}
	}
	if p.Categories == nil {
		p.Categories = []string{}
	}
}

func isArxivID(id string) bool { return ArxivID(id) == id && id != "" }

// checkID says why a normalised id cannot be used, or returns nil. The
// parsers that take ids as given call it where they know the record's
// line; IndexReader checks again for any that does not.
//
// An id is the last part of its paper's URLs, /papers/{id} and
// /api/papers/{id}, slashes kept (old arXiv ids have one). So it may not
// hold a path segment that a browser resolves before asking, "." or ".."
// (written %2e too, which is why no escaping can carry one):
// /papers/../../etc/passwd is /etc/passwd. Nor an empty segment (a
// leading, trailing or doubled slash, which the routes trim), nor end in
// /similar, the route of similar papers.
func checkID(id string) error {
	if len(id) > MaxIDBytes {
		return fmt.Errorf("id %q is %d bytes; the limit is %d", clip(id), len(id), MaxIDBytes)
	}
	for seg := range strings.SplitSeq(id, "/") {
		switch seg {
		case ".", "..":
			return fmt.Errorf("id %q has a %q path segment, which a paper's URL cannot carry", clip(id), seg)
		case "":
			return fmt.Errorf("id %q has an empty path segment (a leading, trailing or double slash), which a paper's URL cannot carry", clip(id))
		}
	}
	if strings.HasSuffix(id, "/similar") {
		return fmt.Errorf("id %q ends in /similar, which the API reads as the similar-papers route", clip(id))
	}
	return nil
}

// safeURL keeps only http(s) links: anything else (javascript:, data:) is
// dropped at the door rather than escaped at every exit.
func safeURL(u string) bool {
	if u == "" {
		return true
	}
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}

func dedupe(vs []string) []string {
	out := vs[:0]
	seen := make(map[string]bool, min(len(vs), MaxListValues))
	for _, v := range vs {
		if len(out) == MaxListValues {
			break
		}
		v = truncate(CleanText(v), MaxNameBytes)
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out
}
