"""The README and the model cards show the manifest's numbers, the README
stays a user's page, and its commands are the ones CI runs."""

import re
from pathlib import Path

import advzoo
from advzoo.model_table import card_markdown, families, markdown

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_model_table_matches_manifest():
    assert markdown() in README, "regenerate with `python -m advzoo.model_table --write`"


def test_every_family_has_a_card_with_the_manifests_numbers():
    for family in families():
        card = ROOT / "docs" / "models" / f"{family}.md"
        assert card.is_file(), f"{family} has no model card"
        assert card_markdown(family) in card.read_text(), \
            f"{card}: regenerate with `python -m advzoo.model_table --write`"
    for name in advzoo.list_models():  # and the README links every model to its card
        assert f"[`{name}`](docs/models/{advzoo.info(name)['family']}.md)" in README


def test_readme_is_short_and_its_links_resolve():
    assert len(README.splitlines()) <= 400
    for target in re.findall(r"\]\(((?:docs|examples)/[^)#]+)", README):
        assert (ROOT / target).exists(), target
    for path in re.findall(r"`((?:examples|docs/img)/[a-z_0-9./]+)", README):
        assert (ROOT / path.split()[0]).exists(), path


def test_docs_images_and_commands_point_at_files_that_exist():
    for doc in (ROOT / "docs").rglob("*.md"):
        text = doc.read_text()
        for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
            assert (doc.parent / image).exists(), f"{doc}: {image}"
        for module in re.findall(r"python -m (research(?:\.[a-z_0-9]+)+)", text):
            path = ROOT / module.replace(".", "/")
            assert path.with_suffix(".py").exists() or path.is_dir(), f"{doc}: {module}"


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    command = "bash scripts/setup.sh && .venv/bin/python -m pytest"
    assert command in README and command in ci


def test_examples_say_what_they_show_and_how_long_they_run():
    for example in (ROOT / "examples").glob("*.py"):
        header = example.read_text().split('"""')[1]
        assert re.search(r"\b(about|under) \d+ (s|seconds|minutes?)\b", header), example.name


def test_the_family_snippet_is_the_code():
    """README's `Writing a family` snippet is the library's NonSaturatingGAN,
    line for line, and its Family declaration names real fields."""
    section = README[README.index("## Writing a family"):README.index("## Scaling and tuning")]
    snippet, declaration = re.findall(r"```python\n(.*?)```", section, flags=re.S)[:2]
    source = {line.strip() for line in
              (ROOT / "advzoo" / "models" / "gan_base.py").read_text().splitlines()}
    missing = [line for line in snippet.splitlines() if line.strip() and line.strip() not in source]
    assert not missing, missing
    from advzoo.family import Family

    fields = set(Family.__dataclass_fields__)
    assert set(re.findall(r"(\w+)=", declaration)) <= fields | {"eval_options"}
