"""The `advzoo` command line: list | info | train | eval | sample | download | tune."""

import argparse
import json
import sys
from pathlib import Path


def _print_metrics(metrics, recorded=None):
    width = max(len(k) for k in metrics)
    for key, value in metrics.items():
        line = f"  {key:<{width}}  {value}"
        if recorded and key in recorded and recorded[key] != value:
            line += f"   (recorded: {recorded[key]})"
        print(line)


def cmd_list(args):
    import advzoo

    published = set(advzoo.list_models(pretrained=True))
    for name in advzoo.list_models(pretrained=args.pretrained):
        print(f"{name:<32} {'pretrained' if name in published else 'no weights'}")


def cmd_info(args):
    import advzoo

    info = advzoo.info(args.name)
    if args.json:
        print(json.dumps(info, indent=1, default=str))
        return
    for key in ("name", "family", "description", "paper", "dataset", "pretrained", "sha256",
                "size", "train_seconds", "epochs", "reproduce"):
        if info.get(key) is not None:
            print(f"{key:<14} {info[key]}")
    if info.get("metrics"):
        print("metrics:")
        _print_metrics(info["metrics"])


def cmd_train(args):
    from advzoo import presets
    from advzoo.registry import get_family
    from advzoo.training import train

    if args.export and (args.epochs or args.max_steps_per_epoch):
        sys.exit("--export refuses runs that override the recipe (--epochs, "
                 "--max-steps-per-epoch): the manifest must describe exactly the recipe.")
    model, run_dir, summary = train(args.config, run_dir=args.run_dir, resume=args.resume,
                                    overwrite=args.overwrite, epochs=args.epochs,
                                    strategy=args.strategy,
                                    max_steps_per_epoch=args.max_steps_per_epoch)
    print(f"trained {summary['epochs']} epochs in {summary['train_seconds']} s; run in {run_dir}")
    model.save_weights(Path(run_dir) / "final.weights.h5")
    if args.export:
        recipe = json.loads((Path(run_dir) / "recipe.json").read_text())
        metrics = get_family(recipe["family"]).evaluate(model, recipe)
        out = presets.export_preset(model, recipe, metrics, summary, root=args.export_dir)
        print(f"exported to {out}:")
        _print_metrics(metrics)


def cmd_eval(args):
    import advzoo
    from advzoo import presets
    from advzoo.registry import get_family

    model = advzoo.load(args.name, weights=args.weights or "pretrained")
    recipe = (presets.preset_entry(args.name)["recipe"] if not args.weights
              else advzoo.info(args.name)["recipe"])
    options = {"n_samples": args.n_samples} if args.n_samples else {}
    for key in ("n_queries", "pgd_steps", "restarts"):  # ranking-attack settings (triplet)
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    metrics = get_family(recipe["family"]).evaluate(model, recipe, **options)
    recorded = None if args.weights else presets.preset_entry(args.name)["metrics"]
    print(f"{args.name}:")
    _print_metrics(metrics, recorded)
    if args.json:
        Path(args.json).write_text(json.dumps({"name": args.name, "metrics": metrics}, indent=1))
        print(f"wrote {args.json}")


def cmd_sample(args):
    import advzoo
    from advzoo.utils.images import save_grid

    model = advzoo.load(args.name)
    if not hasattr(model, "generate"):
        sys.exit(f"{args.name} is not a generative model (it has no generate()).")
    save_grid(model.generate(args.n, seed=args.seed), args.out, nrow=args.nrow)
    print(f"wrote {args.out}")


def cmd_download(args):
    from advzoo import presets

    print(presets.weights_path(args.name))


