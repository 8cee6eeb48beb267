package indexer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/papersearch/papersearch/search"
)

// Hostile inputs, generated here rather than committed: each must leave
// every parser with papers or errors, never a panic, a hang, an expanded
// entity, a fetched file or an unbounded record.

// secretMarker is the content of a local file that external XML entities
// point at: it must never show up in a parsed paper.
const secretMarker = "TOP-SECRET-c0ffee"

type hostileInput struct {
	name string
	data []byte
	// targets names the formats the input is built for; nil means every
	// parser gets it. The 50 MB inputs go only to their own formats'
	// parsers, to keep the test fast.
	targets []string
}

func hostileInputs(t *testing.T) []hostileInput {
	secret := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(secret, []byte(secretMarker), 0o644); err != nil {
		t.Fatal(err)
	}
	const bidi = "\u202Egnp.exe\u202C \u2066x\u2069 \u200F"
	dirty := "Title\x00 with NUL, bad \xff\xfe UTF-8 and " + bidi
	atom := func(title string) []byte {
		return []byte(`<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><entry>` +
			`<id>http://arxiv.org/abs/2401.00001v1</id><published>2024-01-01T00:00:00Z</published>` +
			`<title>` + title + `</title><summary>s</summary><author><name>A</name></author></entry></feed>`)
	}
	oai := func(doctype, title string) []byte {
		return []byte(`<?xml version="1.0" encoding="UTF-8"?>` + doctype + `<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record><header><identifier>oai:arXiv.org:2401.00001</identifier></header>` +
			`<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>2401.00001</id><created>2024-01-01</created><title>` + title + `</title><abstract>a</abstract></arXiv></metadata></record></ListRecords></OAI-PMH>`)
	}
	laughs := `<!DOCTYPE lolz [<!ENTITY lol "lol">` +
		`<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">`
	for i := 2; i <= 9; i++ {
		laughs += fmt.Sprintf(`<!ENTITY lol%d "%s">`, i, strings.Repeat(fmt.Sprintf("&lol%d;", i-1), 10))
	}
	laughs += `]>`
	xxe := `<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file://` + secret + `"><!ENTITY % ext SYSTEM "file://` + secret + `"> %ext;]>`
	withDoctype := func(doc []byte, doctype string) []byte {
		i := bytes.Index(doc, []byte("?>")) + 2
		return append(append(append([]byte{}, doc[:i]...), doctype...), doc[i:]...)
	}

	var millionAuthors strings.Builder
	millionAuthors.WriteString(`{"id":"2401.00002","title":"Many hands","authors":[`)
	for i := range 1_000_000 {
		if i > 0 {
			millionAuthors.WriteByte(',')
		}
		fmt.Fprintf(&millionAuthors, `"A%d"`, i)
	}
	millionAuthors.WriteString("]}\n")

	jsonLine := func(v string) []byte {
		return []byte(`{"id":"2401.00003","title":"` + v + `","abstract":"` + v + `","authors":["` + v + `"],"url":"javascript:alert(1)"}` + "\n")
	}
	big := strings.Repeat("lorem ipsum ", 50<<20/12) // a 50 MB text node

	seedListing := func(title, abstract string) []byte {
		return []byte("Daily Papers\n\nJan 9\n\n" + title + "\n\n" + abstract + "\n\n  • 2 authors\n·\nJul 7, 2024\n")
	}
	htmlListingOf := func(title, author, abstract string) []byte {
		return []byte("<html><body><h3>New submissions</h3><dl><dt><a href=\"/abs/2401.00001\" title=\"Abstract\">arXiv:2401.00001</a></dt>" +
			"<dd><div class='meta'><div class='list-title mathjax'><span class='descriptor'>Title:</span> " + title + "</div>" +
			"<div class='list-authors'><a href='/a/x'>" + author + "</a></div><p class='mathjax'>" + abstract + "</p></div></dd></dl></body></html>")
	}
	htmlListing := func(s string) []byte { return htmlListingOf(s, s, s) }
	jsonEsc := func(s string) string { return strings.ReplaceAll(s, "\x00", `\u0000`) }
	dirtyNoNUL := strings.ReplaceAll(dirty, "\x00", "")

	return []hostileInput{
		{"HTML with 100k nested elements", []byte("<!DOCTYPE html><html><body>" + strings.Repeat("<div>", 100_000) + "x" + strings.Repeat("</div>", 100_000)), nil},
		{"HTML with 100k nested tables", []byte("<html><body>" + strings.Repeat("<table><tr><td>", 33_000)), nil},
		{"HTML with a 50 MB text node", htmlListingOf("t", "a", big), []string{"hf-html", "arxiv-listing"}},
		{"JSON line with a 50 MB string", []byte(`{"id":"2401.00004","title":"` + big + `"}` + "\n" + `{"id":"2401.00005","title":"after the long line"}` + "\n"), []string{"json", "arxiv-snapshot", "listing"}},
		{"HF API array with a 50 MB title", []byte(`[{"paper":{"id":"2401.00006","title":"` + big + `","summary":"s"}}]`), []string{"hf-api"}},
		{"Atom with a 50 MB title", atom(big), []string{"arxiv-atom"}},
		{"OAI with a 50 MB title", oai("", big), []string{"arxiv-oai"}},
		{"NUL, invalid UTF-8 and bidi overrides in JSON", jsonLine(jsonEsc(dirty)), nil},
		{"NUL, invalid UTF-8 and bidi overrides in Atom", atom(dirty), nil},
		{"invalid UTF-8 and bidi overrides in Atom", atom(dirtyNoNUL), nil},
		{"NUL, invalid UTF-8 and bidi overrides in a listing", seedListing(dirty, dirty), nil},
		{"NUL, invalid UTF-8 and bidi overrides in an HTML listing", htmlListing(dirty), nil},
		{"invalid UTF-8 and bidi overrides in an HTML listing", htmlListing(dirtyNoNUL), nil},
		{"XML billion laughs (Atom)", withDoctype(atom("&lol9;"), laughs), nil},
		{"XML billion laughs (OAI)", oai(laughs, "&lol9;"), nil},
		{"XML external entities (Atom)", withDoctype(atom("&xxe;"), xxe), nil},
		{"XML external entities (OAI)", oai(xxe, "&xxe;"), nil},
		// Each broken record is read once: one that never ends stops at
		// the start of the next, which is not read again from the start.
		{"Atom with 50,000 entries that never end", []byte("<feed>" + strings.Repeat("<entry><id>http://arxiv.org/abs/2401.00001</id><title>t", 50_000) + "</feed>"), []string{"arxiv-atom"}},
		{"Atom with 50,000 comments left open", []byte("<feed>" + strings.Repeat("<entry><!--", 50_000)), []string{"arxiv-atom"}},
		{"OAI with 50,000 records that never end", []byte("<OAI-PMH><ListRecords>" + strings.Repeat("<record><header><identifier>oai:arXiv.org:2401.00001</identifier>", 50_000)), []string{"arxiv-oai"}},
		{"JSON nested 10,001 deep", []byte(`{"id":"2401.00007","title":"deep","authors":` + strings.Repeat("[", 10_001) + strings.Repeat("]", 10_001) + "}\n"), nil},
		{"JSON array nested 10,001 deep", []byte(strings.Repeat("[", 10_001) + strings.Repeat("]", 10_001)), nil},
		{"JSON line with a million authors", []byte(millionAuthors.String()), nil},
		{"ids that look like paths", []byte(`{"id":"../../x","title":"up and out"}` + "\n" + `{"id":"/etc/passwd","title":"absolute"}` + "\n" + `{"id":"..\\..\\x","title":"windows"}` + "\n"), nil},
	}
}

