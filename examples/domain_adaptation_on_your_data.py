"""Domain adaptation on your own images: a DANN trained on labelled source
images and unlabelled target images, compared with the same network trained
on the source alone.

Shows: `adaptation_dataset` for ((source images, labels), target images)
batches, `DomainAdversarialNet` with the DANN schedules and the intensity
augmentation, and AdaBN at test time. Replace `load_domains` with your own arrays (uint8 RGB or floats in
[-1, 1]; greyscale images need `advzoo.data.to_rgb`).

Runs about 2 minutes on 2 CPU cores (2 epochs on 10,000 images per domain):
    .venv/bin/python examples/domain_adaptation_on_your_data.py [--epochs 2]
Measured here: target test accuracy, source only 59.9 % (61.1 % with AdaBN),
DANN 60.2 % (62.6 % with AdaBN). Two short epochs leave the adversary little
to do; the published `dann_fashion_mnist_m` (8 epochs on 25,000 images per
domain, with a mean teacher) reaches 79.2 %.
"""

import argparse

import keras
import numpy as np

import advzoo
from advzoo.models.dann import (DANNLearningRate, DomainAdversarialNet,
                                GradientReversalSchedule, adaptation_dataset,
                                batch_norm_adapted)


def load_domains(n=10000):
    """Labelled clean garments (source) and textured ones (target)."""
    xs, ys = advzoo.data.load("fashion_mnist", "train")
    xt, yt = advzoo.data.load("fashion_mnist_m", "train")
    xt_test, yt_test = advzoo.data.load("fashion_mnist_m", "test")
    return (advzoo.data.to_rgb(xs[:n]), ys[:n]), xt[:n], (xt_test, yt_test)


def fit(adversary, source, target, epochs):
    keras.utils.set_random_seed(0)
    ds, steps = adaptation_dataset(*source, target, batch_size=128)
    total = epochs * steps
    model = DomainAdversarialNet(image_shape=(28, 28, 3), width=16, batch_norm=True,
                                 input_norm="instance", augment="intensity",
                                 adversary=adversary, lambda_=0.0)
    optimizers = {"task": keras.optimizers.Adam(DANNLearningRate(1e-3, total))}
    if adversary == "reversal":
        optimizers["adversary"] = keras.optimizers.Adam(1e-2)
    model.compile(optimizers=optimizers, game="joint")
    callbacks = [GradientReversalSchedule(total, lambda_max=0.3)] if adversary != "none" else []
    model.fit(ds, epochs=epochs, steps_per_epoch=steps, callbacks=callbacks, verbose=2)
    return model


def accuracy(model, x, y, target_images=None):
    x = advzoo.data.to_float(x)
    if target_images is None:
        return float(np.mean(model.predict(x, verbose=0).argmax(-1) == y))
    with batch_norm_adapted(model, advzoo.data.to_float(target_images)):
        return float(np.mean(model.predict(x, verbose=0).argmax(-1) == y))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    source, target, (x_test, y_test) = load_domains()
    for adversary in ("none", "reversal"):
        model = fit(adversary, source, target, args.epochs)
        print(f"{'source only' if adversary == 'none' else 'DANN':<12} target test accuracy "
              f"{accuracy(model, x_test, y_test):.3f}, with AdaBN "
              f"{accuracy(model, x_test, y_test, target):.3f}")


if __name__ == "__main__":
    main()
