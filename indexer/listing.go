package indexer

import (
	"bytes"
	"errors"
	"io"
	"iter"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/papersearch/papersearch/search"
)

// The plain-text Hugging Face listing (the seed corpus): blocks of
//
//	<title>
//	<abstract>
//	  • <N> authors
//	·
//	<Mon D, YYYY>[ <upvotes>]
//
// separated by blank lines, after a short page header.
//
// The author, "·" and date lines close a block; they are recognised as
// people paste them (any Unicode space, a "*" or "-" for the bullet,
// "many authors", the three parts on one line), and are never read as
// title or abstract text: a block they do not close cleanly is reported
// and skipped, and the next block starts after its date.
var (
	// listingAuthors matches an author line after foldSpace, with the
	// "·" and date that may follow it on the same line.
	listingAuthors = regexp.MustCompile(`(?i)^(?:[•·∙●◦‣*-] ?)?(\d{1,3}(?:,\d{3})+|\d+|many|several|multiple|numerous) authors?\.?(?: ?(?:· ?)?(\pL.*))?$`)
	// seedDateLine matches a whole date line after foldSpace.
	seedDateLine = regexp.MustCompile(`^(\pL+\.? \d{1,2}, \d{4})(?: (\d{1,3}(?:,\d{3})+|\d+))?$`)
	// dateLike tells, on the line where a date is due, a date that does
	// not parse from the title of the next block.
	dateLike = regexp.MustCompile(`(?i)^(?:\pL+\.? \d+, \d+|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\pL*\.? ?\d)`)
)

// maxMetaLine bounds the author, "·" and date lines: a longer line is
// text, and is not folded to be looked at.
const maxMetaLine = 160

type lineKind int

const (
	textLine    lineKind = iota
	authorsLine          // "• 9 authors", perhaps followed by "· Jul 7, 2024"
	dotLine              // "·"
	dateLine             // "Jul 7, 2024 12", perhaps after "· "
)

// listingLine is one non-blank line of a listing, classified.
type listingLine struct {
	text    string // trimmed
	n       int
	kind    lineKind
	authors string // authorsLine: the count as written
	date    string // dateLine, or an authorsLine that carries one: "Jul 7, 2024 12"
}

// classifyListingLine reads what one trimmed, non-blank line is.
func classifyListingLine(text string, n int) listingLine {
	l := listingLine{text: text, n: n}
	if len(text) > maxMetaLine {
		return l
	}
	f := foldSpace(text)
	switch {
	case f == "·":
		l.kind = dotLine
	case strings.HasPrefix(f, "· ") && seedDateLine.MatchString(f[len("· "):]):
		l.kind, l.date = dateLine, f[len("· "):]
	case seedDateLine.MatchString(f):
		l.kind, l.date = dateLine, f
	default:
		if m := listingAuthors.FindStringSubmatch(f); m != nil {
			if m[2] != "" && !dateLike.MatchString(m[2]) {
				// "• 3 authors of the survey": prose, not an author line.
				return l
			}
			l.kind, l.authors, l.date = authorsLine, m[1], m[2]
		}
	}
	return l
}

// foldSpace turns every run of white space, Unicode spaces (no-break,
// thin, narrow, ideographic) and zero-width characters included, into one
// ASCII space, and trims both ends.
func foldSpace(s string) string {
	return strings.Join(strings.FieldsFunc(s, isPastedSpace), " ")
}

func isPastedSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200B' || r == '\u2060' || r == '\uFEFF'
}

