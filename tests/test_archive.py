import http.server
import threading
import zipfile

import pytest

from cnn1d.data.archive import fetch
from cnn1d.errors import DataError


@pytest.fixture()
def server(tmp_path, shared_data):
    root = tmp_path / "www"
    root.mkdir()
    with zipfile.ZipFile(root / "Coffee.zip", "w") as z:
        for part in ("TRAIN", "TEST"):
            z.write(shared_data / "ucr" / "Coffee" / f"Coffee_{part}.tsv", f"Coffee/Coffee_{part}.tsv")
    (root / "Broken.zip").write_text("<html>not found</html>")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(root), **k)

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/{{name}}.zip", root
    httpd.shutdown()


def test_fetch_downloads_verifies_and_caches(server, tmp_path):
    url, root = server
    cache = tmp_path / "cache"
    train, test = fetch("Coffee", cache_dir=cache, url=url)
    assert train.name == "Coffee_TRAIN.tsv" and test.exists()
    assert "Coffee" in (cache / "checksums.json").read_text()
    (root / "Coffee.zip").unlink()  # a second call uses the cache, no network
    assert fetch("Coffee", cache_dir=cache, url=url) == (train, test)
    with open(cache / "Coffee.zip", "ab") as fh:  # tamper with the cached archive
        fh.write(b"junk")
    with pytest.raises(DataError, match="checksum"):
        fetch("Coffee", cache_dir=cache, url=url)


def test_fetch_errors(server, tmp_path):
    url, _ = server
    with pytest.raises(DataError, match="HTTP 404"):
        fetch("Nope", cache_dir=tmp_path, url=url)
    with pytest.raises(DataError, match="not a zip"):
        fetch("Broken", cache_dir=tmp_path, url=url)
    with pytest.raises(DataError, match="not a valid archive dataset name"):
        fetch("../etc", cache_dir=tmp_path)
    assert not list(tmp_path.glob("*.zip"))  # failed downloads leave nothing behind


def test_offline_says_where_a_copied_zip_is_used_from(server, tmp_path):
    url, root = server
    unreachable = "http://127.0.0.1:9/{name}.zip"  # the discard port: nothing listens there
    with pytest.raises(DataError, match=r"are you offline\? Without a network: copy Coffee.zip from the archive into "):
        fetch("Coffee", cache_dir=tmp_path / "cache", url=unreachable)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "Coffee.zip").write_bytes((root / "Coffee.zip").read_bytes())  # as the message says
    train, test = fetch("Coffee", cache_dir=tmp_path / "cache", url=unreachable)
    assert train.name == "Coffee_TRAIN.tsv" and test.exists()
