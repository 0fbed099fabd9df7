"""Plots (matplotlib, an optional extra: ``pip install cnn1d[forecast]``), written atomically as PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ConfigError


def pyplot():
    """matplotlib.pyplot on the file-only Agg backend, its config kept out of the user's home."""
    from ..io_utils import private_matplotlib_home

    private_matplotlib_home()
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError("plots need matplotlib: pip install 'cnn1d[forecast]'") from None
    return plt


def save_png(fig, path: str | Path, dpi: int = 100) -> Path:
    """Write ``fig`` atomically as a PNG and close it."""
    from ..io_utils import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    pyplot().close(fig)
    return path


def plot_forecast(table, forecast, path: str | Path, history: int = 96) -> Path:
    """History tail, point forecast and interval band for every series and target (one panel each)."""
    plt = pyplot()
    from ..data.timeseries import in_zone, trim_future

    ends, _ = trim_future(table)
    panels = [(k, j, t) for k in table.ids for j, t in enumerate(table.target_names)][:12]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 2.6 * len(panels)), squeeze=False)
    for ax, (key, j, target) in zip(axes[:, 0], panels):
        end = ends[key]
        start = max(0, end - history)
        history_times = in_zone(table.index[key][start:end], table.time_zone)  # the forecast's zone
        ax.plot(history_times, table.targets[key][start:end, j], color="0.3", lw=1, label="history")
        part = forecast[(forecast["id"] == key) & (forecast["target"] == target)]
        ax.plot(part["time"], part["forecast"], color="C0", lw=1.5, label="forecast")
        ax.fill_between(part["time"], part["lower"].to_numpy(np.float64), part["upper"].to_numpy(np.float64),
                        color="C0", alpha=0.25, label="interval")
        ax.set_title(f"{key} - {target}" if len(table.ids) > 1 else target, fontsize=10)
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return save_png(fig, path)


def plot_attribution(path: str | Path, *, series: np.ndarray | None = None, attribution: np.ndarray | None = None,
                     tokens: list[tuple[str, float]] | None = None, spectrogram: np.ndarray | None = None,
                     title: str = "", channels: list[str] | None = None) -> Path:
    """One example: the series (or an audio clip's frames as an image) with its attribution shaded beneath,
    or the tokens of a text coloured by attribution (red for, blue against the class). ``channels``: the
    channels' names, for the legend."""
    plt = pyplot()
    if tokens is not None:
        scale = max((abs(a) for _, a in tokens), default=1.0) or 1.0
        fig, ax = plt.subplots(figsize=(10, 0.4 + 0.35 * (1 + len(tokens) // 12)))
        ax.axis("off")
        for i, (word, a) in enumerate(tokens):
            colour = plt.cm.RdBu_r(0.5 + 0.5 * a / scale)
            ax.text((i % 12) / 12, 1 - (i // 12 + 1) / (1 + len(tokens) // 12 + 1), word, fontsize=11,
                    bbox={"facecolor": colour, "edgecolor": "none", "pad": 2}, transform=ax.transAxes)
        ax.set_title(title, fontsize=10)
    else:
        values = np.asarray(series if series is not None else spectrogram, dtype=np.float64)
        values = values[:, None] if values.ndim == 1 else values
        weights = np.asarray(attribution, dtype=np.float64)
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 4.5), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
        steps = np.arange(len(values))
        if spectrogram is not None:
            top.imshow(np.asarray(spectrogram).T, aspect="auto", origin="lower", cmap="magma",
                       extent=(-0.5, len(spectrogram) - 0.5, -0.5, spectrogram.shape[1] - 0.5))
            top.set_ylabel("band")
        else:
            named = channels is not None and len(channels) == values.shape[1]
            for c in range(values.shape[1]):
                top.plot(steps, values[:, c], lw=1.2, label=str(channels[c]) if named else
                         f"channel {c}" if values.shape[1] > 1 else "series")
            top.legend(loc="upper left", fontsize=8)
        top.set_title(title, fontsize=10)
        summed = weights.sum(axis=1) if weights.ndim == 2 else weights
        bottom.fill_between(steps, 0, summed, where=summed >= 0, color="C3", alpha=0.6, step="mid")
        bottom.fill_between(steps, 0, summed, where=summed < 0, color="C0", alpha=0.6, step="mid")
        bottom.set_ylabel("attribution")
        bottom.set_xlabel("step")
    fig.tight_layout()
    return save_png(fig, path)
