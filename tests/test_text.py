import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import cnn1d
from cnn1d.cli import app
from cnn1d.data.text import read_text
from cnn1d.errors import ConfigError, DataError, InputWarning
from cnn1d.estimators import CNNTextClassifier
from cnn1d.preprocess.text import Tokenizer, choose_level, unspaced_fraction

FAST = dict(epochs=2, seed=0, model_params={"embedding_dim": 16, "filters": 8})


@pytest.fixture(scope="module")
def reviews():
    from importlib import resources

    path = resources.files("cnn1d.data") / "embedded" / "rotten-tomatoes.csv.gz"
    return read_text(path, group_column="movie")


def test_readers_csv_jsonl_folder_and_bad_bytes(tmp_path):
    csv = tmp_path / "r.csv"
    # UTF-8 (the first text says so) with one damaged byte: that line is repaired and counted
    csv.write_bytes("review,sentiment\n\"great film \u00e9\",pos\n".encode() + b"\"bad \xff film\",neg\n\"\",neg\n")
    ds = read_text(csv)
    assert ds.texts[0] == "great film \u00e9" and ds.y.tolist() == ["pos", "neg"]
    assert ds.report["decode_errors"] == [3] and ds.report["empty_rows"] == [3]
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text('{"text": "one", "label": "a"}\n{"text": "two", "label": "b"}\n')
    assert read_text(jsonl).y.tolist() == ["a", "b"]
    records = tmp_path / "r.json"  # one array of records (pandas' to_json(orient="records"))
    records.write_text('[{"text": "one", "label": "a"}, {"text": "two", "label": "b"}]')
    assert read_text(records).texts == ["one", "two"] and read_text(records).y.tolist() == ["a", "b"]
    (tmp_path / "d.json").write_text('{"text": ["one"]}')
    with pytest.raises(DataError, match="holds one list of objects .* this one holds a dict"):
        read_text(tmp_path / "d.json")
    for label, words in (("sport", "goal"), ("tech", "chip")):
        (tmp_path / "docs" / label).mkdir(parents=True)
        (tmp_path / "docs" / label / "1.txt").write_text(words)
    folder = read_text(tmp_path / "docs")
    assert folder.texts == ["goal", "chip"] and folder.y.tolist() == ["sport", "tech"]
    with pytest.raises(DataError, match="no text column 'body'"):
        read_text(csv, text_column="body")
    with pytest.raises(DataError, match="no label column"):
        read_text(jsonl, label_column="nope")
    unnamed = tmp_path / "u.csv"
    unnamed.write_text("id,comment\n1,a film that stays with you for days\n2,two hours I will never get back\n")
    with pytest.raises(DataError, match="the longest texts are in 'comment': --text-column comment"):
        read_text(unnamed, choose_column=False)
    chosen = read_text(unnamed)  # the one column of texts
    assert chosen.texts[0] == "a film that stays with you for days" and chosen.y is None
    assert "texts from 'comment', the one column of texts (--text-column to choose)" in chosen.describe()


def test_tokenizer_vocabulary_oov_and_length():
    tok = Tokenizer(max_tokens=5).fit(["the cat sat", "the dog sat down", "the end"], percentile=50)
    assert tok.vocabulary[:2] == ["<pad>", "<oov>"] and len(tok.vocabulary) == 5
    ids = tok.transform(["the zebra sat"])
    assert ids.shape == (1, tok.sequence_length) and ids[0, 1] == 1  # zebra is out of vocabulary
    assert Tokenizer.from_dict(tok.to_dict()).transform(["the cat"]).tolist() == tok.transform(["the cat"]).tolist()
    assert Tokenizer(level="char").fit(["ab"]).tokens("Ab") == ["a", "b"]


ZH = ["这本书很好看，推荐！", "质量太差了，很失望。", "酒店环境不错，早餐丰富", "房间太小，服务很差",
      "非常喜欢这个作者", "不推荐，浪费钱"]


