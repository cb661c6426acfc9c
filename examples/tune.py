"""A keras-tuner search on a family's own HyperModel: four short DCGAN trials
scored by classifier-FID (lower is better), the best hyperparameters printed.

Shows: `advzoo.tuning.hypermodel_for(family)` gives a `kt.HyperModel` with an
explicit `objective`; any keras-tuner tuner can drive it.

Runs about 3 minutes on 2 CPU cores:
    .venv/bin/python examples/tune.py [--trials 4] [--steps 100]
"""

import argparse

import keras_tuner as kt

import advzoo


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--steps", type=int, default=100, help="training steps per trial")
    args = parser.parse_args()
    x, _ = advzoo.data.load("fashion_mnist", "train")
    hypermodel = advzoo.tuning.hypermodel_for("dcgan", n_eval_samples=1000)
    tuner = kt.RandomSearch(hypermodel, objective=hypermodel.objective, max_trials=args.trials,
                            seed=0, directory="runs/tune_example", project_name="dcgan",
                            overwrite=True)
    tuner.search(advzoo.data.make_dataset(x, batch_size=64).take(args.steps), epochs=1,
                 verbose=1)
    best = tuner.oracle.get_best_trials(1)[0]
    print(f"best {hypermodel.objective.name}: {best.score:.2f} with {best.hyperparameters.values}")


if __name__ == "__main__":
    main()
