"""The HTTP service behind `cnn1d serve` (FastAPI + uvicorn; ``pip install "cnn1d[serve]"``).

Routes: ``POST /v1/models/{name}/predict`` (JSON ``{"instances": [...]}`` or a CSV / audio upload),
``GET /v1/models``, ``GET /v1/models/{name}``, ``GET /healthz``, ``GET /readyz``, ``/openapi.json`` and a
``/docs`` page with no outside assets. Concurrent requests to a model are micro-batched: instances that
arrive within ``max_wait_ms`` of each other run as one graph call (at most ``max_batch`` series), grouped by
padded length so no answer depends on what else was in the batch. Every client mistake is a 4xx
``{"error": "..."}``; the server keeps serving.
"""


import asyncio
import html
import json
import logging
import math
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ..data.audio import AUDIO_SUFFIXES
from ..errors import Cnn1dError, DataError

MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_INSTANCES = 4096


class ClientError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class Batcher:
    """Collects instances of one model for up to ``max_wait_ms`` and runs them as one graph call."""

    def __init__(self, model, max_batch: int, max_wait_ms: float, executor: ThreadPoolExecutor):
        self.model, self.max_batch, self.max_wait = model, max_batch, max_wait_ms / 1000.0
        self.executor = executor
        self.queue: asyncio.Queue | None = None
        self.task: asyncio.Task | None = None
        self.batches = 0
        self.arriving = 0  # requests being read whose instances will queue here

    def arrival(self):
        """Count a request being read; the returned callable uncounts it (once) when its instances queue."""
        self.arriving += 1
        pending = [True]

        def queued() -> None:
            if pending:
                pending.clear()
                self.arriving -= 1

        return queued

    async def submit(self, key: Any, x: np.ndarray) -> np.ndarray:
        """Outputs for ``x`` (``(n, ...)`` rows sharing ``key``, the padded length)."""
        if self.queue is None:
            self.queue = asyncio.Queue()
            self.task = asyncio.get_running_loop().create_task(self._loop())
        future = asyncio.get_running_loop().create_future()
        await self.queue.put((key, x, future))
        return await future

    async def _loop(self) -> None:
        # A batch runs as soon as the graph is free, with whatever has queued meanwhile; it waits up to
        # max_wait only for requests already being read (so a lone request never waits).
        loop = asyncio.get_running_loop()
        while True:
            items = [await self.queue.get()]
            size = len(items[0][1])
            deadline = loop.time() + self.max_wait
            while size < self.max_batch:
                if self.queue.empty():
                    await asyncio.sleep(0)
                    remaining = deadline - loop.time()
                    if self.queue.empty() and (self.arriving <= 0 or remaining <= 0):
                        break
                    try:
                        item = await asyncio.wait_for(self.queue.get(), max(remaining, 0.0))
                    except asyncio.TimeoutError:
                        break
                else:
                    item = self.queue.get_nowait()
                items.append(item)
                size += len(item[1])
            groups: dict[Any, list] = {}
            for item in items:
                groups.setdefault(item[0], []).append(item)
            for group in groups.values():
                await self._run(loop, group)

    async def _run(self, loop, group: list) -> None:
        x = np.concatenate([g[1] for g in group])
        self.batches += 1
        try:
            out = await loop.run_in_executor(self.executor, lambda: self.model.run_graph(x)[0])
        except Exception as exc:  # a failed graph call answers its requests; the loop goes on
            for _, _, future in group:
                if not future.done():
                    future.set_exception(exc)
            return
        start = 0
        for _, rows, future in group:
            if not future.done():
                future.set_result(out[start: start + len(rows)])
            start += len(rows)


