"""advzoo in one minute: load a pretrained GAN, generate, evaluate, write a grid.

Run from the repository root (about 1 minute on 2 CPU cores, most of it scoring
10,000 samples):  .venv/bin/python examples/demo.py
Writes demo_out/dcgan_samples.png and prints classifier-FID next to the
recorded value and the real-data floor.
"""

import json
from pathlib import Path

import numpy as np

import advzoo
from advzoo.data import CLASS_NAMES
from advzoo.utils.images import save_grid

OUT = Path("demo_out")


def main():
    print("registered models:", ", ".join(advzoo.list_models()))
    print("with pretrained weights:", ", ".join(advzoo.list_models(pretrained=True)))

    model = advzoo.load("dcgan_fashion_mnist")
    images = model.generate(100, seed=0)
    grid = save_grid(images, OUT / "dcgan_samples.png", nrow=10)
    print(f"\n100 samples -> {grid}")

    info = advzoo.info("dcgan_fashion_mnist")
    print(f"\nevaluating 10,000 samples of dcgan_fashion_mnist "
          f"(trained {info['epochs']} epochs, {info['train_seconds'] / 60:.0f} min wall-clock on a 2-core CPU) ...")
    metrics = advzoo.metrics.evaluate_generator(model, n_samples=10000, seed=0)
    recorded = info["metrics"]
    for key in ("classifier_fid", "classifier_fid_real_floor", "kid", "precision", "recall"):
        print(f"  {key:<27} {metrics[key]:<10} (recorded {recorded.get(key)})")
    print("  class histogram of samples (evaluator's predictions):")
    for name, share in zip(CLASS_NAMES, metrics["class_histogram"]):
        print(f"    {name:<12} {share:6.1%} " + "#" * int(round(share * 100)))
    (OUT / "metrics.json").write_text(json.dumps(metrics, indent=1))
    assert np.isfinite(metrics["classifier_fid"])
    print(f"\nwrote {OUT / 'metrics.json'}")


if __name__ == "__main__":
    main()