def test_tokens_normalised_and_unspaced_scripts_split_by_character():
    tok = Tokenizer().fit(["ｆｉｌｍ"])
    assert tok.tokens("Ｇｒｅａｔ ﬁlm!") == ["great", "film", "!"]  # NFKC: full-width letters, the fi ligature
    assert tok.tokens("很好看 ok") == ["很", "好", "看", "ok"]
    assert tok.tokens("ไม่ชอบ")[:2] == ["ไ", "ม"]
    assert choose_level(ZH)[0] == "char" and choose_level(["a fine film", "很好"])[0] == "word"
    assert choose_level(["東京タワーに行きました", "ラーメンが好き"])[0] == "char"
    assert unspaced_fraction(["ab"] * 3000 + ["很好"] * 3000) == pytest.approx(0.5, abs=0.01)  # sorted by language
    # A tokenizer saved before normalisation keeps splitting as it did
    legacy = {k: v for k, v in tok.to_dict().items() if k not in ("normalization", "unspaced_chars", "subword_model")}
    assert Tokenizer.from_dict(legacy).tokens("很好看 Ｏｋ") == ["很好看", "ｏｋ"]


def test_subword_tokens_are_learned_saved_and_restored(reviews):
    texts = reviews.texts[:800]
    tok = Tokenizer(level="subword").fit(texts + ZH)
    pieces = tok.tokens("The actors were unbelievable, a gripping film.")
    assert "".join(pieces).replace("\u2581", "") == "theactorswereunbelievable,agrippingfilm."  # every character kept
    assert "\u2581the" in pieces and "," in pieces and len(pieces) < 20  # frequent words whole, rare ones in pieces
    assert tok.oov_rate(reviews.texts[800:1600]) < 0.02 and tok.oov_rate(["ЖЖЖ"]) > 0  # unseen Cyrillic
    restored = Tokenizer.from_dict(json.loads(json.dumps(tok.to_dict())))
    assert restored.transform(["the actors were great"]).tolist() == tok.transform(["the actors were great"]).tolist()
    with pytest.raises(ConfigError, match="tokens must be one of"):
        Tokenizer(level="bytes").fit(texts)


def test_chinese_text_chooses_characters_and_reports_oov(tmp_path):
    rows = ["text,label"] + [f"{t},{'pos' if i % 2 == 0 else 'neg'}" for _ in range(6) for i, t in enumerate(ZH)]
    path = tmp_path / "zh.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["train", "--data", str(path), "--text-column", "text", "--epochs", "1",
                                      "--model-params", '{"ngrams": 3, "ngram_buckets": 1024}',
                                      "--seed", "0", "--out", str(tmp_path / "run"), "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["tokens"] == "char" and "without spaces" in report["tokens_reason"]
    assert report["normalization"] == "NFKC" and report["test_oov_rate"] == 0.0
    assert report["baseline_metrics"]["features"] == "char 1-3-grams"
    clf = cnn1d.load(report["bundle"])
    assert clf.tokenizer_.level == "char" and clf.tokens_reason_ == report["tokens_reason"]
    assert clf.model_.get_layer("embedding").orders == (2, 3)  # hashed n-grams, loaded with safe_mode
    tokens = clf.tokenizer_.tokens(ZH[0])[: clf.tokenizer_.sequence_length]
    assert [token for token, _ in clf.explain_tokens(ZH[0])] == tokens and "好" in tokens
    forced = CliRunner().invoke(app, ["train", "--data", str(path), "--text-column", "text", "--epochs", "1",
                                      "--tokens", "subword", "--seed", "0", "--out", str(tmp_path / "sub"), "--json", "--quiet"])
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout)["tokens_reason"] == "set by the user"


