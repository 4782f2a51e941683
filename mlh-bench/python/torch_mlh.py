#!/usr/bin/python3
"""PyTorch reference of the MLH training step and inference, for `make bench-train` / `bench-encode`.

The same network and losses as the Java implementation (README, "The method, as implemented"):
vgg-small on 3x32x32 (conv3x3 64, 64, maxpool 2, conv3x3 128, 128, maxpool 2, ReLU, flatten,
d = 8192) or torchvision's ResNet-18 / -50 on 3x224x224 (d = 512 / 2048), MoH shared with K experts (one Linear(d -> Kq), a Linear(d -> K) + softmax gate per
branch, u_b = tanh(g_b E)), loss L = l1 L_C + l2 L_P + l3 L_M, Adam. Two threads, as the Java side
gets two cores. Inputs are standard-normal tensors (normalised pixels) with one of 10 classes each:
the step's cost does not depend on pixel values.

Prints `train pytorch <img/s>` and `encode pytorch <img/s>` lines (read by io.mlh.bench.SpeedTable); for a
ResNet the figures are `train-resnet-50` / `encode-resnet-50` (-18 likewise), as the Java benchmarks name them.
With --int8 also `encode pytorch-int8 <img/s>`: the backbone in PyTorch's own int8 (FX graph mode static
quantization with fbgemm, or onednn where torch has no fbgemm as Debian's 1.13; calibrated on the encode batch), the head fp32, as the Java side runs int8.
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def vgg_small(channels, size):
    """The 28-32 px backbone: (features, d)."""
    return nn.Sequential(
        nn.Conv2d(channels, 64, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(128, 128, 3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Flatten()), 128 * (size // 4) ** 2


def resnet(depth):
    """torchvision's ResNet-18 / -50 (random weights) without its classifier: (features, d)."""
    import torchvision
    net = {18: torchvision.models.resnet18, 50: torchvision.models.resnet50}[depth](weights=None)
    d = net.fc.in_features
    net.fc = nn.Identity()
    return net, d


class MlhNet(nn.Module):
    def __init__(self, backbone, d, bits=64, experts=4):
        super().__init__()
        self.backbone = backbone
        self.bits, self.experts = bits, experts
        self.expert_bank = nn.Linear(d, experts * bits)      # K experts as one GEMM
        self.centre_gate = nn.Linear(d, experts)
        self.pairwise_gate = nn.Linear(d, experts)

    def forward(self, x):
        f = self.backbone(x)
        e = self.expert_bank(f).view(-1, self.experts, self.bits)          # N x K x q
        g_c = F.softmax(self.centre_gate(f), dim=1).unsqueeze(1)             # N x 1 x K
        g_p = F.softmax(self.pairwise_gate(f), dim=1).unsqueeze(1)
        return torch.tanh(torch.bmm(g_c, e).squeeze(1)), torch.tanh(torch.bmm(g_p, e).squeeze(1))


def hadamard_centres(classes, bits):
    """Rows of [H; -H], H the Sylvester Hadamard matrix (the Java default when q is a power of two)."""
    h = torch.ones(1, 1)
    while h.shape[0] < bits:
        h = torch.cat([torch.cat([h, h], 1), torch.cat([h, -h], 1)], 0)
    return torch.cat([h, -h], 0)[:classes]


def centre_loss(u_c, y, centres, beta):
    """L_C: BCE of P = softmax_i(sqrt(q) cos(u_c, h_i)) against y, mean over N x C; + beta mean((|u|-1)^2)."""
    q = u_c.shape[1]
    logits = math.sqrt(q) * F.normalize(u_c, dim=1) @ F.normalize(centres, dim=1).t()
    log_p = F.log_softmax(logits, dim=1)
    log_not_p = torch.log1p(-log_p.exp().clamp(max=1 - 1e-7))
    bce = -(y * log_p + (1 - y) * log_not_p).mean()
    return bce + beta * ((u_c.abs() - 1) ** 2).mean()


