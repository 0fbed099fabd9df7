"""Per-task policy: head activation, loss, label handling and baselines."""

from . import classify, regress, tag

TASKS = {"classify": classify, "regress": regress, "tag": tag}

__all__ = ["TASKS", "classify", "regress", "tag"]
