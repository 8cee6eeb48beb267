// Command papersearch indexes research papers and searches them from a
// terminal, a script or a browser.
//
//	papersearch serve   [--index DIR] [--addr HOST:PORT] [--cors-origins LIST] [--log-format text|json]
//	papersearch index   [--index DIR] [--topics FILE] [--format NAME] SOURCE...
//	papersearch search  [--index DIR] [--topic SLUG]... [--json] [QUERY...]
//	papersearch topics  [--index DIR] [--json]
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
		return exitRejected
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
        Serve the search page and the JSON API. With no index yet, build
        one from the demo corpus built into the binary.
  papersearch index   [--index DIR] [--topics FILE] [--format NAME] [--batch N] SOURCE...
        Add or update papers from files, "-" (stdin) or .gz files.
  papersearch search  [--index DIR] [--topic SLUG]... [--category CAT]...
                      [--year-from Y] [--year-to Y] [--sort relevance|newest|oldest|upvotes]
                      [--size N] [--page N | --cursor C] [--json] [QUERY...]
        Search from a terminal; --json prints what GET /api/search returns.
  papersearch topics  [--index DIR] [--json]
        List the topics with how many papers carry each.
  papersearch bench   --corpus FILE [--docs N] [--synthesize N] [--emit FILE] [--emit-queries FILE]
                      [--clients C] [--duration D] [--batch N] [--seed S] [--keep DIR] [--json]
        Build a fresh index from FILE (or from N synthetic papers modelled on
        it) in a temporary directory, then query it for D from C clients;
        report build time, papers/s, index size, peak RSS, q/s and latency.

Environment:
  PAPERSEARCH_INDEX   default for --index (now: the platform's data directory)
  PAPERSEARCH_ADDR    default for --addr (localhost:8080)
  PAPERSEARCH_CORS_ORIGINS  default for --cors-origins (none)
  PAPERSEARCH_LOG_FORMAT    default for --log-format (text)
  PAPERSEARCH_DEBUG   set to log debug messages

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
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
