package indexer

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

const (
	oaiListRecords = "testdata/oai/listrecords-arxiv.xml"
	oaiGetRecord   = "testdata/oai/getrecord-arxiv.xml"
	oaiDublinCore  = "testdata/oai/listrecords-oai_dc.xml"
	oaiRetry503    = "testdata/oai/retry-503.html"
)

func TestParseArxivOAI(t *testing.T) {
	kochen := spot{
		id: "1412.8544", title: "A Kochen-Specker system has at least 22 vectors (extended abstract)",
		abstract: "At the heart of the Conway-Kochen Free Will theorem", authors: 2, firstAuthor: "Sander Uijlen",
		published: "2014-12-29", comment: "In Proceedings QPL 2014, arXiv:1412.8102", doi: "10.4204/EPTCS.172.11",
		url: "https://arxiv.org/abs/1412.8544", source: "arxiv-oai",
	}
	withArxiv := kochen
	withArxiv.categories = []string{"cs.DM"}
	withArxiv.journalRef = "EPTCS 172, 2014, pp. 154-164"
	tests := []struct {
		file  string
		ids   []string
		spots []spot
	}{
		{oaiListRecords, []string{"1412.8544", "hep-th/9504118"}, []spot{
			withArxiv,
			{id: "hep-th/9504118", firstAuthor: "M. Requardt", categories: []string{"hep-th"}, published: "1995-04-24", comment: "21 pages, Latex"},
		}},
		{oaiGetRecord, []string{"1412.8544"}, []spot{withArxiv}},
		// Dublin Core: no categories; the deleted record is skipped and the
		// resumption token ignored.
		{oaiDublinCore, []string{"1412.8544", "hep-th/9504118"}, []spot{
			kochen,
			{id: "hep-th/9504118", firstAuthor: "M. Requardt", published: "1995-04-24", updated: "2015-01-02", comment: "21 pages, Latex"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := parseFixture(t, ParseArxivOAI, tt.file)
			checkErrs(t, got, tt.file, nil)
			if len(got.papers) != len(tt.ids) {
				t.Fatalf("ids = %v, want %v", got.ids(), tt.ids)
			}
			for i, id := range tt.ids {
				if got.papers[i].ID != id {
					t.Errorf("ids = %v, want %v", got.ids(), tt.ids)
				}
			}
			for _, s := range tt.spots {
				s.check(t, got)
			}
		})
	}
}

func TestParseArxivOAIErrors(t *testing.T) {
	records := readFixture(t, oaiListRecords)
	response := func(body string) []byte {
		return []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\">\n" + body + "\n</OAI-PMH>\n")
	}
	tests := []struct {
		name   string
		in     []byte
		papers int
		errs   []wantErr
	}{
		{"503 retry page", readFixture(t, oaiRetry503), 0, []wantErr{{contains: "the server is busy (an HTTP 503 page): it asks to retry after 10 seconds"}}},
		{"other HTML page", []byte("<html><body><h1>Not Found</h1></body></html>"), 0, []wantErr{{contains: "not an OAI-PMH response but an HTML page"}}},
		{"Identify", readFixture(t, "testdata/oai/identify.xml"), 0, []wantErr{{contains: "an OAI-PMH Identify response holds no papers"}}},
		{"ListIdentifiers", readFixture(t, "testdata/oai/listidentifiers.xml"), 0, []wantErr{{contains: "verb=ListRecords"}}},
		{"protocol error", response(`<request>http://export.arxiv.org/oai2</request>` + "\n" + `<error code="badResumptionToken">The value of the resumptionToken argument is invalid or expired.</error>`), 0,
			[]wantErr{{line: 4, contains: "OAI-PMH error badResumptionToken: The value of the resumptionToken"}}},
		{"no records match", response(`<error code="noRecordsMatch">No records</error>`), 0, nil},
		{"unsupported metadata", response("<ListRecords><record><header><identifier>oai:arXiv.org:1412.8544</identifier></header>\n<metadata><arXivRaw><id>1412.8544</id></arXivRaw></metadata></record></ListRecords>"), 0,
			[]wantErr{{line: 3, contains: "metadata format <arXivRaw> is not supported"}}},
		{"record without title", response("<ListRecords><record><header><identifier>oai:arXiv.org:1412.8544</identifier></header><metadata><arXiv><id>1412.8544</id></arXiv></metadata></record></ListRecords>"), 0,
			[]wantErr{{line: 3, contains: "record 1412.8544 has no title"}}},
		{"truncated", records[:3000], 1, []wantErr{{line: bytes.Count(records[:3000], []byte("\n")) + 1, offset: true, contains: "unexpected EOF"}}},
		{"empty", nil, 0, []wantErr{{contains: "the source is empty"}}},
		{"binary", []byte("\x1f\x8b\x08\x00\x00\x00"), 0, []wantErr{{line: 1, contains: "invalid XML"}}},
		{"an Atom feed", readFixture(t, atomOldID), 0, []wantErr{{line: 2, contains: "not an OAI-PMH response: the root element is <feed>"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseBytes(t, ParseArxivOAI, "oai.xml", tt.in)
			checkErrs(t, got, "oai.xml", tt.errs)
			if len(got.papers) != tt.papers {
				t.Errorf("got %d papers, want %d", len(got.papers), tt.papers)
			}
		})
	}
}

func TestSniffArxivOAI(t *testing.T) {
	for _, tt := range []struct {
		file string
		want bool
	}{
		{oaiListRecords, true}, {oaiDublinCore, true}, {oaiRetry503, true}, {"testdata/oai/identify.xml", true},
		{atomOldID, false}, {"testdata/hf/search-results-q-video-generation.html", false},
	} {
		if got := sniffArxivOAI(readFixture(t, tt.file)); got != tt.want {
			t.Errorf("sniffArxivOAI(%s) = %v, want %v", tt.file, got, tt.want)
		}
	}
	// Text that mentions the root element is not a response.
	readme := "# arXiv OAI-PMH responses\n\nEach file is an `<OAI-PMH>` document: `<OAI-PMH xmlns=...><ListRecords>`.\n"
	if sniffArxivOAI([]byte(readme)) {
		t.Error("a README about OAI-PMH was taken for a response")
	}
}

// A broken record costs that record; reading goes on at the next one.
func TestParseArxivOAIRecovers(t *testing.T) {
	tests := []struct {
		name, file string
		old, new   string
		ids        []string
		errs       []wantErr
	}{
		{"HTML entity", oaiListRecords, "<title>A Kochen-Specker system", "<title>A Kochen&ndash;Specker system",
			[]string{"1412.8544", "hep-th/9504118"}, nil},
		{"unknown entity", oaiListRecords, "<title>A Kochen-Specker system", "<title>A Kochen&ndash Specker system",
			[]string{"hep-th/9504118"}, []wantErr{{line: 14, contains: "invalid XML: invalid character entity &ndash (no semicolon) (the <record> at line 6 is skipped)"}}},
		{"end tag missing", oaiListRecords, "</record>\n<record>", "\n<record>",
			[]string{"hep-th/9504118"}, []wantErr{{line: 6, contains: "the <record> at line 6 does not end before the next <record>, at line 31"}}},
		// A record over 1 MiB is skipped, and reading goes on.
		{"record over 1 MiB", oaiListRecords, "<title>A Kochen-Specker system", "<title>" + strings.Repeat("word ", maxXMLRecord/5+1000),
			[]string{"hep-th/9504118"}, []wantErr{{line: 6, contains: "the <record> at line 6 is longer than 1 MiB; it is skipped"}}},
		// After an error, the deleted record is still skipped and the
		// resumption token still ignored.
		{"Dublin Core", oaiDublinCore, "<dc:title>A Kochen-Specker system", "<dc:title>A Kochen-Specker &system;",
			[]string{"hep-th/9504118"}, []wantErr{{contains: "invalid character entity &system; (the <record> at line"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := string(readFixture(t, tt.file))
			if strings.Count(in, tt.old) != 1 {
				t.Fatalf("%q is not once in %s", tt.old, tt.file)
			}
			got := parseBytes(t, ParseArxivOAI, "oai.xml", []byte(strings.Replace(in, tt.old, tt.new, 1)))
			checkErrs(t, got, "oai.xml", tt.errs)
			if !slices.Equal(got.ids(), tt.ids) {
				t.Errorf("ids = %v, want %v", got.ids(), tt.ids)
			}
		})
	}
}

func FuzzParseArxivOAI(f *testing.F) {
	fuzzParser(f, ParseArxivOAI, oaiListRecords, oaiDublinCore, oaiRetry503, "testdata/oai/identify.xml")
}

func BenchmarkParseArxivOAI(b *testing.B) {
	benchParser(b, ParseArxivOAI, oaiListRecords)
}
