#!/usr/bin/env python3
"""PyTorch on the GPU, as a user runs it, for the device check: each formbench graph (dumped by
gpu_graph_dump) is executed op by op with torch.nn.functional under inference_mode (eager), and the same
forward captured once and replayed as a CUDA Graph. fp32 strict (TF32 off in cuDNN and matmul), cuDNN's
other defaults as PyTorch sets them (benchmark off). Times are CUDA-event medians with inputs resident.

  torch_eager.py GRAPH.json [GRAPH.json ...] --out RESULTS.jsonl [--warmup 10] [--runs 30]
"""
import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def make_forward(g, device):
    """A forward function over the graph, with random parameters of the right shapes on `device`."""
    gen = torch.Generator(device="cpu").manual_seed(0)
    params = []
    for n in g["nodes"]:
        p = {}
        for name, shape in n["params"].items():
            if name == "running_var":
                t = torch.rand(shape, generator=gen) + 0.5
            else:
                t = (torch.rand(shape, generator=gen) - 0.5) * (2.0 / math.sqrt(max(1, math.prod(shape[1:]) if len(shape) > 1 else 1)))
            p[name] = t.to(device)
        params.append(p)
    consumers = {}
    for n in g["nodes"]:
        for v in n["inputs"]:
            consumers[v] = consumers.get(v, 0) + 1
    outputs = set(g["outputs"])

    def forward(*xs):
        env = dict(zip(g["inputs"], xs))
        for n, p in zip(g["nodes"], params):
            op, a = n["op"], n["attrs"]
            x = [env[v] for v in n["inputs"]]
            # In place where a module would be (ReLU(inplace=True)): the input dies here and is not an output.
            inplace = consumers.get(n["inputs"][0], 0) == 1 and n["inputs"][0] not in outputs and n["inputs"][0] not in g["inputs"]
            if op == "Conv2d":
                pt, pl, pb, pr = a["pad"]
                xin = x[0] if (pt == pb and pl == pr) else F.pad(x[0], (pl, pr, pt, pb))
                pad = (pt, pl) if (pt == pb and pl == pr) else 0
                y = F.conv2d(xin, p["weight"], p.get("bias"), tuple(a["stride"]), pad, tuple(a["dilation"]), a["groups"])
            elif op == "BatchNorm":
                y = F.batch_norm(x[0], p["running_mean"], p["running_var"], p["weight"], p["bias"], False, 0.0, a["eps"])
            elif op == "ReLU":
                y = F.relu(x[0], inplace=inplace)
            elif op == "ReLU6":
                y = F.relu6(x[0], inplace=inplace)
            elif op == "Sigmoid":
                y = torch.sigmoid(x[0])
            elif op == "HardSigmoid":
                y = torch.clamp(x[0] * a["alpha"] + a["beta"], 0, 1)
            elif op == "SiLU":
                y = F.silu(x[0], inplace=inplace)
            elif op == "HardSwish":
                y = F.hardswish(x[0], inplace=inplace)
            elif op == "Add":
                y = x[0] + x[1]
            elif op == "Mul":
                y = x[0] * x[1]
            elif op == "Concat":
                y = torch.cat(x, a["axis"])
            elif op == "Split":
                y = torch.split(x[0], a["sizes"], 1)
            elif op == "ChannelShuffle":
                b, c, h, w = x[0].shape
                y = F.channel_shuffle(x[0], a["groups"]) if hasattr(F, "channel_shuffle") else \
                    x[0].view(b, a["groups"], c // a["groups"], h, w).transpose(1, 2).reshape(b, c, h, w)
            elif op in ("MaxPool", "AvgPool"):
                pt, pl, pb, pr = a["pad"]
                if pt != pb or pl != pr:
                    raise ValueError(f"{n['name']}: asymmetric pooling padding")
                if op == "MaxPool":
                    y = F.max_pool2d(x[0], tuple(a["kernel"]), tuple(a["stride"]), (pt, pl), ceil_mode=a["ceil_mode"])
                else:
                    y = F.avg_pool2d(x[0], tuple(a["kernel"]), tuple(a["stride"]), (pt, pl), ceil_mode=a["ceil_mode"],
                                     count_include_pad=a["count_include_pad"])
            elif op == "GlobalAvgPool":
                y = F.adaptive_avg_pool2d(x[0], 1)
            elif op == "Flatten":
                y = torch.flatten(x[0], a["axis"])
            elif op == "Linear":
                y = F.linear(x[0], p["weight"], p.get("bias"))
            elif op == "Softmax":
                y = F.softmax(x[0], a["axis"])
            elif op in ("Identity", "Dropout"):
                y = x[0]
            else:
                raise ValueError(f"{n['name']}: op {op} not supported by torch_eager.py")
            if isinstance(y, (tuple, list)):
                for v, t in zip(n["outputs"], y):
                    env[v] = t
            else:
                env[n["outputs"][0]] = y
        return [env[v] for v in g["outputs"]]

    return forward


def time_it(fn, warmup, runs):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    samples = []
    for _ in range(runs):
        start.record()
        fn()
        end.record()
        end.synchronize()
        samples.append(start.elapsed_time(end))
    return samples


def measure(g, warmup, runs):
    device = torch.device("cuda")
    fwd = make_forward(g, device)
    xs = [torch.rand(g["values"][v]["shape"], device=device) * 2 - 1 for v in g["inputs"]]
    res = {"model": g["model"], "name": g["name"]}
    with torch.inference_mode():
        eager = time_it(lambda: fwd(*xs), warmup, runs)
        res["eager_median_ms"] = statistics.median(eager)
        res["eager_samples_ms"] = eager
        # CUDA Graph: warm up on a side stream (as PyTorch's documentation does), capture once, replay.
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(3):
                fwd(*xs)
        torch.cuda.current_stream().wait_stream(s)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            static_out = fwd(*xs)
        replay = time_it(graph.replay, warmup, runs)
        res["cuda_graph_median_ms"] = statistics.median(replay)
        res["cuda_graph_samples_ms"] = replay
        # Same numbers either way (the graph replays the eager kernels).
        ref = fwd(*xs)[0].float()
        res["graph_vs_eager_max_abs_diff"] = float((static_out[0].float() - ref).abs().max())
    return res


def cpu_smoke(args):
    failed = 0
    with open(args.out, "a") as out:
        for path in args.graphs:
            with open(path) as f:
                g = json.load(f)
            try:
                fwd = make_forward(g, torch.device("cpu"))
                xs = [torch.rand(g["values"][v]["shape"]) for v in g["inputs"]]
                with torch.inference_mode():
                    y = fwd(*xs)[0]
                ok = list(y.shape) == g["values"][g["outputs"][0]]["shape"]
                r = {"model": g["model"], "cpu_smoke": "ok" if ok else f"output shape {list(y.shape)}"}
            except Exception as e:
                r = {"model": g["model"], "error": f"{type(e).__name__}: {e}"}
            failed += "error" in r or r.get("cpu_smoke") != "ok"
            out.write(json.dumps(r) + "\n")
            print("torch_eager (cpu smoke):", json.dumps(r), flush=True)
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("graphs", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--cpu-smoke", action="store_true", help="rehearsal without a GPU: run each graph once on the CPU")
    args = ap.parse_args()
    if args.cpu_smoke:
        return cpu_smoke(args)
    torch.backends.cudnn.allow_tf32 = False  # fp32 strict: PyTorch's default allows TF32 in cuDNN convs
    torch.backends.cuda.matmul.allow_tf32 = False
    facts = {"torch": torch.__version__, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
             "device": torch.cuda.get_device_name(0), "cudnn_benchmark": torch.backends.cudnn.benchmark,
             "allow_tf32": False}
    failed = 0
    with open(args.out, "a") as out:
        out.write(json.dumps({"facts": facts}) + "\n")
        for path in args.graphs:
            t0 = time.time()
            try:
                with open(path) as f:
                    g = json.load(f)
                r = measure(g, args.warmup, args.runs)
            except Exception as e:  # one model failing must not stop the others
                failed += 1
                r = {"graph": path, "error": f"{type(e).__name__}: {e}"}
            r["wall_s"] = round(time.time() - t0, 2)
            out.write(json.dumps(r) + "\n")
            out.flush()
            print(f"torch_eager: {r.get('model', path)}: eager {r.get('eager_median_ms', 'n/a')} ms, "
                  f"graph {r.get('cuda_graph_median_ms', 'n/a')} ms ({r['wall_s']} s) {r.get('error', '')}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
