// Package ui holds the search page's templates and static files, embedded
// in the binary so that papersearch runs from one file with no build step.
package ui

import (
	"embed"
	"html/template"
	"io/fs"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Templates parses the page templates. Paper text is untrusted, so they are
// html/template's, which escape everything not explicitly marked safe.
func Templates() (*template.Template, error) {
	return template.New("").ParseFS(templateFS, "templates/*.html")
}

// Static returns the files served under /static/.
func Static() fs.FS {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		// "static" is embedded above; fs.Sub fails only on an invalid name.
		panic(err)
	}
	return sub
}

// Highlighted marks a highlight fragment as HTML. This is the one place
// paper text becomes trusted markup, and it is sound because fragments come
// only from package search, which HTML-escapes the paper text and adds
// nothing but <mark> and </mark> (Bleve's html fragment formatter and
// search.Snippet both escape before marking).
func Highlighted(fragment string) template.HTML {
	return template.HTML(fragment) //nolint:gosec // escaped by package search, see above
}
