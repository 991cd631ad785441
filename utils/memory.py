"""Measuring what a forward pass keeps for the backward pass.

    out, per_module = saved_tensor_bytes(lambda: model(x).sum(), modules={"fc1": model.fc1}, exclude=model.parameters())
    out, held = forward_bytes(lambda: model(x).sum())
    out, peak, held = peak_bytes(lambda: train_one_step())

:func:`saved_tensor_bytes` counts the tensors autograd saves for backward (through
``torch.autograd.graph.saved_tensors_hooks``), each storage once, and attributes each to
the innermost named module running when it was saved. It cannot see inside
``torch.utils.checkpoint`` regions (those install hooks of their own).
:func:`forward_bytes` measures the memory the forward pass allocated and did not free
(outputs and saved activations), from ``torch.profiler``'s allocation records; it sees
everything, checkpointed regions included. :func:`peak_bytes` replays the same records
in time order and returns the highest total reached while ``run`` ran, and the total left at the end. Python's ``tracemalloc`` sees neither: torch
allocates outside Python's allocator.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

import torch


def _storage_key(t: torch.Tensor) -> tuple[int, int]:
    s = t.untyped_storage()
    return s.data_ptr(), s.nbytes()


def saved_tensor_bytes(run: Callable[[], object], modules: Mapping[str, torch.nn.Module] | None = None,
                       exclude: Iterable[torch.Tensor] = ()) -> tuple[object, dict[str, int]]:
    """Run ``run()`` (a forward pass with autograd on) and return its result and the bytes of
    the tensors saved for backward, per label: the name in ``modules`` of the innermost
    module that was running, else ``"other"``. Each storage is counted once; storages of the
    tensors in ``exclude`` (usually the parameters, which exist anyway) are not counted."""
    if not callable(run):
        raise ValueError("run must be a function of no arguments that does a forward pass")
    modules = {} if modules is None else modules
    if not isinstance(modules, Mapping) or not all(isinstance(m, torch.nn.Module) for m in modules.values()):
        raise ValueError("modules must map labels to torch.nn.Module objects")
    skip = {_storage_key(t)[0] for t in exclude}
    stack = ["other"]
    seen: dict[int, tuple[str, int]] = {}
    handles = []
    def enter(name):
        def hook(module, args):
            stack.append(name)
        return hook

    def leave(module, args, output):
        stack.pop()

    for name, mod in modules.items():
        handles.append(mod.register_forward_pre_hook(enter(name)))
        handles.append(mod.register_forward_hook(leave))

    def pack(t):
        ptr, n = _storage_key(t)
        if ptr not in skip and ptr not in seen:
            seen[ptr] = (stack[-1], n)
        return t

    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out = run()
    finally:
        for h in handles:
            h.remove()
    totals: dict[str, int] = {}
    for label, n in seen.values():
        totals[label] = totals.get(label, 0) + n
    return out, totals


def forward_bytes(run: Callable[[], object]) -> tuple[object, int]:
    """Run ``run()`` and return its result and the bytes it allocated on the CPU and had not
    freed when it returned (what the forward pass holds until backward), from the profiler."""
    if not callable(run):
        raise ValueError("run must be a function of no arguments that does a forward pass")
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        out = run()
    return out, int(sum(e.self_cpu_memory_usage for e in prof.events()))


def peak_bytes(run: Callable[[], object]) -> tuple[object, int, int]:
    """Run ``run()`` and return its result, the peak of the CPU memory it had allocated and
    not yet freed, and what it still held when it returned (as :func:`forward_bytes`), from
    the profiler's allocation and free records in time order.
    Memory allocated before ``run`` started is not counted: to measure models, optimisers and
    a training step together, create them inside ``run``."""
    if not callable(run):
        raise ValueError("run must be a function of no arguments")
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        out = run()
    try:   # the raw allocation records: every allocation and free, fast to read even for long runs
        records = sorted((e.start_ns(), e.nbytes()) for e in prof.profiler.kineto_results.events() if e.name() == "[memory]")
    except AttributeError:   # a torch without them: the per-operator totals (slow to build for long runs)
        records = sorted((e.time_range.start, e.self_cpu_memory_usage) for e in prof.events() if e.self_cpu_memory_usage)
    total = peak = 0
    for _, nbytes in records:
        total += nbytes
        peak = max(peak, total)
    return out, int(peak), int(total)
