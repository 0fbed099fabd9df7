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


@pytest.mark.slow
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


@pytest.fixture(scope="module")
def corpus(reviews):
    return "\n".join(reviews.texts[:250])


@pytest.mark.slow
def test_language_model_perplexity_generation_and_bundle(tmp_path, corpus):
    from cnn1d.estimators import CNNLanguageModel

    m = CNNLanguageModel(context=32, epochs=2, seed=0, model_params={"filters": 32, "dilations": (1, 2, 4)}).fit(corpus)
    vocab = len(m.tokenizer_.vocabulary)
    assert 1 < m.heldout_perplexity_ < vocab and 1 < m.ngram_perplexity_ < vocab  # both beat uniform guessing
    text = m.generate("the film ", length=40, temperature=0.8, seed=3)
    assert text.startswith("the film ") and len(text) == len("the film ") + 40
    assert m.generate("the film ", length=40, temperature=0.8, seed=3) == text  # seeded sampling repeats
    loaded = cnn1d.load(m.save(tmp_path / "lm.cnn1d"))
    assert loaded.generate("the film ", length=40, temperature=0.8, seed=3) == text
    assert loaded.perplexity(corpus[-500:]) == pytest.approx(m.perplexity(corpus[-500:]), rel=1e-5)
    with pytest.raises(DataError, match="too short"):
        CNNLanguageModel(context=64).fit("tiny corpus")


def test_ngram_baseline_is_normalised():
    from cnn1d.tasks.lm import WittenBellNgram

    model = WittenBellNgram(3, 5).fit(np.array([2, 3, 4, 2, 3, 4, 2, 3]))
    for history in [(), (2,), (2, 3), (9, 9)]:
        assert sum(model.prob(history, t) for t in range(5)) == pytest.approx(1.0)


@pytest.mark.slow
def test_cli_lm_and_generate(tmp_path, corpus):
    runner = CliRunner()
    path = tmp_path / "corpus.txt"
    path.write_text(corpus)
    out = tmp_path / "lm"
    res = runner.invoke(app, ["train", "--task", "lm", "--data", str(path), "--epochs", "1", "--context", "32",
                              "--seed", "0", "--out", str(out), "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    assert result["test_metrics"]["perplexity"] > 1 and result["baseline_metrics"]["perplexity"] > 1
    res = runner.invoke(app, ["generate", str(out / "model.cnn1d"), "--prompt", "a ", "--length", "20", "--seed", "0", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["text"].startswith("a ")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    res = runner.invoke(app, ["train", "--task", "lm", "--data", str(empty), "--out", str(tmp_path / "x")])
    assert res.exit_code != 0 and "empty" in res.output


@pytest.mark.slow
def test_multilabel_dilated_model_and_pretrained_vectors(tmp_path, reviews):
    texts = reviews.texts[:1200]
    frame = __import__("pandas").DataFrame({
        "text": texts,
        "fresh": (reviews.y[:1200] == "fresh").astype(int),
        "mentions_film": [int("film" in t.lower()) for t in texts],
    })
    path = tmp_path / "ml.csv"
    frame.to_csv(path, index=False)
    data = read_text(path, label_column="fresh,mentions_film")
    assert data.y.shape == (1200, 2) and data.label_names == ["fresh", "mentions_film"]
    vectors = tmp_path / "glove.txt"
    vectors.write_text("film 0.1 0.2 0.3 0.4\nmovie 0.1 0.2 0.3 0.5\nthe 0 0 0 1\n")
    clf = CNNTextClassifier(model="dilated_textcnn", epochs=8, learning_rate=3e-3, seed=0, embeddings=str(vectors),
                            model_params={"filters": 16, "dilations": (1, 2)}).fit(data)
    emb = clf.model_.get_layer("embedding").get_weights()[0]
    film = clf.tokenizer_.vocabulary.index("film")
    np.testing.assert_allclose(emb.shape, (len(clf.tokenizer_.vocabulary), 4))
    metrics = clf.evaluate(data.subset(np.arange(1000, 1200)))
    assert {"micro_f1", "macro_f1", "map", "subset_accuracy"} <= set(metrics) and len(metrics["thresholds"]) == 2
    from sklearn.metrics import average_precision_score

    held = data.subset(np.arange(1000, 1200))
    ap_film = average_precision_score(held.y[:, 1], clf.predict_proba(held)[:, 1])
    assert ap_film > 2 * held.y[:, 1].mean()  # "mentions film" is learnable from the words
    assert clf.predict(["a film"]).shape == (1, 2)
    loaded = cnn1d.load(clf.save(tmp_path / "ml.cnn1d"))
    np.testing.assert_array_equal(loaded.predict(texts[:50]), clf.predict(texts[:50]))
    assert film > 1
    bad = tmp_path / "bad.csv"
    bad.write_text("text,a,b\nhello,1,maybe\n")
    with pytest.raises(DataError, match="0/1"):
        read_text(bad, label_column="a,b")


@pytest.mark.slow
def test_topic_demo_runs_beside_the_baseline(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["train", "--data", "chatterbot-topics", "--epochs", "3", "--seed", "0",
                              "--out", str(tmp_path / "t"), "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    assert len(result["test_metrics"]["classes"]) == 18 and result["baseline"] == "tfidf+logistic_regression"
    assert result["test_metrics"]["accuracy"] > 0.5  # 18 unbalanced topics: the majority class is 0.52
