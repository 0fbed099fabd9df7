"""Audio files -> Dataset: a folder with one subfolder of clips per class, a single file, or a folder of
unlabelled clips. Read with soundfile (``pip install cnn1d[audio]``), mixed to mono, resampled with a
polyphase filter (scipy) to the target rate. Unreadable, empty and silent files are reported in
``dataset.meta["skipped"]`` and left out, never fatal to the whole run."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError
from .dataset import Dataset

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga")
SILENCE = 1e-4


def is_audio_path(path: str | Path) -> bool:
    path = Path(path)
    if path.is_file():
        return path.suffix.lower() in AUDIO_SUFFIXES
    if path.is_dir():
        return any(p.suffix.lower() in AUDIO_SUFFIXES for p in path.rglob("*") if p.is_file())
    return False


def load_clip(path: Path, sample_rate: int) -> np.ndarray:
    """One clip as float32 mono at ``sample_rate``; raises DataError for unreadable, empty or silent audio."""
    try:
        import soundfile
    except ImportError:
        raise ConfigError("reading audio files needs soundfile: pip install 'cnn1d[audio]'") from None
    from scipy.signal import resample_poly

    try:
        audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, OSError) as exc:  # soundfile's LibsndfileError is a RuntimeError
        raise DataError(f"{path}: not readable audio ({exc})") from None
    if audio.shape[0] == 0:
        raise DataError(f"{path}: zero-length clip")
    mono = audio.mean(axis=1)
    if np.abs(mono).max() < SILENCE:
        raise DataError(f"{path}: silent clip")
    if rate != sample_rate:
        ratio = Fraction(sample_rate, rate).limit_denominator(1000)
        mono = resample_poly(mono, ratio.numerator, ratio.denominator).astype(np.float32)
    return mono


def read_audio(path: str | Path, *, sample_rate: int = 8000, labels: str = "auto") -> Dataset:
    """Read clips; class labels come from subfolder names (a flat folder or a single file is unlabelled)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: not found")
    if path.is_file():
        files, classes = [path], [None]
    else:
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
        classes = [p.parent.name if p.parent != path else None for p in files]
    if not files:
        raise DataError(f"{path}: no audio files ({', '.join(AUDIO_SUFFIXES)})")
    clips, ys, skipped = [], [], []
    for file, label in zip(files, classes):
        try:
            clips.append(load_clip(file, sample_rate))
            ys.append(label)
        except DataError as exc:
            skipped.append(str(exc))
    if not clips:
        raise DataError(f"{path}: none of the {len(files)} audio files could be used; first problem: {skipped[0]}")
    labelled = labels != "none" and all(y is not None for y in ys)
    if labels == "required" and not labelled:
        raise DataError(f"{path}: clips need class labels: put them in one subfolder per class")
    return Dataset.from_series(clips, np.array(ys, dtype=object) if labelled else None, source=str(path),
                               name=path.name, meta={"sample_rate": sample_rate, "skipped": skipped,
                                                     "files": [str(f) for f in files]})
