package main

import (
	"context"
	"flag"
	"fmt"
	"html"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/papersearch/papersearch/api"
	"github.com/papersearch/papersearch/search"
)

func (e *env) search(ctx context.Context, args []string) error {
	fs := newFlagSet("search", e.stderr)
	dir := fs.String("index", e.defaultIndex(), "index directory (env PAPERSEARCH_INDEX)")
	var topics, cats stringList
	fs.Var(&topics, "topic", "only papers with this topic slug (repeat for any of several)")
	fs.Var(&cats, "category", "only papers in this arXiv category (repeat for any of several)")
	// Years are read by the API's parser, in base 10 and with its
	// messages: flag's Int reads 0001 as octal.
	fs.String("year-from", "", "only papers published in or after this year")
	fs.String("year-to", "", "only papers published in or before this year")
	sort := fs.String("sort", "", "relevance, newest, oldest or upvotes (default relevance; newest without a query)")
	size := fs.Int("size", search.DefaultSize, "results per page")
	page := fs.Int("page", 1, "page number")
	cursor := fs.String("cursor", "", "continue from the next_cursor of an earlier --json answer to the same search")
	asJSON := fs.Bool("json", false, "print the JSON body GET /api/search returns")
	expand := fs.Bool("expand", true, "also search acronyms' long forms, synonyms, other spellings (--expand=false: only what was typed)")
	correct := fs.Bool("correct", true, "correct words found nowhere in the index")
	explain := fs.Bool("explain", false, "explain each hit's score")
	var facets onceString
	fs.Var(&facets, "facets", "with --json, the facet groups to count: some of topic,year,category (or topics,years,categories), or none (default all)")
	words, err := parseFlags(fs, args)
	if err != nil {
		return excludeHint(words, err)
	}
	req := search.Request{
		Query: strings.Join(words, " "), Topics: topics, Categories: cats,
		Sort: *sort, Size: *size, Page: *page, Cursor: *cursor,
		NoExpand: !*expand, NoCorrect: !*correct, Explain: *explain,
	}
	// The same validation as the API, so the CLI refuses what the API does.
	// Values leaves out what a request takes as its default (0, or a page
	// below 2): a number flag goes in as given, as page=0 would, and is
	// refused the same way.
	v := api.Values(req)
	fs.Visit(func(f *flag.Flag) {
		if name, ok := numberParams[f.Name]; ok {
			v.Set(name, f.Value.String())
		}
	})
	if facets.value != "" {
		v.Set("facets", facets.value)
	}
	parsed, err := api.ParseSearch(v)
	if err != nil {
		return usageError{err.Error()}
	}
	req.YearFrom, req.YearTo = parsed.YearFrom, parsed.YearTo
	// The listing for people shows no facets, so it counts none.
	req.NoFacets = parsed.NoFacets
	if !*asJSON {
		req.NoFacets = slices.Clone(search.FacetGroups)
	}
	idx, err := e.openToRead(ctx, *dir)
	if err != nil {
		return err
	}
	defer idx.Close()
	res, err := idx.Search(ctx, req)
	if err != nil {
		return err
	}
	if *asJSON {
		b, err := api.Marshal(api.NewSearchResponse(res))
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(b)
		return err
	}
	bold := false
	if f, ok := e.stdout.(*os.File); ok {
		bold = isTerminal(f)
	}
	printResults(e.stdout, res, bold)
	return nil
}

// numberParams are the API parameters of search's number flags.
var numberParams = map[string]string{"page": "page", "size": "size", "year-from": "year_from", "year-to": "year_to"}

var markTags = regexp.MustCompile(`</?mark>`)

// terminalText turns a highlight fragment into terminal text: matches in
// bold where the output is a terminal-like writer, markup removed.
func terminalText(frag string, bold bool) string {
	on, off := "", ""
	if bold {
		on, off = "\033[1m", "\033[0m"
	}
	s := markTags.ReplaceAllStringFunc(frag, func(t string) string {
		if t == "<mark>" {
			return on
		}
		return off
	})
	return html.UnescapeString(s)
}

func printResults(w io.Writer, res search.Result, bold bool) {
	first := (res.Page-1)*res.Size + 1
	fmt.Fprint(w, plural(int(res.Total), "paper"))
	if res.Query != "" {
		fmt.Fprintf(w, " for %q", res.Query)
	}
	if len(res.Hits) > 0 {
		fmt.Fprintf(w, ", showing %d-%d", first, first+len(res.Hits)-1)
	}
	fmt.Fprintf(w, " (%.1f ms)\n", float64(res.Took.Microseconds())/1000)
	if res.CorrectedQuery != "" {
		fmt.Fprintf(w, "Showing results for %q\n", res.CorrectedQuery)
	}
	for _, e := range res.Expansions {
		fmt.Fprintf(w, "Also searched %s for %q\n", quoteAll(e.To), e.From)
	}
	for _, n := range res.Notices {
		fmt.Fprintf(w, "Note: %s\n", n)
	}
	for i, h := range res.Hits {
		p := h.Paper
		fmt.Fprintf(w, "\n%d. %s\n", first+i, terminalText(h.Highlights["title"][0], bold))
		meta := []string{p.ID}
		if p.Published != "" {
			meta = append(meta, p.Published)
		}
		if p.AuthorCount > 0 {
			meta = append(meta, plural(p.AuthorCount, "author"))
		}
		if p.Upvotes > 0 {
			meta = append(meta, plural(p.Upvotes, "upvote"))
		}
		if len(p.Topics) > 0 {
			meta = append(meta, "topics: "+strings.Join(p.Topics, ", "))
		}
		fmt.Fprintf(w, "   %s\n", strings.Join(meta, " · "))
		fmt.Fprintf(w, "   %s\n", terminalText(strings.Join(h.Highlights["abstract"], " … "), bold))
		for _, r := range h.Explanation {
			fmt.Fprintf(w, "     %7.4f  %s\n", r.Score, r.Why)
		}
	}
}

func quoteAll(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

func (e *env) topics(ctx context.Context, args []string) error {
	fs := newFlagSet("topics", e.stderr)
	dir := fs.String("index", e.defaultIndex(), "index directory (env PAPERSEARCH_INDEX)")
	asJSON := fs.Bool("json", false, "print the JSON body GET /api/topics returns")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usageError{fmt.Sprintf("topics takes no arguments, got %q", rest)}
	}
	idx, err := e.openToRead(ctx, *dir)
	if err != nil {
		return err
	}
	defer idx.Close()
	resp, err := api.Topics(ctx, idx, nil)
	if err != nil {
		return err
	}
	if *asJSON {
		b, err := api.Marshal(resp)
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(b)
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "SLUG\tPAPERS\tLABEL\n")
	for _, t := range resp.Topics {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", t.Slug, t.Count, t.Label)
	}
	fmt.Fprintf(tw, "\t%d\tpapers in the index\n", resp.Papers)
	return tw.Flush()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