// ParseListing reads the plain-text listing format. A source in which no
// block closes yields an error saying so, never nothing.
func ParseListing(r io.Reader, source string) iter.Seq2[search.Paper, error] {
	return func(yieldTo func(search.Paper, error) bool) {
		records := 0 // papers and errors yielded
		yield := func(p search.Paper, err error) bool {
			records++
			return yieldTo(p, err)
		}
		lr := newLineReader(r)
		blank := true             // no line holds more than white space
		var pending []listingLine // text lines since the last block
		first := true
		var cur *search.Paper
		curLine := 0
		afterAuthors := false // an author line was read: "·" or a date is due
		for {
			raw, n, err := lr.next()
			if errors.Is(err, errLineTooLong) {
				if !yield(search.Paper{}, recordErr(source, n, "%v", err)) {
					return
				}
				continue
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				yield(search.Paper{}, &RecordError{Source: source, Line: n, Err: err})
				return
			}
			text := strings.TrimFunc(string(raw), isPastedSpace)
			if text != "" {
				blank = false
			}
			if text == "" || text == "•" {
				// A bullet alone is an author line split in two.
				continue
			}
			l := classifyListingLine(text, n)
			if afterAuthors {
				if l.kind == textLine && len(text) <= maxMetaLine && dateLike.MatchString(foldSpace(text)) {
					// A date that will not parse: yieldDated says so.
					l.kind, l.date = dateLine, foldSpace(text)
				}
				switch l.kind {
				case dotLine:
					continue
				case dateLine:
					afterAuthors = false
					if cur != nil {
						p := *cur
						cur = nil
						if !yieldDated(p, l.date, n, curLine, source, yield) {
							return
						}
					}
					// Otherwise the date of a block already reported.
					continue
				}
				afterAuthors = false
				if cur != nil {
					// No date at all: report the block and read this line
					// as the start of the next one.
					if !yield(search.Paper{}, recordErr(source, curLine, "listing block for %q has no date line", clip(cur.Title))) {
						return
					}
					cur = nil
				}
			}
			switch l.kind {
			case textLine:
				pending = append(pending, l)
				continue
			case dotLine, dateLine:
				// A block closed without an author line we know.
				rerr := noAuthorLine(pending, first, l, source)
				pending = pending[:0]
				first = false
				if !yield(search.Paper{}, rerr) {
					return
				}
				afterAuthors = l.kind == dotLine
				continue
			}
			p, start, rerr := listingBlock(pending, first, n, source)
			pending = pending[:0]
			first = false
			if rerr != nil {
				if !yield(search.Paper{}, rerr) {
					return
				}
				afterAuthors = l.date == ""
				continue
			}
			if p.AuthorCount, rerr = authorCount(l, source); rerr != nil {
				if !yield(search.Paper{}, rerr) {
					return
				}
				afterAuthors = l.date == ""
				continue
			}
			p.Source = "listing"
			if l.date != "" {
				if !yieldDated(p, l.date, n, start, source, yield) {
					return
				}
				continue
			}
			cur, curLine, afterAuthors = &p, start, true
		}
		if afterAuthors && cur != nil {
			yield(search.Paper{}, recordErr(source, curLine, "listing block for %q ends without a date", clip(cur.Title)))
			return
		}
		switch {
		case len(pending) > 0 && (!first || records > 0):
			yield(search.Paper{}, recordErr(source, pending[0].n, "listing block ends without an author line"))
		case records > 0:
			// Papers or errors were yielded: nothing went unsaid.
		case blank:
			yield(search.Paper{}, &RecordError{Source: source, Err: ErrEmpty})
		default:
			yield(search.Paper{}, &RecordError{Source: source, Err: errors.New(`no papers found: not a Hugging Face listing (no "• N authors" line, "·" and date after a title)`)})
		}
	}
}

// sniffListing looks for a listing block in the head of a source: an
// author line and then a date, with only "·" between them. The page
// header's "Daily Papers" is not enough, nor is the format written out as
// in a README ("• <N> authors").
func sniffListing(head []byte) bool {
	afterAuthors := false
	for len(head) > 0 {
		var line []byte
		line, head, _ = bytes.Cut(head, []byte("\n"))
		text := strings.TrimFunc(string(line), isPastedSpace)
		if text == "" || text == "•" {
			continue
		}
		switch l := classifyListingLine(text, 0); {
		case l.kind == authorsLine:
			if l.date != "" {
				return true
			}
			afterAuthors = true
		case l.kind == dateLine && afterAuthors:
			return true
		case l.kind != dotLine:
			afterAuthors = false
		}
	}
	return false
}

// authorCount reads the count of an author line; "many authors" is a
// count not given.
func authorCount(l listingLine, source string) (int, error) {
	digits := strings.ReplaceAll(l.authors, ",", "")
	if digits == "" || digits[0] < '0' || digits[0] > '9' {
		return 0, nil
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return 0, recordErr(source, l.n, "author count %q does not parse: %w", clip(l.authors), err)
	}
	return n, nil
}

