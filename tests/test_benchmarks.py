"""The benchmark harnesses' contracts that run in seconds: arguments refused before any dataset runs, one row per
pair. (The benchmarks themselves are slow and live in benchmarks/.)"""
import csv
import importlib.util
import shutil

import pytest

from .conftest import REPO


def _ucr():
    spec = importlib.util.spec_from_file_location("bench_ucr", REPO / "benchmarks" / "ucr.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("models, words", [
    ("default,minirockt", "did you mean 'minirocket'"),
    ("lite*x", "must be a whole number"),
])
def test_ucr_harness_refuses_models_before_any_dataset_runs(tmp_path, models, words):
    ucr = _ucr()
    with pytest.raises(SystemExit) as stop:
        ucr.main(["--data-dir", str(tmp_path), "--models", models, "--out", str(tmp_path / "out")])
    assert words in str(stop.value.code) and not (tmp_path / "out").exists()


def test_ucr_harness_without_aeon_says_so_first(tmp_path, monkeypatch):
    ucr = _ucr()
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "aeon" else real(name, *a))
    with pytest.raises(SystemExit) as stop:
        ucr.main(["--data-dir", str(tmp_path), "--models", "default,minirocket", "--out", str(tmp_path / "out")])
    assert "needs aeon" in str(stop.value.code)


def test_ucr_harness_writes_a_row_per_pair(tmp_path):
    from importlib import resources

    data = tmp_path / "data" / "GunPoint"
    data.mkdir(parents=True)
    for split in ("TRAIN", "TEST"):  # gzipped, as the package ships them
        shutil.copy(resources.files("cnn1d.data") / "embedded" / f"GunPoint_{split}.tsv.gz", data)
    assert _ucr().main(["--data-dir", str(tmp_path / "data"), "--models", "dummy", "--out", str(tmp_path / "out")]) == 0
    rows = list(csv.DictReader(open(tmp_path / "out" / "results.csv")))
    assert [(r["dataset"], r["model"]) for r in rows] == [("GunPoint", "dummy")] and float(rows[0]["accuracy"]) < 0.6
    assert (tmp_path / "out" / "summary.md").exists()


@pytest.mark.parametrize("name", ["fcn", "resnet", "inception", "lite", "tcn", "cnn", "mlp", "seed"])
def test_speed_references_match_the_zoo_layer_for_layer(name):
    """speed.py's ratios mean something only if the PyTorch network is the same size as ours."""
    pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location("torch_reference", REPO / "benchmarks" / "torch_reference.py")
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    from cnn1d.models.registry import build

    for channels, steps in ((1, 275), (3, 100)):
        ours = build(name, (steps, channels), 6, "softmax")
        assert ours.count_params() == reference.n_params(reference.build(name, channels, 6, steps))
