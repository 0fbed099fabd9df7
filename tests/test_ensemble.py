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


def test_the_default_is_minirocket_and_an_ensemble_of_it_stops_at_the_budget(gunpoint):
    from cnn1d.models import ensemble_params, resolve

    train, test = gunpoint
    assert resolve("default")[0] == "minirocket" and ensemble_params("default")["pooling"] == ["ppv", "mpv"]
    assert resolve("default", task="tag") == ("lite", 5)  # sigmoid outputs: trained networks
    clf = CNNClassifier(seed=0).fit(train)
    assert clf.members_[0]["model"] == "minirocket" and "ridge" in clf.stopped_because_
    assert clf.model_.get_layer("minirocket" if clf.n_members_ == 1 else "member_0") is not None
    assert clf.score(test) >= 0.97
    # Closed-form members fit one after another and stop when the next would pass the deadline.
    capped = CNNClassifier(ensemble=50, seed=0, max_time=3).fit(train)
    assert 1 <= capped.n_members_ < 50 and capped.budget_note_.startswith(f"{capped.n_members_} of 50 members fitted")


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
    # A member that trains until the budget ends leaves nothing for the others (no early stop: on a fast
    # machine this small network's training loss stopped improving for 50 epochs inside the 8 s).
    clf = CNNClassifier(**{**FAST, "epochs": 100_000, "patience": 100_000}, ensemble=4, n_jobs=1, max_time=8).fit(train)
    assert clf.n_members_ == 1 and clf.budget_note_.startswith("1 of 4 members trained")
    assert clf.members_[0]["stopped_because"].startswith("time budget")
    # One after another, the time a member leaves goes to the next: 21 s planned up front is 1 member of
    # MIN_MEMBER_SECONDS, but these members finish their 3 epochs in a second or two each.
    roomy = CNNClassifier(**FAST, ensemble=4, n_jobs=1, max_time=22).fit(train)
    assert roomy.n_members_ == 4 and roomy.budget_note_ is None
