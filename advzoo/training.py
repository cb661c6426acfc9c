"""Training a preset from its recipe: recipe -> family -> fit -> checkpoints
-> export. Checkpoints, resume, sample grids and the final export all live
here; the CLI only parses arguments."""

import csv
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import keras

from advzoo.callbacks import DivergenceGuard, EpochCheckpoint, SampleGrid
from advzoo.distribute import (check_global_batch, check_same_on_every_worker, get_strategy,
                               is_chief, shard_by_data, task_name)
from advzoo import presets
from advzoo.recipes import (RecipeError, attach, read_recipe, recipe_differences,
                            validate_recipe)
from advzoo.recipe_schema import validate_for_family
from advzoo.registry import get_family, get_recipe
from advzoo.utils.files import atomic_write_text
from advzoo.utils.images import plot_history


class TrainingDiverged(RuntimeError):
    """Training stopped on a NaN/inf or exploding loss."""


def build_model(recipe, strategy=None):
    """Builds and compiles the model a recipe describes (random init)."""
    family = get_family(recipe["family"])
    validate_for_family(recipe, family)
    with get_strategy(strategy).scope():
        model = family.build(recipe)
        family.compile(model, recipe)
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and not optimizer.built:
            # Built now (not lazily at the first step) so that checkpoints and
            # published weights restore the optimizer state too.
            optimizer.build(model.trainable_variables)
    return attach(model, recipe)


def _read_csv_history(path):
    history = {}
    if not Path(path).exists():
        return history
    with open(path) as f:
        for row in csv.DictReader(f):
            for k, v in row.items():
                if k != "epoch":
                    try:
                        history.setdefault(k, []).append(float(v))
                    except (TypeError, ValueError):
                        history.setdefault(k, []).append(float("nan"))
    return history


def resolve_recipe(recipe):
    """A recipe dict from a dict, a registered name or a path to a YAML file."""
    if isinstance(recipe, dict):
        return validate_recipe(recipe)
    text = str(recipe)
    if not (text.endswith((".yaml", ".yml")) or "/" in text):
        return get_recipe(text)
    if not Path(text).is_file():
        from advzoo.registry import recipe_paths, suggest

        stem = Path(text).name.rsplit(".", 1)[0]
        raise RecipeError(f"Recipe file {text} does not exist.{suggest(stem, recipe_paths())} "
                          "Pass a registered name (`advzoo list`) or a path to a recipe .yaml.")
    return read_recipe(recipe)


