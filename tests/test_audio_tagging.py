"""Audio manifests, multi-label tagging, multichannel clips, fixed durations and bad audio input."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import cnn1d
from cnn1d.cli import app
from cnn1d.datasets import load_spoken_digit_tags, load_spoken_digits
from cnn1d.errors import ConfigError, DataError

soundfile = pytest.importorskip("soundfile", reason="install the audio extra: pip install -e .[audio]")
SMALL_FCN = {"filters": (8, 8, 8)}


def _clip(data, i):
    return data.values[i, : data.lengths[i], 0]


@pytest.fixture(scope="module")
def tag_manifest(tmp_path_factory):
    """80 training clips of 1-3 digits (a `labels` column, tags separated by |) and 24 test clips of unseen voices."""
    root = tmp_path_factory.mktemp("tagged")
    train, test = load_spoken_digit_tags()
    paths = {}
    for name, data, count in (("train", train, 80), ("test", test, 24)):
        rows = ["path,labels"]
        (root / name).mkdir()
        for i in range(count):
            soundfile.write(root / name / f"{i}.wav", _clip(data, i), 8000)
            tags = "|".join(t for t, on in zip(data.class_names, data.y[i]) if on)
            rows.append(f"{name}/{i}.wav,{tags}")
        paths[name] = root / f"{name}.csv"
        paths[name].write_text("\n".join(rows) + "\n")
    return paths


def test_spoken_digit_tags_are_built_from_each_splits_own_voices():
    train, test = load_spoken_digit_tags()
    assert (len(train), len(test)) == (480, 160) and train.y.shape == (480, 10)
    assert set(train.y.sum(axis=1)) == {1, 2, 3}  # one to three digits per clip
    assert train.class_names == sorted(set(load_spoken_digits()[0].y))
    again, _ = load_spoken_digit_tags()
    np.testing.assert_array_equal(again.values, train.values)  # deterministic


def test_manifest_with_tags_reads_to_a_tag_matrix(tag_manifest):
    from cnn1d.data.audio import is_audio_path, read_audio

    assert is_audio_path(tag_manifest["train"])
    data = read_audio(tag_manifest["train"], labels="required")
    assert data.y.shape == (80, 10) and data.class_names[0] == "eight"
    expected, _ = load_spoken_digit_tags()
    np.testing.assert_array_equal(data.y, expected.y[:80])  # relative paths resolve beside the manifest


def test_manifest_forms_and_problems(tmp_path):
    from cnn1d.data.audio import read_audio

    train, _ = load_spoken_digits()
    for i in range(4):
        soundfile.write(tmp_path / f"{i}.flac", _clip(train, i), 8000)
    (tmp_path / "single.csv").write_text("file,label\n0.flac,a\n1.flac,b\n2.flac,a\nmissing.wav,b\n")
    data = read_audio(tmp_path / "single.csv", labels="required")
    assert list(data.y) == ["a", "b", "a"] and data.y.ndim == 1
    assert data.meta["skipped"] == [f"{tmp_path / 'missing.wav'}: file not found"]
    (tmp_path / "excel.tsv").write_bytes(f"\ufeffPath\tLabel\r\n{tmp_path / '0.flac'}\ta\r\n1.flac\tb\r\n".encode())
    data = read_audio(tmp_path / "excel.tsv", labels="required")  # BOM, CRLF, absolute and relative paths
    assert list(data.y) == ["a", "b"]
    # Excel in much of Europe: ';'-separated, Windows-1252 (it was read as one column and refused)
    (tmp_path / "europe.csv").write_text("path;label;bemerkung\n0.flac;a;gespräch\n1.flac;b;ruhe\n", encoding="cp1252")
    assert list(read_audio(tmp_path / "europe.csv", labels="required").y) == ["a", "b"]
    (tmp_path / "columns.csv").write_text("path,dog,bark\n0.flac,1,0\n1.flac,1,1\n2.flac,0,1\n3.flac,yes,no\n")
    data = read_audio(tmp_path / "columns.csv", label_column="dog,bark")
    assert data.class_names == ["dog", "bark"] and data.y.tolist() == [[1, 0], [1, 1], [0, 1], [1, 0]]
    (tmp_path / "bad01.csv").write_text("path,dog,bark\n0.flac,1,maybe\n")
    with pytest.raises(DataError, match="'bark', data row 1 holds 'maybe'"):
        read_audio(tmp_path / "bad01.csv", label_column="dog,bark")
    (tmp_path / "nolabel.csv").write_text("path,label\n0.flac,a\n1.flac,\n")
    with pytest.raises(DataError, match="data row 2 has no label"):
        read_audio(tmp_path / "nolabel.csv", labels="required")
    (tmp_path / "nopath.csv").write_text("name,label\n0.flac,a\n")
    with pytest.raises(DataError, match="path column"):
        from cnn1d.data.audio import read_manifest

        read_manifest(tmp_path / "nopath.csv")


@pytest.mark.slow
def test_tagger_learns_tags_and_round_trips(tmp_path):
    train, test = load_spoken_digit_tags()
    clf = cnn1d.CNNClassifier(model="m5", front_end="log_mel", epochs=15, seed=0).fit(train)  # mAP 0.99, F1 0.96
    assert clf.multilabel_ and clf.to_config().task == "tag" and clf.thresholds_.shape == (10,)
    metrics = clf.evaluate(test)
    assert metrics["map"] > 0.8 and metrics["micro_f1"] > 0.6  # prevalence baseline: mAP 0.20, F1 0
    assert clf.score(test) == pytest.approx(metrics["micro_f1"])
    assert clf.predict(test).shape == (160, 10) and set(np.unique(clf.predict(test))) <= {0, 1}
    loaded = cnn1d.load(clf.save(tmp_path / "tagger.cnn1d"))
    np.testing.assert_array_equal(loaded.predict(test), clf.predict(test))
    np.testing.assert_allclose(loaded.thresholds_, clf.thresholds_)
    assert loaded.predict_tags(test.subset([0]))[0] == clf.predict_tags(test.subset([0]))[0]
    from cnn1d.workflows import _explained  # the caption of `cnn1d explain ... --out x.png` (thresholds an array)

    explained, captions = _explained(loaded, test.subset([0]))
    assert captions[0] == f"tags {list(loaded.predict_tags(test.subset([0]))[0])}; attributions toward {explained[0]!r}"


def test_tagger_takes_tag_lists_and_names_bad_ones():
    train, _ = load_spoken_digits()
    small = train.subset(range(30))
    tags = [[str(y), "long"] if small.lengths[i] > np.median(small.lengths) else [str(y)] for i, y in enumerate(small.y)]
    clf = cnn1d.CNNClassifier(model="fcn", front_end="mfcc", epochs=2, seed=0, model_params=SMALL_FCN).fit(small, tags)
    assert clf.multilabel_ and "long" in clf.classes_.tolist()
    with pytest.raises(DataError, match=r"tag\(s\) \['purple'\] were not seen"):
        clf.evaluate(small.subset([0]), [["purple"]])
    with pytest.raises(ConfigError, match="single-label"):
        cnn1d.CNNClassifier(class_weight="balanced", front_end="mfcc", epochs=1).fit(small, tags)
    with pytest.raises(ConfigError, match="multi-label taggers"):
        cnn1d.CNNClassifier(model="fcn", front_end="mfcc", epochs=1, model_params=SMALL_FCN).fit(small).predict_tags(small)


@pytest.mark.slow
def test_cli_tags_from_a_manifest_and_predicts_tag_sets(tmp_path, tag_manifest):
    runner = CliRunner()
    out = tmp_path / "tag"
    res = runner.invoke(app, ["train", "--task", "tag", "--data", str(tag_manifest["train"]), "--test",
                              str(tag_manifest["test"]), "--model", "fcn", "--epochs", "3", "--seed", "0",
                              "--out", str(out), "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    assert result["task"] == "tag" and result["n_test"] == 24
    assert {"micro_f1", "macro_f1", "map", "thresholds"} <= set(result["test_metrics"])
    assert result["audio_baseline"] == "mfcc_stats+logistic_regression" and "map" in result["audio_baseline_metrics"]
    res = runner.invoke(app, ["evaluate", str(out / "model.cnn1d"), str(tag_manifest["test"]), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["metrics"]["n"] == 24
    res = runner.invoke(app, ["predict", str(out / "model.cnn1d"), str(tag_manifest["test"]), "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["predictions"]
    assert len(rows) == 24 and "proba_zero" in rows[0] and rows[0]["file"].endswith("0.wav")
    assert all(set(filter(None, r["prediction"].split("|"))) <= set(load_spoken_digits()[0].y) for r in rows)


def test_stereo_clips_kept_or_mixed_and_mismatches_reported(tmp_path):
    from cnn1d.data.audio import read_audio

    train, _ = load_spoken_digits()
    root = tmp_path / "stereo"
    for i in range(20):
        folder = root / str(train.y[i])
        folder.mkdir(parents=True, exist_ok=True)
        left = _clip(train, i)
        soundfile.write(folder / f"{i}.wav", np.stack([left, 0.5 * left], axis=1), 8000)
    soundfile.write(root / str(train.y[0]) / "mono.wav", _clip(train, 0), 8000)
    kept = read_audio(root, channels="keep")
    assert kept.n_channels == 2 and len(kept) == 20
    assert any("has 1 channel(s) but most clips have 2" in s for s in kept.meta["skipped"])
    mixed = read_audio(root)
    assert mixed.n_channels == 1 and len(mixed) == 21
    clf = cnn1d.CNNClassifier(model="fcn", front_end="log_mel", channels="keep", epochs=2, seed=0,
                              model_params=SMALL_FCN).fit(kept)
    assert clf.n_channels_ == 80  # 40 mel bands per channel
    bundle = clf.save(tmp_path / "stereo.cnn1d")
    mono_only = tmp_path / "mono_only"
    mono_only.mkdir()
    soundfile.write(mono_only / "m.wav", _clip(train, 1), 8000)
    res = CliRunner().invoke(app, ["predict", str(bundle), str(mono_only)])
    assert res.exit_code == 1 and "has 1 channel(s) but the model expects 2" in res.output


def test_duration_crops_and_pads_with_a_mask(tmp_path):
    train, test = load_spoken_digits()
    clf = cnn1d.CNNClassifier(model="cnn", front_end="mfcc", duration=0.4, epochs=2, seed=0).fit(train.subset(range(40)))
    assert clf.input_length_ == 1 + (3200 - 200) // 80 and clf.preprocessor_.use_mask
    long_clip = np.concatenate([_clip(test, i) for i in range(3)])  # 3 digits: longer than any training clip
    assert clf.predict([long_clip]).shape == (1,)  # a fixed-length model still takes it: cropped
    plain = cnn1d.CNNClassifier(model="cnn", front_end="mfcc", epochs=1, seed=0).fit(train.subset(range(40)))
    with pytest.raises(DataError, match="does not truncate"):
        plain.predict([long_clip])


def test_wrong_sample_rate_is_resampled_not_refused():
    from scipy.signal import resample_poly

    train, test = load_spoken_digits()
    clf = cnn1d.CNNClassifier(model="fcn", front_end="log_mel", epochs=15, seed=0, model_params=SMALL_FCN).fit(train)
    at_16k = cnn1d.Dataset.from_series([resample_poly(_clip(test, i), 2, 1) for i in range(len(test))], test.y,
                                       meta={"sample_rate": 16000})
    assert np.mean(clf.predict(at_16k) == clf.predict(test)) >= 0.9


def test_bad_audio_input_is_reported(tmp_path):
    from cnn1d.data.audio import read_audio

    train, _ = load_spoken_digits()
    root = tmp_path / "clips"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    for i, label in enumerate("abab"):
        soundfile.write(root / label / f"{i}.wav", _clip(train, i), 8000)
    soundfile.write(root / "a" / "empty.wav", np.zeros((0,)), 8000)  # zero frames
    (root / "b" / "notes.txt").write_text("not audio, ignored")
    (root / "b" / "fake.ogg").write_bytes(b"OggS but not really")
    data = read_audio(root)
    assert len(data) == 4 and set(data.y) == {"a", "b"}
    assert any("zero-length" in s for s in data.meta["skipped"]) and any("not readable" in s for s in data.meta["skipped"])
    assert not any("notes.txt" in f for f in data.meta["files"])
    with pytest.raises(ConfigError, match="channels"):
        read_audio(root, channels="surround")
    clf = cnn1d.CNNClassifier(model="fcn", front_end="mfcc", epochs=1, model_params=SMALL_FCN).fit(data)
    bundle = clf.save(tmp_path / "m.cnn1d")
    table = tmp_path / "series.csv"
    table.write_text("a,b\n1,2\n")
    res = CliRunner().invoke(app, ["predict", str(bundle), str(table)])
    assert res.exit_code == 1 and "trained on audio clips" in res.output
    res = CliRunner().invoke(app, ["predict", str(bundle), str(root / "a"), "--json"])
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.stdout)["predictions"]) == 2 and "zero-length" in json.loads(res.stdout)["skipped"][0]


def test_a_stray_text_file_beside_recordings_does_not_make_them_texts(tmp_path):
    """A folder of class folders of clips with one notes.txt was read as a text dataset ('1 texts, 1 classes')."""
    from cnn1d.workflows import is_text_request

    train, _ = load_spoken_digits()
    for label in ("zero", "one"):
        (tmp_path / "clips" / label).mkdir(parents=True)
        for i in range(2):
            soundfile.write(tmp_path / "clips" / label / f"{i}.wav", _clip(train, i), 8000)
    (tmp_path / "clips" / "one" / "notes.txt").write_text("recorded on tuesday")
    assert not is_text_request(str(tmp_path / "clips"), None)
    for label, words in (("sport", "goal"), ("tech", "chip")):
        (tmp_path / "docs" / label).mkdir(parents=True)
        (tmp_path / "docs" / label / "1.txt").write_text(words)
    assert is_text_request(str(tmp_path / "docs"), None)
