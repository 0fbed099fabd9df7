"""GPU smoke check: the same cnn1d code on an accelerator (JAX with CUDA). Writes $OUT/gpu_check.json.

    KERAS_BACKEND=jax OUT=results/ python scripts/gpu_smoke.py

Last run (H100, JAX 0.11.2 + CUDA 13, 2026-11-26): GunPoint default ensemble 1.000 in 27.1 s (members
take turns on the GPU), FCN 0.987 in 12.5 s; spoken digits M5/log-mel 1.000 in 3.8 s, tdfb 1.000 in
2.7 s, raw M5 0.888 in 3.5 s; FCN predict 1.1 ms for 1 series, 1.4 ms for 150.
Checked again through the CLI on 2026-11-28 (H100; ensembles sharing the time left): docs/usage.md.
"""
import json, os, time
out = os.environ.get("OUT", ".")
results = {}
def log(key, value):
    results[key] = value
    print(key, value, flush=True)
    json.dump(results, open(os.path.join(out, "gpu_check.json"), "w"), indent=1)

import jax
log("devices", [str(d) for d in jax.devices()])
import cnn1d
from cnn1d._backend import keras
log("keras", keras().__version__ + " " + keras().backend.backend())
train, test = cnn1d.datasets.load("gunpoint")
for model, kw in (("fcn", {}), ("resnet", {}), ("lite", {}), ("default", {})):
    t = time.time()
    clf = cnn1d.CNNClassifier(model=model, seed=0, **kw).fit(train)
    log(f"gunpoint-{model}", {"acc": clf.score(test), "train_s": round(clf.train_seconds_, 1), "wall_s": round(time.time() - t, 1), "epochs": clf.epochs_})
from cnn1d.datasets import load_spoken_digits
tr, te = load_spoken_digits()
for model, fe in (("m5", "log_mel"), ("tdfb", "raw"), ("m5", "raw")):
    t = time.time()
    clf = cnn1d.CNNClassifier(model=model, front_end=fe, epochs=60, seed=0).fit(tr)
    log(f"digits-{model}-{fe}", {"acc": clf.score(te), "train_s": round(clf.train_seconds_, 1), "wall_s": round(time.time() - t, 1)})
t = time.time()
clf = cnn1d.CNNClassifier(model="fcn", seed=0, devices=0, epochs=100).fit(train)
log("gunpoint-fcn-devices0", {"acc": clf.score(test), "wall_s": round(time.time() - t, 1), "batch": clf.batch_size_})
X = test.values
for n in (1, 150):
    clf.predict_proba(X[:n]); t = time.perf_counter()
    for _ in range(20): clf.predict_proba(X[:n])
    log(f"predict-{n}-ms", round((time.perf_counter() - t) / 20 * 1000, 2))
