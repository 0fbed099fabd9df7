"""scikit-learn's own estimator checks on CNNClassifier and CNNRegressor (small networks, few epochs).

Documented exclusions (each is a deliberate design choice, not an oversight):

- NaN in X is a missing value (imputed, with a mask channel), not an error: ``check_estimators_nan_inf``.
- Any series length is accepted at predict time by variable-length networks, so a different number of
  "features" (time steps) is not an error: ``check_n_features_in_after_fitting``.
- A 2-D ``y`` trains a multi-label tagger by design, so
  ``check_supervised_y_2d`` (which expects a DataConversionWarning) is excluded.
- A non-numeric cell is a ``DataError`` (a ValueError) everywhere, not a TypeError: ``check_dtype_object``.
- ``class_weight`` is ``None`` or ``"balanced"``; a dict is refused: ``check_class_weight_classifiers``.
- One epoch of a tiny CNN on sklearn's 20-50 sample toy sets do not reach the accuracy or R^2 thresholds
  the checks set for classic learners: ``check_classifiers_train``, ``check_regressors_train``.
- ``fit`` takes no ``sample_weight``: ``check_sample_weight_equivalence_on_dense_data``.
- Continuous ``y`` is read as class labels (strings or numbers): ``check_classifiers_regression_target``.
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from cnn1d import CNNClassifier, CNNRegressor

SMALL = dict(model="cnn", model_params={"blocks": 1, "filters": 4, "dense": 8}, epochs=1, seed=0)

EXCLUDED = {
    "check_estimators_nan_inf": "NaN marks a missing value, imputed and masked (docs/usage.md)",
    "check_n_features_in_after_fitting": "variable-length networks take series of any length at predict time",
    "check_supervised_y_2d": "a 2-D y trains a multi-label tagger (CNNClassifier) by design",
    "check_classifiers_train": "1 epoch of a tiny CNN on 20-50 toy samples miss the accuracy threshold",
    "check_regressors_train": "1 epoch of a tiny CNN on toy data miss the R^2 threshold",
    "check_classifiers_regression_target": "continuous y is read as class labels (strings or numbers)",
    "check_sample_weight_equivalence_on_dense_data": "fit takes no sample_weight",
    "check_dtype_object": "a non-numeric cell is a DataError (a ValueError, one line in the CLI), not a TypeError",
    "check_class_weight_classifiers": "class_weight takes 'balanced' only, not a dict",
}


def expected_failures(estimator):
    return EXCLUDED


@pytest.mark.slow
@parametrize_with_checks([CNNClassifier(**SMALL), CNNRegressor(**SMALL)], expected_failed_checks=expected_failures,
                         xfail_strict=True)
def test_sklearn_compatible_estimator(estimator, check):
    name = getattr(check, "func", check).__name__
    if name in EXCLUDED:  # each trains a network only to fail as documented above: ~30 s of a 2-core test run
        pytest.skip(EXCLUDED[name])
    check(estimator)