def test_character_tokens_get_ngram_channels_from_enough_texts(monkeypatch):
    import cnn1d.estimators.text_classifier as tc

    texts, labels = ZH * 6, ["pos", "neg"] * 18
    small = CNNTextClassifier(seed=0, epochs=1, model_params={"ngram_buckets": 1024}, linear_ngrams=False).fit(texts, labels)
    assert "2-3-grams" not in small.tokens_reason_ and not hasattr(small.model_.get_layer("embedding"), "orders")
    monkeypatch.setattr(tc, "CHAR_NGRAM_MIN_TEXTS", 20)  # 36 texts, 32 of them training: above the threshold now
    more = CNNTextClassifier(seed=0, epochs=1, model_params={"ngram_buckets": 1024}, linear_ngrams=False).fit(texts, labels)
    assert "2-3-grams added (32 training texts" in more.tokens_reason_
    # the linear n-gram path (the default) reads the same n-grams, so the channels are left out beside it
    linear = CNNTextClassifier(seed=0, epochs=1, model_params={"ngram_buckets": 1024}).fit(texts, labels)
    assert not hasattr(linear.model_.get_layer("embedding"), "orders")
    assert more.model_.get_layer("embedding").orders == (2, 3)
    # a user's choice wins: ngrams 1 leaves them out, and word tokens never get them automatically
    off = CNNTextClassifier(seed=0, epochs=1, model_params={"ngrams": 1}).fit(texts, labels)
    assert not hasattr(off.model_.get_layer("embedding"), "orders")
    words = CNNTextClassifier(seed=0, epochs=1, tokens="word", model_params={"ngram_buckets": 1024}).fit(texts, labels)
    assert not hasattr(words.model_.get_layer("embedding"), "orders")


@pytest.mark.slow
def test_text_classifier_learns_and_round_trips(tmp_path, reviews):
    clf = CNNTextClassifier(seed=0, epochs=4).fit(reviews.subset(np.arange(0, 4000)))
    held_out = reviews.subset(np.arange(4000, 4866))
    assert clf.score(held_out) > 0.6  # well above the 0.5 of two balanced classes
    loaded = cnn1d.load(clf.save(tmp_path / "t.cnn1d"))
    np.testing.assert_array_equal(loaded.predict_proba(held_out.texts[:20]), clf.predict_proba(held_out.texts[:20]))
    assert set(loaded.predict(["what a wonderful film"])) <= {"fresh", "rotten"}
    with pytest.warns(InputWarning, match="never seen in training"):
        loaded.predict(["这部电影很好看", "太差了，浪费时间"])  # English reviews' model, Chinese texts


def test_text_bad_input(reviews):
    with pytest.raises(DataError, match=r"1 label\(s\) have a single example \(y\)"):
        CNNTextClassifier(**FAST).fit(["a", "b", "c"], ["x", "x", "y"])
    # scores as labels (np.str_('0.08') was shown, and nothing said they are numbers)
    with pytest.raises(DataError, match=r"\(0.05, 0.1, .*are 12 distinct numbers for 12 texts: a score to predict\?"):
        CNNTextClassifier(**FAST).fit([f"text {i}" for i in range(12)], [f"{i / 20:g}" for i in range(1, 13)])
    with pytest.raises(DataError, match="not a string"):
        CNNTextClassifier(**FAST).fit(["a", 3], ["x", "y"])
    with pytest.raises(DataError, match=r"item 1 is missing \(nan; 1 item\(s\) in all\); drop the rows without a text"):
        CNNTextClassifier(**FAST).fit(pd.Series(["a", np.nan, "c"]), ["x", "y", "x"])
    with pytest.raises(ConfigError, match="not a text model"):
        CNNTextClassifier(model="fcn", **{k: v for k, v in FAST.items() if k != "model_params"}).fit(["a", "b"] * 3, ["x", "y"] * 3)
    with pytest.raises(ConfigError, match="text model"):
        cnn1d.CNNClassifier(model="textcnn").fit(np.zeros((4, 10)), [0, 1, 0, 1])


