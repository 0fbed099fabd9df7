import json

import numpy as np
import pytest
from typer.testing import CliRunner

import cnn1d
from cnn1d.cli import app
from cnn1d.datasets import load_spoken_digits
from cnn1d.errors import ConfigError, DataError
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
    from cnn1d.preprocess.audio import Mfcc

    mfcc = Mfcc(rate).features(np.sin(2 * np.pi * 300.0 * t))
    assert mfcc.shape == (98, 13) and np.isfinite(mfcc).all()
    # Mean normalisation takes away a fixed colouring: a louder copy of a clip gives the same features
    clip = np.sin(2 * np.pi * 300.0 * t) + np.random.default_rng(0).normal(0, 0.3, rate)
    quiet, loud = (LogMel(rate, cmn=True).features(a * clip) for a in (0.5, 1.0))
    np.testing.assert_allclose(quiet.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(quiet, loud, atol=1e-3)
    with pytest.raises(DataError, match="16000 Hz"):
        LogMel(16000).transform(load_spoken_digits()[1])


@pytest.mark.slow
def test_log_mel_front_end_trains_and_round_trips(tmp_path):
    train, test = load_spoken_digits()
    clf = cnn1d.CNNClassifier(model="fcn", front_end="log_mel", epochs=3, seed=0,
                              model_params={"filters": (16, 16, 16)}).fit(train)
    assert clf.n_channels_ == 40  # the network sees mel bands, not samples
    loaded = cnn1d.load(clf.save(tmp_path / "a.cnn1d"))
    np.testing.assert_array_equal(loaded.predict_proba(test), clf.predict_proba(test))
    # Per-clip mean normalisation is recorded; a bundle saved before it existed keeps its raw log-mel features
    assert clf.cmn_ and loaded.cmn_
    state = clf._bundle_state()
    del state["cmn"]
    legacy = type(clf)._from_bundle_state(clf.config_, state, clf.model_)
    assert not legacy.cmn_
    assert not np.allclose(legacy.predict_proba(test), clf.predict_proba(test))
    m5 = cnn1d.CNNClassifier(model="m5", epochs=1, seed=0, model_params={"filters": (8, 8, 8, 8)}).fit(train)
    assert m5.predict(test).shape == (80,)


@pytest.mark.slow
def test_cli_audio_demo(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["train", "--data", "spoken-digits", "--epochs", "3", "--seed", "0",
                              "--out", str(tmp_path / "sd"), "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    assert (result["model"], result["front_end"]) == ("m5", "log_mel") and result["n_test"] == 80  # --epochs: M5
    res = runner.invoke(app, ["train", "--data", "spoken-digits", "--seed", "0", "--out", str(tmp_path / "default"),
                              "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)  # classes: MiniRocket over log-mel frames by default
    assert (result["model"], result["front_end"]) == ("minirocket", "log_mel") and result["test_metrics"]["accuracy"] >= 0.95
    # a closed-form model takes the data's other settings, not the epochs recommended for M5 (which it refused
    # as if the user had given --epochs)
    res = runner.invoke(app, ["train", "--data", "spoken-digits", "--model", "minirocket", "--seed", "0",
                              "--out", str(tmp_path / "mr"), "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["front_end"] == "log_mel" and json.loads(res.stdout)["test_metrics"]["accuracy"] >= 0.9
    # a parameter given adjusts the recommended network rather than replacing all of its parameters
    from cnn1d.config import RunConfig
    from cnn1d.preprocess.audio import AUDIO_RECOMMENDED
    from cnn1d.workflows import _apply_recommended

    adjusted = _apply_recommended(RunConfig(model_params={"n_features": 2000}), AUDIO_RECOMMENDED, lambda m: None)
    assert adjusted.model_params == {"pooling": ["ppv", "mpv"], "n_features": 2000} and adjusted.model == "minirocket"
    other = _apply_recommended(RunConfig(model="fcn", model_params={"filters": [8, 8, 8]}), AUDIO_RECOMMENDED, lambda m: None)
    assert other.model_params == {"filters": [8, 8, 8]}


@pytest.fixture()
def wav_folder(tmp_path):
    soundfile = pytest.importorskip("soundfile", reason="install the audio extra: pip install -e .[audio]")
    from scipy.signal import resample_poly

    train, _ = load_spoken_digits()
    root = tmp_path / "clips"
    for i in range(0, 240, 3):  # step 3 visits every digit
        folder = root / str(train.y[i])
        folder.mkdir(parents=True, exist_ok=True)
        clip = resample_poly(train.values[i, : train.lengths[i], 0], 2, 1)  # stored at 16 kHz: read back at 8 kHz
        soundfile.write(folder / f"c{i}.wav", np.stack([clip, clip], 1) if i == 0 else clip, 16000)
    soundfile.write(root / "zero" / "silent.flac", np.zeros(4000), 8000)
    (root / "zero" / "broken.wav").write_bytes(b"RIFF not really audio")
    return root


def test_audio_folder_is_read_resampled_and_problems_reported(wav_folder):
    from cnn1d.data.audio import read_audio

    data = read_audio(wav_folder, sample_rate=8000, labels="required")
    assert len(data) == 80 and len(set(data.y)) == 10
    assert len(data.meta["skipped"]) == 2
    assert any("silent" in s for s in data.meta["skipped"]) and any("not readable" in s for s in data.meta["skipped"])
    train, _ = load_spoken_digits()
    usable = [f for f in data.meta["files"] if not any(s.startswith(f) for s in data.meta["skipped"])]
    first = usable.index(str(wav_folder / str(train.y[0]) / "c0.wav"))
    assert abs(int(data.lengths[first]) - int(train.lengths[0])) <= 2  # a 16 kHz file comes back at 8 kHz
    assert data.n_channels == 1 and "clips 80 resampled to 8000 Hz from 16000 Hz; 1 mixed to mono" in data.describe()
    assert "resampled" not in read_audio(wav_folder, sample_rate=16000).describe()
    assert "classes from the folder" not in data.describe()
    assert len(cnn1d.read(wav_folder)) == 80  # cnn1d.read takes audio too (it said 'is a folder')
    # clips two folders deep (speaker/digit/clip.wav): the classes are the digits, and the data line says so
    import shutil

    deep = wav_folder.parent / "deep"
    for digit in ("zero", "one"):
        shutil.copytree(wav_folder / digit, deep / "alice" / digit)
    nested = read_audio(deep, sample_rate=8000, labels="required")
    assert set(nested.y) == {"zero", "one"}
    assert "classes from the folder holding each clip, up to 2 folders below deep/ (not the first level: alice)" \
        in nested.describe()
    empty = wav_folder.parent / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="no audio files"):
        read_audio(empty)
    with pytest.raises(DataError, match="not found"):
        read_audio(wav_folder.parent / "missing")


def test_mp3_and_aiff_clips_are_read_and_m4a_is_named_with_the_conversion(tmp_path):
    soundfile = pytest.importorskip("soundfile", reason="install the audio extra: pip install -e .[audio]")
    from cnn1d.data.audio import read_audio

    if "MP3" not in soundfile.available_formats():
        pytest.skip("this libsndfile reads no MP3 (1.1 or later does)")
    train, _ = load_spoken_digits()
    for i, suffix in enumerate([".mp3", ".aiff", ".mp3", ".aiff"]):
        folder = tmp_path / "clips" / str(train.y[i])
        folder.mkdir(parents=True, exist_ok=True)
        soundfile.write(folder / f"c{i}{suffix}", train.values[i, : train.lengths[i], 0], 8000,
                        **({"format": "MP3"} if suffix == ".mp3" else {}))
    data = read_audio(tmp_path / "clips", sample_rate=8000, labels="required")
    assert len(data) == 4 and not data.meta["skipped"] and sorted(data.y) == sorted(str(v) for v in train.y[:4])
    phone = tmp_path / "phone" / "yes"
    phone.mkdir(parents=True)
    (phone / "a.m4a").write_bytes(b"\x00\x00\x00\x20ftypM4A ")
    with pytest.raises(DataError, match=r"holds \.m4a files, which are not read: convert them to WAV or FLAC"):
        cnn1d.read(tmp_path / "phone")


def test_cli_trains_on_an_audio_folder_and_predicts_files(tmp_path, wav_folder):
    runner = CliRunner()
    out = tmp_path / "run"
    res = runner.invoke(app, ["train", "--data", str(wav_folder), "--epochs", "2", "--seed", "0", "--out", str(out),
                              "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["model"] == "m5"
    res = runner.invoke(app, ["predict", str(out / "model.cnn1d"), str(wav_folder / "three"), "--json"])
    assert res.exit_code == 0, res.output
    predictions = json.loads(res.stdout)["predictions"]
    assert len(predictions) == 8 and all(p["file"].endswith(".wav") for p in predictions)


def test_augmented_copies_are_perturbed_and_labelled():
    from cnn1d.preprocess.augment import augment_copies

    train, _ = load_spoken_digits()
    small = train.subset(range(10))
    more = augment_copies(small, 2, seed=0)
    assert len(more) == 30 and list(more.y[:3]) == [small.y[0]] * 3
    original = small.values[0, : small.lengths[0], 0]
    copy = more.values[1, : more.lengths[1], 0]
    assert abs(len(copy) - len(original)) <= 0.12 * len(original)  # speed change of at most 10%
    assert not np.allclose(copy[: min(len(copy), len(original))], original[: min(len(copy), len(original))])
    clf = cnn1d.CNNClassifier(model="fcn", front_end="mfcc", augment=1, epochs=2, seed=0,
                              model_params={"filters": (8, 8, 8)}).fit(small)
    assert clf.predict(small).shape == (10,)


def test_spectral_copies_warp_the_filterbank_and_stretch_the_frames():
    from cnn1d.preprocess.audio import LogMel, mel_filterbank, vtlp_warp

    freqs = np.linspace(0, 4000, 81)
    for alpha in (0.9, 1.1):
        warped = vtlp_warp(freqs, alpha, 8000)
        assert warped[0] == 0 and np.isclose(warped[-1], 4000) and np.all(np.diff(warped) > 0)
        assert np.isclose(warped[10], freqs[10] * alpha)  # below the knee: a plain scaling
    # A longer vocal tract (alpha < 1) moves each band's centre down to lower FFT bins.
    assert mel_filterbank(40, 256, 8000, 0.9)[20].argmax() < mel_filterbank(40, 256, 8000)[20].argmax()

    train, _ = load_spoken_digits()
    small = train.subset(range(4))
    front = LogMel(sample_rate=8000, cmn=True)
    plain = front.transform(small)
    more = front.transform(small, copies=2, seed=0)
    assert len(more) == 12 and list(more.y[:3]) == [small.y[0]] * 3 and list(more.y[3:6]) == [small.y[1]] * 3
    np.testing.assert_array_equal(more.values[0, : more.lengths[0]], plain.values[0, : plain.lengths[0]])
    n = plain.lengths[0]
    assert all(abs(more.lengths[i] - n) <= 0.18 * n + 1 for i in (1, 2))  # stretched by at most 15%
    assert not np.allclose(more.values[1, : min(n, more.lengths[1])], plain.values[0, : min(n, more.lengths[1])])
    again = front.transform(small, copies=2, seed=0)
    np.testing.assert_array_equal(again.values, more.values)  # seeded
    # The estimator augments the log-mel frames of its training clips only.
    clf = cnn1d.CNNClassifier(model="fcn", front_end="log_mel", augment=1, epochs=1, seed=0, validation_fraction=0.0,
                              model_params={"filters": (8, 8, 8)}).fit(train.subset(range(10)))
    assert clf.history_["loss"] and clf.predict(small).shape == (4,)


@pytest.mark.slow
def test_tdfb_filters_raw_audio_in_the_graph_and_round_trips(tmp_path):
    from cnn1d import models
    from cnn1d._backend import keras

    net = models.build("tdfb", (None, 1), 2, "softmax", sample_rate=8000)
    bands = keras().Model(net.input, net.get_layer("log").output)
    t = np.arange(8000) / 8000
    low, high = (np.asarray(bands(np.sin(2 * np.pi * f * t)[None, :, None].astype(np.float32)))[0] for f in (300.0, 3000.0))
    assert low.shape == (100, 40)  # 1 s -> 100 frames of 40 bands, like the NumPy log-mel front end
    assert low.mean(axis=0).argmax() < 10 < 30 < high.mean(axis=0).argmax()
    train, test = load_spoken_digits()
    clf = cnn1d.CNNClassifier(model="tdfb", epochs=2, seed=0, model_params={"filters": (8, 8, 8, 8)}).fit(train)
    assert clf.model_params_["sample_rate"] == 8000 and not net.get_layer("filterbank").trainable
    loaded = cnn1d.load(clf.save(tmp_path / "tdfb.cnn1d"))  # the custom log layer loads under safe_mode
    np.testing.assert_allclose(loaded.predict_proba(test), clf.predict_proba(test), rtol=1e-5, atol=1e-6)
    with pytest.raises(cnn1d.errors.ConfigError, match="filters the raw waveform itself"):
        cnn1d.CNNClassifier(model="tdfb", front_end="log_mel", epochs=1).fit(train)


def test_a_mixed_pair_trains_each_network_on_its_own_terms_and_multiplies_their_probabilities(tmp_path):
    """minirocket_m5: the ridge member fits on every clip, M5 trains with its validation split, and the bundle's
    output is the normalised geometric mean of the two (one graph: saved, loaded, exported alike)."""
    train, test = load_spoken_digits()
    clf = cnn1d.CNNClassifier(model="minirocket_m5", front_end="log_mel", epochs=2, seed=0, augment=1,
                              out=str(tmp_path / "run")).fit(train)
    assert [m["model"] for m in clf.members_] == ["minirocket", "m5"] and clf.members_[1]["epochs"] == 2
    assert "480 series" in clf.members_[0]["stopped_because"]  # 240 clips and a warped copy of each, no split
    nets = [layer for layer in clf.model_.layers if hasattr(layer, "layers")]
    X = clf.preprocessor_.transform(clf._front_end(test))
    logs = sum(np.log(np.clip(np.asarray(net.predict(X, verbose=0), np.float64), 1e-7, 1)) for net in nets) / 2
    expected = np.exp(logs - logs.max(axis=1, keepdims=True))
    np.testing.assert_allclose(clf.predict_proba(test), expected / expected.sum(axis=1, keepdims=True), atol=1e-5)
    loaded = cnn1d.load(clf.save(tmp_path / "pair.cnn1d"))
    np.testing.assert_allclose(loaded.predict_proba(test), clf.predict_proba(test), atol=1e-6)
    for bad, match in (({"ensemble": 3}, "fixed pair"), ({"model_params": {"pooling": ["ppv"]}}, "gives each of its")):
        with pytest.raises(ConfigError, match=match):
            cnn1d.CNNClassifier(model="minirocket_m5", front_end="log_mel", epochs=1, **bad).fit(train)
    calibrated = cnn1d.CNNClassifier(model="minirocket_m5", front_end="log_mel", epochs=1, seed=0, calibrate=True).fit(train)
    assert calibrated.temperature_ == 1.0 and "closed-form member" in calibrated.calibration_skipped_
    # A budget the ridge member spends leaves M5 out (untrained, or cut before 10 epochs), said in the note
    hurried = cnn1d.CNNClassifier(model="minirocket_m5", front_end="log_mel", epochs=60, seed=0, max_time=2).fit(train)
    assert [m["model"] for m in hurried.members_] == ["minirocket"] and hurried.model_.name == "minirocket"
    assert "m5 left out" in hurried.budget_note_ or "m5 not trained" in hurried.budget_note_