// checkPaper asserts what every parsed paper must be, however hostile the
// input.
func checkPaper(t *testing.T, where string, p search.Paper) {
	t.Helper()
	texts := append([]string{p.ID, p.Title, p.Abstract, p.URL, p.PDFURL, p.Comment}, p.Authors...)
	for _, s := range texts {
		switch {
		case !utf8.ValidString(s):
			t.Errorf("%s: paper %q has invalid UTF-8", where, clip(p.ID))
		case strings.ContainsAny(s, "\x00\u202E\u202C\u2066\u2069\u200F"):
			t.Errorf("%s: paper %q keeps NUL or bidi controls: %q", where, clip(p.ID), clip(s))
		case strings.Contains(s, secretMarker):
			t.Errorf("%s: paper %q holds the content of a local file: an external entity was resolved", where, clip(p.ID))
		case strings.Contains(s, "lollollol"):
			t.Errorf("%s: paper %q holds an expanded entity", where, clip(p.ID))
		}
	}
	if len(p.Title) > MaxTitleBytes || len(p.Abstract) > MaxAbstractBytes || len(p.Authors) > MaxAuthors {
		t.Errorf("%s: paper %q over the caps: title %d bytes, abstract %d bytes, %d authors", where, clip(p.ID), len(p.Title), len(p.Abstract), len(p.Authors))
	}
	for _, u := range []string{p.URL, p.PDFURL, p.HFURL} {
		if u != "" && !strings.HasPrefix(u, "http") {
			t.Errorf("%s: paper %q keeps the link %q", where, clip(p.ID), clip(u))
		}
	}
}

