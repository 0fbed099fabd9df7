import pytest
import numpy as np

import cnn1d
from cnn1d import CNNClassifier

from .conftest import FAST


def test_ensemble_averages_members_and_round_trips(tmp_path, gunpoint):
    train, test = gunpoint
    clf = CNNClassifier(**FAST, ensemble=3, n_jobs=1).fit(train)
    assert clf.n_members_ == 3 and [m["seed"] for m in clf.members_] == [0, 1, 2]
    members = [layer for layer in clf.model_.layers if layer.name.startswith("member_")]
    assert len(members) == 3
    x = clf.preprocessor_.transform(test)
    mean = np.mean([np.asarray(m.predict(x, verbose=0)) for m in members], axis=0)
    np.testing.assert_allclose(clf.predict_proba(test), mean, atol=1e-5)
    loaded = cnn1d.load(clf.save(tmp_path / "ens.cnn1d"))
    np.testing.assert_array_equal(loaded.predict_proba(test), clf.predict_proba(test))


@pytest.mark.slow
def test_parallel_members_match_sequential_training(tmp_path, gunpoint):
    train, test = gunpoint
    settings = {**FAST, "ensemble": 2, "seed": 5}
    parallel = CNNClassifier(**settings, n_jobs=2, out=str(tmp_path / "run")).fit(train)
    sequential = CNNClassifier(**settings, n_jobs=1).fit(train)
    np.testing.assert_allclose(parallel.predict_proba(test), sequential.predict_proba(test), atol=1e-5)
    assert (tmp_path / "run" / "member_0" / "checkpoint" / "state.json").exists()
    assert (tmp_path / "run" / "member_1" / "checkpoint" / "state.json").exists()


def test_default_opens_with_minirocket_weighted_with_the_trained_members(tmp_path, gunpoint):
    from cnn1d.models import lead_of
    from cnn1d.models.layers import WeightedMean

    train, test = gunpoint
    clf = CNNClassifier(model="default", ensemble=2, epochs=3, model_params={"filters": 8}, seed=0, n_jobs=1,
                        out=str(tmp_path / "run")).fit(train)
    assert [m["model"] for m in clf.members_] == ["minirocket", "lite", "lite"]
    assert [m["seed"] for m in clf.members_] == [0, 0, 1] and clf.n_members_ == 3
    assert "ridge" in clf.members_[0]["stopped_because"] and clf.epochs_ == 3  # history: the first trained network
    mean = next(layer for layer in clf.model_.layers if isinstance(layer, WeightedMean))
    weight = lead_of("default").weight
    assert mean.member_weights == pytest.approx([weight, (1 - weight) / 2, (1 - weight) / 2])
    x = clf.preprocessor_.transform(test)
    members = {layer.name: np.asarray(layer.predict(x, verbose=0)) for layer in clf.model_.layers
               if layer.name.startswith("member_")}
    expected = weight * members["member_lead"] + (1 - weight) / 2 * (members["member_0"] + members["member_1"])
    np.testing.assert_allclose(clf.predict_proba(test), expected, atol=1e-5)
    maps = clf.explain(test.subset(np.arange(3)))  # CAM of the LITE members with MiniRocket's exact split
    assert maps.shape == (3, 150) and np.abs(maps).sum() > 0
    loaded = cnn1d.load(clf.save(tmp_path / "default.cnn1d"))
    np.testing.assert_allclose(loaded.predict_proba(test), clf.predict_proba(test), atol=1e-6)
    assert loaded.members_[0]["model"] == "minirocket"


def test_a_budget_too_small_for_every_member_trains_fewer_and_says_so():
    from cnn1d.training.ensemble import MIN_MEMBER_SECONDS, plan_members

    assert plan_members(5, 2, None) == (5, None)
    assert plan_members(5, 2, 10 * MIN_MEMBER_SECONDS) == (5, None)
    planned, note = plan_members(5, 2, 1.5 * MIN_MEMBER_SECONDS)
    assert planned == 2 and note.startswith("2 of 5 members trained")
    assert plan_members(5, 1, 0.5 * MIN_MEMBER_SECONDS)[0] == 1  # never none
    assert plan_members(1, 2, 1.0) == (1, None)


def test_budget_note_reaches_the_fitted_estimator(gunpoint):
    train, _ = gunpoint
    clf = CNNClassifier(**FAST, ensemble=4, n_jobs=1, max_time=20).fit(train)
    assert clf.n_members_ == 1 and clf.budget_note_.startswith("1 of 4 members trained")
