package indexer

import (
	"testing"
)

func TestParseHFAPI(t *testing.T) {
	tests := []struct {
		file  string
		count int
		first string
		spots []spot
	}{
		{
			file: "testdata/hf/daily_papers-2024-05-27.json", count: 13, first: "2405.15738",
			spots: []spot{{
				id: "2405.15738", title: "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models",
				abstract:    "High-resolution Large Multimodal Models (LMMs) encounter the challenges of excessive visual tokens",
				firstAuthor: "Chunjiang Ge", published: "2024-05-24", featured: "2024-05-27", upvotes: 32, comments: 3,
				url: "https://arxiv.org/abs/2405.15738", hfURL: "https://huggingface.co/papers/2405.15738", source: "hf-api",
			}},
		},
		{
			file: "testdata/hf/daily_papers-2024-08-01.json", count: 11, first: "2407.21783",
			spots: []spot{{id: "2407.21783", title: "The Llama 3 Herd of Models", firstAuthor: "Abhimanyu Dubey",
				authors: 533, authorCount: 533, upvotes: 49, comments: 4, published: "2024-07-31", featured: "2024-08-01"}},
		},
		{
			file: "testdata/hf/daily_papers-2025-06-25.json", count: 14, first: "2506.19851",
			spots: []spot{{id: "2506.19851", github: "https://github.com/anima-x/anima-x", stars: 20, upvotes: 21, comments: 1,
				keywords: 15, published: "2025-06-24", featured: "2025-06-25"}},
		},
		{
			// The only byte-exact compact response; all items are 2026-06-12's.
			file: "testdata/hf/daily_papers-2026-06-12.compact.json", count: 30, first: "2606.00467",
			spots: []spot{
				{id: "2606.00467", published: "2026-05-30", featured: "2026-06-12", comments: 2, keywords: 14},
				{id: "2606.13392", github: "https://github.com/MiniMax-AI/MSA", stars: 251, upvotes: 103},
			},
		},
		{
			file: "testdata/hf/api-paper-2509.24002.json", count: 1, first: "2509.24002",
			spots: []spot{{id: "2509.24002", title: "MCPMark: A Benchmark for Stress-Testing Realistic and Comprehensive MCP Use",
				authors: 15, firstAuthor: "Zijian Wu", upvotes: 118, github: "https://github.com/eval-sys/mcpmark", stars: 182,
				keywords: 21, published: "2025-09-28", featured: "2025-10-01"}},
		},
		{
			file: "testdata/hf/api-papers-search-q-video-generation.json", count: 3, first: "2510.02283",
			spots: []spot{{id: "2510.01284", upvotes: 8, comments: 1, authors: 3, published: "2025-09-30", featured: "2025-10-03"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := parseFixture(t, ParseHFAPI, tt.file)
			checkErrs(t, got, tt.file, nil)
			if len(got.papers) != tt.count {
				t.Fatalf("got %d papers, want %d", len(got.papers), tt.count)
			}
			if got.papers[0].ID != tt.first {
				t.Errorf("first paper = %s, want %s", got.papers[0].ID, tt.first)
			}
			for _, s := range tt.spots {
				s.check(t, got)
			}
		})
	}
}

// A hidden author (claimed on Hugging Face but not shown) is still an author.
func TestParseHFAPIHiddenAuthor(t *testing.T) {
	got := parseFixture(t, ParseHFAPI, "testdata/hf/daily_papers-2026-06-12.compact.json")
	for _, p := range got.papers {
		for _, a := range p.Authors {
			if a == "Dengyang Jiang" {
				return
			}
		}
	}
	t.Error("the hidden author Dengyang Jiang is missing")
}

func TestParseHFAPIErrors(t *testing.T) {
	item := `{"paper":{"id":"2407.21783v2","title":"The Llama 3\n  Herd of Models","authors":[{"name":"A. One"}],"upvotes":3},"numComments":1}`
	tests := []struct {
		name   string
		in     string
		papers int
		errs   []wantErr
	}{
		{"empty", "", 0, []wantErr{{contains: "the source is empty"}}},
		{"binary", "\x00\x9f\x92\x96garbage", 0, []wantErr{{line: 1, contains: "not JSON"}}},
		{"HTML", "<!doctype html><html></html>", 0, []wantErr{{line: 1, contains: "not JSON"}}},
		{"wrong shape object", `{"foo":1,"bar":2}`, 0, []wantErr{{line: 1, contains: `got keys [bar foo]`}}},
		{"wrong shape list", `[1,"x"]`, 0, []wantErr{{line: 1, contains: "want a Hugging Face paper object"}, {line: 1, contains: "want a Hugging Face paper object"}}},
		{"wrong type", `[{"paper":{"id":"1","title":"t","upvotes":"many"}}]`, 0, []wantErr{{line: 1, contains: `"paper.upvotes" should be a whole number`}}},
		{"no id", `[{"paper":{"title":"t"}}]`, 0, []wantErr{{line: 1, contains: "no paper.id"}}},
		{"bad date", `[{"paper":{"id":"1","title":"t","publishedAt":"soon"}}]`, 0, []wantErr{{line: 1, contains: `"soon" is not a date`}}},
		{"JSON lines, bad line skipped", item + "\n{oops\r\n" + item + "\r\n", 2, []wantErr{{line: 2, contains: "invalid JSON"}}},
		{"pretty array, bad item skipped", "[\n" + item + ",\n" + `{"paper":{"id":"9","title":""}}` + ",\n" + item + "\n]", 2, []wantErr{{line: 3, offset: true, contains: "has no title"}}},
		{"truncated", "\xef\xbb\xbf[\n" + item + ",\n" + item[:40], 1, []wantErr{{line: 3, offset: true, contains: "unexpected EOF"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseBytes(t, ParseHFAPI, "api.json", []byte(tt.in))
			checkErrs(t, got, "api.json", tt.errs)
			if len(got.papers) != tt.papers {
				t.Errorf("got %d papers, want %d", len(got.papers), tt.papers)
			}
		})
	}
}

func TestParseHFAPICleansText(t *testing.T) {
	// (Invalid UTF-8 rejects the record: TestJSONEncodings.)
	in := "[{\"paper\":{\"id\":\"arXiv:2407.21783v2\",\"title\":\"Bad\\u0000 byte\\n  and\\u202e wrap\",\"summary\":\"a\\r\\n b\"}}]"
	got := parseBytes(t, ParseHFAPI, "api.json", []byte(in))
	checkErrs(t, got, "api.json", nil)
	p := got.papers[0]
	if p.ID != "2407.21783" || p.Title != "Bad byte and wrap" || p.Abstract != "a b" {
		t.Errorf("got id %q title %q abstract %q", p.ID, p.Title, p.Abstract)
	}
}

func TestSniffHFAPI(t *testing.T) {
	for _, tt := range []struct {
		head string
		want bool
	}{
		{`[{"paper":{"id":"1"}}]`, true},
		{`{"id":"2509.24002","authors":[{"_id":"68dc","name":"Z"}]`, true},
		{`{"id":"2509.24002","publishedAt":"2025-09-28"}`, true},
		{`{"id":"2402.18668","title":"t","published":"2024-02-28"}`, false},
		{`{"id":"2606.30776","categories":["cs.GT"],"summary":"s","listing_date":"2026-07-01"}`, false},
		{`{"id":"0704.0001","submitter":"P"}`, false},
	} {
		if got := sniffHFAPI([]byte(tt.head)); got != tt.want {
			t.Errorf("sniffHFAPI(%s) = %v, want %v", tt.head, got, tt.want)
		}
	}
}

func FuzzParseHFAPI(f *testing.F) {
	fuzzParser(f, ParseHFAPI,
		"testdata/hf/daily_papers-2024-05-27.json",
		"testdata/hf/api-paper-2509.24002.json",
		"testdata/hf/api-papers-search-q-video-generation.json")
}

func BenchmarkParseHFAPI(b *testing.B) {
	benchParser(b, ParseHFAPI, "testdata/hf/daily_papers-2026-06-12.compact.json")
}
