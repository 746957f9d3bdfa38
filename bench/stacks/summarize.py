#!/usr/bin/env python3
"""Tables of bench/stacks/run.sh: per model, each backend's latency on stacks A and B, the cross-stack ratio
(B / A from the adjacent process pairs A1-B1 and B2-A2, geometric mean), the paired torch -> onednn speedup on
each stack, and per pattern the ranking of forms by speedup on each stack.

    python3 bench/stacks/summarize.py DIR [--markdown]
"""
import glob
import json
import math
import os
import sys


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def load(d):
    models = open(os.path.join(d, "models.txt")).read().split()
    by = {}
    for f in glob.glob(os.path.join(d, "raw", "*.json")):
        n, slot, stack = os.path.basename(f)[:-5].split("-")
        try:
            by[(int(n), int(slot))] = (stack, json.load(open(f)))
        except json.JSONDecodeError:
            pass
    return models, by


def entry(result, backend):
    for b in result.get("backends", []):
        if b.get("backend") == backend and b.get("error") is None:
            return b
    return None


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    md = "--markdown" in sys.argv
    if len(args) != 1:
        sys.exit("usage: summarize.py DIR [--markdown]")
    models, by = load(args[0])
    rows, stacks = [], {}
    for n, model in enumerate(models, 1):
        procs = {slot: by.get((n, slot)) for slot in (1, 2, 3, 4)}
        for slot, p in procs.items():
            if p:
                libs = p[1].get("machine", {}).get("libraries", {})
                stacks.setdefault(p[0], f"LibTorch {libs.get('libtorch', '?')}, oneDNN {libs.get('onednn', '?')}")
        row = {"model": model, "missing": [s for s, p in procs.items() if not p]}
        for backend in ("torch", "onednn"):
            lat = {s: (entry(p[1], backend) or {}).get("median_ms") if p else None for s, p in procs.items()}
            pairs = [lat[2] / lat[1] if lat[1] and lat[2] else None, lat[3] / lat[4] if lat[3] and lat[4] else None]
            row[backend] = {"a": geomean([lat[1], lat[4]]), "b": geomean([lat[2], lat[3]]),
                            "ratio": geomean(pairs), "pairs": pairs}
        sp = {s: (entry(p[1], "onednn") or {}).get("speedup") if p else None for s, p in procs.items()}
        row["speedup_a"], row["speedup_b"] = geomean([sp[1], sp[4]]), geomean([sp[2], sp[3]])
        agree = []
        for s in (1, 2):
            p = procs[s]
            for backend in ("torch", "onednn"):
                e = entry(p[1], backend) if p else None
                if e and isinstance(e.get("agreement"), dict):
                    agree.append(e["agreement"].get("passed", False))
        row["agreement"] = "ok" if agree and all(agree) else ("FAIL" if agree else "-")
        rows.append(row)

    f = lambda x, d=3: "-" if x is None else f"{x:.{d}f}"
    sep = " | " if md else "  "
    head = ["model", "torch A ms", "torch B ms", "torch B/A (pairs)", "onednn A ms", "onednn B ms",
            "onednn B/A (pairs)", "speedup A", "speedup B", "check"]
    print("A: " + stacks.get("a", "?") + "    B: " + stacks.get("b", "?"))
    print(("| " if md else "") + sep.join(head) + (" |" if md else ""))
    if md:
        print("|" + "---|" * len(head))
    for r in rows:
        cells = [r["model"]]
        for backend in ("torch", "onednn"):
            b = r[backend]
            cells += [f(b["a"]), f(b["b"]),
                      f"{f(b['ratio'])} ({'/'.join(f(x, 2) for x in b['pairs'])})"]
        cells += [f(r["speedup_a"], 2) + "x", f(r["speedup_b"], 2) + "x", r["agreement"]]
        if r["missing"]:
            cells[-1] += f" missing {r['missing']}"
        print(("| " if md else "") + sep.join(cells) + (" |" if md else ""))

    print()
    zoo = [r for r in rows if not r["model"].startswith("pattern:")]
    pat = [r for r in rows if r["model"].startswith("pattern:")]
    for name, group in (("zoo", zoo), ("patterns", pat), ("all", rows)):
        if not group:
            continue
        print(f"{name} ({len(group)}): geomean B/A torch {f(geomean([r['torch']['ratio'] for r in group]))}, "
              f"onednn {f(geomean([r['onednn']['ratio'] for r in group]))}; speedup geomean A "
              f"{f(geomean([r['speedup_a'] for r in group]), 2)}x, B {f(geomean([r['speedup_b'] for r in group]), 2)}x; "
              f"onednn slower than torch: A {sum(1 for r in group if r['speedup_a'] and r['speedup_a'] < 1)}, "
              f"B {sum(1 for r in group if r['speedup_b'] and r['speedup_b'] < 1)}")
    for depth in ("4", "16"):
        ps = [r for r in pat if f"depth={depth}&" in r["model"]]
        if not ps:
            continue
        name = lambda r: r["model"].split(":")[1].split("?")[0]
        for key, label in (("speedup_a", "A"), ("speedup_b", "B")):
            order = sorted((r for r in ps if r[key]), key=lambda r: -r[key])
            print(f"depth {depth}, ranking by speedup on {label}: " +
                  " > ".join(f"{name(r)} {r[key]:.2f}x" for r in order))


if __name__ == "__main__":
    main()
