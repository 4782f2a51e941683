#!/usr/bin/python3
"""The faiss reference for `make bench-serve`: one query a call, as a query service answers them.

Reads the codes ServeSpeedBench wrote (uint8, bits/8 bytes a code, faiss's bit order), then for
IndexBinaryFlat and IndexBinaryMultiHash (NHASH tables of BITS/NHASH bits; the smallest flip radius,
up to 8, at which every sampled query's top-k distances equal the flat index's) answers the queries
one call each, single-threaded (omp 1), from C client threads at once (faiss releases the GIL), for
each C, until N calls or SECONDS are done.

usage: faiss_serve.py DB QUERIES BITS K NHASH CLIENTS[,CLIENTS..] N SECONDS
prints one line per index and client count:
  "faiss index=I clients=C calls=N p50=MS p99=MS qps=Q [nflip=F]"
"""
import sys
import threading
import time

import faiss
import numpy as np


def load(path, bits):
    return np.fromfile(path, dtype=np.uint8).reshape(-1, bits // 8)


def run(index, queries, k, clients, calls, seconds):
    latencies, lock, counter = [], threading.Lock(), [0]
    deadline = time.perf_counter() + seconds

    def client():
        mine = []
        while time.perf_counter() < deadline:
            with lock:
                i = counter[0]
                counter[0] += 1
            if i >= calls:
                break
            q = queries[i % len(queries)][None, :]
            start = time.perf_counter()
            index.search(q, k)
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    ms = np.array(latencies) * 1e3
    return len(ms), np.percentile(ms, 50), np.percentile(ms, 99), len(ms) / wall


def main(db_path, query_path, bits, k, nhash, clients, calls, seconds):
    bits, k, nhash, calls, seconds = int(bits), int(k), int(nhash), int(calls), float(seconds)
    db, queries = load(db_path, bits), load(query_path, bits)
    faiss.omp_set_num_threads(1)
    flat = faiss.IndexBinaryFlat(bits)
    flat.add(db)
    sample = queries[:200]
    exact, _ = flat.search(sample, k)
    multi = faiss.IndexBinaryMultiHash(bits, nhash, bits // nhash)
    multi.add(db)
    nflip = 0
    while True:
        multi.nflip = nflip
        found, _ = multi.search(sample, k)
        if np.array_equal(found, exact) or nflip >= 8:
            break
        nflip += 1
    exact_multi = np.array_equal(found, exact)
    for name, index in (("flat", flat), ("multihash", multi)):
        index.search(queries[:16], k)  # warm up
        for c in (int(x) for x in clients.split(",")):
            n, p50, p99, qps = run(index, queries, k, c, calls, seconds)
            extra = f" nflip={nflip} exact={str(exact_multi).lower()}" if name == "multihash" else ""
            print(f"faiss index={name} clients={c} calls={n} p50={p50:.4f} p99={p99:.4f} qps={qps:.1f}{extra}",
                  flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
