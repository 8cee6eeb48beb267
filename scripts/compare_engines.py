#!/usr/bin/python3
"""Measure SQLite FTS5 and Xapian on the corpus and query mix papersearch uses.

Run it with Debian's /usr/bin/python3, which has the xapian module and an
sqlite3 built with FTS5 (apt-get install -y sqlite3 python3-xapian); other
Pythons usually lack xapian. Get the inputs from papersearch itself, so that
every engine indexes the same papers (topics included) and answers the same
queries:

    go run ./cmd/papersearch bench --corpus CORPUS --emit corpus.jsonl \\
        --emit-queries queries.jsonl --duration 0
    /usr/bin/python3 scripts/compare_engines.py --corpus corpus.jsonl --queries queries.jsonl

Each engine builds a fresh index in its own process, so that the peak RSS
(taken right after the build, as papersearch bench takes it) is its own; the
build time includes reading the JSON lines and making the index durable.
The engine then answers the query mix for --duration seconds from one
client, after the same 200 unmeasured warm-up queries as papersearch bench.
Each query does what papersearch's /api/search does with the parameters the
mix gives it: the 1-3 words OR-ed (matching title, abstract or authors),
ranked by BM25 with title words counting three times (papersearch's BM25F
title weight), the topic filter when the query has one, the top 10 with the
whole title highlighted and a snippet of about 280 bytes of the abstract
(HTML-escaped, matches in <mark>), the total, and the number of matches per
topic (top 50, leaving out the topic filter, as papersearch's disjunctive
facets do), per year (top 50) and per arXiv category (top 30); the response
is encoded as JSON. It prints one JSON object per engine with the fields
"papersearch bench --json" prints, plus "engine".

What differs from papersearch: neither engine does papersearch's proximity
bonus, pseudo-relevance feedback, acronym, synonym and spelling expansions
or spelling correction, so these are figures for plain BM25 with facets.
FTS5 stems with Porter (papersearch and Xapian with Snowball English), so
some words match more or fewer papers there ("generic" also finds
"general"); both engines use their own BM25 constants and one length per
paper (papersearch normalises title and abstract lengths apart); neither
drops stop words at index time. SQLite reads its index through mmap, as
Bleve does; Xapian buffers 10,000 papers between flushes (its default),
which sets its build memory. The README's relevance section compares the
rankings. Commands for the full comparison: scripts/README.md.
"""

import argparse
import html
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time

WARMUP = 200  # unmeasured queries first, as papersearch bench
SIZE = 10  # hits per page, /api/search's default
TITLE_WEIGHT = 3  # a title occurrence counts as this many abstract ones
SNIPPET_BYTES = 280  # papersearch's abstract snippet length
SNIPPET_TOKENS = 40  # about SNIPPET_BYTES of English, for FTS5
TOPIC_FACET, YEAR_FACET, CATEGORY_FACET = 50, 50, 30  # facet sizes, as papersearch


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def year_of(paper):
    y = (paper.get("published") or "")[:4]
    return int(y) if len(y) == 4 and y.isdigit() else None


def duplicate(corpus):
    sys.exit("%s repeats a paper id: papersearch merges the records of one paper, this script does not" % corpus)


def respond(q, total, hits, topics, years, categories):
    """Encode what /api/search answers. hits are (paper, score, title html,
    abstract html); the facets are (value, count) pairs, largest first."""
    return json.dumps(
        {
            "query": q["q"],
            "total": total,
            "hits": [
                dict({k: v for k, v in paper.items() if k != "abstract"}, score=round(score, 4),
                     highlights={"title": [title], "abstract": [abstract]})
                for paper, score, title, abstract in hits
            ],
            "facets": {
                "topics": [{"value": v, "count": n} for v, n in topics],
                # Years read newest first, as papersearch lists them.
                "years": [{"value": str(v), "count": n} for v, n in sorted(years, reverse=True)],
                "categories": [{"value": v, "count": n} for v, n in categories],
            },
        },
        ensure_ascii=False,
    )


# --- SQLite FTS5 ---------------------------------------------------------


def sqlite_check():
    import sqlite3

    try:
        sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(x)")
    except sqlite3.OperationalError as e:
        return "this Python's SQLite %s has no FTS5 (%s); use Debian's /usr/bin/python3" % (sqlite3.sqlite_version, e)
    return None


