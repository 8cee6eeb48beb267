package indexer

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

const (
	atom2017    = "testdata/atom/deep-dream-0-2017.atom.xml"
	atomCurrent = "testdata/atom/q-testing-s0-m10.atom.xml"
	atomOldID   = "testdata/atom/id-astro-ph-0601001.atom.xml"
	atomError   = "testdata/atom/id-abc-error.atom.xml"
	atomEmpty   = "testdata/atom/id-0000.0000-empty.atom.xml"
	// atomEntities is a real feed with HTML named entities put in by hand,
	// as people and tools write them (testdata/README.md).
	atomEntities = "testdata/atom/q-testing-s10-m10-html-entities.atom.xml"
)

func TestParseArxivAtom(t *testing.T) {
	tests := []struct {
		file  string
		count int
		spots []spot
	}{
		{atom2017, 10, []spot{
			{
				id: "1611.09520", title: "Hierarchical Neural Representation of Dreamed Objects Revealed by Brain Decoding with Deep Neural Network Features",
				abstract: "Dreaming is generally thought to be generated", authors: 2, firstAuthor: "Tomoyasu Horikawa",
				published: "2016-11-29", updated: "2017-01-23", categories: []string{"q-bio.NC"},
				url: "https://arxiv.org/abs/1611.09520", pdfURL: "https://arxiv.org/pdf/1611.09520", source: "arxiv-atom",
			},
			{id: "1402.2297", categories: []string{"cs.SI", "physics.soc-ph"}, doi: "10.1145/2567948.2579697", comment: "6 pages, 3 figures"},
			// MSC classes ("14C20, 14M99") are not arXiv categories.
			{id: "1304.8005", categories: []string{"math.AG"}, comment: "11 pages"},
			{id: "1510.02795", journalRef: "Proceedings of the 19th International Conference on Artificial Intelligence and Statistics, pp. 342-350, 2016"},
			{id: "0706.3031", categories: []string{"math.CO"}, journalRef: `S\'eminaire Lotharingien de Combinatoire, Issue 58 (2008), Article B58e. (electronic)`},
		}},
		{atomCurrent, 10, []spot{
			{
				id: "2202.12139", title: "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques",
				authors: 3, firstAuthor: "Mohit Kumar Ahuja", published: "2022-02-24", updated: "2022-02-24",
				categories: []string{"cs.SE", "cs.LG"}, doi: "10.1109/ICSTW55395.2022.00035",
				comment:    "Artificial Intelligence in Software Testing 2022 workshop @ ICST 2022",
				journalRef: "Artificial Intelligence in Software Testing @ 2022 IEEE International Conference on Software Testing, Verification and Validation Workshops (ICSTW)",
			},
			{id: "1205.1866", categories: []string{"cs.AR"}},
		}},
		{atomOldID, 1, []spot{{
			id: "astro-ph/0601001", authors: 4, firstAuthor: "Andrew Gould", categories: []string{"astro-ph"},
			journalRef: "ActaAstron.56:1-50,2006", published: "2006-01-02", url: "https://arxiv.org/abs/astro-ph/0601001",
			abstract: "We derive the frequencies of hot Jupiters (HJs) with 3--5 day periods",
		}}},
		{atomEmpty, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := parseFixture(t, ParseArxivAtom, tt.file)
			checkErrs(t, got, tt.file, nil)
			if len(got.papers) != tt.count {
				t.Fatalf("got %d papers, want %d", len(got.papers), tt.count)
			}
			for _, s := range tt.spots {
				s.check(t, got)
			}
		})
	}
}

// HTML named entities (&eacute;, &nbsp;, &ndash;, &rsquo;, &ouml;) are
// read as their characters; before, the first one ended the feed.
func TestParseArxivAtomHTMLEntities(t *testing.T) {
	got := parseFixture(t, ParseArxivAtom, atomEntities)
	checkErrs(t, got, atomEntities, nil)
	if len(got.papers) != 10 {
		t.Fatalf("got %d papers %v, want 10", len(got.papers), got.ids())
	}
	for _, s := range []spot{
		{id: "1912.09881", comment: "This is a technical report on Morphy software testing tool"},
		{id: "2406.19956", title: "Three Scores and 15 Years (1948\u20132023) of Rao\u2019s Score Test: A Brief History"},
		{id: "2202.06271", firstAuthor: "Katharina G\u00f6tz"},
		{id: "2202.06271", title: "Model-based Testing of Scratch Programs"},
	} {
		s.check(t, got)
	}
	if p := got.paper(t, "1912.09881"); !strings.Contains(p.Abstract, "software test artefacts (\u00e9l\u00e9ments) into test entities") {
		t.Errorf("1912.09881: abstract %q lacks the decoded entities", clip(p.Abstract))
	}
}

