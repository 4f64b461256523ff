"""PyTorch peers of the dync benchmark cases, written as a researcher would write them.

Usage: /usr/bin/python3 bench/torch/cases.py CASE --steps N [--seeds S] [--widths 10,20,...] [--points P]
                                              [--iters I --samples M --every K]  (e_sharpness)
Prints one JSON line: the case, the loop time in seconds (data + model construction + training, the same
span dync's manifest records per run), the number of training steps, the torch version and thread count.
CASE: a_mlp_sgd, b_coord_adam, c_wide_gd, d_lottery_loop (one seed at a time), d_lottery_bmm (all seeds
in one torch.bmm model), e_sharpness (GD with a power-iteration sharpness probe every 10 steps), f_coord_pe
(positional-encoding coordinate MLP on an image), g_cnn (small CNN), h_lanczos (top-5 Hessian eigenvalues by
Lanczos), i_regions (activation-region count), j_tanh_loop (a 4-seed sweep, one seed after another). Every case uses torch's defaults (nn.Linear init, thread count) unchanged.
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def gaussian_mixture(n, d, classes, separation=3.0, std=1.0, gen=None):
    """One Gaussian blob per class, means of norm ~separation, labels one-hot (as dync's gaussian_mixture)."""
    means = torch.randn(classes, d, generator=gen)
    means = means / means.norm(dim=1, keepdim=True) * separation
    labels = torch.randint(0, classes, (n,), generator=gen)
    x = means[labels] + std * torch.randn(n, d, generator=gen)
    return x, F.one_hot(labels, classes).float(), labels


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 2):
        layers += [nn.Linear(sizes[i], sizes[i + 1]), nn.ReLU()]
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


def minibatches(n, batch, steps, gen):
    """Reshuffle every epoch, like dync's default `shuffle every_epoch`."""
    done = 0
    while done < steps:
        order = torch.randperm(n, generator=gen)
        for start in range(0, n - batch + 1, batch):
            if done == steps:
                return
            yield order[start:start + batch]
            done += 1