// noAuthorLine reports a block that a "·" or date line closes with no
// author line before it: one that is not recognised, or none at all.
func noAuthorLine(lines []listingLine, first bool, at listingLine, source string) *RecordError {
	if len(lines) == 0 {
		return recordErr(source, at.n, "%q without a listing block before it", clip(at.text))
	}
	last := lines[len(lines)-1]
	if len(lines) > 1 && looksLikeAuthors(last.text) {
		title, _ := blockTitle(lines[:len(lines)-1], first)
		return recordErr(source, last.n, "listing block for %q: author line %q not recognised (want \"• N authors\")", clip(title), clip(last.text))
	}
	title, line := blockTitle(lines, first)
	return recordErr(source, line, "listing block for %q has no author line", clip(title))
}

// looksLikeAuthors tells an author line this parser cannot read from an
// abstract: it is short, and names authors or starts like a count.
func looksLikeAuthors(s string) bool {
	if len(s) > maxMetaLine {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s)
	return strings.Contains(strings.ToLower(s), "author") || unicode.IsDigit(r) || unicode.In(r, unicode.Po, unicode.So, unicode.Sm, unicode.Pd)
}

// blockTitle guesses the title of a block that cannot be read, and its
// line, for an error message.
func blockTitle(lines []listingLine, first bool) (string, int) {
	switch {
	case len(lines) == 0:
		return "", 0
	case first && len(lines) >= 2:
		l := lines[len(lines)-2]
		return l.text, l.n
	default:
		return lines[0].text, lines[0].n
	}
}

// yieldDated finishes a block with its date line and yields it.
func yieldDated(p search.Paper, date string, n, start int, source string, yield func(search.Paper, error) bool) bool {
	m := seedDateLine.FindStringSubmatch(date)
	if m == nil {
		return yield(search.Paper{}, recordErr(source, n, "date %q of %q does not parse (want \"Jan 2, 2006\")", clip(date), clip(p.Title)))
	}
	d, ok := ParseDate(strings.Replace(strings.Replace(m[1], ".", "", 1), "Sept ", "Sep ", 1))
	if !ok {
		return yield(search.Paper{}, recordErr(source, n, "date %q of %q does not parse", m[1], clip(p.Title)))
	}
	p.Published = d
	if m[2] != "" {
		p.Upvotes, _ = strconv.Atoi(strings.ReplaceAll(m[2], ",", ""))
	}
	normalize(&p)
	if p.Title == "" {
		return yield(search.Paper{}, recordErr(source, start, "listing block has no title"))
	}
	return yield(p, nil)
}

// listingBlock reads title and abstract from the lines before an author line
// (at line n). Before the first block they follow the page header; later,
// the block is all the lines since the previous date.
func listingBlock(lines []listingLine, first bool, n int, source string) (search.Paper, int, error) {
	switch {
	case len(lines) == 0:
		return search.Paper{}, 0, recordErr(source, n, "author line without a title or abstract before it")
	case len(lines) == 1:
		// One line: a title without an abstract is a paper; a long line of
		// prose is an abstract that lost its title.
		if len(lines[0].text) > 300 || strings.Count(lines[0].text, ". ") > 1 {
			return search.Paper{}, 0, recordErr(source, lines[0].n, "listing block has no title")
		}
		return search.Paper{Title: lines[0].text}, lines[0].n, nil
	case first:
		t, a := lines[len(lines)-2], lines[len(lines)-1]
		return search.Paper{Title: t.text, Abstract: a.text}, t.n, nil
	default:
		parts := make([]string, 0, len(lines)-1)
		for _, l := range lines[1:] {
			parts = append(parts, l.text)
		}
		return search.Paper{Title: lines[0].text, Abstract: strings.Join(parts, " ")}, lines[0].n, nil
	}
}

func clip(s string) string {
	if len(s) <= 60 {
		return s
	}
	i := 60
	for i > 0 && (s[i]&0xC0) == 0x80 {
		i--
	}
	return s[:i] + "…"
}
