import numpy as np
import pytest

from utils.rl.dynamic_programming import policy_evaluation, value_iteration
from utils.rl.gridworlds import GridWorld


def _chain():
    # two states: 0 -> 1 (reward 1) with action 1, stay with action 0; state 1 absorbing
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = P[0, 1, 1] = 1.0
    P[1, :, 1] = 1.0
    R = np.array([[0.0, 1.0], [0.0, 0.0]])
    return P, R


def test_policy_evaluation_closed_form():
    P, R = _chain()
    V, Q = policy_evaluation(P, R, np.array([1, 0]), 0.9)
    assert np.allclose(V, [1.0, 0.0]) and np.allclose(Q[0], [0.9, 1.0])
    # a stochastic policy: V0 = 0.5 * 1 + 0.5 * 0.9 * V0  ->  V0 = 0.5 / 0.55
    V, _ = policy_evaluation(P, R, np.array([[0.5, 0.5], [1.0, 0.0]]), 0.9)
    assert np.isclose(V[0], 0.5 / 0.55)


def test_value_iteration_is_optimal_on_a_gridworld():
    w = GridWorld(["S..", ".#G", "..X"], step_reward=-0.04, slip=0.1)
    V, Q, pi = value_iteration(w.P, w.R, 0.95)
    V_pi, _ = policy_evaluation(w.P, w.R, pi, 0.95)
    assert np.allclose(V, V_pi, atol=1e-8)                 # its greedy policy achieves V*
    rng = np.random.default_rng(0)
    for _ in range(20):                                     # and no random policy beats it
        other, _ = policy_evaluation(w.P, w.R, rng.integers(0, 4, w.n_states), 0.95)
        assert (other <= V + 1e-8).all()


@pytest.mark.parametrize("args, word", [
    ((np.zeros((2, 2)), np.zeros((2, 2)), 0.9), "P"),
    ((np.full((2, 2, 2), 0.5), np.zeros((2, 3)), 0.9), "R"),
    ((np.full((2, 2, 2), 0.7), np.zeros((2, 2)), 0.9), "P"),
    ((np.full((2, 2, 2), 0.5), np.zeros((2, 2)), 1.0), "gamma"),
])
def test_bad_models(args, word):
    with pytest.raises(ValueError, match=word):
        value_iteration(*args)
    with pytest.raises(ValueError, match=word):
        policy_evaluation(args[0], args[1], np.zeros(2, dtype=int), args[2])


def test_bad_policy_and_options():
    P, R = _chain()
    for bad in (np.array([0, 5]), np.array([[0.5, 0.6], [1, 0]]), np.zeros(3, dtype=int)):
        with pytest.raises(ValueError, match="policy"):
            policy_evaluation(P, R, bad, 0.9)
    with pytest.raises(ValueError, match="tol"):
        value_iteration(P, R, 0.9, tol=0)
    with pytest.raises(ValueError, match="max_iter"):
        value_iteration(P, R, 0.9, max_iter=0)
    with pytest.raises(RuntimeError):                      # staying pays 1 forever: slow to converge
        value_iteration(P, R + np.array([[1.0, 0.0], [0.0, 0.0]]), 0.99, max_iter=2)
