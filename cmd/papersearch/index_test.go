package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/papersearch/papersearch/indexer"
	"github.com/papersearch/papersearch/search"
)

var summaryLine = regexp.MustCompile(`^read (\d+), added (\d+), updated (\d+)(?:, merged \d+)?, rejected (\d+), in [0-9.]+[µmn]?s; (?:(\d+) papers in (.+)|no index made at (.+))\n$`)

// summary parses the one line `index` prints; a run that made no index
// counts 0 papers in it.
func summary(t *testing.T, stdout string) (read, added, updated, rejected, total, dir string) {
	t.Helper()
	m := summaryLine.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("stdout %q is not one summary line", stdout)
	}
	if m[7] != "" {
		return m[1], m[2], m[3], m[4], "0", m[7]
	}
	return m[1], m[2], m[3], m[4], m[5], m[6]
}

func checkSummary(t *testing.T, r result, want string, wantDir string) {
	t.Helper()
	read, added, updated, rejected, total, dir := summary(t, r.stdout)
	got := strings.Join([]string{read, added, updated, rejected, total}, " ")
	if got != want {
		t.Errorf("read added updated rejected total = %s, want %s (stdout %q)", got, want, r.stdout)
	}
	if dir != wantDir {
		t.Errorf("summary names index %q, want %q", dir, wantDir)
	}
}

func TestIndexSeedListing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	seed := filepath.Join("testdata", "seed.txt")

	r := runCLI(t, "", nil, "index", "--index", dir, seed)
	if r.err != nil || r.code != 0 {
		t.Fatalf("first run: exit %d, %v", r.code, r.err)
	}
	checkSummary(t, r, "33 33 0 0 33", dir)
	// Off a terminal, the first load says nothing but its summary.
	if strings.Contains(r.stderr, "level=") {
		t.Errorf("index logged on the way: %s", r.stderr)
	}
	if strings.Contains(r.stderr, seed+":") {
		t.Errorf("records rejected: %s", r.stderr)
	}

	// Upsert by id: the same file again updates every paper, adds none.
	r = runCLI(t, "", nil, "index", "--index", dir, seed)
	if r.err != nil || r.code != 0 {
		t.Fatalf("second run: exit %d, %v", r.code, r.err)
	}
	checkSummary(t, r, "33 0 33 0 33", dir)

	// The papers are the listing's, field by field.
	idx := openIndex(t, dir)
	if n, _ := idx.Count(); n != 33 {
		t.Errorf("index holds %d papers, want 33", n)
	}
	tests := []struct {
		title       string
		abstract    string // its start
		authors     int
		published   string
		upvotes     int
		wantTopicIn string
	}{
		{"Just read twice: closing the recall gap for recurrent language models", "Recurrent large language models that compete with Transformers", 9, "2024-07-07", 0, "efficient-architectures"},
		{"Beyond Size: How Gradients Shape Pruning Decisions in Large Language Models", "Large Language Models (LLMs) with a billion or more parameters", 3, "2023-11-08", 0, "pruning"},
		{"Simple linear attention language models balance the recall-throughput tradeoff", "Recent work has shown that attention-based language models excel at recall", 9, "2024-02-28", 12, "efficient-architectures"},
		{"Hungry Hungry Hippos: Towards Language Modeling with State Space Models", "State space models (SSMs) have demonstrated", 6, "2022-12-28", 1, "efficient-architectures"},
	}
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) {
			res, err := idx.Search(context.Background(), search.Request{Query: tt.title, Size: 1})
			if err != nil || len(res.Hits) == 0 {
				t.Fatalf("search for the title: %v, %d hits", err, len(res.Hits))
			}
			p := res.Hits[0].Paper
			if p.Title != tt.title {
				t.Fatalf("best hit for its own title is %q", p.Title)
			}
			if !strings.HasPrefix(p.Abstract, tt.abstract) {
				t.Errorf("abstract starts %q, want %q", p.Abstract[:min(len(p.Abstract), 60)], tt.abstract)
			}
			if p.AuthorCount != tt.authors || p.Published != tt.published || p.Upvotes != tt.upvotes {
				t.Errorf("authors %d, published %s, upvotes %d; want %d, %s, %d", p.AuthorCount, p.Published, p.Upvotes, tt.authors, tt.published, tt.upvotes)
			}
			if !strings.Contains(strings.Join(p.Topics, " "), tt.wantTopicIn) {
				t.Errorf("topics %q lack %s", p.Topics, tt.wantTopicIn)
			}
		})
	}
}

