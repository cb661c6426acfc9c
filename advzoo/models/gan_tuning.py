"""The keras-tuner HyperModel base shared by GAN families: the objective is
classifier-FID of the samples (lower is better)."""

import keras_tuner as kt

from advzoo.metrics.generative import evaluate_generator


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
