import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from cnn1d import CNNClassifier, CNNRegressor
from cnn1d.errors import DataError, InputWarning, NotFittedError

from .conftest import FAST


@pytest.mark.slow
def test_fcn_learns_gunpoint(gunpoint):
    train, test = gunpoint
    clf = CNNClassifier(model="fcn", epochs=60, seed=0, validation_fraction=0.2).fit(train)
    assert clf.score(test) >= 0.8
    assert clf.monitor_ == "val_loss"
    proba = clf.predict_proba(test)
    assert proba.shape == (150, 2) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert set(clf.predict(test)) <= {"1", "2"}
    assert clf.history_["val_loss"] and clf.epochs_ <= 60


def test_small_training_sets_monitor_training_loss(gunpoint):
    clf = CNNClassifier(**FAST).fit(gunpoint[0])  # 50 series: a 20% split would be 10
    assert clf.monitor_ == "loss" and "val_loss" not in clf.history_
    big = np.tile(gunpoint[0].values, (6, 1, 1))  # 300 series: 60 held out
    clf = CNNClassifier(**FAST).fit(big, np.tile(gunpoint[0].y, 6))
    assert clf.monitor_ == "val_loss"


def test_numpy_input_keeps_label_type(gunpoint):
    train, test = gunpoint
    X = train.values[:, :, 0]
    y = train.y.astype(int) * 10
    clf = CNNClassifier(**FAST).fit(X, y)
    assert clf.classes_.tolist() == [10, 20]
    assert clf.predict(test.values).dtype.kind == "i"
    assert 0 <= clf.score(test.values[:, :, 0], test.y.astype(int) * 10) <= 1


def test_sklearn_contract(gunpoint):
    train, _ = gunpoint
    clf = CNNClassifier(**FAST)
    params = clf.get_params()
    assert params["model"] == "cnn" and params["epochs"] == 3
    twin = clone(clf).set_params(epochs=2)
    assert twin.epochs == 2 and clf.epochs == 3
    with pytest.raises(NotFittedError):
        clf.predict(train)
    X, y = train.values[:, :, 0], train.y
    scores = cross_val_score(CNNClassifier(**FAST), X, y, cv=2)
    assert scores.shape == (2,)
    pipe = Pipeline([("double", FunctionTransformer(lambda a: a * 2.0)), ("cnn", CNNClassifier(**FAST))])
    pipe.fit(X, y)
    assert pipe.predict(X).shape == (50,)


def test_variable_length_list_input(shared_data):
    from cnn1d.data.readers import read

    train = read(shared_data / "uea" / "JapaneseVowels" / "JapaneseVowels_TRAIN.ts")
    series = [train.values[i, : train.lengths[i]] for i in range(len(train))]
    clf = CNNClassifier(model="fcn", model_params={"filters": (16, 16, 16)}, epochs=4, seed=0).fit(series, train.y)
    assert clf.preprocessor_.use_mask  # unequal lengths add a mask channel
    longer = [np.vstack([series[0], series[0]])]  # longer than anything seen in training: still predicted
    assert clf.predict(longer).shape == (1,)


def test_series_shorter_than_training_are_predicted_at_their_own_length(gunpoint):
    from cnn1d.estimators.base import as_dataset

    train, test = gunpoint
    clf = CNNClassifier(model="minirocket", model_params={"n_features": 840}, seed=0).fit(train)
    assert clf.predicts_at_own_length  # one training length, so no mask channel: it never saw padding
    cut = [test.values[i, : 150 if i % 2 else 120, 0] for i in range(20)]
    with pytest.warns(InputWarning, match="10 of 20 series are shorter than every training series") as caught:
        raw = clf._raw_predict(cut)
    assert caught[0].filename == __file__  # pointed at the caller, not at the library
    short = np.stack(cut[0::2])
    own = np.asarray(clf.model_.predict(clf.preprocessor_.transform(as_dataset(short), length=120), verbose=0))
    padded = np.asarray(clf.model_.predict(clf.preprocessor_.transform(as_dataset(short), length=150), verbose=0))
    np.testing.assert_allclose(raw[0::2], own, atol=1e-6)
    assert np.abs(raw[0::2] - padded).max() > 0.01
    np.testing.assert_allclose(raw[1::2], clf._raw_predict(np.stack(cut[1::2])), atol=1e-6)
    assert clf.explain(cut).shape == (20, 150)
    with pytest.warns(InputWarning, match="another scale than the training data"):
        assert clf.score(test.values * 1000, test.y) <= 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        clf.predict(test.values)  # the test series as they are: nothing to say


