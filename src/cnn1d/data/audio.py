"""Audio files -> Dataset: a folder with one subfolder of clips per class, a CSV manifest (path + label,
or several labels for tagging), a single file, or a folder of unlabelled clips.

Read with soundfile (``pip install cnn1d[audio]``), mixed to mono or kept multichannel, resampled with a
polyphase filter (scipy) to the target rate. Unreadable, empty, silent, missing and wrong-channel-count
files are reported in ``dataset.meta["skipped"]`` and left out, never fatal to the whole run;
``dataset.meta["files"]`` lists the files that were used, in order.
"""

from __future__ import annotations

import io
from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError, did_you_mean
from .dataset import Dataset
from .encoding import header_delimiter, leading_comments, read_file_text

# What libsndfile (1.1 and later, as the soundfile wheels ship it) reads; MP3 is what most recorded datasets and
# phones give (Common Voice clips are MP3).
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif", ".aifc", ".au")
# Containers libsndfile does not read: named in the error with the conversion, rather than "no audio files".
UNREAD_AUDIO_SUFFIXES = (".m4a", ".aac", ".mp4", ".wma", ".webm", ".amr", ".3gp")


def unread_audio_hint(paths) -> str:
    """``" (it holds .m4a files, which are not read: convert them ...)"`` when ``paths`` include audio in containers
    libsndfile cannot read, else ``""``."""
    found = sorted({p.suffix.lower() for p in paths if p.suffix.lower() in UNREAD_AUDIO_SUFFIXES})
    if not found:
        return ""
    return (f" (it holds {'/'.join(found)} files, which are not read: convert them to WAV or FLAC first, e.g. "
            "ffmpeg -i clip.m4a -ar 16000 clip.wav)")
MANIFEST_SUFFIXES = (".csv", ".tsv")
PATH_COLUMNS = ("path", "file", "filename", "filepath", "file_path", "audio", "clip")
LABEL_COLUMNS = ("label", "class", "category", "target", "y")
TAG_COLUMNS = ("labels", "tags")
CHANNELS = ("mono", "keep")
SILENCE = 1e-4


def is_audio_path(path: str | Path) -> bool:
    """A clip, a folder holding clips, or a CSV manifest whose path column names clips."""
    path = Path(path)
    if path.is_file():
        return path.suffix.lower() in AUDIO_SUFFIXES or is_audio_manifest(path)
    if path.is_dir():
        return any(p.suffix.lower() in AUDIO_SUFFIXES for p in path.rglob("*") if p.is_file())
    return False


def is_audio_manifest(path: Path) -> bool:
    if path.suffix.lower() not in MANIFEST_SUFFIXES:
        return False
    import pandas as pd

    from .encoding import head_text

    try:
        text = head_text(path)  # the first rows decide: a large series table is not read whole here
        head = pd.read_csv(io.StringIO(text), sep=header_delimiter(text, path.suffix), nrows=20, dtype=str)
    except Exception:  # not a readable table: the tabular readers report it properly
        return False
    column = _path_column(head.columns)
    return column is not None and head[column].dropna().str.lower().str.endswith(AUDIO_SUFFIXES).any()


def _path_column(columns):
    lower = {str(c).strip().lower(): c for c in columns}
    return next((lower[n] for n in PATH_COLUMNS if n in lower), None)


def load_clip(path: Path, sample_rate: int, channels: str = "mono",
              formats: Counter | None = None) -> np.ndarray:
    """One clip as float32 ``(samples, channels)`` at ``sample_rate`` (one channel when ``channels="mono"``).
    ``formats`` counts each read clip's ``(rate, channels)`` as it was in the file.

    Raises DataError for missing, unreadable, empty or silent audio.
    """
    try:
        import soundfile
    except ImportError:
        raise ConfigError("reading audio files needs soundfile: pip install 'cnn1d[audio]'") from None

    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, OSError, ValueError) as exc:  # soundfile's LibsndfileError is a RuntimeError
        raise DataError(f"{path}: not readable audio ({exc})") from None
    if audio.shape[0] == 0:
        raise DataError(f"{path}: zero-length clip")
    in_file = (int(rate), audio.shape[1])
    if channels == "mono":
        audio = audio.mean(axis=1, keepdims=True)
    if np.abs(audio).max() < SILENCE:
        raise DataError(f"{path}: silent clip")
    if formats is not None:
        formats[in_file] += 1
    return resample_clip(audio, rate, sample_rate)


