package indexer

import (
	"bytes"
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
	if sniffArxivAtom([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"><title>a blog</title>`)) {
		t.Error("a blog's Atom feed was taken for the arXiv API")
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
