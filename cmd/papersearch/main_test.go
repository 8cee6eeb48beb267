package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/papersearch/papersearch/search"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// syncBuffer is a bytes.Buffer that the server's goroutines and the test
// can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// result is what one run of the command left behind.
type result struct {
	stdout, stderr string
	err            error
	code           int // the exit status main would use
}

// testEnv is an environment that keeps the default index out of the real
// home directory.
func testEnv(t *testing.T) map[string]string {
	return map[string]string{"HOME": t.TempDir()}
}

// runCLI runs the command as main does, with stdin and env, and logs what
// it wrote to stderr (its log and its messages) to the test log.
func runCLI(t *testing.T, stdin string, env map[string]string, args ...string) result {
	t.Helper()
	if env == nil {
		env = testEnv(t)
	}
	var stdout, stderr syncBuffer
	err := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr, func(k string) string { return env[k] })
	r := result{stdout: stdout.String(), stderr: stderr.String(), err: err, code: exitCode(err, io.Discard)}
	t.Logf("papersearch %s -> exit %d, err %v\nstderr:\n%s", strings.Join(args, " "), r.code, err, r.stderr)
	return r
}

// seededIndex indexes the seed listing and testdata/papers.jsonl into a
// fresh directory and returns it: 33 + 3 papers. Topics come from the small
// testdata/topics.json, so that golden output follows the CLI, not changes
// to the built-in taxonomy.
func seededIndex(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "index")
	r := runCLI(t, "", nil, "index", "--index", dir, "--topics", filepath.Join("testdata", "topics.json"),
		filepath.Join("testdata", "seed.txt"), filepath.Join("testdata", "papers.jsonl"))
	if r.code != 0 {
		t.Fatalf("indexing the fixtures: exit %d, %v", r.code, r.err)
	}
	return dir
}

