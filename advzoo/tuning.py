"""keras-tuner HyperModels whose objective is sample quality.

Example:
>>> import keras_tuner as kt
>>> hm = advzoo.tuning.DCGANHyperModel(n_eval_samples=2000)
>>> tuner = kt.RandomSearch(hm, objective=hm.objective, max_trials=4, directory="runs/tune")
>>> tuner.search(advzoo.data.make_dataset(x_train), epochs=2)
"""

import keras
import keras_tuner as kt

from advzoo.metrics.generative import evaluate_generator
from advzoo.models.dcgan import DCGAN
from advzoo.models.wgan import WGAN


class GANHyperModel(kt.HyperModel):
    """Base HyperModel for GAN families: `fit` trains, then scores the model by
    classifier-FID (lower is better), which is the declared `objective`.

    Args:
        n_eval_samples: generated images used to compute classifier-FID.
        eval_seed: seed of those samples.
        dataset: reference dataset of the evaluator.
    """

    objective = kt.Objective("classifier_fid", direction="min")

    def __init__(self, n_eval_samples=2000, eval_seed=0, dataset="fashion_mnist", **kwargs):
        super().__init__(**kwargs)
        self.n_eval_samples = n_eval_samples
        self.eval_seed = eval_seed
        self.dataset = dataset

    def fit(self, hp, model, *args, **kwargs):
        history = model.fit(*args, **kwargs)
        metrics = evaluate_generator(model, self.n_eval_samples, self.eval_seed, self.dataset)
        return {"classifier_fid": metrics["classifier_fid"],
                "discriminator_loss": float(history.history["discriminator_loss"][-1])}


class DCGANHyperModel(GANHyperModel):
    """Searches DCGAN learning rates, Adam betas, latent size and width."""

    def build(self, hp):
        model = DCGAN(latent_dim=hp.Choice("latent_dim", [32, 64, 128], default=64),
                      width=hp.Choice("width", [16, 32, 48], default=32))
        beta_1 = hp.Choice("beta_1", [0.0, 0.5, 0.9], default=0.5)
        beta_2 = hp.Choice("beta_2", [0.9, 0.999], default=0.999)
        lr_g = hp.Float("generator_lr", 5e-5, 1e-3, sampling="log", default=2e-4)
        lr_d = hp.Float("discriminator_lr", 5e-5, 1e-3, sampling="log", default=2e-4)
        model.compile(optimizers={
            "generator": keras.optimizers.Adam(lr_g, beta_1=beta_1, beta_2=beta_2),
            "discriminator": keras.optimizers.Adam(lr_d, beta_1=beta_1, beta_2=beta_2)})
        return model


