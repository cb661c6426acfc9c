"""The batches a domain-adversarial model trains and evaluates on: domain
adaptation (source images and labels, unlabelled target images) or attribute
batches (images, labels, nuisance[, weights]), checked and
unpacked into one form, and the weights that make a nuisance independent of
the label."""

import numpy as np
from keras import ops
from advzoo.compat import unscale_loss_for_distribution


class DomainBatches:
    """Batch handling of `DomainAdversarialNet` (a mixin of the model: it uses
    the model's `image_shape`, `adversary` and `_forward`/`_trackers`).

    `prepare_batch` returns `(images, labels, nuisance, labelled, weights)`."""

    def _check_images(self, x, where):
        shape = tuple(x.shape[1:])
        if shape != self.image_shape:
            hint = (" Convert greyscale images with `advzoo.data.to_rgb(images)`."
                    if shape[:2] == self.image_shape[:2] and shape[-1:] == (1,) else "")
            raise ValueError(f"{where}: {type(self).__name__} expects images of shape (batch, "
                             f"{', '.join(map(str, self.image_shape))}), got (batch, "
                             f"{', '.join(map(str, shape))}).{hint}")

    def prepare_batch(self, data):
        if isinstance(data, dict):
            data = ((data["source_images"], data["source_labels"]), data["target_images"])
        if (isinstance(data, (tuple, list)) and len(data) == 2
                and isinstance(data[0], (tuple, list))):
            (xs, ys), xt = data
            yt = None
            if isinstance(xt, (tuple, list)):  # (target_images, pseudo_labels); -1 = none
                xt, yt = xt
            self._check_images(xs, "source images")
            if tuple(xt.shape[1:]) != tuple(xs.shape[1:]):
                raise ValueError(
                    f"Target images have shape (batch, {', '.join(map(str, xt.shape[1:]))}) "
                    f"but source images (batch, {', '.join(map(str, xs.shape[1:]))}); both "
                    "domains must share one shape (use `advzoo.data.to_rgb` for greyscale).")
            ns, nt = ops.shape(xs)[0], ops.shape(xt)[0]
            x = ops.concatenate([xs, ops.cast(xt, xs.dtype)], 0)
            yt = (ops.full((nt,), -1, "int32") if yt is None
                  else ops.cast(ops.reshape(yt, (-1,)), "int32"))
            y = ops.concatenate([ops.cast(ops.reshape(ys, (-1,)), "int32"),
                                 ops.maximum(yt, 0)], 0)
            a = ops.concatenate([ops.zeros((ns,), "int32"), ops.ones((nt,), "int32")], 0)
            labelled = ops.concatenate([ops.ones((ns,)), ops.cast(yt >= 0, "float32")], 0)
            return x, y, a, labelled, ops.ones((ns + nt,))
        if not isinstance(data, (tuple, list)) or len(data) not in (2, 3, 4):
            raise ValueError(_BATCH_HELP)
        if len(data) == 2 and self.adversary != "none":
            raise ValueError(f"adversary={self.adversary!r} has nothing to adapt to: the batch "
                             f"is (images, labels) without target images or nuisance labels. "
                             f"{_BATCH_HELP}")
        x, y = data[0], ops.cast(ops.reshape(data[1], (-1,)), "int32")
        self._check_images(x, "images")
        a = ops.cast(ops.reshape(data[2], (-1,)), "int32") if len(data) > 2 else ops.zeros_like(y)
        weights = (ops.cast(ops.reshape(data[3], (-1,)), "float32") if len(data) >= 4
                   else ops.ones(ops.shape(y), "float32"))
        return (x, y, a, ops.ones(ops.shape(y), "float32"), weights)

    def test_step(self, data):
        if isinstance(data, (tuple, list)) and len(data) == 2 and not isinstance(
                data[0], (tuple, list)):
            x, y = data
            self._check_images(x, "images")
            y = ops.cast(ops.reshape(y, (-1,)), "int32")
            ones = ops.ones(ops.shape(y), "float32")
            data = (x, y, ops.zeros_like(y), ones, ones)
            out = self._forward(data, training=False)
            self._trackers["classification_loss"].update_state(unscale_loss_for_distribution(out["ce"]))
            self._trackers["accuracy"].update_state(out["acc"])
            return {name: self._trackers[name].result()
                    for name in ("classification_loss", "accuracy")}
        return super().test_step(data)


def nuisance_balancing_weights(labels, nuisance):
    """Per-example weights `p(a) / p(a | y)` (mean 1) under which the nuisance
    `a` is independent of the label `y`: an adversary trained with them must
    read the nuisance from the features, not infer it from the class, so
    removing it does not fight the task when the two are correlated."""
    # integer codes (the forgetting arrays hold the source as 0.0 / 1.0)
    labels = np.asarray(labels).reshape(-1).astype(np.int64)
    nuisance = np.asarray(nuisance).reshape(-1).astype(np.int64)
    joint = np.zeros((labels.max() + 1, nuisance.max() + 1))
    np.add.at(joint, (labels, nuisance), 1.0)
    p_a = joint.sum(0) / joint.sum()
    p_a_given_y = joint / joint.sum(1, keepdims=True)
    weights = p_a[nuisance] / p_a_given_y[labels, nuisance]
    return (weights / weights.mean()).astype("float32")


_BATCH_HELP = ("Pass ((source_images, source_labels), target_images) for domain adaptation "
               "(see advzoo.models.dann.adaptation_dataset) or (images, labels, nuisance) for "
               "attribute forgetting; (images, labels) alone only trains adversary='none'.")
