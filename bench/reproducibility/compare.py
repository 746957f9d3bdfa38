#!/usr/bin/env python3
"""How far two results databases of the same study agree: the measurement issue's targets.

    python3 bench/reproducibility/compare.py A.sqlite B.sqlite

Per accelerated point: the paired speedups of A and B, whether they agree within +-5%, whether B's lies inside
A's 95% CI (and A's inside B's) and inside A's rerun interval (the CI's log distances x sqrt 2, docs/measure.md:
a correct CI from 3 processes holds about 89% of reruns, the rerun interval about 94%); per backend point: the latencies within +-10%; per pattern: the geometric mean
speedup and the ranking. Reads only the results schema (docs/results_schema.md); Python's standard library.
"""
import math
import sqlite3
import sys
from collections import defaultdict


def load(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = db.execute(
        "SELECT p.model, p.backend, p.threads, p.batch, p.precision, p.device, p.model, p.pattern, p.backend, m.median_ms, m.ci95_low_ms, m.ci95_high_ms, m.speedup,"
        " m.speedup_ci95_low, m.speedup_ci95_high, m.processes, m.remeasured, m.unstable"
        " FROM points p JOIN measurements m ON m.point_id = p.id"
        " WHERE m.agreement_passed IS NULL OR m.agreement_passed = 1").fetchall()
    keys = ["model", "pattern", "backend", "median", "low", "high", "speedup", "sp_low", "sp_high",
            "processes", "remeasured", "unstable"]
    # Keyed by what was measured, not by point id: the id also hashes settings such as the cache simulation,
    # which a second pass may leave out without changing what its times mean.
    return {tuple(r[:6]): dict(zip(keys, r[6:])) for r in rows}


def rerun_interval(est, low, high):
    r = math.sqrt(2)
    return est * (low / est) ** r, est * (high / est) ** r


def share(flags):
    return f"{sum(flags)} of {len(flags)} ({100 * sum(flags) / max(1, len(flags)):.0f}%)"


def geomeans(db):
    by = defaultdict(list)
    for r in db.values():
        if r["pattern"] and r["speedup"] is not None:
            by[r["pattern"]].append(math.log(r["speedup"]))
    return {k: math.exp(sum(v) / len(v)) for k, v in by.items()}


def main(a_path, b_path):
    a, b = load(a_path), load(b_path)
    shared = sorted(set(a) & set(b), key=lambda i: (a[i]["model"], a[i]["backend"]))
    sp = [i for i in shared if a[i]["speedup"] is not None and b[i]["speedup"] is not None]
    print(f"{len(shared)} backend points in both, {len(sp)} speedups")
    print(f"{'model':55s} {'backend':12s} {'A':>8s} {'B':>8s} {'B/A':>6s}  A's 95% CI            in")
    within5, within10, b_in_a, a_in_b, b_in_rerun = [], [], [], [], []
    stable_within5, flagged_off = [], []  # points neither run flagged; points off by > 5% that a run flagged
    for i in sp:
        x, y = a[i], b[i]
        ratio = y["speedup"] / x["speedup"]
        within5.append(abs(ratio - 1) <= 0.05)
        within10.append(abs(ratio - 1) <= 0.10)
        if not (x["unstable"] or y["unstable"]):
            stable_within5.append(within5[-1])
        elif not within5[-1]:
            flagged_off.append(True)
        b_in_a.append(x["sp_low"] <= y["speedup"] <= x["sp_high"])
        a_in_b.append(y["sp_low"] <= x["speedup"] <= y["sp_high"])
        lo, hi = rerun_interval(x["speedup"], x["sp_low"], x["sp_high"])
        b_in_rerun.append(lo <= y["speedup"] <= hi)
        flag = " UNSTABLE" if x["unstable"] or y["unstable"] else ""
        print(f"{x['model']:55s} {x['backend']:12s} {x['speedup']:8.3f} {y['speedup']:8.3f} {ratio:6.3f}  [{x['sp_low']:.3f}, {x['sp_high']:.3f}]"
              f"  {'yes' if b_in_a[-1] else 'rerun interval' if b_in_rerun[-1] else 'NO'}{flag}")
    lat = [abs(b[i]["median"] / a[i]["median"] - 1) <= 0.10 for i in shared]
    lat_in = [a[i]["low"] <= b[i]["median"] <= a[i]["high"] for i in shared]
    lat_rerun = []
    for i in shared:
        lo, hi = rerun_interval(a[i]["median"], a[i]["low"], a[i]["high"])
        lat_rerun.append(lo <= b[i]["median"] <= hi)
    ga, gb = geomeans(a), geomeans(b)
    rank_a = sorted(ga, key=ga.get, reverse=True)
    rank_b = sorted(gb, key=gb.get, reverse=True)
    print()
    print(f"speedups within +-5% of each other:        {share(within5)}   (target >= 90%)")
    print(f"  of those neither run flagged unstable:   {share(stable_within5)}")
    off = within5.count(False)
    print(f"  speedups off by more than 5% that a run flagged unstable: {len(flagged_off)} of {off}")
    print(f"speedups within +-10% of each other:       {share(within10)}   (paper study's target >= 90%)")
    print(f"B's speedups inside A's 95% CIs:           {share(b_in_a)}   (target >= 90%)")
    print(f"A's speedups inside B's 95% CIs:           {share(a_in_b)}")
    print(f"B's speedups inside A's rerun intervals:   {share(b_in_rerun)}   (about 94% expected with 3 processes)")
    print(f"median latencies within +-10%:             {share(lat)}   (target >= 80%)")
    print(f"B's latencies inside A's 95% CIs:          {share(lat_in)}")
    print(f"B's latencies inside A's rerun intervals:  {share(lat_rerun)}")
    print(f"pattern geomean ranking identical:         {'yes' if rank_a == rank_b else 'NO'}")
    for k in rank_a:
        print(f"  {k:22s} A {ga[k]:6.3f}x   B {gb.get(k, float('nan')):6.3f}x")
    if rank_a != rank_b:
        print(f"  A: {' > '.join(rank_a)}\n  B: {' > '.join(rank_b)}")
    for name, db in (("A", a), ("B", b)):
        unstable = sorted({r["model"] for r in db.values() if r["unstable"]})
        remeasured = sorted({r["model"] for r in db.values() if r["remeasured"]})
        print(f"{name}: {len(remeasured)} points remeasured, {len(unstable)} unstable {unstable if unstable else ''}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: compare.py A.sqlite B.sqlite")
    main(sys.argv[1], sys.argv[2])
