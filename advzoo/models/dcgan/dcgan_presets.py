"""The `dcgan` family: how recipes build, feed, evaluate, show and tune a DCGAN."""

from advzoo.models.dcgan.dcgan_model import DCGAN
from advzoo.models.gan_presets import gan_family


def hypermodel(recipe=None, n_eval_samples=2000, **_):
    from advzoo.models.dcgan.dcgan_tuning import DCGANHyperModel

    return DCGANHyperModel(n_eval_samples=n_eval_samples)


FAMILY = gan_family("dcgan", DCGAN, hypermodel=hypermodel)
