"""Local clusters for tests: worker processes on 127.0.0.1 ports, each with
its own `TF_CONFIG`, on the CPU."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_ports(n):
    """`n` distinct ports that were free a moment ago."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def tf_config(ports, index, task_type="worker"):
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                       "task": {"type": task_type, "index": index}})


def worker_env(ports=None, index=None, **extra):
    """The environment of one worker (no `TF_CONFIG` when `ports` is None):
    one CPU thread pool each, the checkout on the path, no GPU."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": "",
           "TF_CPP_MIN_LOG_LEVEL": "3", "ADVZOO_PEER_TIMEOUT": "60", **extra}
    env.pop("TF_CONFIG", None)
    if ports is not None:
        env["TF_CONFIG"] = tf_config(ports, index)
    return env


def start_workers(args, n=2, ports=None, log_dir=None, **extra):
    """Starts `n` processes `python *args`, worker i with its TF_CONFIG;
    returns `(processes, ports)`. Output goes to `log_dir/worker_<i>.log`."""
    ports = ports or free_ports(n)
    procs = []
    for i in range(n):
        log = open(Path(log_dir) / f"worker_{i}.log", "ab") if log_dir else subprocess.DEVNULL
        procs.append(subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=log,
                                      stderr=subprocess.STDOUT,
                                      env=worker_env(ports, i, **extra)))
    return procs, ports


def wait_all(procs, timeout):
    """Waits for every process; kills the rest and raises on a timeout."""
    deadline = time.time() + timeout
    codes = []
    for p in procs:
        try:
            codes.append(p.wait(timeout=max(1, deadline - time.time())))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise
    return codes


def logs(log_dir):
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                     for p in sorted(Path(log_dir).glob("worker_*.log")))


def run_single(args, timeout, **extra):
    """Runs `python *args` as one process with no TF_CONFIG."""
    out = subprocess.run([sys.executable, *args], cwd=ROOT, env=worker_env(**extra),
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    return out
