// Command papersearch indexes research papers and searches them from a
// terminal, a script or a browser.
//
//	papersearch serve   [--index DIR] [--addr HOST:PORT] [--cors-origins LIST] [--log-format text|json]
//	papersearch index   [--index DIR] [--topics FILE] [--format NAME] SOURCE...
//	papersearch search  [--index DIR] [--topic SLUG]... [--json] [QUERY...]
//	papersearch topics  [--index DIR] [--json]
//	papersearch similar [--index DIR] [--size N] [--json] ID
//	papersearch eval    --corpus FILE --queries FILE --qrels FILE [--k 10] [--json] [--run FILE]
//	papersearch backup  [--index DIR] --to DIR [--via URL]
//	papersearch compact [--index DIR]
//	papersearch bench   --corpus FILE [--synthesize N] [--clients C] [--duration D] [--json]
//
// Run "papersearch help" for every flag.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// Exit statuses.
const (
	exitOK       = 0
	exitRejected = 1 // some records were rejected; the rest were indexed
	exitUsage    = 2 // bad arguments, or a source or index that cannot be used
	// exitInterrupted is the shell's status for a command that SIGINT
	// stopped (128+2), so that a script can tell Ctrl-C from rejects.
	exitInterrupted = 130
)

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// errRejected means a run finished but skipped bad records.
var errRejected = errors.New("some records were rejected")

func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		// "papersearch CMD -h": the flag set has printed its usage.
		return exitOK
	case errors.Is(err, errRejected):
		return exitRejected
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "papersearch: interrupted")
		return exitInterrupted
	}
	fmt.Fprintln(stderr, "papersearch:", err)
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, "Run 'papersearch help' for usage.")
	}
	return exitUsage
}

// env is the process environment, passed in so that tests can set it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	log            *slog.Logger
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	e.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: e.logLevel()}))
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return e.serve(ctx, rest)
	case "index":
		return e.index(ctx, rest)
	case "search":
		return e.search(ctx, rest)
	case "topics":
		return e.topics(ctx, rest)
	case "eval":
		return e.eval(ctx, rest)
	case "similar":
		return e.similar(ctx, rest)
	case "backup":
		return e.backup(ctx, rest)
	case "compact":
		return e.compact(ctx, rest)
	case "bench":
		return e.bench(ctx, rest)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

const usage = `papersearch: full-text search for research papers

Usage:
  papersearch serve   [--index DIR] [--addr HOST:PORT] [--cors-origins LIST] [--log-format text|json]
                      [--topics FILE] [--search-timeout 2s] [--max-searches N] [--max-body BYTES]
                      [--rate-limit N] [--rate-burst N] [--rate-limit-loopback] [--trusted-proxies LIST]
        Serve the search page and the JSON API. With no index yet, build
        one from the demo corpus built into the binary. With
        PAPERSEARCH_ADMIN_KEY set, also accept POST /api/papers,
        DELETE /api/papers/{id} and POST /api/admin/backup.
  papersearch index   [--index DIR] [--topics FILE] [--format NAME] [--batch N]
                      [--log-commits] [--allow-private-urls] [--replace] [--delete] SOURCE...
        Add or update papers from files, directories, URLs, "-" (stdin) or
        .gz files; a record merges into the stored paper of its id, or with
        --replace takes its place; with --delete, remove the papers whose
        ids are given.
  papersearch search  [--index DIR] [--topic SLUG]... [--category CAT]...
                      [--year-from Y] [--year-to Y] [--sort relevance|newest|oldest|upvotes]
                      [--size N] [--page N | --cursor C] [--expand=false] [--correct=false] [--explain]
                      [--json [--facets topic,year,category|none]] [QUERY...]
        Search from a terminal; --json prints what GET /api/search returns,
        with the facet groups --facets names (default all).
        QUERY: words, "phrases", +required -excluded, title: abstract:
        author: topic: category: year:2023..2025, quant*, word~1,
        AND OR NOT (in capitals) and parentheses. Flags may come before or
        after the words; to leave a word out, quote the query
        (search "quantization -vision") or put the words after --.
  papersearch topics  [--index DIR] [--json]
        List the topics with how many papers carry each.
  papersearch similar [--index DIR] [--size N] [--json] ID
        List the papers most like one paper (title and abstract terms, topics).
  papersearch eval    --corpus FILE --queries FILE --qrels FILE [--k 10] [--json] [--run FILE]
        Index a judged collection (BEIR or TREC files) in a temporary
        directory, run its queries and print nDCG@k, MAP, Recall@100, MRR@k.
  papersearch backup  [--index DIR] --to DIR [--via URL]
        Copy the index, consistently, to a new directory; an index that
        serve holds is copied through its API (needs the admin key).
  papersearch compact [--index DIR]
        Merge the index into as few segments as it can (one per 100,000
        papers): smaller and faster to search. Stop serve first.
  papersearch bench   --corpus FILE [--docs N] [--synthesize N] [--emit FILE] [--emit-queries FILE]
                      [--clients C] [--duration D] [--batch N] [--seed S] [--keep DIR]
                      [--index DIR] [--search-timeout 2s] [--slowest N] [--facets LIST] [--cpuprofile FILE]
                      [--json]
        Build a fresh index from FILE (or from N synthetic papers modelled on
        it) in a temporary directory, then query it for D from C clients;
        report build time, papers/s, index size, peak RSS, q/s and latency.
        --index DIR skips the build and queries DIR with FILE's query mix.

Environment:
  PAPERSEARCH_INDEX           default for --index (now: the platform's data directory)
  PAPERSEARCH_ADDR            default for --addr (localhost:8080)
  PAPERSEARCH_CORS_ORIGINS    default for --cors-origins (none)
  PAPERSEARCH_LOG_FORMAT      default for --log-format (text)
  PAPERSEARCH_ADMIN_KEY       enables writes and backups on serve; at least 32 bytes
  PAPERSEARCH_SEARCH_TIMEOUT  default for --search-timeout
  PAPERSEARCH_MAX_SEARCHES    default for --max-searches (one per CPU)
  PAPERSEARCH_MAX_BODY        default for --max-body (1 MiB)
  PAPERSEARCH_RATE_LIMIT      default for --rate-limit (10 per second per client)
  PAPERSEARCH_TRUSTED_PROXIES default for --trusted-proxies (none)
  PAPERSEARCH_DEBUG           set to log debug messages

Exit status: 0 success, 1 some records rejected, 2 usage error or unusable source.
`

func (e *env) logLevel() slog.Level {
	if e.getenv("PAPERSEARCH_DEBUG") != "" {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// newLogger builds the logger for --log-format: text for people, json for
// log collectors (one object a line).
func newLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Sprintf("--log-format must be text or json, not %q", format)}
}

// defaultIndex is where the index lives unless told otherwise.
func (e *env) defaultIndex() string {
	if v := e.getenv("PAPERSEARCH_INDEX"); v != "" {
		return v
	}
	if d := e.getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "papersearch", "index")
	}
	if h := e.getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "papersearch", "index")
	}
	return "papersearch-index"
}

// stringList is a repeatable flag.
// onceString is a flag that may be given once, as the API's parameter of
// the same name: a second value is an error, not silently the one used.
type onceString struct {
	value string
	set   bool
}

func (s *onceString) String() string { return s.value }
func (s *onceString) Set(v string) error {
	if s.set {
		return errors.New("given twice; give it once")
	}
	s.value, s.set = v, true
	return nil
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
