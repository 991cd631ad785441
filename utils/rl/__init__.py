"""Plumbing shared by the reinforcement-learning chapters (evaluation, rollouts)."""
from .evaluation import evaluate_policy

__all__ = ["evaluate_policy"]

# Chapter 5 (RL basics) plumbing; each module's docstring says which notebook teaches it.
from .dynamic_programming import policy_evaluation, value_iteration  # noqa: E402
from .exploration import epsilon_greedy, linear_schedule  # noqa: E402
from .gridworlds import GridWorld, draw_policy, toy_text_model  # noqa: E402
from .replay import ReplayBuffer  # noqa: E402
from .returns import discounted_returns  # noqa: E402
from .rollouts import Episodes, collect_episodes  # noqa: E402

__all__ += ["policy_evaluation", "value_iteration", "epsilon_greedy", "linear_schedule",
            "GridWorld", "draw_policy", "toy_text_model", "ReplayBuffer", "discounted_returns",
            "Episodes", "collect_episodes"]

# Chapter 6 (policy optimisation) plumbing.
from .advantages import gae  # noqa: E402
from .gradients import flat_grad, gradient_spread, mean_gap  # noqa: E402
from .pendulum import pendulum_returns, visited_states  # noqa: E402
from .nets import orthogonal_layer, tanh_mlp  # noqa: E402
from .vector import bootstrap_truncated, evaluate_vec, final_observations, make_vec_env  # noqa: E402

__all__ += ["gae", "evaluate_vec", "final_observations", "make_vec_env", "pendulum_returns",
            "visited_states", "orthogonal_layer", "tanh_mlp", "bootstrap_truncated", "flat_grad",
            "gradient_spread", "mean_gap"]