func TestParsersSurviveHostileInput(t *testing.T) {
	inputs := hostileInputs(t)
	for _, f := range Formats() {
		t.Run(f.Name, func(t *testing.T) {
			for _, in := range inputs {
				if in.targets != nil && !slices.Contains(in.targets, f.Name) {
					continue
				}
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				start := time.Now()
				papers, errs := 0, 0
				var firstErr error
				for p, err := range f.Parse(bytes.NewReader(in.data), "hostile") {
					if err != nil {
						errs++
						if firstErr == nil {
							firstErr = err
						}
						continue
					}
					papers++
					checkPaper(t, in.name, p)
				}
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				// Allocation, not a timing: a parser that expanded entities
				// or copied a record per nesting level would allocate
				// gigabytes.
				if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<30 {
					t.Errorf("%s: allocated %d MiB", in.name, alloc>>20)
				}
				t.Logf("%-50s %d papers, %d errors (%v) in %v", in.name, papers, errs, clipErr(firstErr), time.Since(start).Round(time.Millisecond))
			}
		})
	}
}

func clipErr(err error) string {
	if err == nil {
		return "none"
	}
	return clip(err.Error())
}

// The hostile JSON records that parse go all the way into a real index:
// the million-author paper keeps its count and the first MaxAuthors names,
// ids shaped like paths are refused or stay ids, and nothing is written
// outside the index directory.
func TestIndexHostileRecords(t *testing.T) {
	root := t.TempDir()
	idx, err := search.Open(filepath.Join(root, "a", "b", "index"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	ix := New(idx, DefaultTaxonomy(), nil)
	var rejected []error
	ix.OnReject = func(err error) { rejected = append(rejected, err) }
	for _, in := range hostileInputs(t) {
		if !strings.HasPrefix(in.name, "JSON") && !strings.HasPrefix(in.name, "ids") && !strings.HasPrefix(in.name, "NUL") {
			continue
		}
		if err := ix.IndexReader(context.Background(), bytes.NewReader(in.data), in.name, ""); err != nil {
			t.Logf("%s: %v", in.name, err)
		}
	}
	long := `{"id":"` + strings.Repeat("9", MaxIDBytes+1) + `","title":"a long id"}` + "\n"
	if err := ix.IndexReader(context.Background(), strings.NewReader(long), "long-id", ""); err != nil {
		t.Fatal(err)
	}
	if err := ix.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	for _, err := range rejected {
		t.Logf("rejected: %v", clipErr(err))
	}
	if st := ix.Stats(); !strings.Contains(fmt.Sprint(rejected), "the limit is 256") {
		t.Errorf("a 257-byte id was not rejected (stats %v)", st)
	}
	ctx := context.Background()
	many, err := idx.Get(ctx, "2401.00002")
	if err != nil {
		t.Fatalf("million-author paper: %v", err)
	}
	if many.AuthorCount != 1_000_000 || len(many.Authors) != MaxAuthors {
		t.Errorf("million-author paper: author_count %d, %d names; want 1000000 and %d", many.AuthorCount, len(many.Authors), MaxAuthors)
	}
	// Ids whose URL a browser would resolve elsewhere are refused at their
	// line; a backslash is only a character of the id.
	for _, want := range []string{`ids that look like paths:1: id "../../x" has a ".." path segment`, `ids that look like paths:2: id "/etc/passwd" has an empty path segment`} {
		if !strings.Contains(fmt.Sprint(rejected), want) {
			t.Errorf("no rejection %q", want)
		}
	}
	p, err := idx.Get(ctx, `..\..\x`)
	if err != nil {
		t.Errorf("Get(%q): %v", `..\..\x`, err)
	} else {
		checkPaper(t, "indexed", p)
	}
	var outside []string
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if rel, _ := filepath.Rel(filepath.Join(root, "a", "b", "index"), path); strings.HasPrefix(rel, "..") && path != root &&
			path != filepath.Join(root, "a") && path != filepath.Join(root, "a", "b") {
			outside = append(outside, path)
		}
		return nil
	})
	if len(outside) > 0 {
		t.Errorf("files outside the index directory: %v", outside)
	}
}
