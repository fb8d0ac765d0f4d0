#!/usr/bin/env python3
"""Bounded load test of `kho serve` on 127.0.0.1 (standard library only).

Starts `kho serve` on a fresh store in a temporary directory, creates one account
per simulated person, then runs N concurrent clients for S seconds mixing searches
(70 %), downloads (20 %) and deposits (10 %). At the end every acknowledged deposit
must be listed by the server and re-downloadable with the same BLAKE3/SHA-256
(no lost deposit). Prints latency percentiles per operation and exits 1 on any
error.

    scripts/loadtest.py [--kho target/release/kho] [--clients 32] [--seconds 60]
"""
import argparse
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

WORDS = ["văn bản điện tử", "van ban dien tu", "quyết định", "ủy ban nhân dân",
         "05/2016/QĐ-UBND", "nam dinh", "chữ ký số", "lưu trữ", "hồ sơ", "báo cáo"]


def request(base, method, path, token, body=None, ctype=None, headers=None):
    req = urllib.request.Request(base + path, data=body, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if ctype:
        req.add_header("Content-Type", ctype)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def multipart(meta, filename, data):
    b = "kho-load-" + os.urandom(8).hex()
    parts = [
        f"--{b}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n".encode()
        + json.dumps(meta, ensure_ascii=False).encode() + b"\r\n",
        f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
        "Content-Type: text/plain\r\n\r\n".encode() + data + b"\r\n",
        f"--{b}--\r\n".encode(),
    ]
    return "multipart/form-data; boundary=" + b, b"".join(parts)


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kho", default="target/release/kho")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    kho = os.path.abspath(args.kho)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    samples = json.load(open(os.path.join(root, "examples/documents/metadata.json"), encoding="utf-8"))
    tmp = tempfile.mkdtemp(prefix="kho-load-")
    proc = subprocess.Popen([kho, "serve", "--listen", "127.0.0.1:0"], cwd=tmp,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    admin = base = None
    for line in proc.stdout:
        m = re.search(r"token \(shown once, keep it safe\): (\S+)", line)
        if m:
            admin = m.group(1)
        m = re.search(r"(http://[0-9.:]+)/", line)
        if m:
            base = m.group(1)
            break
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    try:
        def user(name, role):
            s, b = request(base, "POST", "/api/v1/users", admin,
                           json.dumps({"name": name, "role": role}).encode(), "application/json")
            assert s == 201, (s, b)
            return json.loads(b)["token"]

        archivist = user("load-archivist", "archivist")
        # Seed: the sample decisions.
        seeded = []
        for e in samples:
            meta = {k: v for k, v in e.items() if k != "file"}
            data = open(os.path.join(root, "examples/documents", e["file"]), "rb").read()
            ct, body = multipart(meta, e["file"], data)
            s, b = request(base, "POST", "/api/v1/records?wait=searchable", archivist, body, ct)
            assert s == 201, (s, b)
            seeded.append(json.loads(b)["record_id"])
        tokens = [user(f"officer-{i}", "officer") for i in range(args.clients)]
        deposit_tokens = [user(f"archivist-{i}", "archivist") for i in range(args.clients)]
        lat = {"search": [], "download": [], "deposit": []}
        errors = []
        acked = []  # (record id, sha256)
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds

        def client(i):
            rng = random.Random(i)
            n = 0
            while time.monotonic() < stop:
                op = rng.random()
                t0 = time.monotonic()
                if op < 0.7:
                    q = urllib.parse.quote(rng.choice(WORDS))
                    s, b = request(base, "GET", f"/api/v1/search?q={q}", tokens[i])
                    kind, ok = "search", s == 200
                elif op < 0.9:
                    rid = rng.choice(seeded)
                    s, b = request(base, "GET", f"/api/v1/records/{rid}/files/1", tokens[i])
                    kind, ok = "download", s == 200 and len(b) > 0
                else:
                    n += 1
                    e = rng.choice(samples)
                    meta = {k: v for k, v in e.items() if k != "file"}
                    data = (f"Bản sao thử tải số {i}-{n}\n".encode()
                            + open(os.path.join(root, "examples/documents", e["file"]), "rb").read())
                    ct, body = multipart(meta, f"load-{i}-{n}.txt", data)
                    s, b = request(base, "POST", "/api/v1/records", deposit_tokens[i], body, ct,
                                   {"Idempotency-Key": f"load-{i}-{n}"})
                    kind, ok = "deposit", s == 201
                    if ok:
                        with lock:
                            acked.append((json.loads(b)["record_id"], hashlib.sha256(data).hexdigest()))
                dt = time.monotonic() - t0
                with lock:
                    lat[kind].append(dt)
                    if not ok:
                        errors.append(f"{kind}: HTTP {s}: {b[:200]!r}")

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        # No lost deposit: every acknowledged record is listed and its bytes come back.
        listed = set()
        after = ""
        while True:
            s, b = request(base, "GET", f"/api/v1/records?limit=500{after}", archivist)
            page = json.loads(b)
            listed.update(r["record_id"] for r in page["records"])
            if not page.get("next_after"):
                break
            after = "&after=" + page["next_after"]
        lost = [r for r, _ in acked if r not in listed]
        for rid, sha in acked[:50]:
            s, b = request(base, "GET", f"/api/v1/records/{rid}/files/1", tokens[0])
            if s != 200 or hashlib.sha256(b).hexdigest() != sha:
                lost.append(rid)
        result = {
            "clients": args.clients, "seconds": round(elapsed, 1),
            "requests": sum(len(v) for v in lat.values()),
            "errors": len(errors), "lost_deposits": len(lost),
            "ops": {k: {"count": len(v), "p50_ms": round(pct(v, 50) * 1000, 1),
                        "p99_ms": round(pct(v, 99) * 1000, 1)} for k, v in lat.items()},
        }
        result["requests_per_s"] = round(result["requests"] / elapsed, 1)
        print(json.dumps(result, indent=2) if args.json else
              "\n".join([f"{args.clients} clients, {elapsed:.0f} s, {result['requests']} requests "
                         f"({result['requests_per_s']}/s), {len(errors)} errors, {len(lost)} lost deposits"]
                        + [f"  {k:<9} n={o['count']:<6} p50 {o['p50_ms']} ms  p99 {o['p99_ms']} ms"
                           for k, o in result["ops"].items()]))
        for e in errors[:10]:
            print("error:", e, file=sys.stderr)
        return 1 if errors or lost else 0
    finally:
        proc.terminate()
        proc.wait(timeout=60)


if __name__ == "__main__":
    import urllib.parse
    sys.exit(main())