def test_a_series_prediction_does_not_depend_on_the_other_series_in_the_batch(gunpoint):
    train, test = gunpoint
    lengths = [150 - 10 * (i % 4) for i in range(len(train))]  # unequal lengths: the model gets a mask channel
    clf = CNNClassifier(model="fcn", model_params={"filters": (8, 8, 8)}, epochs=3, seed=0).fit(
        [train.values[i, :n] for i, n in enumerate(lengths)], train.y)
    assert not clf.predicts_at_own_length and clf.preprocessor_.use_mask
    alone = clf.predict_proba(test.values[:3, :120])
    long = np.tile(test.values[3], (4, 1))  # a series far longer than any in training (600 steps)
    together = clf.predict_proba([*test.values[:3, :120], long])
    # padded to the batch's longest, the short ones would be 480 steps of padding to a pooling network
    np.testing.assert_allclose(together[:3], alone, atol=1e-6)
    np.testing.assert_allclose(together[3:], clf.predict_proba([long]), atol=1e-6)


def test_an_aeon_layout_panel_is_refused_not_read_as_one_step(gunpoint):
    X = np.transpose(gunpoint[0].values, (0, 2, 1))  # (n, channels, steps), as aeon and sktime hold panels
    with pytest.raises(DataError, match=r"X has shape \(50, 1, 150\).*X.transpose\(0, 2, 1\)"):
        CNNClassifier(**FAST).fit(X, gunpoint[0].y)
    with pytest.raises(DataError, match="aeon and sktime use"):
        CNNClassifier(**FAST).fit(gunpoint[0]).predict(X)


def test_fixed_length_model_refuses_longer_series(gunpoint):
    train, _ = gunpoint
    clf = CNNClassifier(model="seed", epochs=1, seed=0).fit(train)
    with pytest.raises(DataError, match="does not truncate"):
        clf.predict(np.zeros((1, 200)))


def test_seed_makes_runs_repeatable(gunpoint):
    train, test = gunpoint
    a = CNNClassifier(**FAST).fit(train).predict_proba(test)
    b = CNNClassifier(**FAST).fit(train).predict_proba(test)
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_bad_input_errors(gunpoint, basicmotions):
    train, test = gunpoint
    clf = CNNClassifier(**FAST).fit(train)
    with pytest.raises(DataError, match="trained on 1"):
        clf.predict(basicmotions[1])
    with pytest.raises(DataError, match="not seen in training"):
        clf.score(test.values, np.array(["1"] * 149 + ["7"]))
    with pytest.raises(DataError, match="infinite"):
        clf.predict(np.full((1, 150), np.inf))
    with pytest.raises(DataError, match="single class"):
        CNNClassifier(**FAST).fit(train.values, np.ones(50))
    with pytest.raises(DataError, match="50 series but y has 3"):
        CNNClassifier(**FAST).fit(train.values, [1, 2, 1])
    with pytest.raises(DataError, match="requires y to be passed"):
        CNNClassifier(**FAST).fit(train.values)
    with pytest.raises(DataError, match="NaN"):
        CNNClassifier(**FAST).fit(train.values, np.r_[np.ones(49), np.nan])