// A bad record is reported as SOURCE:LINE: reason and skipped; the rest is
// indexed and the exit status is 1.
func TestIndexRejectsBadRecords(t *testing.T) {
	tests := []struct {
		name        string
		source      string
		wantSummary string
		wantRejects []string // line prefixes on stderr
	}{
		{
			name:        "JSON lines",
			source:      filepath.Join("testdata", "bad.jsonl"),
			wantSummary: "4 2 0 2 2",
			wantRejects: []string{"testdata/bad.jsonl:2: ", "testdata/bad.jsonl:4: "},
		},
		{
			name:        "listing",
			source:      filepath.Join("testdata", "bad-listing.txt"),
			wantSummary: "3 2 0 1 2",
			wantRejects: []string{"testdata/bad-listing.txt:17: "},
		},
		{
			// The first three entries of the real feed
			// indexer/testdata/atom/q-testing-s0-m10.atom.xml (origin and
			// licence in that folder's README): the second with a mistyped
			// entity put in (&eacut;), the third with an HTML one (&eacute;).
			name:        "Atom feed",
			source:      filepath.Join("testdata", "bad-feed.atom.xml"),
			wantSummary: "3 2 0 1 2",
			wantRejects: []string{"testdata/bad-feed.atom.xml:41: invalid XML: invalid character entity &eacut; (the <entry> at line 35 "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "index")
			r := runCLI(t, "", nil, "index", "--index", dir, tt.source)
			if r.code != 1 {
				t.Errorf("exit %d, want 1 (err %v)", r.code, r.err)
			}
			checkSummary(t, r, tt.wantSummary, dir)
			var rejects []string
			for _, line := range strings.Split(r.stderr, "\n") {
				if strings.HasPrefix(line, tt.source+":") {
					rejects = append(rejects, line)
				}
			}
			if len(rejects) != len(tt.wantRejects) {
				t.Fatalf("reject lines %q, want %d", rejects, len(tt.wantRejects))
			}
			for i, want := range tt.wantRejects {
				if !strings.HasPrefix(rejects[i], filepath.FromSlash(want)) || len(rejects[i]) <= len(want) {
					t.Errorf("reject line %q, want %q and a reason", rejects[i], want)
				}
			}
		})
	}
}

// A listing pasted with an author line the parser cannot read, or with no
// paper at all, is never indexed short in silence: every paper it holds
// is in, and what it could not read is reported and makes the exit status
// 1.
func TestIndexListingNeverSilent(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "seed.txt"))
	if err != nil {
		t.Fatal(err)
	}
	seed := string(raw)
	// withAuthors gives the seed with the author line of its second paper
	// (line 25) replaced.
	withAuthors := func(line string) string {
		i := strings.Index(seed, "\nBeyond Size: ")
		j := i + strings.Index(seed[i:], "\n  • 3 authors\n")
		if i < 0 || j < i || strings.Count(seed[:j], "\n") != 23 {
			t.Fatal("the seed changed: its second author line is not where this test expects it")
		}
		return seed[:j] + "\n" + line + seed[j+len("\n  • 3 authors"):]
	}
	tests := []struct {
		name        string
		body        string
		extra       []string
		wantCode    int
		wantSummary string
		wantStderr  []string // each after "SOURCE"
	}{
		{
			name:        "no-break space after a bullet",
			body:        withAuthors("  •\u00a03 authors"),
			wantSummary: "33 33 0 0 33",
		},
		{
			name:        "many authors",
			body:        withAuthors("  • many authors"),
			wantSummary: "33 33 0 0 33",
		},
		{
			name:        "an author line it cannot read",
			body:        withAuthors("  ▪ three authors"),
			wantCode:    1,
			wantSummary: "33 32 0 1 32",
			wantStderr:  []string{`:25: listing block for "Beyond Size: How Gradients Shape Pruning Decisions in Large …": author line "▪ three authors" not recognised`},
		},
		{
			name:        "page header only, format named",
			body:        "Daily Papers\n",
			extra:       []string{"--format", "listing"},
			wantCode:    1,
			wantSummary: "1 0 0 1 0",
			wantStderr:  []string{": no papers found: not a Hugging Face listing"},
		},
		{
			name:        "page header only",
			body:        "Daily Papers\n",
			wantCode:    2,
			wantSummary: "0 0 0 0 0",
			wantStderr:  []string{": unrecognised format"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "pasted.txt")
			if err := os.WriteFile(src, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "index")
			r := runCLI(t, "", nil, append(append([]string{"index", "--index", dir}, tt.extra...), src)...)
			if r.code != tt.wantCode {
				t.Errorf("exit %d, want %d (err %v)", r.code, tt.wantCode, r.err)
			}
			checkSummary(t, r, tt.wantSummary, dir)
			if got := strings.Count(r.stderr, src); got != len(tt.wantStderr) {
				t.Errorf("stderr names the source %d times, want %d", got, len(tt.wantStderr))
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(r.stderr, src+want) {
					t.Errorf("stderr %q lacks %q", r.stderr, src+want)
				}
			}
		})
	}
}

