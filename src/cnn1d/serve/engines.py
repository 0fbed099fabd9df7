"""What `cnn1d serve` runs a model with: onnxruntime (default) or Keras, behind one interface.

Both engines are a :class:`cnn1d.runtime.RuntimeModel`: the manifest decides how inputs are read and answers
written; only the graph differs (the ONNX file, or the same preprocessing + network built in Keras from the
bundle), so the two engines give the same numbers.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..runtime import RuntimeModel

ENGINES = ("onnx", "keras")


class KerasModel(RuntimeModel):
    """A bundle run by Keras through the graph that export would write."""

    def __init__(self, path: str | Path):
        from ..export import from_bundle

        self.path = Path(path)
        _, _, self._graph, manifest = from_bundle(self.path)
        self._setup(manifest, str(path))

    def _run_chunk(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        out = self._graph.predict_on_batch(inputs if len(inputs) > 1 else inputs[0])
        return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def load_model(path: str | Path, engine: str, workdir: str | None = None) -> RuntimeModel:
    """``path`` (a bundle or an exported .onnx) ready to serve with ``engine``.

    A bundle served with the onnx engine is exported first (parity-checked) into ``workdir``.
    """
    path = Path(path)
    if engine not in ENGINES:
        raise ConfigError(f"--engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if not path.is_file():
        raise ConfigError(f"{path}: model file not found")
    if path.suffix.lower() == ".tflite":
        from ..runtime import LiteRTModel

        return LiteRTModel(path)
    if path.suffix.lower() == ".onnx":
        if engine == "keras":
            raise ConfigError(f"{path}: an exported ONNX model runs on onnxruntime; serve the bundle (.cnn1d) with "
                              "--engine keras, or drop --engine")
        return RuntimeModel(path)
    if engine == "keras":
        return KerasModel(path)
    import importlib.util

    if importlib.util.find_spec("jax2onnx") is None:
        raise ConfigError(f"{path}: serving a bundle on onnxruntime exports it first, which needs pip install "
                          f"\"cnn1d[export]\"; or export it elsewhere (`cnn1d export`), or serve it with --engine keras")
    from ..export import export

    target = Path(workdir or tempfile.mkdtemp(prefix="cnn1d-serve-")) / f"{path.stem}.onnx"
    export(path, target)
    return RuntimeModel(target)
