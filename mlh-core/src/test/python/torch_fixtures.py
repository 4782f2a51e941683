#!/usr/bin/python3
"""Small checkpoints written by PyTorch itself, for TorchCheckpointTest (run by `make weights-fixture`).

wrapped.pth   {"epoch", "best_acc1", "arch", "state_dict" (keys prefixed "module."), "optimizer"}: float32,
              float64 and float16 tensors, a transposed (non-contiguous) view, two views into one storage
              at offsets, an int64 num_batches_tracked; torch.save's zip format.
legacy.pth    a state dict in torch's legacy (pre-1.6) format.
scripted.pt   a TorchScript archive (torch.jit.save).
module.pth    a whole pickled module (torch.save(model)).
"""
import collections
import sys

import torch

out = sys.argv[1]
base = torch.arange(6, dtype=torch.float32).reshape(2, 3)
shared = torch.arange(10, dtype=torch.float32)
sd = collections.OrderedDict([
    ("conv.weight", torch.arange(6, dtype=torch.float32).reshape(2, 3, 1, 1)),
    ("bn.running_var", torch.tensor([1e-4, 2.0], dtype=torch.float64)),
    ("bn.num_batches_tracked", torch.tensor(7, dtype=torch.int64)),
    ("half", torch.tensor([1.0, -2.5, 65504.0], dtype=torch.float16)),
    ("view", base.t()),
    ("shared_a", shared[2:5]),
    ("shared_b", shared[5:9].view(2, 2)),
])
torch.save({"epoch": 7, "best_acc1": 75.5, "arch": "toy",
            "state_dict": collections.OrderedDict(("module." + k, v) for k, v in sd.items()),
            "optimizer": {"state": {}, "param_groups": [{"lr": 0.1, "momentum": 0.9, "params": [0, 1]}]}},
           out + "/wrapped.pth")
torch.save(sd, out + "/legacy.pth", _use_new_zipfile_serialization=False)
torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), out + "/scripted.pt")
torch.save(torch.nn.Sequential(torch.nn.Linear(2, 2)), out + "/module.pth")
