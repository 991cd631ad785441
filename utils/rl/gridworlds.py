"""Small tabular gridworlds written to the ``gymnasium.Env`` API, with their model exposed.

A map is a list of equal-length strings::

    layout = ["S..#",
              ".#.G",
              "...X"]

``#`` is a wall, ``S`` the start cell (``.`` when absent: the top-left free cell),
every other character a free cell. Each character may carry a reward, received on
*entering* the cell, and may be terminal (``G`` and ``X`` by default). Actions are
``0 = up, 1 = right, 2 = down, 3 = left``; bumping into a wall or the border leaves
the agent where it is. With ``slip > 0`` the intended move is replaced, with that
probability, by a uniformly random one of the four moves.

Besides ``reset``/``step`` the environment exposes its model, which dynamic
programming, planning and inverse RL need:

* ``P[s, a, s2]`` transition probabilities (terminal states are absorbing);
* ``R_sas[s, a, s2]`` the reward of that transition, ``R[s, a]`` its expectation;
* ``terminal[s]``, ``start`` and ``cell_types[s]`` (the map character of each state).

``sample_step(states, actions, rng)`` steps a whole batch of independent copies at
once with NumPy, for Monte Carlo and TD experiments over thousands of episodes.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

try:  # gymnasium is a dependency of the book; keep the import error readable if it is absent
    import gymnasium as gym
    from gymnasium import spaces
except ImportError as err:  # pragma: no cover
    raise ImportError("utils.rl.gridworlds needs gymnasium: pip install gymnasium") from err

#: (row, column) offsets of the four actions: up, right, down, left.
MOVES = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]])
ACTION_NAMES = ("up", "right", "down", "left")
ARROWS = ("\u2191", "\u2192", "\u2193", "\u2190")


class GridWorld(gym.Env):
    """A tabular gridworld whose states are the free cells of ``layout`` (row-major order)."""

    metadata = {"render_modes": ["ansi"]}

    def __init__(self, layout: Sequence[str], *, rewards: Mapping[str, float] | None = None,
                 terminals: str = "GX", step_reward: float = 0.0, slip: float = 0.0,
                 max_steps: int = 200, render_mode: str | None = None):
        if isinstance(layout, str) or not isinstance(layout, Sequence) or not layout:
            raise ValueError("layout must be a non-empty list of strings, one per row")
        if not all(isinstance(row, str) and row for row in layout):
            raise ValueError("layout must hold non-empty strings")
        if len({len(row) for row in layout}) != 1:
            raise ValueError(f"layout rows must have equal length, got {[len(r) for r in layout]}")
        rewards = {"G": 1.0, "X": -1.0} if rewards is None else dict(rewards)
        if any(not isinstance(k, str) or len(k) != 1 for k in rewards):
            raise ValueError("rewards must map single map characters to numbers")
        if "#" in rewards or "#" in terminals:
            raise ValueError("rewards/terminals cannot name the wall character '#'")
        if not 0.0 <= float(slip) <= 1.0:
            raise ValueError(f"slip must be a probability in [0, 1], got {slip!r}")
        if not isinstance(max_steps, int) or max_steps < 1:
            raise ValueError(f"max_steps must be a positive integer, got {max_steps!r}")
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")

        self.layout = [str(r) for r in layout]
        self.shape = (len(layout), len(layout[0]))
        self.slip, self.step_reward, self.max_steps = float(slip), float(step_reward), max_steps
        self.render_mode = render_mode
        cells = [(r, c) for r in range(self.shape[0]) for c in range(self.shape[1]) if layout[r][c] != "#"]
        if not cells:
            raise ValueError("layout has no free cell")
        self.positions = np.array(cells)                      # state -> (row, col)
        self._index = {cell: s for s, cell in enumerate(cells)}
        self.n_states, self.n_actions = len(cells), 4
        self.cell_types = np.array([layout[r][c] for r, c in cells])
        self.terminal = np.isin(self.cell_types, list(terminals))
        starts = np.flatnonzero(self.cell_types == "S")
        self.start = int(starts[0]) if len(starts) else 0
        cell_reward = np.array([rewards.get(t, 0.0) for t in self.cell_types], dtype=float)
        self.cell_reward = cell_reward

        # The model: deterministic move table, then slip mixes the four moves.
        move_to = np.zeros((self.n_states, 4), dtype=int)
        for s, (r, c) in enumerate(cells):
            for a, (dr, dc) in enumerate(MOVES):
                move_to[s, a] = self._index.get((r + dr, c + dc), s)
        P = np.zeros((self.n_states, 4, self.n_states))
        for a in range(4):
            for b in range(4):
                p = (1.0 - self.slip) * (a == b) + self.slip / 4
                P[np.arange(self.n_states), a, move_to[:, b]] += p
        P[self.terminal] = 0.0
        for s in np.flatnonzero(self.terminal):
            P[s, :, s] = 1.0
        R_sas = np.broadcast_to(cell_reward + self.step_reward, P.shape).copy()
        R_sas[self.terminal] = 0.0
        self.P, self.R_sas = P, R_sas
        self.R = (P * R_sas).sum(-1)
        self._cdf = np.cumsum(P, axis=-1)
        self._cdf[..., -1] = 1.0                              # guard against round-off

        self.observation_space = spaces.Discrete(self.n_states)
        self.action_space = spaces.Discrete(4)
        self._state, self._t = self.start, 0

    # gymnasium API ---------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._state, self._t = self.start, 0
        return self._state, {}

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"action must be in 0..3, got {action!r}")
        if self.terminal[self._state]:
            raise RuntimeError("step() called on a finished episode; call reset()")
        s2, r, term = self.sample_step(np.array([self._state]), np.array([action]), self.np_random)
        self._state, self._t = int(s2[0]), self._t + 1
        return self._state, float(r[0]), bool(term[0]), self._t >= self.max_steps, {}

    def render(self) -> str:
        rows = [list(row) for row in self.layout]
        r, c = self.positions[self._state]
        rows[r][c] = "@"
        return "\n".join("".join(row) for row in rows)

    # vectorised helpers ----------------------------------------------------------
    def sample_step(self, states, actions, rng: np.random.Generator):
        """Step a batch of copies: returns ``(next_states, rewards, terminated)`` arrays."""
        states, actions = np.asarray(states), np.asarray(actions)
        if states.shape != actions.shape:
            raise ValueError(f"states {states.shape} and actions {actions.shape} must have the same shape")
        if states.size and (states.min() < 0 or states.max() >= self.n_states):
            raise ValueError(f"states must lie in 0..{self.n_states - 1}")
        if actions.size and (actions.min() < 0 or actions.max() > 3):
            raise ValueError("actions must lie in 0..3")
        u = rng.random(states.shape)[..., None]
        nxt = (u > self._cdf[states, actions]).sum(-1)
        nxt = np.minimum(nxt, self.n_states - 1)
        return nxt, self.R_sas[states, actions, nxt], self.terminal[nxt]

    def state_of(self, row: int, col: int) -> int:
        """The state index of a free cell."""
        if (row, col) not in self._index:
            raise ValueError(f"({row}, {col}) is not a free cell of the layout")
        return self._index[(row, col)]

    def to_grid(self, values, fill=np.nan) -> np.ndarray:
        """Lay per-state values out on the map (walls get ``fill``), ready for ``imshow``."""
        values = np.asarray(values)
        if values.shape[:1] != (self.n_states,):
            raise ValueError(f"values must have one entry per state ({self.n_states}), got shape {values.shape}")
        grid = np.full(self.shape + values.shape[1:], fill, dtype=np.result_type(values, type(fill)))
        grid[self.positions[:, 0], self.positions[:, 1]] = values
        return grid


def draw_policy(ax, world: GridWorld, policy, values=None, *, cmap="Blues", fontsize=12,
                color="black"):
    """Draw a gridworld on ``ax``: values as a heat map (optional), walls grey, the greedy
    action of ``policy`` (shape ``(n_states,)`` of actions, or ``(n_states, 4)`` of
    probabilities) as an arrow in each non-terminal cell, terminal cells by their letter."""
    policy = np.asarray(policy)
    if policy.ndim == 2:
        policy = policy.argmax(1)
    if policy.shape != (world.n_states,):
        raise ValueError(f"policy must have one action per state ({world.n_states}), got {policy.shape}")
    walls = np.array([[ch == "#" for ch in row] for row in world.layout], dtype=float)
    ax.imshow(np.where(walls, 1.0, np.nan), cmap="Greys", vmin=0, vmax=1.6)
    if values is not None:
        ax.imshow(world.to_grid(np.asarray(values, dtype=float)), cmap=cmap, alpha=0.85)
    for s, (r, c) in enumerate(world.positions):
        label = world.cell_types[s] if world.terminal[s] else ARROWS[policy[s]]
        ax.text(c, r, label, ha="center", va="center", fontsize=fontsize, color=color)
    ax.set_xticks([]), ax.set_yticks([])
    ax.grid(False)
    return ax


def toy_text_model(env):
    """The model of a gymnasium toy-text environment (FrozenLake, CliffWalking, Taxi, ...)
    as arrays: ``(P, R, terminal)`` with ``P[s, a, s2]``, expected reward ``R[s, a]`` and
    ``terminal[s]``. Terminal states are made absorbing with zero reward, as in
    :class:`GridWorld`, so :mod:`utils.rl.dynamic_programming` applies directly."""
    table = getattr(getattr(env, "unwrapped", env), "P", None)
    if not isinstance(table, dict) or not table:
        raise ValueError("env must be a toy-text environment with a transition table env.unwrapped.P")
    n_states = len(table)
    n_actions = len(table[0])
    P = np.zeros((n_states, n_actions, n_states))
    R = np.zeros((n_states, n_actions))
    terminal = np.zeros(n_states, dtype=bool)
    for s, actions in table.items():
        for a, outcomes in actions.items():
            for prob, s2, reward, done in outcomes:
                P[s, a, s2] += prob
                R[s, a] += prob * reward
                terminal[s2] |= bool(done)
    P[terminal], R[terminal] = 0.0, 0.0
    for s in np.flatnonzero(terminal):
        P[s, :, s] = 1.0
    return P, R, terminal