class Registry:
    """The served models, loaded in a background thread (``/readyz`` answers 503 until all are in)."""

    def __init__(self, specs: dict[str, str], engine: str, max_batch: int, max_wait_ms: float):
        self.specs, self.engine = specs, engine
        self.max_batch, self.max_wait_ms = max_batch, max_wait_ms
        self.models: dict[str, Any] = {}
        self.batchers: dict[str, Batcher] = {}
        self.errors: dict[str, str] = {}
        self.ready = threading.Event()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cnn1d-infer")
        self.workdir = tempfile.TemporaryDirectory(prefix="cnn1d-serve-")

    def load_all(self) -> None:
        from .engines import load_model

        for name, path in self.specs.items():
            try:
                model = load_model(path, self.engine, self.workdir.name)
                warm_up(model, self.max_batch)
                self.models[name] = model
                self.batchers[name] = Batcher(model, self.max_batch, self.max_wait_ms, self.executor)
                logging.getLogger("uvicorn.error").info("model %r ready (%s, engine %s)", name, path, self.engine)
            except Exception as exc:  # reported by /readyz and the log; the other models still serve
                self.errors[name] = f"{type(exc).__name__}: {exc}"
                logging.getLogger("uvicorn.error").error("model %r (%s) failed to load: %s", name, path,
                                                         self.errors[name])
        import gc

        gc.collect()
        gc.freeze()  # the loaded models' objects leave the collector's generations: shorter pauses under load
        self.ready.set()

    def get(self, name: str):
        if name in self.models:
            return self.models[name]
        if name in self.errors:
            raise ClientError(503, f"model {name!r} failed to load: {self.errors[name]}")
        if name in self.specs and not self.ready.is_set():
            raise ClientError(503, f"model {name!r} is still loading; retry when /readyz answers 200")
        raise ClientError(404, f"unknown model {name!r}; served models: {sorted(self.specs)}")


def warm_up(model, max_batch: int) -> None:
    """One graph call at the largest batch before serving: the first call of a new size allocates (measured:
    the slowest 1% of requests under load came from it)."""
    if model.kind == "forecaster":
        return
    if model.is_text:
        model.run_graph(np.zeros((max_batch, model.manifest["input"]["shape"][1]), np.int32))
        return
    spec = model.manifest["input"]
    length = spec["length"] or spec["min_length"] or 1
    model.run_graph(np.zeros((max_batch, length, spec["channels"]), np.float32))


# -- request parsing ------------------------------------------------------------------------------------------
def _number(value: Any, where: str) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, str) and value.strip().lower() in ("nan", ""):
            return math.nan
        raise ClientError(422, f"{where}: {value!r} is not a number (use null for a missing value)")
    return float(value)


def series_instance(value: Any, where: str, channels: int) -> np.ndarray:
    """A list of values (univariate) or of ``[channel values...]`` rows -> ``(steps, channels)`` float32."""
    if isinstance(value, list) and value and not isinstance(value[0], (list, bool)):
        try:  # the common case, all numbers: one C-level conversion; anything else takes the checked path
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            arr = None
        if arr is not None and arr.ndim == 1 and channels == 1 and np.isfinite(arr).all() and \
                not any(isinstance(v, bool) for v in value):
            return arr.astype(np.float32)[:, None]
    if not isinstance(value, list) or not value:
        raise ClientError(422, f"{where}: an instance is a non-empty list of values, or of [channel values] rows per step")
    if isinstance(value[0], list):
        rows = []
        for t, row in enumerate(value):
            if not isinstance(row, list) or len(row) != channels:
                got = len(row) if isinstance(row, list) else "a single value"
                raise ClientError(422, f"{where}, step {t}: {got} channel value(s); the model takes {channels}")
            rows.append([_number(v, f"{where}, step {t}") for v in row])
        arr = np.asarray(rows, dtype=np.float32)
    else:
        if channels != 1:
            raise ClientError(422, f"{where}: the model takes {channels} channels; give one [channel values] row per step")
        arr = np.asarray([_number(v, where) for v in value], dtype=np.float32)[:, None]
    if not np.isfinite(arr[~np.isnan(arr)]).all():
        raise ClientError(422, f"{where}: values must be finite numbers")
    if np.isnan(arr).all():
        raise ClientError(422, f"{where}: every value is missing")
    return arr


def _series_inputs(model, series: list[np.ndarray]) -> list[tuple[Any, np.ndarray]]:
    """Each series padded on its own (so its answer never depends on its batch neighbours) -> (length, rows)."""
    from ..data.dataset import Dataset

    out = []
    for i, s in enumerate(series):
        try:
            if not model.is_audio and not np.isnan(s[-1]).all():
                # A complete last step: the series' length is its row count, no Dataset needed to find it.
                x = model.pad([s], f"instance {i}")
            else:
                meta = {"sample_rate": model.manifest["audio"]["sample_rate"]} if model.is_audio else {}
                x = model.network_input(Dataset.from_series([s], source=f"instance {i}", meta=meta))
        except Cnn1dError as exc:
            raise ClientError(422, str(exc)) from None
        out.append((x.shape[1:], x))
    return out