def cmd_tune(args):
    import keras_tuner as kt

    from advzoo.recipes import read_recipe
    from advzoo.registry import get_family
    from advzoo.tuning import hypermodel_for

    recipe = read_recipe(args.config)
    dataset, _ = get_family(recipe["family"]).train_data(recipe)
    if recipe["family"] == "dann":
        from advzoo import data as adata
        from advzoo.models.dann.dann_presets import validation_split

        x_val, y_val = validation_split(recipe)
        hypermodel = hypermodel_for("dann", recipe=recipe,
                                    validation_data=(adata.to_float(x_val), y_val),
                                    steps_per_epoch=args.steps_per_epoch)
    elif recipe["family"] == "aae":
        from advzoo import data as adata

        x_val, y_val = adata.load("fashion_mnist", "test")
        hypermodel = hypermodel_for("aae", validation_data=(adata.to_float(x_val[:2000]),
                                                             y_val[:2000]),
                                    variant=recipe["model"].get("variant", "unsupervised"))
    elif recipe["family"] == "triplet":
        from advzoo import data as adata
        from advzoo.models.triplet.triplet_presets import unit_images

        x_val, y_val = adata.load("fashion_mnist", "test")
        hypermodel = hypermodel_for("triplet", recipe=recipe,
                                    validation_data=(unit_images(x_val[:2000]), y_val[:2000]))
    else:
        hypermodel = hypermodel_for(recipe["family"], recipe=recipe,
                                    n_eval_samples=args.n_eval_samples)
    tuner = kt.RandomSearch(hypermodel, objective=hypermodel.objective,
                            max_trials=args.max_trials, seed=args.seed,
                            directory=args.directory, project_name=recipe["name"],
                            overwrite=not args.resume)
    tuner.search(dataset.take(args.steps_per_epoch), epochs=args.epochs, verbose=2)
    tuner.results_summary(num_trials=args.max_trials)
    best = tuner.get_best_hyperparameters(1)[0].values
    print("best hyperparameters:", json.dumps(best))


def build_parser():
    parser = argparse.ArgumentParser(prog="advzoo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="registered models")
    p.add_argument("--pretrained", action="store_true", help="only models with weights")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("info", help="description, metrics, sha256 and recipe of a model")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("train", help="train a preset from its recipe")
    p.add_argument("config", help="path to zoo_configs/<name>.yaml")
    p.add_argument("--run-dir", help="checkpoints, logs and grids (default runs/<name>)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run")
    p.add_argument("--overwrite", action="store_true", help="discard an earlier run's checkpoint")
    p.add_argument("--epochs", type=int, help="override the recipe's epochs")
    p.add_argument("--max-steps-per-epoch", type=int, help="cap steps (smoke runs)")
    p.add_argument("--strategy", choices=["default", "mirrored"], default=None)
    p.add_argument("--export", action="store_true",
                   help="evaluate and write the weights + manifest entry")
    p.add_argument("--export-dir", help="weights directory (default: bundled weights/)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("eval", help="evaluate a pretrained model (prints, can write JSON)")
    p.add_argument("name")
    p.add_argument("--weights", help="evaluate this .weights.h5 instead of the published one")
    p.add_argument("--n-samples", type=int, help="generated samples (default: recipe's)")
    p.add_argument("--json", help="also write the metrics to this JSON file")
    p.add_argument("--n-queries", type=int, help="triplet: attacked test queries")
    p.add_argument("--pgd-steps", type=int, help="triplet: PGD steps of every attack")
    p.add_argument("--restarts", type=int,
                   help="triplet: extra random-start runs per attack (gradient-masking check)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("sample", help="write a PNG grid of generated samples")
    p.add_argument("name")
    p.add_argument("--out", required=True)
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--nrow", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("download", help="fetch and verify a preset's weights; print the path")
    p.add_argument("name")
    p.set_defaults(func=cmd_download)

    p = sub.add_parser("tune", help="keras-tuner random search on a recipe's family")
    p.add_argument("config")
    p.add_argument("--max-trials", type=int, default=4)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--steps-per-epoch", type=int, default=200)
    p.add_argument("--n-eval-samples", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--directory", default="runs/tune")
    p.add_argument("--resume", action="store_true", help="continue an earlier search")
    p.set_defaults(func=cmd_tune)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ValueError, FileNotFoundError, FileExistsError, LookupError, ConnectionError) as e:
        sys.exit(f"advzoo {args.command}: {e}")


if __name__ == "__main__":
    main()
