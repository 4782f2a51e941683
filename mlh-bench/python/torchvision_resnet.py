#!/usr/bin/python3
"""torchvision's ResNets as the reference for the project's checkpoint loading (`make check-weights`).

  features   --arch resnet-50 --weights F.pth --inputs X.f32 --images N --out Y.f32
      Loads F.pth into torchvision's model (a state dict, or one under "state_dict" / "model_state_dict" /
      "model", "module." prefixes removed, fc.* optional), drops the classifier (fc = Identity), and writes
      the pooled features of the N x 3 x 224 x 224 float32 inputs in X.f32 (C order, little-endian) to Y.f32,
      evaluation mode (running batch-norm statistics), on the CPU in float32.
  checkpoint --arch resnet-50 --out F.pth [--seed S] [--wrapped]
      Saves torchvision's freshly initialised model with its batch norms far from fresh (running variances
      log-uniform in [1e-4, 2], running means off zero, scales and shifts other than 1 and 0) with torch.save,
      as a bare state dict or, --wrapped, as {"epoch": 90, "state_dict": {"module." + key: ...}}: a checkpoint
      to check the loading with where no ImageNet weights can be fetched.
"""
import argparse
import sys

import numpy as np
import torch
import torchvision

ARCHES = {"resnet-18": "resnet18", "resnet-34": "resnet34", "resnet-50": "resnet50", "resnet-101": "resnet101"}


def state_dict(path):
    obj = torch.load(path, map_location="cpu")
    if not any(torch.is_tensor(v) for v in obj.values()):
        obj = next(obj[k] for k in ("state_dict", "model_state_dict", "model") if isinstance(obj.get(k), dict))
    if obj and all(k.startswith("module.") for k in obj):
        obj = {k[len("module."):]: v for k, v in obj.items()}
    return obj


def features(args):
    model = getattr(torchvision.models, ARCHES[args.arch])()
    missing, unexpected = model.load_state_dict(state_dict(args.weights), strict=False)
    missing = [k for k in missing if not k.startswith("fc.")]
    if missing or unexpected:
        sys.exit(f"{args.weights} does not load into torchvision's {ARCHES[args.arch]}: missing {missing[:8]}, "
                 f"unexpected {unexpected[:8]}")
    model.fc = torch.nn.Identity()
    model.eval()
    x = torch.from_numpy(np.fromfile(args.inputs, dtype="<f4").reshape(args.images, 3, 224, 224))
    with torch.no_grad():
        y = model(x)
    y.numpy().astype("<f4").tofile(args.out)


def checkpoint(args):
    torch.manual_seed(args.seed)
    model = getattr(torchvision.models, ARCHES[args.arch])()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.running_var.copy_(10 ** (-4 + torch.rand(c) * np.log10(2e4)))
                m.running_mean.copy_(0.3 * torch.randn(c))
                m.weight.copy_((0.4 + 0.6 * torch.rand(c)) * torch.sqrt(m.running_var + m.eps))
                m.bias.copy_(0.1 * torch.randn(c))
                m.num_batches_tracked.fill_(1000)
    sd = model.state_dict()
    if args.wrapped:
        sd = {"epoch": 90, "arch": ARCHES[args.arch], "state_dict": {"module." + k: v for k, v in sd.items()}}
    torch.save(sd, args.out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["features", "checkpoint"])
    p.add_argument("--arch", required=True, choices=sorted(ARCHES))
    p.add_argument("--weights")
    p.add_argument("--inputs")
    p.add_argument("--images", type=int)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--wrapped", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(2)
    (features if args.what == "features" else checkpoint)(args)


if __name__ == "__main__":
    main()
