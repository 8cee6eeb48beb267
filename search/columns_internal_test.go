package search

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// readColumnsFromDocValues is how columns were read before they came from
// the postings: each paper's doc values and stored id, one paper at a
// time. It is the reference readColumns is held to.
func readColumnsFromDocValues(seg segment.Segment, dict *facetDict) (*columns, error) {
	dv, ok := seg.(segment.DocValueVisitable)
	if !ok {
		return nil, fmt.Errorf("segment %T has no doc values", seg)
	}
	n := int(seg.Count())
	c := &columns{
		published: make([]int64, n), year: make([]int16, n), upvotes: make([]float64, n), ids: make([]string, n),
		off: make([]uint32, n+1),
	}
	doc := 0
	visit := func(field string, term []byte) {
		switch field {
		case fieldTopics:
			c.vals = append(c.vals, dict.id(groupTopics, term))
		case fieldCategories:
			c.vals = append(c.vals, dict.id(groupCategories, term))
		case fieldYear:
			if y, err := strconv.Atoi(string(term)); err == nil && y > 0 && y <= math.MaxInt16 {
				c.year[doc] = int16(y)
			}
		case fieldPublished:
			if t, err := time.Parse(time.DateOnly, string(term)); err == nil {
				c.published[doc] = t.Unix()
			}
		case fieldUpvotes:
			if n, err := strconv.Atoi(string(term)); err == nil {
				c.upvotes[doc] = float64(n)
			}
		}
	}
	var state segment.DocVisitState
	for doc = range n {
		c.off[doc] = uint32(len(c.vals))
		c.published[doc] = noDate
		var err error
		if state, err = dv.VisitDocValues(uint64(doc), []string{fieldTopics, fieldCategories, fieldYear, fieldPublished, fieldUpvotes}, visit, state); err != nil {
			return nil, err
		}
		id, err := seg.DocID(uint64(doc))
		if err != nil {
			return nil, err
		}
		c.ids[doc] = string(id)
	}
	c.off[n] = uint32(len(c.vals))
	return c, nil
}

// TestColumnsFromPostings holds the columns read from the postings to
// those read from doc values, paper by paper, on an index of several
// segments with deleted and updated papers, papers without a date, without
// topics and with several categories.
func TestColumnsFromPostings(t *testing.T) {
	x := openSegmentedRefIndex(t)
	r, _ := snapshotView(t, x, nil)
	var papers, dated, multi, bare int
	for _, ss := range r.(*scorch.IndexSnapshot).Segments() {
		for _, w := range compareColumns(t, ss.Segment()) {
			papers++
			if w.published != noDate {
				dated++
			}
			if len(w.values) > 2 {
				multi++
			}
			if !slices.ContainsFunc(w.values, func(v string) bool { return v[0] == '0' }) {
				bare++ // no topic
			}
		}
	}
	// The index must hold what the test is about.
	if papers < 440 || dated == papers || dated == 0 || multi == 0 || bare == 0 {
		t.Fatalf("too weak: %d papers (with deleted and replaced ones), %d dated, %d with over two values, %d without a topic", papers, dated, multi, bare)
	}
}

// paperColumns is one paper's columns, its values by group and name.
type paperColumns struct {
	published int64
	year      int16
	upvotes   float64
	id        string
	values    []string
}

// compareColumns reads seg's columns from its postings and from its doc
// values, fails t where they differ, and returns them paper by paper.
func compareColumns(t *testing.T, seg segment.Segment) []paperColumns {
	t.Helper()
	var gd, wd facetDict
	g, err := readColumns(seg, &gd)
	if err != nil {
		t.Fatal(err)
	}
	w, err := readColumnsFromDocValues(seg, &wd)
	if err != nil {
		t.Fatal(err)
	}
	paper := func(c *columns, d *facetDict, doc int) paperColumns {
		pc := paperColumns{published: c.published[doc], year: c.year[doc], upvotes: c.upvotes[doc], id: c.ids[doc]}
		for _, v := range c.vals[c.off[doc]:c.off[doc+1]] {
			pc.values = append(pc.values, fmt.Sprint(d.group[v], d.names[v]))
		}
		slices.Sort(pc.values)
		return pc
	}
	if len(g.published) != len(w.published) || len(g.off) != len(w.off) {
		t.Fatalf("%d papers, want %d", len(g.published), len(w.published))
	}
	var out []paperColumns
	for doc := range w.published {
		gp, wp := paper(g, &gd, doc), paper(w, &wd, doc)
		if !reflect.DeepEqual(gp, wp) {
			t.Errorf("paper %d: got %+v, want %+v", doc, gp, wp)
		}
		out = append(out, wp)
	}
	return out
}

// columnAnswers runs searches that read every column: filters, facets and
// every sort, ties included (few upvote values, shared dates).
func columnAnswers(t *testing.T, x *Index) []Result {
	t.Helper()
	return answers(t, x, []Request{
		{Query: "alpha beta", Size: 50},
		{Sort: SortNewest, Size: 100},
		{Sort: SortUpvotes, Size: 100, Page: 2},
		{Sort: SortOldest, Topics: []string{"pruning"}, Size: 100},
		{Query: "gamma", Categories: []string{"cs.CL", "stat.ML"}, YearFrom: 2020, YearTo: 2023, Size: 100},
	})
}

