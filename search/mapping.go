package search

import (
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/mapping"
)

// Field names in the Bleve document. They are internal: the public names are
// Paper's JSON tags.
const (
	fieldTitle      = "title"
	fieldAbstract   = "abstract"
	fieldAuthors    = "authors"
	fieldTopics     = "topics"
	fieldCategories = "categories"
	fieldYear       = "year"
	fieldPublished  = "published"
	fieldUpvotes    = "upvotes"
	// fieldDoc stores the whole paper, unindexed (see stored.go), so that a
	// hit is rebuilt from one stored field instead of a dozen.
	fieldDoc = "doc"
)

// analyzerName is the analyzer for names: split and lowercase, but no
// stemming or stop words, so "Li" and "The" survive in author searches.
const analyzerName = "papersearch_name"

// proseAnalyzer is Bleve's "en" analyzer (possessives, lower case, English
// stop words, Porter stems) built from faster parts that give the same
// terms: the ASCII fast-path tokenizer and the caching stemmer.
const proseAnalyzer = "papersearch_en"

// schemaVersion changes whenever the mapping or the stored document changes
// in a way an older index cannot serve. Open refuses a mismatch.
const schemaVersion = "2"

func newMapping() (*mapping.IndexMappingImpl, error) {
	im := bleve.NewIndexMapping()
	im.ScoringModel = "bm25"
	im.DefaultAnalyzer = proseAnalyzer
	im.StoreDynamic = false
	im.IndexDynamic = false
	im.DocValuesDynamic = false
	err := im.AddCustomAnalyzer(analyzerName, map[string]any{
		"type":          custom.Name,
		"tokenizer":     asciiTokenizerName,
		"token_filters": []string{lowercase.Name},
	})
	if err != nil {
		return nil, err
	}
	err = im.AddCustomAnalyzer(proseAnalyzer, map[string]any{
		"type":          custom.Name,
		"tokenizer":     asciiTokenizerName,
		"token_filters": []string{en.PossessiveName, lowercase.Name, en.StopName, cachedPorterName},
	})
	if err != nil {
		return nil, err
	}

	prose := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = proseAnalyzer
		f.Store = false
		// Term vectors give the highlighter its match positions and phrase
		// queries their adjacency.
		f.IncludeTermVectors = true
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	keywordField := func() *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = true // facets read doc values
		return f
	}

	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(fieldTitle, prose())
	doc.AddFieldMappingsAt(fieldAbstract, prose())

	authors := bleve.NewTextFieldMapping()
	authors.Analyzer = analyzerName
	authors.Store = false
	authors.IncludeInAll = false
	authors.IncludeTermVectors = true
	authors.DocValues = false
	doc.AddFieldMappingsAt(fieldAuthors, authors)

	doc.AddFieldMappingsAt(fieldTopics, keywordField())
	doc.AddFieldMappingsAt(fieldCategories, keywordField())
	doc.AddFieldMappingsAt(fieldYear, keywordField())

	// The date and the upvotes are keywords that sort as they read
	// ("2024-07-07", "0000000012"): one term each, where Bleve's date and
	// number fields index sixteen, and filters and sorts run on columns
	// (columns.go) rather than on Bleve's range queries.
	doc.AddFieldMappingsAt(fieldPublished, keywordField())
	doc.AddFieldMappingsAt(fieldUpvotes, keywordField())

	stored := bleve.NewTextFieldMapping()
	stored.Index = false
	stored.Store = true
	stored.IncludeInAll = false
	stored.IncludeTermVectors = false
	stored.DocValues = false
	doc.AddFieldMappingsAt(fieldDoc, stored)

	// No query reads the composite _all field; without it each document
	// is one field lighter to index.
	doc.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping())

	im.DefaultMapping = doc
	return im, nil
}
