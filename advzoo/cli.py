"""The `advzoo` command line: list | info | train | eval | sample | download | tune.

`advzoo --help`, `list` and `info` read recipes and the manifest only: they
answer at once and never import TensorFlow. Commands that train or evaluate
show Keras progress bars. Every failure is one line on stderr and a non-zero
exit status; `--debug` shows the traceback instead.
"""

import argparse
import json
import os
import sys
from pathlib import Path


def _print_metrics(metrics, recorded=None):
    if not metrics:
        return
    width = max(len(k) for k in metrics)
    for key, value in metrics.items():
        line = f"  {key:<{width}}  {value}"
        if recorded and key in recorded and recorded[key] != value:
            line += f"   (recorded: {recorded[key]})"
        print(line)


def _quiet_tensorflow():
    """TensorFlow's C++ start-up lines (oneDNN, CUDA) are noise on the command line."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def cmd_list(args):
    import advzoo

    published = set(advzoo.list_models(pretrained=True))
    for name in advzoo.list_models(pretrained=args.pretrained):
        print(f"{name:<34} {'pretrained' if name in published else 'no weights'}")


def cmd_info(args):
    import advzoo

    info = advzoo.info(args.name)
    if args.json:
        print(json.dumps(info, indent=1, default=str))
        return
    for key in ("name", "family", "description", "paper", "dataset", "pretrained", "sha256",
                "size", "train_seconds", "epochs", "reproduce", "notes"):
        if info.get(key) is not None:
            print(f"{key:<14} {info[key]}")
    if info["recipe"].get("evaluate"):
        print("eval settings: " + ", ".join(f"{k}={v}" for k, v in info["recipe"]["evaluate"].items())
              + "  (override with `advzoo eval NAME --set KEY=VALUE`)")
    if info.get("metrics"):
        print("metrics:")
        _print_metrics(info["metrics"])


def cmd_train(args):
    _quiet_tensorflow()
    from advzoo.training import train

    if args.resume and args.auto_resume:
        raise ValueError("--resume and --auto-resume exclude each other: --resume requires a "
                         "checkpoint, --auto-resume uses one if there is one.")
    model, run_dir, summary = train(args.config, run_dir=args.run_dir,
                                    resume="auto" if args.auto_resume else args.resume,
                                    save_freq=args.save_freq,
                                    overwrite=args.overwrite, epochs=args.epochs,
                                    strategy=args.strategy,
                                    max_steps_per_epoch=args.max_steps_per_epoch,
                                    export=args.export, export_dir=args.export_dir,
                                    allow_recipe_change=args.allow_recipe_change)
    print(f"trained {summary['epochs']} epochs in {summary['train_seconds']} s; run in {run_dir}")
    if args.export and "exported_to" in summary:  # the chief exports; other workers do not
        print(f"exported to {summary['exported_to']}:")
        _print_metrics(summary["metrics"])


def _eval_overrides(pairs, family, name):
    import yaml

    overrides = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--set takes KEY=VALUE, got {pair!r}.")
        if key not in family.eval_options:
            allowed = ", ".join(f"{k} ({d})" for k, d in family.eval_options.items()) or "none"
            raise ValueError(f"{name} ({family.name}) has no evaluation setting {key!r}; "
                             f"settings: {allowed}.")
        overrides[key] = yaml.safe_load(value)
    return overrides


def cmd_eval(args):
    _quiet_tensorflow()
    import advzoo
    from advzoo import presets
    from advzoo.registry import get_family, get_recipe

    recipe = get_recipe(args.name)
    family = get_family(recipe["family"])
    recipe["evaluate"].update(_eval_overrides(args.set, family, args.name))
    model = advzoo.load(args.name, weights=args.weights or "pretrained")
    metrics = family.evaluate(model, recipe)
    recorded = None if args.weights else presets.preset_entry(args.name)["metrics"]
    print(f"{args.name}:")
    _print_metrics(metrics, recorded)
    if args.json:
        _write_text(args.json, json.dumps({"name": args.name, "metrics": metrics}, indent=1))
        print(f"wrote {args.json}")


def _write_text(path, text):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def cmd_sample(args):
    _quiet_tensorflow()
    import advzoo
    from advzoo.registry import get_family, get_recipe
    from advzoo.utils.images import save_grid

    family = get_family(get_recipe(args.name)["family"])
    if family.samples is None:
        raise ValueError(f"{args.name} is not a generative model ({family.name} declares no "
                         "samples).")
    model = advzoo.load(args.name)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    save_grid(family.samples(model, args.n, args.seed), args.out, nrow=args.nrow)
    print(f"wrote {args.out}")


def cmd_download(args):
    from advzoo import presets
    from advzoo.registry import get_recipe

    get_recipe(args.name)  # unknown names get the close matches
    print(presets.weights_path(args.name))


def cmd_tune(args):
    _quiet_tensorflow()
    from advzoo.tuning import search

    role, best = search(args.config, max_trials=args.max_trials, epochs=args.epochs,
                        steps_per_epoch=args.steps_per_epoch, n_eval_samples=args.n_eval_samples,
                        seed=args.seed, directory=args.directory, resume=args.resume,
                        distributed=args.distributed, strategy=args.strategy)
    if best is None:
        print(f"{role}: no trials left; the chief reports the best hyperparameters")
    else:
        print("best hyperparameters:", json.dumps(best))


def build_parser():
    parser = argparse.ArgumentParser(prog="advzoo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="registered models")
    p.add_argument("--pretrained", action="store_true", help="only models with weights")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("info", help="description, metrics, sha256 and recipe of a model")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("train", help="train a preset from its recipe")
    p.add_argument("config", help="a registered name or a path to a recipe .yaml")
    p.add_argument("--run-dir", help="checkpoints, logs and grids (default runs/<name>)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run")
    p.add_argument("--auto-resume", action="store_true",
                   help="continue if the run has a checkpoint, else start afresh (restarted "
                        "cluster jobs)")
    p.add_argument("--save-freq", type=int,
                   help="also checkpoint every N steps (default: epoch ends only)")
    p.add_argument("--overwrite", action="store_true", help="discard an earlier run's checkpoint")
    p.add_argument("--allow-recipe-change", action="store_true",
                   help="with --resume: continue under an edited recipe (recorded in the run)")
    p.add_argument("--epochs", type=int, help="override the recipe's epochs")
    p.add_argument("--max-steps-per-epoch", type=int, help="cap steps (smoke runs)")
    p.add_argument("--strategy", choices=["default", "mirrored", "multi_worker", "tpu"],
                   default=None, help="multi_worker reads TF_CONFIG (docs/guides/scaling_out.md)")
    p.add_argument("--export", action="store_true",
                   help="evaluate and write the preset directory + manifest entry")
    p.add_argument("--export-dir", help="weights directory (default: the checkout's weights/)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("eval", help="evaluate a pretrained model (prints, can write JSON)")
    p.add_argument("name")
    p.add_argument("--weights", help="evaluate this .weights.h5 instead of the published one")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override an evaluation setting (see `advzoo info NAME`), e.g. "
                        "--set n_samples=2000; repeatable")
    p.add_argument("--json", help="also write the metrics to this JSON file")
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
    p.add_argument("config", help="a registered name or a path to a recipe .yaml")
    p.add_argument("--max-trials", type=int, default=4)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--steps-per-epoch", type=int, default=200)
    p.add_argument("--n-eval-samples", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--directory", default="runs/tune")
    p.add_argument("--resume", action="store_true", help="continue an earlier search")
    p.add_argument("--distributed", action="store_true",
                   help="join a keras-tuner cluster as chief or worker (KERASTUNER_TUNER_ID, "
                        "KERASTUNER_ORACLE_IP, KERASTUNER_ORACLE_PORT)")
    p.add_argument("--strategy", choices=["default", "mirrored"], default=None,
                   help="tf.distribute strategy inside each trial")
    p.set_defaults(func=cmd_tune)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.debug:
        return args.func(args)
    try:
        args.func(args)
    except KeyboardInterrupt:
        sys.exit(f"advzoo {args.command}: interrupted")
    except Exception as e:  # noqa: BLE001 - one clear line; --debug shows the traceback
        kind = "" if isinstance(e, (ValueError, LookupError, ConnectionError, FileExistsError,
                                    FileNotFoundError)) else f"{type(e).__name__}: "
        sys.exit(f"advzoo {args.command}: {kind}{e}")


if __name__ == "__main__":
    main()
