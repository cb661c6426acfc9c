"""Images per second of one process against 2 local workers
(MultiWorkerMirroredStrategy over TF_CONFIG on 127.0.0.1), the same global
batch, side by side in one run; and the share of a 2-worker step that is
communication rather than compute.

On this 2-core machine the two workers share the two cores that the single
process has to itself (each worker gets one), so this measures the overhead
of multi-worker training, not a speed-up: a real cluster gives every worker
its own host.

Rows:
  1 process            global batch B, 2 CPU threads
  2 workers            B/2 per worker, 1 thread each (one core each)
  1 worker's compute   one process, batch B/2, 1 thread: what a worker
                       computes without its peer; communication share =
                       1 - (that step time) / (2-worker step time)

Usage:
    python benchmarks/scale_out.py                 # dcgan_fashion_mnist, B = 64
    python benchmarks/scale_out.py --recipe wgan_gp_fashion_mnist --steps 30
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def worker(recipe_name, batch, steps, warmup):
    import numpy as np
    import tensorflow as tf

    from advzoo.distribute import get_strategy, is_chief, shard_by_data
    from advzoo.registry import get_recipe
    from advzoo.training import build_model

    strategy = get_strategy("multi_worker" if os.environ.get("TF_CONFIG") else None)
    recipe = get_recipe(recipe_name)
    model = build_model(recipe, strategy)
    shape = tuple(recipe["model"].get("image_shape", (28, 28, 1)))
    x = np.random.default_rng(0).uniform(-1, 1, (batch * 4, *shape)).astype("float32")
    ds = shard_by_data(tf.data.Dataset.from_tensor_slices(x).batch(batch, drop_remainder=True)
                       .repeat())
    model.fit(ds, steps_per_epoch=warmup, epochs=1, verbose=0)  # compile, warm caches
    start = time.perf_counter()
    model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    if is_chief(strategy):
        print(json.dumps({"step_seconds": seconds / steps, "images_per_second": batch * steps / seconds,
                          "replicas": strategy.num_replicas_in_sync}), flush=True)


def _env(threads, tf_config=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3",
           "CUDA_VISIBLE_DEVICES": "", "TF_NUM_INTRAOP_THREADS": str(threads),
           "TF_NUM_INTEROP_THREADS": "1"}
    env.pop("TF_CONFIG", None)
    if tf_config:
        env["TF_CONFIG"] = tf_config
    return env


def _run(args, batch, threads, cores=None, tf_config=None, wait=True):
    cmd = [sys.executable, __file__, "--worker", "--recipe", args.recipe, "--batch", str(batch),
           "--steps", str(args.steps), "--warmup", str(args.warmup)]
    if cores is not None:
        cmd = ["taskset", "-c", cores, *cmd]
    proc = subprocess.Popen(cmd, env=_env(threads, tf_config), stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    return proc if not wait else _result(proc)


def _result(proc):
    out, _ = proc.communicate(timeout=1800)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recipe", default="dcgan_fashion_mnist")
    p.add_argument("--batch", type=int, default=64, help="global batch")
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians reported")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return worker(args.recipe, args.batch, args.steps, args.warmup)
    import socket
    import statistics

    rows = {"1 process": [], "2 workers": [], "1 worker's compute": []}
    for _ in range(args.rounds):
        rows["1 process"].append(_run(args, args.batch, threads=2))
        socks = [socket.socket() for _ in range(2)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        ports = [s.getsockname()[1] for s in socks]
        for s in socks:
            s.close()
        cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
        procs = [_run(args, args.batch, threads=1, cores=str(i), wait=False,
                      tf_config=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}))
                 for i in range(2)]
        results = [_result(proc) for proc in procs]
        rows["2 workers"].append(results[0])
        rows["1 worker's compute"].append(_run(args, args.batch // 2, threads=1, cores="0"))
    median = {k: statistics.median(r["step_seconds"] for r in v) for k, v in rows.items()}
    print(f"{args.recipe}, global batch {args.batch}, {args.steps} steps x {args.rounds} "
          "interleaved rounds (medians)")
    print("2 cores shared by both workers: this shows overhead, not speed-up.")
    print(f"{'configuration':<22}{'step (ms)':>10}{'images/s':>10}{'vs 1 process':>14}")
    for name, seconds in median.items():
        batch = args.batch // 2 if name == "1 worker's compute" else args.batch
        print(f"{name:<22}{seconds * 1000:>10.1f}{batch / seconds:>10.0f}"
              f"{median['1 process'] / seconds * batch / args.batch:>13.2f}x")
    share = 1 - median["1 worker's compute"] / median["2 workers"]
    print(f"communication share of a 2-worker step: {share:.0%}")


if __name__ == "__main__":
    main()
