import json

import numpy as np
import pytest
from typer.testing import CliRunner

import cnn1d
from cnn1d.cli import app
from cnn1d.datasets import load_spoken_digits
from cnn1d.errors import DataError
from cnn1d.preprocess.audio import LogMel


def test_spoken_digits_are_split_by_voice():
    train, test = load_spoken_digits()
    assert len(train) == 240 and len(test) == 80 and train.meta["sample_rate"] == 8000
    assert not set(train.meta["voices"]) & set(test.meta["voices"])  # test voices are never heard in training
    assert sorted(set(train.y)) == sorted(set(test.y)) and len(set(train.y)) == 10
    assert 0.2 < train.lengths.mean() / 8000 < 1.0  # trimmed clips of a fraction of a second


def test_log_mel_puts_a_tone_in_the_right_band():
    rate = 8000
    t = np.arange(rate) / rate
    low, high = (LogMel(rate).features(np.sin(2 * np.pi * f * t)) for f in (300.0, 3000.0))
    assert low.shape == (98, 40)  # 1 s: 1 + (8000 - 200) // 80 frames of 40 bands
    assert low.mean(axis=0).argmax() < high.mean(axis=0).argmax()
    with pytest.raises(DataError, match="16000 Hz"):
        LogMel(16000).transform(load_spoken_digits()[1])


def test_log_mel_front_end_trains_and_round_trips(tmp_path):
    train, test = load_spoken_digits()
    clf = cnn1d.CNNClassifier(model="fcn", front_end="log_mel", epochs=3, seed=0,
                              model_params={"filters": (16, 16, 16)}).fit(train)
    assert clf.n_channels_ == 40  # the network sees mel bands, not samples
    loaded = cnn1d.load(clf.save(tmp_path / "a.cnn1d"))
    np.testing.assert_array_equal(loaded.predict_proba(test), clf.predict_proba(test))
    m5 = cnn1d.CNNClassifier(model="m5", epochs=1, seed=0, model_params={"filters": (8, 8, 8, 8)}).fit(train)
    assert m5.predict(test).shape == (80,)


def test_cli_audio_demo(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["train", "--data", "spoken-digits", "--epochs", "3", "--seed", "0",
                              "--out", str(tmp_path / "sd"), "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    assert result["model"] == "lite" and result["n_test"] == 80
