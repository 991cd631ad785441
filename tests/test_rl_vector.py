import numpy as np
import pytest

from utils.rl import evaluate_policy, evaluate_vec, final_observations, make_vec_env


def test_same_step_autoreset_keeps_the_final_observation():
    envs = make_vec_env("CartPole-v1", 3)
    envs.reset(seed=0)
    for _ in range(100):
        obs, _, term, trunc, info = envs.step(np.zeros(3, dtype=int))   # always push left: falls fast
        done = term | trunc
        if done.any():
            last = final_observations(info, done)
            assert last.shape == (done.sum(), 4)
            assert np.abs(last[:, 2]).max() > 0.2 or np.abs(last[:, 0]).max() > 2.4   # the fallen state
            assert np.abs(obs[done]).max() <= 0.05                                  # already reset
            break
    else:
        pytest.fail("no episode ended")
    assert final_observations(info, np.zeros(3, bool)).shape == (0,)
    assert final_observations(info, np.zeros(3, bool), obs_shape=(4,)).shape == (0, 4)
    with pytest.raises(ValueError, match="obs_shape"):
        final_observations(info, np.zeros(3, bool), obs_shape=4)


def test_evaluate_vec_agrees_with_evaluate_policy():
    def act(o):
        o = np.atleast_2d(o)
        return (o[:, 2] + 0.5 * o[:, 3] > 0).astype(int)
    vec = evaluate_vec("CartPole-v1", act, n_episodes=4, seed=3)
    assert vec.shape == (4,) and (vec > 9).all()
    single = evaluate_policy("CartPole-v1", lambda o: int(act(o)[0]), n_episodes=4, seed=3)
    assert abs(vec.mean() - single.mean()) < 0.5 * single.mean()


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="env_id"):
        make_vec_env("NoSuchEnv-v0", 2)
    with pytest.raises(ValueError, match="num_envs"):
        make_vec_env("CartPole-v1", 0)
    with pytest.raises(ValueError, match="n_episodes"):
        evaluate_vec("CartPole-v1", lambda o: 0, n_episodes=0)
    with pytest.raises(ValueError, match="act"):
        evaluate_vec("CartPole-v1", None)
    with pytest.raises(ValueError, match="done"):
        final_observations({}, np.zeros((2, 2), bool))


def test_bootstrap_truncated_adds_the_final_value_only_where_the_time_limit_cut():
    import torch

    from utils.rl import bootstrap_truncated

    info = {"final_obs": np.array([None, np.array([1.0, 2.0]), np.array([3.0, 4.0])], dtype=object)}
    r = np.ones(3, dtype=np.float32)
    out = bootstrap_truncated(r, np.array([False, False, True]), np.array([False, True, True]), info,
                              lambda o: o.sum(1), gamma=0.5)
    np.testing.assert_allclose(out, [1.0, 1.0 + 0.5 * 3.0, 1.0])   # env 2 terminated: no bootstrap
    with pytest.raises(ValueError, match="gamma"):
        bootstrap_truncated(r, np.zeros(3, bool), np.zeros(3, bool), info, lambda o: o, gamma=2)
    with pytest.raises(ValueError, match="value_fn"):
        bootstrap_truncated(r, np.zeros(3, bool), np.zeros(3, bool), info, None, gamma=0.5)


def test_tanh_mlp_is_orthogonal_and_checks_its_sizes():
    import torch

    from utils.rl import orthogonal_layer, tanh_mlp

    net = tanh_mlp(4, 2, hidden=8, out_std=0.01)
    w = net[0].weight.detach()                        # (8, 4): orthonormal columns times the gain sqrt(2)
    assert torch.allclose(w.T @ w, 2.0 * torch.eye(4), atol=1e-5)
    assert net[-1].weight.abs().max() < 0.05 and torch.all(net[0].bias == 0)
    with pytest.raises(ValueError, match="n_out"):
        orthogonal_layer(3, 0)
