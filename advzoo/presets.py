"""The weights store: the manifest, verified weight files, downloads, the one
weights loader, and preset directories.

A preset file is resolved in this order: the user cache (`ADVZOO_CACHE_DIR`),
a local directory laid out like `weights/` (`ADVZOO_WEIGHTS_DIR`), the source
checkout's `weights/`, the installed `advzoo-weights` distribution, and last
a download from `ADVZOO_WEIGHTS_URL` (any static host holding a copy of
`weights/`). Every file is checked against the sha256 and size that the
manifest shipped with advzoo records, before use. Downloads go to a temporary
file next to their destination, are verified, and only then renamed into
place (atomic), under a file lock, so that concurrent processes loading the
same preset neither clash nor see partial files. A corrupt or truncated file
is reported and never used; the cache never holds an unverified file.

This module knows nothing of families or the registry: whoever needs a model
built hands it in (paths go registry -> family -> weights -> model).
"""

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path

from advzoo import _paths

MANIFEST_NAME = "manifest.json"
WEIGHTS_FILE = "model.weights.h5"
CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"
_HEX = set("0123456789abcdef")


class WeightsIntegrityError(ValueError):
    """A weights file does not have the recorded size or sha256."""


class ManifestError(ValueError):
    """The manifest (or a preset's metadata) is unreadable or malformed."""


class NoPretrainedWeights(LookupError):
    """A registered model has no published weights."""


class WeightsNotFound(FileNotFoundError):
    """A published file is in none of the places advzoo looks."""