def case_a(steps):
    gen = torch.Generator().manual_seed(0)
    x, _, labels = gaussian_mixture(4096, 784, 10, gen=gen)
    model = mlp([784] + [256] * 8 + [10])
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for idx in minibatches(len(x), 128, steps, gen):
        loss = F.cross_entropy(model(x[idx]), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


def case_b(steps):
    gen = torch.Generator().manual_seed(0)
    x, y, _ = gaussian_mixture(16384, 2, 3, gen=gen)
    model = mlp([2] + [256] * 4 + [3])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for idx in minibatches(len(x), 4096, steps, gen):
        loss = F.mse_loss(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


def case_c(steps):
    x = torch.tensor([[-1.0], [-1 / 3], [1 / 3], [1.0]])
    y = 0.2 * F.relu(x - 1 / 3) + 0.2 * F.relu(-x - 1 / 3)
    model = mlp([1, 1000, 1])
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(steps):
        loss = F.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


def lottery_data(points):
    x = torch.rand(points, 1) * 4 - 2
    return x, x ** 2


def case_d_loop(steps, seeds, widths, points):
    """The straightforward way: one nn.Module per seed, trained one after another."""
    x, y = lottery_data(points)
    last = 0.0
    for width in widths:
        for seed in range(seeds):
            torch.manual_seed(seed)
            model = nn.Sequential(nn.Linear(1, width), nn.SiLU(), nn.Linear(width, 1))
            opt = torch.optim.Adam(model.parameters(), lr=1e-2, eps=1e-8)
            for _ in range(steps):
                loss = F.mse_loss(model(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
            last = loss.item()
    return last


def case_d_bmm(steps, seeds, widths, points):
    """Hand-vectorised: every seed's weights stacked, one torch.bmm per layer, Adam over the stacks."""
    x, y = lottery_data(points)
    last = 0.0
    for width in widths:
        torch.manual_seed(0)
        b1, b2 = 1.0, 1 / math.sqrt(width)  # nn.Linear's default U(±1/sqrt(fan_in))
        w1 = torch.empty(seeds, 1, width).uniform_(-b1, b1).requires_grad_()
        c1 = torch.empty(seeds, 1, width).uniform_(-b1, b1).requires_grad_()
        w2 = torch.empty(seeds, width, 1).uniform_(-b2, b2).requires_grad_()
        c2 = torch.empty(seeds, 1, 1).uniform_(-b2, b2).requires_grad_()
        opt = torch.optim.Adam([w1, c1, w2, c2], lr=1e-2, eps=1e-8)
        xs, ys = x.expand(seeds, -1, -1), y.expand(seeds, -1, -1)
        for _ in range(steps):
            out = torch.baddbmm(c2, F.silu(torch.baddbmm(c1, xs, w1)), w2)
            # Sum over seeds of each seed's mean loss: each seed's gradient equals its own run's.
            loss = ((out - ys) ** 2).mean(dim=(1, 2)).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        last = loss.item()
    return last


def top_hessian_eigenvalue(model, x, y, iters, gen):
    """PyHessian-style power iteration: the gradient graph is built once (create_graph=True) and every
    iteration is one double-backward torch.autograd.grad with grad_outputs=v on it."""
    params = [p for p in model.parameters()]
    loss = 0.5 * F.mse_loss(model(x), y)
    grads = torch.autograd.grad(loss, params, create_graph=True)
    v = [torch.randn(p.shape, generator=gen) for p in params]
    norm = torch.sqrt(sum((vi * vi).sum() for vi in v))
    v = [vi / norm for vi in v]
    eigenvalue = 0.0
    for _ in range(iters):
        hv = torch.autograd.grad(grads, params, grad_outputs=v, retain_graph=True)
        eigenvalue = sum((h * vi).sum() for h, vi in zip(hv, v)).item()
        norm = torch.sqrt(sum((h * h).sum() for h in hv))
        v = [h / norm for h in hv]
    return eigenvalue


def case_e(steps, every=10, iters=20, points=2000, samples=500):
    """1→100→100→1 tanh MLP, full-batch GD on ½·MSE, sharpness at steps 0, 10, …, steps (before each
    update, and after the last) on the evenly spaced rows ⌊k·n/m⌋ of the training set, as the .dyn file."""
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(points, 1, generator=gen) * 2 - 1
    y = torch.sin(3 * x)
    subset = (torch.arange(samples) * points) // samples
    xs, ys = x[subset], y[subset]
    model = nn.Sequential(nn.Linear(1, 100), nn.Tanh(), nn.Linear(100, 100), nn.Tanh(), nn.Linear(100, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    sharpness = []
    for step in range(steps + 1):
        if step % every == 0:
            sharpness.append(top_hessian_eigenvalue(model, xs, ys, iters, gen))
        if step == steps:
            break
        loss = 0.5 * F.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return sharpness[-1]


def case_f(steps, side=128, batch=8192, levels=8):
    """Coordinate MLP on an image: pixel coordinates in [0, 1]² → NeRF encoding [sin(2^k π x), cos(2^k π x)],
    k < L (32 features) → 4×256 ReLU → RGB; Adam 1e-3, MSE, minibatches of 8192 reshuffled every epoch.
    The targets are the astronaut photograph box-filtered to side² (PIL), as dync's image(…, size: side)."""
    from PIL import Image
    import numpy as np
    gen = torch.Generator().manual_seed(0)
    img = Image.open("examples/data/astronaut-256.png").convert("RGB").resize((side, side), Image.BOX)
    y = torch.from_numpy(np.asarray(img, dtype=np.float32).reshape(-1, 3) / 255.0)
    r, c = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    x = torch.stack([c.reshape(-1), r.reshape(-1)], dim=1).float() / (side - 1)
    freqs = (2.0 ** torch.arange(levels)) * math.pi
    model = mlp([2 * 2 * levels] + [256] * 4 + [3])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for idx in minibatches(len(x), batch, steps, gen):
        angles = (x[idx].unsqueeze(2) * freqs).reshape(len(idx), -1)
        encoded = torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)
        loss = F.mse_loss(model(encoded), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


def case_g(steps, n=512, batch=128):
    """Small CNN: three 3×3 stride-2 padding-1 convolutions 3→32→64→96 with ReLU on 32×32 images
    (→ 16² → 8² → 4²), flatten 1536, dense 256 ReLU, 10 classes; SGD 0.01, cross-entropy, batch 128.
    Random images and labels (the speed does not depend on them)."""
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(n, 3, 32, 32, generator=gen) * 2 - 1
    labels = torch.randint(0, 10, (n,), generator=gen)
    model = nn.Sequential(
        nn.Conv2d(3, 32, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(64, 96, 3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(96 * 4 * 4, 256), nn.ReLU(), nn.Linear(256, 10),
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for idx in minibatches(n, batch, steps, gen):
        loss = F.cross_entropy(model(x[idx]), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


def lanczos_top(hvp, dim, iters, k, gen):
    """Lanczos with full reorthogonalisation in float64 (numpy), exactly `iters` Hessian-vector products; the
    k largest Ritz values. (scipy is not installed for /usr/bin/python3 here, so no eigsh.)"""
    import numpy as np
    q = torch.randn(dim, generator=gen, dtype=torch.float64).numpy()
    basis = [q / np.linalg.norm(q)]
    alphas, betas = [], []
    for j in range(iters):
        w = hvp(basis[j])
        alphas.append(float(w @ basis[j]))
        w = w - alphas[j] * basis[j] - (betas[j - 1] * basis[j - 1] if j > 0 else 0)
        for b in basis:  # full reorthogonalisation
            w -= (w @ b) * b
        beta = float(np.linalg.norm(w))
        if j == iters - 1 or beta < 1e-12:
            break
        betas.append(beta)
        basis.append(w / beta)
    t = np.diag(alphas) + np.diag(betas[: len(alphas) - 1], 1) + np.diag(betas[: len(alphas) - 1], -1)
    return sorted(np.linalg.eigvalsh(t))[::-1][:k]


def case_h(steps, points=1000, iters=60, k=5):
    """Top-5 Hessian eigenvalues of a 1→200→200→1 tanh MLP's ½·MSE on 1000 points (sin 3x) by Lanczos: the
    gradient graph is built once (create_graph=True), every product one double-backward; then the GD steps."""
    import numpy as np
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(points, 1, generator=gen) * 2 - 1
    y = torch.sin(3 * x)
    model = nn.Sequential(nn.Linear(1, 200), nn.Tanh(), nn.Linear(200, 200), nn.Tanh(), nn.Linear(200, 1))
    params = list(model.parameters())
    grads = torch.autograd.grad(0.5 * F.mse_loss(model(x), y), params, create_graph=True)
    sizes = [p.numel() for p in params]

    def hvp(v):
        parts = torch.split(torch.from_numpy(v).float(), sizes)
        hv = torch.autograd.grad(grads, params, grad_outputs=[p.view_as(q) for p, q in zip(parts, params)], retain_graph=True)
        return torch.cat([h.reshape(-1) for h in hv]).double().numpy()

    top = lanczos_top(hvp, sum(sizes), iters, k, gen)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for _ in range(steps):
        loss = 0.5 * F.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return float(top[0])


def case_i(steps, side=512, width=512, chunk=16384):
    """Activation regions: the on/off patterns of all 4·512 hidden ReLUs of a 2→512×4→1 MLP over a side×side
    grid on [0, 1]² (262,144 inputs), bit-packed per input (np.packbits) and counted with np.unique(axis=0);
    then the training steps (SGD, batch 64), as the .dyn file."""
    import numpy as np
    gen = torch.Generator().manual_seed(0)
    r, c = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    x = torch.stack([c.reshape(-1), r.reshape(-1)], dim=1).float() / (side - 1)
    y = x[:, :1] * x[:, 1:]
    model = mlp([2] + [width] * 4 + [1])
    packed = []
    with torch.no_grad():
        for start in range(0, len(x), chunk):
            h, bits = x[start:start + chunk], []
            for layer in model[:-1]:
                h = layer(h)
                if isinstance(layer, nn.Linear):
                    bits.append((h > 0).numpy())
            packed.append(np.packbits(np.concatenate(bits, axis=1), axis=1))
    regions = len(np.unique(np.concatenate(packed), axis=0))
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    for idx in minibatches(len(x), 64, steps, gen):
        loss = F.mse_loss(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return regions


def case_j_loop(steps, seeds=4, points=1024, batch=64):
    """A new user's seed sweep: for each seed in turn a 1→128→128→1 tanh MLP, Adam 1e-3, MSE on sin(3x),
    minibatches of 64 reshuffled every epoch."""
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(points, 1, generator=gen) * 2 - 1
    y = torch.sin(3 * x)
    last = 0.0
    for seed in range(seeds):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(1, 128), nn.Tanh(), nn.Linear(128, 128), nn.Tanh(), nn.Linear(128, 1))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        for idx in minibatches(points, batch, steps, gen):
            loss = F.mse_loss(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        last = loss.item()
    return last


CASES = {
    "a_mlp_sgd": case_a,
    "b_coord_adam": case_b,
    "c_wide_gd": case_c,
    "d_lottery_loop": case_d_loop,
    "d_lottery_bmm": case_d_bmm,
    "e_sharpness": case_e,
    "f_coord_pe": case_f,
    "g_cnn": case_g,
    "h_lanczos": case_h,
    "i_regions": case_i,
    "j_tanh_loop": case_j_loop,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--seeds", type=int, default=1000)
    parser.add_argument("--widths", default="10,20,30,40,50")
    parser.add_argument("--points", type=int, default=256)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--every", type=int, default=10)
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    if args.case == "d_lottery_loop":
        # One untimed seed first: the harness times this loop on a few seeds per width and scales it to all of
        # them, so one-time costs (the first autograd and Adam calls) would otherwise be counted once per
        # `--loop-seeds` share, i.e. 50 times for 20 of 1000 seeds, where a real 1000-seed loop pays them once.
        case_d_loop(args.steps, 1, widths[:1], args.points)
    start = time.perf_counter()
    kwargs = {"seeds": args.seeds, "widths": widths, "points": args.points} if args.case.startswith("d_") else {}
    if args.case.startswith("e_"):
        kwargs = {"every": args.every, "iters": args.iters, "points": args.points, "samples": args.samples}
    if args.case.startswith("h_"):
        kwargs = {"points": args.points, "iters": args.iters}
    if args.case.startswith("j_"):
        kwargs = {"seeds": args.seeds, "points": args.points}
    final = CASES[args.case](args.steps, **kwargs)
    loop_s = time.perf_counter() - start
    print(json.dumps({
        "case": args.case, "loop_s": loop_s, "steps": args.steps, "final_loss": final,
        "torch": torch.__version__, "threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()