// A note about a listing, next to it or alone, is not taken for one.
func TestIndexDirectoryWithListingNotes(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join("testdata", "seed.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// As ../shared/data/seed/README.md describes the format.
	readme := "# seed: a Hugging Face \"Daily Papers\" search listing, as plain text\n\n" +
		"    <title>\n    <blank>\n    <abstract: one long line>\n    <blank>\n      • <N> authors\n    ·\n    <Mon D, YYYY>[ <upvotes>]\n"
	withSeed, readmeOnly := t.TempDir(), t.TempDir()
	for name, body := range map[string]string{
		filepath.Join(withSeed, "README.md"):   readme,
		filepath.Join(withSeed, "seed.txt"):    string(seed),
		filepath.Join(readmeOnly, "README.md"): readme,
	} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	dir := filepath.Join(t.TempDir(), "index")
	r := runCLI(t, "", nil, "index", "--index", dir, withSeed)
	if want := withSeed + ": skipped 1 file that no format recognises: README.md (to read one anyway, pass it by name with --format)\n"; r.code != 0 || r.stderr != want {
		t.Errorf("README and seed: exit %d, stderr %q; want 0 and only the note %q", r.code, r.stderr, want)
	}
	checkSummary(t, r, "33 33 0 0 33", dir)

	dir = filepath.Join(t.TempDir(), "index")
	r = runCLI(t, "", nil, "index", "--index", dir, readmeOnly)
	if r.code != 2 || !strings.Contains(r.stderr, readmeOnly+": no file in a format papersearch reads") {
		t.Errorf("README alone: exit %d, stderr %q; want 2 and no file in a format papersearch reads", r.code, r.stderr)
	}
	// The time it took is whatever it took: "0s" on a quiet machine, "1ms"
	// on a busy one (this failed once in CI that way).
	if want := regexp.MustCompile(`^read 0, added 0, updated 0, rejected 0, in [0-9.]+[mµn]?s; no index made at ` + regexp.QuoteMeta(dir) + "\n$"); !want.MatchString(r.stdout) {
		t.Errorf("README alone: stdout %q, want it to match %s", r.stdout, want)
	}
}

func TestIndexStdin(t *testing.T) {
	papers, err := os.ReadFile(filepath.Join("testdata", "papers.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	bad, err := os.ReadFile(filepath.Join("testdata", "bad.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "index")
	r := runCLI(t, string(papers), nil, "index", "--index", dir, "-")
	if r.code != 0 {
		t.Fatalf("exit %d, %v", r.code, r.err)
	}
	checkSummary(t, r, "3 3 0 0 3", dir)

	// Rejects from stdin are reported as stdin:LINE.
	r = runCLI(t, string(bad), nil, "index", "--index", dir, "-")
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	checkSummary(t, r, "4 2 0 2 5", dir)
	if !strings.Contains(r.stderr, "\nstdin:2: ") && !strings.HasPrefix(r.stderr, "stdin:2: ") {
		t.Errorf("stderr %q lacks stdin:2:", r.stderr)
	}

	idx := openIndex(t, dir)
	// arXiv version suffixes are dropped from ids.
	if _, err := idx.Get(context.Background(), "hep-th/9901001"); err != nil {
		t.Errorf("Get(hep-th/9901001): %v", err)
	}
}

// A source that cannot be read is an exit status 2; the readable ones are
// still indexed.
func TestIndexUnreadableSource(t *testing.T) {
	good := filepath.Join("testdata", "papers.jsonl")
	tests := []struct {
		name, source, wantStderr string
		extra                    []string
	}{
		{"missing file", filepath.Join("testdata", "no-such-file.jsonl"), "no-such-file.jsonl", nil},
		{"a directory with no papers", t.TempDir(), "", nil},
		{"an unknown format", good, `unknown format "yaml"`, []string{"--format", "yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "index")
			args := append([]string{"index", "--index", dir}, tt.extra...)
			r := runCLI(t, "", nil, append(args, tt.source)...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2 (err %v)", r.code, r.err)
			}
			if !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("stderr %q does not say %q", r.stderr, tt.wantStderr)
			}
			if tt.extra != nil {
				return
			}
			// With a good source after the bad one: still 2, and the good
			// one is in.
			r = runCLI(t, "", nil, "index", "--index", dir, tt.source, good)
			if r.code != 2 || r.err == nil || !strings.Contains(r.err.Error(), "1 of 2 sources could not be read") {
				t.Errorf("exit %d, err %v; want 2 and a count of unreadable sources", r.code, r.err)
			}
			checkSummary(t, r, "3 3 0 0 3", dir)
		})
	}
}

func TestIndexTopicsFile(t *testing.T) {
	topicsFile := filepath.Join(t.TempDir(), "topics.json")
	err := os.WriteFile(topicsFile, []byte(`{"topics": [{"slug": "branes", "label": "Branes", "description": "String theory.", "terms": ["brane*"]}]}`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "index")
	r := runCLI(t, "", nil, "index", "--index", dir, "--topics", topicsFile, filepath.Join("testdata", "papers.jsonl"))
	if r.code != 0 {
		t.Fatalf("exit %d, %v", r.code, r.err)
	}
	r = runCLI(t, "", nil, "topics", "--index", dir)
	want := "SLUG    PAPERS  LABEL\nbranes  1       Branes\n        3       papers in the index\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("topics after --topics: exit %d, stdout\n%s\nwant\n%s", r.code, r.stdout, want)
	}

	// Papers added later without --topics are tagged with the taxonomy the
	// index recorded, not the built-in one.
	later := `{"id": "2501.80010", "title": "Pruning and quantization of D-branes"}` + "\n"
	r = runCLI(t, later, nil, "index", "--index", dir, "-")
	if r.code != 0 {
		t.Fatalf("index without --topics: exit %d, %v", r.code, r.err)
	}
	r = runCLI(t, "", nil, "topics", "--index", dir)
	want = "SLUG    PAPERS  LABEL\nbranes  2       Branes\n        4       papers in the index\n"
	if r.stdout != want {
		t.Errorf("topics after indexing without --topics:\n%s\nwant\n%s", r.stdout, want)
	}
	r = runCLI(t, "", nil, "search", "--index", dir, "--json", "--facets", "none", "quantization")
	if !strings.Contains(r.stdout, `"topics":["branes"]`) {
		t.Errorf("the later paper is not tagged with the index's taxonomy: %s", r.stdout)
	}

	// An index that recorded its topics but not their file (as indexes
	// did before) cannot say how to tag new papers: it is refused.
	idx := openIndex(t, dir)
	if err := idx.SetTaxonomyFile(nil); err != nil {
		t.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, later, nil, "index", "--index", dir, "-")
	if r.code != 2 || r.err == nil || !strings.Contains(r.err.Error(), "pass its file with --topics FILE") {
		t.Errorf("index without --topics on an index of unknown taxonomy: exit %d, %v", r.code, r.err)
	}
	// --topics builtin says to use the built-in taxonomy from now on.
	r = runCLI(t, later, nil, "index", "--index", dir, "--topics", "builtin", "-")
	if r.code != 0 {
		t.Fatalf("--topics builtin: exit %d, %v", r.code, r.err)
	}
	r = runCLI(t, "", nil, "search", "--index", dir, "--json", "--facets", "none", "quantization")
	if !strings.Contains(r.stdout, `"topics":["quantization","pruning"]`) && !strings.Contains(r.stdout, `"topics":["pruning","quantization"]`) {
		t.Errorf("--topics builtin did not tag with the built-in taxonomy: %s", r.stdout)
	}
}

// An empty source (an empty fetch in a cron job) reads 0 papers with a
// note and exits 0, in whatever format it was named; it makes no new index.
func TestIndexEmptySource(t *testing.T) {
	emptyFile := filepath.Join(t.TempDir(), "empty.jsonl")
	if err := os.WriteFile(emptyFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	existing := seededIndex(t)
	formats := append([]string{""}, indexer.FormatNames()...)
	for _, format := range formats {
		for _, input := range []string{"", " \n\t\n", "\xef\xbb\xbf\n"} {
			t.Run(fmt.Sprintf("%s/%q", format, input), func(t *testing.T) {
				args := []string{"index", "--index", existing}
				if format != "" {
					args = append(args, "--format", format)
				}
				r := runCLI(t, input, nil, append(args, "-")...)
				if r.code != 0 || !strings.Contains(r.stderr, "stdin: the source is empty") {
					t.Errorf("exit %d, stderr %q; want 0 and a note that stdin is empty", r.code, r.stderr)
				}
				checkSummary(t, r, "0 0 0 0 36", existing)
			})
		}
	}
	t.Run("file into a new index", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "index")
		r := runCLI(t, "", nil, "index", "--index", dir, emptyFile)
		if r.code != 0 || !strings.Contains(r.stderr, "the source is empty") {
			t.Errorf("exit %d, stderr %q; want 0 and a note", r.code, r.stderr)
		}
		// The summary does not count papers in an index that is not there.
		if !strings.HasSuffix(r.stdout, "; no index made at "+dir+"\n") {
			t.Errorf("summary %q, want it to say no index was made", r.stdout)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("an index was made from nothing at %s (stat: %v)", dir, err)
		}
		// With a good source beside it, the good one is in.
		r = runCLI(t, "", nil, "index", "--index", dir, emptyFile, filepath.Join("testdata", "papers.jsonl"))
		if r.code != 0 {
			t.Errorf("exit %d, err %v; want 0", r.code, r.err)
		}
		checkSummary(t, r, "3 3 0 0 3", dir)
	})
}

