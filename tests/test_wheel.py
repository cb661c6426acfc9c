"""advzoo as users install it: the sdist, the wheel built from it and the
weights wheel, installed into a fresh virtual environment and used from a
directory outside the source tree, with nothing of the checkout on the path.

The venv gets advzoo only from the wheels; its third-party dependencies
(TensorFlow, Keras, ...) come from the test environment's site-packages
through a `.pth` line, which adds that directory but not its `.pth` files, so
the checkout's editable install stays invisible."""

import functools
import http.server
import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

import advzoo
from advzoo import presets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import build_dists  # noqa: E402

sys.path.pop(0)

needs_weights = pytest.mark.skipif(
    "dcgan_fashion_mnist" not in advzoo.list_models(pretrained=True),
    reason="needs the shipped presets")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A venv with the advzoo wheel (built from the sdist) installed, and
    the weights wheel built beside it (installed by the test that needs it)."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    sdist, wheel = build_dists.build_library(dist)
    weights_wheel = build_dists.build_weights(dist)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], check=True, capture_output=True, text=True).stdout
    Path(site.strip(), "_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", "--no-index", "--ignore-installed", str(wheel)], check=True)
    work = root / "elsewhere"
    work.mkdir()
    return {"python": python, "venv": venv, "work": work, "sdist": sdist, "wheel": wheel,
            "weights_wheel": weights_wheel, "root": root}


