package search

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	index "github.com/blevesearch/bleve_index_api"
)

// The vocabulary is every word written in a title or an abstract, lower-cased
// but not stemmed: prefixes ("quantiza*"), fuzzy words, spelling correction
// and suggestions work on real words, not stems. It is a file beside the
// index, not an index field: indexing every paper's words took two fifths
// of a build's CPU and 15% of the index, where the vocabulary of 74,728
// papers is a few megabytes.
//
// A word is counted by its stem's papers in title and abstract, never by
// the file. That keeps counts right without taking words out of the file:
// a batch appends its new words (and syncs them) before it commits, so the
// file holds every word of every committed paper; a word whose papers are
// all deleted counts nothing, and a word a failed or crashed batch appended
// is a harmless extra.

// vocabFile is the vocabulary's file in the index directory: one word per
// line, with the number of papers that had it as written after a tab. A
// batch appends its new words; closing the index rewrites the file with the
// counts of every word. Those counts only choose which written form of a
// stem to show ("quantization" rather than "quantize"): they are not kept
// right under deletes, and a crash loses what they gained since the index
// was opened.
const vocabFile = "papersearch.vocab"

type vocabulary struct {
	path string
	mu   sync.Mutex
	// f appends to the file; nil when the index is open read-only.
	f *os.File
	// seen counts the papers that had each word as written.
	seen  map[string]int64
	dirty bool // seen changed since the file was last rewritten
	// sorted is the words in order as of the last look-up, and fresh the
	// words added since; a look-up merges them. sorted is never written
	// in place, so a look-up can read its copy without the lock.
	sorted []string
	fresh  []string
	// folds maps the ASCII form of each word written with letters outside
	// ASCII to those words (renyi: rényi), so that a word typed either way
	// finds the other. foldKeys are its keys in order, for prefixes, made
	// again when a key was added since (foldKeysStale).
	folds         map[string][]string
	foldKeys      []string
	foldKeysStale bool
}

// openVocabulary reads the vocabulary of the index at dir. A last line
// without its newline is a write a crash cut short: it is dropped (and, when
// writable, cut from the file, so that the next word starts a line of its
// own). found is false when there is no file.
func openVocabulary(dir string, writable bool) (v *vocabulary, found bool, err error) {
	path := filepath.Join(dir, vocabFile)
	v = &vocabulary{path: path, seen: map[string]int64{}, folds: map[string][]string{}}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		err = nil
	case err != nil:
		return nil, false, fmt.Errorf("read vocabulary %s: %w", path, err)
	default:
		found = true
	}
	whole := b[:bytes.LastIndexByte(b, '\n')+1]
	for line := range bytes.Lines(whole) {
		w, n, _ := strings.Cut(string(line[:len(line)-1]), "\t")
		if w == "" {
			continue
		}
		c, _ := strconv.ParseInt(n, 10, 64)
		if _, ok := v.seen[w]; !ok {
			v.sorted = append(v.sorted, w)
			v.addFoldLOCKED(w)
		}
		v.seen[w] += max(c, 0)
	}
	slices.Sort(v.sorted)
	if !writable {
		return v, found, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("open vocabulary %s: %w", path, err)
	}
	if len(whole) < len(b) {
		if err := f.Truncate(int64(len(whole))); err != nil {
			f.Close()
			return nil, false, fmt.Errorf("repair vocabulary %s: %w", path, err)
		}
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("open vocabulary %s: %w", path, err)
	}
	v.f = f
	return v, found, nil
}

