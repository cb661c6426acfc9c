"""`strategy=` arguments, `TF_CONFIG`, and what a game needs to be exact
under `tf.distribute`: replica sums, shared random draws, and who writes files.

advzoo runs on TensorFlow's own engines: `"mirrored"` is
`tf.distribute.MirroredStrategy` (the GPUs of one host), `"multi_worker"` is
`tf.distribute.MultiWorkerMirroredStrategy` configured by the standard
`TF_CONFIG` variable (one process per host, see docs/guides/scaling_out.md),
`"tpu"` is `tf.distribute.TPUStrategy` through `TPUClusterResolver`.
"""

import hashlib
import json
import os
import subprocess
import sys

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")
PEER_TIMEOUT_ENV = "ADVZOO_PEER_TIMEOUT"
DEFAULT_PEER_TIMEOUT = 300  # seconds a worker waits for its peers at start-up
HEARTBEAT_TIMEOUT_ENV = "ADVZOO_HEARTBEAT_TIMEOUT"
DEFAULT_HEARTBEAT_TIMEOUT = 30  # seconds without a peer's heartbeat before the job fails

_EXAMPLE = ('{"cluster": {"worker": ["host0:12345", "host1:12345"]}, '
            '"task": {"type": "worker", "index": 0}}')


class ClusterConfigError(ValueError):
    """`TF_CONFIG` (or the cluster it describes) cannot be used."""


def read_tf_config(environ=None):
    """Parses and checks `TF_CONFIG`; returns the dict, or None when unset.

    Raises:
        ClusterConfigError: bad JSON, no `cluster` or `task`, a task type the
            cluster lacks, or a task index out of range - each naming what
            was wrong and showing a valid example.
    """
    raw = (os.environ if environ is None else environ).get("TF_CONFIG")
    if raw is None or not raw.strip():
        return None
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ClusterConfigError(f"TF_CONFIG is not valid JSON ({e.msg} at character {e.pos}). "
                                 f"Expected for example: {_EXAMPLE}") from None
    if not isinstance(config, dict):
        raise ClusterConfigError(f"TF_CONFIG must be a JSON object, got {type(config).__name__}. "
                                 f"Expected for example: {_EXAMPLE}")
    cluster, task = config.get("cluster"), config.get("task")
    if not isinstance(cluster, dict) or not cluster:
        raise ClusterConfigError("TF_CONFIG has no \"cluster\" (a map from job name to a list of "
                                 f"host:port addresses). Expected for example: {_EXAMPLE}")
    for job, addresses in cluster.items():
        if not isinstance(addresses, list) or not addresses or not all(
                isinstance(a, str) and ":" in a for a in addresses):
            raise ClusterConfigError(f"TF_CONFIG cluster[{job!r}] must be a non-empty list of "
                                     f"\"host:port\" strings, got {addresses!r}.")
    if not isinstance(task, dict) or "type" not in task or "index" not in task:
        raise ClusterConfigError("TF_CONFIG has no \"task\" with a \"type\" and an \"index\" "
                                 f"(which of the cluster's processes this is), got {task!r}. "
                                 f"Expected for example: {_EXAMPLE}")
    if task["type"] not in cluster:
        raise ClusterConfigError(f"TF_CONFIG task type {task['type']!r} is not a job of the "
                                 f"cluster, which has {sorted(cluster)}.")
    n = len(cluster[task["type"]])
    index = task["index"]
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
        raise ClusterConfigError(f"TF_CONFIG task index {index!r} is out of range: job "
                                 f"{task['type']!r} has {n} address(es), so the index must be "
                                 f"0..{n - 1}.")
    return config


def _seconds(env, default):
    value = os.environ.get(env, str(default))
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1
    if seconds <= 0:
        raise ClusterConfigError(f"{env} must be a positive number of seconds, got {value!r}.")
    return seconds


def peer_timeout():
    """Seconds a worker waits for its peers (`ADVZOO_PEER_TIMEOUT`, default 300)."""
    return _seconds(PEER_TIMEOUT_ENV, DEFAULT_PEER_TIMEOUT)