def _env(installed, **extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ADVZOO_") and k not in ("PYTHONPATH", "PYTHONHOME")}
    if os.environ.get("ADVZOO_DATA_CACHE_DIR"):  # synthesised domains, shared with the suite
        env["ADVZOO_DATA_CACHE_DIR"] = os.environ["ADVZOO_DATA_CACHE_DIR"]
    env.update({"ADVZOO_CACHE_DIR": str(installed["root"] / "cache"),
                "TF_CPP_MIN_LOG_LEVEL": "2", "PATH": f"{installed['venv'] / 'bin'}:"
                + os.environ.get("PATH", "")})
    env.update(extra)
    return env


def _run(installed, code, **extra):
    out = subprocess.run([str(installed["python"]), "-I", "-c", textwrap.dedent(code)],
                         cwd=installed["work"], env=_env(installed, **extra),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cli(installed, *args, check=True, **extra):
    out = subprocess.run([str(installed["venv"] / "bin" / "advzoo"), *args],
                         cwd=installed["work"], env=_env(installed, **extra),
                         capture_output=True, text=True, timeout=600)
    if check:
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out


def test_wheels_carry_recipes_and_manifest_not_a_second_copy(installed):
    import tarfile
    import zipfile

    names = zipfile.ZipFile(installed["wheel"]).namelist()
    recipes = sorted(p.name for p in (ROOT / "zoo_configs").glob("*.yaml"))
    assert sorted(Path(n).name for n in names if n.startswith("advzoo/_packaged/zoo_configs/")) \
        == recipes
    packaged = zipfile.ZipFile(installed["wheel"]).read("advzoo/_packaged/manifest.json")
    assert packaged == (ROOT / "weights" / "manifest.json").read_bytes()
    assert not any(n.endswith(".h5") for n in names)  # weights travel separately
    with tarfile.open(installed["sdist"]) as tar:
        members = {Path(m).relative_to(Path(m).parts[0]).as_posix() for m in tar.getnames()
                   if len(Path(m).parts) > 1}
    assert {f"zoo_configs/{r}" for r in recipes} | {"weights/manifest.json"} <= members
    weights = zipfile.ZipFile(installed["weights_wheel"])
    for name, entry in presets.read_manifest()["presets"].items():
        for fname, record in entry["files"].items():
            assert weights.getinfo(f"advzoo_weights/{name}/{fname}").file_size == record["size"]
    assert not (ROOT / "advzoo" / "_packaged").exists()  # nothing copied into the tree


def test_installed_advzoo_lists_describes_and_answers_fast(installed):
    got = _run(installed, """
        import json, advzoo
        print(json.dumps({"file": advzoo.__file__, "names": advzoo.list_models(),
                          "pretrained": advzoo.list_models(pretrained=True),
                          "info": advzoo.info("dcgan_fashion_mnist")["sha256"]}))
    """)
    assert got["file"].startswith(str(installed["venv"]))
    assert got["names"] == advzoo.list_models()
    assert got["pretrained"] == advzoo.list_models(pretrained=True)
    assert got["info"] == advzoo.info("dcgan_fashion_mnist")["sha256"]
    for args in (["--help"], ["list"], ["info", "dcgan_fashion_mnist"]):
        out = _cli(installed, *args)  # (speed: benchmarks/cli_startup.py)
        assert out.stdout and not out.stderr, (args, out.stderr)  # no TensorFlow log lines
    bad = _cli(installed, "train", "dcgan_fashon_mnist", check=False)
    assert bad.returncode != 0 and "Did you mean 'dcgan_fashion_mnist'" in bad.stderr
    assert "Traceback" not in bad.stderr


@needs_weights
def test_installed_advzoo_without_weights_says_where_it_looked(installed):
    out = _cli(installed, "download", "dcgan_fashion_mnist", check=False)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    for hint in ("advzoo-weights", "ADVZOO_WEIGHTS_URL", "ADVZOO_WEIGHTS_DIR", "the cache"):
        assert hint in out.stderr, out.stderr


@needs_weights
def test_installed_advzoo_downloads_loads_generates_and_builds_everything(installed):
    """Weights from a static server on 127.0.0.1 (a copy of weights/), pinned
    by the packaged manifest; every registered architecture builds."""
    handler = functools.partial(_QuietHandler, directory=str(ROOT / "weights"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        got = _run(installed, """
            import json, advzoo, numpy as np
            model = advzoo.load("dcgan_fashion_mnist", progress=False)
            images = model.generate(4, seed=0)
            built = sorted(n for n in advzoo.list_models()
                           if advzoo.load(n, weights=None).compiled)
            print(json.dumps({"images": images.tolist(), "built": built}))
        """, ADVZOO_WEIGHTS_URL=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
    reference = advzoo.load("dcgan_fashion_mnist").generate(4, seed=0)
    np.testing.assert_allclose(np.asarray(got["images"], np.float32), reference, atol=1e-5)
    assert got["built"] == advzoo.list_models()
    assert (installed["root"] / "cache" / "dcgan_fashion_mnist" / presets.WEIGHTS_FILE).exists()


@needs_weights
def test_installed_weights_package_trains_and_evaluates_offline(installed):
    subprocess.run([sys.executable, "-m", "pip", "--python", str(installed["python"]), "install",
                    "-q", "--no-deps", "--no-index", "--ignore-installed",
                    str(installed["weights_wheel"])], check=True)
    cache = installed["root"] / "cache2"  # an empty cache: the package must serve the files
    out = _cli(installed, "eval", "fashion_mnist_classifier", "--json", "m.json",
               ADVZOO_CACHE_DIR=str(cache))
    measured = json.loads((installed["work"] / "m.json").read_text())["metrics"]
    assert measured == presets.preset_entry("fashion_mnist_classifier")["metrics"], out.stdout
    assert not cache.exists() or not any(cache.rglob("*.h5"))
    run_dir = installed["work"] / "run"
    _cli(installed, "train", "dcgan_fashion_mnist", "--run-dir", str(run_dir), "--epochs", "1",
         "--max-steps-per-epoch", "2", ADVZOO_CACHE_DIR=str(cache))
    assert (run_dir / "final.weights.h5").exists() and (run_dir / "samples" / "latest.png").exists()
    recipe = ROOT / "zoo_configs" / "dcgan_fashion_mnist.yaml"
    _cli(installed, "train", str(recipe), "--run-dir", str(run_dir / "by_path"), "--epochs", "1",
         "--max-steps-per-epoch", "1", ADVZOO_CACHE_DIR=str(cache))
    assert (run_dir / "by_path" / "final.weights.h5").exists()


def test_corrupt_packaged_manifest_is_refused(installed, tmp_path):
    bad = tmp_path / "manifest.json"
    bad.write_text('{"presets": {"dcgan_fashion_mnist": {}}}')
    out = _cli(installed, "list", check=False, ADVZOO_MANIFEST=str(bad))
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "dcgan_fashion_mnist" in out.stderr and "non-empty mapping" in out.stderr