def train(recipe, run_dir=None, resume=False, overwrite=False, epochs=None, strategy=None,
          verbose="auto", max_steps_per_epoch=None, export=False, export_dir=None,
          allow_recipe_change=False, save_freq=None):
    """Trains a preset from its recipe, and optionally exports it.

    Args:
        recipe: a registered name, a path to a recipe YAML file, or a recipe dict.
        run_dir: where checkpoints, logs, grids and the final weights go
            (default `runs/<name>`). On a multi-worker cluster only the chief
            writes here (the other workers write to temporary directories they
            delete), and every worker resumes from the checkpoint here, so it
            must be storage every worker reads (see docs/guides/scaling_out.md).
        resume: continue from the last checkpoint in `run_dir`; `"auto"`:
            continue if there is one, else start afresh (what restarted
            cluster jobs want).
        overwrite: discard an existing checkpoint and start afresh.
        epochs: override the recipe's epoch count.
        strategy: see `advzoo.distribute.get_strategy` (`"multi_worker"`
            reads `TF_CONFIG`).
        verbose: Keras progress-bar verbosity.
        max_steps_per_epoch: cap steps per epoch (quick smoke runs).
        export: evaluate the trained model and write its preset directory and
            manifest entry (see `export`); refused for runs that override the
            recipe (`epochs`, `max_steps_per_epoch`).
        export_dir: the weights directory to export into (default: the
            source checkout's `weights/`).
        allow_recipe_change: with `resume`, accept a recipe that differs from
            the checkpointed run's (the difference is applied -- the new
            learning rates replace the checkpoint's -- and recorded in
            `recipe_changes.json`); without it such a resume is refused,
            naming the differing keys.
        save_freq: also checkpoint every `save_freq` steps inside an epoch
            (default: at the end of each epoch only); a resumed run then
            loses at most `save_freq` steps (default `train.save_freq`).

    Returns:
        `(model, run_dir, summary)` where summary has `epochs`, `train_seconds`
        and, with `export`, `metrics` and `exported_to`.
    """
    recipe = resolve_recipe(recipe)
    if export and (epochs or max_steps_per_epoch):
        raise ValueError("export refuses runs that override the recipe (--epochs, "
                         "--max-steps-per-epoch): the manifest must describe exactly the recipe.")
    if resume not in (True, False, "auto"):
        raise ValueError(f"resume must be True, False or 'auto', got {resume!r}.")
    strategy = get_strategy(strategy)
    check_global_batch(strategy, int(recipe["train"].get("batch_size", 64)))
    check_same_on_every_worker(strategy, recipe, "recipe")
    run_dir = Path(run_dir or Path("runs") / recipe["name"])
    if is_chief(strategy):
        return _train(recipe, run_dir, run_dir, strategy, resume, overwrite, epochs, verbose,
                      max_steps_per_epoch, export, export_dir, allow_recipe_change, save_freq)
    # another worker: the same computation (every step and every evaluation
    # takes part in collectives), its files in a scratch directory it deletes
    scratch = Path(tempfile.mkdtemp(prefix=f"advzoo-{task_name(strategy).replace(' ', '')}-"))
    try:
        model, _, summary = _train(recipe, run_dir, scratch, strategy, resume, overwrite, epochs,
                                   verbose, max_steps_per_epoch, export,
                                   scratch / "export", allow_recipe_change, save_freq)
        summary.pop("exported_to", None)
        return model, run_dir, summary
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _train(recipe, run_dir, write_dir, strategy, resume, overwrite, epochs, verbose,
           max_steps_per_epoch, export, export_dir, allow_recipe_change, save_freq):
    """`train`'s body: restores from `run_dir`, writes to `write_dir` (the
    same directory except on a cluster's non-chief workers)."""
    family = get_family(recipe["family"])
    saved = EpochCheckpoint(run_dir / "checkpoint")  # the checkpoint every worker resumes from
    if resume == "auto":
        resume = saved.exists()
    if saved.exists() and not (resume or overwrite):
        raise FileExistsError(
            f"{run_dir} holds a checkpoint of an earlier run (epoch "
            f"{json.loads(saved.state_path.read_text())['epoch']}). Pass resume=True "
            "(`--resume`) to continue it or overwrite=True (`--overwrite`) to start afresh.")
    if resume and not saved.exists():
        raise FileNotFoundError(f"--resume: no checkpoint found in {saved.directory}.")
    changes = _check_resumed_recipe(run_dir, recipe, allow_recipe_change) if resume else {}
    save_freq = save_freq or recipe["train"].get("save_freq")
    checkpoint = EpochCheckpoint(write_dir / "checkpoint", save_freq=save_freq)
    write_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(write_dir / "recipe.json", json.dumps(recipe, indent=1))

    keras.utils.set_random_seed(int(recipe["train"].get("seed", 0)))
    model = build_model(recipe, strategy)
    if resume:  # the checkpoint's weights and optimizer moments, the recipe's learning rates
        initial_epoch = keeping_learning_rates(model, lambda: saved.restore(model))
        checkpoint.state = dict(saved.state)
        step = saved.state.get("step", 0)
        print(f"resuming {run_dir} from its checkpoint of epoch {initial_epoch}"
              + (f" step {step} (the epoch restarts from its first batch)" if step else ""),
              flush=True)
        if write_dir == run_dir:
            _keep_logged_epochs(run_dir / "log.csv", initial_epoch)
            if changes:
                _record_changes(run_dir, changes, initial_epoch)
    else:
        initial_epoch = 0
        if recipe["train"].get("init_from"):
            keeping_learning_rates(model, lambda: _initialise_from(
                model, recipe["train"]["init_from"]))
    check_same_on_every_worker(strategy, {"epoch": initial_epoch, "step": saved.state.get("step", 0)
                                          if resume else 0},
                               f"checkpoint to resume from (every worker must read {saved.directory})")
    total_epochs = int(epochs or recipe["train"].get("epochs", 1))
    dataset, steps = family.train_data(recipe)
    dataset = shard_by_data(dataset)
    if max_steps_per_epoch:
        dataset, steps = dataset.take(max_steps_per_epoch), max_steps_per_epoch

    guard = DivergenceGuard(checkpoint)
    callbacks = [guard]
    if family.callbacks is not None:
        callbacks += family.callbacks(recipe, steps)
    callbacks.append(keras.callbacks.CSVLogger(str(write_dir / "log.csv"),
                                               append=bool(resume) and write_dir == run_dir))
    if family.samples is not None:
        callbacks.append(SampleGrid(family.samples, write_dir / "samples",
                                    tensorboard_dir=write_dir / "tensorboard"))
    callbacks.append(checkpoint)  # last: an epoch is checkpointed once all else is logged
    start = time.time()
    if initial_epoch < total_epochs:
        try:
            model.fit(dataset, epochs=total_epochs, initial_epoch=initial_epoch,
                      steps_per_epoch=steps, callbacks=callbacks, verbose=verbose)
        except FloatingPointError:
            if not guard.diverged:  # the guard restored the checkpoint and says so below
                raise
    else:  # a finished run: its last checkpoint was taken before fit ended
        _finalize_averages(model)
    history = _read_csv_history(write_dir / "log.csv")
    if history:
        plot_history(history, write_dir / "loss_curves.png", title=recipe["name"])
    if guard.diverged:
        raise TrainingDiverged(f"{recipe['name']} diverged ({guard.diverged}); the last good "
                               f"checkpoint is kept in {checkpoint.directory}.")
    summary = {"epochs": total_epochs,
               "train_seconds": round(checkpoint.state.get("train_seconds", time.time() - start), 1)}
    if strategy.num_replicas_in_sync > 1:
        summary["replicas"] = strategy.num_replicas_in_sync
    tmp = write_dir / "final.tmp.weights.h5"  # renamed into place: never a partial file
    model.save_weights(tmp)
    os.replace(tmp, write_dir / "final.weights.h5")
    atomic_write_text(write_dir / "summary.json", json.dumps(summary, indent=1))
    if export:
        summary["metrics"] = family.evaluate(model, recipe)
        summary["exported_to"] = str(export_preset(model, recipe, summary["metrics"], summary,
                                                   root=export_dir))
    return model, run_dir, summary