def test_missing_values_are_imputed(gunpoint):
    train, test = gunpoint
    X = train.values[:, :, 0].copy()
    X[::3, 40:60] = np.nan
    clf = CNNClassifier(**FAST).fit(X, train.y)
    assert clf.preprocessor_.use_mask
    assert np.isfinite(clf.predict_proba(test)).all()


def test_time_budget_and_class_weight(gunpoint):
    train, _ = gunpoint
    clf = CNNClassifier(model="fcn", epochs=10_000, max_time=3, class_weight="balanced", seed=0).fit(train)
    # The budget, not the 10,000 epochs, ended training (no wall-clock assertion: machines here are noisy).
    assert clf.epochs_ < 10_000 and "time budget" in clf.stopped_because_


def test_validation_data_instead_of_split(gunpoint):
    train, test = gunpoint
    clf = CNNClassifier(**FAST).fit(train, validation_data=test)
    assert len(clf.history_["val_loss"]) == 3


def test_regressor_on_real_series(italy_regression):
    (X_train, y_train), (X_test, y_test) = italy_regression
    reg = CNNRegressor(model="fcn", model_params={"filters": (32, 32, 32)}, epochs=40, seed=0, scaling="none").fit(X_train, y_train)
    metrics = reg.evaluate(X_test, y_test)
    baseline_rmse = float(np.sqrt(np.mean((y_test - y_train.mean()) ** 2)))
    assert metrics["rmse"] < baseline_rmse  # beats predicting the training mean
    assert set(metrics) >= {"rmse", "mae", "r2"}
    assert reg.score(X_test, y_test) == pytest.approx(metrics["r2"])
    with pytest.raises(DataError, match="not a number"):
        CNNRegressor(**FAST).fit(X_train, np.array(["a"] * len(X_train)))


def test_config_round_trip(tmp_path):
    from cnn1d.config import RunConfig
    from cnn1d.errors import ConfigError

    clf = CNNClassifier(model="resnet", epochs=7, max_time=30.0, seed=3, model_params={"filters": [8, 8, 8]})
    config = clf.to_config()
    (tmp_path / "c.toml").write_text(config.to_toml())
    (tmp_path / "c.json").write_text(config.to_json())
    assert RunConfig.from_file(tmp_path / "c.toml") == config == RunConfig.from_file(tmp_path / "c.json")
    assert CNNClassifier.from_config(config).get_params() == clf.get_params()
    with pytest.raises(ConfigError, match="scaling"):
        RunConfig(scaling="minmax")
    with pytest.raises(ConfigError, match="unknown config keys"):
        RunConfig.from_dict({"epoch": 3})


def test_a_label_differing_only_in_case_is_named():
    from cnn1d.errors import DataError
    from cnn1d.tasks import classify

    with pytest.raises(DataError, match="'Gun' differs from 'gun' only in case or spaces"):
        classify.encode(np.array(["Gun", "point"], dtype=object), np.array(["gun", "point"], dtype=object), "test.csv")


def test_a_dataframe_with_channel_and_step_columns_fits_as_channels(gunpoint):
    """As cnn1d.read reads such a table: x_0..x_19, y_0..y_19 are two channels of 20 steps, not one of 40, and
    prediction takes the columns by name in any order."""
    import pandas as pd

    values = gunpoint[0].values[:, :40, 0]
    frame = pd.DataFrame({**{f"x_{k}": values[:, k] for k in range(20)}, **{f"y_{k}": values[:, 20 + k] for k in range(20)}})
    clf = CNNClassifier(model="minirocket", model_params={"n_features": 168}, seed=0).fit(frame, gunpoint[0].y)
    assert clf.preprocessor_.n_channels == 2 and clf.value_columns_[20] == "y_0"
    expected = clf.predict_proba(frame)
    np.testing.assert_allclose(clf.predict_proba(frame[list(reversed(frame.columns))]), expected, atol=1e-6)
    with pytest.raises(DataError, match="lacks 'y_3'"):
        clf.predict(frame.drop(columns=["y_3"]))