// add records the words of a batch about to be committed: its new words go
// to disk first.
func (v *vocabulary) add(words *wordSet) error {
	if words == nil || len(words.tally) == 0 {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	var buf bytes.Buffer
	var added []string
	for w, t := range words.tally {
		if _, ok := v.seen[w]; ok || !usableWord(w) {
			continue
		}
		fmt.Fprintf(&buf, "%s\t%d\n", w, t.papers)
		added = append(added, w)
	}
	if len(added) > 0 {
		if v.f == nil {
			return fmt.Errorf("add to vocabulary %s: %w", v.path, errReadOnly)
		}
		if _, err := v.f.Write(buf.Bytes()); err != nil {
			return fmt.Errorf("add to vocabulary %s: %w", v.path, err)
		}
		if err := v.f.Sync(); err != nil {
			return fmt.Errorf("add to vocabulary %s: %w", v.path, err)
		}
	}
	for w, t := range words.tally {
		if _, ok := v.seen[w]; ok {
			v.seen[w] += int64(t.papers)
			v.dirty = true
		}
	}
	for _, w := range added {
		v.seen[w] = int64(words.tally[w].papers)
		v.addFoldLOCKED(w)
	}
	v.fresh = append(v.fresh, added...)
	return nil
}

// usableWord keeps out of the file what would break its lines.
func usableWord(w string) bool {
	return w != "" && utf8.ValidString(w) && !strings.ContainsAny(w, "\n\r\t")
}

// has reports whether w was ever written in a title or abstract.
func (v *vocabulary) has(w string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	_, ok := v.seen[w]
	return ok
}

// addFoldLOCKED files a new word under its ASCII form, if it has another.
func (v *vocabulary) addFoldLOCKED(w string) {
	if f := foldASCII(w); f != w {
		if _, ok := v.folds[f]; !ok {
			v.foldKeysStale = true
		}
		v.folds[f] = append(v.folds[f], w)
	}
}

// otherAccents returns the words written as w but for accents and other
// letters outside ASCII (rényi and renyi; naïve and naive), w's ASCII form
// among them whether or not anyone wrote it: the caller checks the index.
func (v *vocabulary) otherAccents(w string) []string {
	f := foldASCII(w)
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	if f != w {
		out = append(out, f)
	}
	for _, o := range v.folds[f] {
		if o != w {
			out = append(out, o)
		}
	}
	return out
}

// foldASCII is w with its letters outside ASCII replaced by their ASCII
// forms where they have one (é: e, ß: ss), as Bleve's asciifolding does.
func foldASCII(w string) string {
	if strings.IndexFunc(w, func(r rune) bool { return r >= utf8.RuneSelf }) < 0 {
		return w
	}
	return string(asciifolding.New().Filter([]byte(w)))
}

// seenIn returns how many papers had each word as written.
func (v *vocabulary) seenIn(words []string) []int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]int64, len(words))
	for i, w := range words {
		out[i] = v.seen[w]
	}
	return out
}

// commonest returns the n words the most papers had, the commonest first.
// It sorts a copy: every query's spelling check takes the lock.
func (v *vocabulary) commonest(n int) []string {
	type wordCount struct {
		word  string
		count int64
	}
	v.mu.Lock()
	counts := make([]wordCount, 0, len(v.seen))
	for w, c := range v.seen {
		counts = append(counts, wordCount{w, c})
	}
	v.mu.Unlock()
	slices.SortFunc(counts, func(a, b wordCount) int {
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		return strings.Compare(a.word, b.word)
	})
	words := make([]string, min(n, len(counts)))
	for i := range words {
		words[i] = counts[i].word
	}
	return words
}

// words returns every word, in order.
func (v *vocabulary) words() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.sortedLOCKED()
}

func (v *vocabulary) sortedLOCKED() []string {
	if len(v.fresh) > 0 {
		slices.Sort(v.fresh)
		merged := make([]string, 0, len(v.sorted)+len(v.fresh))
		i, j := 0, 0
		for i < len(v.sorted) && j < len(v.fresh) {
			if v.sorted[i] < v.fresh[j] {
				merged = append(merged, v.sorted[i])
				i++
			} else {
				merged = append(merged, v.fresh[j])
				j++
			}
		}
		merged = append(merged, v.sorted[i:]...)
		merged = append(merged, v.fresh[j:]...)
		v.sorted, v.fresh = merged, nil
	}
	return v.sorted
}