class WGANHyperModel(GANHyperModel):
    """Searches a WGAN, in one of two variants:

    * `"gp"` (WGAN-GP): Adam learning rates and beta_2, n_critic, penalty
      weight, the update rule (alternating / optimistic / extragradient), width;
    * `"clip"` (the original weight-clipped WGAN): RMSProp learning rates,
      clip value, n_critic, batch norm in the critic, the update rule, width.

    Args:
        variant: `"gp"` or `"clip"` (`hypermodel_for("wgan", recipe)` picks
            it from the recipe).
        **kwargs: see `GANHyperModel`.
    """

    VARIANTS = ("gp", "clip")

    def __init__(self, variant="gp", **kwargs):
        if variant not in self.VARIANTS:
            raise ValueError(f"WGANHyperModel variant must be one of {self.VARIANTS}, "
                             f"got {variant!r}.")
        super().__init__(**kwargs)
        self.variant = variant

    def build(self, hp):
        common = {"latent_dim": hp.Choice("latent_dim", [32, 64], default=64),
                  "width": hp.Choice("width", [16, 32], default=32),
                  "n_critic": hp.Choice("n_critic", [1, 2, 5], default=5)}
        if self.variant == "gp":
            model = WGAN(gradient_penalty=hp.Float("gradient_penalty", 1.0, 20.0,
                                                   sampling="log", default=10.0), **common)
            beta_2 = hp.Choice("beta_2", [0.9, 0.99], default=0.9)
            lr_g = hp.Float("generator_lr", 3e-5, 1e-3, sampling="log", default=1e-4)
            lr_d = hp.Float("discriminator_lr", 3e-5, 1e-3, sampling="log", default=1e-4)
            optimizers = {"generator": keras.optimizers.Adam(lr_g, beta_1=0.5, beta_2=beta_2),
                          "discriminator": keras.optimizers.Adam(lr_d, beta_1=0.5, beta_2=beta_2)}
        else:
            model = WGAN(gradient_penalty=0.0,
                         clip_value=hp.Choice("clip_value", [0.005, 0.01, 0.02], default=0.01),
                         critic_batch_norm=hp.Boolean("critic_batch_norm", default=True),
                         **common)
            lr_g = hp.Float("generator_lr", 1e-5, 5e-4, sampling="log", default=5e-5)
            lr_d = hp.Float("discriminator_lr", 1e-5, 5e-4, sampling="log", default=5e-5)
            optimizers = {"generator": keras.optimizers.RMSprop(lr_g),
                          "discriminator": keras.optimizers.RMSprop(lr_d)}
        model.compile(optimizers=optimizers,
                      game=hp.Choice("game", ["alternating", "optimistic", "extragradient"],
                                     default="alternating"))
        return model


class BiGANHyperModel(GANHyperModel):
    """Searches BiGAN: learning rates, discriminator dropout, latent size, width.
    The objective is classifier-FID of its samples (as for every GAN family)."""

    def build(self, hp):
        from advzoo.models.bigan import BiGAN

        model = BiGAN(latent_dim=hp.Choice("latent_dim", [32, 64, 128], default=64),
                      width=hp.Choice("width", [16, 32], default=32),
                      discriminator_dropout=hp.Float("discriminator_dropout", 0.0, 0.5,
                                                     step=0.1, default=0.2))
        lr_g = hp.Float("generator_lr", 5e-5, 1e-3, sampling="log", default=2e-4)
        lr_d = hp.Float("discriminator_lr", 5e-5, 1e-3, sampling="log", default=2e-4)
        model.compile(optimizers={"generator": keras.optimizers.Adam(lr_g, beta_1=0.5),
                                  "discriminator": keras.optimizers.Adam(lr_d, beta_1=0.5)})
        return model


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
        from advzoo.models.aae import AdversarialAutoencoder

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

        from advzoo.models.aae.aae_presets import mmd_to_prior

        model.fit(*args, **kwargs)
        x, y = self.validation_data
        if self.variant == "semisupervised":
            return {"validation_accuracy": float(np.mean(model.classify(x).argmax(-1) == y))}
        code = model.encode(x)
        z = code[1] if isinstance(code, tuple) else code
        return {"mmd_to_prior": mmd_to_prior(z, model.prior_samples(len(z), seed=0))}


