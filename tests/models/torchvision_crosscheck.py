#!/usr/bin/env python3
"""Cross-checks the zoo against torchvision (optional, needs torch + torchvision; not part of CI).

For every zoo model torchvision defines, compares formbench's parameter count and conv+linear MACs with the
torchvision model's (MACs counted by forward hooks) at the default resolution and at 64 px, and the number of
convs, linears and BatchNorms executed.

    python3 tests/models/torchvision_crosscheck.py build/release/formbench
"""
import json
import subprocess
import sys

import torch
import torchvision.models as tvm

MODELS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnext50_32x4d", "vgg11", "vgg16", "vgg19",
          "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small", "densenet121", "squeezenet1_0",
          "squeezenet1_1", "shufflenet_v2_x1_0", "googlenet", "inception_v3", "efficientnet_b0",
          "regnet_y_400mf", "mnasnet1_0"]


def torch_counts(name, res):
    kwargs = {"aux_logits": False, "init_weights": False} if name in ("googlenet", "inception_v3") else {}
    model = getattr(tvm, name)(**kwargs).eval()
    counts = {"macs": 0, "Conv2d": 0, "Linear": 0, "BatchNorm": 0}

    def hook(mod, inputs, out):
        if isinstance(mod, torch.nn.Conv2d):
            counts["Conv2d"] += 1
            counts["macs"] += out.numel() * mod.in_channels // mod.groups * mod.kernel_size[0] * mod.kernel_size[1]
        elif isinstance(mod, torch.nn.Linear):
            counts["Linear"] += 1
            counts["macs"] += mod.in_features * mod.out_features
        else:
            counts["BatchNorm"] += 1

    for mod in model.modules():
        if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear, torch.nn.BatchNorm2d)):
            mod.register_forward_hook(hook)
    with torch.no_grad():
        model(torch.zeros(1, 3, res, res))
    counts["params"] = sum(p.numel() for p in model.parameters())
    return counts


def formbench_counts(cli, name, res):
    j = json.loads(subprocess.check_output([cli, "inspect", f"{name}?res={res}", "--json"]))
    ops = [layer["op"] for layer in j["layers"]]
    return {"macs": j["macs"], "params": j["params"], "Conv2d": ops.count("Conv2d"),
            "Linear": ops.count("Linear"), "BatchNorm": ops.count("BatchNorm")}


def main():
    cli = sys.argv[1] if len(sys.argv) > 1 else "build/release/formbench"
    bad = 0
    for name in MODELS:
        default = 299 if name == "inception_v3" else 224
        small = default if name.startswith("vgg") or name == "inception_v3" else 64  # their minimum res
        for res in sorted({default, small}, reverse=True):
            ours, theirs = formbench_counts(cli, name, res), torch_counts(name, res)
            diff = {k: (ours[k], theirs[k]) for k in ours if ours[k] != theirs[k]}
            print(f"{name:20s} res {res:3d}: " + ("same" if not diff else f"DIFFERS (ours, torchvision) {diff}"))
            bad += bool(diff)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
