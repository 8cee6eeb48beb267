package search

import (
	"bytes"
	"flag"
	"os"
	"reflect"
	"testing"
)

var writeDict = flag.Bool("write-stored-dict", false, "rebuild stored.dict from the demo corpus (only with a new schemaVersion)")

// buildStoredDict makes the dictionary: the demo corpus's papers in the
// stored form, one after another, and the last 64 KiB of that, since zstd
// looks back from the end.
func buildStoredDict(t *testing.T) []byte {
	t.Helper()
	var all []byte
	for _, p := range demoPapers(t) {
		raw, err := storedText(&p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, raw...)
	}
	return all[len(all)-64<<10:]
}

func TestStoredDictionary(t *testing.T) {
	if *writeDict {
		if err := os.WriteFile("stored.dict", buildStoredDict(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if len(storedDict) != 64<<10 {
		t.Fatalf("stored.dict has %d bytes, want 64 KiB", len(storedDict))
	}
	// The dictionary holds the last forty or so demo papers; these are others.
	papers := demoPapers(t)[:2000]
	var text, packed int
	for i := range papers {
		raw, err := storedText(&papers[i])
		if err != nil {
			t.Fatal(err)
		}
		b, err := encodeStored(&papers[i])
		if err != nil {
			t.Fatal(err)
		}
		text += len(raw)
		packed += len(b)
		got, err := decodeStored(papers[i].ID, b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, papers[i]) {
			t.Fatalf("paper %s came back as\n%+v\nwant\n%+v", papers[i].ID, got, papers[i])
		}
	}
	// Deflate (BestSpeed, as before schema 6) takes these papers to 0.55
	// of their text; the dictionary to 0.41.
	if ratio := float64(packed) / float64(text); ratio > 0.5 {
		t.Errorf("stored papers take %.2f of their text, want under 0.5", ratio)
	}
	t.Logf("%d papers: %d bytes of text stored in %d", len(papers), text, packed)
}

func TestDecodeStoredRejectsCorruption(t *testing.T) {
	p := Paper{ID: "x", Title: "A title", Abstract: bytes.NewBufferString("words ").String()}
	b, err := encodeStored(&p)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{nil, {1, 2, 3}, b[:len(b)/2], append(bytes.Clone(b), 0xff)} {
		if _, err := decodeStored("x", bad); err == nil {
			t.Errorf("decodeStored(%x) gave no error", bad)
		}
	}
}