def heartbeat_timeout():
    """Seconds without a peer's heartbeat before every worker fails
    (`ADVZOO_HEARTBEAT_TIMEOUT`, default 30): a dead worker stops the job
    instead of leaving the others waiting in a collective."""
    return _seconds(HEARTBEAT_TIMEOUT_ENV, DEFAULT_HEARTBEAT_TIMEOUT)


def _multi_worker():
    config = read_tf_config()
    if config is None:
        return tf.distribute.MultiWorkerMirroredStrategy()  # one worker, TensorFlow's default
    from advzoo.compat import configure_coordination

    timeout = peer_timeout()
    configure_coordination(config["cluster"], timeout, heartbeat_timeout())
    task = config["task"]
    message = (f"advzoo: multi_worker: {task['type']} {task['index']} could not reach its peers "
               f"within {timeout:.0f} s. Start every process of TF_CONFIG's cluster "
               f"{config['cluster']}, check that the addresses and ports are reachable from this "
               f"host, or raise {PEER_TIMEOUT_ENV}.")
    # TensorFlow's start-up wait has no deadline that reliably fires, and it
    # holds the GIL, so a watchdog *process* ends this one if the strategy and
    # a first all-reduce (a barrier: every peer is up) are not done in time:
    # a clear failure, not a hang.
    watchdog = _Watchdog(timeout, message)
    try:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        strategy.reduce(tf.distribute.ReduceOp.SUM,
                        strategy.run(lambda: tf.constant(1.0)), axis=None)
    except (tf.errors.DeadlineExceededError, tf.errors.UnavailableError) as e:
        raise ClusterConfigError(f"{message[len('advzoo: '):]} ({type(e).__name__})") from None
    finally:
        watchdog.cancel()
    return strategy


_WATCHDOG = """
import os, select, signal, sys, time
parent, timeout, message = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
ready, _, _ = select.select([sys.stdin], [], [], timeout)
if not ready:  # neither cancelled nor orphaned in time
    print(message, file=sys.stderr, flush=True)
    os.kill(parent, signal.SIGTERM)
    time.sleep(5)
    try:
        os.kill(parent, signal.SIGKILL)
    except ProcessLookupError:
        pass
"""


class _Watchdog:
    """A child process that prints `message` and ends this process after
    `timeout` seconds unless cancelled (it exits by itself if this one dies)."""

    def __init__(self, timeout, message):
        self.proc = subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(os.getpid()),
                                      str(timeout), message], stdin=subprocess.PIPE)

    def cancel(self):
        self.proc.stdin.close()
        self.proc.wait()


def get_strategy(strategy=None):
    """Returns a `tf.distribute.Strategy`.

    Args:
        strategy: None or `"default"` (the current/default strategy);
            `"mirrored"` (`tf.distribute.MirroredStrategy` over all local GPUs,
            or the CPU when there is none); `"multi_worker"`
            (`tf.distribute.MultiWorkerMirroredStrategy` over the cluster that
            `TF_CONFIG` describes; without `TF_CONFIG`, one worker); `"tpu"`
            (`tf.distribute.TPUStrategy`); or a `tf.distribute.Strategy`.

    Raises:
        ClusterConfigError: malformed `TF_CONFIG`, or peers that cannot be
            reached within `ADVZOO_PEER_TIMEOUT` seconds.

    Example:
    >>> # on each host, with TF_CONFIG naming the cluster and this task:
    >>> model = advzoo.load("dcgan_fashion_mnist", strategy="multi_worker")
    """
    if strategy is None or strategy == "default":
        return tf.distribute.get_strategy()
    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    if strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
    if strategy == "multi_worker":
        return _multi_worker()
    if strategy == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"strategy must be None, one of {', '.join(map(repr, STRATEGIES))} or a "
                     f"tf.distribute.Strategy, got {strategy!r}.")


def is_multi_worker(strategy):
    return bool(getattr(strategy.extended, "_in_multi_worker_mode", lambda: False)())


