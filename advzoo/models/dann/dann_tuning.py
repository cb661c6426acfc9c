"""keras-tuner search space of the `dann` family."""

import keras
import keras_tuner as kt


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
        from advzoo.models.dann.dann_model import DomainAdversarialNet

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

        from advzoo.models.dann.dann_schedules import GradientReversalSchedule

        callbacks = list(callbacks or [])
        if model.adversary != "none":
            callbacks.append(GradientReversalSchedule(self.steps_per_epoch * epochs,
                                                      lambda_max=hp.get("lambda_max")))
        model.fit(*args, epochs=epochs, callbacks=callbacks, **kwargs)
        x, y = self.validation_data
        probs = model.predict(x, batch_size=512, verbose=0)
        return {"validation_accuracy": float(np.mean(np.asarray(probs).argmax(-1) == y))}
