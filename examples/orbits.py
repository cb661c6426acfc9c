"""Orbit vs spiral: the bilinear game min_x max_y xy under three update rules,
drawn with advzoo's OrbitTracker (the seed's "weight traces" picture), and
the same picture for the pretrained DCGAN trained on for a few hundred steps.

Run (about 6 minutes on 2 CPU cores, most of it the DCGAN's 400 steps under
two update rules):  .venv/bin/python examples/orbits.py [--gan-steps 400]
      -> orbits_out/<rule>.png, orbits_out/dcgan_<rule>.png
"""

import argparse
from pathlib import Path

import keras
import numpy as np

from advzoo.games import OrbitTracker
from advzoo.games.toys import BilinearGame


def main(out=Path("orbits_out")):
    for rule in ("simultaneous", "alternating", "extragradient"):
        game = BilinearGame()
        game.compile(optimizers={"min": keras.optimizers.SGD(0.1),
                                 "max": keras.optimizers.SGD(0.1)}, game=rule)
        tracker = OrbitTracker(every=1, path=out / f"{rule}.png")
        game.fit(np.zeros((1, 1), "float32"), epochs=150, verbose=0, callbacks=[tracker])
        summary = ", ".join(f"{k} {v:.3f}" for k, v in tracker.summary().items())
        print(f"{rule:<14} final (x, y) = ({game.state()[0]:+.3f}, {game.state()[1]:+.3f}); {summary}")
    print(f"pictures in {out}/")


def gan(out=Path("orbits_out"), steps=400):
    import advzoo

    x, _ = advzoo.data.load("fashion_mnist", "train")
    for rule in ("alternating", "optimistic"):
        model = advzoo.load("dcgan_fashion_mnist")
        model.compile(optimizers={"generator": model.generator_optimizer,
                                  "discriminator": model.discriminator_optimizer},
                      game=rule, jit_compile=True)
        tracker = OrbitTracker(every=5, path=out / f"dcgan_{rule}.png")
        model.fit(advzoo.data.make_dataset(x, batch_size=64).take(steps), epochs=1, verbose=0,
                  callbacks=[tracker])
        summary = ", ".join(f"{k} {v:.3f}" for k, v in tracker.summary().items())
        print(f"dcgan {rule:<12} {steps} steps from the pretrained weights; {summary}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gan-steps", type=int, default=400, help="0 skips the DCGAN part")
    args = parser.parse_args()
    main()
    if args.gan_steps:
        gan(steps=args.gan_steps)