func openIndex(t *testing.T, dir string) *search.Index {
	t.Helper()
	idx, err := search.Open(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	return idx
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

var (
	tookMS    = regexp.MustCompile(`"took_ms":[0-9.eE+-]+`)
	tookHuman = regexp.MustCompile(`\([0-9.]+ ms\)`)
)

// normalize zeroes the timings, the only output that varies between runs.
func normalize(s string) string {
	s = tookMS.ReplaceAllString(s, `"took_ms":0`)
	return tookHuman.ReplaceAllString(s, "(0.0 ms)")
}

// checkGolden compares got with testdata/name.golden; -update rewrites it.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update if the change is intended):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		want       int
		wantStderr string
	}{
		{"success", nil, 0, ""},
		{"help flag", fmt.Errorf("parse: %w", flag.ErrHelp), 0, ""},
		{"rejected records", errRejected, 1, ""},
		{"rejected, wrapped", fmt.Errorf("index: %w", errRejected), 1, ""},
		{"interrupted", context.Canceled, 130, "papersearch: interrupted\n"},
		{"usage", usageError{"no command given"}, 2, "papersearch: no command given\nRun 'papersearch help' for usage.\n"},
		{"locked index", fmt.Errorf("open index x: %w", search.ErrLocked), 2, "papersearch: open index x: index is locked by another process\n"},
		{"other failure", errors.New("disk on fire"), 2, "papersearch: disk on fire\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if got := exitCode(tt.err, &stderr); got != tt.want {
				t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
			if stderr.String() != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

// Mistakes on the command line exit with 2, say what is wrong, and do no
// work (none of these builds the demo index).
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no command", nil, "no command given"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"index without sources", []string{"index"}, "index needs at least one SOURCE"},
		{"index with a bad batch", []string{"index", "--batch", "0", "x.jsonl"}, "--batch must be at least 1"},
		{"index with an unknown flag", []string{"index", "--bogus", "x.jsonl"}, "flag provided but not defined: -bogus"},
		{"index with a missing topics file", []string{"index", "--topics", "testdata/missing.json", "x.jsonl"}, "open topics file"},
		{"index with a bad topics file", []string{"index", "--topics", "testdata/bad-topics.json", "x.jsonl"}, "testdata/bad-topics.json:"},
		{"search size over the limit", []string{"search", "--size", "1000", "q"}, "size must be between 1 and 100"},
		{"search with a bad sort", []string{"search", "--sort", "best"}, `not "best"`},
		{"search years reversed", []string{"search", "--year-from", "2025", "--year-to", "2020"}, "year_from 2025 is after year_to 2020"},
		{"search page not a number", []string{"search", "--page", "two"}, `invalid value "two" for flag -page`},
		{"search page too deep", []string{"search", "--page", "2000"}, "page*size must be at most 10000"},
		{"search page wraps round", []string{"search", "--page", "9223372036854775807", "pruning"}, "page*size must be at most 10000"},
		{"search page zero", []string{"search", "--page", "0"}, "page must be 1 or more, not 0"},
		{"search page negative", []string{"search", "--page", "-3", "q"}, "page must be 1 or more, not -3"},
		{"search size zero", []string{"search", "--size", "0", "q"}, "size must be between 1 and 100, not 0"},
		{"search unknown facet group", []string{"search", "--json", "--facets", "authors", "q"}, `"authors" is not one of them`},
		{"search facets twice", []string{"search", "--json", "--facets", "topic", "--facets", "year", "q"}, `invalid value "year" for flag -facets: given twice; give it once`},
		{"search year zero", []string{"search", "--year-from", "0"}, "year_from must be a year between 1000 and 9999, not 0"},
		{"search year out of range", []string{"search", "--year-to", "0001"}, "year_to must be a year between 1000 and 9999, not 0001"},
		{"search year not a number", []string{"search", "--year-to", "20x4"}, "year_to"},
		{"topics with arguments", []string{"topics", "extra"}, `topics takes no arguments, got ["extra"]`},
		{"serve with arguments", []string{"serve", "extra"}, `serve takes no arguments, got ["extra"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "index")
			args := tt.args
			if len(args) > 0 && args[0] != "frobnicate" {
				args = append(slices.Clone(args), "--index", dir)
			}
			r := runCLI(t, "", nil, args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2 (err %v)", r.code, r.err)
			}
			var ue usageError
			if !errors.As(r.err, &ue) {
				t.Errorf("error %v (%T) is not a usage error", r.err, r.err)
			}
			if r.err == nil || !strings.Contains(r.err.Error(), tt.wantErr) {
				t.Errorf("error %v, want it to say %q", r.err, tt.wantErr)
			}
			var stderr bytes.Buffer
			exitCode(r.err, &stderr)
			if !strings.Contains(stderr.String(), "Run 'papersearch help' for usage.") {
				t.Errorf("stderr %q does not point to help", stderr.String())
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			// One line says what is wrong; the flag list is for -h.
			if strings.Contains(r.stderr, "Usage of") || strings.Contains(r.stderr, "parse error") {
				t.Errorf("stderr repeats the error or lists the flags: %q", r.stderr)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("a usage error created the index %s", dir)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		r := runCLI(t, "", nil, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Usage:") || !strings.Contains(r.stdout, "papersearch search") {
			t.Errorf("%v: exit %d, stdout %q", args, r.code, r.stdout)
		}
	}
	// -h on a command prints that command's flags and is not an error.
	for _, cmd := range []string{"index", "search", "topics", "serve"} {
		r := runCLI(t, "", nil, cmd, "-h")
		if r.code != 0 || !strings.Contains(r.stderr, "-index string") {
			t.Errorf("%s -h: exit %d, stderr %q", cmd, r.code, r.stderr)
		}
	}
	r := runCLI(t, "", nil)
	if !strings.Contains(r.stderr, "Usage:") {
		t.Errorf("no command: stderr %q lacks the usage", r.stderr)
	}
	// help lists every flag of every command, as the README says.
	help := runCLI(t, "", nil, "help").stdout
	flagLine := regexp.MustCompile(`(?m)^  -([a-z-]+)`)
	for _, cmd := range []string{"serve", "index", "search", "topics", "similar", "eval", "backup", "compact", "bench"} {
		r := runCLI(t, "", nil, cmd, "-h")
		names := flagLine.FindAllStringSubmatch(r.stderr, -1)
		if len(names) == 0 {
			t.Errorf("%s -h lists no flags: %q", cmd, r.stderr)
		}
		for _, m := range names {
			if !strings.Contains(help, "--"+m[1]) {
				t.Errorf("help does not list %s --%s", cmd, m[1])
			}
		}
	}
}

func TestDefaultIndex(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"PAPERSEARCH_INDEX": "/srv/idx", "XDG_DATA_HOME": "/x", "HOME": "/h"}, "/srv/idx"},
		{map[string]string{"XDG_DATA_HOME": "/x", "HOME": "/h"}, "/x/papersearch/index"},
		{map[string]string{"HOME": "/h"}, "/h/.local/share/papersearch/index"},
		{map[string]string{}, "papersearch-index"},
	}
	for _, tt := range tests {
		e := &env{getenv: func(k string) string { return tt.env[k] }}
		if got := e.defaultIndex(); got != filepath.FromSlash(tt.want) {
			t.Errorf("defaultIndex with %v = %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantPos []string
		wantN   int
		wantJ   bool
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, 0, false},
		{[]string{"--json", "a"}, []string{"a"}, 0, true},
		{[]string{"a", "--json", "b", "--n", "3"}, []string{"a", "b"}, 3, true},
		// "--" ends the flags, wherever it is.
		{[]string{"a", "--", "--json", "-n"}, []string{"a", "--json", "-n"}, 0, false},
		{[]string{"--", "-x", "-y"}, []string{"-x", "-y"}, 0, false},
		{[]string{"--json", "--", "-n", "a"}, []string{"-n", "a"}, 0, true},
		{[]string{"--n", "2", "a", "b", "--", "--", "c"}, []string{"a", "b", "--", "c"}, 2, false},
		{nil, nil, 0, false},
	}
	for _, tt := range tests {
		fs := newFlagSet("t", io.Discard)
		j := fs.Bool("json", false, "")
		n := fs.Int("n", 0, "")
		pos, err := parseFlags(fs, tt.args)
		if err != nil {
			t.Errorf("parseFlags(%q): %v", tt.args, err)
			continue
		}
		if !slices.Equal(pos, tt.wantPos) || *n != tt.wantN || *j != tt.wantJ {
			t.Errorf("parseFlags(%q) = %q, n=%d, json=%v; want %q, %d, %v", tt.args, pos, *n, *j, tt.wantPos, tt.wantN, tt.wantJ)
		}
	}
}

func TestDisplayAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"127.0.0.1:8080", "localhost:8080"},
		{"[::1]:8080", "localhost:8080"},
		{"0.0.0.0:80", "localhost:80"},
		{"[::]:80", "localhost:80"},
		{"192.0.2.7:8080", "192.0.2.7:8080"},
	}
	for _, tt := range tests {
		addr, err := net.ResolveTCPAddr("tcp", tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := displayAddr(addr); got != tt.want {
			t.Errorf("displayAddr(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The API and similar take an arXiv id as people cite it.
func TestCanonicalID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2505.14260", "2505.14260"},
		{"2505.14260v2", "2505.14260"},
		{"arXiv:2505.14260v3", "2505.14260"},
		{"https://arxiv.org/abs/2505.14260v1", "2505.14260"},
		{"hep-th/9901001v2", "hep-th/9901001"},
		{"pruning-survey-1a2b3c", "pruning-survey-1a2b3c"},
	}
	for _, tt := range tests {
		if got := canonicalID(tt.in); got != tt.want {
			t.Errorf("canonicalID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
