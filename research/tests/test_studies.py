"""The study harnesses' bookkeeping (research/): summaries from result rows."""

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STUDIES = {"domain_adaptation_study": "domain_adaptation", "nuisance_baselines": "nuisance_baselines",
           "forget_tradeoff": "forgetting", "forget_twins": "forgetting",
           "forget_spread": "forgetting", "probe_splits": "probe_splits"}


def _example(name):
    """The module of a study harness, `research/<study>/<name>.py`."""
    return importlib.import_module(f"research.{STUDIES[name]}.{name}")


def _study():
    return _example("domain_adaptation_study")


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


def test_every_forgetting_variant_the_study_names_exists_and_builds():
    """The forgetting study's reproduce commands name variants of nuisance_baselines.py:
    each must exist, and every variant's recipe must build and compile."""
    import re

    from advzoo.training import build_model

    baselines = _example("nuisance_baselines")
    readme = (ROOT / "docs" / "studies" / "forgetting.md").read_text()
    listed = readme[readme.index("NAME`, NAME one of"):readme.index("The probe splits:")]
    names = set(re.findall(r"`([a-z0-9_]+)`", listed))
    known = set(baselines.VARIANTS["forget_fashion_mnist"])
    assert len(names) > 30 and names <= known, sorted(names - known)
    for preset, variants in baselines.VARIANTS.items():
        for variant in variants:
            recipe = baselines.variant_recipe(preset, variant)
            model = build_model(recipe)
            assert model.adversary == recipe["model"].get("adversary", "reversal"), variant


def test_forget_tradeoff_plots_rows_and_rejects_files_without_them(tmp_path):
    import json

    tradeoff = _example("forget_tradeoff")
    probe = tradeoff.PROBE
    rows = {"forget_fashion_mnist_plain_dim128_16_epochs": {"class_accuracy": 0.87, probe: 0.95},
            "forget_fashion_mnist_hybrid": {"class_accuracy": 0.85, probe: 0.55},
            "forget_fashion_mnist_erm": {"class_accuracy": 0.85},  # no probe: left out
            "forget_fashion_mnist": {"class_accuracy": 0.85, probe: 0.55}}
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(rows))
    loaded = tradeoff.load_rows([path])
    assert set(loaded) == {"plain_dim128_16_epochs", "hybrid", "forget_fashion_mnist"}
    out = tradeoff.plot(loaded, tmp_path / "t.png", null={"mean": 0.5, "std": 0.004},
                        floor={"mean": 0.51})
    assert Path(out).stat().st_size > 10_000
    (tmp_path / "empty.json").write_text(json.dumps({"x": {"class_accuracy": 0.8}}))
    with pytest.raises(ValueError, match="no rows with class_accuracy"):
        tradeoff.load_rows([tmp_path / "empty.json"])


def test_forget_twins_measures_how_close_each_garment_and_its_textured_twin_are(tmp_path):
    import numpy as np

    twins = _example("forget_twins")

    class SameGarmentSameEmbedding:  # forgot the source entirely, kept the garment
        def features(self, x):
            assert len(x) == 20000  # every test garment, clean then textured
            table = np.random.default_rng(0).normal(size=(10000, 4))
            return table[np.arange(len(x)) % 10000]

    out = twins.twin_distances(SameGarmentSameEmbedding())
    assert out["twins"] == 0.0
    assert out["same_class"] == pytest.approx(1.0, abs=0.05)  # random garments: the spread
    with pytest.raises(FileNotFoundError, match="no final.weights.h5 there"):
        _example("probe_splits").load_run(tmp_path)


def test_forget_spread_measures_class_widths_and_probes_them():
    import numpy as np

    spread = _example("forget_spread")
    rng = np.random.default_rng(0)
    n = 2000
    labels = np.arange(n) % 4
    source = (np.arange(n) // 4) % 2
    centres = rng.normal(0, 6, (4, 3))
    # the textured garments of every class scatter twice as widely around one centre
    features = centres[labels] + rng.normal(0, 1, (n, 3)) * np.where(source == 1, 2.0, 1.0)[:, None]
    widths = spread.class_widths(features, labels, source)
    assert widths["overall"]["ratio"] == pytest.approx(2.0, abs=0.15)
    assert all(r > 1.7 for r in widths["ratio"])
    probes = spread.width_probes(features, labels, source, splits=1, epochs=10)
    assert probes["centre_distances"]["mean"] > 0.6  # the width alone gives the source away
    same = centres[labels] + rng.normal(0, 1, (n, 3))  # one width: nothing to read
    assert spread.class_widths(same, labels, source)["overall"]["ratio"] == pytest.approx(
        1.0, abs=0.05)
    assert spread.width_probes(same, labels, source, splits=1, epochs=10)[
        "centre_distances"]["mean"] < 0.56
    with pytest.raises(ValueError, match="one label and one source per feature row"):
        spread.class_widths(features, labels[:10], source)
    with pytest.raises(ValueError, match="source must be 0"):
        spread.class_widths(features, labels, source + 1)
