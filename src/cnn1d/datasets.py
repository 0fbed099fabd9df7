"""Named datasets: the embedded demo data and the UCR/UEA archive downloader.

``load("gunpoint")`` returns ``(train, test)`` Datasets with the archive's own split. Embedded data
ships inside the package (no network); other archive names are downloaded once into a cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .data.dataset import Dataset
from .errors import DataError


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    archive_name: str
    summary: str
    files: tuple[str, str]
    source: str


EMBEDDED: dict[str, DatasetInfo] = {
    "gunpoint": DatasetInfo(
        "gunpoint", "GunPoint",
        "UCR GunPoint: 2 classes (gun drawn / pointed), 50 train + 150 test univariate series of 150 steps",
        ("GunPoint_TRAIN.tsv.gz", "GunPoint_TEST.tsv.gz"),
        "UCR Time Series Classification Archive 2018 (Ratanamahatana & Keogh)",
    ),
    "basicmotions": DatasetInfo(
        "basicmotions", "BasicMotions",
        "UEA BasicMotions: 4 activities from a smart watch, 40 train + 40 test series, 6 channels x 100 steps",
        ("BasicMotions_TRAIN.ts.gz", "BasicMotions_TEST.ts.gz"),
        "UEA Multivariate Time Series Classification Archive 2018 (Bagnall et al.)",
    ),
}


def list_datasets() -> list[DatasetInfo]:
    return list(EMBEDDED.values())


def embedded_path(info: DatasetInfo, split: int) -> Path:
    return Path(str(resources.files("cnn1d.data") / "embedded" / info.files[split]))


def load(name: str, *, cache_dir: str | Path | None = None, download: bool = True) -> tuple[Dataset, Dataset]:
    """Load a dataset by name as ``(train, test)``.

    Embedded names (``gunpoint``, ``basicmotions``) never touch the network. Any other UCR/UEA archive
    name (e.g. ``"ECG200"``) is fetched with :func:`cnn1d.data.archive.fetch` into ``cache_dir``.
    """
    from .data.readers import read

    info = EMBEDDED.get(name.lower())
    if info is not None:
        train, test = (read(embedded_path(info, i)) for i in (0, 1))
        for part in (train, test):
            part.name = info.archive_name
            part.source = f"embedded:{info.name}/{'train' if part is train else 'test'}"
        return train, test
    if not download:
        raise DataError(f"unknown dataset {name!r}; embedded datasets: {', '.join(EMBEDDED)}")
    from .data.archive import fetch

    train_path, test_path = fetch(name, cache_dir=cache_dir)
    return read(train_path, labels="required"), read(test_path, labels="required")
