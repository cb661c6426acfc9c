"""The only place advzoo touches Keras's private API, and why.

* `scale_loss_for_distribution` / `unscale_loss_for_distribution`: a game
  computes each player's loss itself (outside `compile(loss=...)`), so it
  must apply the same per-replica scaling Keras applies to compiled losses,
  or gradients would be summed N times over N replicas. Keras exposes no
  public hook for this (`keras.losses.Loss` does it internally).
* `StatelessScope` / `get_stateless_scope`: update rules that look ahead
  (extragradient, consensus, virtual adversarial perturbations) evaluate a
  loss at trial weights without writing them into the variables; Keras's
  stateless scope is the supported mechanism inside Keras but not exported.
* `configure_coordination` (TensorFlow's `context`): the cluster-registration
  and heartbeat timeouts of `MultiWorkerMirroredStrategy`'s coordination
  service have no public setting; with TensorFlow's defaults a worker whose
  peers never start waits forever. Set before the strategy is created, the
  strategy keeps this configuration instead of making its own.
* `MultiWorkerBuild._maybe_symbolic_build`: before the first step, Keras
  3's TensorFlow trainer averages the first distributed batch with
  `strategy.reduce(MEAN, ...)` to learn its shapes; under
  `MultiWorkerMirroredStrategy` that reduce rejects the per-replica batch,
  so `fit` cannot start. The mixin hands Keras the dataset's element spec
  instead (only shapes and dtypes are used; drawing a batch would also shift
  the shuffle order of every epoch). And Keras reduces every logged
  value of a multi-worker step with `strategy.reduce(MEAN, v, axis=0)`,
  which rejects the scalars a `train_step` returns; under that strategy
  the mixin's step functions log each scalar as a 1-vector, which the
  reduce averages back into the scalar.

If Keras or TensorFlow move these, this module is the one file to change.
"""

from keras.src.backend.common.stateless_scope import StatelessScope, get_stateless_scope
from keras.src.losses.loss import scale_loss_for_distribution, unscale_loss_for_distribution



def configure_coordination(cluster, register_timeout_s, heartbeat_timeout_s=30):
    """Configures the coordination service MultiWorkerMirroredStrategy uses,
    as the strategy itself would (jobs `chief` and `worker`, leader the
    chief or worker 0), with finite timeouts: registration (all peers up)
    and heartbeats (a peer that died)."""
    from tensorflow.python.distribute import multi_worker_util
    from tensorflow.python.eager import context
    from tensorflow.python.training import server_lib
    from tensorflow.compiler.xla.tsl.protobuf import coordination_config_pb2

    if context.context().coordination_service is not None:
        return
    spec = server_lib.ClusterSpec(cluster)
    jobs = [coordination_config_pb2.CoordinatedJob(name=job, num_tasks=spec.num_tasks(job))
            for job in ("chief", "worker") if job in spec.jobs]
    context.context().configure_coordination_service(
        service_type="standalone", service_leader=multi_worker_util.coordination_leader(spec),
        coordinated_jobs=jobs, cluster_register_timeout_in_ms=int(register_timeout_s * 1000),
        heartbeat_timeout_in_ms=int(heartbeat_timeout_s * 1000))


class MultiWorkerBuild:
    """Mixin for `keras.Model` subclasses: `fit` works under
    `MultiWorkerMirroredStrategy` (see the module docstring)."""

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        import tensorflow as tf

        strategy = getattr(self, "_distribute_strategy", None)
        adapter = getattr(iterator, "data_adapter", None)
        if strategy is None or adapter is None or not isinstance(
                strategy, tf.distribute.MultiWorkerMirroredStrategy):
            return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)
        # the dataset's element spec (shapes and dtypes are all the build
        # reads), not a batch: drawing one would open an extra iterator and
        # move every reshuffled epoch's order away from a single process's
        with strategy.scope():
            self._symbolic_build(data_batch=adapter.get_tf_dataset().element_spec)

    def make_train_function(self, force=False):
        _log_vectors(self, "train_step")
        return super().make_train_function(force)

    def make_test_function(self, force=False):
        _log_vectors(self, "test_step")
        return super().make_test_function(force)


def _log_vectors(model, name):
    import tensorflow as tf

    strategy = getattr(model, "_distribute_strategy", None)
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) or name in vars(model):
        return
    step = getattr(model, name)

    def step_with_vector_logs(data):
        logs = step(data)
        return {k: tf.reshape(v, (1,)) if getattr(v, "shape", None) == () else v
                for k, v in logs.items()} if isinstance(logs, dict) else logs

    object.__setattr__(model, name, step_with_vector_logs)  # an instance attribute, untracked


__all__ = ["MultiWorkerBuild", "StatelessScope", "configure_coordination", "get_stateless_scope",
           "scale_loss_for_distribution", "unscale_loss_for_distribution"]
