#!/usr/bin/python3
"""PyTorch reference for `./fedbase bench inner-step` (BENCHMARKS.md, benchmark 1).

The same DARTS-style supernet as fedbase's `io.fedbase.supernet.Supernet`, written directly in
torch.nn, and the same inner step as `AdaptationSession.step`: a soft Gumbel-softmax sample of both
cell types' edge weights, forward of one batch, cross-entropy, backward, one Adam step on the weights
and one on the architecture logits (beta1 = 0, beta2 = 0.999, lr 5e-3 on both, L2 weight decay 1e-3 on
the logits only: InnerLoopConfig.defaults()).

Sizes come from the same flags and profiles as fedbase (SupernetSpec.profileBuilder, dartsCells,
StemSpec.defaultFor), and the weight and logit counts are those of SupernetSpec.parameterCounts():
every stem of the spec is counted, also the ones the input does not use, which (as in fedbase) take
no part in the forward pass and are not trained.

Run it with Debian's interpreter (python3-torch): /usr/bin/python3 bench/inner_step_torch.py --help.
The last line printed is one JSON object with the keys of fedbase's bench output.
"""

import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

OPERATIONS = [
    "none",
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
]

# SupernetOps.BN_EPS, and PyTorch's default BN momentum (fedbase's ForwardRegime.DEFAULT_STATISTICS_UPDATE)
BN_EPS = 1e-5
BN_MOMENTUM = 0.1
LOGIT_INIT_STD = 1e-3
# InnerLoopConfig.defaults()
WEIGHT_LR = 5e-3
LOGIT_LR = 5e-3
LOGIT_WEIGHT_DECAY = 1e-3
BETAS = (0.0, 0.999)
ADAM_EPS = 1e-8


# ---------------------------------------------------------------------------------------------
# The spec: the same arithmetic as io.fedbase.space.SupernetSpec / StemSpec / CellPlan
# ---------------------------------------------------------------------------------------------


def darts_cells(count):
    """SupernetSpec.dartsCells: reductions at count/3 and 2*count/3 (the last cell when count < 3)."""
    out = []
    for i in range(count):
        if count >= 3:
            reduce = i == count // 3 or i == 2 * count // 3
        else:
            reduce = i == count - 1 and i > 0
        out.append("reduce" if reduce else "normal")
    return out


def parse_signature(text):
    parts = text.strip().lower().split("x")
    if len(parts) != 3:
        raise SystemExit("input signature must look like CxHxW, got '%s'" % text)
    return tuple(int(p) for p in parts)


def default_downsample(sig):
    """StemSpec.defaultFor: the largest power of two (at most 8) keeping at least 14 pixels a side."""
    side = min(sig[1], sig[2])
    d = 1
    while d < 8 and side // (d * 2) >= 14:
        d *= 2
    return d


def profile(name):
    if name == "small":
        return dict(
            channels=8,
            cells=["normal", "reduce"],
            nodes=3,
            ops=["none", "max_pool_3x3", "skip_connect", "sep_conv_3x3", "dil_conv_3x3"],
            stems=[((1, 28, 28), 2), ((3, 32, 32), 1)],
            ways=4,
        )
    if name == "paper":
        return dict(
            channels=16,
            cells=darts_cells(8),
            nodes=4,
            ops=list(OPERATIONS),
            stems=[((1, 28, 28), 2), ((3, 32, 32), 1), ((3, 224, 224), 8)],
            ways=5,
        )
    raise SystemExit("unknown profile '%s'; known profiles: small, paper" % name)


def edges(nodes):
    return nodes * (nodes + 3) // 2


# ---------------------------------------------------------------------------------------------
# The network (torch.nn). BN in cells and ops has no affine part (SupernetOps.batchNorm with null
# gamma/beta); stem BNs are affine. Every BN normalises with the batch's statistics and updates a
# scratch running mean/var, as fedbase's BATCH_STATISTICS regime does.
# ---------------------------------------------------------------------------------------------


class BatchNorm(nn.Module):
    def __init__(self, channels, affine):
        super().__init__()
        if affine:
            self.weight = nn.Parameter(torch.ones(channels))
            self.bias = nn.Parameter(torch.zeros(channels))
        else:
            self.weight = None
            self.bias = None
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, True, BN_MOMENTUM, BN_EPS)


