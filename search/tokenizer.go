package search

import (
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"
)

// asciiTokenizerName is Bleve's unicode tokenizer with a fast path for
// ASCII text, which is nearly all of what papers say: it splits ASCII
// exactly as Unicode word segmentation (UAX #29, as the segment package
// implements it) does, and hands anything else to the unicode tokenizer.
// Bleve's tokenizer was a seventh of the CPU time of a build.
const asciiTokenizerName = "papersearch_unicode"

func init() {
	err := registry.RegisterTokenizer(asciiTokenizerName, func(map[string]any, *registry.Cache) (analysis.Tokenizer, error) {
		return &asciiTokenizer{fallback: unicode.NewUnicodeTokenizer()}, nil
	})
	if err != nil {
		panic(err)
	}
}

type asciiTokenizer struct {
	fallback analysis.Tokenizer
}

// Word-break classes of ASCII bytes.
const (
	wbOther   = iota
	wbLetter  // ALetter
	wbDigit   // Numeric
	wbUnder   // ExtendNumLet
	wbMidL    // MidLetter: joins letters
	wbMidN    // MidNum: joins digits
	wbMidBoth // MidNumLet and Single_Quote: join either
)

var wordBreak = func() (t [128]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = wbLetter, wbLetter
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = wbDigit
	}
	t['_'] = wbUnder
	t[':'] = wbMidL
	t[','], t[';'] = wbMidN, wbMidN
	t['.'], t['\''] = wbMidBoth, wbMidBoth
	return t
}()

func (t *asciiTokenizer) Tokenize(input []byte) analysis.TokenStream {
	for _, c := range input {
		if c >= 0x80 {
			return t.fallback.Tokenize(input)
		}
	}
	return asciiTokens(input, nil)
}

// asciiTokens tokenizes ASCII input. With leads not nil, it makes tokens
// only of the words leads keeps (the others still take their positions):
// the highlighter looks for a few terms in the whole text of a paper, and
// making a token of every word was most of what a search allocated.
func asciiTokens(input []byte, leads *leadSet) analysis.TokenStream {
	// One allocation for the tokens, sized by a cheap over-estimate: a
	// token starts wherever a word byte follows a non-word byte. The
	// highlighter's few tokens grow as they come: counting was two fifths
	// of its tokenizing.
	n := 8
	if leads == nil {
		n = 0
		prevWord := false
		for _, c := range input {
			w := wordByte[c]
			if w && !prevWord {
				n++
			}
			prevWord = w
		}
	}
	tokens := make([]analysis.Token, 0, n)
	out := make(analysis.TokenStream, 0, n)
	pos := 1
	for i := 0; i < len(input); {
		cls := wordBreak[input[i]]
		if cls < wbLetter || cls > wbUnder {
			i++
			continue
		}
		start := i
		letters := false
		for i < len(input) {
			switch wordBreak[input[i]] {
			case wbLetter:
				letters = true
				i++
				continue
			case wbDigit, wbUnder:
				i++
				continue
			case wbMidL, wbMidN, wbMidBoth:
				// A middle character stays inside a word only between two
				// letters (MidLetter, MidNumLet, Single_Quote) or two
				// digits (MidNum, MidNumLet, Single_Quote).
				if i+1 < len(input) {
					prev, next := wordBreak[input[i-1]], wordBreak[input[i+1]]
					mid := wordBreak[input[i]]
					if (prev == wbLetter && next == wbLetter && mid != wbMidN) ||
						(prev == wbDigit && next == wbDigit && mid != wbMidL) {
						i += 2
						if next == wbLetter {
							letters = true
						}
						continue
					}
				}
			}
			break
		}
		if leads != nil && !leads.keeps(input[start:i]) {
			pos++
			continue
		}
		typ := analysis.AlphaNumeric
		if !letters && hasDigit(input[start:i]) {
			typ = analysis.Numeric
		}
		// When tokens grows, the tokens out points to stay where they
		// were, whole.
		tokens = append(tokens, analysis.Token{Term: input[start:i], Start: start, End: i, Position: pos, Type: typ})
		out = append(out, &tokens[len(tokens)-1])
		pos++
	}
	return out
}

// wordByte says which bytes are letters, digits or underscores.
var wordByte = func() (t [256]bool) {
	for c, cls := range wordBreak {
		t[c] = cls >= wbLetter && cls <= wbUnder
	}
	return t
}()

func hasDigit(b []byte) bool {
	for _, c := range b {
		if c >= '0' && c <= '9' {
			return true
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
