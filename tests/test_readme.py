"""The README's numbers are the manifest's numbers."""

from pathlib import Path

from advzoo.model_table import markdown

ROOT = Path(__file__).resolve().parents[1]


def test_readme_model_table_matches_manifest():
    readme = (ROOT / "README.md").read_text()
    assert markdown() in readme, "regenerate with `python -m advzoo.model_table`"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = "bash scripts/setup.sh && .venv/bin/python -m pytest"
    assert command in readme and command in ci