// withPrefixAnyAccents is withPrefix, then the words that start with
// prefix once both are written without accents: schrod* finds
// Schrödinger, and schröd* Schrodinger, as their words do. The words that
// start with prefix as typed come first, so that a caller keeping only the
// first few keeps them.
func (v *vocabulary) withPrefixAnyAccents(prefix string) []string {
	out := v.withPrefix(prefix)
	f := foldASCII(prefix)
	var more []string
	if f != prefix {
		more = append(more, v.withPrefix(f)...)
	}
	v.mu.Lock()
	if v.foldKeysStale {
		v.foldKeys = slices.Sorted(maps.Keys(v.folds))
		v.foldKeysStale = false
	}
	i, _ := slices.BinarySearch(v.foldKeys, f)
	for _, ascii := range v.foldKeys[i:] {
		if !strings.HasPrefix(ascii, f) {
			break
		}
		for _, w := range v.folds[ascii] {
			if !strings.HasPrefix(w, prefix) {
				more = append(more, w)
			}
		}
	}
	v.mu.Unlock()
	if len(more) == 0 {
		return out // withPrefix's own slice, which nobody may change
	}
	slices.Sort(more)
	more = slices.Compact(more)
	return append(slices.Clone(out), more...)
}

// withPrefix returns the words that start with prefix, in order.
func (v *vocabulary) withPrefix(prefix string) []string {
	all := v.words()
	i, _ := slices.BinarySearch(all, prefix)
	j, _ := slices.BinarySearchFunc(all[i:], prefix, func(w, p string) int {
		if strings.HasPrefix(w, p) {
			return -1
		}
		return strings.Compare(w, p)
	})
	return all[i : i+j]
}

// near returns the words within edits of w (in runes) that share its first
// letter, other than w itself, with their distances: typos rarely hit the
// first letter, and it keeps the scan to a slice of the vocabulary.
func (v *vocabulary) near(w string, edits int) []termCount {
	first, size := utf8.DecodeRuneInString(w)
	if size == 0 || edits < 1 {
		return nil
	}
	n := utf8.RuneCountInString(w)
	target := []rune(w)
	var out []termCount
	var row, prev []int
	for _, c := range v.withPrefix(string(first)) {
		if c == w {
			continue
		}
		if m := utf8.RuneCountInString(c); m < n-edits || m > n+edits {
			continue
		}
		var d int
		if d, row, prev = boundedLevenshtein(target, c, edits, row, prev); d <= edits {
			out = append(out, termCount{term: c, edits: d})
		}
	}
	return out
}

// boundedLevenshtein is the edit distance between a and b in runes, or
// limit+1 once it must exceed limit. row and prev are scratch space,
// returned for reuse.
func boundedLevenshtein(a []rune, b string, limit int, row, prev []int) (int, []int, []int) {
	row, prev = row[:0], prev[:0]
	for j := 0; j <= len(a); j++ {
		prev = append(prev, j)
	}
	row = append(row, prev...)
	i := 0
	for _, rb := range b {
		i++
		row[0] = i
		best := row[0]
		for j := 1; j <= len(a); j++ {
			cost := 1
			if a[j-1] == rb {
				cost = 0
			}
			row[j] = min(prev[j]+1, row[j-1]+1, prev[j-1]+cost)
			best = min(best, row[j])
		}
		if best > limit {
			return limit + 1, row, prev
		}
		row, prev = prev, row
	}
	return prev[len(a)], row, prev
}

// close rewrites the file with the counts gained since it was opened and
// closes it; the words stay readable.
func (v *vocabulary) close() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.f == nil {
		return nil
	}
	var err error
	if v.dirty {
		err = v.writeLOCKED(filepath.Dir(v.path))
	}
	err = errors.Join(err, v.f.Close())
	v.f = nil
	if err != nil {
		return fmt.Errorf("close vocabulary %s: %w", v.path, err)
	}
	return nil
}

