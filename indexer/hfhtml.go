package indexer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/papersearch/papersearch/search"
)

// Hugging Face papers pages: daily, weekly and monthly listings, trending,
// search results and single paper pages. They are server-side rendered
// Svelte, and every page carries its data as JSON in the data-props
// attribute of hydration elements:
//
//	<div class="SVELTE_HYDRATER contents" data-target="DailyPapers" data-props="{&quot;dailyPapers&quot;:[...]}">
//
// DailyPapers props hold {date, dailyPapers:[item...]} with the items of
// /api/daily_papers; PaperContent props hold {paper, comments:[...]}. That
// JSON is read first. When a page has none (or it is broken), the visible
// markup is read instead: article cards on listings, the h1 and abstract on
// a paper page. The markup has no author names on listings.
//
// The page is read with an HTML tokenizer, so attribute order and quoting
// do not matter (pages saved through prettifiers reorder and requote them).

const hfFormat = "hf-html"

// ParseHFHTML reads one Hugging Face papers page.
func ParseHFHTML(r io.Reader, source string) iter.Seq2[search.Paper, error] {
	return func(yield func(search.Paper, error) bool) {
		raw, doc, rerr := readHTML(r, source)
		if rerr != nil {
			yield(search.Paper{}, rerr)
			return
		}
		pg := hfPage{raw: raw, doc: doc, source: source, seen: map[string]bool{}, yield: yield, cards: newPagePos(raw, "<article")}
		if !pg.islands() {
			return
		}
		if pg.papers == 0 && !pg.listing() {
			return
		}
		if pg.papers == 0 && !pg.single() {
			return
		}
		if err := pageEnd(raw, source, pg.papers+pg.errors, "a Hugging Face papers page"); err != nil {
			yield(search.Paper{}, err)
		}
	}
}

// hfPage is the state of one page being read. Its methods return false
// when the consumer has stopped.
type hfPage struct {
	raw    []byte
	doc    *goquery.Document
	source string
	seen   map[string]bool
	yield  func(search.Paper, error) bool
	cards  *pagePos // finds article cards and lines for messages

	papers, errors int
}

func (pg *hfPage) emit(p search.Paper, err error) bool {
	if err != nil {
		pg.errors++
		return pg.yield(search.Paper{}, err)
	}
	if pg.seen[p.ID] {
		return true
	}
	pg.seen[p.ID] = true
	pg.papers++
	return pg.yield(p, nil)
}

func (pg *hfPage) errAt(off int, format string, args ...any) *RecordError {
	return pg.cards.errAt(pg.source, off, fmt.Errorf(format, args...))
}

// islands reads the papers in the data-props of the hydration elements.
func (pg *hfPage) islands() bool {
	featured := pg.pageDay()
	ok := true
	pg.doc.Find("[data-target][data-props]").EachWithBreak(func(_ int, s *goquery.Selection) bool {
		target, _ := s.Attr("data-target")
		props, _ := s.Attr("data-props")
		ok = pg.island(target, props, featured)
		return ok
	})
	return ok
}

func (pg *hfPage) island(target, props, featured string) bool {
	if !strings.Contains(props, `"paper`) && !strings.Contains(props, `"dailyPapers"`) {
		return true // theme switchers, headers, banners
	}
	off := bytes.Index(pg.raw, []byte(`data-target="`+target+`"`))
	if off < 0 {
		off = bytes.Index(pg.raw, []byte(target))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(props), &m); err != nil {
		return pg.emit(search.Paper{}, pg.errAt(off, "data-props of %s is not valid JSON (%v): reading the markup instead", clip(target), err))
	}
	if d, ok := ParseDate(jsonString(m["date"])); ok {
		featured = d
	}
	if p, ok := m["paper"]; ok && len(p) > 0 && p[0] == '{' {
		paper, err := hfRecord([]byte(props), featured, hfFormat)
		if err != nil {
			return pg.emit(search.Paper{}, pg.errAt(off, "%s: %v", target, err))
		}
		var comments []json.RawMessage
		if json.Unmarshal(m["comments"], &comments) == nil {
			paper.NumComments = max(paper.NumComments, len(comments))
		}
		if !pg.emit(paper, nil) {
			return false
		}
	}
	for key, v := range orderedKeys(props, m) {
		if len(v) == 0 || v[0] != '[' {
			continue
		}
		var items []json.RawMessage
		if json.Unmarshal(v, &items) != nil || len(items) == 0 || !isPaperItem(items[0]) {
			continue
		}
		for i, it := range items {
			p, err := hfRecord(it, featured, hfFormat)
			if err != nil {
				err = pg.errAt(off, "%s.%s[%d]: %v", target, key, i, err)
			}
			if !pg.emit(p, err) {
				return false
			}
		}
	}
	return true
}