// A new index whose only source cannot be read is not left behind.
func TestIndexUnreadableLeavesNoIndex(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	r := runCLI(t, "", nil, "index", "--index", dir, filepath.Join(t.TempDir(), "typo.jsonl"))
	if r.code != 2 {
		t.Errorf("exit %d, want 2", r.code)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an empty index was left at %s (stat: %v)", dir, err)
	}
}

// --replace corrects a paper: the record takes the stored one's place,
// where without it the two merge and the old title stays.
func TestIndexReplaceFlag(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	old := `{"id": "2501.60001", "title": "Old title with a typo: Quantizaton", "categories": ["cs.LG"]}`
	fixed := `{"id": "2501.60001", "title": "Corrected title: Quantization", "categories": ["cs.CL"]}`
	for _, step := range []struct {
		in        string
		args      []string
		wantTitle string
	}{
		{old, []string{"-"}, "Old title with a typo: Quantizaton"},
		{fixed, []string{"-"}, "Old title with a typo: Quantizaton"},
		{fixed, []string{"--replace", "-"}, "Corrected title: Quantization"},
	} {
		r := runCLI(t, step.in, nil, append([]string{"index", "--index", dir}, step.args...)...)
		if r.code != 0 {
			t.Fatalf("index %v: exit %d, %v", step.args, r.code, r.err)
		}
		r = runCLI(t, "", nil, "search", "--index", dir, "--json", "--facets", "none")
		if !strings.Contains(r.stdout, `"title":"`+step.wantTitle+`"`) || !strings.Contains(r.stdout, `"total":1`) {
			t.Errorf("after index %v: %s; want the title %q", step.args, r.stdout, step.wantTitle)
		}
	}
	r := runCLI(t, "", nil, "search", "--index", dir, "--json", "--facets", "none")
	if !strings.Contains(r.stdout, `"categories":["cs.CL"]`) {
		t.Errorf("--replace kept the old categories: %s", r.stdout)
	}
}

