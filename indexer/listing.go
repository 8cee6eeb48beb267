package indexer

import (
	"errors"
	"io"
	"iter"
	"regexp"
	"strconv"
	"strings"

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
var (
	listingAuthors = regexp.MustCompile(`^\s*•\s*(\d+)\s+authors?\s*$`)
	dateLike       = regexp.MustCompile(`^\pL+\.? \d+, \d+`)
	seedDateLine   = regexp.MustCompile(`^([A-Z][a-z]{2,8}\.? \d{1,2}, \d{4})(?:\s+(\d+))?\s*$`)
)

type numberedLine struct {
	text string
	n    int
}

// ParseListing reads the plain-text listing format.
func ParseListing(r io.Reader, source string) iter.Seq2[search.Paper, error] {
	return func(yield func(search.Paper, error) bool) {
		lr := newLineReader(r)
		var pending []numberedLine // non-blank lines since the last block
		first := true
		var cur *search.Paper
		curLine := 0
		state := 0 // 0: collecting title+abstract, 1: after authors, want "·" or date
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
			line := strings.TrimSpace(string(raw))
			if line == "" {
				continue
			}
			if state == 1 {
				if line == "·" {
					continue
				}
				state = 0
				if cur == nil {
					// The date line of a block already rejected.
					if seedDateLine.MatchString(line) {
						continue
					}
				} else if dateLike.MatchString(line) {
					p := *cur
					cur = nil
					if !yieldDated(p, line, n, curLine, source, yield) {
						return
					}
					continue
				} else {
					// No date at all: report the block and read this line
					// as the start of the next one.
					if !yield(search.Paper{}, recordErr(source, curLine, "listing block for %q has no date line", clip(cur.Title))) {
						return
					}
					cur = nil
				}
			}
			if m := listingAuthors.FindStringSubmatch(line); m != nil {
				count, _ := strconv.Atoi(m[1])
				p, start, rerr := listingBlock(pending, first, source)
				pending = pending[:0]
				first = false
				if rerr != nil {
					if !yield(search.Paper{}, rerr) {
						return
					}
					cur, state = nil, 1
					continue
				}
				p.AuthorCount = count
				p.Source = "listing"
				cur, curLine, state = &p, start, 1
				continue
			}
			pending = append(pending, numberedLine{line, n})
		}
		if state == 1 && cur != nil {
			yield(search.Paper{}, recordErr(source, curLine, "listing block for %q ends without a date", clip(cur.Title)))
			return
		}
		if !first && len(pending) > 0 {
			yield(search.Paper{}, recordErr(source, pending[0].n, "listing block ends without an author line"))
		}
	}
}

// yieldDated finishes a block with its date line and yields it.
func yieldDated(p search.Paper, line string, n, start int, source string, yield func(search.Paper, error) bool) bool {
	m := seedDateLine.FindStringSubmatch(line)
	if m == nil {
		return yield(search.Paper{}, recordErr(source, n, "date %q of %q does not parse (want \"Jan 2, 2006\")", clip(line), clip(p.Title)))
	}
	d, ok := ParseDate(strings.Replace(m[1], ".", "", 1))
	if !ok {
		return yield(search.Paper{}, recordErr(source, n, "date %q of %q does not parse", m[1], clip(p.Title)))
	}
	p.Published = d
	if m[2] != "" {
		p.Upvotes, _ = strconv.Atoi(m[2])
	}
	normalize(&p)
	if p.Title == "" {
		return yield(search.Paper{}, recordErr(source, start, "listing block has no title"))
	}
	return yield(p, nil)
}

// listingBlock reads title and abstract from the lines before an author line.
// Before the first block they follow the page header; later, the block is all
// the lines since the previous date.
func listingBlock(lines []numberedLine, first bool, source string) (search.Paper, int, error) {
	switch {
	case len(lines) == 0:
		return search.Paper{}, 0, recordErr(source, 0, "listing block has no title or abstract")
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
