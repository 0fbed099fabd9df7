import subprocess
import sys

import pytest

SCRIPT = """
import numpy as np, cnn1d
train, test = cnn1d.datasets.load("gunpoint")
clf = cnn1d.CNNClassifier(model="fcn", model_params={"filters": (16, 16, 16)}, epochs=3, seed=0).fit(train)
p = clf.predict_proba(test)
loaded = cnn1d.load(clf.save(sys.argv[1]))
assert np.allclose(loaded.predict_proba(test), p, atol=1e-6)
for method in ("cam", "gradcam", "ig"):  # explanations take the backend's own gradients
    assert clf.explain(test.values[:2, :, 0], method=method).shape == (2, 150)
print(clf.backend_, p.shape)
"""


@pytest.mark.slow
def test_torch_backend_trains_and_predicts(tmp_path):
    pytest.importorskip("torch", reason="install the torch extra: pip install -e .[torch]")
    env = {**__import__("os").environ, "KERAS_BACKEND": "torch"}
    res = subprocess.run([sys.executable, "-c", "import sys\n" + SCRIPT, str(tmp_path / "t.cnn1d")],
                         capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split()[0] == "torch"