// answers runs reqs, and for each that has more hits the next page through
// its cursor too, with the time taken left out.
func answers(t *testing.T, x *Index, reqs []Request) []Result {
	t.Helper()
	var out []Result
	for _, r := range reqs {
		for {
			res, err := x.Search(context.Background(), r)
			if err != nil {
				t.Fatal(err)
			}
			res.Took = 0
			out = append(out, res)
			if res.NextCursor == "" || r.Cursor != "" {
				break
			}
			r.Cursor, r.Page = res.NextCursor, 0
		}
	}
	return out
}

// segmentCount returns how many segments x's latest snapshot has.
func segmentCount(t *testing.T, x *Index) int {
	t.Helper()
	r, _ := snapshotView(t, x, nil)
	return len(r.(*scorch.IndexSnapshot).Segments())
}

// TestColumnFiles: columns read from the segments are kept in files that
// the next open reads instead, with the same answers; a damaged file, a
// cut one and another segment's are not used, but read again from the
// segment and written anew; files of segments gone are removed; a
// read-only open writes nothing.
func TestColumnFiles(t *testing.T) {
	saved := minColFileDocs
	minColFileDocs = 1
	t.Cleanup(func() { minColFileDocs = saved })
	x := openSegmentedRefIndex(t)
	path := x.path
	dir := filepath.Join(path, colDirName)
	// Leftovers a later write must clear: a file of a segment gone and a
	// temporary file.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"00000000ffff" + colFileSuffix, ".tmp-123"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Put(refCorpus(rand.New(rand.NewPCG(3, 4)), 5, 2)); err != nil {
		t.Fatal(err)
	}
	want := columnAnswers(t, x)
	segs := segmentCount(t, x)
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".tmp-*"))
	if len(files) != segs || len(leftovers) > 0 {
		t.Fatalf("%d column files and %d temporary ones for %d segments: %v", len(files), len(leftovers), segs, files)
	}

	reopen := func(t *testing.T, readOnly bool) *Index {
		t.Helper()
		saved := mergePlan
		mergePlan = neverMerge
		defer func() { mergePlan = saved }()
		open := Open
		if readOnly {
			open = OpenReadOnly
		}
		y, err := open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := columnAnswers(t, y); !reflect.DeepEqual(got, want) {
			t.Errorf("answers differ after reopening:\n got %+v\nwant %+v", got, want)
		}
		if err := y.Close(); err != nil {
			t.Fatal(err)
		}
		return y
	}
	y := reopen(t, false)
	if f, s := y.cols.fromFiles.Load(), y.cols.fromSegments.Load(); f != int64(segs) || s != 0 {
		t.Fatalf("columns of %d segments from files and %d from segments; want all %d from files", f, s, segs)
	}

	// Damage three files: a flipped byte, a cut file, another segment's.
	if len(files) < 4 {
		t.Fatalf("%d files; the test needs four", len(files))
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-5] ^= 1 // the last id's last byte: only the checksum tells
	os.WriteFile(files[0], b, 0o644)
	os.WriteFile(files[1], b[:len(b)-9], 0o644)
	other, _ := os.ReadFile(files[3])
	os.WriteFile(files[2], other, 0o644)
	y = reopen(t, false)
	if f, s := y.cols.fromFiles.Load(), y.cols.fromSegments.Load(); f != int64(segs-3) || s != 3 {
		t.Fatalf("with three files damaged: %d segments from files, %d from segments; want %d and 3", f, s, segs-3)
	}
	y = reopen(t, false)
	if f := y.cols.fromFiles.Load(); f != int64(segs) {
		t.Fatalf("damaged files were not written again: %d of %d segments from files", f, segs)
	}

	// A read-only open reads files but never writes one.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	y = reopen(t, true)
	if s := y.cols.fromSegments.Load(); s != int64(segs) {
		t.Fatalf("read-only: %d segments from segments, want %d", s, segs)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a read-only open wrote column files (%v)", err)
	}
}

// TestColumnFileRoundTrip: a column file gives back the columns it was
// made from, and refuses another segment's header.
func TestColumnFileRoundTrip(t *testing.T) {
	x := openSegmentedRefIndex(t)
	r, _ := snapshotView(t, x, nil)
	for _, ss := range r.(*scorch.IndexSnapshot).Segments() {
		var d facetDict
		c, err := readColumns(ss.Segment(), &d)
		if err != nil {
			t.Fatal(err)
		}
		h := colHeader{crc: 7, size: 1000, docs: uint64(len(c.published))}
		b := encodeColumns(c, &d, h)
		var got facetDict
		back, err := decodeColumns(b, h, &got)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, c) || !slices.Equal(got.names, d.names) || !slices.Equal(got.group, d.group) {
			t.Fatalf("round trip changed the columns")
		}
		for _, other := range []colHeader{{crc: 8, size: 1000, docs: h.docs}, {crc: 7, size: 1001, docs: h.docs}, {crc: 7, size: 1000, docs: h.docs + 1}} {
			if _, err := decodeColumns(b, other, &facetDict{}); err == nil {
				t.Fatalf("a file for %+v was read as one for %+v", h, other)
			}
		}
	}
}

