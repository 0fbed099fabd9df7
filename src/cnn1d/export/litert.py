"""``cnn1d export --format litert``: the same graph as the ONNX export, converted by Keras's LiteRT (TFLite)
export, which runs on the TensorFlow backend only (``pip install "cnn1d[litert]"``: TensorFlow and the
``ai-edge-litert`` interpreter). A process on another backend runs the conversion in a child process with
``KERAS_BACKEND=tensorflow``; the bundle loads on any backend. Parity is checked as for ONNX, through
:class:`cnn1d.runtime.LiteRTModel`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

from ..errors import ConfigError


def _require() -> None:
    import importlib.util

    missing = [n for n in ("tensorflow", "ai_edge_litert") if importlib.util.find_spec(n) is None]
    if missing:
        raise ConfigError(f"--format litert needs {', '.join(missing)} (Keras converts to LiteRT on the TensorFlow "
                          "backend): pip install \"cnn1d[litert]\"")


def export_litert(bundle: str | Path, out: str | Path | None, log: Callable[[str], None] = lambda m: None) -> dict:
    from ..bundle import bundle_file

    bundle = bundle_file(bundle)
    out = Path(out) if out else bundle.with_suffix(".tflite")
    if out.suffix != ".tflite":
        raise ConfigError(f"--out {out}: a LiteRT model's file name ends in .tflite")
    if not bundle.is_file():
        from ..errors import BundleError

        raise BundleError(f"{bundle}: bundle file not found")
    _require()
    import keras  # noqa: F401 (the backend this process already chose)

    from .. import _backend

    _backend.ensure_backend()
    if keras.backend.backend() == "tensorflow":
        return convert(bundle, out, log)
    log(f"converting to LiteRT on the TensorFlow backend (a child process; this process runs "
        f"{keras.backend.backend()})")
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, "-m", "cnn1d.export.litert", str(bundle), str(out)], env=env,
                          capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        from . import ExportError

        raise ExportError(f"LiteRT conversion failed: {tail}")
    result = json.loads(lines[-1])
    if "error" in result:
        from . import ExportError

        raise ExportError(result["error"])
    return result


def convert(bundle: Path, out: Path, log: Callable[[str], None] = lambda m: None) -> dict[str, Any]:
    """On the TensorFlow backend: build the graph, convert, check parity, write atomically."""
    import contextlib
    import io

    from ..runtime import LiteRTModel
    from . import ExportError, call_once, check_parity, from_bundle, write_export

    estimator, kind, graph, manifest = from_bundle(bundle)
    manifest["model_format"] = "litert"
    log(f"exporting {kind} ({manifest['model']}) to {out}")
    call_once(graph)
    with tempfile.TemporaryDirectory(prefix="cnn1d-litert-") as tmp:
        raw = Path(tmp) / "model.tflite"
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                graph.export(str(raw), format="litert")
        except Exception as exc:  # the converter's own errors
            raise ExportError(f"LiteRT conversion failed: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}") from exc
        manifest["parity"] = check_parity(estimator, kind, raw, manifest, runtime=LiteRTModel(raw, manifest))
        return write_export(out, raw.read_bytes(), manifest, "litert")


def main() -> None:
    """Child-process entry: ``python -m cnn1d.export.litert BUNDLE OUT`` prints the result as one JSON line."""
    from ..errors import Cnn1dError

    bundle, out = Path(sys.argv[1]), Path(sys.argv[2])
    try:
        result = convert(bundle, out)
    except Cnn1dError as exc:
        result = {"error": str(exc)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
