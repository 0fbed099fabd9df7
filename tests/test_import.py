import subprocess
import sys


def test_import_is_lazy_and_fast():
    code = (
        "import sys, time; t = time.perf_counter(); import cnn1d; dt = time.perf_counter() - t; "
        "heavy = [m for m in ('keras', 'jax', 'torch', 'tensorflow', 'sklearn', 'pandas') if m in sys.modules]; "
        "print(dt, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 1)
    assert out[1].strip() == "[]", f"import cnn1d pulled in heavy modules: {out[1]}"
    assert float(out[0]) < 0.5


def test_public_api_names():
    import cnn1d

    assert callable(cnn1d.load)
    assert cnn1d.CNNClassifier.__name__ == "CNNClassifier"
    assert "gunpoint" in cnn1d.datasets.EMBEDDED


def test_default_backend_is_jax_unless_user_chose():
    code = "import os; os.environ.pop('KERAS_BACKEND', None); import cnn1d._backend as b; print(b.backend_name())"
    env = {k: v for k, v in __import__("os").environ.items() if k != "KERAS_BACKEND"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip() == "jax"