// A directory is walked for the files a format recognises; --delete removes
// papers by id, however the id is written.
func TestIndexDirectoryAndDelete(t *testing.T) {
	src := t.TempDir()
	sub := filepath.Join(src, "nested")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	seed, err := os.ReadFile(filepath.Join("testdata", "seed.txt"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		filepath.Join(src, "a.jsonl"):       `{"id": "2402.18668", "title": "Simple linear attention"}` + "\n",
		filepath.Join(sub, "listing.txt"):   string(seed),
		filepath.Join(sub, "notes.md"):      "# not papers\n",
		filepath.Join(src, ".hidden.jsonl"): `{"id": "2401.00001", "title": "Hidden"}` + "\n",
		// It says what a feed starts with, but it is not one.
		filepath.Join(src, "README.md"): "# Feeds\n\nAtom `<feed>` documents from http://export.arxiv.org/api/query.\n",
	}
	for name, body := range files {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "index")
	r := runCLI(t, "", nil, "index", "--index", dir, src)
	if r.code != 0 {
		t.Fatalf("exit %d, %v, stderr %s", r.code, r.err, r.stderr)
	}
	checkSummary(t, r, "34 34 0 0 34", dir)
	if want := src + ": skipped 2 files that no format recognises: README.md, " + filepath.Join("nested", "notes.md"); !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q does not say %q", r.stderr, want)
	}

	// An id that is not there is noted and is no failure (exit 0, as
	// rm -f): a cleanup job that runs twice must succeed the second time.
	r = runCLI(t, "", nil, "index", "--index", dir, "--delete", "arXiv:2402.18668v3", "9999.99999")
	if r.code != 0 || !strings.Contains(r.stdout, "deleted 1, not found 1; 33 papers") || !strings.Contains(r.stderr, "9999.99999") {
		t.Errorf("delete: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", nil, "index", "--index", dir, "--delete", "arXiv:2402.18668v3")
	if r.code != 0 || !strings.Contains(r.stdout, "deleted 0, not found 1; 33 papers") {
		t.Errorf("delete again: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, "", nil, "index", "--index", dir, "--delete"); r.code != 2 {
		t.Errorf("--delete without ids: exit %d, want 2", r.code)
	}
}

// cancelAfter cancels a context once n bytes have been read through it, as
// a Ctrl-C in the middle of a source would.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
	}
	if len(p) > 512 {
		p = p[:512]
	}
	n, err := c.r.Read(p)
	c.n -= n
	return n, err
}

