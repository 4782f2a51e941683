#!/usr/bin/python3
"""The faiss reference for `make bench-rank`: exact Hamming top-k with faiss IndexBinaryFlat.

Reads the codes RankSpeedBench wrote (uint8, bits/8 bytes a code; bit k of a code is bit k % 8 of byte
k // 8, which is how faiss packs bits too, and in any case the Hamming distance only needs both sides
to use the same order), times index.search for each thread count, and writes the last run's distances
(int32, queries x k) so the Java side can check both rank the same distances.

usage: faiss_rank.py DB QUERIES BITS K THREADS[,THREADS..] MIN_SECONDS DISTANCES_OUT
prints one line per thread count: "faiss threads=T seconds=S cpu=C runs=R" (S: the fastest run's wall
seconds; C: the least process CPU seconds of a run, OpenMP threads included)
"""
import sys
import time

import faiss
import numpy as np


def main(db_path, query_path, bits, k, threads, min_seconds, out_path):
    bits, k, min_seconds = int(bits), int(k), float(min_seconds)
    db = np.fromfile(db_path, dtype=np.uint8).reshape(-1, bits // 8)
    queries = np.fromfile(query_path, dtype=np.uint8).reshape(-1, bits // 8)
    index = faiss.IndexBinaryFlat(bits)
    index.add(db)
    index.search(queries[:8], k)  # warm up
    distances = None
    for t in (int(x) for x in threads.split(",")):
        faiss.omp_set_num_threads(t)
        best, best_cpu, runs, spent = float("inf"), float("inf"), 0, 0.0
        while runs == 0 or spent < min_seconds:
            start, cpu_start = time.perf_counter(), time.process_time()
            distances, _ = index.search(queries, k)
            took, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            best, best_cpu, runs, spent = min(best, took), min(best_cpu, cpu), runs + 1, spent + took
        print(f"faiss threads={t} seconds={best:.6f} cpu={best_cpu:.6f} runs={runs}", flush=True)
    distances.astype(np.int32).tofile(out_path)


if __name__ == "__main__":
    main(*sys.argv[1:])
