"""keras-tuner search space of the `triplet` family (objective: ERS)."""

import keras
import keras_tuner as kt


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
        from advzoo.models.triplet.triplet_losses import MINERS
        from advzoo.models.triplet.triplet_model import TripletEmbedder

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
        from advzoo.models.triplet.triplet_attacks import RankingAttacks
        from advzoo.models.triplet.triplet_retrieval import retrieval_metrics

        model.fit(*args, **kwargs)
        x, y = self.validation_data
        retrieval = retrieval_metrics(model.embed(x), y)
        attacks = RankingAttacks(model, x, y, steps=self.attack_steps,
                                 step_size=min(77 / 255, 1.25 * (77 / 255) / self.attack_steps))
        report = attacks.report(n_queries=self.n_queries, verbose=False)
        return {"validation_ers": report["ERS"], "validation_r1": retrieval["R@1"]}
