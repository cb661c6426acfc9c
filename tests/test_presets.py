"""Weights resolution, for real, against an HTTP server on 127.0.0.1."""

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import yaml

import advzoo
from advzoo import _paths, presets
from advzoo.training import export_preset
from tests.helpers import TINY, fake_images



def _registered_and_trained(recipe, tmp_path, monkeypatch):
    """Registers `recipe` in a temporary config dir and returns its model
    after one tiny epoch."""
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / f"{recipe['name']}.yaml").write_text(yaml.safe_dump(recipe))
    monkeypatch.setenv("ADVZOO_CONFIG_DIR", str(configs))
    from advzoo.training import build_model

    model = build_model(recipe)
    model.fit(fake_images(16), batch_size=8, epochs=1, verbose=0)
    return model


@pytest.fixture
def published(tmp_path, monkeypatch):
    """A tiny preset exported to `server_root`, a bundle holding only the
    manifest (so weights must come from the server), and the server's URL."""
    model = _registered_and_trained(TINY, tmp_path, monkeypatch)
    server_root = tmp_path / "server"
    export_preset(model, TINY, {"score": 1.0}, {"train_seconds": 1.0, "epochs": 1},
                          root=server_root)
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    shutil.copy(server_root / "manifest.json", bundle / "manifest.json")
    monkeypatch.setenv("ADVZOO_MANIFEST", str(bundle / "manifest.json"))
    monkeypatch.setenv("ADVZOO_WEIGHTS_DIR", str(bundle))
    handler = functools.partial(_QuietHandler, directory=str(server_root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("ADVZOO_WEIGHTS_URL", f"http://127.0.0.1:{server.server_port}/")
    yield {"model": model, "server_root": server_root, "bundle": bundle, "server": server}
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _cached(name="tiny_dcgan"):
    return _paths.cache_dir() / name / presets.WEIGHTS_FILE


def test_download_verifies_caches_and_restores_everything(published):
    model = advzoo.load("tiny_dcgan", progress=False)
    assert _cached().exists()
    np.testing.assert_array_equal(model.generate(3, seed=0), published["model"].generate(3, seed=0))
    assert int(model.generator_optimizer.iterations) == 2  # optimizer state came along
    published["server"].shutdown()  # from now on only the cache can serve it
    again = advzoo.load("tiny_dcgan", progress=False)
    np.testing.assert_array_equal(again.generate(3, seed=0), model.generate(3, seed=0))
    info = advzoo.info("tiny_dcgan")
    assert info["sha256"] == presets.sha256_of(_cached()) and info["metrics"] == {"score": 1.0}


def test_corrupt_download_is_rejected_and_never_cached(published):
    served = published["server_root"] / "tiny_dcgan" / presets.WEIGHTS_FILE
    data = bytearray(served.read_bytes())
    data[len(data) // 2] ^= 0xFF
    served.write_bytes(bytes(data))
    with pytest.raises(presets.WeightsIntegrityError, match="sha256.*Nothing was written"):
        advzoo.load("tiny_dcgan", progress=False)
    assert not _cached().exists()
    assert not list(_cached().parent.glob("*.part"))


def test_truncated_download_is_rejected(published):
    served = published["server_root"] / "tiny_dcgan" / presets.WEIGHTS_FILE
    served.write_bytes(served.read_bytes()[:1000])
    with pytest.raises(presets.WeightsIntegrityError, match="truncated"):
        presets.weights_path("tiny_dcgan", progress=False)
    assert not _cached().exists()


def test_corrupt_cache_entry_is_replaced_by_a_verified_download(published):
    _cached().parent.mkdir(parents=True)
    _cached().write_bytes(b"garbage")
    path = presets.weights_path("tiny_dcgan", progress=False)
    entry = presets.preset_entry("tiny_dcgan")["files"][presets.WEIGHTS_FILE]
    assert presets.sha256_of(path) == entry["sha256"]


def test_bundled_copy_is_used_without_network(published, monkeypatch):
    shutil.copytree(published["server_root"] / "tiny_dcgan", published["bundle"] / "tiny_dcgan")
    monkeypatch.delenv("ADVZOO_WEIGHTS_URL")
    assert presets.weights_path("tiny_dcgan") == published["bundle"] / "tiny_dcgan" / presets.WEIGHTS_FILE


def test_missing_everywhere_explains_the_mirror_variable(published, monkeypatch):
    monkeypatch.delenv("ADVZOO_WEIGHTS_URL")
    with pytest.raises(FileNotFoundError, match="ADVZOO_WEIGHTS_URL") as caught:
        advzoo.load("tiny_dcgan")
    message = str(caught.value)  # where it looked, and the three ways out
    assert str(_cached()) in message and str(published["bundle"]) in message
    assert "advzoo-weights" in message and "ADVZOO_WEIGHTS_DIR" in message


def test_server_error_is_a_clear_connection_error(published):
    shutil.rmtree(published["server_root"] / "tiny_dcgan")
    with pytest.raises(ConnectionError, match="404"):
        presets.weights_path("tiny_dcgan", progress=False)
    assert not _cached().exists()


def test_concurrent_processes_share_one_verified_download(published):
    code = ("from advzoo import presets; "
            "print(presets.sha256_of(presets.weights_path('tiny_dcgan', progress=False)))")
    env = {**os.environ, "PYTHONPATH": str(Path(advzoo.__file__).parents[1])}
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-500:] for o in outs]
    digests = {o[0].strip().splitlines()[-1] for o in outs}
    entry = presets.preset_entry("tiny_dcgan")["files"][presets.WEIGHTS_FILE]
    assert digests == {entry["sha256"]}
    assert not list(_cached().parent.glob("*.part"))


def test_manifest_records_recipe_versions_and_checksums(published):
    manifest = json.loads((published["bundle"] / "manifest.json").read_text())
    entry = manifest["presets"]["tiny_dcgan"]
    assert entry["recipe"]["model"] == TINY["model"]
    assert {"keras", "tensorflow", "advzoo"} <= set(entry["versions"])
    for name, record in entry["files"].items():
        path = published["server_root"] / "tiny_dcgan" / name
        assert record == {"sha256": presets.sha256_of(path), "size": path.stat().st_size}


def test_compact_presets_publish_model_weights_only(tmp_path, monkeypatch):
    """`export: {optimizer_state: false}`: a smaller file, the same model
    outputs after `advzoo.load`, fresh optimizers."""
    recipe = {**TINY, "name": "tiny_compact", "export": {"optimizer_state": False}}
    model = _registered_and_trained(recipe, tmp_path, monkeypatch)
    full = export_preset(model, TINY, {}, {"epochs": 1}, root=tmp_path / "full")
    compact = export_preset(model, recipe, {}, {"epochs": 1}, root=tmp_path / "bundle")
    size = lambda d: (d / presets.WEIGHTS_FILE).stat().st_size  # noqa: E731
    assert size(compact) < 0.6 * size(full)
    monkeypatch.setenv("ADVZOO_MANIFEST", str(tmp_path / "bundle" / "manifest.json"))
    monkeypatch.setenv("ADVZOO_WEIGHTS_DIR", str(tmp_path / "bundle"))
    entry = json.loads((tmp_path / "bundle" / "manifest.json").read_text())["presets"]
    assert entry["tiny_compact"]["optimizer_state"] is False
    loaded = advzoo.load("tiny_compact", progress=False)
    np.testing.assert_array_equal(loaded.generate(3, seed=0), model.generate(3, seed=0))
    assert int(loaded.generator_optimizer.iterations) == 0


@pytest.mark.parametrize("text, match", [
    ("{not json", "not valid JSON"),
    ("{}", "'presets' mapping"),
    ("[]", "'presets' mapping"),
    ('{"presets": {"x": {}}}', "non-empty mapping"),
    ('{"presets": {"x": {"family": "dcgan", "metrics": {}, "recipe": {}}}}', "'files' must map"),
    ('{"presets": {"x": {"files": {"model.weights.h5": {"sha256": "ab", "size": 3}}}}}',
     "64 hex digits"),
])
def test_a_corrupt_manifest_is_refused_with_what_is_wrong(tmp_path, monkeypatch, text, match):
    (tmp_path / "manifest.json").write_text(text)
    monkeypatch.setenv("ADVZOO_MANIFEST", str(tmp_path / "manifest.json"))
    with pytest.raises(presets.ManifestError, match=match):
        advzoo.list_models(pretrained=True)
    from advzoo.cli import main

    with pytest.raises(SystemExit, match="advzoo info: .*" + match.replace("'", ".")):
        main(["info", "dcgan_fashion_mnist"])


def test_a_missing_recipe_file_suggests_registered_names():
    from advzoo.training import resolve_recipe

    with pytest.raises(ValueError, match="does not exist. Did you mean 'dcgan_fashion_mnist'"):
        resolve_recipe("zoo_configs/dcgan_fashon_mnist.yaml")
    with pytest.raises(ValueError, match="Did you mean 'wgan_gp_fashion_mnist'"):
        resolve_recipe("wgan_gp_fashon_mnist")


def test_only_http_and_https_base_urls_are_used(published, monkeypatch, tmp_path):
    monkeypatch.setenv("ADVZOO_WEIGHTS_URL", f"file://{published['server_root']}")
    with pytest.raises(ValueError, match="not an http\\(s\\) URL.*ADVZOO_WEIGHTS_DIR"):
        presets.weights_path("tiny_dcgan", progress=False)
    assert not _cached().exists()


class _Redirect(http.server.BaseHTTPRequestHandler):
    target = "https://127.0.0.1:9/elsewhere"

    def do_GET(self):
        self.send_response(302)
        self.send_header("Location", self.target)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_redirect_to_another_scheme_is_refused(published, monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("ADVZOO_WEIGHTS_URL", f"http://127.0.0.1:{server.server_port}")
        with pytest.raises(ConnectionError, match="refused a redirect from http:// to https://"):
            presets.weights_path("tiny_dcgan", progress=False)
    finally:
        server.shutdown()
    assert not _cached().exists() and not list(_cached().parent.glob("*.part"))


def test_stale_partial_downloads_of_a_killed_client_are_cleaned_up(published):
    _cached().parent.mkdir(parents=True)
    stale = _cached().parent / f"{presets.WEIGHTS_FILE}.abc123.part"
    stale.write_bytes(b"half a download")
    presets.weights_path("tiny_dcgan", progress=False)
    assert not stale.exists() and _cached().exists()
    assert oct(_cached().stat().st_mode & 0o777) == "0o644"  # a cache others can share


def test_an_unreadable_cache_file_falls_back_to_the_next_source(published, monkeypatch):
    path = presets.weights_path("tiny_dcgan", progress=False)  # downloaded into the cache
    assert path == _cached()
    original = presets._verify

    def unreadable_cache(candidate, record):
        if candidate == _cached():
            raise PermissionError(13, "Permission denied", str(candidate))
        return original(candidate, record)

    monkeypatch.setattr(presets, "_verify", unreadable_cache)
    shutil.copytree(published["server_root"] / "tiny_dcgan", published["bundle"] / "tiny_dcgan")
    assert presets.weights_path("tiny_dcgan") == published["bundle"] / "tiny_dcgan" / \
        presets.WEIGHTS_FILE


def test_messages_say_what_happened(published, monkeypatch, tmp_path):
    """A corrupt local copy is 'found but refused', not 'not found'; a deleted
    manifest is named as such, even with a download URL set."""
    shutil.copytree(published["server_root"] / "tiny_dcgan", published["bundle"] / "tiny_dcgan")
    (published["bundle"] / "tiny_dcgan" / presets.WEIGHTS_FILE).write_bytes(b"garbage")
    monkeypatch.delenv("ADVZOO_WEIGHTS_URL")
    with pytest.raises(FileNotFoundError, match="found but refused.*7 bytes"):
        presets.weights_path("tiny_dcgan")
    monkeypatch.setenv("ADVZOO_WEIGHTS_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ADVZOO_MANIFEST", str(tmp_path / "deleted.json"))
    with pytest.raises(LookupError, match="deleted.json is missing.*needs the manifest"):
        presets.weights_path("tiny_dcgan")


def test_init_from_names_what_it_takes():
    from advzoo.training import _initialise_from

    with pytest.raises(ValueError, match="registered preset name .* or a path to a .weights.h5"):
        _initialise_from(None, "/x.keras")