// FuzzDecodeColumns: no file, however made, panics the decoder, and what
// it accepts is consistent. The checksum is made right for each input, so
// that the fuzzer reaches the checks behind it.
func FuzzDecodeColumns(f *testing.F) {
	c := &columns{
		published: []int64{noDate, 1e9}, year: []int16{0, 2001}, upvotes: []float64{0, 3}, ids: []string{"a", "bc"},
		off: []uint32{0, 1, 3}, vals: []uint32{1, 0, 1},
	}
	d := &facetDict{names: []string{"pruning", "cs.LG"}, group: []uint8{groupTopics, groupCategories}}
	valid := encodeColumns(c, d, colHeader{crc: 1, size: 2, docs: 2})
	f.Add(valid[:len(valid)-4])
	f.Add([]byte(colMagic))
	f.Fuzz(func(t *testing.T, body []byte) {
		b := binary.LittleEndian.AppendUint32(slices.Clone(body), crc32.Checksum(body, castagnoli))
		var got facetDict
		var docs uint64
		if len(body) >= len(colMagic)+20 {
			docs = binary.LittleEndian.Uint64(body[len(colMagic)+12:])
		}
		c, err := decodeColumns(b, colHeader{crc: 1, size: 2, docs: docs}, &got)
		if err != nil {
			return
		}
		n := len(c.published)
		if len(c.year) != n || len(c.upvotes) != n || len(c.ids) != n || len(c.off) != n+1 || int(c.off[n]) != len(c.vals) {
			t.Fatalf("inconsistent columns: %+v", c)
		}
		for doc := range n {
			if c.off[doc] > c.off[doc+1] {
				t.Fatalf("offsets go back at %d", doc)
			}
		}
		for _, v := range c.vals {
			if int(v) >= len(got.names) {
				t.Fatalf("value %d of %d names", v, len(got.names))
			}
		}
	})
}

// TestTopicCountsAsBleve holds TopicCounts, counted from the columns less
// deleted papers, to Bleve's facet over every live paper, on an index of
// several segments where updates and deletions left papers behind.
func TestTopicCountsAsBleve(t *testing.T) {
	x := openSegmentedRefIndex(t)
	got, err := x.TopicCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	req := bleve.NewSearchRequestOptions(query.NewMatchAllQuery(), 0, 0, false)
	req.AddFacet(fieldTopics, bleve.NewFacetRequest(fieldTopics, 1000))
	res, err := x.bi.Search(req)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, tf := range res.Facets[fieldTopics].Terms.Terms() {
		want[tf.Term] = tf.Count
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("TopicCounts = %v, Bleve's facet %v", got, want)
	}
	// Deleted papers must be in the segments for the test to mean anything.
	r, _ := snapshotView(t, x, nil)
	var deleted uint64
	for _, ss := range r.(*scorch.IndexSnapshot).Segments() {
		if d := ss.Deleted(); d != nil {
			deleted += d.GetCardinality()
		}
	}
	if deleted < 40 || len(want) < 5 {
		t.Fatalf("too weak: %d deleted papers in the segments, %d topics", deleted, len(want))
	}
}

// similarAsBleve is Similar made with Bleve's search of the same bag
// query without the paper itself, the way Similar worked before it used
// our collector, but for ties: its best papers are ordered as a search
// orders them (by score, newest first, then id), and the best 3n keep any
// tied with the last of them.
func similarAsBleve(t *testing.T, x *Index, p Paper, n int) []Hit {
	t.Helper()
	ctx := context.Background()
	bag, err := x.similarBag(ctx, p)
	if err != nil || bag == nil {
		t.Fatalf("%s: bag %v, %v", p.ID, bag, err)
	}
	// Without the index's statistics and decoded lists, which Similar's
	// bag shares with searches: they must not change a score.
	bag.stats, bag.cache = nil, nil
	q := query.NewBooleanQuery(nil, []query.Query{bag}, []query.Query{query.NewDocIDQuery([]string{p.ID})})
	req := bleve.NewSearchRequestOptions(q, 6*n, 0, false)
	req.SortByCustom(bsearch.SortOrder{&bsearch.SortScore{Desc: true}, &bsearch.SortDocID{}})
	res, err := x.bi.Search(req)
	if err != nil {
		t.Fatal(err)
	}
	var ranked []Hit
	for _, h := range res.Hits {
		sp, err := x.get(ctx, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		ranked = append(ranked, Hit{Paper: sp, Score: h.Score})
	}
	slices.SortStableFunc(ranked, func(a, b Hit) int {
		if a.Score != b.Score {
			return cmp.Compare(b.Score, a.Score)
		}
		if pa, pb := a.Paper.Published, b.Paper.Published; pa != pb {
			switch { // newest first, undated last
			case pa == "":
				return 1
			case pb == "":
				return -1
			}
			return cmp.Compare(pb, pa)
		}
		return cmp.Compare(a.Paper.ID, b.Paper.ID)
	})
	cut := min(len(ranked), 3*n)
	for cut > 0 && cut < len(ranked) && ranked[cut].Score == ranked[cut-1].Score {
		cut++
	}
	ranked = ranked[:cut]
	var want []Hit
	for _, h := range ranked {
		score := h.Score + topicBonus*ranked[0].Score*overlap(p.Topics, h.Paper.Topics)
		want = append(want, Hit{Paper: h.Paper, Score: math.Round(score*1e6) / 1e6})
	}
	slices.SortStableFunc(want, func(a, b Hit) int { return cmp.Compare(b.Score, a.Score) })
	return want[:min(len(want), n)]
}

// sameHits fails t unless got and want name the same papers with the same
// scores, in order.
func sameHits(t *testing.T, what string, got, want []Hit) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d hits, want %d", what, len(got), len(want))
	}
	for k := range want {
		if got[k].Paper.ID != want[k].Paper.ID || got[k].Score != want[k].Score {
			t.Fatalf("%s: hit %d is %s (%v), want %s (%v)", what, k, got[k].Paper.ID, got[k].Score, want[k].Paper.ID, want[k].Score)
		}
	}
}

