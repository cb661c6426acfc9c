"""The study scripts' bookkeeping (examples/): summaries from result rows."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _study():
    spec = importlib.util.spec_from_file_location(
        "domain_adaptation_study", ROOT / "examples" / "domain_adaptation_study.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(method, seed, lam, test, source_val=0.8):
    return {"method": method, "seed": seed, "lambda_max": lam, "target_test": test,
            "target_validation": test, "source_validation": source_val,
            "reverse_validation": source_val}


def test_domain_adaptation_summary_gap_and_selection():
    study = _study()
    rows = [_row("source_only", s, None, 0.6) for s in (0, 1)]
    rows += [_row("oracle", s, None, 0.8) for s in (0, 1)]
    rows += [_row("dann", 0, 0.3, 0.7, 0.9), _row("dann", 0, 1.0, 0.75, 0.8),
             _row("dann", 1, 0.3, 0.72, 0.7), _row("dann", 1, 1.0, 0.74, 0.95)]
    summary = study.summarise(rows)
    assert summary["dann/lambda=1.0"]["mean"] == pytest.approx(0.745)
    assert summary["dann/lambda=1.0"]["gap_closed"] == pytest.approx(0.725)
    # source validation picks 0.3 on seed 0 and 1.0 on seed 1
    assert summary["dann/source_validation"]["lambdas"] == [0.3, 1.0]
    assert summary["dann/source_validation"]["mean"] == pytest.approx(0.72)
    assert "| dann | source validation | 72.0 ± 2.0 (n=2) | 60% | 0.3, 1.0 |" in \
        study.markdown(summary)


def test_domain_adaptation_summary_of_adaptation_runs_alone_has_no_gap():
    """A file of adaptation runs only (seeds run apart, merged later) is
    summarised without the gap, not refused."""
    study = _study()
    summary = study.summarise([_row("mmd", 1, 1.0, 0.73), _row("mmd", 2, 1.0, 0.75)])
    assert summary["mmd/lambda=1.0"]["gap_closed"] is None
    assert summary["mmd/lambda=1.0"]["mean"] == pytest.approx(0.74)
    assert "| mmd | none (fixed lambda) | 74.0 ± 1.0 (n=2) | - | 1.0 |" in study.markdown(summary)
    # the MMD variant of the preset's objective is weighted by the MMD grid
    assert "mmd_mt" in study.MMD_METHODS and study.METHODS["mmd_mt"][1]["adversary"] == "mmd"
