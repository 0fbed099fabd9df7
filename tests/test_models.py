import numpy as np
import pytest

from cnn1d.errors import ConfigError
from cnn1d.models import build, get, list_models


def test_registry_lists_required_models():
    names = {m.name for m in list_models()}
    assert {"seed", "cnn", "fcn", "resnet", "inception"} <= names


@pytest.mark.parametrize("name", ["seed", "cnn", "fcn", "resnet", "inception"])
def test_every_model_builds_and_predicts(name):
    spec = get(name)
    length = None if spec.variable_length else 40
    model = build(name, (length, 2), 3, "softmax")
    x = np.random.default_rng(0).normal(size=(4, 40, 2)).astype(np.float32)
    out = np.asarray(model.predict(x, verbose=0))
    assert out.shape == (4, 3)
    np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-5)
    if spec.variable_length:
        assert np.asarray(model.predict(x[:, :25], verbose=0)).shape == (4, 3)


def test_seed_is_the_tutorial_network():
    model = build("seed", (30, 1), 2, "softmax")
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["InputLayer", "Conv1D", "MaxPooling1D", "Flatten", "Dense", "Dense"]
    assert model.layers[1].filters == 32 and model.layers[1].kernel_size == (3,)
    assert model.layers[4].units == 128


def test_cnn_builder_options():
    model = build("cnn", (None, 1), 2, "softmax", blocks=3, filters=[8, 16, 32], kernel_size=5,
                  activation="gelu", pooling="avg", head="gap", dense=[32, 16], dropout=0.1, batch_norm=True)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("Conv1D") == 3 and "AveragePooling1D" in kinds and "GlobalAveragePooling1D" in kinds
    assert kinds.count("Dropout") == 2
    with pytest.raises(ConfigError, match="fixed series length"):
        build("cnn", (None, 1), 2, "softmax", head="flatten")


def test_inception_follows_the_paper():
    model = build("inception", (None, 1), 2, "softmax")
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv1D"]
    assert {c.kernel_size[0] for c in convs} >= {40, 20, 10, 1}
    assert sum(type(layer).__name__ == "Add" for layer in model.layers) == 2


def test_unknown_model_and_parameter():
    with pytest.raises(ConfigError, match="unknown model 'nope'"):
        get("nope")
    with pytest.raises(ConfigError, match="no parameter"):
        build("fcn", (None, 1), 2, "softmax", filterz=3)
