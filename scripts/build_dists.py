"""Builds advzoo's distributions into `dist/` (or `--out DIR`):

* `advzoo-<version>.tar.gz` and `advzoo-<version>-py3-none-any.whl`: the
  library, with the recipes and the weights manifest as package data;
* `advzoo_weights-<version>-py3-none-any.whl`: every published preset's
  files from `weights/` (checked against the manifest's sha256 first), as
  the importable package `advzoo_weights`. pip can hash-pin it, any package
  index can mirror it, and it installs from an offline wheelhouse.

    python scripts/build_dists.py [--out dist] [--no-weights]

The weights wheel is written here with the standard library (a wheel is a
zip with a RECORD of sha256 digests) because it holds data only.
"""

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = "advzoo_weights"


def _version():
    scope = {}
    exec((ROOT / "advzoo" / "_version.py").read_text(), scope)
    return scope["__version__"]


def _digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_library(out):
    """sdist, then the wheel built from that sdist (so the sdist is proven
    to carry everything the wheel needs)."""
    out.mkdir(parents=True, exist_ok=True)
    run = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out)]
    subprocess.run(run + ["--sdist", str(ROOT)], check=True, stdout=subprocess.DEVNULL)
    sdist = out / f"advzoo-{_version()}.tar.gz"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(sdist)], check=True)
    return sdist, out / f"advzoo-{_version()}-py3-none-any.whl"


def build_weights(out, weights_dir=ROOT / "weights"):
    """The weights wheel: the manifest and every file it records, verified."""
    version = _version()
    manifest_path = weights_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    files = {f"{NAME}/manifest.json": manifest_path.read_bytes(),
             f"{NAME}/__init__.py": (
                 '"""Pretrained weights of advzoo\'s presets, as package data: advzoo finds this\n'
                 'directory by itself (`advzoo.load(name)`); the files are `<name>/<file>`."""\n\n'
                 'from pathlib import Path\n\nROOT = Path(__file__).resolve().parent\n').encode()}
    for name, entry in sorted(manifest["presets"].items()):
        for fname, record in sorted(entry["files"].items()):
            data = (weights_dir / name / fname).read_bytes()
            if len(data) != record["size"] or hashlib.sha256(data).hexdigest() != record["sha256"]:
                raise SystemExit(f"{weights_dir / name / fname} does not match the manifest; "
                                 "refusing to package it.")
            files[f"{NAME}/{name}/{fname}"] = data
    info = f"{NAME}-{version}.dist-info"
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: advzoo-weights\nVersion: {version}\n"
        "Summary: Pretrained weights of advzoo's presets (sha256-pinned by advzoo's manifest).\n"
        "License: Apache-2.0\n").encode()
    files[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: advzoo build_dists\n"
                              b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    record = "".join(f"{path},{_digest(data)},{len(data)}\n" for path, data in files.items())
    record += f"{info}/RECORD,,\n"
    wheel = out / f"{NAME}-{version}-py3-none-any.whl"
    out.mkdir(parents=True, exist_ok=True)
    tmp = wheel.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for path, data in files.items():
            kind = zipfile.ZIP_STORED if path.endswith(".h5") else zipfile.ZIP_DEFLATED
            zf.writestr(zipfile.ZipInfo(path, date_time=(2026, 1, 1, 0, 0, 0)), data, kind)
        zf.writestr(zipfile.ZipInfo(f"{info}/RECORD", date_time=(2026, 1, 1, 0, 0, 0)), record)
    tmp.replace(wheel)
    return wheel


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "dist"))
    parser.add_argument("--no-weights", action="store_true", help="skip the weights wheel")
    parser.add_argument("--weights-only", action="store_true", help="only the weights wheel")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if not args.weights_only:
        for path in build_library(out):
            print(path)
    if not args.no_weights:
        print(build_weights(out))


if __name__ == "__main__":
    main()
