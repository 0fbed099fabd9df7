"""Inputs that used to give a wrong answer with exit 0, or an 'internal error': each is now read right or
refused in one line that names the fix."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import cnn1d
from cnn1d.cli import app
from cnn1d.data.readers import read
from cnn1d.errors import ConfigError, DataError

FAST = ["--model", "cnn", "--model-params", '{"blocks": 1, "filters": 8, "dense": 16}', "--epochs", "3", "--seed", "0",
        "--quiet"]


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line_error(res, *fragments):
    assert res.exit_code != 0
    assert "internal error" not in res.output and "Traceback" not in res.output
    for fragment in fragments:
        assert fragment in res.output, res.output


@pytest.fixture(scope="module")
def gp_bundle(tmp_path_factory, gunpoint):
    out = tmp_path_factory.mktemp("strict") / "run"
    res = cli("train", "--data", "gunpoint", *FAST, "--out", out, "--json")
    assert res.exit_code == 0, res.output
    return out / "model.cnn1d"


def write_rows(path, rows, labels=None, sep=",", header=None):
    lines = [sep.join(header)] if header else []
    for i, row in enumerate(rows):
        cells = ([str(labels[i])] if labels is not None else []) + [f"{v:.6f}" for v in row]
        lines.append(sep.join(cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_headerless_csv_keeps_its_first_series_at_train_and_predict(tmp_path, gunpoint, gp_bundle):
    test = gunpoint[1]
    rows = test.values[:6, :, 0]
    headerless = write_rows(tmp_path / "six.csv", rows)
    data = read(headerless)
    assert len(data) == 6 and data.max_length == 150
    res = cli("predict", gp_bundle, headerless, "--json")
    assert res.exit_code == 0, res.output
    predictions = json.loads(res.stdout)["predictions"]
    model = cnn1d.load(gp_bundle)
    expected = model.predict(rows)
    assert [p["index"] for p in predictions] == list(range(6))
    assert [p["prediction"] for p in predictions] == list(expected)
    # The same rows with their labels first: the model's length tells the label column apart.
    labelled = write_rows(tmp_path / "six-labelled.csv", rows, labels=test.y[:6])
    res = cli("predict", gp_bundle, labelled, "--json")
    assert [p["prediction"] for p in json.loads(res.stdout)["predictions"]] == list(expected)
    # Training on a headerless, labelled CSV keeps every row.
    train_rows = write_rows(tmp_path / "train.csv", gunpoint[0].values[:, :, 0], labels=gunpoint[0].y)
    assert len(read(train_rows, labels="required")) == 50


def test_unlabelled_tsv_at_predict_keeps_its_first_value(tmp_path, gunpoint, gp_bundle):
    rows = gunpoint[1].values[:5, :, 0]
    unlabelled = write_rows(tmp_path / "new.tsv", rows, sep="\t")
    labelled = write_rows(tmp_path / "new_l.tsv", rows, labels=gunpoint[1].y[:5], sep="\t")
    first = json.loads(cli("predict", gp_bundle, unlabelled, "--json").stdout)["predictions"]
    second = json.loads(cli("predict", gp_bundle, labelled, "--json").stdout)["predictions"]
    assert first == second and len(first) == 5
    assert read(unlabelled, label_column="none").max_length == 150
    shorter = write_rows(tmp_path / "short.tsv", rows[:, :120], sep="\t")
    one_line_error(cli("predict", gp_bundle, shorter), "--label-column first", "--label-column none")


def test_column_numbers_as_a_header_are_refused_until_told(tmp_path, gunpoint):
    rows = gunpoint[1].values[:4, :, 0]
    path = write_rows(tmp_path / "numbered.csv", rows, header=[str(i) for i in range(150)])
    with pytest.raises(DataError, match="--header"):
        read(path)
    assert len(read(path, header=True)) == 4
    assert len(read(path, header=False)) == 5


@pytest.mark.slow
def test_large_values_scale_in_float64(tmp_path, gunpoint):
    train, test = gunpoint
    for scale in (1e20, 1e37):
        big = cnn1d.Dataset.from_array(train.values * scale, train.y)
        clf = cnn1d.CNNClassifier(model="fcn", model_params={"filters": (16, 16, 16)}, epochs=30, seed=0).fit(big)
        std = clf.preprocessor_.channel_std
        assert np.isfinite(std).all() and std[0] > 0
        assert clf.score(test.values * scale, test.y) > 0.7  # chance is 0.5
    path = tmp_path / "huge.csv"
    path.write_text("label,a,b\n1,1e39,2\n2,3,4\n")
    with pytest.raises(DataError, match="float32"):
        read(path)


def test_wide_csv_with_an_id_column_is_one_row_per_series(tmp_path, gunpoint, gp_bundle):
    rows = gunpoint[1].values[:20, :, 0]
    lines = ["id," + ",".join(f"t{i}" for i in range(150))]
    lines += [f"s{i}," + ",".join(f"{v:.6f}" for v in row) for i, row in enumerate(rows)]
    path = tmp_path / "wide_ids.csv"
    path.write_text("\n".join(lines) + "\n")
    data = read(path)
    assert len(data) == 20 and data.max_length == 150 and data.n_channels == 1
    predictions = json.loads(cli("predict", gp_bundle, path, "--json").stdout)["predictions"]
    assert [p["id"] for p in predictions] == [f"s{i}" for i in range(20)]
    no_ids = write_rows(tmp_path / "noid.csv", rows[:3], header=[f"t{i}" for i in range(150)])
    with pytest.raises(DataError, match="needs a series-id column"):
        read(no_ids, layout="long")
    patients = tmp_path / "patients.csv"  # an id column under a name the readers do not know
    patients.write_text(path.read_text().replace("id,", "patient,", 1))
    with pytest.raises(DataError, match="if it names each series, pass --id-column patient"):
        read(patients)
    assert len(read(patients, id_column="patient")) == 20


def test_long_csv_orders_string_dates_chronologically(tmp_path):
    dates = ["1/2/2020", "1/13/2020", "1/3/2020"]  # month first: 13 is no month
    values = [2.0, 10.0, 3.0]
    lines = ["id,date,value"] + [f"a,{d},{v}" for d, v in zip(dates, values)] + [f"b,{d},{v * 2}" for d, v in zip(dates, values)]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n")
    data = read(path)
    assert data.values[0, :, 0].tolist() == [2.0, 3.0, 10.0]
    assert data.meta["ids"] == ["a", "b"]
    path.write_text("id,time,value\na,first,1\na,second,2\n")
    with pytest.raises(DataError, match="neither a number nor a date"):
        read(path)
    # One order per column: pandas alone reads 12/01/2024 as 1 December and 13/01/2024 as 13 January.
    path.write_text("id,date,value\n" + "".join(f"{k},{d}/01/2024,{v}\n" for k in "ab" for d, v in
                                                 (("13", 2.0), ("12", 1.0), ("14", 3.0))))
    assert read(path).values[0, :, 0].tolist() == [1.0, 2.0, 3.0]
    path.write_text("id,date,value\na,1/2/2020,1\na,1/3/2020,2\nb,1/2/2020,1\nb,1/3/2020,2\n")
    with pytest.raises(DataError, match="read both day first and month first"):
        read(path)
    from cnn1d.data.dates import day_first

    monthly = [f"01/{m:02d}/{y}" for y in (2023, 2024) for m in range(1, 13)]
    assert day_first(monthly, "f", "date")[0] is True  # the 1st of every month over two years
    with pytest.raises(DataError, match="dates in both orders"):
        day_first(["13/01/2024", "01/13/2024"], "f", "date")


def test_long_csv_channels_are_read_by_the_trained_names(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("id,time,right,left,battery\na,0,1,10,0.9\na,1,2,20,0.9\nb,0,3,30,0.8\nb,1,4,40,0.8\n")
    data = read(path, value_columns=["left", "right"])
    assert data.values[0, :, :].tolist() == [[10.0, 1.0], [20.0, 2.0]]
    assert data.meta["value_columns"] == ["left", "right"] and data.meta["ignored_columns"] == ["battery"]
    with pytest.raises(DataError, match="lacks 1 of the channel columns the model was trained on .'up'."):
        read(path, value_columns=["left", "right", "up"])
    assert read(path, value_columns=["u", "v"]).n_channels == 3  # other names: read by position, as before


def test_the_trained_id_column_names_series_at_predict_and_evaluate(tmp_path, gunpoint):
    rows = [f"{split}{i},{t},{v:.5f},{y}" for split, data in (("a", gunpoint[0]), ("b", gunpoint[1]))
            for i, (series, y) in enumerate(zip(data.values[:30, :, 0], data.y[:30])) for t, v in enumerate(series)]
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    train.write_text("sid,step,value,label\n" + "\n".join(r for r in rows if r.startswith("a")) + "\n")
    test.write_text("sid,step,value,label\n" + "\n".join(r for r in rows if r.startswith("b")) + "\n")
    res = cli("train", "--data", train, "--id-column", "sid", "--model", "minirocket", "--model-params",
              '{"n_features": 168}', "--seed", "0", "--quiet", "--out", tmp_path / "run")
    assert res.exit_code == 0, res.output
    bundle = tmp_path / "run" / "model.cnn1d"
    # a long file whose id column has a name of its own was read as a wide one ("1 channel(s)") before
    res = cli("evaluate", bundle, test, "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["metrics"]["n"] == 30, res.output
    predictions = json.loads(cli("predict", bundle, test, "--json").stdout)["predictions"]
    assert [p["id"] for p in predictions[:2]] == ["b0", "b1"]
    assert cli("export", bundle, "--out", tmp_path / "m.onnx").exit_code == 0  # the manifest records it too
    exported = json.loads(cli("predict", tmp_path / "m.onnx", test, "--json").stdout)["predictions"]
    assert [p["prediction"] for p in exported] == [p["prediction"] for p in predictions]


def test_arff_numeric_class_attribute_is_the_label(tmp_path):
    path = tmp_path / "num.arff"
    path.write_text("@relation r\n@attribute t1 numeric\n@attribute t2 numeric\n@attribute t3 numeric\n"
                    "@attribute class numeric\n@data\n0.1,0.2,0.3,1\n0.4,0.5,0.6,2\n")
    data = read(path)
    assert data.max_length == 3 and data.y.tolist() == ["1", "2"] and data.task == "classify"
    path.write_text(path.read_text().replace(",1\n", ",1.5\n"))
    assert read(path).task == "regress"


def test_one_series_file_and_bad_out_are_one_line_errors(tmp_path, gunpoint):
    one = write_rows(tmp_path / "one.csv", gunpoint[0].values[:1, :, 0], labels=["1"], header=["label"] + [f"t{i}" for i in range(150)])
    one_line_error(cli("train", "--data", one, *FAST, "--out", tmp_path / "o1"), "at least 2")
    afile = tmp_path / "afile"
    afile.write_text("x")
    one_line_error(cli("train", *FAST, "--out", afile), "is a file")
    one_line_error(cli("train", *FAST, "--out", afile / "sub"), "cannot be written")
    assert cli("train", *FAST, "--out", tmp_path / "run").exit_code == 0
    bundle = (tmp_path / "run" / "model.cnn1d").read_bytes()
    one_line_error(cli("train", *FAST, "--out", tmp_path / "run"), "already holds a trained model", "--overwrite")
    assert (tmp_path / "run" / "model.cnn1d").read_bytes() == bundle  # the first run's model is kept
    assert cli("train", *FAST, "--out", tmp_path / "run", "--overwrite").exit_code == 0
    from cnn1d.io_utils import atomic_write_text

    with pytest.raises(ConfigError, match="is a folder; give the path of a file"):  # predict --out DIR
        atomic_write_text(tmp_path, "x")


def test_binary_npy_is_not_sent_to_pickle(tmp_path):
    path = tmp_path / "x.npy"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError) as info:
        read(path)
    assert "allow_pickle" not in str(info.value) and "not a NumPy" in str(info.value)


@pytest.mark.slow
def test_regressor_errors_are_cnn1d_errors(gunpoint):
    reg = cnn1d.CNNRegressor(model="cnn", model_params={"blocks": 1, "filters": 4, "dense": 8}, epochs=1, seed=0)
    reg.fit(gunpoint[0].values[:, :, 0], np.arange(50.0))
    with pytest.raises(cnn1d.errors.Cnn1dError):
        reg.evaluate(gunpoint[0].values[:, :, 0])
    with pytest.raises(ConfigError, match="class_weight"):
        cnn1d.CNNRegressor(class_weight="balanced").fit(gunpoint[0].values[:, :, 0], np.arange(50.0))


def test_the_target_as_a_column_of_X_is_refused(gunpoint):
    """fit(df, df["label"]) trained on the answer as a time step (and scored perfectly), with exit 0."""
    import pandas as pd

    frame = pd.DataFrame(gunpoint[0].values[:, :, 0], columns=[f"t{i}" for i in range(150)])
    frame["peak"] = frame.max(axis=1)
    for estimator, y in ((cnn1d.CNNRegressor(epochs=1), frame["peak"]), (cnn1d.CNNRegressor(epochs=1), frame["peak"].to_numpy())):
        with pytest.raises(DataError, match="column 'peak' holds the target y; drop it from X"):
            estimator.fit(frame, y)
    labelled = frame.drop(columns="peak").assign(label=gunpoint[0].y.astype(int))
    with pytest.raises(DataError, match="column 'label' holds the target y"):
        cnn1d.CNNClassifier().fit(labelled, labelled["label"])


def test_a_column_coding_the_label_is_named_at_training(tmp_path, gunpoint):
    """A table with class and class_id trained on class_id as its last time step (the answer), unsaid."""
    from cnn1d.workflows import warn_label_codes

    table = tmp_path / "coded.csv"
    rows = gunpoint[0].values[:, :, 0]
    table.write_text("class," + ",".join(f"t{i}" for i in range(150)) + ",class_code\n" + "".join(
        f"{'gun' if y == '1' else 'point'}," + ",".join(f"{v:.5f}" for v in row) + f",{y}\n"
        for row, y in zip(rows, gunpoint[0].y)))
    said = []
    assert warn_label_codes(read(table, label_column="class"), said.append) == ["class_code"]
    assert "'class_code' go one to one with the labels" in said[0]
    named_as_id = tmp_path / "named_as_id.csv"  # class_id: named as an id, so never a time step at all
    named_as_id.write_text(table.read_text().replace(",class_code\n", ",class_id\n", 1))
    data = read(named_as_id, label_column="class")
    assert data.values.shape[1] == 150 and "'class_id' left out (named as an id, not a step)" in data.describe()
    plain = tmp_path / "plain.csv"  # measurements alone: nothing to say
    plain.write_text("\n".join(",".join(line.split(",")[:-1]) for line in table.read_text().splitlines()) + "\n")
    assert warn_label_codes(read(plain, label_column="class"), said.append) == [] and len(said) == 1


@pytest.mark.slow
def test_nothing_is_written_outside_out(tmp_path):
    import os
    import subprocess
    import sys

    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_HOME", "MPLCONFIGDIR", "XDG_CACHE_HOME",
                                                            "XDG_CONFIG_HOME", "CNN1D_CACHE")}
    env["HOME"] = str(home)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "cnn1d", *args], cwd=work, env=env, capture_output=True,
                              text=True, timeout=300)

    res = run("train", "--task", "forecast", "--data", "stocks", "--horizon", "3", "--epochs", "1", "--folds", "1", "--seed", "0",
              "--model-params", '{"filters": 8, "dilations": [1, 2]}', "--out", "run", "--quiet")
    assert res.returncode == 0, res.stderr[-2000:]
    res = run("forecast", "run/model.cnn1d", "stocks", "--out", "run/forecast.csv")
    assert res.returncode == 0, res.stderr[-2000:]
    assert (work / "run" / "forecast.png").stat().st_size > 0
    res = run("train", "--data", "gunpoitn", "--out", "typo")
    assert res.returncode != 0 and "did you mean 'gunpoint'" in res.stderr
    res = run("train", "--data", "ECG20O", "--out", "typo")
    assert res.returncode != 0 and "'ECG200'" in res.stderr
    assert sorted(p.name for p in work.iterdir()) == ["run"]
    assert list(home.rglob("*")) == []  # no ~/.keras, ~/.cache/cnn1d, ~/.config/matplotlib


def test_messy_label_files_are_refused_before_training_and_leave_no_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    texts = [("a joy to watch", "pos"), ("awful acting and a waste", "neg")] * 6
    train = tmp_path / "train.csv"
    train.write_text("text,label\n" + "\n".join(f"{t} {i},{y}" for i, (t, y) in enumerate(texts)) + "\n")
    test = tmp_path / "test.csv"
    test.write_text("text,label\nsuperb direction,pos\na dull mess,neutral\n")
    one_line_error(cli("train", "--data", train, "--test", test, "--text-column", "text"),
                   "['neutral'] were not seen in training")
    # A text table is read as text without the flag (it was "holds text, not series ...; --text-column text").
    one_line_error(cli("train", "--data", train, "--test", test), "['neutral'] were not seen in training")
    unlabelled = tmp_path / "unlabelled.csv"
    unlabelled.write_text("text,label\nsuperb direction,pos\na dull mess,\nfine work,pos\n")
    one_line_error(cli("train", "--data", unlabelled, "--text-column", "text"), "line 3 has a text but no label")
    from cnn1d.data.text import read_text

    spaced = tmp_path / "spaced.csv"
    spaced.write_text('text,label\ngood,pos\nfine," pos"\nbad,neg \nawful,1.0\nnice,1\nok,007\n')
    # as series files read labels; a code with leading zeros stays a name
    assert read_text(spaced).y.tolist() == ["pos", "pos", "neg", "1", "1", "007"]
    series = tmp_path / "gp_test.tsv"
    series.write_text("7\t0.1\t0.2\t0.3\n1\t0.3\t0.2\t0.1\n")
    one_line_error(cli("train", "--data", "gunpoint", "--test", series, *FAST), "['7'] were not seen in training")
    series.write_text("1\t0,5\t0,25\t0.125\n2\t0,2\t0,3\t0.4\n")  # decimal commas and points in one file
    one_line_error(cli("train", "--data", "gunpoint", "--test", series, *FAST), "(a decimal comma? write 0.5)")
    # An empty label cell is not a class "" (nor does it turn numeric targets into class names).
    series.write_text("1\t0.1\t0.2\t0.3\n\t0.3\t0.2\t0.1\n")
    one_line_error(cli("train", "--data", "gunpoint", "--test", series, *FAST),
                   "1 series without a label or target (the first: the 2nd series in the file)")
    long = tmp_path / "long.csv"
    long.write_text("id,time,value,label\n" + "".join(f"s{i},{t},{t * i},{'' if i == 3 else i % 2}\n"
                                                        for i in range(1, 5) for t in range(4)))
    with pytest.raises(DataError, match="the first: id 's3'"):
        read(long, labels="required", label_column="label")
    assert read(long, label_column="label").y.tolist()[2] == ""  # prediction ignores labels: not refused there
    assert not (tmp_path / "runs").exists()


def test_gradient_settings_for_a_closed_form_model_are_refused(tmp_path, monkeypatch, gunpoint):
    monkeypatch.chdir(tmp_path)
    one_line_error(cli("train", "--data", "gunpoint", "--epochs", "5", "--learning-rate", "0.01"),
                   "--epochs, --learning-rate: the default model (MiniRocket) is fitted in closed form", "--model fcn")
    assert not (tmp_path / "runs").exists()
    with pytest.raises(ConfigError, match="--patience: model 'minirocket' is fitted in closed form"):
        cnn1d.CNNClassifier(model="minirocket", patience=3).fit(gunpoint[0])
    # the defaults, as a saved config records them, are not a request: they replay
    assert cnn1d.CNNClassifier(model="minirocket", epochs=300, model_params={"n_features": 168}).fit(gunpoint[0]).n_members_ == 1


def test_fractional_numeric_labels_are_not_taken_for_classes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    values = rng.normal(size=(24, 12))
    path = tmp_path / "peaks.csv"
    path.write_text("target," + ",".join(f"t{j}" for j in range(12)) + "\n" + "".join(
        f"{row.max():.3f}," + ",".join(f"{v:.4f}" for v in row) + "\n" for row in values))
    one_line_error(cli("train", "--data", path, "--label-column", "target"),
                   "the labels are 24 distinct numbers for 24 series", "--task regress")
    # no column named as a label: the first one (here an id) was taken for the labels
    path.write_text("patient,diagnosis," + ",".join(f"t{j}" for j in range(12)) + "\n" + "".join(
        f"{100 + i},{i % 2}," + ",".join(f"{v:.4f}" for v in row) + "\n" for i, row in enumerate(values)))
    one_line_error(cli("train", "--data", path), "the labels (from column 'patient', the first column",
                   "are all different", "'diagnosis' holds 2 distinct whole numbers (0, 1): --label-column diagnosis?")
    assert not (tmp_path / "runs").exists()


def test_a_test_set_that_repeats_the_training_data_is_reported(tmp_path, shared_data):
    path = shared_data / "ucr" / "ECG200" / "ECG200_TRAIN.tsv"
    res = cli("train", "--data", path, "--test", path, *FAST[:-1], "--out", tmp_path / "run")
    assert res.exit_code == 0, res.output
    assert "100 of 100 test series also appear in the training data" in res.output
    assert "is --test the training file?" in res.output
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["test_in_training"] == 100


def test_the_trained_label_column_is_not_read_as_a_time_step_later(tmp_path, gunpoint):
    values = gunpoint[0].values[:, :40, 0]
    header = ",".join(f"t{j}" for j in range(40))
    labelled, bare = tmp_path / "labelled.csv", tmp_path / "bare.csv"
    labelled.write_text(header + ",diagnosis\n" + "".join(",".join(f"{v:.5f}" for v in row) + f",{y}\n"
                                                          for row, y in zip(values, gunpoint[0].y)))
    bare.write_text(header + "\n" + "".join(",".join(f"{v:.5f}" for v in row) + "\n" for row in values))
    res = cli("train", "--data", labelled, "--label-column", "diagnosis", "--model", "minirocket", "--model-params",
              '{"n_features": 168}', "--seed", "0", "--quiet", "--out", tmp_path / "run")
    assert res.exit_code == 0, res.output
    bundle = tmp_path / "run" / "model.cnn1d"
    outputs = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for data, out in zip((labelled, bare), outputs):
        assert cli("predict", bundle, data, "--out", out).exit_code == 0
    assert outputs[0].read_text() == outputs[1].read_text()  # the label column is not a 41st step
    # the steps are read by the names they were trained under: a sample number is not a first step, and
    # columns in another order are put back in order
    import pandas as pd

    table = pd.read_csv(bare)
    shuffled = table[list(reversed(table.columns))]
    shuffled.insert(0, "sample", np.arange(1000, 1000 + len(table)))
    shuffled.to_csv(tmp_path / "shuffled.csv", index=False)
    res = cli("predict", bundle, tmp_path / "shuffled.csv", "--out", tmp_path / "c.csv")
    assert res.exit_code == 0 and "ignored 1 column(s) the model was not trained on: 'sample'" in res.output
    assert (tmp_path / "c.csv").read_text() == outputs[0].read_text()
    (table * 1000).to_csv(tmp_path / "millivolts.csv", index=False)  # the same series in another unit
    res = cli("predict", bundle, tmp_path / "millivolts.csv", "--json")
    assert res.exit_code == 0 and "the values are on another scale than the training data" in res.output
    assert json.loads(res.stdout)["warnings"] and json.loads(cli("predict", bundle, bare, "--json").stdout)["warnings"] == []
    table.iloc[:, :30].to_csv(tmp_path / "cut.csv", index=False)  # each series cut to its first 30 of 40 steps
    res = cli("predict", bundle, tmp_path / "cut.csv", "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["warnings"] == [
        "50 of 50 series are shorter than every training series (30 steps at the shortest, against at least 40 in "
        "training); predictions on them may be less reliable (a cut-off recording, or a file holding only part of "
        "each series?)"]
    # evaluate and a training run's --test say the same of a labelled file cut short (they scored it silently)
    labelled_table = pd.read_csv(labelled)
    labelled_table[[*table.columns[:30], "diagnosis"]].to_csv(tmp_path / "cut_labelled.csv", index=False)
    res = cli("evaluate", bundle, tmp_path / "cut_labelled.csv", "--json")
    assert res.exit_code == 0 and "50 of 50 series are shorter" in json.loads(res.stdout)["warnings"][0]
    res = cli("train", "--data", labelled, "--test", tmp_path / "cut_labelled.csv", "--label-column", "diagnosis",
              "--model", "minirocket", "--model-params", '{"n_features": 168}', "--out", tmp_path / "run2")
    assert res.exit_code == 0 and "warning: test set: 50 of 50 series are shorter" in res.output
    assert json.loads((tmp_path / "run2" / "metrics.json").read_text())["test_warnings"]
    one_line_error(cli("predict", bundle, bare, "--text-column", "text"), "--text-column applies to text models")
    # steps past the trained ones, numbered on (t40, t41), are longer series, not columns to leave out
    longer = table.assign(t40=table["t39"], t41=table["t39"], note="x", t43=1.0)
    longer.to_csv(tmp_path / "longer.csv", index=False)
    data = read(tmp_path / "longer.csv", value_columns=list(table.columns))
    assert data.max_length == 42 and data.meta["ignored_columns"] == ["note", "t43"]
    table.drop(columns=["t5"]).to_csv(tmp_path / "gap.csv", index=False)
    one_line_error(cli("predict", bundle, tmp_path / "gap.csv"), "lacks 1 of the time-step columns", "'t5'")
    # the Python API reorders a DataFrame by name as well, and refuses a column it never saw
    model = cnn1d.load(bundle)
    assert model.value_columns_ == list(table.columns)
    assert (model.predict(shuffled.drop(columns="sample")) == model.predict(table)).all()
    with pytest.raises(DataError, match="1 column.s. the model was not trained on: 'sample'"):
        model.predict(shuffled)
    # several 0/1 label columns make a tagging table, as audio manifests and text files take them
    tags = tmp_path / "tags.csv"
    tags.write_text(header + ",spiky,low\n" + "".join(",".join(f"{v:.5f}" for v in row) + f",{i % 2},{i % 3 == 0:d}\n"
                                                       for i, row in enumerate(values)))
    data = read(tags, label_column="spiky,low")
    assert data.y.shape == (50, 2) and data.class_names == ["spiky", "low"] and data.max_length == 40
    assert read(tags, label_column="spiky,low", value_columns=["t1", "t0"]).values[0, :, 0].tolist() == \
        data.values[0, [1, 0], 0].tolist()  # tag tables are read by the trained step names too


def test_labels_spelt_two_ways_are_named_at_training(tmp_path, gunpoint):
    """'gun' and 'Gun ' in one label column trained as two classes, with nothing to tell the user."""
    from cnn1d.data.text import read_text
    from cnn1d.workflows import warn_label_variants

    table = tmp_path / "spelt.csv"
    rows = gunpoint[0].values[:, :, 0]
    names = [("gun" if y == "1" else "point") if i % 10 else ("Gun " if y == "1" else "POINT") for i, y in enumerate(gunpoint[0].y)]
    table.write_text("class," + ",".join(f"t{i}" for i in range(150)) + "\n" + "".join(
        f"{name}," + ",".join(f"{v:.5f}" for v in row) + "\n" for name, row in zip(names, rows)))
    said = []
    groups = warn_label_variants(read(table, label_column="class"), said.append)
    assert sorted(map(sorted, groups)) == [["Gun", "gun"], ["POINT", "point"]]
    assert "differ only in case or spaces" in said[0] and "'gun' (" in said[0] and "'Gun' (" in said[0]
    texts = tmp_path / "texts.csv"
    texts.write_text("text,label\n" + "".join(f"review {i},{'Fresh' if i % 7 == 0 else 'fresh' if i % 2 else 'rotten'}\n"
                                             for i in range(40)))
    assert warn_label_variants(read_text(texts, text_column="text"), said.append) == [["fresh", "Fresh"]]
    assert warn_label_variants(read(tmp_path / "spelt.csv", label_column="class").subset(
        [i for i, n in enumerate(names) if n in ("gun", "point")]), said.append) == [] and len(said) == 2
