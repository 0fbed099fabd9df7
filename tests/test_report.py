"""`cnn1d report` and `train --report`: one self-contained HTML page, opened in a real headless Chromium."""

import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnn1d.cli import app

from .browser import Page, chromium

TINY = ["--model-params", '{"blocks": 1, "filters": 8, "dense": 16}', "--model", "cnn"]
RUNS = {
    "classifier": ["--data", "gunpoint", "--model", "fcn", "--model-params", '{"filters": [16, 16, 16]}', "--epochs", "20",
                   "--calibrate"],
    "forecast": ["--task", "forecast", "--data", "stocks", "--horizon", "3", "--epochs", "2",
                 "--folds", "1", "--model-params", '{"filters": 8, "dilations": [1, 2]}'],
    "audio": ["--data", "spoken-digits", "--epochs", "3", "--augment", "0"],
    "text": ["--data", "chatterbot-topics", "--epochs", "1", "--model-params", '{"filters": 16, "embedding_dim": 32}'],
    "regression": None,  # built from GunPoint in the test: each series' peak
}
# Keep one screenshot of each report kind for the docs: CNN1D_REPORT_SCREENSHOTS=docs/images python -m pytest ...
SCREENSHOTS = os.environ.get("CNN1D_REPORT_SCREENSHOTS")


def train_with_report(out: Path, args: list[str]) -> dict:
    res = CliRunner().invoke(app, ["train", *args, "--seed", "0", "--out", str(out), "--report", "--json", "--quiet"])
    assert res.exit_code == 0, res.output[-2000:]
    return json.loads(res.stdout)


def regression_args(tmp_path: Path, gunpoint) -> list[str]:
    import numpy as np

    train = gunpoint[0]
    rows = np.column_stack([train.values[:, :, 0].max(axis=1), train.values[:, :, 0]])
    path = tmp_path / "peaks.csv"
    np.savetxt(path, rows, delimiter=",", header="target," + ",".join(f"t{i}" for i in range(150)), comments="",
               fmt="%.5f")
    return ["--data", str(path), "--task", "regress", *TINY, "--epochs", "5"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(RUNS))
def test_report_is_self_contained_and_renders_in_chromium(kind, tmp_path, gunpoint):
    args = RUNS[kind] if RUNS[kind] is not None else regression_args(tmp_path, gunpoint)
    result = train_with_report(tmp_path / kind, args)
    page_path = Path(result["report"])
    text = page_path.read_text()
    assert page_path == tmp_path / kind / "report.html"
    assert "<script" not in text and "http://" not in text and "https://" not in text
    # Text is looked for outside the embedded images: a base64 PNG contains short strings like "ECE" by chance.
    words = re.sub(r'src="data:[^"]*"', "", text)
    for section in ("Model card", "Learning curves", "Test metrics", "Config that reproduces this run"):
        assert section in words
    expected = {"classifier": ["Confusion matrix", "Reliability diagram", "What the model looked at", "<td>ece</td>"],
                "forecast": ["Backtest", "Interval coverage"], "audio": ["What the model looked at", "frames"],
                "text": ["tokens shaded by attribution", "class=tok"], "regression": ["Residuals"]}[kind]
    assert all(e in words for e in expected), [e for e in expected if e not in words]
    if chromium() is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it): apt-get install chromium")
    page = Page(page_path.resolve().as_uri())
    try:
        images = page.evaluate("Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
        shot = page.screenshot(tmp_path / f"report-{kind}.jpg")
        if SCREENSHOTS:
            page.screenshot(Path(SCREENSHOTS) / f"report-{kind}.jpg", quality=60)
    finally:
        page.close()
    assert images and all(images), images
    assert page.console_errors == []
    assert all(url.startswith(("file://", "data:")) for url in page.requests), page.requests
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
def test_report_of_a_bundle_with_explicit_test_data(tmp_path, gunpoint):
    result = train_with_report(tmp_path / "run", ["--data", "gunpoint", *TINY, "--epochs", "2"])
    res = CliRunner().invoke(app, ["report", result["bundle"], "gunpoint", "--out", str(tmp_path / "b.html"), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["bytes"] > 10_000
    res = CliRunner().invoke(app, ["report", str(tmp_path / "nothing")])
    assert res.exit_code != 0 and "no model.cnn1d" in res.output
    res = CliRunner().invoke(app, ["report", result["bundle"], "--out", str(tmp_path / "b.pdf")])
    assert res.exit_code != 0 and "the report is one HTML page; name it .html" in res.output


def test_a_closed_form_fit_has_no_learning_curve():
    from cnn1d.evaluation.report import _learning_curves

    html = _learning_curves({"loss": [-0.0], "accuracy": [1.0]}, "ridge fit in closed form (alpha 0.001)")
    assert "Fitted in one step (closed form), so there is no learning curve: loss 0, accuracy 1" in html
    assert "<img" not in html
    # a network trained for one epoch is no closed-form fit (the report said it was)
    assert "Trained for one epoch, so" in _learning_curves({"loss": [0.7]}, "max epochs")