def conv(c_in, c_out, k, stride=1, padding=0, dilation=1, groups=1):
    return nn.Conv2d(c_in, c_out, k, stride=stride, padding=padding, dilation=dilation, groups=groups, bias=False)


class ReLUConvBN(nn.Module):
    """SupernetOps.reluConvBn: ReLU, 1x1 conv, BN."""

    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv = conv(c_in, c_out, 1)
        self.bn = BatchNorm(c_out, False)

    def forward(self, x):
        return self.bn(self.conv(F.relu(x)))


class FactorizedReduce(nn.Module):
    """SupernetOps.factorizedReduce: two stride-2 1x1 convs, the second on the input shifted by one
    pixel (unshifted on odd sizes), concatenated, BN."""

    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv1 = conv(c_in, c_out // 2, 1, stride=2)
        self.conv2 = conv(c_in, c_out - c_out // 2, 1, stride=2)
        self.bn = BatchNorm(c_out, False)

    def forward(self, x):
        r = F.relu(x)
        even = x.shape[2] % 2 == 0 and x.shape[3] % 2 == 0
        shifted = r[:, :, 1:, 1:] if even else r
        return self.bn(torch.cat([self.conv1(r), self.conv2(shifted)], dim=1))


class DilConv(nn.Module):
    """SupernetOps.dilConv: ReLU, depthwise kxk (stride, dilation), pointwise 1x1, BN."""

    def __init__(self, c, k, stride, dilation):
        super().__init__()
        self.dw = conv(c, c, k, stride=stride, padding=dilation * (k - 1) // 2, dilation=dilation, groups=c)
        self.pw = conv(c, c, 1)
        self.bn = BatchNorm(c, False)

    def forward(self, x):
        return self.activated(F.relu(x))

    def activated(self, r):
        return self.bn(self.pw(self.dw(r)))


class SepConv(nn.Module):
    """SupernetOps.sepConv: two dilation-1 DilConv blocks, only the first strided."""

    def __init__(self, c, k, stride):
        super().__init__()
        self.a = DilConv(c, k, stride, 1)
        self.b = DilConv(c, k, 1, 1)

    def forward(self, x):
        return self.b(self.a(x))

    def activated(self, r):
        return self.b(self.a.activated(r))


class Pool(nn.Module):
    """max/avg 3x3 pool, padding 1 (avg without counting the padding), then non-affine BN."""

    def __init__(self, c, kind, stride):
        super().__init__()
        self.kind = kind
        self.stride = stride
        self.bn = BatchNorm(c, False)

    def forward(self, x):
        if self.kind == "max":
            y = F.max_pool2d(x, 3, self.stride, 1)
        else:
            y = F.avg_pool2d(x, 3, self.stride, 1, count_include_pad=False)
        return self.bn(y)


class Identity(nn.Module):
    def forward(self, x):
        return x


def make_op(name, c, stride):
    """EdgeOperation.apply; `none` has no module (the mixed op skips it, as fedbase does)."""
    if name == "none":
        return None
    if name == "max_pool_3x3":
        return Pool(c, "max", stride)
    if name == "avg_pool_3x3":
        return Pool(c, "avg", stride)
    if name == "skip_connect":
        return Identity() if stride == 1 else FactorizedReduce(c, c)
    if name == "sep_conv_3x3":
        return SepConv(c, 3, stride)
    if name == "sep_conv_5x5":
        return SepConv(c, 5, stride)
    if name == "dil_conv_3x3":
        return DilConv(c, 3, stride, 2)
    if name == "dil_conv_5x5":
        return DilConv(c, 5, stride, 2)
    raise SystemExit("unknown operation '%s'; known: %s" % (name, OPERATIONS))


class MixedOp(nn.Module):
    """Supernet.mixedOp: sum over the operations except `none` of weight * op(x). `none` would add
    exactly zero; its logit still competes in the softmax and so still gets a gradient."""

    def __init__(self, ops, c, stride):
        super().__init__()
        self.index = []
        self.ops = nn.ModuleList()
        for o, name in enumerate(ops):
            m = make_op(name, c, stride)
            if m is not None:
                self.index.append(o)
                self.ops.append(m)

    def forward(self, x, w, shared=None):
        out = None
        for o, op in zip(self.index, self.ops):
            y = (op(x) if shared is None else shared.apply(op, x)) * w[o]
            out = y if out is None else out + y
        return out


class SharedState:
    """--share-state-ops: what every edge leaving one cell state computes alike, computed once (a
    fedbase experiment, measured and reverted: BENCHMARKS §11): the state's ReLU for the convolutions,
    and the weight-free ops (pooling with its non-affine BN, a stride-1 skip), which depend only on
    the state and the stride."""

    def __init__(self):
        self.relu = None
        self.weight_free = {}

    def apply(self, op, x):
        if isinstance(op, (DilConv, SepConv)):
            if self.relu is None:
                self.relu = F.relu(x)
            return op.activated(self.relu)
        if isinstance(op, (Pool, Identity)):
            key = (type(op), getattr(op, "kind", None))
            if key not in self.weight_free:
                self.weight_free[key] = op(x)
            return self.weight_free[key]
        return op(x)


class Cell(nn.Module):
    def __init__(self, ops, nodes, c_pp, c_p, c, reduction, reduction_prev):
        super().__init__()
        self.reduction = reduction
        self.nodes = nodes
        self.pre0 = FactorizedReduce(c_pp, c) if reduction_prev else ReLUConvBN(c_pp, c)
        self.pre1 = ReLUConvBN(c_p, c)
        self.edges = nn.ModuleList()
        for node in range(nodes):
            for state in range(node + 2):
                stride = 2 if reduction and state < 2 else 1
                self.edges.append(MixedOp(ops, c, stride))

    share = False

    def forward(self, s0, s1, weights):
        states = [self.pre0(s0), self.pre1(s1)]
        shared = [SharedState(), SharedState()] if self.share else None
        offset = 0
        for node in range(self.nodes):
            total = None
            for state in range(node + 2):
                y = self.edges[offset + state](states[state], weights[offset + state], shared[state] if shared else None)
                total = y if total is None else total + y
            offset += node + 2
            states.append(total)
            if shared is not None:
                shared.append(SharedState())
        return torch.cat(states[2:], dim=1)


class Stem(nn.Module):
    """Supernet.stem: log2(downsample) stride-2 3x3 conv + affine BN layers (one stride-1 layer when
    downsample is 1), ReLU between layers."""

    def __init__(self, c_in, c_out, downsample):
        super().__init__()
        layers = 1 if downsample == 1 else int(math.log2(downsample))
        stride = 1 if downsample == 1 else 2
        self.convs = nn.ModuleList()
        self.bns = nn.ModuleList()
        for layer in range(layers):
            self.convs.append(conv(c_in if layer == 0 else c_out, c_out, 3, stride=stride, padding=1))
            self.bns.append(BatchNorm(c_out, True))

    def forward(self, x):
        h = x
        for layer, (c, bn) in enumerate(zip(self.convs, self.bns)):
            if layer > 0:
                h = F.relu(h)
            h = bn(c(h))
        return h


class Supernet(nn.Module):
    def __init__(self, channels, cells, nodes, ops, stems, ways, stem_multiplier=3):
        super().__init__()
        stem_c = stem_multiplier * channels
        self.stems = nn.ModuleDict()
        for sig, downsample in stems:
            self.stems[sig_key(sig)] = Stem(sig[0], stem_c, downsample)
        self.cells = nn.ModuleList()
        c_pp, c_p, c = stem_c, stem_c, channels
        reduction_prev = False
        for kind in cells:
            reduction = kind == "reduce"
            if reduction:
                c *= 2
            self.cells.append(Cell(ops, nodes, c_pp, c_p, c, reduction, reduction_prev))
            reduction_prev = reduction
            c_pp, c_p = c_p, c * nodes
        self.classifier = nn.Linear(c_p, ways)
        self.alpha_normal = nn.Parameter(torch.zeros(edges(nodes), len(ops)))
        self.alpha_reduce = nn.Parameter(torch.zeros(edges(nodes), len(ops)))

    def logits(self):
        return [self.alpha_normal, self.alpha_reduce]

    def weights(self, sig):
        """Trainable weights: this input's stem, every cell, the classifier (AdaptationSession)."""
        own = self.stems[sig_key(sig)]
        out = list(own.parameters())
        for cell in self.cells:
            out += list(cell.parameters())
        out += list(self.classifier.parameters())
        return out

    def all_weights(self):
        return [p for n, p in self.named_parameters() if not n.startswith("alpha_")]

    channels_last = False

    def forward(self, x, w_normal, w_reduce):
        s0 = s1 = self.stems[sig_key(tuple(x.shape[1:]))](x)
        if self.channels_last:
            # not the reference's default: NHWC memory for everything after the stem (see --channels-last)
            s0 = s1 = s0.contiguous(memory_format=torch.channels_last)
        for cell in self.cells:
            out = cell(s0, s1, w_reduce if cell.reduction else w_normal)
            s0, s1 = s1, out
        features = F.adaptive_avg_pool2d(s1, 1).reshape(x.shape[0], -1)
        return self.classifier(features)


def sig_key(sig):
    return "x".join(str(v) for v in sig)


def initialise(net, seed):
    """ParameterInitializer's rule (not its Java RNG stream): uniform within 1/sqrt(fan_in) for convs
    and the classifier weight, zero bias, identity BN affines, logits 1e-3 * N(0, 1)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.startswith("alpha_"):
                p.copy_(torch.randn(p.shape, generator=g) * LOGIT_INIT_STD)
            elif ".bns." in name and name.endswith(".weight"):
                p.fill_(1.0)
            elif name.endswith(".bias"):
                p.zero_()
            else:
                bound = 1.0 / math.sqrt(p[0].numel())
                p.copy_((torch.rand(p.shape, generator=g) * 2 - 1) * bound)


def gumbel_softmax(alpha, tau):
    """Relaxation.GUMBEL_SOFTMAX: softmax((alpha + g) / tau) over the ops, g = -log(-log(u)), one draw
    per edge and op per minibatch."""
    u = torch.rand(alpha.shape).clamp_(1e-10, 1 - 1e-10)
    g = -torch.log(-torch.log(u))
    return F.softmax((alpha + g) / tau, dim=1)


# ---------------------------------------------------------------------------------------------


def build_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--profile", default="small", help="small or paper (default: small)")
    p.add_argument("--channels", type=int, help="override the initial channel count C")
    p.add_argument("--cells", type=int, help="override the number of cells (reductions placed as in DARTS)")
    p.add_argument("--cell-nodes", "--nodes", dest="nodes", type=int, help="override the intermediate nodes per cell")
    p.add_argument("--ways", type=int, help="override the classifier width N")
    p.add_argument("--ops", help="override the candidate operations (DARTS names, comma-separated)")
    p.add_argument("--input", default="1x28x28", help="input signature CxHxW (default: 1x28x28)")
    p.add_argument("--batch", type=int, default=40, help="images per step (default: 40)")
    p.add_argument("--steps", type=int, default=200, help="timed steps (default: 200)")
    p.add_argument("--warmup", type=int, default=20, help="untimed steps first (default: 20)")
    p.add_argument("--tau", type=float, default=1.0, help="Gumbel-softmax temperature (fedbase's bench: 1)")
    p.add_argument("--threads", type=int, help="intra-op threads (default: libtorch's own default)")
    p.add_argument("--interop-threads", type=int, help="inter-op threads (default: libtorch's own default)")
    p.add_argument("--channels-last", action="store_true",
                   help="keep activations after the stem in NHWC memory (default: off, plain NCHW as written in DARTS)")
    p.add_argument("--share-state-ops", action="store_true",
                   help="compute each cell state's ReLU and weight-free ops once for all its edges (a fedbase experiment, reverted: BENCHMARKS §11) "
                        "(default: off, once per edge as written in DARTS)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--counts-only", action="store_true", help="print the parameter counts and exit")
    return p.parse_args(argv)


def main(argv):
    a = build_args(argv)
    if a.interop_threads:
        torch.set_num_interop_threads(a.interop_threads)
    if a.threads:
        torch.set_num_threads(a.threads)
    spec = profile(a.profile)
    if a.channels is not None:
        spec["channels"] = a.channels
    if a.cells is not None:
        spec["cells"] = darts_cells(a.cells)
    if a.nodes is not None:
        spec["nodes"] = a.nodes
    if a.ways is not None:
        spec["ways"] = a.ways
    if a.ops is not None:
        spec["ops"] = [o.strip().lower() for o in a.ops.split(",")]
        for o in spec["ops"]:
            if o not in OPERATIONS:
                raise SystemExit("unknown operation '%s'; known: %s" % (o, OPERATIONS))
    sig = parse_signature(a.input)
    if sig not in [s for s, _ in spec["stems"]]:
        spec["stems"] = spec["stems"] + [(sig, default_downsample(sig))]

    torch.manual_seed(a.seed)
    net = Supernet(spec["channels"], spec["cells"], spec["nodes"], spec["ops"], spec["stems"], spec["ways"])
    initialise(net, a.seed)
    net.channels_last = a.channels_last
    for cell in net.cells:
        cell.share = a.share_state_ops
    weight_params = sum(p.numel() for p in net.all_weights())
    logit_params = sum(p.numel() for p in net.logits())
    weights = net.weights(sig)
    trainable_weight_params = sum(p.numel() for p in weights)
    for p in net.all_weights():
        p.requires_grad_(False)
    for p in weights:
        p.requires_grad_(True)
    described = "C=%d, cells=%s, nodes=%d, ops=[%s], stems=%s, ways=%d" % (
        spec["channels"],
        ",".join(spec["cells"]),
        spec["nodes"],
        ", ".join(spec["ops"]),
        ["%s/%d" % (sig_key(s), d) for s, d in spec["stems"]],
        spec["ways"],
    )
    if a.counts_only:
        print(json.dumps(dict(spec=described, weight_params=weight_params, logit_params=logit_params,
                              trainable_weight_params=trainable_weight_params)))
        return 0

    weight_opt = torch.optim.Adam(weights, lr=WEIGHT_LR, betas=BETAS, eps=ADAM_EPS, weight_decay=0.0)
    logit_opt = torch.optim.Adam(net.logits(), lr=LOGIT_LR, betas=BETAS, eps=ADAM_EPS, weight_decay=LOGIT_WEIGHT_DECAY)

    # InnerStepBenchCommand's data: Gaussian images, labels i % ways; made once, not timed
    gen = torch.Generator().manual_seed(a.seed)
    images = torch.randn((a.batch,) + sig, generator=gen)
    labels = torch.arange(a.batch) % spec["ways"]

    def step():
        w_normal = gumbel_softmax(net.alpha_normal, a.tau)
        w_reduce = gumbel_softmax(net.alpha_reduce, a.tau)
        out = net(images, w_normal, w_reduce)
        loss = F.cross_entropy(out, labels)
        loss.backward()
        weight_opt.step()
        logit_opt.step()
        weight_opt.zero_grad(set_to_none=True)
        logit_opt.zero_grad(set_to_none=True)
        # AdaptationSession.step reads the loss and the batch accuracy back every step
        return loss.item(), (out.detach().argmax(1) == labels).float().mean().item()

    net.train()
    for _ in range(a.warmup):
        step()
    ms = []
    last = None
    for _ in range(a.steps):
        t0 = time.perf_counter()
        last = step()
        ms.append((time.perf_counter() - t0) * 1e3)
    s = sorted(ms)
    result = {
        "benchmark": "inner-step",
        "engine": "pytorch",
        "engine_version": "PyTorch " + torch.__version__,
        "spec": described,
        "input": sig_key(sig),
        "ways": spec["ways"],
        "batch": a.batch,
        "steps": a.steps,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "ms_per_step_median": s[a.steps // 2] if ms else float("nan"),
        "ms_per_step_mean": statistics.fmean(ms) if ms else float("nan"),
        "ms_per_step_p90": s[min(a.steps - 1, int(math.floor(a.steps * 0.9)))] if ms else float("nan"),
        "weight_params": weight_params,
        "logit_params": logit_params,
        "trainable_weight_params": trainable_weight_params,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "channels_last": a.channels_last,
        "share_state_ops": a.share_state_ops,
        "last_loss": last[0] if last else None,
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