def export_preset(model, recipe, metrics, summary, root=None):
    """Writes a trained model's preset directory and manifest entry (without
    optimizer state when the recipe says `export: {optimizer_state: false}`)."""
    bare = None if presets.optimizer_state_published(recipe) else \
        get_family(recipe["family"]).build(recipe)
    return presets.export_preset(model, recipe, metrics, summary, root=root, bare=bare)


def _keep_logged_epochs(path, epochs):
    """Drops the log rows of epochs at or after `epochs` (those the resumed
    run trains again: logged, then interrupted before their checkpoint), so
    that `log.csv` keeps exactly one row per epoch."""
    if not Path(path).exists():
        return
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return
    header, body = rows[0], rows[1:]
    column = header.index("epoch") if "epoch" in header else None
    kept = [r for r in body if column is not None and len(r) == len(header)
            and r[column].isdigit() and int(r[column]) < epochs]
    if len(kept) != len(body):
        tmp = Path(f"{path}.tmp")
        with open(tmp, "w", newline="") as f:
            csv.writer(f).writerows([header, *kept])
        os.replace(tmp, path)


def _check_resumed_recipe(run_dir, recipe, allow):
    stored_path = Path(run_dir) / "recipe.json"
    if not stored_path.exists():
        return {}
    stored = validate_recipe(json.loads(stored_path.read_text()))
    changes = recipe_differences(stored, recipe)
    if changes and not allow:
        listed = "; ".join(f"{k}: {old!r} -> {new!r}" for k, (old, new) in changes.items())
        raise ValueError(f"--resume: the recipe differs from the one {run_dir} was trained with "
                         f"({listed}). Resume with the original recipe, start afresh with "
                         "--overwrite, or pass --allow-recipe-change to continue under the "
                         "new settings (recorded in recipe_changes.json).")
    return changes


