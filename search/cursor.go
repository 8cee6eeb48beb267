package search

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
)

// A cursor is how a caller pages past MaxWindow: it holds the sort keys of
// the last hit it has seen, and the next page starts just past them, so the
// cost of a page does not grow with its depth.
//
// On the wire a cursor is opaque: base64url of a small JSON object. It
// carries a fingerprint of the search it belongs to, so a cursor pasted
// into another search is refused instead of silently skipping hits.

// cursorVersion changes when the layout below does; old cursors are then
// refused with ErrBadQuery rather than misread.
const cursorVersion = 3

type cursor struct {
	V int `json:"v"`
	// Search is the fingerprint of the search (query, filters, sort).
	Search string `json:"s"`
	// Key is the last hit's sort key.
	Key rankKey `json:"k"`
	// Offset counts the hits before the page the cursor leads to; it only
	// tells the caller where they are.
	Offset int `json:"o"`
}

// fingerprint identifies what a search matches and in which order, but not
// which page of it, so every page of one search shares it.
func (r *Request) fingerprint() string {
	topics := slices.Sorted(slices.Values(r.Topics))
	cats := slices.Sorted(slices.Values(r.Categories))
	h := fnv.New64a()
	for _, part := range []string{r.Query, strings.Join(topics, "\x1f"), strings.Join(cats, "\x1f"),
		strconv.Itoa(r.YearFrom), strconv.Itoa(r.YearTo), r.Sort, strconv.FormatBool(r.NoExpand), strconv.FormatBool(r.NoCorrect)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

func encodeCursor(c cursor) string {
	c.V = cursorVersion
	b, err := json.Marshal(c)
	if err != nil {
		// A struct of strings and numbers always marshals.
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor and checks that it belongs to r, which must
// be normalized.
func decodeCursor(s string, r *Request) (cursor, error) {
	bad := fmt.Errorf("%w: cursor is not one this index issued for this search; start again without it", ErrBadQuery)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 4096 {
		return cursor{}, bad
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.V != cursorVersion || c.Offset < 0 || c.Key.ID == "" {
		return cursor{}, bad
	}
	if c.Search != r.fingerprint() {
		return cursor{}, fmt.Errorf("%w: cursor belongs to another search (query, filters or sort changed); start again without it", ErrBadQuery)
	}
	return c, nil
}
