package search

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	index "github.com/blevesearch/bleve_index_api"
	"github.com/klauspost/compress/zstd"
)

var writeDict = flag.Bool("write-stored-dict", false, "rebuild stored2.dict from the demo corpus (only with a new first byte for the stored form)")

// buildStoredDict makes a dictionary: the demo corpus's papers in a
// stored form, one after another, and the last 64 KiB of that, since the
// compressors look back from the end.
func buildStoredDict(t *testing.T, form func(*Paper) []byte) []byte {
	t.Helper()
	var all []byte
	for _, p := range demoPapers(t) {
		all = append(all, form(&p)...)
	}
	return all[len(all)-64<<10:]
}

// storedTextJSON is the zstd form's text before compression: title and
// abstract after their lengths, then the rest as JSON.
func storedTextJSON(t testing.TB, p *Paper) []byte {
	t.Helper()
	meta := *p
	meta.ID, meta.Title, meta.Abstract = "", "", ""
	js, err := json.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	raw := binary.AppendUvarint(nil, uint64(len(p.Title)))
	raw = append(raw, p.Title...)
	raw = binary.AppendUvarint(raw, uint64(len(p.Abstract)))
	raw = append(raw, p.Abstract...)
	return append(raw, js...)
}

// encodeStoredZstd stores p in the zstd form, as schema 6 first did.
func encodeStoredZstd(t testing.TB, p *Paper) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderCRC(false),
		zstd.WithZeroFrames(true),
		zstd.WithEncoderDictRaw(storedDictID, storedDict))
	if err != nil {
		t.Fatal(err)
	}
	return enc.EncodeAll(storedTextJSON(t, p), nil)
}

func TestStoredDictionary(t *testing.T) {
	if *writeDict {
		form := func(p *Paper) []byte { return storedText(nil, p) }
		if err := os.WriteFile("stored2.dict", buildStoredDict(t, form), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Both dictionaries are what their builders make of the demo corpus,
	// byte for byte: a change to the corpus or to a stored form that
	// would change them fails here, since indexes were written with them.
	for _, d := range []struct {
		name string
		dict []byte
		form func(*Paper) []byte
	}{
		{"stored.dict", storedDict, func(p *Paper) []byte { return storedTextJSON(t, p) }},
		{"stored2.dict", storedDict2, func(p *Paper) []byte { return storedText(nil, p) }},
	} {
		if !bytes.Equal(d.dict, buildStoredDict(t, d.form)) {
			t.Errorf("%s is not the last 64 KiB of the demo papers in its stored form", d.name)
		}
	}
	// The dictionaries hold the last forty or so demo papers; these are
	// others.
	papers := demoPapers(t)[:2000]
	var text, packed, packedZstd int
	for i := range papers {
		b, err := encodeStored(&papers[i])
		if err != nil {
			t.Fatal(err)
		}
		text += len(storedTextJSON(t, &papers[i]))
		packed += len(b)
		packedZstd += len(encodeStoredZstd(t, &papers[i]))
		got, err := decodeStored(papers[i].ID, b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, papers[i]) {
			t.Fatalf("paper %s came back as\n%+v\nwant\n%+v", papers[i].ID, got, papers[i])
		}
	}
	// Deflate (BestSpeed, as before schema 6) takes these papers to 0.55
	// of their text (with JSON metadata), zstd from its dictionary to
	// 0.41, s2 with binary metadata from its own to 0.42.
	if ratio := float64(packed) / float64(text); ratio > 0.45 {
		t.Errorf("stored papers take %.3f of their text, want under 0.45", ratio)
	}
	t.Logf("%d papers: %d bytes of text stored in %d (%.3f); in the zstd form, %d (%.3f)",
		len(papers), text, packed, float64(packed)/float64(text), packedZstd, float64(packedZstd)/float64(text))
}

// TestStoredForms reads papers in both stored forms back whole: every
// field of Paper set (a field added to Paper and not to appendMeta fails
// here), lists nil and empty, text that JSON would escape, and the demo
// papers.
func TestStoredForms(t *testing.T) {
	var full Paper
	v := reflect.ValueOf(&full).Elem()
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch f.Kind() {
		case reflect.String:
			f.SetString(name + ` "value" <é> \ ` + strings.Repeat("x", i*40))
		case reflect.Int:
			f.SetInt(int64(i*1000 - 5000)) // negative ones too
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{name + " one", "", name + " three"}))
		default:
			t.Fatalf("Paper.%s is a %s, which the stored form does not know", name, f.Kind())
		}
	}
	empty := Paper{ID: "e", Authors: []string{}, Categories: []string{}, Topics: []string{}, Keywords: []string{}}
	papers := []Paper{full, empty, {ID: "zero"}, {ID: "big", Abstract: strings.Repeat("long abstract ", 300_000)}}
	papers = append(papers, demoPapers(t)[:300]...)
	for _, p := range papers {
		b, err := encodeStored(&p)
		if err != nil {
			t.Fatal(err)
		}
		if b[0] != storedS2 {
			t.Fatalf("paper %s stored with first byte %#x", p.ID, b[0])
		}
		for form, b := range map[string][]byte{"s2": b, "zstd": encodeStoredZstd(t, &p)} {
			got, err := decodeStored(p.ID, b)
			if err != nil {
				t.Fatalf("%s form of %s: %v", form, p.ID, err)
			}
			want := p
			if form == "zstd" && len(p.Keywords) == 0 {
				want.Keywords = nil // omitted from JSON when empty
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s form of %s came back as\n%+v\nwant\n%+v", form, p.ID, got, want)
			}
			var title, abstract string
			err = readStored(p.ID, b, func(t, a []byte, _ storedMeta) error {
				title, abstract = string(t), string(a)
				return nil
			})
			if err != nil || title != p.Title || abstract != p.Abstract {
				t.Fatalf("%s form of %s: readStored gave %q, %q, %v", form, p.ID, title, abstract, err)
			}
		}
	}
}

