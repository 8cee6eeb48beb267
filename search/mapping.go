package search

import (
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
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
	// fieldTitleLen and fieldAbstractLen hold each field's length in
	// analyzed tokens, as a keyword, so that BM25's average field length
	// is a sum over a small dictionary (see corpusStats).
	fieldTitleLen    = "title_len"
	fieldAbstractLen = "abstract_len"
	// fieldMeta stores the whole paper, compressed (encodeStored),
	// unindexed, so that a hit is rebuilt from one stored field instead of
	// a dozen.
	fieldMeta = "meta"
)

// analyzerProse analyses titles and abstracts: Unicode word boundaries,
// possessives dropped, lower case, English stop words, and the Snowball
// English (Porter2) stemmer, which ranked better than Porter's on our judged
// collections. It is built from parts that give Bleve's terms, positions
// and offsets faster: the ASCII fast-path tokenizer and the caching stemmer
// (analyzer_test.go holds them to Bleve's answer).
const analyzerProse = "papersearch_prose"

// analyzerName is the analyzer for names: split and lowercase, but no
// stemming or stop words, so "Li" and "The" survive in author searches.
const analyzerName = "papersearch_name"

// schemaVersion changes whenever the mapping or the stored document changes
// in a way an older papersearch cannot serve. Open refuses an index of any
// other version but those in olderSchemas.
//
// Schema 7 is schema 6 with papers stored in the s2 form (see stored.go),
// which papersearch reads beside the zstd form of schema 6. A schema 6
// index is served as it is and becomes schema 7 with its first write (in
// the same commit), so that an older papersearch, which cannot read the new
// form, refuses it rather than failing on every paper written since.
const schemaVersion = "7"

// olderSchemas are the earlier schema versions Open still serves.
var olderSchemas = []string{"6"}

// IsStopWord reports whether the prose analyzer drops word, given in lower
// case ("the", "cannot"): a query of nothing but such words has nothing to
// search for, and Search refuses it.
func IsStopWord(word string) bool {
	_, ok := proseStopWords()[word]
	return ok
}

// proseStopWords is the list of the stop filter of analyzerProse.
var proseStopWords = sync.OnceValue(func() analysis.TokenMap {
	tm := analysis.NewTokenMap()
	if err := tm.LoadBytes(en.EnglishStopWords); err != nil {
		// The list is Bleve's, compiled in: it always loads.
		return analysis.NewTokenMap()
	}
	return tm
})

func newMapping() (*mapping.IndexMappingImpl, error) {
	im := bleve.NewIndexMapping()
	im.ScoringModel = "bm25"
	im.DefaultAnalyzer = analyzerProse
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
	err = im.AddCustomAnalyzer(analyzerProse, map[string]any{
		"type":          custom.Name,
		"tokenizer":     asciiTokenizerName,
		"token_filters": []string{en.PossessiveName, lowercase.Name, en.StopName, cachedSnowballName},
	})
	if err != nil {
		return nil, err
	}

	prose := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = analyzerProse
		// The stored paper in meta has the text.
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

	// Dates and upvotes are keywords too ("2024-07-01", "12"): the
	// collector reads them from columns (columns.go) and Bleve never
	// sorts or ranges on them, so one term each does what a Bleve number
	// or date does with sixteen (one per precision), a sixth of a build.
	for _, name := range []string{fieldTopics, fieldCategories, fieldYear, fieldPublished, fieldUpvotes} {
		doc.AddFieldMappingsAt(name, keywordField())
	}
	for _, name := range []string{fieldTitleLen, fieldAbstractLen} {
		f := keywordField()
		f.DocValues = false
		doc.AddFieldMappingsAt(name, f)
	}

	meta := bleve.NewTextFieldMapping()
	meta.Index = false
	meta.Store = true
	meta.IncludeInAll = false
	meta.IncludeTermVectors = false
	meta.DocValues = false
	doc.AddFieldMappingsAt(fieldMeta, meta)

	// No "_all" field: every search names its fields, and building the
	// empty composite still cost a twelfth of a build.
	doc.AddSubDocumentMapping("_all", &mapping.DocumentMapping{Enabled: false})
	im.DefaultMapping = doc
	return im, nil
}
