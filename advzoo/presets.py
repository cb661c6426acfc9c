"""Pretrained presets: the manifest, verified weight files, downloads, export.

Weights are resolved per file, in order: the user cache (`ADVZOO_CACHE_DIR`),
the bundled `weights/` directory, then a download from `ADVZOO_WEIGHTS_URL`
(any HTTP server holding a copy of `weights/`). Every file is checked against
the sha256 recorded in the bundled manifest before use. Downloads go to a
temporary file next to their destination, are verified, and only then renamed
into place (atomic), under a file lock so that concurrent processes loading
the same preset neither clash nor see partial files. A corrupt or truncated
download is deleted and reported; the cache never holds an unverified file.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from advzoo import _paths

MANIFEST_NAME = "manifest.json"
WEIGHTS_FILE = "model.weights.h5"
CONFIG_FILE = "config.json"


class WeightsIntegrityError(ValueError):
    """A weights file does not have the recorded size or sha256."""


class NoPretrainedWeights(LookupError):
    """A registered model has no published weights."""


def sha256_of(path, chunk=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def manifest_path(root=None):
    return Path(root or _paths.bundled_weights_dir()) / MANIFEST_NAME


def read_manifest(root=None):
    path = manifest_path(root)
    if not path.exists():
        return {"format": 1, "presets": {}}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON ({e}); restore it from git.") from e


def preset_entry(name):
    entry = read_manifest()["presets"].get(name)
    if entry is None:
        notes = ""
        try:
            from advzoo.registry import get_recipe

            notes = get_recipe(name).get("notes", "")
        except ValueError:
            pass
        raise NoPretrainedWeights(
            f"No pretrained weights are published for {name!r}." + (f" ({notes})" if notes else "")
            + f" Train them with `advzoo train zoo_configs/{name}.yaml --export`, or build the "
            f"architecture with random weights: `advzoo.load({name!r}, weights=None)`.")
    return entry


def _verify(path, record):
    size = path.stat().st_size
    if size != record["size"]:
        raise WeightsIntegrityError(f"{path} has {size} bytes, expected {record['size']} "
                                    "(truncated or wrong file).")
    digest = sha256_of(path)
    if digest != record["sha256"]:
        raise WeightsIntegrityError(f"{path} has sha256 {digest[:16]}…, expected "
                                    f"{record['sha256'][:16]}… (corrupt or wrong file).")


@contextlib.contextmanager
def _locked(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(str(path) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def download(url, dest, record, progress=True, timeout=60):
    """Downloads `url` to `dest`, verified against `record` (sha256, size),
    atomically and under a lock. Returns `dest`."""
    dest = Path(dest)
    with _locked(dest):
        if dest.exists():
            try:
                _verify(dest, record)
                return dest  # another process finished it meanwhile
            except WeightsIntegrityError:
                pass  # replaced below, only by a verified file
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
                bar = None
                if progress:
                    from keras.utils import Progbar

                    bar = Progbar(record["size"], unit_name="B")
                done = 0
                for block in iter(lambda: resp.read(1 << 16), b""):
                    out.write(block)
                    done += len(block)
                    if bar is not None:
                        bar.update(min(done, record["size"]))
            try:
                _verify(Path(tmp), record)
            except WeightsIntegrityError as e:
                raise WeightsIntegrityError(f"Download from {url} failed verification: {e} "
                                            "Nothing was written to the cache.") from None
            os.replace(tmp, dest)
        except (urllib.error.URLError, OSError) as e:
            raise ConnectionError(f"Could not download {url}: {e}") from e
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    return dest


def resolve_file(name, filename, record, progress=True):
    """Returns a verified local path of one preset file (cache, bundle, download)."""
    cached = _paths.cache_dir() / name / filename
    bundled = _paths.bundled_weights_dir() / name / filename
    problems = []
    for candidate in (cached, bundled):
        if candidate.exists():
            try:
                _verify(candidate, record)
                return candidate
            except WeightsIntegrityError as e:
                problems.append(str(e))
    base = _paths.weights_url()
    if base is None:
        raise FileNotFoundError(
            f"Weights file {filename!r} of {name!r} is not in the cache ({cached}) or the "
            f"bundled weights ({bundled}). " + " ".join(problems) + " Set ADVZOO_WEIGHTS_URL "
            "to a server holding a copy of advzoo's weights/ directory to download it.")
    return download(f"{base}/{name}/{filename}", cached, record, progress=progress)


def weights_path(name, progress=True):
    """Verified local path of a preset's `model.weights.h5`."""
    entry = preset_entry(name)
    return resolve_file(name, WEIGHTS_FILE, entry["files"][WEIGHTS_FILE], progress=progress)


def _library_versions():
    import keras
    import numpy
    import tensorflow

    import advzoo

    return {"advzoo": advzoo.__version__, "keras": keras.__version__,
            "tensorflow": tensorflow.__version__, "numpy": numpy.__version__}


def optimizer_state_published(recipe):
    """Whether a preset's weights file carries its optimizers' state (the
    default). Recipes of large models set `export: {optimizer_state: false}`
    to publish the model weights alone (a third of the size with Adam);
    `advzoo.load` then gives fresh optimizer state."""
    return bool(recipe.get("export", {}).get("optimizer_state", True))


def _bare_model(recipe):
    """An uncompiled model of `recipe`: no optimizer variables."""
    from advzoo.registry import get_family

    return get_family(recipe["family"]).build(recipe)


def load_model_weights_only(model, path, recipe):
    """Loads a weights file without optimizer state into a compiled model."""
    bare = _bare_model(recipe)
    bare.load_weights(path)
    model.set_weights(bare.get_weights())


def export_preset(model, recipe, metrics, summary, root=None):
    """Writes `root/<name>/{model.weights.h5, config.json}` and records them
    (sha256, size, metrics, recipe, versions, training time) in the manifest."""
    import keras

    root = Path(root or _paths.bundled_weights_dir())
    name = recipe["name"]
    out = root / name
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / ("tmp." + WEIGHTS_FILE)
    with_optimizer = optimizer_state_published(recipe)
    if with_optimizer:
        model.save_weights(tmp)
    else:
        bare = _bare_model(recipe)
        bare.set_weights(model.get_weights())
        bare.save_weights(tmp)
    os.replace(tmp, out / WEIGHTS_FILE)
    config = {"recipe": recipe, "keras_config": keras.saving.serialize_keras_object(model)}
    (out / CONFIG_FILE).write_text(json.dumps(config, indent=1, default=str))
    files = {f: {"sha256": sha256_of(out / f), "size": (out / f).stat().st_size}
             for f in (WEIGHTS_FILE, CONFIG_FILE)}
    with _locked(manifest_path(root)):
        manifest = read_manifest(root)
        manifest["presets"][name] = {
            "description": recipe["description"], "paper": recipe.get("paper"),
            "dataset": recipe.get("dataset"), "family": recipe["family"],
            "files": files, "metrics": metrics, "train_seconds": summary.get("train_seconds"),
            "epochs": summary.get("epochs"), "recipe": recipe, "versions": _library_versions(),
            "optimizer_state": with_optimizer,
            "reproduce": f"advzoo train zoo_configs/{name}.yaml --export",
            "evaluate": f"advzoo eval {name}",
        }
        manifest["presets"] = dict(sorted(manifest["presets"].items()))
        text = json.dumps(manifest, indent=1, sort_keys=False) + "\n"
        tmpm = manifest_path(root).with_suffix(".json.tmp")
        tmpm.write_text(text)
        os.replace(tmpm, manifest_path(root))
    return out
