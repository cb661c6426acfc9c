"""How fast the `advzoo` command answers the commands that need no model,
against `python -c pass` and `import tensorflow`, measured side by side.

    .venv/bin/python benchmarks/cli_startup.py [--rounds 5]

Prints the median wall-clock seconds of each command over interleaved rounds
and the ratio to a bare Python start-up.
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ADVZOO = str(Path(sys.executable).with_name("advzoo"))
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "advzoo --help": [ADVZOO, "--help"],
    "advzoo list": [ADVZOO, "list"],
    "advzoo info dcgan_fashion_mnist": [ADVZOO, "info", "dcgan_fashion_mnist"],
    "python -c 'import tensorflow'": [sys.executable, "-c", "import tensorflow"],
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    times = {name: [] for name in COMMANDS}
    for _ in range(args.rounds):
        for name, command in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env={"TF_CPP_MIN_LOG_LEVEL": "0",
                                                           "PATH": "/usr/bin:/bin"})
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["python -c pass"])
    print(f"median of {args.rounds} interleaved rounds (seconds; ratio to python -c pass)")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<36} {median:6.3f}  {median / base:5.1f}x")


if __name__ == "__main__":
    main()
