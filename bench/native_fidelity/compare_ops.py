#!/usr/bin/env python3
"""Sets two ATen op traces side by side (formbench's FORMBENCH_TRACE_ATEN file and aten_ops.py's output):
operator counts at every depth, the top-level call sequence (a diff, with input shapes), time per top-level
operator and what each side spends outside ATen (wall minus the top-level operators' inclusive time: for
Python, the interpreter and nn.Module dispatch). Medians over the traced inferences.

    compare_ops.py formbench.jsonl python.jsonl
"""
import collections
import difflib
import json
import statistics
import sys


def load(path):
    runs = collections.defaultdict(lambda: {"wall": None, "ops": []})
    side = None
    for line in open(path):
        r = json.loads(line)
        if "wall_us" in r:
            side = r["side"]
            runs[r["run"]]["wall"] = r["wall_us"]
        else:
            runs[r["run"]]["ops"].append(r)
    return side, [runs[k] for k in sorted(runs)]


def summary(runs):
    top = lambda run: [o for o in run["ops"] if o["depth"] == 0]
    counts = collections.Counter(o["op"] for o in runs[0]["ops"])
    seq = [f'{o["op"]} {o["shapes"]}' for o in top(runs[0])]
    per_name = collections.defaultdict(list)
    for run in runs:
        acc = collections.Counter()
        for o in top(run):
            acc[o["op"]] += o["us"]
        for k, v in acc.items():
            per_name[k].append(v)
    wall = statistics.median(r["wall"] for r in runs)
    inside = statistics.median(sum(o["us"] for o in top(r)) for r in runs)
    outside = statistics.median(r["wall"] - sum(o["us"] for o in top(r)) for r in runs)
    return counts, seq, {k: statistics.median(v) for k, v in per_name.items()}, wall, inside, outside, len(top(runs[0]))


def main():
    (sa, ra), (sb, rb) = load(sys.argv[1]), load(sys.argv[2])
    ca, qa, ta, wa, ia, oa, na = summary(ra)
    cb, qb, tb, wb, ib, ob, nb = summary(rb)
    print(f"## operator counts per inference, every depth ({sa} vs {sb}); differences only")
    diff = [(k, ca.get(k, 0), cb.get(k, 0)) for k in sorted(set(ca) | set(cb)) if ca.get(k, 0) != cb.get(k, 0)]
    for k, x, y in diff:
        print(f"  {k:40s} {x:6d} {y:6d}")
    if not diff:
        print("  (identical)")
    print(f"\n## top-level call sequence: {na} vs {nb} calls; unified diff (- {sa}, + {sb})")
    d = list(difflib.unified_diff(qa, qb, lineterm="", n=1))
    print("\n".join(d[2:]) if d else "  (identical, input shapes included)")
    print(f"\n## top-level operators, inclusive time per inference (us, median of {len(ra)} / {len(rb)} traced runs)")
    print(f"  {'op':32s} {sa:>10s} {sb:>10s} {'ratio':>7s}")
    for k in sorted(set(ta) | set(tb), key=lambda k: -max(ta.get(k, 0), tb.get(k, 0))):
        x, y = ta.get(k, 0), tb.get(k, 0)
        print(f"  {k:32s} {x:10.0f} {y:10.0f} {x / y if y else float('nan'):7.3f}")
    print(f"  {'sum of top-level operators':32s} {ia:10.0f} {ib:10.0f} {ia / ib:7.3f}")
    print(f"  {'outside ATen (wall - sum)':32s} {oa:10.0f} {ob:10.0f}")
    print(f"  {'wall (traced)':32s} {wa:10.0f} {wb:10.0f} {wa / wb:7.3f}")
    print(f"  outside ATen per top-level call: {sa} {oa / max(na, 1):.2f} us, {sb} {ob / max(nb, 1):.2f} us")


if __name__ == "__main__":
    main()
