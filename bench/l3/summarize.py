#!/usr/bin/env python3
"""The table of bench/l3/run.sh: per model and backend, the simulated cache counts per inference
(instructions, last-level references = the first level's misses, last-level misses), the median latency
beside them, and torch's traffic into the last level as a multiple of onednn's.

    python3 bench/l3/summarize.py DIR [--markdown]
"""
import json
import os
import sys


def si(x):
    if x is None:
        return "-"
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.3g}{suffix}"
    return f"{x:.3g}"


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    md = "--markdown" in sys.argv
    if len(args) != 1:
        sys.exit("usage: summarize.py DIR [--markdown]")
    d = args[0]
    models = open(os.path.join(d, "models.txt")).read().split()
    head = ["model", "backend", "median ms", "instructions", "LL refs", "LL misses",
            "LL refs torch/onednn", "check"]
    sep = " | " if md else "  "
    print(("| " if md else "") + sep.join(head) + (" |" if md else ""))
    if md:
        print("|" + "---|" * len(head))
    geometry = None
    for n, model in enumerate(models, 1):
        path = os.path.join(d, "raw", f"{n:02d}.json")
        if not os.path.exists(path):
            print(("| " if md else "") + sep.join([model, "failed"] + [""] * (len(head) - 2)) + (" |" if md else ""))
            continue
        j = json.load(open(path))
        by = {b["backend"]: b for b in j["backends"] if b.get("error") is None}
        refs = {k: (b.get("cache_sim") or {}).get("ll_references_per_inference") for k, b in by.items()}
        ratio = refs["torch"] / refs["onednn"] if refs.get("torch") and refs.get("onednn") else None
        for k in ("torch", "onednn"):
            b = by.get(k)
            if b is None:
                continue
            c = b.get("cache_sim") or {}
            geometry = geometry or c.get("ll")
            agreement = b.get("agreement") or {}
            cells = [model.replace("pattern:", "").replace("&width=32&res=224", ""), k, f"{b['median_ms']:.2f}",
                     si(c.get("instructions_per_inference")),
                     si(c.get("ll_references_per_inference")), si(c.get("ll_misses_per_inference")),
                     f"{ratio:.2f}x" if ratio and k == "torch" else "",
                     "ok" if agreement.get("passed") else ("FAIL" if agreement else "-")]
            print(("| " if md else "") + sep.join(cells) + (" |" if md else ""))
    if geometry:
        print(f"\nsimulated last level: {geometry}")


if __name__ == "__main__":
    main()