// TestSimilarRanksAsBleve holds Similar's ranking, made by our collector,
// to Bleve's search of the same bag query, which it replaced: the same
// papers with the same scores, for every paper of an index with updated
// and deleted papers.
func TestSimilarRanksAsBleve(t *testing.T) {
	x := openSegmentedRefIndex(t)
	ctx := context.Background()
	compared := 0
	for i := range 400 {
		id := fmt.Sprintf("ref-%03d", i)
		p, err := x.get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 5} {
			hits, err := x.Similar(ctx, id, n)
			if err != nil {
				t.Fatal(err)
			}
			sameHits(t, fmt.Sprint(id, " n=", n), hits, similarAsBleve(t, x, p, n))
		}
		compared++
	}
	if compared < 390 {
		t.Fatalf("too weak: %d papers compared", compared)
	}
}

// TestSimilarTiesAndCut: papers tied in text score with the last of the
// best 3n all get the topic bonus, whatever the tie-break; a paper past
// the best 3n and not tied gets none, however much it would add.
func TestSimilarTiesAndCut(t *testing.T) {
	q := Paper{ID: "q", Title: "sparse kernel tensor", Abstract: "sparse kernel tensor methods for lambda omega", Topics: []string{"pruning"}}
	similar := func(t *testing.T, ps []Paper, n int) []string {
		t.Helper()
		x, err := Open(filepath.Join(t.TempDir(), "index"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		if err := x.Put(append([]Paper{q}, ps...)); err != nil {
			t.Fatal(err)
		}
		hits, err := x.Similar(context.Background(), "q", n)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range hits {
			ids = append(ids, h.Paper.ID)
		}
		return ids
	}
	t.Run("ties", func(t *testing.T) {
		// Six papers with the same text: the lower the id, the older, and
		// a search's tie-break puts the oldest last. Only it shares q's
		// topic: it must get the bonus, though 3n = 3 at n = 1.
		var ps []Paper
		for i := range 6 {
			ps = append(ps, Paper{ID: fmt.Sprintf("d%d", i), Title: "sparse kernel tensor", Abstract: "other words entirely here",
				Published: fmt.Sprintf("20%02d-01-01", 10+i)})
		}
		ps[0].Topics = []string{"pruning"}
		if got := similar(t, ps, 1); !slices.Equal(got, []string{"d0"}) {
			t.Fatalf("got %v, want [d0]", got)
		}
	})
	t.Run("cut", func(t *testing.T) {
		// Three papers tied closest to q, and one a little further that
		// shares its topic: with n = 1 it is past the best 3 and gets no
		// bonus; with n = 2 it is among the best 6, and the bonus puts it
		// first.
		var ps []Paper
		for i := range 3 {
			ps = append(ps, Paper{ID: fmt.Sprintf("c%d", i), Title: "sparse kernel tensor methods", Abstract: "lambda omega"})
		}
		ps = append(ps, Paper{ID: "far", Title: "sparse kernel tensor methods", Abstract: "lambda omega and more words", Topics: []string{"pruning"}})
		if got := similar(t, ps, 1); len(got) != 1 || got[0] == "far" {
			t.Fatalf("n=1: got %v, want one of c0-c2", got)
		}
		if got := similar(t, ps, 2); len(got) != 2 || got[0] != "far" {
			t.Fatalf("n=2: got %v, want far first", got)
		}
	})
}

// TestColumnsFromPostingsMerged: a merged segment keeps a value of a
// single paper in the dictionary itself (zap's one-hit postings), which
// batches' segments do for ids only. Its columns must match the doc values
// too, rare topics and categories included.
func TestColumnsFromPostingsMerged(t *testing.T) {
	x := openSegmentedRefIndex(t)
	var rare []Paper
	for i := range 30 {
		p := refCorpus(rand.New(rand.NewPCG(uint64(i), 9)), 1, 0)[0]
		p.ID = fmt.Sprintf("rare-%02d", i)
		p.Topics = append(p.Topics, fmt.Sprintf("rare-topic-%02d", i))
		p.Categories = append(p.Categories, fmt.Sprintf("rare.C%02d", i))
		p.Upvotes = 1000 + i
		rare = append(rare, p)
	}
	if err := x.Put(rare); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := segmentCount(t, x); n != 1 {
		t.Fatalf("%d segments after compacting, want 1", n)
	}
	r, _ := snapshotView(t, x, nil)
	var rares int
	for _, w := range compareColumns(t, r.(*scorch.IndexSnapshot).Segments()[0].Segment()) {
		if strings.HasPrefix(w.id, "rare-") {
			rares++
		}
	}
	if rares != 30 {
		t.Fatalf("%d of the 30 rare papers in the segment", rares)
	}
}

// TestColumnFilesOfMergedSegmentsGo: the files of segments a merge
// replaced are removed at the next read of columns, while the replaced
// segments' own files are still on disk (a search holds them).
func TestColumnFilesOfMergedSegmentsGo(t *testing.T) {
	saved := minColFileDocs
	minColFileDocs = 1
	t.Cleanup(func() { minColFileDocs = saved })
	x := openSegmentedRefIndex(t)
	if _, err := x.Search(context.Background(), Request{Query: "alpha"}); err != nil {
		t.Fatal(err)
	}
	snapshotView(t, x, nil) // held to the end: keeps the old segments' files
	if err := x.forceMerge(context.Background(), 1000); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Search(context.Background(), Request{Query: "alpha"}); err != nil {
		t.Fatal(err)
	}
	r, _ := snapshotView(t, x, nil)
	live := segmentFileNames(r.(*scorch.IndexSnapshot).Segments())
	zaps, _ := filepath.Glob(filepath.Join(x.path, "store", "*.zap"))
	cols, _ := filepath.Glob(filepath.Join(x.path, colDirName, "*"))
	var names []string
	for _, p := range cols {
		names = append(names, strings.TrimSuffix(filepath.Base(p), colFileSuffix))
	}
	if len(live) != 1 || len(zaps) <= len(live) {
		t.Fatalf("too weak: %d live segments, %d segment files on disk", len(live), len(zaps))
	}
	if len(names) != len(live) || !live[names[0]] {
		t.Fatalf("column files %v for the live segments %v", names, live)
	}
}

// openNeverMerge opens the index at path, closed when the test ends, with a
// plan that never merges: Bleve would otherwise merge the small segments
// of a test index while the test looks at them.
func openNeverMerge(t *testing.T, path string) *Index {
	t.Helper()
	saved := mergePlan
	mergePlan = neverMerge
	defer func() { mergePlan = saved }()
	y, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { y.Close() })
	return y
}

// TestColumnFilesOnlyForBigSegments: a segment under minColFileDocs keeps
// no file, and a file is not read for one.
func TestColumnFilesOnlyForBigSegments(t *testing.T) {
	saved := minColFileDocs
	t.Cleanup(func() { minColFileDocs = saved })
	minColFileDocs = 1
	x := openSegmentedRefIndex(t) // its searches write files for every segment
	path := x.path
	want := columnAnswers(t, x)
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	minColFileDocs = 101 // more than any of its segments has
	y := openNeverMerge(t, path)
	if got := columnAnswers(t, y); !reflect.DeepEqual(got, want) {
		t.Fatal("answers differ")
	}
	if f := y.cols.fromFiles.Load(); f != 0 {
		t.Fatalf("%d small segments read from files", f)
	}
	if err := os.RemoveAll(filepath.Join(path, colDirName)); err != nil {
		t.Fatal(err)
	}
	if err := y.Put(refCorpus(rand.New(rand.NewPCG(8, 8)), 3, 4)); err != nil {
		t.Fatal(err)
	}
	columnAnswers(t, y)
	if files, _ := filepath.Glob(filepath.Join(path, colDirName, "*")); len(files) > 0 {
		t.Fatalf("files written for small segments: %v", files)
	}
}

// TestDecodeColumnsRefuses: files whose checksum is right but whose
// content is not consistent are refused.
func TestDecodeColumnsRefuses(t *testing.T) {
	valid := func() (*columns, *facetDict) {
		return &columns{
				published: []int64{noDate, 1e9}, year: []int16{0, 2001}, upvotes: []float64{0, 3}, ids: []string{"a", "bc"},
				off: []uint32{0, 1, 3}, vals: []uint32{1, 0, 1},
			}, &facetDict{
				names: []string{"pruning", "cs.LG"}, group: []uint8{groupTopics, groupCategories},
			}
	}
	h := colHeader{crc: 1, size: 2, docs: 2}
	c, d := valid()
	if _, err := decodeColumns(encodeColumns(c, d, h), h, &facetDict{}); err != nil {
		t.Fatalf("the valid file is refused: %v", err)
	}
	for _, tc := range []struct {
		name   string
		break_ func(c *columns, d *facetDict)
	}{
		{"offsets going back", func(c *columns, d *facetDict) { c.off = []uint32{0, 4, 3} }},
		{"a value past the names", func(c *columns, d *facetDict) { c.vals[2] = 2 }},
		{"an unknown group", func(c *columns, d *facetDict) { d.group[1] = 7 }},
		{"two ids of one value", func(c *columns, d *facetDict) { d.names[1], d.group[1] = "pruning", groupTopics }},
		{"upvotes not a number", func(c *columns, d *facetDict) { c.upvotes[1] = math.NaN() }},
		{"offsets not ending at the values", func(c *columns, d *facetDict) { c.off[2] = 2 }},
		{"offsets not starting at zero", func(c *columns, d *facetDict) { c.off[0] = 1 }},
	} {
		c, d := valid()
		tc.break_(c, d)
		if _, err := decodeColumns(encodeColumns(c, d, h), h, &facetDict{}); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	// An id's end past the ids, or the ids' ends short of them.
	b := encodeColumns(c, d, h)
	body := b[:len(b)-4]
	idEnds := len(body) - 3 - 8 // two ends of 4 bytes before "abc"
	for _, end := range []uint32{9, 2} {
		bad := slices.Clone(body)
		binary.LittleEndian.PutUint32(bad[idEnds+4:], end)
		bad = binary.LittleEndian.AppendUint32(bad, crc32.Checksum(bad, castagnoli))
		if _, err := decodeColumns(bad, h, &facetDict{}); err == nil {
			t.Errorf("last id ending at %d of 3: accepted", end)
		}
	}
}

// TestTopicCountsEdges: a topic whose only paper is deleted is not listed,
// a topic a paper repeats counts it once, an updated paper counts under
// its new topics only, as Bleve's facet has it; a cancelled context stops
// the count.
func TestTopicCountsEdges(t *testing.T) {
	x := openNeverMerge(t, filepath.Join(t.TempDir(), "index"))
	ps := []Paper{
		{ID: "a", Title: "one", Topics: []string{"x", "x"}},
		{ID: "b", Title: "two", Topics: []string{"gone"}},
		{ID: "c", Title: "three", Topics: []string{"y", "x"}},
	}
	if err := x.Put(ps); err != nil {
		t.Fatal(err)
	}
	if err := x.Delete([]string{"b"}); err != nil {
		t.Fatal(err)
	}
	if err := x.Put([]Paper{{ID: "c", Title: "three again", Topics: []string{"w"}}}); err != nil {
		t.Fatal(err)
	}
	got, err := x.TopicCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"x": 1, "w": 1}; !reflect.DeepEqual(got, want) {
		t.Fatalf("TopicCounts = %v, want %v", got, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := x.TopicCounts(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("with a cancelled context: %v", err)
	}
}

// TestSuggestSeveralWords: with words before the one being typed, phrase
// suggestions continue the earlier words as papers do, and title
// suggestions have every earlier word and a completion of the last, on an
// index with updated and deleted papers.
func TestSuggestSeveralWords(t *testing.T) {
	x := openSegmentedRefIndex(t)
	ctx := context.Background()
	// Every live paper's title and abstract, to check against.
	var texts []string
	for i := range 400 {
		p, err := x.get(ctx, fmt.Sprintf("ref-%03d", i))
		if errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, p.Title, p.Abstract)
	}
	for _, tc := range []struct{ typed, want string }{
		{"alpha be", "alpha beta"},
		{"sparse ke", "sparse kernel"},
		{"omega sigma ten", "omega sigma tensor"},
	} {
		ss, err := x.Suggest(ctx, tc.typed, 10)
		if err != nil {
			t.Fatal(err)
		}
		words := strings.Fields(tc.typed)
		var phrases, titles []string
		for _, s := range ss {
			switch s.Kind {
			case SuggestPhrase:
				phrases = append(phrases, s.Text)
				if !slices.ContainsFunc(texts, func(text string) bool { return strings.Contains(strings.ToLower(text), s.Text) }) {
					t.Errorf("%q: phrase %q is in no live paper", tc.typed, s.Text)
				}
			case SuggestTitle:
				titles = append(titles, s.Text)
				tw := strings.Fields(strings.ToLower(s.Text))
				for _, w := range words[:len(words)-1] {
					if !slices.Contains(tw, w) {
						t.Errorf("%q: title %q lacks %q", tc.typed, s.Text, w)
					}
				}
				if !slices.ContainsFunc(tw, func(w string) bool { return strings.HasPrefix(w, words[len(words)-1]) }) {
					t.Errorf("%q: title %q completes no word with %q", tc.typed, s.Text, words[len(words)-1])
				}
			}
		}
		if !slices.Contains(phrases, tc.want) || len(titles) == 0 {
			t.Errorf("%q: phrases %v, titles %v; want %q and a title", tc.typed, phrases, titles, tc.want)
		}
	}
}

// TestSuggestSamplesWhatMatches: the papers read for suggestions are those
// with the earlier words as a phrase and a completion of the last (phrase
// suggestions), or with every earlier word and a completion in the title
// (title suggestions), however much better other papers score for the
// same words: here 60 papers have all the words many times, but never
// side by side, nor all in their titles, and outscore the 5 that do.
func TestSuggestSamplesWhatMatches(t *testing.T) {
	x := openNeverMerge(t, filepath.Join(t.TempDir(), "index"))
	var ps []Paper
	for i := range 200 { // "omega alpha" common in titles
		ps = append(ps, Paper{ID: fmt.Sprintf("c%03d", i), Title: "omega alpha gamma", Abstract: "delta epsilon zeta"})
	}
	for i := range 60 { // every word, many times, never as typed
		ps = append(ps, Paper{ID: fmt.Sprintf("b%03d", i), Title: "beta beta alpha",
			Abstract: "beta omega beta gamma alpha gamma beta omega gamma alpha beta beta"})
	}
	for i := range 5 { // as typed, once, in long text
		ps = append(ps, Paper{ID: fmt.Sprintf("a%03d", i), Title: "omega alpha beta and a long title of many other words here that go on and on for a while yet",
			Abstract: "a long abstract where omega alpha betatron appears once among many other words that say little at all"})
	}
	if err := x.Put(ps); err != nil {
		t.Fatal(err)
	}
	ss, err := x.Suggest(context.Background(), "omega alpha be", 10)
	if err != nil {
		t.Fatal(err)
	}
	var phrases, titles []string
	for _, s := range ss {
		switch s.Kind {
		case SuggestPhrase:
			phrases = append(phrases, s.Text)
		case SuggestTitle:
			titles = append(titles, s.Text)
			if !strings.HasPrefix(s.ID, "a") {
				t.Errorf("title of %s suggested: %q", s.ID, s.Text)
			}
		}
	}
	if !slices.Contains(phrases, "omega alpha beta") || !slices.Contains(phrases, "omega alpha betatron") || len(titles) == 0 {
		t.Fatalf("phrases %v, titles %v; want omega alpha beta, omega alpha betatron and titles", phrases, titles)
	}
}

// TestSuggestStopWordContinuations: a phrase goes on with a stop word,
// which is never among the last word's completions, as often as not, and
// is suggested even when a few papers go on with a completion; and a rare
// word, which commoner ones keep out of the completions, is found too.
func TestSuggestStopWordContinuations(t *testing.T) {
	x := openNeverMerge(t, filepath.Join(t.TempDir(), "index"))
	var ps []Paper
	for i := range 30 {
		ps = append(ps,
			Paper{ID: fmt.Sprintf("l%02d", i), Title: "Large language models for code", Abstract: "We study large language models for code."},
			Paper{ID: fmt.Sprintf("r%02d", i), Title: "Reinforcement learning with feedback", Abstract: "Reinforcement learning with human feedback."},
			Paper{ID: fmt.Sprintf("s%02d", i), Title: "State of the art", Abstract: "The state of the art in parsing."})
	}
	for i := range 20 { // completions of the prefixes, elsewhere
		ps = append(ps, Paper{ID: fmt.Sprintf("o%02d", i), Title: "form window theory", Abstract: "forms windows theories"})
	}
	// A phrase that goes on with a rare word, which the commoner words of
	// the same start keep out of the completions.
	for i := range 20 {
		ps = append(ps, Paper{ID: fmt.Sprintf("z%02d", i), Title: "zqa zqb zqc zqd zqe", Abstract: "zqf zqg zqh zqi zqj"})
	}
	for i := range 3 {
		ps = append(ps, Paper{ID: fmt.Sprintf("q%02d", i), Title: "Omega delta zqz", Abstract: "The omega delta zqz method."})
	}
	for i := range 3 { // and a few going on with one of them
		ps = append(ps,
			Paper{ID: fmt.Sprintf("m%02d", i), Title: "Large language models formally", Abstract: "On large language models formally."},
			Paper{ID: fmt.Sprintf("w%02d", i), Title: "Reinforcement learning windows", Abstract: "Reinforcement learning windows."},
			Paper{ID: fmt.Sprintf("t%02d", i), Title: "State of theory", Abstract: "A state of theory."})
	}
	if err := x.Put(ps); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ typed, want string }{
		{"large language models fo", "large language models for"},
		{"reinforcement learning wi", "reinforcement learning with"},
		{"state of th", "state of the"},
		{"omega delta zq", "omega delta zqz"},
	} {
		ss, err := x.Suggest(context.Background(), tc.typed, 10)
		if err != nil {
			t.Fatal(err)
		}
		var phrases []string
		for _, s := range ss {
			if s.Kind == SuggestPhrase {
				phrases = append(phrases, s.Text)
			}
		}
		if !slices.Contains(phrases, tc.want) {
			t.Errorf("%q: phrases %v, want %q", tc.typed, phrases, tc.want)
		}
	}
}

// TestCollectAllAsBleve: a request without a query hands every live paper
// to the collector directly; the results are those of Bleve's match-all
// searcher, with every sort, filter and page, on an index with updated
// and deleted papers.
func TestCollectAllAsBleve(t *testing.T) {
	x := openSegmentedRefIndex(t)
	reqs := []Request{
		{}, {Sort: SortNewest, Size: 50}, {Sort: SortOldest, Page: 3}, {Sort: SortUpvotes, Size: 100},
		{Sort: SortRelevance, Size: 20}, {Topics: []string{"pruning"}, Size: 100},
		{Categories: []string{"cs.CL", "stat.ML"}, YearFrom: 2020, YearTo: 2022, Size: 100},
		{Topics: []string{"agents", "reasoning"}, Sort: SortUpvotes, Page: 2},
		{Explain: true, Size: 5}, // Bleve's path both ways: it explains
	}
	run := func(direct bool) []Result {
		saved := directMatchAll
		directMatchAll = direct
		defer func() { directMatchAll = saved }()
		return answers(t, x, reqs)
	}
	got, want := run(true), run(false)
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("result %d differs:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if len(want) < len(reqs)+3 || want[0].Total < 390 {
		t.Fatalf("too weak: %d results, %d papers", len(want), want[0].Total)
	}
}

// countdownCtx reports no error for its first n calls of Err, and a passed
// deadline after: a deadline that passes while a search runs.
type countdownCtx struct {
	context.Context
	n atomic.Int64
}

func (c *countdownCtx) Err() error {
	if c.n.Add(-1) < 0 {
		return context.DeadlineExceeded
	}
	return nil
}

// TestCollectAllStopsAtDeadline: a deadline that passes while a request
// without a query hands papers to the collector ends it with the
// deadline's error, not with partial counts; across segments of fewer
// papers than it checks between, too.
func TestCollectAllStopsAtDeadline(t *testing.T) {
	x := openNeverMerge(t, filepath.Join(t.TempDir(), "index"))
	for b := range 3 { // three segments of 2,000 papers
		var ps []Paper
		for i := range 2000 {
			ps = append(ps, Paper{ID: fmt.Sprintf("p%d-%04d", b, i), Title: "t"})
		}
		if err := x.Put(ps); err != nil {
			t.Fatal(err)
		}
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	// Without a filter every paper is offered; with one that few papers
	// pass (none here), few are.
	for _, req := range []*Request{{}, {Topics: []string{"pruning"}}} {
		ctx := &countdownCtx{Context: context.Background()}
		ctx.n.Store(1) // the check before it starts passes
		c := &collector{sort: SortNewest, compare: comparer(SortNewest), keep: 10}
		err := x.collectAll(ctx, req, c)
		c.release()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("collectAll(%+v) past its deadline: %v", req, err)
		}
	}
}

// TestCollectAllTies: a request without a query offers every paper to
// the collector, and nearly every paper ties the worst kept hit on the
// sort's first key (on score, on upvotes, on a day). Such a tie is decided
// on every key, as Bleve's collector orders them, and without allocating:
// it made an allocation per paper, most of the time of sort=upvotes at 2.7
// million papers.
func TestCollectAllTies(t *testing.T) {
	x := openNeverMerge(t, filepath.Join(t.TempDir(), "index"))
	day := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for b := range 3 { // three segments of 2,000 papers on three days
		var ps []Paper
		for i := range 2000 {
			p := Paper{ID: fmt.Sprintf("p%d-%04d", (i*7+b)%5, i*3+b), Title: "t", Published: day.AddDate(0, 0, (i+b)%3).Format(time.DateOnly)}
			if i%500 == 0 {
				p.Upvotes = 3
			}
			ps = append(ps, p)
		}
		if err := x.Put(ps); err != nil {
			t.Fatal(err)
		}
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	// The best 25 as a collector that keeps every paper (and so never
	// rejects one) ranks them.
	best := func(sort string, keep int) []kept {
		c := &collector{sort: sort, compare: comparer(sort), keep: keep}
		defer c.release()
		if err := x.collectAll(context.Background(), &Request{}, c); err != nil {
			t.Fatal(err)
		}
		return c.ranked()[:25]
	}
	for _, sort := range []string{SortUpvotes, SortNewest, SortOldest, SortRelevance} {
		if got, want := best(sort, 25), best(sort, 6000); !reflect.DeepEqual(got, want) {
			t.Errorf("sort %q: kept\n%v\nwant\n%v", sort, got, want)
		}
		var err error
		allocs := testing.AllocsPerRun(3, func() {
			c := &collector{sort: sort, compare: comparer(sort), keep: 10}
			err = x.collectAll(context.Background(), &Request{}, c)
			c.release()
		})
		if err != nil {
			t.Fatal(err)
		}
		if allocs > 500 {
			t.Errorf("sort %q: %.0f allocations for 6,000 papers", sort, allocs)
		}
	}
}
