package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// newFlagSet returns a flag set that reports errors as usageError.
func newFlagSet(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	return fs
}

// parseFlags parses flags that may come before, between or after the
// positional arguments ("search quantization --json"), which people type
// and the flag package alone refuses. "--" ends the flags. On an error it
// returns the positional arguments read before it, so that a command can
// say more about a bad flag that followed them.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	// The flag package prints a bad flag's error and every flag before
	// returning the error, which main prints again: only -h gets the list.
	out := fs.Output()
	fs.SetOutput(io.Discard)
	defer fs.SetOutput(out)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(out)
				fmt.Fprintf(out, "Usage of %s:\n", fs.Name())
				fs.PrintDefaults()
				return nil, err
			}
			return pos, usageError{err.Error()}
		}
		rest := fs.Args()
		// fs.Parse consumes a "--" itself and stops there, so it is seen
		// as the argument just before the rest.
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// unknownFlag is how the flag package starts its error about a flag that
// is not defined; it has no error value to match instead.
const unknownFlag = "flag provided but not defined: "

// excludeHint adds to the error about an unknown flag that followed query
// words how to leave out a word, which is what "search quantization
// -vision" meant. The flag stays refused: a mistyped flag read as an
// exclusion would search silently for something else.
func excludeHint(words []string, err error) error {
	var ue usageError
	if len(words) == 0 || !errors.As(err, &ue) {
		return err
	}
	flagArg, ok := strings.CutPrefix(ue.msg, unknownFlag)
	if !ok {
		return err
	}
	q := strings.Join(words, " ") + " " + flagArg
	return usageError{fmt.Sprintf("%s; to leave out papers with a word, quote the query (search %q) or put the words after -- (search -- %s)", ue.msg, q, q)}
}
