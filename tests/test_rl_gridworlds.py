import numpy as np
import pytest

from utils.rl.gridworlds import GridWorld, draw_policy

LAYOUT = ["S..", ".#G", "..X"]


def test_model_shapes_and_probabilities():
    w = GridWorld(LAYOUT, slip=0.2)
    assert w.n_states == 8 and w.n_actions == 4
    assert w.P.shape == (8, 4, 8) and np.allclose(w.P.sum(-1), 1.0)
    g, x = w.state_of(1, 2), w.state_of(2, 2)
    assert w.terminal[g] and w.terminal[x] and w.terminal.sum() == 2
    assert np.allclose(w.P[g, :, g], 1.0) and np.allclose(w.R[g], 0.0)   # absorbing, no reward
    assert w.start == w.state_of(0, 0)


def test_deterministic_moves_walls_and_rewards():
    w = GridWorld(LAYOUT, step_reward=-0.1)
    s = w.state_of(0, 2)
    assert w.P[s, 2, w.state_of(1, 2)] == 1.0               # down into the goal
    assert np.isclose(w.R[s, 2], 1.0 - 0.1)
    assert w.P[s, 0, s] == 1.0                               # bump into the border: stay
    assert w.P[w.state_of(0, 1), 2, w.state_of(0, 1)] == 1.0  # bump into the wall
    assert np.isclose(w.R[w.state_of(2, 1), 1], -1.0 - 0.1)  # into the trap


def test_gym_api_and_truncation():
    w = GridWorld(LAYOUT, max_steps=3)
    s, info = w.reset(seed=0)
    assert s == w.start and info == {}
    s, r, term, trunc, _ = w.step(1)
    assert s == w.state_of(0, 1) and r == 0.0 and not term and not trunc
    w.step(3), w.step(3)
    assert w._t == 3
    w.reset()
    for a in (1, 1, 2):
        s, r, term, trunc, _ = w.step(a)
    assert term and r == 1.0
    with pytest.raises(RuntimeError):
        w.step(0)
    assert "@" in w.render()


def test_sample_step_matches_model_frequencies():
    w = GridWorld(LAYOUT, slip=0.4)
    rng = np.random.default_rng(0)
    s = np.full(40_000, w.state_of(2, 0))
    nxt, r, term = w.sample_step(s, np.ones_like(s), rng)
    freq = np.bincount(nxt, minlength=w.n_states) / len(s)
    assert np.abs(freq - w.P[s[0], 1]).max() < 0.01
    assert nxt.shape == r.shape == term.shape == s.shape


def test_to_grid_and_draw_policy():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    w = GridWorld(LAYOUT)
    grid = w.to_grid(np.arange(w.n_states, dtype=float))
    assert grid.shape == (3, 3) and np.isnan(grid[1, 1]) and grid[0, 0] == 0
    _, ax = plt.subplots()
    draw_policy(ax, w, np.zeros(w.n_states, dtype=int), values=np.arange(w.n_states))
    plt.close("all")
    with pytest.raises(ValueError, match="values"):
        w.to_grid(np.zeros(3))
    with pytest.raises(ValueError, match="policy"):
        draw_policy(ax, w, np.zeros(3, dtype=int))


@pytest.mark.parametrize("kwargs, word", [
    (dict(layout="S.G"), "layout"),
    (dict(layout=["S.", "..."]), "layout"),
    (dict(layout=["##"]), "layout"),
    (dict(layout=LAYOUT, slip=1.5), "slip"),
    (dict(layout=LAYOUT, max_steps=0), "max_steps"),
    (dict(layout=LAYOUT, rewards={"GG": 1}), "rewards"),
    (dict(layout=LAYOUT, terminals="#"), "terminals"),
    (dict(layout=LAYOUT, render_mode="human"), "render_mode"),
])
def test_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        GridWorld(**kwargs)


def test_bad_step_arguments():
    w = GridWorld(LAYOUT)
    w.reset()
    with pytest.raises(ValueError, match="action"):
        w.step(7)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="states"):
        w.sample_step(np.array([99]), np.array([0]), rng)
    with pytest.raises(ValueError, match="actions"):
        w.sample_step(np.array([0]), np.array([5]), rng)
    with pytest.raises(ValueError, match="shape"):
        w.sample_step(np.array([0, 1]), np.array([0]), rng)
    with pytest.raises(ValueError, match="free cell"):
        w.state_of(1, 1)


def test_toy_text_model_frozenlake_and_cliff():
    import gymnasium as gym
    from utils.rl.dynamic_programming import value_iteration
    from utils.rl.gridworlds import toy_text_model
    P, R, term = toy_text_model(gym.make("FrozenLake-v1"))
    assert P.shape == (16, 4, 16) and np.allclose(P.sum(-1), 1.0)
    assert term[[5, 7, 11, 12, 15]].all() and term.sum() == 5
    assert np.isclose(R[14, 2], 1 / 3) and (R[term] == 0).all()
    V, _, _ = value_iteration(P, R, 0.99)
    assert 0.5 < V[0] < 0.6                         # the known optimum of slippery FrozenLake 4x4
    P, R, term = toy_text_model(gym.make("CliffWalking-v1"))
    assert P.shape == (48, 4, 48) and term[47] and R[36, 1] == -100


def test_toy_text_model_rejects_other_envs():
    import gymnasium as gym
    from utils.rl.gridworlds import toy_text_model
    with pytest.raises(ValueError, match="env"):
        toy_text_model(gym.make("CartPole-v1"))
