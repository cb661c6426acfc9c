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