def create_app(specs: dict[str, str], *, engine: str = "onnx", max_batch: int = 64, max_wait_ms: float = 5.0,
               max_body_bytes: int = MAX_BODY_BYTES, docs: bool = True):
    from contextlib import asynccontextmanager

    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse
    from starlette.exceptions import HTTPException

    registry = Registry(specs, engine, max_batch, max_wait_ms)

    @asynccontextmanager
    async def lifespan(app):
        threading.Thread(target=registry.load_all, name="cnn1d-load", daemon=True).start()
        yield
        registry.executor.shutdown(wait=False, cancel_futures=True)
        registry.workdir.cleanup()

    app = FastAPI(title="cnn1d", version=_version(), lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="1D CNN models served by `cnn1d serve`.")
    app.state.registry = registry

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    @app.exception_handler(ClientError)
    async def _client_error(request, exc: ClientError):
        return error(exc.status, exc.message)

    @app.exception_handler(HTTPException)
    async def _http_error(request, exc: HTTPException):
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        return error(422, f"{'.'.join(str(p) for p in first.get('loc', []))}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(Exception)
    async def _internal_error(request, exc: Exception):
        return error(500, f"internal error {type(exc).__name__}: {exc}")

    @app.get("/healthz", summary="Liveness: the process answers")
    async def healthz():
        return {"status": "ok"}

    @app.get("/readyz", summary="Readiness: 200 once every model is loaded, 503 before")
    async def readyz():
        if not registry.ready.is_set():
            return error(503, f"loading models: {len(registry.models)} of {len(specs)} ready")
        if registry.errors:
            return error(503, "model(s) failed to load: " + "; ".join(f"{k}: {v}" for k, v in registry.errors.items()))
        return {"status": "ready", "models": sorted(registry.models)}

    @app.get("/v1/models", summary="The served models")
    async def list_models():
        return {"models": [{"name": name, "kind": m.kind, "path": str(specs[name]), "engine": engine}
                           for name, m in sorted(registry.models.items())],
                "loading": sorted(n for n in specs if n not in registry.models and n not in registry.errors),
                "failed": registry.errors}

    @app.get("/v1/models/{name}", summary="A model's metadata, metrics and input contract")
    async def model_info(name: str):
        model = registry.get(name)
        manifest = model.manifest
        info = {key: manifest[key] for key in ("kind", "model", "n_members", "classes", "thresholds", "outputs", "input",
                                               "audio", "metrics", "source_bundle", "cnn1d_version") if key in manifest}
        if "forecast" in manifest:
            info["forecast"] = {k: v for k, v in manifest["forecast"].items() if k not in ("series", "scale", "covariate_scale")}
            info["forecast"]["series"] = sorted(manifest["forecast"]["series"])
        if "parity" in manifest:
            info["parity"] = {k: manifest["parity"][k] for k in ("max_abs_diff", "label_agreement")}
        return {"name": name, "engine": engine, "path": str(specs[name]), **info,
                "request": _request_contract(model)}

    @app.post("/v1/models/{name}/predict", summary="Predict: JSON {\"instances\": [...]} or a CSV/audio upload")
    async def predict(name: str, request: Request):
        model = registry.get(name)
        batcher = registry.batchers[name]
        queued = batcher.arrival()
        try:
            return await _predict_body(model, batcher, request, queued)
        finally:
            queued()

    async def _predict_route(request: Request):
        return _json(await predict(request.path_params["name"], request))

    # The same endpoint as a plain Starlette route ahead of FastAPI's: the predict path skips FastAPI's
    # parameter solving (a tenth of a request's CPU under load); the FastAPI route stays for /openapi.json.
    from starlette.routing import Route

    app.router.routes.insert(0, Route("/v1/models/{name}/predict", _predict_route, methods=["POST"]))

    async def _predict_body(model, batcher: Batcher, request: Request, queued) -> dict:
        content_type = request.headers.get("content-type", "")
        body = await _bounded_body(request, max_body_bytes)
        if content_type.startswith("multipart/form-data"):
            return await _predict_upload(model, batcher, request, queued)
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ClientError(400, f"the body is not valid JSON ({exc}); send {{\"instances\": [...]}}") from None
        if not isinstance(payload, dict) or "instances" not in payload:
            raise ClientError(422, "the body must be a JSON object with an \"instances\" list")
        instances = payload["instances"]
        if not isinstance(instances, list) or not instances:
            raise ClientError(422, "\"instances\" must be a non-empty list")
        if len(instances) > MAX_INSTANCES:
            raise ClientError(413, f"{len(instances)} instances; at most {MAX_INSTANCES} per request")
        return await _predict_instances(model, batcher, instances, queued)

    async def _predict_instances(model, batcher: Batcher, instances: list, queued) -> dict:
        """``{"predictions": [...]}``, with ``"warnings"`` when the inputs are unlike the training data."""
        if model.kind == "forecaster":
            return {"predictions": await asyncio.get_running_loop().run_in_executor(registry.executor, _forecast,
                                                                                    model, instances)}
        if model.is_text:
            # {"text": ...} objects as well as strings: the instance form of TF Serving and Vertex AI clients
            instances = [t["text"] if isinstance(t, dict) and set(t) == {"text"} else t for t in instances]
            bad = [i for i, t in enumerate(instances) if not isinstance(t, str)]
            if bad:
                got = instances[bad[0]]
                got = f"an object with keys {sorted(got)[:5]}" if isinstance(got, dict) else type(got).__name__
                raise ClientError(422, f"instance {bad[0]}: a text model takes strings or {{\"text\": ...}} objects, "
                                       f"not {got}")
            empty = [i for i, t in enumerate(instances) if not t.strip()]
            if empty:
                raise ClientError(422, f"instance {empty[0]}: an empty text; there is nothing to classify")
            tokens = model.encode_texts(instances)
            queued()
            return _with_warnings(model.answers(await batcher.submit("text", tokens)),
                                  model.input_warnings(texts=instances))
        mono = model.is_audio and model.manifest["audio"]["channels"] == "mono"  # mixes any channel count
        channels = model.manifest["audio"]["input_channels"] if model.is_audio else model.manifest["input"]["channels"]
        series = []
        for i, value in enumerate(instances):
            width = (len(value[0]) if value and isinstance(value, list) and isinstance(value[0], list) else 1) \
                if mono else channels
            series.append(series_instance(value, f"instance {i}", width))
        if mono:
            series = [s.mean(axis=1, keepdims=True) for s in series]
        from ..data.dataset import Dataset

        warnings = [] if model.is_audio else model.input_warnings(data=Dataset.from_series(series, source="instances"))
        return _with_warnings(await _run_series(model, batcher, series, queued), warnings)

    async def _run_series(model, batcher: Batcher, series: list[np.ndarray], queued) -> list[dict]:
        inputs = _series_inputs(model, series)
        queued()
        outputs = await asyncio.gather(*(batcher.submit(key, x) for key, x in inputs))
        return model.answers(np.concatenate(outputs))

    async def _predict_upload(model, batcher: Batcher, request: Request, queued) -> dict:
        form = await request.form()
        files = [v for v in form.values() if hasattr(v, "filename")]
        if len(files) != 1:
            raise ClientError(422, "upload one file (form field 'file'): a CSV of series or texts, or a WAV/FLAC/OGG clip")
        upload = files[0]
        suffix = Path(upload.filename or "upload.csv").suffix.lower() or ".csv"
        content = await upload.read()
        if not content:
            raise ClientError(422, f"{upload.filename}: the file is empty")
        with tempfile.TemporaryDirectory(prefix="cnn1d-upload-") as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(content)
            try:
                if model.is_text:
                    from ..workflows import text_rows

                    texts, (index, skipped, ids) = text_rows(str(path), None, model.manifest["text"].get("text_column"))
                    if not texts:
                        raise ClientError(422, f"{upload.filename}: no text to classify (every row is empty)")
                    tokens = model.encode_texts(texts)
                    queued()
                    answers = _on_rows(model.answers(await batcher.submit("text", tokens)), index, ids)
                    return _with_warnings(answers, skipped + model.input_warnings(texts=texts))
                if model.kind == "forecaster":
                    raise ClientError(422, "a forecaster takes JSON instances (a series id, or values and timestamps)")
                if suffix in AUDIO_SUFFIXES and not model.is_audio:
                    raise ClientError(422, f"{upload.filename}: an audio clip, but this model was trained on series")
                data = _read_upload(model, path, suffix, header=_flag(form.get("header")),
                                    label_column=form.get("label_column"))
            except Cnn1dError as exc:
                message = str(exc).replace(str(path), upload.filename or "upload").replace("Pass --header", "Send the form field header=true")
                raise ClientError(422, message.replace("--no-header", "header=false")) from None
        series = [data.values[i, : data.lengths[i]] for i in range(len(data))]
        from ..workflows import prediction_frame

        rows = prediction_frame(data)  # the keys `cnn1d predict` writes: index, and id or file
        named = next((column for column in ("id", "file") if column in rows), None)
        answers = _on_rows(await _run_series(model, batcher, series, queued), rows["index"],
                           None if named is None else rows[named], named or "id")
        return _with_warnings(answers, list(rows.attrs["skipped"]) +
                              ([] if model.is_audio else model.input_warnings(data=data)))

    if docs:
        @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
        async def docs_page():
            return _docs_html(app.openapi(), registry)

    return app


async def _bounded_body(request, limit: int) -> bytes:
    """The request body, refused (413) past ``limit`` bytes before it is all read."""
    too_big = ClientError(413, f"request body over {limit // (1024 * 1024)} MiB; send fewer instances per request")
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise too_big
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # form() parses the same bytes for uploads
    return body


def _json(payload: dict):
    """A JSON response without FastAPI's generic encoder walking every number (a third of a request's time)."""
    from fastapi.responses import Response

    return Response(json.dumps(payload, separators=(",", ":")), media_type="application/json")


def _flag(value) -> bool | None:
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ClientError(422, f"header={value!r}: use true or false")


def _on_rows(answers: list[dict], index, ids=None, id_key: str = "id") -> list[dict]:
    """An uploaded file's answers, each with the data row (from 0) it answers and the file's id for it, as
    `cnn1d predict` writes them: a row left out (an empty text) must not shift every answer after it."""
    from ..export import plain_values

    names = None if ids is None else plain_values(ids)
    return [{"index": int(i), **({} if names is None else {id_key: names[n]}), **answer}
            for n, (i, answer) in enumerate(zip(index, answers))]


def _with_warnings(predictions: list[dict], warnings: list[str]) -> dict:
    return {"predictions": predictions, **({"warnings": warnings} if warnings else {})}


def _read_upload(model, path: Path, suffix: str, header: bool | None = None, label_column: str | None = None):
    from ..workflows import resolve_data

    audio = model.manifest.get("audio")
    options: dict[str, Any] = {}
    if audio:
        if suffix not in AUDIO_SUFFIXES:
            raise DataError(f"an audio model takes a {'/'.join(AUDIO_SUFFIXES)} clip")
        options = {"sample_rate": audio["sample_rate"], "channels": audio["channels"]}
        if audio["channels"] == "keep":
            options["n_channels"] = audio["input_channels"]
    spec = model.manifest["input"]
    hint = None if audio else (spec["length"] or spec["min_length"])
    if not audio:
        from ..workflows import recorded_column

        options.update(header=header, label_column=label_column, value_columns=spec.get("value_columns"),
                       id_column=recorded_column(spec.get("id_column"), str(path)))
    data, _ = resolve_data(str(path), labels="auto", split="test", length_hint=hint, **options)
    return data


def _forecast(model, instances: list) -> list[dict]:
    from ..runtime import forecast_answer

    answers = []
    for i, value in enumerate(instances):
        try:
            if isinstance(value, str) or (isinstance(value, dict) and set(value) <= {"id"}):
                key = value if isinstance(value, str) else value.get("id")
                table = model.stored_table([str(key)])
            elif isinstance(value, dict) and "values" in value:
                table = model.series_table(value["values"], value.get("timestamps"))
            else:
                raise ClientError(422, f"instance {i}: a forecaster takes a series id (a string), or "
                                       "{\"values\": [...], \"timestamps\": [...]}")
            result = model.forecast_table(table)
        except Cnn1dError as exc:
            raise ClientError(422, f"instance {i}: {exc}") from None
        answers += [forecast_answer(k, v) for k, v in result.items()]
    return answers


def _request_contract(model) -> dict[str, Any]:
    if model.kind == "forecaster":
        spec = model.manifest["forecast"]
        return {"instances": "a series id (one of the model's series), or {\"values\": [...at least "
                             f"{spec['lookback']} values...], \"timestamps\": [...]}} (timestamps when freq is set)",
                "series": sorted(spec["series"])}
    if model.is_text:
        return {"instances": "strings", "upload": "a CSV with a text column"}
    spec = model.manifest["input"]
    if model.is_audio:
        return {"instances": f"waveforms at {model.manifest['audio']['sample_rate']} Hz (lists of samples)",
                "upload": "one WAV/FLAC/OGG clip (any sample rate)"}
    shape = "a list of values" if spec["channels"] == 1 else f"a list of [{spec['channels']} channel values] rows per step"
    length = f"at most {spec['length']} steps" if spec["length"] else "any length"
    return {"instances": f"{shape}, {length}; null marks a missing value", "upload": "a CSV/TSV of series, one per row"}


def _docs_html(schema: dict, registry: Registry) -> str:
    rows = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code></td>"
                        f"<td>{html.escape(op.get('summary', ''))}</td></tr>")
    models = "".join(f"<li><code>{html.escape(n)}</code>: {html.escape(m.kind)}</li>" for n, m in sorted(registry.models.items()))
    example = html.escape('curl -s -X POST http://127.0.0.1:8000/v1/models/NAME/predict '
                          '-H "Content-Type: application/json" -d \'{"instances": [[0.1, 0.2, 0.3]]}\'')
    return ("<!doctype html><html><head><meta charset='utf-8'><title>cnn1d serve</title>"
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td{padding:.2em .8em}</style></head>"
            f"<body><h1>cnn1d serve</h1><h2>Models</h2><ul>{models or '<li>loading...</li>'}</ul>"
            f"<h2>Routes</h2><table>{''.join(rows)}</table><h2>Example</h2><pre>{example}</pre>"
            "<p>The OpenAPI schema is at <a href='/openapi.json'>/openapi.json</a>; "
            "each model's input contract at <code>/v1/models/NAME</code>.</p></body></html>")