// copyTo writes the vocabulary into the directory dir (a backup).
func (v *vocabulary) copyTo(dir string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.writeLOCKED(dir)
}

// writeLOCKED writes the whole vocabulary, with its counts, to the file in
// dir, under a temporary name first so that a crash leaves one file whole.
func (v *vocabulary) writeLOCKED(dir string) error {
	var buf bytes.Buffer
	for _, w := range v.sortedLOCKED() {
		fmt.Fprintf(&buf, "%s\t%d\n", w, v.seen[w])
	}
	path := filepath.Join(dir, vocabFile)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("write vocabulary %s: %w", path, err)
	}
	_, werr := f.Write(buf.Bytes())
	err = errors.Join(werr, f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write vocabulary %s: %w", path, err)
	}
	syncDir(dir)
	if dir == filepath.Dir(v.path) {
		v.dirty = false
	}
	return nil
}

// wordSet gathers the words of a batch's titles and abstracts, with how
// many of its papers have each.
type wordSet struct {
	tally map[string]*wordTally
	paper int32 // the paper whose words come in now, from 1
}

type wordTally struct{ papers, last int32 }

func newWordSet() *wordSet { return &wordSet{tally: map[string]*wordTally{}} }

// nextPaper starts the words of another paper.
func (s *wordSet) nextPaper() { s.paper++ }

func (s *wordSet) addTokens(terms [][]byte) {
	for _, t := range terms {
		// A look-up by string(t) does not copy t; only a new word does.
		e := s.tally[string(t)]
		if e == nil {
			e = &wordTally{}
			s.tally[string(t)] = e
		}
		if e.last != s.paper {
			e.papers++
			e.last = s.paper
		}
	}
}

// openVocabulary opens the vocabulary beside x's index. An index whose file
// is missing (copied without it, say) gets it back from the stored papers.
func (x *Index) openVocabulary() error {
	v, found, err := openVocabulary(x.path, !x.readOnly)
	if err != nil {
		return err
	}
	x.vocab = v
	if found {
		return nil
	}
	n, err := x.bi.DocCount()
	if err != nil || n == 0 {
		return err
	}
	start := time.Now()
	words, err := x.storedWords()
	if err != nil {
		return fmt.Errorf("rebuild vocabulary %s: %w", v.path, err)
	}
	if x.readOnly {
		for w, t := range words.tally {
			v.seen[w] = int64(t.papers)
			v.fresh = append(v.fresh, w)
			v.addFoldLOCKED(w)
		}
	} else if err := v.add(words); err != nil {
		return fmt.Errorf("rebuild vocabulary: %w", err)
	}
	x.log.Warn("the index had no vocabulary file; rebuilt it from the stored papers",
		"index", x.path, "papers", n, "words", len(words.tally), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// storedWords reads every stored paper's title and abstract words.
func (x *Index) storedWords() (*wordSet, error) {
	r, err := x.reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	all, err := r.DocIDReaderAll()
	if err != nil {
		return nil, err
	}
	defer all.Close()
	words := newWordSet()
	for {
		id, err := all.Next()
		if err != nil {
			return nil, err
		}
		if id == nil {
			return words, nil
		}
		ext, err := r.ExternalID(id)
		if err != nil {
			return nil, err
		}
		doc, err := r.Document(ext)
		if err != nil {
			return nil, err
		}
		var derr error
		doc.VisitFields(func(f index.Field) {
			if f.Name() != fieldMeta {
				return
			}
			p, err := decodeStored(ext, f.Value())
			if err != nil {
				derr = err
				return
			}
			x.paperWords(&p, words)
		})
		if derr != nil {
			return nil, derr
		}
	}
}

// paperWords adds p's title and abstract words to words.
func (x *Index) paperWords(p *Paper, words *wordSet) {
	words.nextPaper()
	var terms [][]byte
	for _, text := range []string{p.Title, p.Abstract} {
		for _, t := range x.names.Analyze([]byte(text)) {
			terms = append(terms, t.Term)
		}
	}
	words.addTokens(terms)
}
