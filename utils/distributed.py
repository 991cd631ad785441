"""Data parallelism with PyTorch's own engine: the worker that each process runs.

``torch.multiprocessing.spawn`` starts fresh interpreters that must import the function
they run, so it lives here rather than in a notebook:

    from utils.distributed import run_data_parallel
    out = run_data_parallel("ddp", world_size=2, batch=16, seed=0)   # gloo on CPU, nccl on GPUs
    out["grads"], out["seconds"]

Each rank builds the same small model (same seed), takes its contiguous shard of one
global batch, runs forward and backward under ``DistributedDataParallel`` (gradients
averaged by all-reduce) or under FSDP2's ``fully_shard`` (parameters sharded, gathered for
compute, gradients reduce-scattered), then times ``steps`` further steps. Rank 0 returns
the full gradients of the first step (FSDP2's shards are gathered with ``full_tensor``),
which must equal one process's gradients on the whole batch.
"""
from __future__ import annotations

import os
import socket
import tempfile
import time
from pathlib import Path

import torch
import torch.nn as nn

from ._validate import check_int

MODES = ("single", "ddp", "fsdp")


def make_net(seed: int = 0, d: int = 64, depth: int = 4) -> nn.Sequential:
    """The model every rank builds: ``depth`` residual-free MLP layers of width ``d`` and a head."""
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d)]
    layers.append(nn.Linear(d, 1))
    return nn.Sequential(*layers)


def make_batch(batch: int, seed: int = 0, d: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """One global batch of a regression task, the same in every process."""
    g = torch.Generator().manual_seed(10_000 + seed)
    x = torch.randn(batch, d, generator=g)
    return x, x[:, :1].sin() + 0.1 * torch.randn(batch, 1, generator=g)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world_size: int, modes: tuple, batch: int, seed: int, steps: int, port: int, out: str,
            backend: str, threads: int) -> None:
    import torch.distributed as dist

    torch.set_num_threads(threads)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group(backend, rank=rank, world_size=world_size)
    try:
        results = {mode: _one_mode(rank, world_size, mode, batch, seed, steps, backend) for mode in modes}
        if rank == 0:
            torch.save(results, out)
    finally:
        dist.destroy_process_group()


def _one_mode(rank, world_size, mode, batch, seed, steps, backend) -> dict:
    import torch.distributed as dist

    device = torch.device(f"cuda:{rank}") if backend == "nccl" else torch.device("cpu")
    net = make_net(seed).to(device)
    if mode == "ddp":
        from torch.nn.parallel import DistributedDataParallel as DDP

        model = DDP(net, device_ids=[rank] if backend == "nccl" else None)
    else:
        from torch.distributed.fsdp import fully_shard

        for layer in net:
            if isinstance(layer, nn.Linear):
                fully_shard(layer)             # each linear layer is one unit of sharding
        model = fully_shard(net)
    x, y = make_batch(batch, seed)
    shard = slice(rank * batch // world_size, (rank + 1) * batch // world_size)
    xs, ys = x[shard].to(device), y[shard].to(device)
    loss = ((model(xs) - ys) ** 2).mean()
    loss.backward()
    grads = [p.grad.full_tensor() if hasattr(p.grad, "full_tensor") else p.grad for p in model.parameters()]
    grads = [g.detach().cpu().clone() for g in grads]
    model.zero_grad()
    dist.barrier()
    start = time.perf_counter()
    for _ in range(steps):
        ((model(xs) - ys) ** 2).mean().backward()
        model.zero_grad()
    dist.barrier()
    seconds = (time.perf_counter() - start) / max(steps, 1)
    return {"grads": grads, "seconds": seconds}


def single_process(batch: int, seed: int = 0, steps: int = 0, threads: int = 1) -> dict:
    """One process, the whole batch: the reference gradients and seconds per step."""
    torch.set_num_threads(threads)
    net = make_net(seed)
    x, y = make_batch(batch, seed)
    ((net(x) - y) ** 2).mean().backward()
    grads = [p.grad.detach().clone() for p in net.parameters()]
    net.zero_grad()
    start = time.perf_counter()
    for _ in range(steps):
        ((net(x) - y) ** 2).mean().backward()
        net.zero_grad()
    return {"grads": grads, "seconds": (time.perf_counter() - start) / max(steps, 1)}


def run_data_parallel(mode: str | tuple = "ddp", world_size: int = 2, batch: int = 64, seed: int = 0, steps: int = 0,
                      backend: str | None = None, threads: int = 1) -> dict:
    """Spawn ``world_size`` processes running ``mode`` ("ddp" or "fsdp", or a tuple of both, run one
    after the other in the same processes) on one global batch; return rank 0's full gradients of the
    first step and its seconds per step over ``steps`` (for a tuple: one such dict per mode)."""
    modes = tuple(mode) if isinstance(mode, (tuple, list)) else (mode,)
    if not modes or any(m not in MODES[1:] for m in modes):
        raise ValueError(f"mode must be 'ddp' or 'fsdp' (or a tuple of them), got {mode!r}")
    world_size = check_int("world_size", world_size, low=1)
    batch = check_int("batch", batch, low=world_size)
    if batch % world_size:
        raise ValueError(f"batch must be divisible by world_size, got batch={batch}, world_size={world_size}")
    seed, steps, threads = check_int("seed", seed, low=0), check_int("steps", steps, low=0), check_int("threads", threads, low=1)
    backend = backend or ("nccl" if torch.cuda.is_available() and torch.cuda.device_count() >= world_size else "gloo")
    if backend not in ("gloo", "nccl"):
        raise ValueError(f"backend must be 'gloo' or 'nccl', got {backend!r}")
    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "rank0.pt")
        mp.spawn(_worker, args=(world_size, modes, batch, seed, steps, _free_port(), out, backend, threads),
                 nprocs=world_size, join=True)
        results = torch.load(out, weights_only=True)
    return results if isinstance(mode, (tuple, list)) else results[modes[0]]