def pairwise_loss(u_p, y, alpha):
    """L_P: mean over i != j of log(1 + e^theta) - S theta, theta = u_i.u_j / 2; + alpha mean((u - sign u)^2)."""
    n = u_p.shape[0]
    s = (y @ y.t() > 0).float()
    theta = 0.5 * u_p @ u_p.t()
    off = ~torch.eye(n, dtype=torch.bool)
    nll = (F.softplus(theta) - s * theta)[off].mean()
    return nll + alpha * ((u_p - torch.sign(u_p).detach()) ** 2).mean()


def mutual_loss(u_c, u_p):
    """L_M: each branch pulled toward the other's current (stop-gradient) code by 1 - cos."""
    return ((1 - F.cosine_similarity(u_c, u_p.detach(), dim=1))
            + (1 - F.cosine_similarity(u_c.detach(), u_p, dim=1))).mean() / 2


def images_per_second(step, batch, warmup, seconds):
    for _ in range(warmup):
        step()
    n, start = 0, time.perf_counter()
    while n < 3 or time.perf_counter() - start < seconds:
        step()
        n += 1
    return n * batch / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--encode-batch", type=int, default=64, help="the encode job's jobs.encode.batch-size")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=20.0, help="measured time per figure")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--what", choices=["train", "encode", "both"], default="both")
    ap.add_argument("--backbone", choices=["vgg-small", "resnet-18", "resnet-50"], default="vgg-small")
    ap.add_argument("--int8", action="store_true", help="also the encode figure with the backbone in int8 (fbgemm)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    classes, bits = 10, 64
    size = 32 if a.backbone == "vgg-small" else 224
    backbone, d = vgg_small(3, size) if a.backbone == "vgg-small" else resnet(int(a.backbone.split("-")[1]))
    suffix = "" if a.backbone == "vgg-small" else "-" + a.backbone
    net = MlhNet(backbone, d, bits=bits)
    centres = hadamard_centres(classes, bits)
    x = torch.randn(a.batch, 3, size, size)
    y = F.one_hot(torch.randint(0, classes, (a.batch,)), classes).float()

    if a.what in ("train", "both"):
        optim = torch.optim.Adam(net.parameters(), lr=1e-3)
        net.train()

        def train_step():
            optim.zero_grad(set_to_none=True)
            u_c, u_p = net(x)
            loss = (4.0 * centre_loss(u_c, y, centres, 1e-4) + 1.0 * pairwise_loss(u_p, y, 0.1)
                    + 1.0 * mutual_loss(u_c, u_p))
            loss.backward()
            optim.step()

        print("train%s pytorch %.1f" % (suffix, images_per_second(train_step, a.batch, a.warmup, a.seconds)), flush=True)

    if a.what in ("encode", "both"):
        net.eval()
        xe = torch.randn(a.encode_batch, 3, size, size)

        def encode_step():
            with torch.inference_mode():
                u_c, _ = net(xe)
                (u_c >= 0)  # the retrieval code: sign, packed on the Java side

        print("encode%s pytorch %.1f" % (suffix, images_per_second(encode_step, a.encode_batch, a.warmup, a.seconds)), flush=True)

        if a.int8:
            from torch.ao.quantization import get_default_qconfig_mapping
            from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
            # fbgemm where this torch has it; Debian's 1.13 has onednn (oneDNN's x86 int8, VNNI included)
            supported = torch.backends.quantized.supported_engines
            ENGINE = "fbgemm" if "fbgemm" in supported else "onednn"
            torch.backends.quantized.engine = ENGINE
            prepared = prepare_fx(net.backbone, get_default_qconfig_mapping(ENGINE), example_inputs=(xe,))
            with torch.inference_mode():
                prepared(xe)  # calibration: the observers see the batch
            net.backbone = convert_fx(prepared)
            print("encode%s pytorch-int8 %.1f"
                  % (suffix, images_per_second(encode_step, a.encode_batch, a.warmup, a.seconds)), flush=True)
    if a.int8:
        print("# pytorch-int8: quantized engine %s" % torch.backends.quantized.engine)
    print("# torch %s, %s, %d threads (torch.get_num_threads() = %d), batch %d / encode batch %d"
          % (torch.__version__, a.backbone, a.threads, torch.get_num_threads(), a.batch, a.encode_batch))


if __name__ == "__main__":
    main()
