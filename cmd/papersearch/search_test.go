package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/papersearch/papersearch/api"
)

// `search --json` prints exactly the body GET /api/search returns for the
// same parameters on the same index; `topics --json` likewise for
// GET /api/topics.
func TestJSONOutputMatchesAPI(t *testing.T) {
	dir := seededIndex(t)
	tests := []struct {
		name  string
		args  []string // after "search --index DIR --json"
		query string   // the same search as URL parameters
	}{
		{"query", []string{"pruning"}, "q=pruning"},
		{"no query", nil, ""},
		{"words and flags mixed", []string{"language", "--size", "3", "models"}, "q=language+models&size=3"},
		{"topics ORed", []string{"--topic", "quantization", "--topic", "pruning"}, "topic=quantization&topic=pruning"},
		{"years, sort and page", []string{"--year-from", "2023", "--year-to", "2024", "--sort", "upvotes", "--size", "5", "--page", "2"}, "year_from=2023&year_to=2024&sort=upvotes&size=5&page=2"},
		{"category", []string{"--category", "cs.CR"}, "category=cs.CR"},
		{"oldest with a query", []string{"--sort", "oldest", "attention"}, "q=attention&sort=oldest"},
		{"markup in the paper", []string{"alert"}, "q=alert"},
		{"no hits", []string{"xylophone"}, "q=xylophone"},
		{"query after --", []string{"--", "-recall"}, "q=-recall"},
		{"some facets", []string{"--facets", "topic,year", "models"}, "q=models&facets=topic%2Cyear"},
		{"no facets", []string{"--facets", "none", "models"}, "q=models&facets=none"},
		{"facets as the answer names them", []string{"--facets", "topics,years", "models"}, "q=models&facets=topic%2Cyear"},
	}
	// Run every command first: the CLI opens the index for each run, and
	// the API below holds it open.
	cli := make([]string, len(tests))
	for i, tt := range tests {
		r := runCLI(t, "", nil, append([]string{"search", "--index", dir, "--json"}, tt.args...)...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d, %v", tt.name, r.code, r.err)
		}
		cli[i] = r.stdout
	}
	topics := runCLI(t, "", nil, "topics", "--json", "--index", dir)
	if topics.code != 0 {
		t.Fatalf("topics --json: exit %d, %v", topics.code, topics.err)
	}

	h, err := api.New(api.Config{Index: openIndex(t, dir), Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	get := func(target string) string {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", target, w.Code, w.Body)
		}
		return w.Body.String()
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := get("/api/search?" + tt.query)
			if normalize(cli[i]) != normalize(body) {
				t.Errorf("search --json %s\n%s\nGET /api/search?%s\n%s", strings.Join(tt.args, " "), cli[i], tt.query, body)
			}
			if !strings.Contains(cli[i], `"hits":[`) {
				t.Errorf("output is not a search response: %s", cli[i])
			}
		})
	}
	t.Run("topics", func(t *testing.T) {
		if body := get("/api/topics"); topics.stdout != body {
			t.Errorf("topics --json\n%s\nGET /api/topics\n%s", topics.stdout, body)
		}
	})
}

func TestSearchHumanOutput(t *testing.T) {
	dir := seededIndex(t)
	tests := []struct {
		name string
		args []string
	}{
		{"search_pruning", []string{"pruning", "--size", "3"}},
		{"search_filters", []string{"--topic", "quantization", "--sort", "oldest", "--size", "2", "--page", "2"}},
		{"search_markup", []string{"alert"}},
		{"search_control_chars", []string{"terminal"}},
		{"search_no_hits", []string{"xylophone"}},
		{"topics", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := "search"
			if tt.name == "topics" {
				cmd = "topics"
			}
			r := runCLI(t, "", nil, append([]string{cmd, "--index", dir}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d, %v", r.code, r.err)
			}
			if strings.ContainsAny(r.stdout, "\x1b\a") {
				t.Errorf("output has control characters: %q", r.stdout)
			}
			checkGolden(t, tt.name, normalize(r.stdout))
		})
	}

	t.Run("a hit shows title, date, topics and a snippet", func(t *testing.T) {
		r := runCLI(t, "", nil, "search", "--index", dir, "--size", "1", "gradients", "pruning")
		want := []string{
			`papers for "gradients pruning", showing 1-1 (`,
			"\n1. Beyond Size: How Gradients Shape Pruning Decisions in Large Language Models\n",
			" · 2023-11-08 · 3 authors · topics: ",
			"pruning",
			"\n   …", // the snippet, cut at a word
			"importance pruning score",
		}
		for _, w := range want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("output lacks %q:\n%s", w, r.stdout)
			}
		}
		if strings.Contains(r.stdout, "<mark>") || strings.Contains(r.stdout, "&#") {
			t.Errorf("markup in terminal output:\n%s", r.stdout)
		}
	})
}

// PAPERSEARCH_INDEX is the default for --index.
func TestIndexFromEnvironment(t *testing.T) {
	dir := seededIndex(t)
	env := testEnv(t)
	env["PAPERSEARCH_INDEX"] = dir
	r := runCLI(t, "", env, "search", "--json", "--size", "1")
	if r.code != 0 || !strings.Contains(r.stdout, `"total":36,`) {
		t.Errorf("search with PAPERSEARCH_INDEX: exit %d, stdout %.200s", r.code, r.stdout)
	}
	r = runCLI(t, "", env, "topics", "--json")
	if r.code != 0 || !strings.HasSuffix(r.stdout, `"papers":36}`+"\n") {
		t.Errorf("topics with PAPERSEARCH_INDEX: exit %d, stdout ...%s", r.code, r.stdout[max(0, len(r.stdout)-40):])
	}
}

// An unknown flag is refused, wherever it is: a mistyped flag must not
// become a word left out. After query words it was most likely meant as
// one, and the error says how to write that.
func TestSearchUnknownFlagAfterWords(t *testing.T) {
	dir := seededIndex(t)
	const hint = "; to leave out papers with a word, quote the query"
	tests := []struct {
		name     string
		args     []string // after "search --index DIR"
		wantCode int
		wantErr  string // the whole message, or "" for no error
	}{
		{"after a word", []string{"quantization", "-vision"}, 2,
			`flag provided but not defined: -vision; to leave out papers with a word, quote the query (search "quantization -vision") or put the words after -- (search -- quantization -vision)`},
		{"after words, two dashes", []string{"large", "models", "--vision"}, 2,
			`flag provided but not defined: -vision; to leave out papers with a word, quote the query (search "large models -vision") or put the words after -- (search -- large models -vision)`},
		{"before any word: a mistyped flag", []string{"--sizee", "3", "quantization"}, 2, "flag provided but not defined: -sizee"},
		{"quoted", []string{"quantization -vision"}, 0, ""},
		{"after --", []string{"quantization", "--", "-vision"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", nil, append([]string{"search", "--index", dir}, tt.args...)...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d (%v)", r.code, tt.wantCode, r.err)
			}
			if tt.wantErr != "" && (r.err == nil || r.err.Error() != tt.wantErr) {
				t.Errorf("error %v\nwant %s", r.err, tt.wantErr)
			}
		})
	}
	// similar takes a paper id, not words: no hint about excluding one.
	r := runCLI(t, "", nil, "similar", "--index", dir, "2401.00001", "-vision")
	if r.code != 2 || r.err == nil || strings.Contains(r.err.Error(), hint) {
		t.Errorf("similar ID -vision: exit %d, %v", r.code, r.err)
	}
}
