"""Load test of `cnn1d serve`: throughput, latency percentiles and errors under bounded concurrent load.

    python benchmarks/serve.py --out OUTDIR [--bundle model.cnn1d] [--requests 6000] [--max-seconds 30]
        [--clients 1,8,64] [--engine onnx] [--port 8631]

Starts the server on 127.0.0.1 in its own process with the GunPoint FCN bundle (trained here, seed 0, unless
--bundle is given; exported to ONNX), then for each client count sends a fixed number of requests (one
GunPoint test series each, over keep-alive connections) and stops early at --max-seconds. With the most
clients, 100 malformed requests (bad JSON, wrong channel count, non-numbers, unknown model, no instances)
are mixed into the load: each must get a 4xx, and every good request a 200 with the label that in-process
onnxruntime gives. In-process onnxruntime on the same inputs (one series per call, and batches of 64) is
the floor. Writes OUTDIR/serve.json and OUTDIR/serve.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MALFORMED = [
    b"{not json",
    b'{"instances": [[[1.0, 2.0], [3.0, 4.0]]]}',
    b'{"instances": [[1.0, "x", 2.0]]}',
    b'{"instances": []}',
    b'{"rows": [[1.0]]}',
    b'{"instances": [null]}',
]


def train_bundle(out: Path) -> Path:
    import cnn1d

    train, _ = cnn1d.datasets.load("gunpoint")
    clf = cnn1d.CNNClassifier(model="fcn", epochs=100, seed=0, n_jobs=1).fit(train)
    return clf.save(out / "gunpoint_fcn.cnn1d")


def free_port(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


async def request(reader, writer, path: str, body: bytes) -> tuple[int, bytes]:
    writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def load(port: int, clients: int, n_requests: int, max_seconds: float, bodies: list[bytes], expected: list[str],
               malformed: int) -> dict:
    jobs = [("good", i % len(bodies)) for i in range(n_requests)]
    bad = [("bad", i) for i in range(malformed)]
    rng = random.Random(0)
    for item in bad:
        jobs.insert(rng.randrange(len(jobs) + 1), item)
    queue: asyncio.Queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    latencies, errors, bad_answers, wrong = [], [], [], 0
    deadline = time.perf_counter() + max_seconds

    async def client():
        nonlocal wrong
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                try:
                    kind, i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                if kind == "bad":
                    target = "/v1/models/nope/predict" if i % 7 == 6 else "/v1/models/model/predict"
                    status, _ = await request(reader, writer, target, MALFORMED[i % len(MALFORMED)])
                    bad_answers.append(status)
                    continue
                started = time.perf_counter()
                status, answer = await request(reader, writer, "/v1/models/model/predict", bodies[i])
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    errors.append(status)
                elif json.loads(answer)["predictions"][0]["label"] != expected[i]:
                    wrong += 1
        finally:
            writer.close()

    import gc

    gc.disable()  # the load generator's own collector pauses would count as server latency
    started = time.perf_counter()
    try:
        await asyncio.gather(*(client() for _ in range(clients)))
    finally:
        gc.enable()
    wall = time.perf_counter() - started
    lat = np.asarray(latencies) * 1000
    return {"clients": clients, "requests": len(latencies), "series_per_s": round(len(latencies) / wall, 1),
            "p50_ms": round(float(np.percentile(lat, 50)), 2), "p90_ms": round(float(np.percentile(lat, 90)), 2),
            "p99_ms": round(float(np.percentile(lat, 99)), 2), "max_ms": round(float(lat.max()), 2),
            "errors": len(errors), "wrong_labels": wrong, "malformed_sent": len(bad_answers),
            "malformed_4xx": sum(400 <= s < 500 for s in bad_answers), "seconds": round(wall, 2)}


def run_loop(coroutine):
    """asyncio.run on uvloop where installed: the load generator shares the server's 2 cores, so it is kept light."""
    try:
        import uvloop

        return uvloop.run(coroutine)
    except ImportError:
        return asyncio.run(coroutine)


