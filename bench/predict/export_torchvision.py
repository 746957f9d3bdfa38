#!/usr/bin/env python3
"""Exports torchvision networks that formbench's zoo does not have to ONNX (224 px, batch 1, random weights:
nothing is downloaded), as a user would bring them: held-out networks for `formbench predictor check`
(bench/predict/run.sh --onnx DIR). Needs Debian's python3-torch and python3-torchvision (setup.sh --bench).

    python3 bench/predict/export_torchvision.py DIR [name ...]
"""
import os
import sys

import torch
import torchvision

DEFAULT = ["densenet169", "resnet152", "wide_resnet50_2", "regnet_x_800mf", "regnet_y_800mf", "efficientnet_b1",
           "mnasnet0_5", "shufflenet_v2_x0_5"]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for name in sys.argv[2:] or DEFAULT:
        model = getattr(torchvision.models, name)(weights=None).eval()
        path = os.path.join(out, name + ".onnx")
        with torch.no_grad():
            torch.onnx.export(model, torch.randn(1, 3, 224, 224), path, opset_version=13, do_constant_folding=True,
                              input_names=["input"], output_names=["logits"])
        print(f"{name}: {path} (torch {torch.__version__}, torchvision {torchvision.__version__})")


if __name__ == "__main__":
    main()