def _film_reviews(path, header: str, speaker: bool = False):
    """60 rows of "great/awful film number i" labelled pos/neg under ``header`` (a speaker column first)."""
    rows = [header] + [f"{f's{i},' if speaker else ''}\"{w} film number {i}\",{'pos' if w == 'great' else 'neg'}"
                       for i in range(30) for w in ("great", "awful")]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_table_of_texts_trains_as_text_without_naming_its_columns(tmp_path):
    from cnn1d.data.text import looks_like_text_table

    runner = CliRunner()
    # Excel's CSV in much of Europe: a BOM, ';', CRLF, a column named in words, a quoted text over two lines
    rows = ["Review Text;Sentiment"] + [f"\"{w} film number {i}{chr(10) + 'really; truly' if i == 3 else ''}\";"
                                         f"{'pos' if w == 'great' else 'neg'}" for i in range(30) for w in ("great", "awful")]
    excel = tmp_path / "excel.csv"
    excel.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode() + b"\r\n")
    res = runner.invoke(app, ["train", "--data", str(excel), "--epochs", "2", "--seed", "0", "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output  # it was "holds text, not series ...; pass --text-column Review Text"
    assert "60 texts, 2 classes; texts from 'Review Text' (--text-column to choose)" in res.output
    assert 'text_column = "Review Text"' in (tmp_path / "a" / "config.toml").read_text()  # the bundle records it
    res = runner.invoke(app, ["predict", str(tmp_path / "a" / "model.cnn1d"), str(excel), "--json"])
    assert res.exit_code == 0 and len(json.loads(res.stdout)["predictions"]) == 60, res.output  # a BOM, ';' header
    import gzip

    from cnn1d.workflows import table_columns

    (tmp_path / "excel.csv.gz").write_bytes(gzip.compress(excel.read_bytes()))
    assert table_columns(str(excel)) == table_columns(str(tmp_path / "excel.csv.gz")) == {"Review Text", "Sentiment"}
    plain = _film_reviews(tmp_path / "plain.csv", "comment,stars")
    data = read_text(plain, labels="required")
    assert data.texts[0] == "great film number 0" and data.y[0] == "pos"
    assert ("texts from 'comment', the one column of texts (--text-column to choose); labels from 'stars', the one "
            "other column (--label-column to choose)") in data.describe()
    two = tmp_path / "two.csv"
    two.write_text("headline,summary,label\n" + "".join(f"\"a longer headline number {i}\",\"great film number {i}\",pos\n" for i in range(5)))
    res = runner.invoke(app, ["train", "--data", str(two), "--epochs", "1"])
    assert res.exit_code != 0 and "several columns hold texts ('headline', 'summary'); choose one with --text-column headline" in \
        res.output
    # Not texts: series, an audio manifest's paths, a column of short category names
    series = tmp_path / "series.csv"
    series.write_text("label,t0,t1,t2,t3,t4\n" + "".join(f"a,{i},1,2,3,4\n" for i in range(5)))
    manifest = tmp_path / "clips.csv"
    manifest.write_text("path,label\n" + "".join(f"clips/some_speaker/clip_{i}.wav,yes\n" for i in range(5)))
    cars = tmp_path / "cars.csv"
    cars.write_text("Body Type,price,year,km\n" + "".join(f"SUV,{i},2020,100\n" for i in range(5)))
    assert looks_like_text_table(excel) and looks_like_text_table(plain) and looks_like_text_table(two)
    har = tmp_path / "har.csv"  # a long table whose class names hold spaces
    har.write_text("id,time,value,label\n" + "".join(f"s{i},{t},{t * i},Walking {'up' if i % 2 else 'down'}stairs\n"
                                                     for i in range(6) for t in range(4)))
    spaced = tmp_path / "GP_TRAIN.txt"  # the old UCR/UEA .txt: numbers separated by spaces
    spaced.write_text("".join(f"  {i % 2 + 1:.7e}  " + "  ".join(f"{v:.7e}" for v in np.linspace(-1, i, 20)) + "\n"
                              for i in range(6)))
    assert not any(looks_like_text_table(p) for p in (series, manifest, cars, har, spaced))


def test_cli_text_train_and_predict(tmp_path):
    runner = CliRunner()
    path = _film_reviews(tmp_path / "reviews.csv", "text,label")
    out = tmp_path / "run"
    res = runner.invoke(app, ["train", "--data", str(path), "--text-column", "text", "--label-column", "label",
                              "--epochs", "3", "--seed", "0", "--out", str(out), "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    assert result["modality"] == "text" and {"test_metrics", "baseline_metrics", "bundle"} <= set(result)
    assert result["linear_ngrams"]["orders"] == [1, 2]  # the linear n-gram path is on by default
    res = runner.invoke(app, ["predict", str(out / "model.cnn1d"), "--text", "a great film", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["predictions"][0]["prediction"] in ("pos", "neg")
    res = runner.invoke(app, ["predict", str(out / "model.cnn1d"), str(path), "--json"])
    assert res.exit_code == 0 and len(json.loads(res.stdout)["predictions"]) == 60
    assert json.loads(res.stdout)["warnings"] == []
    # text unlike anything in training (another language) is predicted, with a warning saying so
    res = runner.invoke(app, ["predict", str(out / "model.cnn1d"), "--text", "ein schrecklicher Roman", "--json"])
    assert res.exit_code == 0 and "100% of these texts' tokens were never seen" in json.loads(res.stdout)["warnings"][0]


def test_bundles_find_their_own_text_and_label_columns_again(tmp_path):
    """A model trained with --text-column utterance --label-column intent reads files with those columns without
    the flags again (it was 'no text column found'), in predict, evaluate, explain, report and the ONNX export."""
    runner = CliRunner()
    path = _film_reviews(tmp_path / "talk.csv", "speaker,utterance,intent", speaker=True)
    out = tmp_path / "run"
    res = runner.invoke(app, ["train", "--data", str(path), "--text-column", "utterance", "--label-column", "intent",
                              "--epochs", "2", "--seed", "0", "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    bundle = str(out / "model.cnn1d")
    res = runner.invoke(app, ["predict", bundle, str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert [p["text"] for p in json.loads(res.stdout)["predictions"][:2]] == ["great film number 0", "awful film number 0"]
    res = runner.invoke(app, ["evaluate", bundle, str(path), "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["metrics"]["n"] == 60, res.output
    res = runner.invoke(app, ["explain", bundle, str(path), "--out", str(tmp_path / "why.csv")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["report", str(out), str(path), "--out", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    onnx = tmp_path / "m.onnx"
    res = runner.invoke(app, ["export", bundle, "--out", str(onnx)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["predict", str(onnx), str(path), "--json"])
    assert res.exit_code == 0 and len(json.loads(res.stdout)["predictions"]) == 60, res.output
    # a file without the trained column still names the likely one
    other = tmp_path / "other.csv"
    other.write_text("who,said\na,\"a great film to watch\"\nb,\"an awful film to sit through\"\n")
    res = runner.invoke(app, ["predict", bundle, str(other)])
    assert res.exit_code != 0 and "--text-column said" in res.output


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
                              "--seed", "0", "--model-params", '{"filters": 16, "dilations": [1, 2]}', "--out", str(out),
                              "--json", "--quiet"])
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
    # "mentions film" is learnable from the words: random scores average ~0.17 here; 8 epochs of this small
    # network reach 0.31-0.99 across seeds 0-2 and learning rates 3e-3 and 1e-2
    assert ap_film > 1.5 * held.y[:, 1].mean()
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


def test_text_demos_load_in_python_with_the_cli_split():
    from cnn1d.config import RunConfig
    from cnn1d.datasets import load
    from cnn1d.workflows import text_data

    train, test = load("rotten-tomatoes", seed=1)
    assert not set(train.groups) & set(test.groups)  # split by movie, as `cnn1d train --data rotten-tomatoes`
    cli_train, cli_test = text_data(RunConfig(data="rotten-tomatoes", seed=1), log=lambda _: None)
    assert list(test.texts) == list(cli_test.texts) and len(train) == len(cli_train)
    with pytest.raises(DataError, match=r"load_demo\('co2'\)"):
        load("co2")


def test_ngram_embedding_hashes_in_the_graph_and_loads_safely(tmp_path):
    from cnn1d._backend import keras
    from cnn1d.models.layers import NgramEmbedding

    k = keras()
    layer = NgramEmbedding(50, 4, orders=(2, 3), buckets=128)
    ids = np.array([[5, 6, 7, 0, 0], [9, 6, 7, 0, 0]], dtype="int32")
    out = np.asarray(layer(ids))
    assert out.shape == (2, 5, 4) and not out[:, 3:].any()  # padding embeds to zeros
    bigrams = np.asarray(layer.ngram_ids(ids, 2))
    trigrams = np.asarray(layer.ngram_ids(ids, 3))
    assert bigrams[0, 2] == bigrams[1, 2] and bigrams[0, 1] != bigrams[1, 1]  # "6 7" shared, "5 6" vs "9 6"
    assert trigrams[0, 2] != trigrams[1, 2] and trigrams[0, 2] != bigrams[0, 2]
    assert ((bigrams >= 0) & (bigrams < 128)).all()
    for buckets in (2 ** 17, 100):
        with pytest.raises(ValueError, match="power of two"):
            NgramEmbedding(50, 4, buckets=buckets)
    inputs = k.Input((5,), dtype="int32")
    model = k.Model(inputs, layer(inputs))
    model.save(tmp_path / "m.keras")
    loaded = k.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(ids)), out, atol=1e-6)


def test_hashed_ngram_linear_path_matches_its_sparse_features_and_loads_safely(tmp_path):
    from cnn1d._backend import keras
    from cnn1d.models.layers import HashedNgramLinear, ngram_features

    k = keras()
    ids = np.array([[5, 6, 7, 0, 0], [9, 6, 7, 8, 0], [0, 0, 0, 0, 0]], dtype="int32")
    layer = HashedNgramLinear(3, orders=(1, 2, 3), buckets=256)
    layer.build((None, 5))
    rng = np.random.default_rng(0)
    kernel, bias = rng.normal(size=(256, 3)).astype("float32"), np.array([0.1, -0.2, 0.3], dtype="float32")
    layer.set_weights([kernel, bias])
    features = ngram_features(ids, (1, 2, 3), 256)
    # 3 + 2 + 1 complete n-grams in "5 6 7", 4 + 3 + 2 in "9 6 7 8", none in an empty text; scaled by 1/sqrt(length)
    assert features.getnnz(axis=1).tolist() == [6, 9, 0]
    np.testing.assert_allclose(features.sum(axis=1).A1, [6 / np.sqrt(3), 9 / np.sqrt(4), 0], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(layer(ids)), features @ kernel + bias, rtol=1e-5, atol=1e-5)
    for buckets in (2 ** 18, 100):
        with pytest.raises(ValueError, match="power of two"):
            HashedNgramLinear(3, buckets=buckets)
    inputs = k.Input((5,), dtype="int32")
    model = k.Model(inputs, layer(inputs))
    model.save(tmp_path / "m.keras")
    loaded = k.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(ids)), np.asarray(layer(ids)), atol=1e-6)


def test_text_classifier_adds_an_ngram_regression_weighted_on_validation(tmp_path, reviews):
    from cnn1d.evaluation import explain as ex

    train, test = reviews.subset(np.arange(0, 800)), reviews.subset(np.arange(4000, 4200))
    clf = CNNTextClassifier(**FAST).fit(train)
    record = clf.linear_ngrams_
    assert record["tokens"] == "word" and record["orders"] == [1, 2] and record["n_features"] > 500
    assert record["linear_weight"] > 0 and set(record["validation_accuracy"]) == {"cnn", "linear", "combined"}
    assert clf.model_.get_layer("ngram_logistic").orders == (1, 2)
    plain = CNNTextClassifier(**FAST, linear_ngrams=False).fit(train)
    assert plain.linear_ngrams_ is None and "ngram_logistic" not in [layer.name for layer in plain.model_.layers]
    # the same seed trains the same CNN; the output layer is softmax(a * log p_cnn + b * regression scores)
    from cnn1d.models.layers import ngram_features

    kernel, bias = clf.model_.get_layer("ngram_logistic").get_weights()
    scores = ngram_features(clf.tokenizer_.transform(test.texts), (1, 2), record["buckets"]) @ kernel + bias
    z = record["cnn_weight"] * np.log(np.clip(plain.predict_proba(test), 1e-7, 1)) + record["linear_weight"] * scores
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(clf.predict_proba(test), expected / expected.sum(axis=1, keepdims=True), atol=1e-4)
    loaded = cnn1d.load(clf.save(tmp_path / "t.cnn1d"))
    np.testing.assert_allclose(loaded.predict_proba(test.texts[:20]), clf.predict_proba(test.texts[:20]), atol=1e-6)
    assert loaded.linear_ngrams_ == record
    # explanations: the CNN's integrated gradients plus the regression's exact per-token share still add up to
    # the class score's difference from an all-padding text
    tokens = clf.tokenizer_.transform(test.texts[:3])
    target = clf.predict_proba(test.texts[:3]).argmax(axis=1)
    network = ex._Network(clf.model_)
    expected = ex.scores(network, tokens, target) - ex.scores(network, np.zeros_like(tokens), target)
    np.testing.assert_allclose(clf.explain(test.texts[:3]).sum(axis=1), expected, rtol=0.05, atol=0.02)


def test_text_classifier_trains_without_a_validation_split():
    texts, labels = ["a fine film", "dull and slow", "great acting", "a boring plot"] * 6, ["pos", "neg"] * 12
    clf = CNNTextClassifier(**FAST, validation_fraction=0.0).fit(texts, labels)
    assert clf.monitor_ == "loss" and clf.validation_oov_rate_ == 0.0
    # the linear path is weighted equally with the CNN when there is no validation split to choose by
    assert (clf.linear_ngrams_["cnn_weight"], clf.linear_ngrams_["linear_weight"]) == (1.0, 1.0)
    assert set(clf.predict(["a fine plot"])) <= {"pos", "neg"}


def test_predictions_keep_their_rows_when_empty_texts_are_left_out(tmp_path):
    from cnn1d.workflows import predict_text

    texts, labels = ["a fine film", "dull and slow", "great acting", "a boring plot"] * 6, ["pos", "neg"] * 12
    clf = CNNTextClassifier(**FAST, validation_fraction=0.0).fit(texts, labels)
    path = tmp_path / "new.csv"
    path.write_text("text\ngreat acting\n\na boring plot\n   \nfine\n")
    frame = predict_text(clf, str(path), None)
    assert frame["index"].tolist() == [0, 2, 4] and frame["text"].tolist() == ["great acting", "a boring plot", "fine"]
    assert frame.attrs["skipped"] == [f"data row {r} (counting from 0): empty text, no prediction" for r in (1, 3)]
    with pytest.raises(DataError, match="--text: instance 1 is an empty text"):
        predict_text(clf, None, ["fine", "  "])
    # the file's id column comes along, and texts are written whole (they were cut to 80 characters)
    long = "great acting " * 20
    path.write_text(f"ReviewID,paid,text\nr7,1,{long}\nr9,0,\nr3,1,dull\n")
    frame = predict_text(clf, str(path), None)
    assert frame["id"].tolist() == ["r7", "r3"] and frame["text"].tolist() == [long, "dull"]
    assert list(frame.columns[:3]) == ["index", "id", "text"]


def test_the_linear_path_table_shrinks_for_many_classes():
    from cnn1d.estimators.text_classifier import LINEAR_NGRAM_MAX_WEIGHTS, linear_ngram_buckets

    assert linear_ngram_buckets(2) == linear_ngram_buckets(64) == 2 ** 17
    assert linear_ngram_buckets(1000) == 8192 and 8192 * 1000 <= LINEAR_NGRAM_MAX_WEIGHTS
    assert linear_ngram_buckets(10 ** 6) == 1024


def test_task_tag_reads_a_column_of_tag_lists(tmp_path):
    """`--task tag` on one label column of "tech;sport" cells made each combination a class of its own."""
    from cnn1d.workflows import _text_tags

    path = tmp_path / "tags.csv"
    path.write_text('text,tags\ncode match,"tech;sport"\nvote,pol\nserver | goal,tech | sport\n')
    data, test = _text_tags(read_text(path, label_column="tags"), read_text(path, label_column="tags"))
    assert data.label_names == ["pol", "sport", "tech"]
    assert data.y.tolist() == [[0, 1, 1], [1, 0, 0], [0, 1, 1]] and test.y.tolist() == data.y.tolist()


def test_dataframes_of_texts_fit_and_predict(tmp_path):
    frame = pd.read_csv(_film_reviews(tmp_path / "f.csv", "comment,label"))
    clf = CNNTextClassifier(epochs=1, seed=0).fit(frame)  # the column of texts and the label column by name
    assert list(clf.classes_) == ["neg", "pos"]
    assert len(clf.predict(frame[["comment"]])) == 60 and len(clf.predict(frame)) == 60
    with pytest.raises(DataError, match="10 texts but 60 labels"):  # it was trained on the column's name
        CNNTextClassifier(epochs=1).fit(frame[["comment"]].iloc[:10], frame["label"])