def sqlite_build(corpus, path):
    import sqlite3

    db = sqlite3.connect(os.path.join(path, "index.sqlite"))
    # Title and abstract are stored once, in the full-text table (as
    # papersearch stores them once); meta is the rest of the paper.
    db.executescript(
        f"""
        CREATE TABLE papers (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, meta TEXT NOT NULL);
        CREATE TABLE years (rowid INTEGER PRIMARY KEY, year INTEGER NOT NULL);
        CREATE TABLE topics (paper INTEGER, topic TEXT, PRIMARY KEY (paper, topic)) WITHOUT ROWID;
        CREATE TABLE categories (paper INTEGER, category TEXT, PRIMARY KEY (paper, category)) WITHOUT ROWID;
        CREATE VIRTUAL TABLE fts USING fts5(title, abstract, authors, tokenize = 'porter unicode61');
        INSERT INTO fts (fts, rank) VALUES ('rank', 'bm25({TITLE_WEIGHT}.0, 1.0, 1.0)');
        """
    )
    n = 0
    with db:
        for n, p in enumerate(read_jsonl(corpus), 1):
            meta = {k: v for k, v in p.items() if k not in ("title", "abstract")}
            try:
                db.execute("INSERT INTO papers VALUES (?, ?, ?)", (n, p["id"], json.dumps(meta, ensure_ascii=False)))
            except sqlite3.IntegrityError:
                duplicate(corpus)
            year = year_of(p)
            if year is not None:
                db.execute("INSERT INTO years VALUES (?, ?)", (n, year))
            db.execute(
                "INSERT INTO fts (rowid, title, abstract, authors) VALUES (?, ?, ?, ?)",
                (n, p.get("title") or "", p.get("abstract") or "", "; ".join(p.get("authors") or [])),
            )
            db.executemany("INSERT OR IGNORE INTO topics VALUES (?, ?)", [(n, t) for t in p.get("topics") or []])
            db.executemany(
                "INSERT OR IGNORE INTO categories VALUES (?, ?)", [(n, c) for c in p.get("categories") or []]
            )
        db.execute("INSERT INTO fts (fts) VALUES ('optimize')")
    db.close()
    return n


def sqlite_marks(s):
    # FTS5 does not escape; mark with control characters, escape, then swap.
    return html.escape(s).replace("\x02", "<mark>").replace("\x03", "</mark>")


def sqlite_searcher(path):
    import sqlite3

    db = sqlite3.connect(os.path.join(path, "index.sqlite"), isolation_level=None)
    # Read the index through mmap, as Bleve reads its segments.
    db.execute("PRAGMA mmap_size = %d" % (1 << 30))
    # The matches go into a temporary table, with their BM25 score, in one
    # pass over the postings; the page, the total and the facets read it.
    db.execute("CREATE TEMP TABLE m (rowid INTEGER PRIMARY KEY, rank REAL)")
    db.execute("CREATE TEMP TABLE f (rowid INTEGER PRIMARY KEY, rank REAL)")

    def search(q):
        match = " OR ".join('"%s"' % w for w in q["q"].replace('"', " ").split())
        db.execute("BEGIN")
        db.execute("DELETE FROM m")
        db.execute("INSERT INTO m SELECT rowid, rank FROM fts WHERE fts MATCH ?", (match,))
        hits_from = "m"
        if q.get("topic"):
            db.execute("DELETE FROM f")
            db.execute(
                "INSERT INTO f SELECT m.rowid, m.rank FROM m JOIN topics t ON t.paper = m.rowid AND t.topic = ?",
                (q["topic"],),
            )
            hits_from = "f"
        top = db.execute(f"SELECT rowid, rank FROM {hits_from} ORDER BY rank LIMIT {SIZE}").fetchall()
        total = db.execute(f"SELECT count(*) FROM {hits_from}").fetchone()[0]
        # The topic facet leaves out the topic filter; the others keep it.
        topics = db.execute(
            f"SELECT t.topic, count(*) FROM m JOIN topics t ON t.paper = m.rowid"
            f" GROUP BY t.topic ORDER BY 2 DESC LIMIT {TOPIC_FACET}"
        ).fetchall()
        years = db.execute(
            f"SELECT y.year, count(*) FROM {hits_from} x JOIN years y ON y.rowid = x.rowid"
            f" GROUP BY y.year ORDER BY 2 DESC LIMIT {YEAR_FACET}"
        ).fetchall()
        categories = db.execute(
            f"SELECT c.category, count(*) FROM {hits_from} x JOIN categories c ON c.paper = x.rowid"
            f" GROUP BY c.category ORDER BY 2 DESC LIMIT {CATEGORY_FACET}"
        ).fetchall()
        # Highlights and stored fields for the page only.
        rows = ",".join(str(r) for r, _ in top)
        marked = {
            r: (title, sqlite_marks(t), sqlite_marks(a))
            for r, title, t, a in db.execute(
                "SELECT rowid, title, highlight(fts, 0, char(2), char(3)),"
                f" snippet(fts, 1, char(2), char(3), '…', {SNIPPET_TOKENS})"
                f" FROM fts WHERE fts MATCH ? AND rowid IN ({rows})",
                (match,),
            )
        }
        meta = dict(db.execute(f"SELECT rowid, meta FROM papers WHERE rowid IN ({rows})"))
        db.execute("COMMIT")
        hits = []
        for r, rank in top:
            title, t, a = marked[r]
            hits.append((dict(json.loads(meta[r]), title=title), -rank, t, a))
        return respond(q, total, hits, topics, years, categories)

    return search


