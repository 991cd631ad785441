"""Scale profiles, device choice and seeding: the one place where they are read.

The profile is chosen by the environment variable ``BOOK_PROFILE``:

* ``quick`` -- small models and short runs that finish on a 2-core CPU (what CI runs);
* ``full``  -- larger models and longer runs, meant for a CUDA GPU. The pages that compute
  on the CPU only (reinforcement learning, tree search) keep their ``full`` budgets within
  minutes on two CPU cores, since a GPU runtime runs them on its CPU.

Without the variable the profile is ``full`` when CUDA is available, else ``quick``.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

#: PyTorch's CPU threads when the book is imported, before any ``setup(threads=...)``: the
#: machine's default (or ``OMP_NUM_THREADS``). The zoo builds every entry on this many.
DEFAULT_THREADS = torch.get_num_threads()

PROFILE_ENV = "BOOK_PROFILE"
PROFILES = ("quick", "full")


def get_profile() -> str:
    """Return the active profile name, validating ``$BOOK_PROFILE`` if it is set."""
    value = os.environ.get(PROFILE_ENV, "").strip().lower()
    if not value:
        return "full" if torch.cuda.is_available() else "quick"
    if value not in PROFILES:
        raise ValueError(
            f"{PROFILE_ENV} must be one of {PROFILES}, got {os.environ[PROFILE_ENV]!r}"
        )
    return value


def by_profile(*, quick: Any, full: Any, profile: str | None = None) -> Any:
    """Pick a knob for the active profile: ``N_STEPS = by_profile(quick=200, full=5000)``."""
    profile = get_profile() if profile is None else profile
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
    return quick if profile == "quick" else full


def get_device(prefer: str | None = None) -> torch.device:
    """The device to compute on: ``cuda`` if available, else ``mps``, else ``cpu``.

    ``prefer`` forces a device (``"cpu"``, ``"cuda"``, ...); asking for CUDA on a
    machine without it raises a ``ValueError``.
    """
    if prefer is not None:
        if not isinstance(prefer, str):
            raise ValueError(f"prefer must be a device string such as 'cpu', got {prefer!r}")
        if prefer.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(f"prefer={prefer!r} but CUDA is not available on this machine")
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int = 0) -> int:
    """Seed Python, NumPy and PyTorch (CPU and CUDA) for a repeatable run."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    return seed


@dataclass(frozen=True)
class Setup:
    profile: str
    device: torch.device
    seed: int

    def __str__(self) -> str:
        return f"profile={self.profile}  device={self.device}  seed={self.seed}  torch={torch.__version__}"


SEED_ENV = "BOOK_SEED"


def _inline_figures_in_kernels() -> None:
    """Inside a Jupyter kernel, draw figures into the notebook.

    A non-interactive backend chosen by the environment (``MPLBACKEND=Agg``, common in
    scripts and CI) would make every ``plt.show()`` in a notebook a no-op and the
    executed notebook (and the site built from it) would carry no figures.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return
    import matplotlib

    if "inline" not in matplotlib.get_backend().lower():
        shell.run_line_magic("matplotlib", "inline")


def setup(seed: int | None = None, device: str | None = None, verbose: bool = True,
          threads: int | None = None) -> Setup:
    """What every notebook's first cell calls: read the profile, pick the device, seed,
    and apply the book's plotting style.

    ``seed`` defaults to ``$BOOK_SEED`` or 0, so a notebook's asserts can be tried
    under other seeds without editing it: ``BOOK_SEED=3 pytest --nbval-lax ...``.

    ``threads`` sets PyTorch's CPU threads. The RL chapters pass ``threads=1``: their
    networks are so small that splitting each matrix product over several threads costs
    more in synchronisation than it saves, and far more when the cores are shared.
    """
    from .plotting import use_book_style

    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
            raise ValueError(f"threads must be a positive integer, got {threads!r}")
        torch.set_num_threads(int(threads))
    if seed is None:
        raw = os.environ.get(SEED_ENV, "0").strip() or "0"
        if not raw.isdigit():
            raise ValueError(f"{SEED_ENV} must be a non-negative integer, got {raw!r}")
        seed = int(raw)
    s = Setup(get_profile(), get_device(device), seed_everything(seed))
    _inline_figures_in_kernels()
    use_book_style()
    if verbose:
        print(s)
    return s