// A broken entry costs that entry: the error names the line, and reading
// goes on at the next <entry>. Each case breaks the real ten-entry feed
// atomCurrent in one way (its entries start at lines 10, 35, 63, 95, ...).
func TestParseArxivAtomRecovers(t *testing.T) {
	// Text past maxXMLRecord: on one line; non-ASCII, after an odd byte so
	// that the bound falls inside a character; on many lines; and half of
	// it, twice of which must pass.
	hugeText := strings.Repeat("word ", maxXMLRecord/5+1000)
	hugeAccents := " " + strings.Repeat("é", maxXMLRecord/2+1000)
	hugeLines := strings.Repeat("a line\n", maxXMLRecord/7+1000)
	half := strings.Repeat("word ", maxXMLRecord/10)
	feed := string(readFixture(t, atomCurrent))
	edit := func(pairs ...string) []byte {
		t.Helper()
		s := feed
		for i := 0; i < len(pairs); i += 2 {
			if strings.Count(s, pairs[i]) != 1 {
				t.Fatalf("%q is not once in %s", pairs[i], atomCurrent)
			}
			s = strings.Replace(s, pairs[i], pairs[i+1], 1)
		}
		return []byte(s)
	}
	const (
		summary3 = "<summary>Cyber-physical systems"   // line 69, in the entry of line 63
		summary2 = "<summary>Test case prioritisation" // line 41, in the entry of line 35
		end2     = "  </entry>\n  <entry>\n    <id>http://arxiv.org/abs/2005.14124v2</id>"
		id1      = "    <id>http://arxiv.org/abs/2202.12139v1</id>"
		// the end of the third entry and the start of the fourth, line 95
		openComment = "  </entry>\n  <entry>\n    <id>http://arxiv.org/abs/2204.08348v3</id>"
	)
	lines := strings.Count(feed, "\n")
	tests := []struct {
		name    string
		in      []byte
		missing []string // ids of papers lost
		errs    []wantErr
	}{
		{"HTML entity", edit(summary3, "<summary>Caf&eacute; Cyber-physical systems"), nil, nil},
		{"unknown entity", edit(summary3, "<summary>&eacut; Cyber-physical systems"), []string{"2005.14124"},
			[]wantErr{{line: 69, offset: true, contains: "invalid XML: invalid character entity &eacut; (the <entry> at line 63 is skipped)"}}},
		{"external entity", edit(`<?xml version='1.0' encoding='UTF-8'?>`, `<?xml version='1.0' encoding='UTF-8'?><!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`,
			summary3, "<summary>&xxe; Cyber-physical systems"), []string{"2005.14124"},
			[]wantErr{{line: 69, contains: "invalid character entity &xxe; (the <entry> at line 63 is skipped)"}}},
		{"two bad entries", edit(summary2, "<summary>&x; Test case prioritisation", summary3, "<summary>&y; Cyber-physical systems"), []string{"2405.13786", "2005.14124"},
			[]wantErr{{line: 41, contains: "&x; (the <entry> at line 35 is skipped)"}, {line: 69, contains: "&y; (the <entry> at line 63 is skipped)"}}},
		{"element closed by another", edit(summary3, "<summary><b>Cyber-physical systems"), []string{"2005.14124"},
			[]wantErr{{line: 69, contains: "element <b> closed by </summary> (the <entry> at line 63 is skipped)"}}},
		{"end tag missing", edit(end2, "  <entry>\n    <id>http://arxiv.org/abs/2005.14124v2</id>"), []string{"2405.13786"},
			[]wantErr{{line: 35, contains: "the <entry> at line 35 does not end before the next <entry>, at line 62 (an end tag missing"}}},
		{"comment left open in an entry", edit(summary3, "<summary><!-- Cyber-physical systems"), []string{"2005.14124"},
			[]wantErr{{line: 63, contains: "the <entry> at line 63 does not end before the next <entry>, at line 95"}}},
		{"broken start tag", edit("  <entry>\n"+id1, "  <entry =>\n"+id1), []string{"2202.12139"},
			[]wantErr{{line: 10, contains: "the paper of the <entry> at line 10 is missing; reading goes on at the next <entry>, line 35"}}},
		{"broken feed title", edit("<title>arXiv Query:", "<title>&bad; arXiv Query:"), nil,
			[]wantErr{{line: 4, contains: "invalid character entity &bad; (reading goes on at the next <entry>, line 10)"}}},
		// XML reads what follows a comment left open between entries as
		// comment text, to the end or up to a "--" (here in an abstract):
		// the entries in it are lost, and the error says which.
		{"comment left open between entries", edit(openComment, "  </entry><!--\n  <entry>\n    <id>http://arxiv.org/abs/2204.08348v3</id>"),
			[]string{"2204.08348", "2302.03287", "1202.4527", "2503.05378", "1205.1866", "2502.07719", "1812.11470"},
			[]wantErr{{line: lines + 1, contains: "invalid XML: unexpected EOF: the document is truncated (or a comment or CDATA section never closes): any papers after line 94 are missing"}}},
		{"comment left open between entries, then broken", edit(openComment, "  </entry><!--\n  <entry>\n    <id>http://arxiv.org/abs/2204.08348v3</id>",
			"<summary>Over the past decade", "<summary>Over the past -- decade"),
			[]string{"2204.08348", "2302.03287"},
			[]wantErr{{line: 128, contains: `invalid sequence "--" not allowed in comments (the papers of 2 <entry> elements from line 95 on are missing; reading goes on at the next <entry>, line 153)`}}},
		{"bad last entry", edit("<summary>Context. Multiple", "<summary>&z; Context. Multiple"), []string{"1812.11470"},
			[]wantErr{{line: 246, contains: "(the <entry> at line 240 is skipped)"}}},
		{"bad entry, then truncated", edit(summary3, "<summary>&z; Cyber-physical systems", "  </entry>\n</feed>\n", "  </entry>\n"), []string{"2005.14124"},
			[]wantErr{{line: 69, contains: "(the <entry> at line 63 is skipped)"}, {line: lines, contains: "the document ends without </feed>: it is truncated, and papers after this point are missing"}}},
		// More than 1 MiB in one entry, or between two, is skipped as
		// a whole (encoding/xml would hold it in memory); reading goes
		// on at the next entry.
		{"entry over 1 MiB", edit(summary3, "<summary>"+hugeText+"Cyber-physical systems"), []string{"2005.14124"},
			[]wantErr{{line: 63, offset: true, contains: "the <entry> at line 63 is longer than 1 MiB; it is skipped"}}},
		{"entry over 1 MiB, the bound inside a character", edit(summary3, "<summary>"+hugeAccents+"Cyber-physical systems"), []string{"2005.14124"},
			[]wantErr{{line: 63, contains: "the <entry> at line 63 is longer than 1 MiB; it is skipped"}}},
		{"last entry over 1 MiB", edit("<summary>Context. Multiple", "<summary>"+hugeText+"Context. Multiple"), []string{"1812.11470"},
			[]wantErr{{line: 240, contains: "the <entry> at line 240 is longer than 1 MiB; it is skipped"}}},
		{"feed title over 1 MiB", edit("<title>arXiv Query:", "<title>"+hugeText+"arXiv Query:"), nil,
			[]wantErr{{line: 4, contains: "the XML from line 1 to 4, outside any <entry>, is longer than 1 MiB; it is skipped"}}},
		{"lines over 1 MiB before the entries", edit("<title>arXiv Query:", "<subtitle>"+hugeLines+"</subtitle><title>arXiv Query:"), nil,
			[]wantErr{{line: 149764, contains: "the XML from line 1 to 149764, outside any <entry>, is longer than 1 MiB; it is skipped"}}},
		{"lines over 1 MiB between entries", edit(end2, "  </entry>\n<!-- "+hugeLines+" -->\n  <entry>\n    <id>http://arxiv.org/abs/2005.14124v2</id>"), nil,
			[]wantErr{{contains: "the XML from line 35 to "}}},
		{"entries over 1 MiB together", edit(summary2, "<summary>"+half+"Test case prioritisation", summary3, "<summary>"+half+"Cyber-physical systems"), nil, nil},
		{"truncated in an entry", []byte(feed[:strings.Index(feed, "Cyber-physical")]), []string{"2005.14124", "2204.08348", "2302.03287", "1202.4527", "2503.05378", "1205.1866", "2502.07719", "1812.11470"},
			[]wantErr{{line: 69, contains: "invalid XML: unexpected EOF: the document is truncated (or a comment or CDATA section never closes): the <entry> at line 63 and any papers after it are missing"}}},
	}
	all := parseBytes(t, ParseArxivAtom, "feed.xml", []byte(feed)).ids()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseBytes(t, ParseArxivAtom, "feed.xml", tt.in)
			checkErrs(t, got, "feed.xml", tt.errs)
			want := slices.DeleteFunc(slices.Clone(all), func(id string) bool { return slices.Contains(tt.missing, id) })
			if !slices.Equal(got.ids(), want) {
				t.Errorf("ids = %v, want %v", got.ids(), want)
			}
		})
	}
}