def floor(model_path: Path, X: np.ndarray) -> dict:
    from cnn1d.runtime import load as load_runtime

    model = load_runtime(model_path)
    x = model.network_input(model.dataset(X))
    model.run_graph(x[:1])
    singles = []
    for i in range(min(500, len(x))):
        t = time.perf_counter()
        model.run_graph(x[i: i + 1])
        singles.append(time.perf_counter() - t)
    batch = x[:64] if len(x) >= 64 else np.concatenate([x] * (64 // len(x) + 1))[:64]
    t = time.perf_counter()
    for _ in range(50):
        model.run_graph(batch)
    batch_seconds = (time.perf_counter() - t) / 50
    return {"single_p50_ms": round(statistics.median(singles) * 1000, 3),
            "single_series_per_s": round(1 / statistics.median(singles), 1),
            "batch64_ms": round(batch_seconds * 1000, 3), "batch64_series_per_s": round(64 / batch_seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--bundle", type=Path, help="a classifier bundle (default: GunPoint FCN trained here)")
    parser.add_argument("--requests", type=int, default=6000, help="requests per client count")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="stop a load level after this long")
    parser.add_argument("--clients", default="1,8,64")
    parser.add_argument("--engine", default="onnx", choices=["onnx", "keras"])
    parser.add_argument("--port", type=int, default=8631)
    parser.add_argument("--max-batch", type=int, default=64, help="the server's --max-batch")
    parser.add_argument("--max-wait-ms", type=float, default=5.0, help="the server's --max-wait-ms")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import cnn1d
    from cnn1d.export import export

    work = Path(tempfile.mkdtemp(prefix="cnn1d-serve-bench-"))
    bundle = args.bundle or train_bundle(work)
    exported = export(bundle, work / "model.onnx")
    model_path = Path(exported["path"]) if args.engine == "onnx" else Path(bundle)
    _, test = cnn1d.datasets.load("gunpoint")
    X = test.values[:, :, 0]
    from cnn1d.runtime import load as load_runtime

    expected = [str(v) for v in load_runtime(exported["path"]).predict(X)]
    bodies = [json.dumps({"instances": [row.tolist()]}).encode() for row in X]
    port = free_port(args.port)
    server = subprocess.Popen([sys.executable, "-m", "cnn1d", "serve", f"model={model_path}", "--port", str(port),
                               "--engine", args.engine, "--no-docs",
                               "--max-batch", str(args.max_batch), "--max-wait-ms", str(args.max_wait_ms)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        import urllib.request

        for _ in range(600):
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("the server did not become ready in 60 s")
        levels = [int(c) for c in args.clients.split(",")]
        results = []
        for clients in levels:
            malformed = 100 if clients == max(levels) else 0
            result = run_loop(load(port, clients, args.requests, args.max_seconds, bodies, expected, malformed))
            results.append(result)
            print(json.dumps(result))
        server.terminate()
        t = time.perf_counter()
        server.wait(timeout=15)
        shutdown = round(time.perf_counter() - t, 2)
    finally:
        if server.poll() is None:
            server.kill()
    report = {"machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()}, "engine": args.engine,
              "max_batch": args.max_batch, "max_wait_ms": args.max_wait_ms,
              "model": "GunPoint FCN (100 epochs, seed 0)" if not args.bundle else str(args.bundle),
              "onnxruntime_in_process": floor(Path(exported["path"]), X), "load": results,
              "sigterm_exit_seconds": shutdown,
              "goals_at_max_clients": {"errors": 0, "p99_ms": 50, "series_per_s": 1000}}
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    (args.out / "serve.json").write_text(json.dumps(report, indent=1))
    lines = ["| clients | requests | series/s | p50 ms | p99 ms | errors | wrong labels | malformed 4xx |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['clients']} | {r['requests']} | {r['series_per_s']} | {r['p50_ms']} | {r['p99_ms']} | "
                     f"{r['errors']} | {r['wrong_labels']} | {r['malformed_4xx']}/{r['malformed_sent']} |")
    f = report["onnxruntime_in_process"]
    lines.append(f"\nIn-process onnxruntime floor: one series {f['single_p50_ms']} ms ({f['single_series_per_s']} series/s), "
                 f"batch of 64 {f['batch64_ms']} ms ({f['batch64_series_per_s']} series/s). SIGTERM exit: {shutdown} s.")
    (args.out / "serve.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
