/**
 * Speed and memory benchmarks: each a main class that prints its figures (run by {@code make
 * bench-speed}); the PyTorch and faiss references they are compared with live in {@code mlh-bench/python}.
 */
package io.mlh.bench;
