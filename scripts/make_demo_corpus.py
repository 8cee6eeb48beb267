#!/usr/bin/env python3
"""Builds the demo corpus embedded in papersearch (cmd/papersearch/demo/).

It takes a seeded sample of real arXiv papers from the daily-listings dump in
../shared/data/arxiv-daily-listings (arXiv metadata is CC0), favouring papers
on the topics the default taxonomy names so the facets have something to
show, and writes them as papersearch paper JSON lines, bzip2-compressed (smaller than gzip, and
Go's standard library reads it), under 1 MiB.

    python3 scripts/make_demo_corpus.py ../shared/data/arxiv-daily-listings/*.jsonl.gz \
        cmd/papersearch/demo/arxiv-sample.jsonl.bz2
"""
import bz2
import gzip
import json
import random
import re
import sys

LIMIT = 1_000_000  # bytes, compressed
TOPICAL = re.compile(
    r"quantiz|quantis|prun|perplexit|distill|scaling law|tokeniz|multimodal|vision-language|long-context|"
    r"long context|retrieval-augmented|\bRAG\b|state space|linear attention|mixture of experts|\bMoE\b|"
    r"kv cache|speculative decoding|chain-of-thought|reasoning",
    re.I,
)


def main(src, dst):
    rng = random.Random(20261130)
    topical, other = [], []
    with gzip.open(src, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            text = r["title"] + " " + r["summary"]
            (topical if TOPICAL.search(text) else other).append(r)
    rng.shuffle(topical)
    rng.shuffle(other)
    # Two topical papers for each other one, until the byte budget is used.
    picked, ti, oi = [], 0, 0
    while ti < len(topical) or oi < len(other):
        for _ in range(2):
            if ti < len(topical):
                picked.append(topical[ti]); ti += 1
        if oi < len(other):
            picked.append(other[oi]); oi += 1
        if len(picked) % 100 == 0 and len(encode(picked)) > LIMIT:
            picked = picked[:-100]
            break
    picked.sort(key=lambda r: r["id"])
    data = encode(picked)
    with open(dst, "wb") as f:
        f.write(data)
    print(f"{len(picked)} papers, {len(data)} bytes", file=sys.stderr)


def encode(rs):
    lines = []
    for r in rs:
        p = {
            "id": r["id"],
            "title": " ".join(r["title"].split()),
            "abstract": " ".join(r["summary"].split()),
            # Long author lists are cut to keep more papers in the budget;
            # author_count keeps the true number.
            "authors": r["authors"][:10],
            "author_count": len(r["authors"]),
            "published": r["listing_date"],
            "categories": r["categories"],
            "source": "arxiv",
        }
        lines.append(json.dumps(p, ensure_ascii=False, separators=(",", ":")))
    return bz2.compress(("\n".join(lines) + "\n").encode("utf-8"), 9)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