// stalledReader gives data, then blocks as stdin does when its producer
// is slow, until released; it says when it starts to block.
type stalledReader struct {
	r        io.Reader
	stalled  chan struct{}
	released chan struct{}
	once     sync.Once
}

func (s *stalledReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err == io.EOF {
		s.once.Do(func() { close(s.stalled) })
		<-s.released
	}
	return n, nil
}

// Ctrl-C stops a run that waits on stdin at once: it does not wait for
// input that may never come, and commits what it read.
func TestIndexInterruptedWhileStdinWaits(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join("testdata", "seed.txt"))
	if err != nil {
		t.Fatal(err)
	}
	stdin := &stalledReader{r: bytes.NewReader(seed), stalled: make(chan struct{}), released: make(chan struct{})}
	t.Cleanup(func() { close(stdin.released) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-stdin.stalled
		cancel()
	}()
	dir := filepath.Join(t.TempDir(), "index")
	var stdout, stderr syncBuffer
	env := testEnv(t)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"index", "--index", dir, "-"}, stdin, &stdout, &stderr, func(k string) string { return env[k] })
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || exitCode(err, io.Discard) != exitInterrupted {
			t.Fatalf("run returned %v, want context.Canceled and exit %d", err, exitInterrupted)
		}
	case <-time.After(time.Minute):
		// Not a timing assertion: without the fix the run never returns.
		t.Fatal("index still waits on stdin a minute after Ctrl-C")
	}
	// How many papers the parser got to before Ctrl-C depends on timing
	// (the listing's last one never, as stdin did not end); all it got
	// to are committed.
	read, added, _, _, total, _ := summary(t, stdout.String())
	if n, err := strconv.Atoi(added); err != nil || n > 32 || added != total || read != added {
		t.Errorf("read %s, added %s, total %s; want the papers read before Ctrl-C (at most 32) committed", read, added, total)
	}
}