class DANNHyperModel(kt.HyperModel):
    """Searches a domain-adversarial classifier: the final reversal strength,
    learning rate, adversary/feature learning-rate ratio (two time scales),
    embedding size, update rule, the weight of the target entropy and
    diversity terms (one weight for both; they only act on adaptation
    batches), whether training images get the intensity augmentation
    (`augment="intensity"`) and the weight of the mean-teacher consistency
    (`target_consistency`; when positive the task optimizer keeps the weight
    average the teacher needs, with the recipe's `ema_momentum`, default
    0.99) and, for a recipe that puts an MMD term next to its adversary
    (`mmd_weight > 0`), that weight on a log range around the recipe's own.
    The objective is accuracy on labelled validation data that you
    choose: target validation labels (oracle model selection) or, honestly
    unsupervised, the source validation split.

    Args:
        recipe: a `dann` recipe (its model settings are the starting point).
        validation_data: `(images in [-1, 1], labels)` scored after training.
        steps_per_epoch: steps of one epoch, for the reversal schedule.

    Example:
    >>> hm = DANNHyperModel(recipe, (x_val, y_val), steps_per_epoch=195)
    >>> tuner = kt.RandomSearch(hm, objective=hm.objective, max_trials=6)
    >>> tuner.search(dataset, epochs=5, steps_per_epoch=195)
    """

    objective = kt.Objective("validation_accuracy", direction="max")

    def __init__(self, recipe, validation_data, steps_per_epoch, **kwargs):
        super().__init__(**kwargs)
        self.recipe = recipe
        self.validation_data = validation_data
        self.steps_per_epoch = int(steps_per_epoch)

    def build(self, hp):
        from advzoo.models.dann import DomainAdversarialNet

        model_cfg = dict(self.recipe["model"])
        default_dim = int(model_cfg.get("feature_dim", 128))
        model_cfg["feature_dim"] = hp.Choice("feature_dim", sorted({64, 128, 256, default_dim}),
                                             default=default_dim)
        default_im = float(model_cfg.get("target_entropy", 0.0))
        model_cfg["target_entropy"] = model_cfg["target_diversity"] = hp.Choice(
            "target_weight", sorted({0.0, 0.1, 0.3, default_im}), default=default_im)
        model_cfg["augment"] = ("intensity" if hp.Boolean(
            "intensity_augment", default=bool(model_cfg.get("augment"))) else None)
        default_mt = float(model_cfg.get("target_consistency", 0.0))
        model_cfg["target_consistency"] = hp.Choice(
            "target_consistency", sorted({0.0, 1.0, 3.0, default_mt}), default=default_mt)
        default_mmd = float(model_cfg.get("mmd_weight", 0.0))
        if default_mmd:
            model_cfg["mmd_weight"] = hp.Float("mmd_weight", default_mmd / 3, 3 * default_mmd,
                                               sampling="log", default=default_mmd)
        model = DomainAdversarialNet(**model_cfg)
        lr = hp.Float("learning_rate", 1e-4, 3e-3, sampling="log", default=1e-3)
        ratio = hp.Choice("adversary_lr_ratio", [1.0, 3.0, 10.0], default=10.0)
        task_cfg = (self.recipe.get("compile", {}).get("optimizers", {}).get("task") or {}).get(
            "config", {})
        ema = ({"use_ema": True, "ema_momentum": float(task_cfg.get("ema_momentum", 0.99))}
               if model.target_consistency else {})
        # around the recipe's own final strength (0.3 for DANN, 1 for forgetting, 10 for an MMD alone)
        lam = float((self.recipe.get("train", {}).get("lambda_schedule") or {}).get(
            "lambda_max", 0.3))
        hp.Float("lambda_max", min(0.03, lam / 10), max(1.0, 3 * lam), sampling="log",
                 default=lam)
        optimizers = {"task": keras.optimizers.Adam(lr, **ema)}
        if model.adversary == "reversal":
            optimizers["adversary"] = keras.optimizers.Adam(lr * ratio)
        model.compile(optimizers=optimizers,
                      game=hp.Choice("game", ["joint", "alternating"], default="joint"))
        return model

    def fit(self, hp, model, *args, epochs=1, callbacks=None, **kwargs):
        import numpy as np

        from advzoo.models.dann import GradientReversalSchedule

        callbacks = list(callbacks or [])
        if model.adversary != "none":
            callbacks.append(GradientReversalSchedule(self.steps_per_epoch * epochs,
                                                      lambda_max=hp.get("lambda_max")))
        model.fit(*args, epochs=epochs, callbacks=callbacks, **kwargs)
        x, y = self.validation_data
        probs = model.predict(x, batch_size=512, verbose=0)
        return {"validation_accuracy": float(np.mean(np.asarray(probs).argmax(-1) == y))}


