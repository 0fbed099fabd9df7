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
