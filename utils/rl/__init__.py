"""Plumbing shared by the reinforcement-learning chapters (evaluation, rollouts)."""
from .evaluation import evaluate_policy

__all__ = ["evaluate_policy"]