def sha256_of(path, chunk=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def file_record(path):
    return {"sha256": sha256_of(path), "size": Path(path).stat().st_size}


# ---------------------------------------------------------------- manifest
def manifest_path(root=None):
    return Path(root) / MANIFEST_NAME if root else _paths.manifest_file()


def _check_files(files, where):
    if not isinstance(files, dict) or WEIGHTS_FILE not in files:
        raise ManifestError(f"{where}: 'files' must map file names to {{sha256, size}} and "
                            f"include {WEIGHTS_FILE!r}, got {files!r}.")
    for fname, record in files.items():
        ok = (isinstance(record, dict) and isinstance(record.get("sha256"), str)
              and len(record["sha256"]) == 64 and set(record["sha256"]) <= _HEX
              and isinstance(record.get("size"), int) and record["size"] >= 0)
        if not ok:
            raise ManifestError(f"{where}: files[{fname!r}] must be {{'sha256': 64 hex digits, "
                                f"'size': bytes}}, got {record!r}.")


def validate_manifest(manifest, source="<manifest>"):
    """Checks a manifest's schema; returns it. Raises `ManifestError` naming
    what is wrong."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("presets"), dict):
        raise ManifestError(f"{source} is not an advzoo manifest: it must be a JSON object "
                            "with a 'presets' mapping (name -> entry). Restore it from the "
                            "package or from git.")
    for name, entry in manifest["presets"].items():
        where = f"{source}: preset {name!r}"
        if not isinstance(entry, dict) or not entry:
            raise ManifestError(f"{where} must be a non-empty mapping, got {entry!r}.")
        _check_files(entry.get("files"), where)
        for key, typ in (("metrics", dict), ("recipe", dict), ("family", str)):
            if not isinstance(entry.get(key), typ):
                raise ManifestError(f"{where}: {key!r} must be a {typ.__name__}, got "
                                    f"{entry.get(key)!r}.")
    return manifest


def read_manifest(root=None):
    """The manifest (`{"format": 1, "presets": {name: entry}}`), validated.
    A missing manifest is an empty one."""
    path = manifest_path(root)
    if not path.exists():
        return {"format": 1, "presets": {}}
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ManifestError(f"{path} is not valid JSON ({e}); reinstall advzoo or restore "
                            "the file from git.") from e
    return validate_manifest(manifest, str(path))


def preset_entry(name):
    """The manifest entry of a published preset, or `NoPretrainedWeights`."""
    if not manifest_path().exists():
        raise NoPretrainedWeights(
            f"The weights manifest {manifest_path()} is missing, so no weights of {name!r} can "
            "be verified (nor downloaded: ADVZOO_WEIGHTS_URL needs the manifest's sha256). "
            "Reinstall advzoo, restore weights/manifest.json from git, or point ADVZOO_MANIFEST "
            "at a manifest.")
    entry = read_manifest()["presets"].get(name)
    if entry is None:
        raise NoPretrainedWeights(
            f"No pretrained weights are published for {name!r} (manifest "
            f"{manifest_path()}). Train them with `advzoo train {name} --export "
            f"--export-dir DIR`, or build the architecture with random weights: "
            f"`advzoo.load({name!r}, weights=None)`.")
    return entry


def optimizer_state_published(recipe):
    """Whether a preset's weights file carries its optimizers' state (the
    default). Recipes of large models set `export: {optimizer_state: false}`
    to publish the model weights alone (a third of the size with Adam);
    `advzoo.load` then gives fresh optimizer state."""
    return bool(recipe.get("export", {}).get("optimizer_state", True))


# ---------------------------------------------------------------- files
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


ALLOWED_SCHEMES = ("http", "https")


class _SameSchemeRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects to other hosts (release pages and Hugging Face send
    downloads to a CDN) but never to another scheme: no https -> http
    downgrade, no file:// or ftp:// target."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        old = urllib.parse.urlsplit(req.full_url).scheme
        new = urllib.parse.urlsplit(newurl).scheme
        if new != old:
            raise urllib.error.URLError(f"refused a redirect from {old}:// to {new}:// "
                                        f"({newurl})")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_SameSchemeRedirects)


def check_url(url, what="ADVZOO_WEIGHTS_URL"):
    """Refuses anything but an http(s) URL with a host."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES or not parts.netloc:
        raise ValueError(f"{what}={url!r} is not an http(s) URL. Downloads use http:// or "
                         "https:// only; for files on this machine set ADVZOO_WEIGHTS_DIR "
                         "to the directory instead.")
    return url


def _remove_stale_parts(dest):
    """Partial downloads of `dest` left by a killed client. Called under
    `dest`'s lock: no live download of it can be writing one."""
    for stale in dest.parent.glob(dest.name + ".*.part"):
        try:
            stale.unlink()
        except OSError:
            pass


def download(url, dest, record, progress=True, timeout=60):
    """Downloads `url` to `dest`, verified against `record` (sha256, size),
    atomically and under a lock. Returns `dest`."""
    check_url(url, "download URL")
    dest = Path(dest)
    with _locked(dest):
        _remove_stale_parts(dest)
        if dest.exists():
            try:
                _verify(dest, record)
                return dest  # another process finished it meanwhile
            except WeightsIntegrityError:
                pass  # replaced below, only by a verified file
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out, _OPENER.open(url, timeout=timeout) as resp:
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
            os.chmod(tmp, 0o644)  # a shared cache: readable by everyone, like the bundle
            os.replace(tmp, dest)
        except (urllib.error.URLError, OSError) as e:
            raise ConnectionError(f"Could not download {url}: {e}") from e
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    return dest


def resolve_file(name, filename, record, progress=True):
    """Returns a verified local path of one preset file: the cache, the local
    weights directories, else a download into the cache."""
    cached = _paths.cache_dir() / name / filename
    looked, problems = [f"the cache ({cached})"], []
    candidates = [cached]
    for label, root in _paths.local_weights_dirs():
        candidates.append(root / name / filename)
        looked.append(f"the {label} ({root / name / filename})")
    for candidate in candidates:
        if candidate.exists():
            try:
                _verify(candidate, record)
                return candidate
            except (WeightsIntegrityError, OSError) as e:
                problems.append(str(e))
    base = _paths.weights_url()
    if base is not None:
        check_url(base)
    if base is None:
        found = (f"The weights of {name!r} ({filename}) were found but refused: "
                 + " ".join(problems) + " advzoo looked in " if problems else
                 f"The weights of {name!r} ({filename}) were not found. advzoo looked in ")
        raise WeightsNotFound(
            found + ", ".join(looked) + "."
            + " To fix it, either install the weights distribution (`pip install "
            "advzoo-weights`, or the wheel built by `python scripts/build_dists.py`), or set "
            "ADVZOO_WEIGHTS_URL to a server holding a copy of advzoo's weights/ directory, or "
            "work offline with ADVZOO_WEIGHTS_DIR=<a local copy of weights/>.")
    return download(f"{base}/{name}/{filename}", cached, record, progress=progress)


def weights_path(name, progress=True):
    """Verified local path of a published preset's `model.weights.h5`."""
    entry = preset_entry(name)
    return resolve_file(name, WEIGHTS_FILE, entry["files"][WEIGHTS_FILE], progress=progress)


# ---------------------------------------------------------------- the loader
def load_weights(model, path, bare=None, what=None):
    """The one way advzoo puts a weights file into a model.

    Args:
        model: the (compiled) model to fill.
        path: a `.weights.h5` file.
        bare: for a file saved without optimizer state, an uncompiled model
            of the same architecture to read it through (the model's own
            optimizers then keep their fresh state); None when the file
            holds everything the model has.
        what: a description for error messages (the preset or recipe name).

    Raises:
        ValueError: the file does not fit the architecture.
    """
    target = model if bare is None else bare
    what = what or getattr(model, "name", "the model")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            target.load_weights(path)
        except (ValueError, KeyError) as e:
            raise ValueError(f"{path} does not fit the architecture of {what}: {e}. "
                             "Pass weights saved from this same preset/recipe.") from e
    mismatched = [str(w.message) for w in caught if "Skipping variable loading" in str(w.message)
                  or "mismatch" in str(w.message).lower()]
    if mismatched:
        raise ValueError(f"{path} does not fit the architecture of {what}: {mismatched[0]}")
    if bare is not None:
        model.set_weights(bare.get_weights())
    return model


def _library_versions():
    import keras
    import numpy
    import tensorflow

    from advzoo._version import __version__

    return {"advzoo": __version__, "keras": keras.__version__,
            "tensorflow": tensorflow.__version__, "numpy": numpy.__version__}


# ---------------------------------------------------------------- preset dirs
def save_preset_dir(model, directory, recipe, metrics=None, summary=None, bare=None):
    """Writes a preset directory in keras-hub's layout: `config.json` (the
    Keras config), `model.weights.h5` and `metadata.json` (recipe, metrics,
    versions, training time and the sha256 and size of both files).

    The directory is written as one unit: into a temporary sibling, then
    renamed over the old one, so an interruption leaves the old preset or the
    new one, never a mix.

    Args:
        bare: an uncompiled model of the same architecture, to save the
            weights without optimizer state (None saves everything).

    Returns:
        The metadata dict.
    """
    import keras

    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}.tmp."))
    try:
        if bare is None:
            model.save_weights(tmp / WEIGHTS_FILE)
        else:
            bare.set_weights(model.get_weights())
            bare.save_weights(tmp / WEIGHTS_FILE)
        config = {"recipe": recipe, "keras_config": keras.saving.serialize_keras_object(model)}
        (tmp / CONFIG_FILE).write_text(json.dumps(config, indent=1, default=str))
        summary = summary or {}
        metadata = {
            "name": recipe["name"], "family": recipe["family"],
            "description": recipe.get("description"), "paper": recipe.get("paper"),
            "dataset": recipe.get("dataset"),
            "files": {f: file_record(tmp / f) for f in (WEIGHTS_FILE, CONFIG_FILE)},
            "metrics": dict(metrics or {}), "train_seconds": summary.get("train_seconds"),
            "epochs": summary.get("epochs"), "recipe": recipe,
            "versions": _library_versions(), "optimizer_state": bare is None,
        }
        (tmp / METADATA_FILE).write_text(json.dumps(metadata, indent=1, default=str) + "\n")
        old = None
        if directory.exists():
            old = directory.with_name(f".{directory.name}.old.{os.getpid()}")
            os.replace(directory, old)
        os.replace(tmp, directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return metadata


def read_preset_dir(directory):
    """Reads and verifies a preset directory written by `save_preset_dir`;
    returns `(metadata, weights path)`."""
    directory = Path(directory)
    meta_path = directory / METADATA_FILE
    if not meta_path.is_file():
        raise FileNotFoundError(
            f"{directory} is not an advzoo preset directory: it has no {METADATA_FILE}. A preset "
            "directory is what `advzoo.save_to_preset(model, directory)` writes.")
    try:
        metadata = json.loads(meta_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ManifestError(f"{meta_path} is not valid JSON ({e}).") from e
    if not isinstance(metadata, dict) or not isinstance(metadata.get("recipe"), dict):
        raise ManifestError(f"{meta_path} must be a JSON object with a 'recipe' mapping.")
    _check_files(metadata.get("files"), str(meta_path))
    for fname, record in metadata["files"].items():
        path = directory / fname
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing from the preset directory.")
        _verify(path, record)
    return metadata, directory / WEIGHTS_FILE


def export_preset(model, recipe, metrics, summary, root=None, bare=None):
    """Writes the preset directory `root/<name>/` and records it (sha256,
    size, metrics, recipe, versions, training time) in `root/manifest.json`.

    Args:
        root: the weights directory (default: the source checkout's
            `weights/`; an installed advzoo needs one given).
        bare: see `save_preset_dir` (for recipes that publish no optimizer state).
    """
    if root is None:
        root = _paths.checkout_weights_dir()
        if root is None:
            raise ValueError("Exporting needs a weights directory: pass --export-dir DIR "
                             "(export_dir=...) when advzoo is installed from a wheel.")
    root = Path(root)
    name = recipe["name"]
    metadata = save_preset_dir(model, root / name, recipe, metrics, summary, bare=bare)
    with _locked(manifest_path(root)):
        manifest = read_manifest(root)
        manifest["presets"][name] = {
            "description": recipe["description"], "paper": recipe.get("paper"),
            "dataset": recipe.get("dataset"), "family": recipe["family"],
            "files": {f: metadata["files"][f] for f in (WEIGHTS_FILE, CONFIG_FILE)},
            "metrics": metrics, "train_seconds": summary.get("train_seconds"),
            "epochs": summary.get("epochs"), "recipe": recipe, "versions": metadata["versions"],
            "optimizer_state": bare is None,
            "reproduce": f"advzoo train zoo_configs/{name}.yaml --export",
            "evaluate": f"advzoo eval {name}",
        }
        manifest["presets"] = dict(sorted(manifest["presets"].items()))
        text = json.dumps(manifest, indent=1, sort_keys=False) + "\n"
        tmpm = manifest_path(root).with_suffix(".json.tmp")
        tmpm.write_text(text)
        os.replace(tmpm, manifest_path(root))
    return root / name