class TripletHyperModel(kt.HyperModel):
    """Searches a Hardness-Manipulation triplet model: the training radius
    epsilon, PGD steps per training step, the destination hardness rule and
    the ICS weight (the PGD step is set so the whole ball is reachable). The
    objective is ERS on validation queries (all ten attacks, with the
    evaluation budget you give), reported with R@1.

    Args:
        validation_data: `(images in [0, 1], labels)`: the retrieval database
            and the pool of attacked queries.
        n_queries: attacked queries per trial.
        attack_steps: PGD steps of the evaluation attacks.
        recipe: optional `triplet` recipe whose model settings are the start.

    Example:
    >>> hm = TripletHyperModel((x_val, y_val), n_queries=200)
    >>> tuner = kt.RandomSearch(hm, objective=hm.objective, max_trials=4)
    >>> tuner.search(pair_dataset(x, y, 112), epochs=1, steps_per_epoch=200)
    """

    objective = kt.Objective("validation_ers", direction="max")

    def __init__(self, validation_data, n_queries=200, attack_steps=16, recipe=None, **kwargs):
        super().__init__(**kwargs)
        self.validation_data = validation_data
        self.n_queries, self.attack_steps = int(n_queries), int(attack_steps)
        self.recipe = recipe

    def build(self, hp):
        from advzoo.models.triplet import MINERS, TripletEmbedder

        cfg = dict((self.recipe or {}).get("model", {}))
        cfg["defense"] = "hm"
        eps = hp.Choice("epsilon_255", [16, 32, 77], default=77) / 255.0
        steps = hp.Choice("pgd_steps", [1, 3, 5, 8], default=5)
        cfg.update(epsilon=eps, pgd_steps=steps, step_size=min(eps, 1.25 * eps / steps),
                   destination=hp.Choice("destination", ["lga", *MINERS, "0.0"], default="lga"),
                   ics_weight=hp.Choice("ics_weight", [0.0, 0.05, 0.5, 1.0], default=0.5))
        if cfg["destination"] == "0.0":
            cfg["destination"] = 0.0
        model = TripletEmbedder(**cfg)
        model.compile(optimizers={"embedder": keras.optimizers.Adam(
            hp.Float("learning_rate", 3e-4, 3e-3, sampling="log", default=1e-3))})
        return model

    def fit(self, hp, model, *args, **kwargs):
        from advzoo.models.triplet import RankingAttacks, retrieval_metrics

        model.fit(*args, **kwargs)
        x, y = self.validation_data
        retrieval = retrieval_metrics(model.embed(x), y)
        attacks = RankingAttacks(model, x, y, steps=self.attack_steps,
                                 step_size=min(77 / 255, 1.25 * (77 / 255) / self.attack_steps))
        report = attacks.report(n_queries=self.n_queries, verbose=False)
        return {"validation_ers": report["ERS"], "validation_r1": retrieval["R@1"]}


HYPERMODELS = {"dcgan": DCGANHyperModel, "wgan": WGANHyperModel, "bigan": BiGANHyperModel,
               "aae": AAEHyperModel, "dann": DANNHyperModel, "triplet": TripletHyperModel}


def hypermodel_for(family, recipe=None, **kwargs):
    """The HyperModel of a registered family name (`dann` needs the recipe,
    validation data and steps per epoch, `aae` and `triplet` validation data;
    for `wgan` the recipe picks the clipped or the gradient-penalty search;
    see their classes)."""
    if family not in HYPERMODELS:
        raise ValueError(f"No HyperModel for family {family!r}; available: {sorted(HYPERMODELS)}.")
    if family == "dann":
        return DANNHyperModel(recipe, **kwargs)
    if family == "triplet":
        return TripletHyperModel(recipe=recipe, **kwargs)
    if family == "wgan" and recipe is not None:
        m = recipe.get("model", {})
        clipped = bool(m.get("clip_value")) and not m.get("gradient_penalty", 10.0)
        kwargs.setdefault("variant", "clip" if clipped else "gp")
    return HYPERMODELS[family](**kwargs)
