#!/usr/bin/env python3
"""Lists the ATen operators one inference of an architecture calls in Python PyTorch eager, as JSON lines in
the format formbench writes with FORMBENCH_TRACE_ATEN=FILE (one "wall" line per inference, then one line per
operator: nesting depth, name, input shapes, inclusive microseconds), so compare_ops.py can set the two op
lists side by side. Uses PyTorch's profiler, which hooks the same RecordFunction callbacks formbench does.

    aten_ops.py ARCH [--threads T] [--runs N] >> python.jsonl
"""
import json
import time

import torch

from pytorch_eager import setup


def depths(events):
    """Nesting depth per event from the time intervals (the profiler's own parent links miss some)."""
    order = sorted(range(len(events)), key=lambda i: (events[i].time_range.start, -events[i].time_range.end, i))
    stack, depth = [], [0] * len(events)
    for i in order:
        e = events[i].time_range
        while stack and events[stack[-1]].time_range.end < e.end:
            stack.pop()
        depth[i] = len(stack)
        stack.append(i)
    return order, depth


def main():
    a, model, x = setup(runs=5)
    with torch.inference_mode():
        for _ in range(a.warmup):
            model(x)
        for run in range(a.runs):
            with torch.autograd.profiler.profile(record_shapes=True) as prof:
                t0 = time.perf_counter()
                model(x)
                wall = (time.perf_counter() - t0) * 1e6
            events = [e for e in prof.function_events if e.name.startswith("aten::")]
            print(json.dumps({"side": "python", "model": a.arch, "run": run, "wall_us": wall}))
            order, depth = depths(events)
            for i in order:
                e = events[i]
                shapes = [s for s in e.input_shapes if s]
                print(json.dumps({"run": run, "depth": depth[i], "op": e.name, "shapes": shapes,
                                  "us": e.time_range.end - e.time_range.start}))


if __name__ == "__main__":
    main()