# --- Xapian ----------------------------------------------------------------

# Value slots: the year, then one slot per topic and per category a paper
# has (Xapian counts one value per slot); the build records how many.
YEAR_SLOT, TOPIC_SLOT, CATEGORY_SLOT = 0, 1000, 2000


def xapian_check():
    try:
        import xapian  # noqa: F401
    except ImportError:
        return "no xapian module in %s; apt-get install -y python3-xapian and use /usr/bin/python3" % sys.executable
    return None


def xapian_build(corpus, path):
    import xapian

    db = xapian.WritableDatabase(os.path.join(path, "index.xapian"), xapian.DB_CREATE_OR_OVERWRITE)
    tg = xapian.TermGenerator()
    tg.set_stemmer(xapian.Stem("english"))
    n = max_topics = max_categories = 0
    for n, p in enumerate(read_jsonl(corpus), 1):
        doc = xapian.Document()
        tg.set_document(doc)
        tg.index_text(p.get("title") or "", TITLE_WEIGHT)
        tg.increase_termpos()
        tg.index_text(p.get("abstract") or "")
        tg.increase_termpos()
        tg.index_text("; ".join(p.get("authors") or []))
        year = year_of(p)
        if year is not None:
            doc.add_value(YEAR_SLOT, str(year))
        topics = list(dict.fromkeys(p.get("topics") or []))
        categories = list(dict.fromkeys(p.get("categories") or []))
        for i, t in enumerate(topics):
            doc.add_boolean_term("XT" + t)
            doc.add_value(TOPIC_SLOT + i, t)
        for i, c in enumerate(categories):
            doc.add_value(CATEGORY_SLOT + i, c)
        max_topics, max_categories = max(max_topics, len(topics)), max(max_categories, len(categories))
        doc.set_data(json.dumps(p, ensure_ascii=False))
        idterm = "Q" + p["id"]
        doc.add_boolean_term(idterm)
        db.replace_document(idterm, doc)
    db.set_metadata("topic_slots", str(max_topics))
    db.set_metadata("category_slots", str(max_categories))
    db.commit()
    if db.get_doccount() != n:
        duplicate(corpus)
    db.close()
    return n


def xapian_searcher(path):
    import xapian

    db = xapian.Database(os.path.join(path, "index.xapian"))
    stemmer = xapian.Stem("english")
    qp = xapian.QueryParser()
    qp.set_stemmer(stemmer)
    qp.set_stemming_strategy(xapian.QueryParser.STEM_SOME)
    qp.set_default_op(xapian.Query.OP_OR)
    everything = db.get_doccount()  # check every match: exact totals and facets
    topic_slots = range(TOPIC_SLOT, TOPIC_SLOT + int(db.get_metadata("topic_slots")))
    category_slots = range(CATEGORY_SLOT, CATEGORY_SLOT + int(db.get_metadata("category_slots")))

    def spy_on(enquire, slots):
        spies = [xapian.ValueCountMatchSpy(s) for s in slots]
        for spy in spies:
            enquire.add_matchspy(spy)
        return spies

    def top(spies, n, key=None):
        counts = {}
        for spy in spies:
            for item in spy.values():
                v = item.term.decode()
                counts[v] = counts.get(v, 0) + item.termfreq
        return sorted(((key(v) if key else v, c) for v, c in counts.items()), key=lambda vc: -vc[1])[:n]

    def search(q):
        text = qp.parse_query(q["q"], 0)  # plain words: no operators
        enquire = xapian.Enquire(db)
        if q.get("topic"):
            enquire.set_query(xapian.Query(xapian.Query.OP_FILTER, text, xapian.Query("XT" + q["topic"])))
        else:
            enquire.set_query(text)
        enquire.set_weighting_scheme(xapian.BM25Weight())
        year_spies = spy_on(enquire, [YEAR_SLOT])
        category_spies = spy_on(enquire, category_slots)
        if q.get("topic"):
            # The topic facet leaves out the topic filter: a second,
            # unranked pass counts it.
            unfiltered = xapian.Enquire(db)
            unfiltered.set_query(text)
            unfiltered.set_weighting_scheme(xapian.BoolWeight())
            topic_spies = spy_on(unfiltered, topic_slots)
            unfiltered.get_mset(0, 0, everything)
        else:
            topic_spies = spy_on(enquire, topic_slots)
        mset = enquire.get_mset(0, SIZE, everything)
        hits = []
        for m in mset:
            p = json.loads(m.document.get_data())
            title, abstract = p.get("title") or "", p.get("abstract") or ""
            # The whole title (a length past its end), the best window of the
            # abstract; Xapian escapes the text.
            marked_title = mset.snippet(title, len(title.encode()) + 1, stemmer, 0, "<mark>", "</mark>", "")
            marked_abstract = mset.snippet(
                abstract, SNIPPET_BYTES, stemmer, xapian.MSet.SNIPPET_EXHAUSTIVE, "<mark>", "</mark>", "…"
            )
            hits.append((p, m.weight, marked_title.decode(), marked_abstract.decode()))
        return respond(
            q,
            mset.get_matches_estimated(),
            hits,
            top(topic_spies, TOPIC_FACET),
            top(year_spies, YEAR_FACET, int),
            top(category_spies, CATEGORY_FACET),
        )

    return search