def _record_changes(run_dir, changes, epoch):
    path = Path(run_dir) / "recipe_changes.json"
    history = json.loads(path.read_text()) if path.exists() else []
    history.append({"from_epoch": epoch,
                    "changes": {k: {"old": old, "new": new} for k, (old, new) in changes.items()}})
    atomic_write_text(path, json.dumps(history, indent=1, default=str))


def _optimizers(model):
    if hasattr(model, "players"):
        return [model.optimizer_for(p) for p in model.players()]
    return [model.optimizer] if getattr(model, "optimizer", None) is not None else []


def keeping_learning_rates(model, load):
    """Runs `load()` (which restores weights and optimizer variables from a
    file) and puts back the learning rates the recipe compiled: a file's
    optimizer state carries the rate it was trained with, which must not
    silently override the recipe's. Learning-rate schedules are functions of
    the step count and need nothing. Returns what `load` returns."""
    rates = [(opt, opt.get_config()["learning_rate"]) for opt in _optimizers(model)]
    rates = [(opt, float(rate)) for opt, rate in rates
             if isinstance(rate, (int, float))]  # a schedule is a dict here
    out = load()
    for opt, rate in rates:
        opt.learning_rate = rate
    return out


def _finalize_averages(model):
    """What `fit` does last: optimizers with `use_ema=True` put their moving
    average of the weights into the model (checkpoints, taken at the end of
    each epoch inside `fit`, hold the raw weights and the average)."""
    if hasattr(model, "finalize_averages"):
        model.finalize_averages()
    elif getattr(getattr(model, "optimizer", None), "use_ema", False):
        model.optimizer.finalize_variable_values(model.trainable_variables)


def _initialise_from(model, name):
    """Starts from a published preset's weights, or a `.weights.h5` file
    (recipe `train.init_from`), e.g. adversarial fine-tuning of a plainly
    trained model."""
    text = str(name)
    path = Path(text) if text.endswith(".weights.h5") else None
    if path is None and ("/" in text or "." in Path(text).name):
        raise ValueError(f"train.init_from takes a registered preset name (`advzoo list`) or a "
                         f"path to a .weights.h5 file, got {text!r}.")
    if path is not None and not path.exists():
        raise FileNotFoundError(f"train.init_from: {path} does not exist.")
    bare = None
    if path is None:
        if not presets.optimizer_state_published(get_recipe(name)):
            bare = get_family(get_recipe(name)["family"]).build(get_recipe(name))
        path = presets.weights_path(name)
    try:
        presets.load_weights(model, path, bare=bare, what=f"train.init_from {name!r}")
    except ValueError as e:
        raise ValueError(f"train.init_from: the weights of {name!r} do not fit this recipe's "
                         f"model ({e}). init_from needs a preset of the same architecture.") from e


def load_finished_run(recipe, run_dir, ignore=("name", "description", "export")):
    """Returns `(model, train_seconds)` from a finished run directory
    (`final.weights.h5`, `recipe.json`, `summary.json`) that trained the same
    recipe (keys in `ignore` may differ), or None: scripts use it to reuse a
    run instead of training it again."""
    run_dir = Path(run_dir)
    needed = [run_dir / f for f in ("final.weights.h5", "recipe.json", "summary.json")]
    if not all(p.exists() for p in needed):
        return None
    blank = dict.fromkeys(ignore)
    stored = validate_recipe(json.loads((run_dir / "recipe.json").read_text()))
    if {**stored, **blank} != {**validate_recipe(recipe), **blank}:
        return None
    model = build_model(recipe)
    presets.load_weights(model, run_dir / "final.weights.h5", what=str(run_dir))
    return model, json.loads((run_dir / "summary.json").read_text())["train_seconds"]