// TestStoredMetaEndsEarly reads a paper stored before its last fields
// existed: they come back empty.
func TestStoredMetaEndsEarly(t *testing.T) {
	p := Paper{Authors: []string{"A. Author"}, AuthorCount: 1, Published: "2025-03-18", Upvotes: 3}
	b := appendMeta(nil, &p)
	// Authors, author count, published and upvotes: the first four fields.
	short := appendStoredStrings(nil, p.Authors)
	short = binary.AppendVarint(short, 1)
	short = appendStoredString(short, p.Published)
	short = binary.AppendVarint(short, 3)
	if !bytes.HasPrefix(b, short) {
		t.Fatalf("appendMeta does not start with the first four fields")
	}
	var got Paper
	if err := readMeta(string(short), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("got %+v, want %+v", got, p)
	}
}

func TestDecodeStoredRejectsCorruption(t *testing.T) {
	p := Paper{ID: "x", Title: "A title", Abstract: "words words words words words words", Authors: []string{"A. Author"}}
	b, err := encodeStored(&p)
	if err != nil {
		t.Fatal(err)
	}
	z := encodeStoredZstd(t, &p)
	huge := append([]byte{storedS2}, binary.AppendUvarint(nil, 1<<40)...)
	bad := [][]byte{nil, {1, 2, 3}, {storedS2}, b[:len(b)/2], append(bytes.Clone(b), 0xff), huge, z[:len(z)/2], append(bytes.Clone(z), 0xff)}
	// Metadata that runs past its end, or goes on after it, in an intact
	// s2 block.
	raw := storedText(nil, &p)
	for _, meta := range [][]byte{raw[:len(raw)-3], append(bytes.Clone(raw), 7), append(raw[:len(raw)-len(appendMeta(nil, &p))], 0xff, 0xff, 0xff)} {
		bad = append(bad, append([]byte{storedS2}, storedS2Dict().Encode(nil, meta)...))
	}
	for i, bad := range bad {
		if _, err := decodeStored("x", bad); err == nil {
			t.Errorf("%d: decodeStored(%x) gave no error", i, bad)
		}
	}
}

func TestMetaReader(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{in: "", want: nil},
		{in: "\x00", want: nil},
		{in: "\x01", want: []string{}},
		{in: "\x03\x01a\x00", want: []string{"a", ""}},
		{in: "\x03\x01a", bad: true},                        // the second string is missing
		{in: "\x05\x01a", bad: true},                        // a count past what is left
		{in: "\x02\x05ab", bad: true},                       // a length past the end
		{in: "\x80", bad: true},                             // a varint cut short
		{in: strings.Repeat("\xff", 10), bad: true},         // a varint too long
		{in: strings.Repeat("\xff", 9) + "\x02", bad: true}, // a varint past 64 bits
		{in: "\xff\xff\xff\xff\x0f", bad: true},             // a count of billions
		// More strings than maxStoredList, each there.
		{in: string(binary.AppendUvarint(nil, maxStoredList+2)) + strings.Repeat("\x00", maxStoredList+1), bad: true},
	} {
		r := metaReader{s: tc.in}
		got := r.strings()
		if r.bad != tc.bad || (!tc.bad && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("%q: got %#v (bad %v), want %#v (bad %v)", tc.in, got, r.bad, tc.want, tc.bad)
		}
	}
	if r := (metaReader{s: strings.Repeat("\xff", 9) + "\x02"}); r.int() != 0 || !r.bad {
		t.Error("a varint past 64 bits read as an int without error")
	}
	for _, n := range []int64{0, 1, -1, 63, -64, 1 << 40, -(1 << 62), math.MaxInt64, math.MinInt64} {
		r := metaReader{s: string(binary.AppendVarint(nil, n))}
		if got := r.int(); int64(got) != n || r.bad || r.s != "" {
			t.Errorf("varint %d read as %d (bad %v)", n, got, r.bad)
		}
	}
}

