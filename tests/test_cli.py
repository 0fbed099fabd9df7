import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from cnn1d.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def trained(tmp_path_factory, shared_data):
    out = tmp_path_factory.mktemp("cli") / "run"
    res = invoke("train", "--data", shared_data / "ucr" / "ECG200" / "ECG200_TRAIN.tsv", "--model", "cnn",
                 "--epochs", "3", "--seed", "0", "--out", out, "--json", "--quiet")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout), out


def test_train_json_contract(trained):
    result, out = trained
    assert {"test_metrics", "bundle", "train_seconds", "epochs"} <= set(result)
    assert result["n_test"] == 100  # ECG200_TEST.tsv beside the train file is the test set
    assert 0 <= result["test_metrics"]["accuracy"] <= 1 and "baseline_metrics" in result
    assert (out / "model.cnn1d").exists() and (out / "metrics.json").exists() and (out / "config.toml").exists()


@pytest.mark.slow
def test_default_demo_reaches_097(tmp_path):
    res = invoke("train", "--seed", "0", "--out", tmp_path / "demo", "--json", "--quiet")
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    assert result["dataset"] == "GunPoint" and result["test_metrics"]["accuracy"] >= 0.97


def test_evaluate_and_predict(trained, shared_data, tmp_path):
    result, out = trained
    test_file = shared_data / "ucr" / "ECG200" / "ECG200_TEST.tsv"
    res = invoke("evaluate", out / "model.cnn1d", test_file, "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["metrics"]["accuracy"] == pytest.approx(result["test_metrics"]["accuracy"])
    res = invoke("predict", out / "model.cnn1d", test_file, "--out", tmp_path / "pred.csv")
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(tmp_path / "pred.csv")
    assert list(frame.columns) == ["index", "prediction", "proba_-1", "proba_1"] and len(frame) == 100
    res = invoke("predict", out / "model.cnn1d", test_file, "--json")
    assert len(json.loads(res.stdout)["predictions"]) == 100
    # the table is written in the format its name says (a predictions.json held CSV text, exit 0)
    for name in ("pred.json", "pred.jsonl", "pred.tsv"):
        assert invoke("predict", out / "model.cnn1d", test_file, "--out", tmp_path / name).exit_code == 0
    text = (tmp_path / "pred.json").read_text()
    assert json.loads(text) == [json.loads(line) for line in (tmp_path / "pred.jsonl").read_text().splitlines()]
    assert json.loads(text)[0]["index"] == 0 and len(json.loads(text)) == 100
    assert pd.read_csv(tmp_path / "pred.tsv", sep="\t").equals(frame)
    res = invoke("predict", out / "model.cnn1d", test_file, "--out", tmp_path / "pred.xlsx")
    assert res.exit_code == 1 and "tables are written as .csv, .tsv, .json" in res.output
    # --data, carried over from `cnn1d train`, names the same file; two different files are refused
    for option in ("--data", "--test"):  # --test too, carried over from `cnn1d train --test`
        res = invoke("evaluate", out / "model.cnn1d", option, test_file, "--json")
        assert json.loads(res.stdout)["metrics"]["accuracy"] == pytest.approx(result["test_metrics"]["accuracy"])
    res = invoke("predict", out / "model.cnn1d", test_file, "--data", tmp_path / "other.tsv")
    assert res.exit_code == 1 and "two data files given" in res.output
    # the run directory stands for its bundle (as `cnn1d report` takes it); a folder without one is refused
    res = invoke("evaluate", out, test_file, "--json")
    assert json.loads(res.stdout)["metrics"]["accuracy"] == pytest.approx(result["test_metrics"]["accuracy"])
    res = invoke("predict", tmp_path, test_file)
    assert res.exit_code == 1 and "is a folder without a model.cnn1d" in res.output


def test_listing_commands():
    res = invoke("models")
    assert res.exit_code == 0 and "inception" in res.stdout and "seed" in res.stdout
    assert "inception_time" in res.stdout and "lite_time" in res.stdout
    res = invoke("datasets")
    assert res.exit_code == 0 and "gunpoint" in res.stdout and "basicmotions" in res.stdout


@pytest.mark.parametrize("args,message", [
    (["train", "--data", "nope.tsv"], "nope.tsv: file not found"),
    (["train", "--model", "nope", "--epochs", "1"], "unknown model 'nope'"),
    (["train", "--model", "resent", "--epochs", "1"], "unknown model 'resent' (did you mean 'resnet'?)"),
    (["train", "--task", "clasify"], "task='clasify' is not valid (did you mean 'classify'?)"),
    (["train", "--task", "forecast", "--data", "stocks", "--target", "prise"], "(did you mean 'price'?)"),
    (["train", "--epochs", "0"], "epochs must be a positive integer"),
    (["evaluate", "missing.cnn1d", "gunpoint"], "bundle file not found"),
])
def test_errors_are_one_line(args, message, tmp_path):
    res = invoke(*args, "--out", tmp_path / "x") if args[0] == "train" else invoke(*args)
    assert res.exit_code != 0
    assert message in res.output and "Traceback" not in res.output


def test_bad_data_against_bundle(trained, tmp_path, shared_data):
    _, out = trained
    wrong_labels = tmp_path / "wrong_TEST.tsv"
    wrong_labels.write_text("7\t" + "\t".join(["0.5"] * 96) + "\n-1\t" + "\t".join(["0.1"] * 96) + "\n")
    res = invoke("evaluate", out / "model.cnn1d", wrong_labels)
    assert res.exit_code != 0 and "not seen in training" in res.output
    res = invoke("predict", out / "model.cnn1d", shared_data / "uea" / "BasicMotions" / "BasicMotions_TEST.ts")
    assert res.exit_code != 0 and "6 channel(s) but the model was trained on 1" in res.output
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    res = invoke("predict", out / "model.cnn1d", empty)
    assert res.exit_code != 0 and "empty" in res.output


def test_test_labels_unseen_in_training(tmp_path):
    train = tmp_path / "toy_TRAIN.csv"
    test = tmp_path / "toy_TEST.csv"
    rows = "\n".join(f"{'up' if i % 2 else 'down'}," + ",".join(str((j * (1 if i % 2 else -1)) % 7) for j in range(20)) for i in range(20))
    header = "label," + ",".join(f"t{j}" for j in range(20))
    train.write_text(header + "\n" + rows + "\n")
    test.write_text(header + "\nsideways," + ",".join(["1"] * 20) + "\n")
    res = invoke("train", "--data", train, "--epochs", "1", "--model", "cnn", "--out", tmp_path / "r", "--quiet")
    assert res.exit_code != 0 and "sideways" in res.output and "not seen in training" in res.output


def test_train_ensemble_flag(tmp_path, shared_data):
    res = invoke("train", "--data", shared_data / "ucr" / "Coffee" / "Coffee_TRAIN.tsv", "--model", "cnn",
                 "--ensemble", "2", "--n-jobs", "1", "--epochs", "2", "--seed", "0", "--out", tmp_path / "e",
                 "--json", "--quiet")
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    assert result["n_members"] == 2 and len(result["members"]) == 2


def test_ctrl_c_during_training_says_where_the_run_is_and_how_to_continue(tmp_path, monkeypatch):
    """It printed nothing (exit 130); a user did not know the run could be resumed, nor where it was."""
    import cnn1d.workflows

    def interrupted(config, **kwargs):
        out = tmp_path / "run"
        (out / "checkpoint").mkdir(parents=True)
        (out / "config.toml").write_text('model = "fcn"\n')
        (out / "checkpoint" / "state.json").write_text(json.dumps({"epoch": 41, "best_epoch": 37}))
        raise KeyboardInterrupt

    monkeypatch.setattr(cnn1d.workflows, "run", interrupted)
    res = invoke("train", "--data", "gunpoint", "--model", "fcn", "--out", tmp_path / "run")
    assert res.exit_code == 130
    assert (f"interrupted at epoch 41 (best so far: epoch 37); the run is in {tmp_path / 'run'}: "
            f"`cnn1d train --out {tmp_path / 'run'} --resume` continues it") in res.output
    monkeypatch.setattr(cnn1d.workflows, "run", lambda config, **kwargs: (_ for _ in ()).throw(KeyboardInterrupt))
    res = invoke("train", "--data", "gunpoint", "--out", tmp_path / "never")
    assert res.exit_code == 130 and "interrupted before the run was set up; nothing to resume" in res.output


def test_screen_shows_the_predicted_class_probability_when_there_are_many_classes():
    import pandas as pd

    from cnn1d.cli import _screen_predictions

    frame = pd.DataFrame({"index": [0, 1], "prediction": ["b", "e"],
                          **{f"proba_{c}": [0.1, 0.0] for c in "acd"}, "proba_b": [0.6, 0.0], "proba_e": [0.1, 1.0]})
    shown = _screen_predictions(frame)
    assert list(shown.columns) == ["index", "prediction", "probability"] and shown["probability"].tolist() == [0.6, 1.0]
    assert _screen_predictions(frame.iloc[:, :5]).equals(frame.iloc[:, :5])  # up to 4 classes: every column
    tags = frame.assign(prediction=["a|b", "e"])
    assert _screen_predictions(tags).equals(tags)  # tags: one probability would not say which
