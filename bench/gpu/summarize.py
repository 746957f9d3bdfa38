#!/usr/bin/env python3
"""Summarises a device-check folder (bench/gpu/device_check.sh) into summary.json and summary.md:
per network and batch, the median latency of formbench's torch backend on CUDA (eager), Python PyTorch
eager and as a CUDA Graph (torch_eager.py), and the cudnn backend; speedups of cudnn over each, and their
geometric means per group (patterns, zoo) and batch.   summarize.py OUT_DIR
"""
import glob
import json
import math
import os
import sys
import xml.etree.ElementTree as ET


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def fmt(x, digits=3):
    return "-" if x is None else f"{x:.{digits}f}"


def load_formbench(out):
    rows = {}
    for path in sorted(glob.glob(os.path.join(out, "formbench", "*.json"))):
        try:
            with open(path) as f:
                j = json.load(f)
        except (OSError, ValueError) as e:
            print(f"summarize: {os.path.basename(path)} unreadable: {e}", file=sys.stderr)
            continue
        entries = j.get("backends") or [j]  # compare JSON, or a single bench JSON
        for e in entries:
            b = e.get("backend")
            r = rows.setdefault(j["model"], {"model": j["model"], "batch": j.get("batch")})
            r[b] = {"median_ms": e.get("median_ms"), "timer": e.get("timer"), "host_transfers": e.get("host_transfers"),
                    "samples": e.get("samples", j.get("samples")), "compile_ms": e.get("compile_ms"),
                    "fusions": (e.get("describe") or {}).get("num_fusions"),
                    "ops": (e.get("describe") or {}).get("ops_executed")}
            r["precision"] = j.get("precision")
    return rows


def load_python(out):
    res, facts = {}, None
    path = os.path.join(out, "torch_eager.jsonl")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                try:
                    j = json.loads(line)
                except ValueError:
                    continue
                if "facts" in j:
                    facts = j["facts"]
                elif "model" in j:
                    res[j["model"]] = j
    return res, facts


def load_tests(out):
    path = os.path.join(out, "gtest_gpu.xml")
    if not os.path.exists(path):
        return None
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        return {"error": str(e)}
    cases = []
    for tc in root.iter("testcase"):
        status = "passed"
        if tc.find("failure") is not None:
            status = "failed"
        elif tc.find("skipped") is not None or tc.get("result") == "skipped":
            status = "skipped"
        cases.append({"name": f"{tc.get('classname')}.{tc.get('name')}", "status": status, "time_s": float(tc.get("time", 0))})
    return {"cases": cases, "failed": sum(c["status"] == "failed" for c in cases),
            "skipped": sum(c["status"] == "skipped" for c in cases), "passed": sum(c["status"] == "passed" for c in cases)}


def main():
    out = sys.argv[1]
    fb, (py, facts), tests = load_formbench(out), load_python(out), load_tests(out)
    models = sorted(set(fb) | set(py), key=lambda m: (not m.startswith("pattern:"), m))
    rows = []
    for m in models:
        r = fb.get(m, {})
        p = py.get(m, {})
        cudnn = (r.get("cudnn") or {}).get("median_ms")
        torch_cuda = (r.get("torch") or {}).get("median_ms")
        row = {"model": m, "group": "pattern" if m.startswith("pattern:") else "zoo",
               "batch": r.get("batch") or int(m.split("batch=")[-1].split("&")[0]) if "batch=" in m else r.get("batch"),
               "torch_cuda_ms": torch_cuda, "py_eager_ms": p.get("eager_median_ms"), "py_graph_ms": p.get("cuda_graph_median_ms"),
               "cudnn_ms": cudnn, "cudnn_timer": (r.get("cudnn") or {}).get("timer"),
               "torch_timer": (r.get("torch") or {}).get("timer"), "errors": [x for x in (p.get("error"),) if x]}
        for k, ref in (("speedup_vs_torch_cuda", torch_cuda), ("speedup_vs_py_eager", row["py_eager_ms"]),
                       ("speedup_vs_py_graph", row["py_graph_ms"])):
            row[k] = ref / cudnn if ref and cudnn else None
        rows.append(row)
    groups = {}
    for row in rows:
        g = groups.setdefault(f"{row['group']} batch {row['batch']}", {"rows": []})
        g["rows"].append(row)
    for g in groups.values():
        for k in ("speedup_vs_torch_cuda", "speedup_vs_py_eager", "speedup_vs_py_graph"):
            g["geomean_" + k] = geomean([r[k] for r in g["rows"]])
        del g["rows"]
    b1 = [r for r in rows if r["batch"] == 1]
    targets = {
        "cudnn_faster_than_torch_cuda_eager_every_network_b1":
            all((r["speedup_vs_torch_cuda"] or 0) > 1 for r in b1) if b1 and all(r["speedup_vs_torch_cuda"] for r in b1) else None,
        "cudnn_at_least_py_cuda_graph_b1_fp32":
            all((r["speedup_vs_py_graph"] or 0) >= 1 for r in b1) if b1 and all(r["speedup_vs_py_graph"] for r in b1) else None,
    }
    summary = {"facts": facts, "tests": tests, "rows": rows, "geomeans": groups, "targets": targets}
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    md = ["# GPU device check", ""]
    if facts:
        md += [f"PyTorch {facts.get('torch')} (CUDA {facts.get('cuda')}, cuDNN {facts.get('cudnn')}) on {facts.get('device')}; "
               "fp32 strict (TF32 off) everywhere.", ""]
    if tests:
        md += [f"GPU tests: {tests.get('passed')} passed, {tests.get('failed')} failed, {tests.get('skipped')} skipped.", ""]
        md += [f"- FAILED {c['name']}" for c in tests.get("cases", []) if c["status"] == "failed"]
        md += [""]
    md += ["Median ms (CUDA events, inputs resident unless the timer column says otherwise); speedup = other / cudnn.", "",
           "| network | batch | torch cuda (C++) | PyTorch eager | PyTorch CUDA Graph | cudnn | vs torch | vs eager | vs graph |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        md.append(f"| {r['model']} | {r['batch']} | {fmt(r['torch_cuda_ms'])} | {fmt(r['py_eager_ms'])} | {fmt(r['py_graph_ms'])} | "
                  f"{fmt(r['cudnn_ms'])} | {fmt(r['speedup_vs_torch_cuda'], 2)} | {fmt(r['speedup_vs_py_eager'], 2)} | "
                  f"{fmt(r['speedup_vs_py_graph'], 2)} |")
    md += ["", "| group | geomean vs torch cuda | vs PyTorch eager | vs PyTorch CUDA Graph |", "|---|---|---|---|"]
    for name, g in sorted(groups.items()):
        md.append(f"| {name} | {fmt(g['geomean_speedup_vs_torch_cuda'], 2)} | {fmt(g['geomean_speedup_vs_py_eager'], 2)} | "
                  f"{fmt(g['geomean_speedup_vs_py_graph'], 2)} |")
    md += ["", "Targets: " + ", ".join(f"{k}: {v}" for k, v in targets.items()), ""]
    timers = {(r["torch_timer"], r["cudnn_timer"]) for r in rows if r["torch_timer"]}
    if any(a != b for a, b in timers):
        md += ["Note: torch (C++) and cudnn were timed differently (timer column in the JSON): compare with care.", ""]
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
