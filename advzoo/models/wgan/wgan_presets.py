"""The `wgan` family (WGAN with clipping and WGAN-GP share one model class)."""

from advzoo.models.gan_presets import gan_family
from advzoo.models.wgan.wgan_model import WGAN


def hypermodel(recipe=None, n_eval_samples=2000, variant=None, **_):
    """The clipped or the gradient-penalty search, as the recipe's model is."""
    from advzoo.models.wgan.wgan_tuning import WGANHyperModel

    if variant is None and recipe is not None:
        m = recipe.get("model", {})
        clipped = bool(m.get("clip_value")) and not m.get("gradient_penalty", 10.0)
        variant = "clip" if clipped else "gp"
    return WGANHyperModel(variant=variant or "gp", n_eval_samples=n_eval_samples)


FAMILY = gan_family("wgan", WGAN, hypermodel=hypermodel)
