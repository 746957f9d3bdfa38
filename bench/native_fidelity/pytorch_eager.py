#!/usr/bin/env python3
"""Times one architecture in Python PyTorch eager, as a PyTorch user runs it, and prints one JSON line.

The same architectures formbench runs: torchvision's where it has them, the pattern networks written out here
from docs/patterns.md (stem, N blocks, head) with torchvision's own block classes. Random weights (latency does
not depend on their values), eval mode, torch.inference_mode(), torch.set_num_threads(T), batch 1.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torchvision
from torchvision.models.mobilenetv2 import InvertedResidual
from torchvision.models.resnet import BasicBlock


def pattern_network(block, depth, width, classes=1000):
    """formbench's pattern network: 3x3/2 conv-BN-ReLU stem, `depth` blocks at `width`, pool-flatten-linear."""
    stem = [torch.nn.Conv2d(3, width, 3, 2, 1, bias=False), torch.nn.BatchNorm2d(width), torch.nn.ReLU(inplace=True)]
    body = [block(width) for _ in range(depth)]
    head = [torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(1), torch.nn.Linear(width, classes)]
    return torch.nn.Sequential(*stem, *body, *head)


def build(arch):
    """arch -> (module, resolution). Pattern names follow formbench's model references."""
    if arch.startswith("pattern:"):
        name, _, query = arch[len("pattern:"):].partition("?")
        params = dict(kv.split("=") for kv in query.split("&") if kv)
        depth, width = int(params.pop("depth", 8)), int(params.pop("width", 64))
        res = int(params.pop("res", 224))
        if params:
            sys.exit(f"pytorch_eager.py: unsupported pattern parameters {params}")
        blocks = {
            "residual": lambda w: BasicBlock(w, w),  # ResNet basic block, identity shortcut
            "depthwise_bottleneck": lambda w: InvertedResidual(w, w, 1, 6),  # MobileNet-V2, expansion 6
        }
        if name not in blocks:
            sys.exit(f"pytorch_eager.py: no Python definition of pattern '{name}' (have {sorted(blocks)})")
        return pattern_network(blocks[name], depth, width), res
    name, _, query = arch.partition("?")
    res = int(dict(kv.split("=") for kv in query.split("&") if kv).get("res", 224))
    return getattr(torchvision.models, name)(weights=None), res


def setup(runs):
    """The command line both scripts take (ARCH --threads --warmup --runs) and what follows from it: threads
    set, the model built in eval mode and its seeded input. Returns (args, model, input)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("arch")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--runs", type=int, default=runs)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model, res = build(a.arch)
    model.eval()
    return a, model, torch.rand(1, 3, res, res) * 2 - 1


def main():
    a, model, x = setup(runs=15)
    samples = []
    with torch.inference_mode():
        for _ in range(a.warmup):
            model(x)
        for _ in range(a.runs):
            t0 = time.perf_counter()
            model(x)
            samples.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps({"arch": a.arch, "threads": torch.get_num_threads(), "median_ms": statistics.median(samples),
                      "samples_ms": samples, "torch": torch.__version__, "torchvision": torchvision.__version__}))


if __name__ == "__main__":
    main()