// orderedKeys yields the entries of m in the order they appear in the JSON
// text, so that papers come out in page order.
func orderedKeys(text string, m map[string]json.RawMessage) iter.Seq2[string, json.RawMessage] {
	return func(yield func(string, json.RawMessage) bool) {
		dec := json.NewDecoder(strings.NewReader(text))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return
			}
			key, _ := tok.(string)
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return
			}
			if !yield(key, m[key]) {
				return
			}
		}
	}
}

func isPaperItem(raw json.RawMessage) bool {
	var keys map[string]json.RawMessage
	if json.Unmarshal(raw, &keys) != nil {
		return false
	}
	_, paper := keys["paper"]
	_, id := keys["id"]
	_, title := keys["title"]
	return paper || (id && title)
}

func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

var (
	hfDayPath  = regexp.MustCompile(`/papers/date/(\d{4}-\d{2}-\d{2})`)
	hfDayQuery = regexp.MustCompile(`[?&]date=(\d{4}-\d{2}-\d{2})`)
	hfAuthors  = regexp.MustCompile(`(\d+)\s+authors?\b`)
	hfNumber   = regexp.MustCompile(`^\s*(\d+)\s*$`)
)

// pageDay returns the day a daily listing is for, or "" on other pages.
func (pg *hfPage) pageDay() string {
	for _, sel := range []string{`link[rel="canonical"]`, `meta[property="og:url"]`} {
		s := pg.doc.Find(sel).First()
		u := s.AttrOr("href", s.AttrOr("content", ""))
		if m := hfDayPath.FindStringSubmatch(u); m != nil {
			return m[1]
		}
	}
	if !strings.Contains(pg.doc.Find("body").AttrOr("class", ""), "DailyPapersPage") &&
		strings.TrimSpace(pg.doc.Find("h1").First().Text()) != "Daily Papers" {
		return ""
	}
	var day string
	pg.doc.Find("time[datetime]").EachWithBreak(func(_ int, s *goquery.Selection) bool {
		if s.Closest("article").Length() > 0 {
			return true
		}
		day, _ = ParseDate(s.AttrOr("datetime", ""))
		return day == ""
	})
	return day
}

// listing reads the article cards of a listing or search page.
func (pg *hfPage) listing() bool {
	featured := pg.pageDay()
	ok := true
	pg.doc.Find("article").EachWithBreak(func(i int, a *goquery.Selection) bool {
		link := a.Find(`h3 a[href^="/papers/"]`).First()
		if link.Length() == 0 {
			if a.Find(`a[href^="/papers/"]`).Length() > 0 {
				ok = pg.emit(search.Paper{}, pg.errAt(pg.cards.nth(i), "paper card %d has no title link", i+1))
			}
			return ok
		}
		p := search.Paper{ID: hfPathID(link.AttrOr("href", "")), Title: link.Text(), FeaturedOn: featured, Source: hfFormat}
		p.Upvotes = hfCount(a.Find("div.leading-none"))
		p.NumComments = hfCount(a.Find(`a[href$="#community"]`))
		if m := hfAuthors.FindStringSubmatch(a.Text()); m != nil {
			p.AuthorCount, _ = strconv.Atoi(m[1])
		}
		a.Find("p").Each(func(_ int, s *goquery.Selection) {
			if t := s.Text(); len(t) > len(p.Abstract) {
				p.Abstract = t
			}
		})
		if d, ok := ParseDate(a.Find("time[datetime]").First().AttrOr("datetime", "")); ok {
			p.Published = d
		}
		ok = pg.emit(pg.finish(p, func() int { return pg.cards.nth(i) }))
		return ok
	})
	return ok
}