def resample_clip(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    """``(samples, channels)`` audio from ``rate`` to ``target`` Hz with scipy's polyphase filter."""
    from scipy.signal import resample_poly

    if rate == target:
        return audio
    ratio = Fraction(target, rate).limit_denominator(1000)
    return resample_poly(audio, ratio.numerator, ratio.denominator, axis=0).astype(np.float32)


def read_audio(path: str | Path, *, sample_rate: int = 8000, labels: str = "auto", channels: str = "mono",
               n_channels: int | None = None, label_column: str | None = None,
               multilabel: bool | None = None) -> Dataset:
    """Read clips; labels come from subfolder names or a manifest (a flat folder or a single file is unlabelled).

    Args:
        channels: ``mono`` mixes every clip to one channel; ``keep`` keeps its channels, and clips whose
            channel count differs from ``n_channels`` (default: the most common count) are skipped.
        label_column, multilabel: manifests only; see :func:`read_manifest`.
    """
    if channels not in CHANNELS:
        raise ConfigError(f"channels={channels!r} is not valid; choose mono or keep")
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: not found")
    names = None
    if path.is_file() and path.suffix.lower() in MANIFEST_SUFFIXES:
        files, targets, names = read_manifest(path, label_column=label_column, multilabel=multilabel,
                                              labels=labels)
    elif path.is_file():
        files, targets = [path], [None]
    else:
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
        targets = [p.parent.name if p.parent != path else None for p in files]
    if not files:
        raise DataError(f"{path}: no audio files ({', '.join(AUDIO_SUFFIXES)})"
                        + unread_audio_hint(p for p in path.rglob("*") if p.is_file()))
    clips, ys, used, skipped, formats = [], [], [], [], Counter()
    for file, target in zip(files, targets):
        try:
            clips.append(load_clip(file, sample_rate, channels, formats))
            ys.append(target)
            used.append(str(file))
        except DataError as exc:
            skipped.append(str(exc))
    if clips and channels == "keep":
        want = n_channels or Counter(c.shape[1] for c in clips).most_common(1)[0][0]
        keep = [i for i, c in enumerate(clips) if c.shape[1] == want]
        for i in sorted(set(range(len(clips))) - set(keep)):
            skipped.append(f"{used[i]}: has {clips[i].shape[1]} channel(s) but "
                           f"{'the model expects' if n_channels else 'most clips have'} {want}; "
                           "mix everything to mono with --channels mono")
        clips, ys, used = [clips[i] for i in keep], [ys[i] for i in keep], [used[i] for i in keep]
    if not clips:
        raise DataError(f"{path}: none of the {len(files)} audio files could be used; first problem: {skipped[0]}")
    labelled = labels != "none" and all(y is not None for y in ys)
    if labels == "required" and not labelled:
        raise DataError(f"{path}: clips need class labels: put them in one subfolder per class or list them in a "
                        "CSV manifest (path,label)")
    y = None
    if labelled:
        y = np.array(ys, dtype=np.int32) if names is not None else np.array(ys, dtype=object)
    meta = {"sample_rate": sample_rate, "skipped": skipped, "files": used, "channels": channels,
            "conversions": conversions(formats, sample_rate, channels)}
    if labelled and path.is_dir():
        meta["labels_from"] = _labels_from(path, used)
    return Dataset.from_series(clips, y, source=str(path), name=path.stem if path.is_file() else path.name,
                               class_names=names, meta=meta)


def _labels_from(root: Path, files: list[str]) -> str:
    """Where a folder's classes came from, said when clips lie more than one folder deep (speaker/digit/clip.wav):
    the class is the folder holding each clip, which a reader of the run log should see is the intended level."""
    depths = [len(Path(f).relative_to(root).parts) - 1 for f in files]
    if max(depths) <= 1:
        return ""
    first = sorted({Path(f).relative_to(root).parts[0] for f in files})
    return (f"classes from the folder holding each clip, up to {max(depths)} folders below {root.name}/ (not the "
            f"first level: {', '.join(first[:4])}{', ...' if len(first) > 4 else ''})")


def conversions(formats: Counter, sample_rate: int, channels: str) -> str:
    """What reading did to the clips, in words (empty when every file was already at the rate, in mono)."""
    rates = Counter()
    for (rate, _), n in formats.items():
        if rate != sample_rate:
            rates[rate] += n
    said = []
    if rates:
        said.append(f"{sum(rates.values())} resampled to {sample_rate} Hz from "
                    + ", ".join(f"{rate} Hz" for rate in sorted(rates)))
    mixed = sum(n for (_, n_channels), n in formats.items() if n_channels > 1) if channels == "mono" else 0
    if mixed:
        said.append(f"{mixed} mixed to mono")
    return "; ".join(said)


def read_manifest(path: Path, *, label_column: str | None = None, multilabel: bool | None = None,
                  labels: str = "auto") -> tuple[list[Path], list, list | None]:
    """A CSV/TSV manifest -> (files, targets, tag names or None).

    Columns: a path column (``path``, ``file``, ``filename`` ...; relative paths are relative to the
    manifest's folder) and either a ``label`` column (single-label), a ``labels``/``tags`` column of tags
    separated by ``|`` or ``;`` (multi-label), or several 0/1 columns named with ``label_column="a,b,c"``.
    ``multilabel=True`` reads a single label column as tags. Targets are then 0/1 rows of the tag matrix.
    """
    import pandas as pd

    from .labels import indicator_columns, split_tags, tags_to_matrix

    text = leading_comments(read_file_text(path)[0])[0]
    try:
        frame = pd.read_csv(io.StringIO(text), sep=header_delimiter(text, path.suffix), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot parse the manifest ({exc})") from None
    if frame.empty:
        raise DataError(f"{path}: the manifest holds no rows")
    path_col = _path_column(frame.columns)
    if path_col is None:
        raise DataError(f"{path}: a manifest needs a path column ({', '.join(PATH_COLUMNS)}); "
                        f"columns are {list(frame.columns)[:12]}")
    files = [Path(p) if Path(p).is_absolute() else path.parent / p for p in frame[path_col].str.strip()]
    if labels == "none":
        return files, [None] * len(files), None
    if label_column and "," in label_column:
        columns = [c.strip() for c in label_column.split(",") if c.strip()]
        return files, list(indicator_columns(frame, columns, path)), columns
    lower = {str(c).strip().lower(): c for c in frame.columns}
    if label_column:
        if label_column not in frame.columns:
            raise DataError(f"{path}: no label column {label_column!r}{did_you_mean(label_column, frame.columns)}; columns are {list(frame.columns)[:12]}")
        column = label_column
    else:
        column = next((lower[n] for n in TAG_COLUMNS + LABEL_COLUMNS if n in lower), None)
    if column is None:
        if labels == "required":
            raise DataError(f"{path}: no label column found ({', '.join(LABEL_COLUMNS + TAG_COLUMNS)}); "
                            "name it with --label-column")
        return files, [None] * len(files), None
    cells = frame[column].tolist()
    if multilabel is None:
        multilabel = str(column).lower() in TAG_COLUMNS or any(sep in c for c in cells for sep in ("|", ";"))
    if not multilabel:
        empty = [i + 1 for i, c in enumerate(cells) if not c.strip()]
        if empty and labels != "auto":
            raise DataError(f"{path}: data row {empty[0]} has no label in column {column!r} "
                            f"({len(empty)} row(s) without one); label every clip or drop those rows")
        return files, [c.strip() or None for c in cells], None
    matrix, names = tags_to_matrix([split_tags(c) for c in cells], where=path)
    return files, list(matrix), names
