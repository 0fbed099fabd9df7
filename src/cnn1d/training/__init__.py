"""Training policy (splits, early stopping, schedule, budget, checkpoints). Import :mod:`.trainer` lazily."""
