"""Per-task policy: head activation, loss, label handling and baselines."""

from . import classify, regress

TASKS = {"classify": classify, "regress": regress}

__all__ = ["TASKS", "classify", "regress"]
