"""keras-tuner HyperModels. Each family declares its own search space (in
`advzoo/models/<family>/<family>_tuning.py`); this module finds it.

Example:
>>> import keras_tuner as kt
>>> hm = advzoo.tuning.hypermodel_for("dcgan", n_eval_samples=2000)
>>> tuner = kt.RandomSearch(hm, objective=hm.objective, max_trials=4, directory="runs/tune")
>>> tuner.search(advzoo.data.make_dataset(x_train), epochs=2)
"""

from advzoo.models.aae.aae_tuning import AAEHyperModel
from advzoo.models.bigan.bigan_tuning import BiGANHyperModel
from advzoo.models.dann.dann_tuning import DANNHyperModel
from advzoo.models.dcgan.dcgan_tuning import DCGANHyperModel
from advzoo.models.gan_tuning import GANHyperModel
from advzoo.models.triplet.triplet_tuning import TripletHyperModel
from advzoo.models.wgan.wgan_tuning import WGANHyperModel
from advzoo.registry import get_family

__all__ = ["AAEHyperModel", "BiGANHyperModel", "DANNHyperModel", "DCGANHyperModel",
           "GANHyperModel", "TripletHyperModel", "WGANHyperModel", "hypermodel_for"]


def hypermodel_for(family, recipe=None, **kwargs):
    """The HyperModel a family declares, for a recipe (its settings are the
    starting point) or with defaults.

    Args:
        family: a family name, or a recipe dict (its `family`).
        recipe: the recipe, when `family` is a name.
        **kwargs: passed to the family's HyperModel factory (e.g.
            `validation_data`, `steps_per_epoch`, `n_eval_samples`; the
            family supplies default validation data).
    """
    if isinstance(family, dict):
        family, recipe = family["family"], family
    declared = get_family(family)
    if declared.hypermodel is None:
        raise ValueError(f"Family {family!r} declares no HyperModel (Family.hypermodel).")
    return declared.hypermodel(recipe, **kwargs)


TUNER_ENV = ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT")


def tuning_role(distributed, environ=None):
    """`"local"`, `"chief"` (the oracle) or `"worker <id>"` for a search.

    Raises:
        ValueError: `distributed` without the keras-tuner cluster variables,
            or those variables set without `distributed` (a search that would
            silently join or wait for a cluster).
    """
    import os

    env = os.environ if environ is None else environ
    present = [k for k in TUNER_ENV if env.get(k)]
    if not distributed:
        if present:
            raise ValueError(f"{', '.join(present)} set but --distributed not given: pass "
                             "--distributed to join the tuning cluster, or unset them for a "
                             "local search.")
        return "local"
    missing = [k for k in TUNER_ENV if not env.get(k)]
    if missing:
        raise ValueError(
            f"--distributed tuning needs the oracle's address and this process's id; missing "
            f"{', '.join(missing)}. Set e.g. KERASTUNER_ORACLE_IP=10.0.0.1 "
            "KERASTUNER_ORACLE_PORT=8000 and KERASTUNER_TUNER_ID=chief on the oracle's host, "
            "tuner0, tuner1, ... on the workers (docs/guides/scaling_out.md).")
    port = env["KERASTUNER_ORACLE_PORT"]
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"KERASTUNER_ORACLE_PORT must be a port number 1-65535, got {port!r}.")
    tuner_id = env["KERASTUNER_TUNER_ID"]
    return "chief" if tuner_id == "chief" else f"worker {tuner_id}"


def search(recipe, max_trials=4, epochs=1, steps_per_epoch=200, n_eval_samples=2000, seed=0,
           directory="runs/tune", resume=False, distributed=False, strategy=None, verbose=2):
    """A keras-tuner random search over a recipe's family, locally or as one
    process of keras-tuner's distributed tuning (a chief oracle and workers
    over gRPC, `KERASTUNER_*` variables).

    Args:
        recipe: a registered name, a recipe path or dict.
        max_trials, epochs, steps_per_epoch, n_eval_samples, seed: the search.
        directory: the tuner's directory (on a cluster, shared by every worker:
            each trial's checkpoints and `trial.json` go here).
        resume: continue an earlier search in `directory` (workers of a
            cluster always continue: a restarted worker must not wipe it).
        distributed: join a tuning cluster as chief or worker (see `tuning_role`).
        strategy: the `tf.distribute` strategy inside each trial (e.g.
            `"mirrored"` on a worker with several GPUs).

    Returns:
        `(role, best_hyperparameters or None)`: the chief and a local search
        return the best values; workers return None.
    """
    import keras_tuner as kt

    from advzoo.distribute import get_strategy
    from advzoo.training import resolve_recipe

    role = tuning_role(distributed)
    recipe = resolve_recipe(recipe)
    dataset, _ = get_family(recipe["family"]).train_data(recipe)
    hypermodel = hypermodel_for(recipe, steps_per_epoch=steps_per_epoch,
                                n_eval_samples=n_eval_samples)
    tuner = kt.RandomSearch(
        hypermodel, objective=hypermodel.objective, max_trials=max_trials, seed=seed,
        directory=directory, project_name=recipe["name"],
        overwrite=not resume and role in ("local", "chief"),
        distribution_strategy=None if strategy in (None, "default") else get_strategy(strategy))
    tuner.search(dataset.take(steps_per_epoch), epochs=epochs, verbose=verbose)
    if role.startswith("worker"):
        return role, None
    tuner.results_summary(num_trials=max_trials)
    return role, tuner.get_best_hyperparameters(1)[0].values