// TestIndexWithBothStoredForms is a schema 6 index, its papers in the
// zstd form, then written to by this version, some papers rewritten: it is
// served as it is, stays schema 6 through a compaction, becomes schema 7
// with the first write, every paper reads back whole, and searches find and
// highlight papers of both forms (feedback reads them too).
func TestIndexWithBothStoredForms(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index")
	x, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	papers := demoPapers(t)[:60]
	storePaper = func(p *Paper) ([]byte, error) { return encodeStoredZstd(t, p), nil }
	defer func() { storePaper = encodeStored }()
	for i := 0; i < 30; i += 10 {
		if err := x.Put(papers[i : i+10]); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.bi.SetInternal([]byte(internalSchema), []byte("6")); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	storePaper = encodeStored
	schema := func() string {
		t.Helper()
		b, err := x.bi.GetInternal([]byte(internalSchema))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if x, err = Open(path, nil); err != nil {
		t.Fatalf("open a schema 6 index: %v", err)
	}
	defer x.Close()
	if _, err := x.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := schema(); got != "6" {
		t.Fatalf("after a compaction the index has schema %s, want 6 still", got)
	}
	for i := range 5 {
		papers[i].Upvotes += 10 // rewritten in the new form
	}
	if err := x.Put(papers[:5]); err != nil {
		t.Fatal(err)
	}
	if got := schema(); got != schemaVersion {
		t.Fatalf("after a write the index has schema %s, want %s", got, schemaVersion)
	}
	if err := x.Put(papers[30:]); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	forms := map[byte]int{}
	for _, p := range papers {
		got, err := x.Get(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Get gives empty lists, never nil ones.
		for _, l := range []*[]string{&p.Authors, &p.Categories, &p.Topics} {
			if *l == nil {
				*l = []string{}
			}
		}
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(p)
		if string(gotJSON) != string(wantJSON) {
			t.Fatalf("Get(%s) gave\n%s\nwant\n%s", p.ID, gotJSON, wantJSON)
		}
		doc, err := x.bi.Document(p.ID)
		if err != nil {
			t.Fatal(err)
		}
		doc.VisitFields(func(f index.Field) {
			if f.Name() == fieldMeta {
				forms[f.Value()[0]]++
			}
		})
	}
	if forms[storedS2] != 35 || forms[0x28] != 25 {
		t.Fatalf("stored forms %v, want 35 papers in s2 (%#x) and 25 in zstd (0x28)", forms, storedS2)
	}
	// A title word of a paper in each form: found, highlighted, and read
	// whole in the hits.
	for _, p := range []Paper{papers[10], papers[40]} {
		word := strings.Fields(p.Title)[0]
		res, err := x.Search(ctx, Request{Query: p.Title, Size: 50})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, h := range res.Hits {
			if h.Paper.ID == p.ID {
				found = true
				if h.Paper.Abstract != p.Abstract || !strings.Contains(strings.Join(h.Highlights["title"], " "), "<mark>") {
					t.Errorf("hit %s: abstract %q, title highlights %q (searched %q)", p.ID, h.Paper.Abstract, h.Highlights["title"], word)
				}
			}
		}
		if !found {
			t.Errorf("searching the title of %s did not find it", p.ID)
		}
	}
}

// goldenPaper is the paper of TestStoredGolden.
func goldenPaper() Paper {
	return Paper{
		ID: "2503.00001", Title: "Quantized <models> & \"pruning\"", Abstract: "We prune and quantize large language models; perplexity rises by 0.1.",
		Authors: []string{"Ada Lovelace", "Émile Borel"}, AuthorCount: 3, Published: "2025-03-18", Upvotes: 12,
		Categories: []string{"cs.CL", "cs.LG"}, Topics: []string{"quantization", "pruning"}, URL: "https://arxiv.org/abs/2503.00001",
		PDFURL: "https://arxiv.org/pdf/2503.00001", Source: "arxiv", Comment: "9 pages", NumComments: -1, GitHubStars: 40,
		Keywords: []string{}, FeaturedOn: "2025-03-19",
	}
}

// TestStoredGolden decodes a paper stored in each form by the version that
// introduced it, frozen here: a change to either layout, or to what reads
// it, that would misread the papers of existing indexes fails it.
func TestStoredGolden(t *testing.T) {
	const (
		s2Form   = "029302001e1686130e2f0d003c8950103e20262022cd9a042245659d00751a2a6700710d2c568904003b2a53111a964b40627920302e312e030c416461204c6f76650e1513080cc3890eceee1420426f72656c05b91c352d30332d313818326a0c04030c0d6f256a00070d92d59f05c8482e6f72672f6162732f323530332e30303030314a2100087064661d212d020807392012421b140000010050011986043900"
		zstdForm = "28b52ffd430031706170e5004d0700120a252970491b00fcffffbfef4f6d45eb4e252143ab469f2b04f92a206a358e91d414b4f369078bfedfff97100f77a8d8de9703d8a7748cd9be0b619f0d36a8ef672b5ca5ced919544318a3aff4aa26bdeafbc5cc9c30dc2cca849ca29031712c1aa43bfb241b5f86fd171e8465092c8461a4615ac603ed69012122beefc84ded888fba67b012560748071ead90f02b801610e8eb47221b000d6b0021621078517312051cc69d6c2a6967813c860ab811c03b0d542329310297dcc094650214386725187006e6eb217792c1d28af05e7008b31ce314ca95a5e3449b1a8849e739eb68f2d07f1a0e1b"
	)
	for _, tc := range []struct {
		form, hex string
	}{{"s2", s2Form}, {"zstd", zstdForm}} {
		b, err := hex.DecodeString(tc.hex)
		if err != nil {
			t.Fatal(err)
		}
		want := goldenPaper()
		if tc.form == "zstd" {
			want.Keywords = nil // omitted from JSON when empty
		}
		got, err := decodeStored(want.ID, b)
		if err != nil {
			t.Fatalf("%s form: %v", tc.form, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s form read as\n%+v\nwant\n%+v", tc.form, got, want)
		}
	}
}

// FuzzDecodeStored feeds decodeStored any bytes: it must return an error or
// a paper, never panic, and a paper it returns must store and read back the
// same.
func FuzzDecodeStored(f *testing.F) {
	for _, p := range []Paper{goldenPaper(), {ID: "a", Title: "t", Abstract: "abc", Authors: []string{"x", ""}, Upvotes: -3}, {}} {
		b, err := encodeStored(&p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(encodeStoredZstd(f, &p))
		f.Add(append([]byte{storedS2}, storedS2Dict().Encode(nil, storedText(nil, &p))...))
	}
	f.Add([]byte{})
	f.Add([]byte{storedS2})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeStored("id", b)
		if err != nil {
			return
		}
		b2, err := encodeStored(&p)
		if err != nil {
			t.Fatal(err)
		}
		p2, err := decodeStored("id", b2)
		if err != nil || !reflect.DeepEqual(p, p2) {
			t.Fatalf("stored again: %v\n%+v\n%+v", err, p, p2)
		}
	})
}

// FuzzStoredRoundTrip stores a paper made of any bytes, every field set or
// not, lists nil, empty or not, and reads it back the same.
func FuzzStoredRoundTrip(f *testing.F) {
	f.Add([]byte("hello"), int64(-5), uint64(3))
	f.Add([]byte("\xff\xfe not UTF-8"), int64(1)<<62, uint64(7))
	f.Fuzz(func(t *testing.T, data []byte, n int64, seed uint64) {
		var p Paper
		v := reflect.ValueOf(&p).Elem()
		rng := rand.New(rand.NewPCG(seed, uint64(len(data))))
		for i := range v.NumField() {
			f := v.Field(i)
			s := string(data[:rng.IntN(len(data)+1)])
			switch f.Kind() {
			case reflect.String:
				f.SetString(s)
			case reflect.Int:
				f.SetInt(n * int64(i))
			case reflect.Slice:
				switch rng.IntN(3) {
				case 1:
					f.Set(reflect.ValueOf([]string{}))
				case 2:
					f.Set(reflect.ValueOf([]string{s, "", string(data)}))
				}
			}
		}
		b, err := encodeStored(&p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeStored(p.ID, b)
		if err != nil || !reflect.DeepEqual(got, p) {
			t.Fatalf("%v\n%+v\n%+v", err, got, p)
		}
	})
}

// TestStoredListBound: a list longer than maxStoredList is refused when
// stored, so that every paper stored can be read.
func TestStoredListBound(t *testing.T) {
	p := Paper{ID: "many", Authors: make([]string, maxStoredList)}
	if _, err := encodeStored(&p); err != nil {
		t.Fatalf("%d authors: %v", len(p.Authors), err)
	}
	p.Authors = append(p.Authors, "one more")
	if _, err := encodeStored(&p); err == nil || !strings.Contains(err.Error(), "a list of 65537 values") {
		t.Fatalf("%d authors: %v, want an error", len(p.Authors), err)
	}
}