def is_chief(strategy=None):
    """True for the process that writes files: the only process, or the
    chief of a multi-worker cluster (task type `chief`, or worker 0 when the
    cluster has no chief)."""
    strategy = strategy or tf.distribute.get_strategy()
    if not is_multi_worker(strategy):
        return True
    resolver = strategy.cluster_resolver
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type == "chief":
        return True
    return task_type == "worker" and task_id == 0 and "chief" not in resolver.cluster_spec().jobs


def task_name(strategy=None):
    """`"chief"`, `"worker 1"`, ... (for messages); `"local"` on one process."""
    strategy = strategy or tf.distribute.get_strategy()
    if not is_multi_worker(strategy):
        return "local"
    r = strategy.cluster_resolver
    return f"{r.task_type} {r.task_id}"


def check_global_batch(strategy, batch_size, what="the recipe's train.batch_size"):
    """Refuses a global batch that the replicas cannot split evenly."""
    n = strategy.num_replicas_in_sync
    if batch_size % n:
        lower, upper = batch_size // n * n, (batch_size // n + 1) * n
        raise ValueError(f"{what} is {batch_size}, which does not divide by the "
                         f"{n} replicas in sync: every replica must get the same share of the "
                         f"global batch. Use a multiple of {n}, e.g. {lower or upper} or {upper}.")


def fingerprint(obj):
    """sha256 of `obj`'s canonical JSON (sorted keys)."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def check_same_on_every_worker(strategy, value, what):
    """Raises on every worker unless all workers hold the same `value` (a
    JSON-able object, e.g. the recipe): compared through one all-reduce of its
    sha256, so workers started with different recipes stop before training."""
    if not is_multi_worker(strategy):
        return
    digest = fingerprint(value)
    bytes_ = tf.constant(list(bytes.fromhex(digest)), tf.float64)
    n = strategy.num_replicas_in_sync

    def moments():  # the mean over replicas of the digest's bytes and of their squares
        return tf.stack([bytes_ / n, bytes_ ** 2 / n])

    summed = strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(moments), axis=None)
    mean, mean_sq = summed[0].numpy(), summed[1].numpy()
    if float(abs(mean_sq - mean ** 2).max()) > 1e-6:
        raise ClusterConfigError(
            f"the workers were started with different {what}: this one ({task_name(strategy)}) "
            f"has sha256 {digest[:12]}..., others differ. Start every worker with the same "
            f"{what} (compare `sha256sum` of the recipe file on each host).")


def shard_by_data(dataset):
    """`dataset` with the auto-shard policy set explicitly to `DATA`.

    advzoo's training data are in-memory arrays (one source, no files to
    split), so every worker runs the whole input pipeline and keeps its own
    share of each global batch: the global batch is the recipe's batch and
    holds exactly the examples a single-process run would see. (Pipelines
    that read many files, e.g. TFDS ImageNet, use `FILE` instead: see
    `advzoo.data.imagenet`.) Anything but a `tf.data.Dataset` passes through.
    """
    if not isinstance(dataset, tf.data.Dataset):
        return dataset
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def replica_sum(x):
    """Sum of `x` over the replicas of the current strategy (identity on one
    device): batch statistics that must span the global batch (a mean
    prediction, class centres) use it inside a loss; it is differentiable."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return x
    return ctx.all_reduce(tf.distribute.ReduceOp.SUM, x)


def replica_draw(draw, n):
    """This replica's share of one random draw over the global batch.

    `draw(m)` returns `m` random rows (or a tuple of such tensors) from a seed that is the same on every
    replica (a mirrored `keras.random.SeedGenerator`). Each replica draws the
    rows of all `r` replicas (`draw(n * r)`) and keeps its own slice: replicas
    (and workers) never share latents, and the global batch sees exactly the
    draws of a single-device run with the same seed, so distributed training
    reproduces it. On one device this is `draw(n)`.
    """
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return draw(n)
    full = draw(n * ctx.num_replicas_in_sync)
    start = ctx.replica_id_in_sync_group * n
    return tf.nest.map_structure(lambda t: None if t is None else t[start:start + n], full)
