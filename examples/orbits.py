"""Orbit vs spiral: the bilinear game min_x max_y xy under three update rules,
drawn with advzoo's OrbitTracker (the seed's "weight traces" picture).

Run:  .venv/bin/python examples/orbits.py   -> orbits_out/<rule>.png
"""

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


if __name__ == "__main__":
    main()
