"""A fixed-size replay buffer of transitions, stored as NumPy arrays (a ring buffer).

    buf = ReplayBuffer(10_000, obs=(4,), action=((), np.int64), reward=(), next_obs=(4,), done=())
    buf.add(obs=o, action=a, reward=r, next_obs=o2, done=d)     # a batch of transitions
    batch = buf.sample(128, rng)                                 # dict of arrays

Each field is declared as a shape (float32) or as ``(shape, dtype)``. ``add`` takes a
batch (leading axis) of each field; once full, the oldest transitions are overwritten.
"""
from __future__ import annotations

import numpy as np


class ReplayBuffer:
    def __init__(self, capacity: int, **fields):
        if not isinstance(capacity, (int, np.integer)) or capacity < 1:
            raise ValueError(f"capacity must be a positive integer, got {capacity!r}")
        if not fields:
            raise ValueError("declare at least one field, e.g. obs=(4,)")
        self.capacity, self.size, self._ptr = int(capacity), 0, 0
        self._data = {}
        for name, spec in fields.items():
            if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], tuple):
                shape, dtype = spec
            else:
                shape, dtype = spec, np.float32
            if not isinstance(shape, tuple) or not all(isinstance(n, int) and n > 0 for n in shape):
                raise ValueError(f"field {name!r}: shape must be a tuple of positive ints, got {spec!r}")
            self._data[name] = np.zeros((self.capacity, *shape), dtype=dtype)

    def __len__(self) -> int:
        return self.size

    def add(self, **batch) -> None:
        """Append a batch of transitions (every declared field, same leading length)."""
        if set(batch) != set(self._data):
            raise ValueError(f"add() needs exactly the fields {sorted(self._data)}, got {sorted(batch)}")
        arrays = {k: np.asarray(v) for k, v in batch.items()}
        lengths = {k: (a.shape[0] if a.ndim else 0) for k, a in arrays.items()}
        n = next(iter(lengths.values()))
        if len(set(lengths.values())) != 1:
            raise ValueError(f"every field needs the same batch length, got {lengths}")
        for k, a in arrays.items():
            if a.shape[1:] != self._data[k].shape[1:]:
                raise ValueError(f"field {k!r}: expected items of shape {self._data[k].shape[1:]}, got {a.shape[1:]}")
        if n == 0:
            return
        if n > self.capacity:  # only the newest `capacity` transitions can be kept
            arrays = {k: a[-self.capacity:] for k, a in arrays.items()}
            n = self.capacity
        idx = (self._ptr + np.arange(n)) % self.capacity
        for k, a in arrays.items():
            self._data[k][idx] = a
        self._ptr = int((self._ptr + n) % self.capacity)
        self.size = min(self.size + n, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict:
        """A uniform random batch (with replacement) as a dict of arrays."""
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
        if self.size == 0:
            raise ValueError("cannot sample from an empty buffer")
        idx = rng.integers(0, self.size, size=batch_size)
        return {k: v[idx] for k, v in self._data.items()}