// A bad query is answered with a feed whose one entry is the error.
func TestParseArxivAtomErrorFeed(t *testing.T) {
	got := parseFixture(t, ParseArxivAtom, atomError)
	checkErrs(t, got, atomError, []wantErr{{line: 9, contains: "the arXiv API answered with an error: incorrect id format for abc"}})
	if len(got.papers) != 0 {
		t.Errorf("the error entry was indexed as %d papers", len(got.papers))
	}
}

func TestParseArxivAtomErrors(t *testing.T) {
	feed := readFixture(t, atom2017)
	entry := func(id, title, cats string) string {
		return `<entry><id>http://arxiv.org/abs/` + id + `</id><title>` + title + `</title><summary>s</summary>` + cats + `</entry>`
	}
	tests := []struct {
		name   string
		in     []byte
		papers int
		errs   []wantErr
	}{
		{"empty", nil, 0, []wantErr{{contains: "the source is empty"}}},
		{"binary", []byte("\x00\x01\x02\x03"), 0, []wantErr{{line: 1, contains: "invalid XML"}}},
		{"HTML page", []byte("<!DOCTYPE html>\n<html><body><p>hi<br></p></body></html>"), 0, []wantErr{{line: 2, contains: "not an Atom feed: the root element is <html>"}}},
		{"HTML that is not XML", []byte("<!DOCTYPE html>\n<html><body><p>hi<br></p></body></html>"[:31]), 0, []wantErr{{line: 2, contains: "not an Atom feed"}}},
		{"another XML document", readFixture(t, "testdata/oai/getrecord-arxiv.xml"), 0, []wantErr{{line: 2, contains: "not an Atom feed: the root element is <OAI-PMH>"}}},
		{"truncated", feed[:len(feed)/2], 4, []wantErr{{line: bytes.Count(feed[:len(feed)/2], []byte("\n")) + 1, offset: true, contains: "invalid XML: unexpected EOF"}}},
		{"entity expansion refused", []byte(`<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY x "boom">]><feed><entry><id>1</id><title>&x;</title></entry></feed>`), 0,
			[]wantErr{{line: 1, contains: "invalid character entity &x;"}}},
		{"entry without id", []byte("<feed>\n<entry><title>T</title></entry>\n" + entry("2402.18668v1", "Kept", "") + "</feed>"), 1,
			[]wantErr{{line: 2, contains: "entry has no id"}}},
		{"entry with another id", []byte("<feed>\n" + entry("", "T", "") + "\n" + entry("2402.18668v1", "Kept", "") + "</feed>"), 1,
			[]wantErr{{line: 2, contains: `entry id "http://arxiv.org/abs/" is not an arXiv id`}}},
		{"bad date", []byte("<feed>" + entry("2402.18668", "T", "<published>yesterday</published>") + "</feed>"), 0,
			[]wantErr{{line: 1, contains: `published "yesterday" is not a date`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseBytes(t, ParseArxivAtom, "feed.xml", tt.in)
			checkErrs(t, got, "feed.xml", tt.errs)
			if len(got.papers) != tt.papers {
				t.Errorf("got %d papers, want %d", len(got.papers), tt.papers)
			}
		})
	}
}

func TestParseArxivAtomText(t *testing.T) {
	in := "\xef\xbb\xbf<?xml version='1.0' encoding='UTF-8'?>\r\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:arxiv=\"http://arxiv.org/schemas/atom\">\r\n" +
		"<entry><id>http://arxiv.org/abs/2402.18668v2</id><title>Bad \xff byte,\r\n  wrapped</title><summary>  x &amp; y &lt; z </summary>" +
		"<category term=\"cs.LG\"/><category term=\"I.2.7\"/><arxiv:primary_category term=\"cs.CL\"/><category term=\"cs.CL\"/></entry></feed>"
	got := parseBytes(t, ParseArxivAtom, "feed.xml", []byte(in))
	checkErrs(t, got, "feed.xml", nil)
	spot{id: "2402.18668", title: "Bad \uFFFD byte, wrapped", abstract: "x & y < z", categories: []string{"cs.CL", "cs.LG"}}.check(t, got)
}

func TestParseArxivAtomLatin1(t *testing.T) {
	in := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><feed><entry><id>http://arxiv.org/abs/2402.18668</id><title>Caf\xe9</title></entry></feed>"
	got := parseBytes(t, ParseArxivAtom, "feed.xml", []byte(in))
	checkErrs(t, got, "feed.xml", nil)
	spot{id: "2402.18668", title: "Café"}.check(t, got)
}

func TestSniffArxivAtom(t *testing.T) {
	for _, f := range []string{atom2017, atomCurrent, atomOldID, atomError, atomEmpty, atomEntities} {
		if !sniffArxivAtom(readFixture(t, f)) {
			t.Errorf("sniffArxivAtom(%s) = false", f)
		}
	}
	const ns = ` xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">`
	for _, tt := range []struct {
		name string
		head string
		want bool
	}{
		{"a blog's feed", `<feed xmlns="http://www.w3.org/2005/Atom"><title>a blog</title>`, false},
		// The README of ../shared/data/arxiv-api-atom, which was taken for
		// a feed and failed the run of a directory holding it.
		{"markdown about feeds", "# Real arXiv API responses (Atom XML from export.arxiv.org/api/query)\n\n" +
			"Old format: `<link rel=\"self\">` first, `<title type=\"html\">`, `opensearch:*` with inline xmlns.\n" +
			"Note the current format differs: namespaces declared on `<feed>`.\n", false},
		{"text before the root", "see <feed" + ns, false},
		{"another root", `<?xml version="1.0"?><rss><feed` + ns, false},
		{"a longer name", "<feeds" + ns, false},
		{"declaration, comment, document type and BOM", "\ufeff<?xml version='1.0'?>\r\n<!-- from export.arxiv.org -->\n" +
			`<!DOCTYPE feed [<!ENTITY x "a>b"> <!ENTITY y SYSTEM "file:///etc/passwd">]>` + "\n<feed" + ns, true},
		{"stylesheet", `<?xml version="1.0"?><?xml-stylesheet href="a.xsl"?><feed` + ns, true},
		{"prefixed root", `<atom:feed xmlns:atom="http://www.w3.org/2005/Atom"><id>http://arxiv.org/api/x</id>`, true},
		{"comment left open", "<!-- <feed" + ns, false},
	} {
		if got := sniffArxivAtom([]byte(tt.head)); got != tt.want {
			t.Errorf("%s: sniffArxivAtom = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func FuzzParseArxivAtom(f *testing.F) {
	f.Add(bytes.ReplaceAll(readFixture(f, atomOldID), []byte("\n"), []byte("\r\n")))
	f.Add([]byte(strings.Repeat("<feed>", 3)))
	fuzzParser(f, ParseArxivAtom, atomCurrent, atomOldID, atomError, atomEmpty, atomEntities)
}

func BenchmarkParseArxivAtom(b *testing.B) {
	benchParser(b, ParseArxivAtom, atom2017)
}

// The text "<entry>" inside a comment starts no record, so it does not
// renew the 1 MiB a stretch between records may take: a comment of 3 MiB
// holding one every 64 KiB is cut short like any other.
func TestParseArxivAtomBoundSeesNoEntriesInComments(t *testing.T) {
	feed := string(readFixture(t, atomCurrent))
	chunk := "<entry>" + strings.Repeat("x", 64<<10)
	at := strings.Index(feed, "  <entry>")
	in := feed[:at] + "<!-- " + strings.Repeat(chunk, 3*maxXMLRecord/len(chunk)) + " -->\n" + feed[at:]
	got := parseBytes(t, ParseArxivAtom, "feed.xml", []byte(in))
	if len(got.errs) == 0 || !strings.Contains(got.errs[0].Error(), "is longer than 1 MiB; it is skipped") {
		t.Errorf("errors %v, want the first to say the XML is longer than 1 MiB", got.errs)
	}
}

// BenchmarkParseArxivAtomRecordAtBound parses one entry just under
// maxXMLRecord, of plain text or of empty elements, the costliest form:
// B/op is what a record may make encoding/xml allocate. The README cites
// it for why the bound is 1 MiB.
func BenchmarkParseArxivAtomRecordAtBound(b *testing.B) {
	for _, c := range []struct{ name, unit string }{{"text", "word "}, {"empty elements", "<link/>"}} {
		b.Run(c.name, func(b *testing.B) {
			doc := []byte(`<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2401.00001v1</id><title>t</title><summary>s</summary>` +
				strings.Repeat(c.unit, (maxXMLRecord-2000)/len(c.unit)) + `</entry></feed>`)
			b.ReportAllocs()
			for b.Loop() {
				papers := 0
				for _, err := range ParseArxivAtom(bytes.NewReader(doc), "x") {
					if err != nil {
						b.Fatal(err)
					}
					papers++
				}
				if papers != 1 {
					b.Fatalf("%d papers", papers)
				}
			}
		})
	}
}
