"""Build hook: the wheel carries the recipes (`zoo_configs/*.yaml`) and the
weights manifest (`weights/manifest.json`) as package data under
`advzoo/_packaged/`, copied from the repository's single source of truth at
build time (nobody keeps a second copy). Everything else is in setup.cfg."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class build_py_with_presets(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads zoo_configs/ and weights/ in place
        target = Path(self.build_lib) / "advzoo" / "_packaged"
        if target.exists():
            shutil.rmtree(target)
        (target / "zoo_configs").mkdir(parents=True)
        recipes = sorted((ROOT / "zoo_configs").glob("*.yaml"))
        if not recipes:
            raise SystemExit("build: zoo_configs/ holds no recipes; build from a checkout or sdist.")
        for recipe in recipes:
            shutil.copy2(recipe, target / "zoo_configs" / recipe.name)
        shutil.copy2(ROOT / "weights" / "manifest.json", target / "manifest.json")


setup(cmdclass={"build_py": build_py_with_presets})
