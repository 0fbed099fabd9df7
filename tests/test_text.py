import json

import numpy as np
import pytest
from typer.testing import CliRunner

import cnn1d
from cnn1d.cli import app
from cnn1d.data.text import read_text
from cnn1d.errors import ConfigError, DataError
from cnn1d.estimators import CNNTextClassifier
from cnn1d.preprocess.text import Tokenizer

FAST = dict(epochs=2, seed=0, model_params={"embedding_dim": 16, "filters": 8})


@pytest.fixture(scope="module")
def reviews():
    from importlib import resources

    path = resources.files("cnn1d.data") / "embedded" / "rotten-tomatoes.csv.gz"
    return read_text(path, group_column="movie")


def test_readers_csv_jsonl_folder_and_bad_bytes(tmp_path):
    csv = tmp_path / "r.csv"
    csv.write_bytes(b"review,sentiment\n\"great film\",pos\n\"bad \xff film\",neg\n\"\",neg\n")
    ds = read_text(csv)
    assert ds.texts[0] == "great film" and ds.y.tolist() == ["pos", "neg"]
    assert ds.report["decode_errors"] == [3] and ds.report["empty_rows"] == [3]
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text('{"text": "one", "label": "a"}\n{"text": "two", "label": "b"}\n')
    assert read_text(jsonl).y.tolist() == ["a", "b"]
    for label, words in (("sport", "goal"), ("tech", "chip")):
        (tmp_path / "docs" / label).mkdir(parents=True)
        (tmp_path / "docs" / label / "1.txt").write_text(words)
    folder = read_text(tmp_path / "docs")
    assert folder.texts == ["goal", "chip"] and folder.y.tolist() == ["sport", "tech"]
    with pytest.raises(DataError, match="no text column 'body'"):
        read_text(csv, text_column="body")
    with pytest.raises(DataError, match="no label column"):
        read_text(jsonl, label_column="nope")


def test_tokenizer_vocabulary_oov_and_length():
    tok = Tokenizer(max_tokens=5).fit(["the cat sat", "the dog sat down", "the end"], percentile=50)
    assert tok.vocabulary[:2] == ["<pad>", "<oov>"] and len(tok.vocabulary) == 5
    ids = tok.transform(["the zebra sat"])
    assert ids.shape == (1, tok.sequence_length) and ids[0, 1] == 1  # zebra is out of vocabulary
    assert Tokenizer.from_dict(tok.to_dict()).transform(["the cat"]).tolist() == tok.transform(["the cat"]).tolist()
    assert Tokenizer(level="char").fit(["ab"]).tokens("Ab") == ["a", "b"]


def test_text_classifier_learns_and_round_trips(tmp_path, reviews):
    clf = CNNTextClassifier(seed=0, epochs=4).fit(reviews.subset(np.arange(0, 4000)))
    held_out = reviews.subset(np.arange(4000, 4866))
    assert clf.score(held_out) > 0.6  # well above the 0.5 of two balanced classes
    loaded = cnn1d.load(clf.save(tmp_path / "t.cnn1d"))
    np.testing.assert_array_equal(loaded.predict_proba(held_out.texts[:20]), clf.predict_proba(held_out.texts[:20]))
    assert set(loaded.predict(["what a wonderful film"])) <= {"fresh", "rotten"}


def test_text_bad_input(reviews):
    with pytest.raises(DataError, match="single example"):
        CNNTextClassifier(**FAST).fit(["a", "b", "c"], ["x", "x", "y"])
    with pytest.raises(DataError, match="not a string"):
        CNNTextClassifier(**FAST).fit(["a", 3], ["x", "y"])
    with pytest.raises(ConfigError, match="not a text model"):
        CNNTextClassifier(model="fcn", **{k: v for k, v in FAST.items() if k != "model_params"}).fit(["a", "b"] * 3, ["x", "y"] * 3)
    with pytest.raises(ConfigError, match="text model"):
        cnn1d.CNNClassifier(model="textcnn").fit(np.zeros((4, 10)), [0, 1, 0, 1])


def test_cli_text_train_and_predict(tmp_path):
    runner = CliRunner()
    rows = ["text,label"] + [f"\"{w} film number {i}\",{'pos' if w == 'great' else 'neg'}"
                             for i in range(30) for w in ("great", "awful")]
    path = tmp_path / "reviews.csv"
    path.write_text("\n".join(rows) + "\n")
    out = tmp_path / "run"
    res = runner.invoke(app, ["train", "--data", str(path), "--text-column", "text", "--label-column", "label",
                              "--epochs", "3", "--seed", "0", "--out", str(out), "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    assert result["modality"] == "text" and {"test_metrics", "baseline_metrics", "bundle"} <= set(result)
    res = runner.invoke(app, ["predict", str(out / "model.cnn1d"), "--text", "a great film", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["predictions"][0]["prediction"] in ("pos", "neg")
    res = runner.invoke(app, ["predict", str(out / "model.cnn1d"), str(path), "--json"])
    assert res.exit_code == 0 and len(json.loads(res.stdout)["predictions"]) == 60
