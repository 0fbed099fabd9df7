import numpy as np
import pytest

from cnn1d.errors import ConfigError
from cnn1d.models import build, get, list_models


def test_registry_lists_required_models():
    names = {m.name for m in list_models()}
    assert {"seed", "cnn", "mlp", "fcn", "resnet", "inception", "lite", "tcn"} <= names


@pytest.mark.parametrize("name", ["seed", "cnn", "mlp", "fcn", "resnet", "inception", "lite", "tcn"])
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


def test_lite_custom_filters_and_depthwise_layer_match_reference_convolutions():
    import keras

    from cnn1d.models.layers import DepthwiseConv1DShift
    from cnn1d.models.lite import custom_filter_bank, custom_filters

    x = np.random.default_rng(0).normal(size=(2, 37, 3)).astype(np.float32)
    bank = custom_filter_bank(3)
    assert bank.shape == (96, 3, 17)
    big = keras.layers.Conv1D(17, 96, padding="same", use_bias=False)
    big.build((None, 37, 3))
    big.set_weights([bank])
    separate = []
    for f in custom_filters():
        conv = keras.layers.Conv1D(1, len(f), padding="same", use_bias=False)
        conv.build((None, 37, 3))
        conv.set_weights([np.repeat(f[:, None, None], 3, axis=1)])
        separate.append(np.asarray(conv(x)))
    np.testing.assert_allclose(np.asarray(big(x)), np.concatenate(separate, -1), atol=1e-4)
    for k, d in [(20, 2), (10, 4), (4, 3)]:
        ref = keras.layers.DepthwiseConv1D(k, padding="same", dilation_rate=d, use_bias=False)
        ref.build((None, 37, 3))
        mine = DepthwiseConv1DShift(k, d)
        mine.build((None, 37, 3))
        mine.set_weights([ref.get_weights()[0][:, :, 0]])
        np.testing.assert_allclose(np.asarray(mine(x)), np.asarray(ref(x)), atol=1e-5)


def test_lite_is_light_and_keeps_its_fixed_filters_frozen():
    model = build("lite", (None, 1), 2, "softmax")
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable < 12_000  # the paper reports ~2% of Inception's parameters
    fixed = model.get_layer("lite_custom_filters")
    assert not fixed.trainable and np.count_nonzero(fixed.get_weights()[0]) > 0


def test_tcn_is_causal():
    import keras

    from cnn1d.models.tcn import tcn_stack

    x = np.random.default_rng(0).normal(size=(1, 40, 1)).astype(np.float32)
    changed = x.copy()
    changed[:, 30:] += 5.0
    for norm in ("layer", "none"):
        inputs = keras.Input((None, 1))
        stack = tcn_stack(inputs, filters=8, kernel_size=3, dilations=(1, 2, 4), dropout=0.0, norm=norm)
        model = keras.Model(inputs, stack)
        a, b = np.asarray(model(x)), np.asarray(model(changed))
        np.testing.assert_allclose(a[:, :30], b[:, :30], atol=1e-5)  # the past never sees the future
        assert not np.allclose(a[:, 30:], b[:, 30:])
        n_norms = sum(isinstance(layer, keras.layers.LayerNormalization) for layer in model.layers)
        assert n_norms == (6 if norm == "layer" else 0)


def test_named_ensembles_resolve():
    from cnn1d.models import resolve

    assert resolve("inception_time") == ("inception", 5)
    assert resolve("lite_time", 3) == ("lite", 3)
    assert resolve("fcn", 4) == ("fcn", 4)
    assert resolve("default")[0] == "minirocket" and resolve("default", task="tag") == ("lite", 5)
    assert resolve("default", task="regress") == ("fcn", 1)


def test_a_mixed_ensemble_resolves_to_its_trained_member_and_serves_classes_only():
    from cnn1d import models

    assert models.resolve("minirocket_m5") == ("m5", 1) and not models.closed_form("minirocket_m5")
    assert [m for m, _ in models.mixed_members("minirocket_m5")] == ["minirocket", "m5"]
    assert models.ensemble_params("minirocket_m5") == {}
    for task in ("tag", "regress"):
        with pytest.raises(ConfigError, match="combines class probabilities"):
            models.resolve("minirocket_m5", 1, task)
    with pytest.raises(ConfigError, match="minirocket_m5"):  # listed among the names a typo is matched against
        models.get("minirocket_m6")


def test_an_ensemble_asked_for_as_one_network_says_so():
    """Text and forecasts build one network: an ensemble's name there is named as an ensemble, not as unknown."""
    for name, networks in (("lite_time", "lite"), ("minirocket_m5", "minirocket and m5")):
        with pytest.raises(ConfigError, match=f"'{name}' is an ensemble of {networks} networks.*choose one of: .*textcnn"):
            get(name)


@pytest.mark.parametrize("name,params,message", [
    ("fcn", {"filters": 3}, r"fcn': filters takes a list of whole numbers \(its default: \[128, 256, 128\]\); got 3"),
    ("fcn", {"filters": [8, "a", 8]}, "filters takes a list of whole numbers"),
    ("minirocket", {"pooling": "ppv"}, r'pooling takes a list of strings \(its default: \["ppv"\]\); got "ppv"'),
    ("tcn", {"kernel_size": 3.0}, "kernel_size takes a whole number"),
    ("tcn", {"dropout": "high"}, "dropout takes a number"),
    ("lite", {"custom": 1}, "custom takes true or false"),
    ("cnn", {"filters": "x"}, "filters takes a whole number or a list of whole numbers"),
])
def test_a_parameter_of_the_wrong_kind_is_refused_naming_what_it_takes(name, params, message):
    """{"filters": 3} for fcn failed inside the builder: "cannot build model 'fcn' with {'filters': 3}: 'int'
    object is not iterable"; minirocket's pooling "ppv" became the poolings 'p', 'p', 'v'."""
    with pytest.raises(ConfigError, match=message):
        build(name, (50, 1), 2, "softmax", **params)


def test_parameters_of_the_right_kind_still_build():
    build("cnn", (50, 1), 2, "softmax", filters=[8, 16], kernel_size=3)
    build("tcn", (50, 1), 2, "softmax", filters=8, dropout=0, dilations=[1, 2])