ENGINES = {
    "sqlite-fts5": (sqlite_check, sqlite_build, sqlite_searcher),
    "xapian": (xapian_check, xapian_build, xapian_searcher),
}


# --- measuring -------------------------------------------------------------


def dir_bytes(path):
    return sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(path) for f in files)


def percentile_ms(sorted_ms, p):
    """Nearest rank, as papersearch bench."""
    return sorted_ms[min(max(math.ceil(p * len(sorted_ms)) - 1, 0), len(sorted_ms) - 1)]


def run_queries(search, mix, duration):
    for q in mix[:WARMUP]:
        search(q)
    lat = []
    start = time.perf_counter()
    deadline = start + duration
    while (t0 := time.perf_counter()) < deadline:
        search(mix[len(lat) % len(mix)])
        lat.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - start
    lat.sort()
    return {
        "queries": len(lat),
        "qps": len(lat) / elapsed,
        "p50_ms": percentile_ms(lat, 0.50),
        "p95_ms": percentile_ms(lat, 0.95),
        "p99_ms": percentile_ms(lat, 0.99),
    }


def child(engine, corpus, queries, duration, path):
    _, build, searcher = ENGINES[engine]
    t0 = time.perf_counter()
    docs = build(corpus, path)
    build_seconds = time.perf_counter() - t0
    report = {
        "engine": engine,
        "docs": docs,
        "build_seconds": build_seconds,
        "docs_per_sec": docs / build_seconds,
        "index_bytes": dir_bytes(path),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "queries": 0,
        "qps": 0,
        "p50_ms": 0,
        "p95_ms": 0,
        "p99_ms": 0,
    }
    if duration > 0:
        report.update(run_queries(searcher(path), list(read_jsonl(queries)), duration))
    print(json.dumps(report), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True, help="JSON lines from papersearch bench --emit")
    ap.add_argument("--queries", required=True, help="JSON lines from papersearch bench --emit-queries")
    ap.add_argument("--engines", default=",".join(ENGINES), help="comma-separated, of: " + ", ".join(ENGINES))
    ap.add_argument("--duration", type=float, default=10, help="seconds of queries per engine; 0 builds only")
    ap.add_argument("--workdir", help="an empty directory to build the indexes in and keep (default: temporary)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        child(args.child, args.corpus, args.queries, args.duration, args.workdir)
        return
    engines = args.engines.split(",")
    for engine in engines:
        if engine not in ENGINES:
            sys.exit("unknown engine %r; choose among %s" % (engine, ", ".join(ENGINES)))
        problem = ENGINES[engine][0]()
        if problem:
            sys.exit("%s: %s" % (engine, problem))
    for path in (args.corpus, args.queries):
        if not os.path.isfile(path):
            sys.exit("%s: no such file" % path)
    if args.workdir and os.path.exists(args.workdir) and os.listdir(args.workdir):
        sys.exit("%s is not empty; each engine builds a fresh index" % args.workdir)

    with tempfile.TemporaryDirectory(prefix="compare-engines-") as tmp:
        for engine in engines:
            path = os.path.join(args.workdir or tmp, engine)
            os.makedirs(path)
            # A process of its own: the peak RSS is the engine's alone.
            rc = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--child", engine, "--corpus", args.corpus,
                 "--queries", args.queries, "--duration", str(args.duration), "--workdir", path]
            ).returncode
            if rc != 0:
                sys.exit("%s failed (exit status %d)" % (engine, rc))


if __name__ == "__main__":
    main()
