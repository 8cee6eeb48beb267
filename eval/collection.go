package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"

	"github.com/papersearch/papersearch/indexer"
	"github.com/papersearch/papersearch/search"
)

// maxLine bounds one line of a collection file; BEIR documents are a few
// kilobytes, our papers a few more.
const maxLine = 4 << 20

// beirDoc is one line of a BEIR corpus.jsonl.
type beirDoc struct {
	ID    *json.RawMessage `json:"_id"`
	Title string           `json:"title"`
	Text  string           `json:"text"`
}

// ReadCorpus reads documents as BEIR JSON lines ({"_id","title","text"}) or
// as our paper JSON lines, deciding by whether the first record has an
// "_id". BEIR ids are kept exactly as written, since the judgments name
// them; our papers go through the indexer's parser (and its id rules).
func ReadCorpus(r io.Reader, source string) iter.Seq2[search.Paper, error] {
	br := bufio.NewReaderSize(r, 64<<10)
	if !isBEIR(br) {
		return indexer.ParseJSON(br, source)
	}
	return func(yield func(search.Paper, error) bool) {
		sc := bufio.NewScanner(br)
		sc.Buffer(make([]byte, 0, 64<<10), maxLine)
		n := 0
		for sc.Scan() {
			n++
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			var d beirDoc
			err := json.Unmarshal(line, &d)
			var id string
			if err == nil {
				id, err = rawID(d.ID)
			}
			if err != nil {
				if !yield(search.Paper{}, fmt.Errorf("%s:%d: %v", source, n, err)) {
					return
				}
				continue
			}
			p := search.Paper{ID: id, Title: strings.TrimSpace(d.Title), Abstract: strings.TrimSpace(d.Text), Source: "beir"}
			if !yield(p, nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(search.Paper{}, fmt.Errorf("%s:%d: %w", source, n+1, err))
		}
	}
}

// isBEIR peeks at the first JSON object for an "_id" key.
func isBEIR(br *bufio.Reader) bool {
	head, _ := br.Peek(64 << 10)
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(head, &probe) != nil {
		return false
	}
	_, ok := probe["_id"]
	return ok
}

// rawID accepts an id written as a string or a number, verbatim.
func rawID(raw *json.RawMessage) (string, error) {
	if raw == nil {
		return "", errors.New(`record has no "_id"`)
	}
	var s string
	if err := json.Unmarshal(*raw, &s); err == nil {
		if s = strings.TrimSpace(s); s == "" {
			return "", errors.New(`"_id" is empty`)
		}
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(*raw, &n); err != nil {
		return "", fmt.Errorf(`"_id" should be a string, not %s`, *raw)
	}
	return n.String(), nil
}

// Query is one query of a collection.
type Query struct {
	ID   string
	Text string
}

// ReadQueries reads BEIR queries.jsonl ({"_id","text"}) or tab-separated
// lines whose first field is the id and last the text (qid<TAB>text, or
// Cranfield's qid<TAB>original id<TAB>text).
func ReadQueries(r io.Reader, source string) ([]Query, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var out []Query
	seen := map[string]bool{}
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if line == "" {
			continue
		}
		var q Query
		if line[0] == '{' {
			var d beirDoc
			if err := json.Unmarshal([]byte(line), &d); err != nil {
				return nil, fmt.Errorf("%s:%d: %v", source, n, err)
			}
			id, err := rawID(d.ID)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", source, n, err)
			}
			q = Query{ID: id, Text: d.Text}
		} else {
			f := strings.Split(line, "\t")
			if len(f) < 2 {
				return nil, fmt.Errorf("%s:%d: want qid<TAB>text or a JSON object", source, n)
			}
			if len(out) == 0 && isHeader(f[0]) {
				continue
			}
			q = Query{ID: strings.TrimSpace(f[0]), Text: f[len(f)-1]}
		}
		q.Text = strings.TrimSpace(q.Text)
		if seen[q.ID] {
			return nil, fmt.Errorf("%s:%d: query %q appears twice", source, n, q.ID)
		}
		seen[q.ID] = true
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no queries", source)
	}
	return out, nil
}

// isHeader reports whether a first field names a column rather than a query.
func isHeader(field string) bool {
	switch strings.ToLower(strings.TrimSpace(field)) {
	case "qid", "query-id", "query_id", "queryid", "id", "_id":
		return true
	}
	return false
}

// ReadQrels reads relevance judgments: BEIR's TSV (query-id, corpus-id,
// score; a header line is skipped) or TREC qrels (qid 0 docid rel).
func ReadQrels(r io.Reader, source string) (map[string]Judgments, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	out := map[string]Judgments{}
	n := 0
	for sc.Scan() {
		n++
		f := strings.Fields(sc.Text())
		var qid, doc, grade string
		switch len(f) {
		case 0:
			continue
		case 3:
			qid, doc, grade = f[0], f[1], f[2]
		case 4:
			qid, doc, grade = f[0], f[2], f[3]
		default:
			return nil, fmt.Errorf("%s:%d: want \"qid docid rel\" (BEIR) or \"qid 0 docid rel\" (TREC), got %d fields", source, n, len(f))
		}
		g, err := strconv.Atoi(grade)
		if err != nil {
			if n == 1 {
				continue // BEIR's header: query-id corpus-id score
			}
			return nil, fmt.Errorf("%s:%d: relevance %q is not a whole number", source, n, grade)
		}
		if out[qid] == nil {
			out[qid] = Judgments{}
		}
		out[qid][doc] = g
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no judgments", source)
	}
	return out, nil
}
