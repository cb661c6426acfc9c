#!/usr/bin/env bash
# Installs everything advzoo needs on a fresh machine, idempotently:
#  - Fashion-MNIST from Debian's dataset-fashion-mnist (when apt is available;
#    elsewhere advzoo falls back to Keras's download),
#  - a virtual environment .venv with advzoo (editable) and its test tools.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    echo "setup: installing Fashion-MNIST (dataset-fashion-mnist) with apt"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null
  else
    echo "setup: apt not available; Fashion-MNIST will come from Keras's download"
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
if ! .venv/bin/python -c "import advzoo, pytest, keras_tuner, build" >/dev/null 2>&1; then
  echo "setup: installing advzoo and its dependencies into .venv (a few minutes)"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[test]'
fi
echo "setup: ready"