// Ctrl-C stops an index run cleanly: what was read is committed, the
// summary is printed, and the same command again completes the work.
func TestIndexInterrupted(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join("testdata", "seed.txt"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "index")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdin := &cancelAfter{r: bytes.NewReader(seed), n: len(seed) / 2, cancel: cancel}
	var stdout, stderr syncBuffer
	env := testEnv(t)
	err = run(ctx, []string{"index", "--index", dir, "--batch", "5", "-"}, stdin, &stdout, &stderr, func(k string) string { return env[k] })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run returned %v, want context.Canceled", err)
	}
	read, added, _, _, total, _ := summary(t, stdout.String())
	if read == "33" || added == "0" || added != total {
		t.Fatalf("interrupted run: read %s, added %s, total %s; want part of the 33, all committed", read, added, total)
	}

	r := runCLI(t, string(seed), nil, "index", "--index", dir, "-")
	if r.code != 0 {
		t.Fatalf("rerun: exit %d, %v", r.code, r.err)
	}
	_, added2, updated2, _, total2, _ := summary(t, r.stdout)
	if total2 != "33" || added2+"+"+updated2 == "0+0" {
		t.Errorf("rerun: added %s updated %s total %s, want 33 in all", added2, updated2, total2)
	}
}

// When serve holds the index, index's hint posts the same papers the same
// way: --format and --replace become the API's parameters, and every
// source gets its command, stdin included.
func TestServedErrorCarriesFlags(t *testing.T) {
	le := &search.LockedError{Path: "idx", Owner: search.Owner{PID: 7, Kind: "serve", URL: "http://localhost:8080"}}
	const post = `curl -H "Authorization: Bearer $PAPERSEARCH_ADMIN_KEY" --data-binary `
	file := filepath.Join("testdata", "papers.jsonl")
	srcDir := t.TempDir()
	for _, tt := range []struct {
		sources []string
		format  string
		replace bool
		want    []string
	}{
		{[]string{"-"}, "", false, []string{post + "@- http://localhost:8080/api/papers  #"}},
		{[]string{"-"}, "", true, []string{post + "@- 'http://localhost:8080/api/papers?replace=true'"}},
		{[]string{"-"}, "hf-api", true, []string{post + "@- 'http://localhost:8080/api/papers?format=hf-api&replace=true'"}},
		{[]string{file, "seed b.txt", "https://example.org/feed?a=1&b=2", srcDir}, "", false, []string{
			post + "@" + file + " http://localhost:8080/api/papers\n",
			post + "'@seed b.txt' http://localhost:8080/api/papers\n",
			"curl -sS 'https://example.org/feed?a=1&b=2' | " + post + "@- http://localhost:8080/api/papers\n",
			srcDir + " is a directory",
		}},
	} {
		err := servedError(le, tt.sources, tt.format, tt.replace)
		if !errors.Is(err, search.ErrLocked) {
			t.Errorf("%v: %v does not wrap ErrLocked", tt.sources, err)
		}
		for _, want := range tt.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("sources %q, format %q, replace %v: hint\n%s\nlacks %q", tt.sources, tt.format, tt.replace, err, want)
			}
		}
		if strings.Contains(err.Error(), "papers.jsonl ") && !slices.Contains(tt.sources, file) {
			t.Errorf("hint names a file it was not given:\n%s", err)
		}
	}

	err := servedDeleteError(le, []string{"2402.18668", "hep-th/9901001"})
	for _, want := range []string{
		`curl -H "Authorization: Bearer $PAPERSEARCH_ADMIN_KEY" -X DELETE http://localhost:8080/api/papers/2402.18668` + "\n",
		`-X DELETE http://localhost:8080/api/papers/hep-th/9901001` + "\n",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("delete hint\n%s\nlacks %q", err, want)
		}
	}
}
