#!/usr/bin/env python3
"""The usual Python way to aggregate a federated round, for `fedbase bench aggregate` to compare
against: keep every client's delta as a numpy array, then take their weighted average. Prints one
JSON line: seconds for the average, GB/s of delta data consumed, and the process's peak RSS (which
grows with the number of clients, since every array is held).

    python3 bench/aggregate_numpy.py --nodes 64 --params 1000000
"""
import argparse
import json
import resource
import time

import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nodes", type=int, default=16)
    p.add_argument("--params", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    rng = np.random.default_rng(1)
    base = (rng.standard_normal(a.params) * 1e-3).astype(np.float32)
    # every client's upload, held until the round ends (as Flower's FedAvg does with its results list)
    deltas = [base.copy() for _ in range(a.nodes)]
    weights = np.array([1 + n % 3 for n in range(a.nodes)], dtype=np.float64)
    times = []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        mean = np.average(np.stack(deltas), axis=0, weights=weights).astype(np.float32)
        times.append(time.perf_counter() - t0)
    times.sort()
    seconds = times[len(times) // 2]
    data = a.nodes * a.params * 4
    print(json.dumps({
        "benchmark": "aggregate-numpy",
        "nodes": a.nodes,
        "params": a.params,
        "seconds": seconds,
        "gbps": data / seconds / 1e9,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "checksum": float(mean[:10].sum()),
    }))


if __name__ == "__main__":
    main()
