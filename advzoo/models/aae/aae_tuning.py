"""keras-tuner search space of the `aae` family."""

import keras
import keras_tuner as kt


class AAEHyperModel(kt.HyperModel):
    """Searches an adversarial autoencoder (code size, prior width, phase
    learning rates). Objective: squared MMD between the encoded validation
    images and the prior (lower is better), or, for the semi-supervised
    variant, validation accuracy.

    Args:
        variant: the AAE variant to search.
        validation_data: `(images in [-1, 1], labels)`.
    """

    def __init__(self, validation_data, variant="unsupervised", **kwargs):
        super().__init__(**kwargs)
        self.validation_data = validation_data
        self.variant = variant
        self.objective = (kt.Objective("validation_accuracy", direction="max")
                          if variant == "semisupervised"
                          else kt.Objective("mmd_to_prior", direction="min"))

    def build(self, hp):
        from advzoo.models.aae.aae_model import AdversarialAutoencoder

        model = AdversarialAutoencoder(
            variant=self.variant, latent_dim=hp.Choice("latent_dim", [2, 8, 16], default=8),
            width=hp.Choice("width", [16, 32], default=32),
            prior_std=hp.Choice("prior_std", [1.0, 5.0], default=1.0))
        lr_ae = hp.Float("autoencoder_lr", 1e-4, 3e-3, sampling="log", default=1e-3)
        lr_adv = hp.Float("adversarial_lr", 5e-5, 1e-3, sampling="log", default=2e-4)
        model.compile(optimizers={p.name: keras.optimizers.Adam(
            lr_ae if p.name in ("autoencoder", "classifier") else lr_adv, beta_1=0.5)
            for p in model.players()})
        return model

    def fit(self, hp, model, *args, **kwargs):
        import numpy as np

        from advzoo.models.aae.aae_metrics import mmd_to_prior

        model.fit(*args, **kwargs)
        x, y = self.validation_data
        if self.variant == "semisupervised":
            return {"validation_accuracy": float(np.mean(model.classify(x).argmax(-1) == y))}
        code = model.encode(x)
        z = code[1] if isinstance(code, tuple) else code
        return {"mmd_to_prior": mmd_to_prior(z, model.prior_samples(len(z), seed=0))}
