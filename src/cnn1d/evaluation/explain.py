"""Which time steps (frames, tokens) drove a prediction: CAM, Grad-CAM and integrated gradients.

Backend-agnostic: the networks run through Keras, the gradients come from the active backend (JAX, torch or
TensorFlow) through one small helper. Every method explains a class *score* (the output layer's logit, before
the softmax or sigmoid), as the papers define them:

- ``cam`` (Zhou et al. 2016; Wang, Yan & Oates 2017 for time series): the last feature maps weighted by the
  output layer's weights for the class; only for networks that end in global average pooling.
- ``gradcam`` (Selvaraju et al. 2017): the last feature maps weighted by the mean gradient of the class score;
  any network with a convolutional feature map. On a GAP network it equals CAM up to a positive factor.
- ``ig`` (Sundararajan et al. 2017): integrated gradients from a baseline (the training mean: zeros after
  scaling; an all-padding text) to the input, per step and channel; attributions sum to score(x) -
  score(baseline) (completeness).

Ensembles: the average of the members' attributions, each for its own score of the same class.
"""

from __future__ import annotations


import numpy as np

from ..errors import ConfigError

METHODS = ("auto", "cam", "gradcam", "ig")
IG_STEPS = 64


def check_method(method: str) -> None:
    if method not in METHODS:
        raise ConfigError(f"method={method!r} is not valid; choose one of: {', '.join(METHODS)}")


def class_index(classes, target) -> int:
    """The output index of the class named ``target`` (compared as text: ``1`` finds class ``"1"``)."""
    names = list(classes)
    for i, c in enumerate(names):
        if str(c) == str(target):
            return i
    from ..errors import DataError

    raise DataError(f"target {target!r} is not a class of this model; classes: {names[:20]}")


