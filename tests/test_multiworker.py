"""Multi-worker training on TensorFlow's own engine: 2 worker processes on
127.0.0.1 (`MultiWorkerMirroredStrategy` through `TF_CONFIG`) give the
weights of single-process training on the same global batch, for every
update rule, every penalty, every family's tiny model and the samplers; and
bad cluster set-ups fail with a clear message, not a hang."""

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.cluster import ROOT, logs, run_single, start_workers, wait_all, worker_env

RULES = ["alternating", "simultaneous", "extragradient", "past_extragradient",
         "optimistic", {"name": "consensus", "config": {"gamma": 0.1}},
         # k=2 so that a slow-weights synchronisation happens within the 3 steps
         {"name": "lookahead", "config": {"inner": "optimistic", "k": 2, "alpha": 0.5}}]
CASES = ([[rule, "dcgan"] for rule in RULES]
         + [["alternating", kind] for kind in (
             "wgan",                                  # weight clipping
             "wgan_gp", "wgan_gp_one_sided",          # gradient penalties (shared interpolates)
             "dcgan_r1",                              # R1
             "dcgan_sampled", "aae_sampled",          # latents / priors drawn in the step
             "bigan", "aae", "classifier")]
         + [["joint", kind] for kind in ("dann", "dann_im", "dann_bn", "dann_mt")]
         + [["extragradient", "dann"], ["joint", "dann_pairs"], ["joint", "dann_width"]])


def _label(case):
    rule, kind = case
    return f"{kind}-{rule if isinstance(rule, str) else rule['name']}"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Every case trained once in one process and once by 2 workers."""
    single, multi = tmp_path_factory.mktemp("single"), tmp_path_factory.mktemp("multi")
    args = ["-m", "tests.multiworker_check"]
    run_single([*args, str(single), json.dumps(CASES)], timeout=900)
    procs, _ = start_workers([*args, str(multi), json.dumps(CASES)], log_dir=multi)
    codes = wait_all(procs, timeout=900)
    assert codes == [0, 0], logs(multi)
    return single, multi


KERAS_PATH = pytest.mark.xfail(strict=True, reason=(
    "Keras's own compiled train_step with synchronized BatchNormalization: 2 replicas (also "
    "MirroredStrategy in one process) differ from one device by ~3% of a kernel's scale after 3 "
    "SGD steps, while BN statistics agree; advzoo's game path matches to 1e-6. Not resolved."))


@pytest.mark.parametrize("index", [pytest.param(i, marks=KERAS_PATH) if c[1] == "classifier"
                                   else i for i, c in enumerate(CASES)],
                         ids=[_label(c) for c in CASES])
def test_two_workers_match_one_process(trained, index):
    single, multi = trained
    assert json.loads((multi / "done.json").read_text())["replicas"] == 2
    a, b = np.load(single / f"case_{index}.npz"), np.load(multi / f"case_{index}.npz")
    assert a.files == b.files and a.files
    # the same tolerance as the mirrored checks: float reassociation (two
    # 8-example sums) moves weights by ~1e-6 of their scale, a missing
    # all-reduce, a wrongly scaled loss or shared latents by O(1)
    diff = max(float(np.abs(a[k] - b[k]).max() / (1e-5 + np.abs(a[k]).max())) for k in a.files)
    assert diff < 1e-3, f"{_label(CASES[index])}: relative weight difference {diff:.2e}"


def test_two_workers_train_away_from_the_initial_weights(trained):
    """The comparison means something: every case's weights moved."""
    single, _ = trained
    out = subprocess.run(
        [sys.executable, "-c",
         "import json,sys,numpy as np\n"
         "from tests.distributed_cases import initial_weights\n"
         f"cases=json.loads({json.dumps(json.dumps(CASES))})\n"
         "moved=[]\n"
         "for i,(rule,kind) in enumerate(cases):\n"
         f"    a=np.load('{single}/case_%d.npz'%i); init=initial_weights(kind)\n"
         "    moved.append(max(float(np.abs(x-a[k]).max()) for x,k in zip(init,a.files)))\n"
         "print(json.dumps(moved))"],
        cwd=ROOT, env=worker_env(), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    moved = json.loads(out.stdout.strip().splitlines()[-1])
    assert min(moved) > 1e-3, dict(zip(map(_label, CASES), moved))