var (
	hfBadge     = regexp.MustCompile(`(?i)\barxiv:\s*(\S+)`)
	hfPublished = regexp.MustCompile(`Published on ([A-Z][a-z]{2,8} \d{1,2}, \d{4})`)
)

// single reads the markup of a single paper page.
func (pg *hfPage) single() bool {
	title := pg.doc.Find("h1").First()
	if title.Length() == 0 {
		return true
	}
	var id string
	for _, sel := range []string{`link[rel="canonical"]`, `meta[property="og:url"]`} {
		s := pg.doc.Find(sel).First()
		if id = hfPathID(s.AttrOr("href", s.AttrOr("content", ""))); id != "" {
			break
		}
	}
	if id == "" {
		if m := hfBadge.FindStringSubmatch(pg.doc.Find("main").Text()); m != nil {
			id = ArxivID(m[1])
		}
	}
	if id == "" {
		return true
	}
	p := search.Paper{ID: id, Title: title.Text(), Source: hfFormat}
	pg.doc.Find("span.author").Each(func(_ int, s *goquery.Selection) {
		if name := strings.Trim(CleanText(s.Text()), " ,"); name != "" {
			p.Authors = append(p.Authors, name)
		}
	})
	abstract := pg.doc.Find("h2").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.TrimSpace(s.Text()) == "Abstract"
	}).First().Parent()
	abstract.Find("p").Not(".text-blue-700").Each(func(_ int, s *goquery.Selection) {
		if t := s.Text(); len(t) > len(p.Abstract) {
			p.Abstract = t
		}
	})
	p.Upvotes = hfCount(pg.doc.Find("div.text-orange-500"))
	if m := hfPublished.FindStringSubmatch(CleanText(pg.doc.Find("main").Text())); m != nil {
		if t, err := time.Parse("Jan 2, 2006", m[1]); err == nil {
			p.Published = t.Format(time.DateOnly)
		}
	}
	if m := hfDayQuery.FindStringSubmatch(pg.doc.Find(`main a[href^="/papers?date="]`).First().AttrOr("href", "")); m != nil {
		p.FeaturedOn = m[1]
	}
	if gh := pg.doc.Find(`a.btn[href^="https://github.com/"]`).First(); gh.Length() > 0 {
		p.GitHubRepo = gh.AttrOr("href", "")
		p.GitHubStars = hfCount(gh.Find("span"))
	}
	return pg.emit(pg.finish(p, func() int { return indexFold(pg.raw, []byte("<h1")) }))
}

// finish normalises a paper read from markup; at finds where it is in the
// page, for an error.
func (pg *hfPage) finish(p search.Paper, at func() int) (search.Paper, error) {
	if p.ID == "" {
		return search.Paper{}, pg.errAt(at(), "paper %q has no arXiv id", clip(CleanText(p.Title)))
	}
	normalize(&p)
	if p.Title == "" {
		return search.Paper{}, pg.errAt(at(), "paper %s has no title", clip(p.ID))
	}
	if err := checkID(p.ID); err != nil {
		return search.Paper{}, pg.errAt(at(), "%v", err)
	}
	p.HFURL = hfURL(p.ID)
	return p, nil
}

// hfPathID returns the paper id of a /papers/<id> link, or "".
func hfPathID(href string) string {
	_, rest, ok := strings.Cut(href, "/papers/")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	if strings.HasPrefix(rest, "date/") || strings.HasPrefix(rest, "week/") || strings.HasPrefix(rest, "month/") {
		return ""
	}
	return strings.TrimSpace(rest)
}

// hfCount returns the first whole number among the texts of s, or 0.
func hfCount(s *goquery.Selection) int {
	n := 0
	s.EachWithBreak(func(_ int, e *goquery.Selection) bool {
		if m := hfNumber.FindStringSubmatch(e.Text()); m != nil {
			n, _ = strconv.Atoi(m[1])
			return false
		}
		return true
	})
	return n
}

// sniffHFHTML recognises a Hugging Face papers page by its address or its
// hydration elements.
func sniffHFHTML(head []byte) bool {
	if !looksHTML(head) {
		return false
	}
	for _, s := range []string{"huggingface.co/papers", `data-target="DailyPapers"`, `data-target="PaperContent"`, "Daily Papers - Hugging Face"} {
		if bytes.Contains(head, []byte(s)) {
			return true
		}
	}
	return false
}
