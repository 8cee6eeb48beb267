package indexer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// scanCases reach every field and every way the scanner declines.
var scanCases = []string{
	`{}`,
	` { } `,
	`{"id": "2401.00001", "title": "T", "abstract": "A", "summary": "S", "authors": ["a", "b"], "author_count": 3,
	  "published": "2024-01-01", "upvotes": -4, "categories": ["cs.CL"], "topics": ["x"], "url": "https://u",
	  "pdf_url": "https://p", "source": "src", "updated": "2024-01-02", "comment": "c", "journal_ref": "j",
	  "doi": "d", "num_comments": 0, "github_repo": "https://g", "github_stars": 9223372036854775807,
	  "keywords": ["k", "k"], "featured_on": "2024-01-03", "hf_url": "https://h", "abs": "https://a",
	  "pdf": "https://pdf", "listing_date": "2024-01-04"}`,
	`{"id": null, "title": null, "authors": null, "categories": null, "topics": null, "comment": null, "upvotes": null, "keywords": null}`,
	`{"authors": [], "categories": [ ], "topics": [], "keywords": []}`,
	`{"authors": "A. One, B. Two", "categories": "cs.CL cs.LG", "title": "x"}`,
	`{"authors": "Alice Smith and Bob Jones; C. King", "categories": "cs.CL, cs.LG", "title": "x"}`,
	`{"authors": "", "categories": " , ", "title": "x"}`,
	`{"title": "esc \" \\ \/ \b \f \n \r \t \u00e9 \u0000 \u2028 \uFEFF end", "abstract": "naïve 日本語 \ud83d\ude00"}`,
	`{"title": "lone \ud800 half"}`,
	`{"title": "bad \x escape"}`,
	`{"title": "bad \u12G4"}`,
	"{\"title\": \"raw \x01 control\"}",
	"{\"title\": \"bad \xff utf8\"}",
	`{"title": "unterminated}`,
	`{"id": 2402.18668, "title": "number id"}`,
	`{"id": 7, "title": 7}`,
	`{"Title": "case"}`,
	`{"TITLE": "case"}`,
	`{"tit\u006ce": "escaped key"}`,
	`{"títle": "non-ASCII key"}`,
	`{"title": "one", "title": "two"}`,
	`{"authors": "A B", "authors": ["C"]}`,
	`{"upvotes": 1.5}`, `{"upvotes": 1e3}`, `{"upvotes": 01}`, `{"upvotes": -}`, `{"upvotes": 99999999999999999999}`,
	`{"upvotes": "3"}`, `{"upvotes": true}`, `{"upvotes": -0}`,
	`{"authors": [null]}`, `{"authors": [1]}`, `{"authors": {"a": 1}}`, `{"topics": "x"}`,
	`{"unknown": {"a": [1, -2.5e+3, true, false, null, "s", {"b": {}}, []]}, "title": "x"}`,
	`{"unknown": [1,], "title": "x"}`, `{"unknown": {"a" 1}}`, `{"unknown": tru}`, `{"unknown": 1.}`, `{"unknown": .5}`,
	`{"unknown": 1e}`, `{"unknown": -01}`, `{"unknown": "\q"}`,
	`{"unknown": ` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `, "title": "deep"}`,
	`{"title": "x",}`, `{"title": "x"} x`, `{"title": "x"}{}`, `{"title" "x"}`, `{title: "x"}`, `[{"title": "x"}]`,
	`"title"`, `null`, `3`, ``, `{`, `{"title": "x"`,
}

// checkScan holds the scanner to json.Unmarshal on one record: whatever
// it accepts, json.Unmarshal must accept and decode to the same value.
func checkScan(t *testing.T, b []byte) (accepted bool) {
	t.Helper()
	var got jsonPaper
	s := jsonScanner{b: b}
	accepted = s.paper(&got)
	var want jsonPaper
	err := json.Unmarshal(b, &want)
	if accepted && (err != nil || !reflect.DeepEqual(got, want)) {
		t.Errorf("scanned %q\n as %+v\nwant %+v (error %v)", clipBytes(b), got, want, err)
	}
	var viaScan jsonPaper
	if err2 := unmarshalPaper(b, &viaScan); (err2 == nil) != (err == nil) || err != nil && err2.Error() != err.Error() ||
		err == nil && !reflect.DeepEqual(viaScan, want) {
		t.Errorf("unmarshalPaper(%q) = %+v, %v; want %+v, %v", clipBytes(b), viaScan, err2, want, err)
	}
	return accepted
}

func TestScanJSONPaper(t *testing.T) {
	for _, c := range scanCases {
		checkScan(t, []byte(c))
	}
	// Every field of jsonPaper is one the scanner decodes itself.
	var tags []string
	rt := reflect.TypeFor[jsonPaper]()
	for i := range rt.NumField() {
		tags = append(tags, strings.Split(rt.Field(i).Tag.Get("json"), ",")[0])
	}
	if !slices.Equal(tags, jsonPaperKeys) {
		t.Errorf("jsonPaper's keys are %q, the scanner knows %q", tags, jsonPaperKeys)
	}
	if !checkScan(t, []byte(scanCases[2])) {
		t.Error("the record with every field was declined")
	}
}

// TestScanJSONFixtures runs the scanner over real records: the demo corpus
// and the JSON fixtures, one record a line.
func TestScanJSONFixtures(t *testing.T) {
	var lines [][]byte
	lines = append(lines, bytes.Split(demoCorpus(t), []byte("\n"))...)
	for _, b := range fixtureFiles(t, "testdata/*/*.jsonl") {
		lines = append(lines, bytes.Split(b, []byte("\n"))...)
	}
	accepted, records := 0, 0
	for _, l := range lines {
		if l = bytes.TrimSpace(l); len(l) == 0 {
			continue
		}
		records++
		if checkScan(t, l) {
			accepted++
		}
	}
	// The fast path must be the one real records take.
	if accepted < records*99/100 {
		t.Errorf("the scanner took %d of %d records, want nearly all", accepted, records)
	}
}

// TestScanJSONCorpus does the same over the 74,728 papers of the shared
// corpus, where it is there.
func TestScanJSONCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 136 MB")
	}
	f, err := os.Open("../../shared/data/arxiv-daily-listings/arxiv-daily-cs-2025-03-18_2026-07-01.jsonl.gz")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, maxLine)
	accepted, records := 0, 0
	for sc.Scan() {
		records++
		if checkScan(t, sc.Bytes()) {
			accepted++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if accepted != records {
		t.Errorf("the scanner took %d of %d records, want all", accepted, records)
	}
}

func FuzzScanJSONPaper(f *testing.F) {
	for _, c := range scanCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkScan(t, b)
	})
}
