"""Plots (matplotlib, an optional extra: ``pip install cnn1d[forecast]``), written atomically as PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ConfigError


def plot_forecast(table, forecast, path: str | Path, history: int = 96) -> Path:
    """History tail, point forecast and interval band for every series and target (one panel each)."""
    from ..io_utils import private_matplotlib_home

    private_matplotlib_home()
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError("plots need matplotlib: pip install 'cnn1d[forecast]'") from None
    from ..estimators.forecaster import trim_future
    from ..io_utils import atomic_path

    ends, _ = trim_future(table)
    panels = [(k, j, t) for k in table.ids for j, t in enumerate(table.target_names)][:12]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 2.6 * len(panels)), squeeze=False)
    for ax, (key, j, target) in zip(axes[:, 0], panels):
        end = ends[key]
        start = max(0, end - history)
        ax.plot(table.index[key][start:end], table.targets[key][start:end, j], color="0.3", lw=1, label="history")
        part = forecast[(forecast["id"] == key) & (forecast["target"] == target)]
        ax.plot(part["time"], part["forecast"], color="C0", lw=1.5, label="forecast")
        ax.fill_between(part["time"], part["lower"].to_numpy(np.float64), part["upper"].to_numpy(np.float64),
                        color="C0", alpha=0.25, label="interval")
        ax.set_title(f"{key} - {target}" if len(table.ids) > 1 else target, fontsize=10)
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
    return path
