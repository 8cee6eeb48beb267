package indexer

import (
	"bytes"
	"errors"
	"io"
	"iter"
	"regexp"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/papersearch/papersearch/search"
)

// arXiv listing pages (arxiv.org/list/<category>/new, recent, pastweek):
// one <dt>/<dd> pair per paper inside <dl> lists, under <h3> headings
// ("New submissions", "Cross-lists", "Replacements", or a day):
//
//	<dt><a href="/abs/2603.17021" title="Abstract">arXiv:2603.17021</a> [pdf, ...]</dt>
//	<dd><div class='meta'>
//	  <div class='list-title mathjax'><span class='descriptor'>Title:</span> ...</div>
//	  <div class='list-authors'><a href=...>Name</a>, ...</div>
//	  <div class='list-comments mathjax'>...</div>
//	  <div class='list-journal-ref'>...</div>
//	  <div class='list-subjects'><span class="primary-subject">Artificial Intelligence (cs.AI)</span>; ...</div>
//	  <p class='mathjax'>abstract, on "new" pages only</p>
//	</div></dd>
//
// Before 2024 the identifier sat in <span class="list-identifier">; both
// layouts read the same. Papers under "New submissions" get the listing
// day as their publication date.

const listingFormat = "arxiv-listing"

var (
	listingCategory = regexp.MustCompile(`\(([a-z][a-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?)\)`)
	listingDay      = regexp.MustCompile(`(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*, \d{1,2} [A-Z][a-z]+ \d{2,4}`)
	listingIDText   = regexp.MustCompile(`arXiv:(\S+)`)
)

// ParseArxivListing reads one arXiv listing page.
func ParseArxivListing(r io.Reader, source string) iter.Seq2[search.Paper, error] {
	return func(yield func(search.Paper, error) bool) {
		raw, doc, rerr := readHTML(r, source)
		if rerr != nil {
			yield(search.Paper{}, rerr)
			return
		}
		pageDay := listingDate(doc.Find("h3").First().Text())
		pos := newPagePos(raw, "<dt")
		found := 0
		stopped := false
		doc.Find("dl dt").EachWithBreak(func(i int, dt *goquery.Selection) bool {
			found++
			p, err := listingEntry(dt, pageDay)
			if err != nil {
				err = pos.errAt(source, pos.nth(i), err)
			}
			stopped = !yield(p, err)
			return !stopped
		})
		if stopped {
			return
		}
		if err := pageEnd(raw, source, found, "an arXiv listing page"); err != nil {
			yield(search.Paper{}, err)
		}
	}
}

func listingEntry(dt *goquery.Selection, pageDay string) (search.Paper, error) {
	id := ""
	dt.Find("a[href]").EachWithBreak(func(_ int, a *goquery.Selection) bool {
		href := a.AttrOr("href", "")
		if _, rest, ok := strings.Cut(href, "/abs/"); ok {
			id = ArxivID(rest)
		}
		return id == ""
	})
	if id == "" {
		if m := listingIDText.FindStringSubmatch(dt.Text()); m != nil {
			id = ArxivID(m[1])
		}
	}
	if id == "" {
		return search.Paper{}, errors.New("entry has no arXiv id")
	}
	dd := dt.Next()
	if goquery.NodeName(dd) != "dd" {
		return search.Paper{}, errors.New("entry " + id + " has no <dd> with its title")
	}
	p := search.Paper{
		ID:         id,
		Title:      listingField(dd.Find("div.list-title")),
		Comment:    listingField(dd.Find("div.list-comments")),
		JournalRef: listingField(dd.Find("div.list-journal-ref")),
		Source:     listingFormat,
	}
	authors := dd.Find("div.list-authors")
	authors.Find("a").Each(func(_ int, a *goquery.Selection) {
		p.Authors = append(p.Authors, a.Text())
	})
	if len(p.Authors) == 0 {
		p.Authors = splitAuthors(listingField(authors))
	}
	for _, m := range listingCategory.FindAllStringSubmatch(dd.Find("div.list-subjects").Text(), -1) {
		p.Categories = append(p.Categories, m[1])
	}
	dd.Find("p").Each(func(_ int, s *goquery.Selection) {
		if t := s.Text(); len(t) > len(p.Abstract) {
			p.Abstract = t
		}
	})
	if strings.HasPrefix(strings.TrimSpace(listingSection(dt)), "New submissions") {
		if d := listingDate(listingSection(dt)); d != "" {
			p.Published = d
		} else {
			p.Published = pageDay
		}
	}
	normalize(&p)
	if p.Title == "" {
		return search.Paper{}, errors.New("entry " + id + " has no title")
	}
	return p, nil
}

// listingField returns the text of a field without its "Title:" label.
func listingField(s *goquery.Selection) string {
	if s.Length() == 0 {
		return ""
	}
	s = s.First().Clone()
	s.Find(".descriptor").Remove()
	return CleanText(s.Text())
}

// listingSection returns the heading an entry is listed under: an <h3>
// before it in its <dl>, or before the <dl>.
func listingSection(dt *goquery.Selection) string {
	if h := dt.PrevAllFiltered("h3").First(); h.Length() > 0 {
		return h.Text()
	}
	return dt.Parent().PrevAllFiltered("h3").First().Text()
}

// listingDate reads the day in a heading such as "Showing new listings for
// Thursday, 19 March 2026" or "New submissions for Thu, 3 Jun 21".
func listingDate(heading string) string {
	s := listingDay.FindString(CleanText(heading))
	for _, layout := range []string{"Monday, 2 January 2006", "Mon, 2 Jan 2006", "Mon, 2 Jan 06", "Monday, 2 Jan 2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly)
		}
	}
	return ""
}

// sniffArxivListing recognises an arXiv listing page.
func sniffArxivListing(head []byte) bool {
	if !looksHTML(head) {
		return false
	}
	return bytes.Contains(head, []byte("list-title")) || bytes.Contains(head, []byte("list-identifier")) ||
		(bytes.Contains(head, []byte("arxiv.org")) && (bytes.Contains(head, []byte("/list/")) || bytes.Contains(head, []byte("<dl"))))
}