def _version() -> str:
    from .. import __version__

    return __version__


def model_specs(models: list[str]) -> dict[str, str]:
    """``PATH`` or ``NAME=PATH`` arguments -> {name: path}; the name defaults to the file's stem."""
    from ..errors import ConfigError

    from ..bundle import bundle_file

    specs: dict[str, str] = {}
    for item in models:
        name, sep, path = item.partition("=")
        if not sep:
            name, path = Path(item).stem, item
        if not name or not path:
            raise ConfigError(f"{item!r}: give a model as PATH or NAME=PATH")
        if name in specs:
            raise ConfigError(f"two models are named {name!r}; name them: NAME=PATH")
        if not Path(path).exists():
            raise ConfigError(f"{path}: model file not found")
        specs[name] = str(bundle_file(path))
    return specs


def serve(models: list[str], *, host: str = "127.0.0.1", port: int = 8000, max_batch: int = 64, max_wait_ms: float = 5.0,
          engine: str = "onnx", docs: bool = True, log_level: str = "info") -> None:
    """Run the service until SIGTERM/SIGINT (in-flight requests drain, at most 8 s)."""
    import importlib.util

    from ..errors import ConfigError, did_you_mean

    missing = [m for m in ("fastapi", "uvicorn") if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(f"cnn1d serve needs {', '.join(missing)}: pip install \"cnn1d[serve]\"")
    if max_batch < 1 or max_wait_ms < 0:
        raise ConfigError("--max-batch must be at least 1 and --max-wait-ms at least 0")
    from .engines import ENGINES

    if engine not in ENGINES:  # before the server starts: models load after it, and would each fail on this
        raise ConfigError(f"--engine {engine!r}{did_you_mean(engine, ENGINES)}: choose one of {', '.join(ENGINES)}")
    specs = model_specs(models)
    from ..bundle import read_meta

    for path in specs.values():
        if Path(path).suffix.lower() == ".cnn1d":
            read_meta(path)  # a file that is no bundle is refused now, not reported after the server started
    import uvicorn

    app = create_app(specs, engine=engine, max_batch=max_batch, max_wait_ms=max_wait_ms, docs=docs)
    uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=8, access_log=False)