def gradient(fn, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(fn(x), d sum(fn(x)) / dx)`` with the active backend's automatic differentiation."""
    from .._backend import keras

    name = keras().backend.backend()
    if name == "jax":
        import jax
        import jax.numpy as jnp

        value, pullback = jax.vjp(fn, jnp.asarray(x))
        (grad,) = pullback(jnp.ones_like(value))
        return np.asarray(value), np.asarray(grad)
    if name == "torch":
        import torch

        tensor = torch.tensor(np.asarray(x), requires_grad=True)
        value = fn(tensor)
        value.sum().backward()
        return value.detach().cpu().numpy(), tensor.grad.detach().cpu().numpy()
    import tensorflow as tf

    tensor = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(tensor)
        value = fn(tensor)
    return value.numpy(), tape.gradient(value, tensor).numpy()


def members(model) -> list:
    """The networks of an averaged ensemble, or the model itself."""
    from .._backend import keras

    nested = [layer for layer in model.layers if isinstance(layer, keras().Model)]
    return nested if nested and model.name.startswith("ensemble_of_") else [model]


class _Network:
    """One member network split where each method needs it."""

    def __init__(self, net):
        from .._backend import keras

        k = keras()
        self.net = net
        self.output = net.layers[-1]  # the Dense output layer ("output"; a language model's "next_token")
        self.kernel, self.bias = (np.asarray(w) for w in self.output.get_weights())
        layers = net.layers[: net.layers.index(self.output)]
        from ..models.layers import LINEAR_PATH_JOIN, HashedNgramLinear, NgramEmbedding

        embeddings = (k.layers.Embedding, NgramEmbedding)
        # A linear n-gram path beside the CNN (text): the output layer reads [CNN features, path scores]; the
        # gradient methods follow the CNN's part, and the path's exact per-token split is added to them.
        self.linear = next((layer for layer in layers if isinstance(layer, HashedNgramLinear)), None)
        cnn_output = self.output.input
        if self.linear is not None:
            cnn_output = net.get_layer(LINEAR_PATH_JOIN).input[0]
            rows = cnn_output.shape[-1]
            self.kernel, self.linear_kernel = self.kernel[:rows], self.kernel[rows:]
        self.gap = next((layer for layer in reversed(layers)
                         if isinstance(layer, k.layers.GlobalAveragePooling1D)), None)
        feature_layer = next((layer for layer in reversed(layers) if len(layer.output.shape) == 3
                              and not isinstance(layer, (k.layers.InputLayer, *embeddings))), None)
        self.feature_tensor = self.gap.input if self.gap is not None else (
            feature_layer.output if feature_layer is not None else None)
        embedding = next((layer for layer in layers if isinstance(layer, embeddings)), None)
        self.embedding = embedding
        from ..models.hydra import HydraFeatures
        from ..models.rocket import MiniRocketFeatures

        # Fixed-kernel features: the score splits exactly over steps (see MiniRocketFeatures.contributions).
        self.rocket = next((layer for layer in layers if isinstance(layer, (MiniRocketFeatures, HydraFeatures))), None)
        self.to_hidden = k.Model(net.input, cnn_output)
        self.features = self.head = None
        if self.feature_tensor is not None:
            try:
                self.head = k.Model(self.feature_tensor, cnn_output)
                self.features = k.Model(net.input, self.feature_tensor)
            except ValueError:  # parallel branches (textcnn): no single feature map leads to the output
                self.head = None
        self.from_embedding = None if embedding is None else k.Model(embedding.output, cnn_output)
        self.to_embedding = None if embedding is None else k.Model(net.input, embedding.output)

    def score(self, hidden, target: np.ndarray):
        """The output layer's pre-activation value for ``target`` (one class index per row)."""
        from .._backend import keras

        ops = keras().ops
        logits = ops.matmul(hidden, ops.convert_to_tensor(self.kernel)) + ops.convert_to_tensor(self.bias)
        if len(logits.shape) == 3:  # a language model predicts at every position: explain the last one
            logits = logits[:, -1, :]
        picked = ops.take_along_axis(logits, ops.convert_to_tensor(target[:, None].astype("int32")), axis=1)
        return picked[:, 0]


def _resize(maps: np.ndarray, length: int) -> np.ndarray:
    """Feature-map attributions (n, L') stretched to the input length (n, L)."""
    if maps.shape[1] == length:
        return maps
    source = (np.arange(maps.shape[1]) + 0.5) * length / maps.shape[1] - 0.5
    return np.stack([np.interp(np.arange(length), source, row) for row in maps])


def rocket_cam(network: _Network, x: np.ndarray, target: np.ndarray) -> np.ndarray:
    from ..models.rocket import feature_batch

    weights = network.kernel[:, target].T  # (n, features)
    batch = feature_batch(network.rocket)
    return np.concatenate([network.rocket.contributions(x[i: i + batch], weights[i: i + batch])
                           for i in range(0, len(x), batch)])


def cam(network: _Network, x: np.ndarray, target: np.ndarray) -> np.ndarray:
    if network.rocket is not None:
        return rocket_cam(network, x, target)
    if network.gap is None:
        raise ConfigError(f"cam needs a network that ends in global average pooling; {network.net.name} does not: "
                          "use method='gradcam' or 'ig'")
    feature_maps = np.asarray(network.features.predict_on_batch(x))  # (n, L', K)
    weights = network.kernel[:, target].T  # (n, K)
    return _resize(np.einsum("nlk,nk->nl", feature_maps, weights), x.shape[1])


def gradcam(network: _Network, x: np.ndarray, target: np.ndarray) -> np.ndarray:
    if network.rocket is not None:  # no gradient through its step functions; its CAM is exact
        return rocket_cam(network, x, target)
    if network.head is None:
        raise ConfigError(f"gradcam needs a convolutional feature map; {network.net.name} has none: use method='ig'")
    feature_maps = np.asarray(network.features.predict_on_batch(x))
    _, grads = gradient(lambda a: network.score(network.head(a), target), feature_maps)
    alpha = grads.mean(axis=1)  # (n, K): the mean gradient of the class score per feature map
    return _resize(np.einsum("nlk,nk->nl", feature_maps, alpha), x.shape[1])


def integrated_gradients(network: _Network, x: np.ndarray, target: np.ndarray, baseline: np.ndarray,
                         steps: int = IG_STEPS) -> np.ndarray:
    """Midpoint-rule integrated gradients, one series at a time: attributions (n, *x.shape[1:])."""
    if network.rocket is not None:
        raise ConfigError(f"{network.net.name} pools step functions of fixed convolutions, whose gradient is zero: "
                          "integrated gradients would be all zeros; use method='cam' (its exact per-step split)")
    embed = network.embedding is not None
    ids = x
    if embed:  # token ids: integrate over the embedding vectors instead
        x = np.asarray(network.to_embedding.predict_on_batch(x))
        baseline = np.asarray(network.to_embedding.predict_on_batch(baseline))
        forward = network.from_embedding
    else:
        forward = network.to_hidden
    alphas = (np.arange(steps) + 0.5) / steps
    out = np.zeros_like(x, dtype=np.float64)
    for i in range(len(x)):
        path = baseline[i][None] + alphas[:, None, None] * (x[i] - baseline[i])[None]
        _, grads = gradient(lambda p: network.score(forward(p), np.full(steps, target[i])), path.astype(np.float32))
        out[i] = grads.mean(axis=0) * (x[i] - baseline[i])
    if network.linear is not None:  # spread over the embedding channels, which callers sum per token
        out += linear_contributions(network, ids, target)[:, :, None] / out.shape[-1]
    return out


def linear_contributions(network: _Network, ids: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Each token's exact share ``(n, steps)`` of the linear n-gram path's part of the ``target`` score."""
    from .._backend import keras

    shares = np.asarray(keras().ops.convert_to_numpy(network.linear.contributions(ids)))  # (n, steps, classes)
    return np.einsum("nsc,cn->ns", shares, network.linear_kernel[:, target])


def scores(network: _Network, x: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The class score itself (what IG's completeness is measured against)."""
    from .._backend import keras

    score = np.asarray(keras().ops.convert_to_numpy(network.score(network.to_hidden(x), target)))
    if network.linear is not None:  # its bias is a constant, so differences of scores are still exact
        score = score + linear_contributions(network, x, target).sum(axis=1)
    return score


def explain_arrays(model, x: np.ndarray, target: np.ndarray, method: str, baseline: np.ndarray | None = None,
                   steps: int = IG_STEPS) -> np.ndarray:
    """Attributions for model inputs ``x`` (already preprocessed), averaged over ensemble members.

    Returns ``(n, steps)`` for cam/gradcam and ``(n, steps, channels)`` for ig (``(n, tokens, dims)`` for
    token inputs, where channels are embedding dimensions).
    """
    check_method(method)
    if method == "auto":
        method = auto_method(model, x)
    results = []
    for net in members(model):
        network = _Network(net)
        if method == "cam":
            results.append(cam(network, x, target))
        elif method == "gradcam":
            results.append(gradcam(network, x, target))
        else:
            results.append(integrated_gradients(network, x, target, np.zeros_like(x) if baseline is None else baseline,
                                                steps))
    return np.mean(results, axis=0)


def auto_method(model, x: np.ndarray | None = None) -> str:
    """``cam`` where every member ends in global average pooling, else ``gradcam`` where there is a feature
    map, else ``ig``. Given inputs ``x``, a feature map pooled down to fewer than an eighth of the input's
    steps (M5 keeps 1-2 of 30 frames) would give a flat map: ``ig`` then."""
    networks = [_Network(net) for net in members(model)]
    if all(n.embedding is not None for n in networks):
        return "ig"  # token inputs: per-token attributions from the embedding vectors
    if all(n.head is not None or n.rocket is not None for n in networks):
        pooled = [n for n in networks if n.rocket is None]
        if x is not None and pooled:
            coarsest = min(np.asarray(n.features.predict_on_batch(x[:1])).shape[1] for n in pooled)
            if coarsest < max(4, x.shape[1] // 8) and len(pooled) == len(networks):
                return "ig"
        return "cam" if all(n.gap is not None or n.rocket is not None for n in networks) else "gradcam"
    return "ig"


__all__ = ["METHODS", "auto_method", "check_method", "class_index", "explain_arrays", "gradient", "members", "scores"]
