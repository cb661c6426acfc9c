"""Recipe schemas: which keys each section of a family's recipe may hold,
and the types of the common ones. A family declares its schema in its own
folder (`Family.schema`, `Family.model`); a typo'd key gets the close
matches, a wrong type says what was expected.

`model:` keys are the model class's constructor arguments (through its base
classes), so they can never drift from the code.
"""

import difflib
import inspect
import numbers

from advzoo.recipes import RecipeError

COMMON = {
    "train": ("batch_size", "epochs", "seed", "init_from"),
    "export": ("optimizer_state",),
}
GAME_COMPILE = ("optimizers", "game", "steps", "jit_compile")


def constructor_arguments(cls):
    """Named `__init__` arguments of `cls` and of the advzoo classes it passes
    `**kwargs` on to."""
    names = set()
    for klass in cls.__mro__:
        if "__init__" not in vars(klass) or not klass.__module__.startswith(("advzoo", "research")):
            continue
        params = inspect.signature(vars(klass)["__init__"]).parameters
        names |= {n for n, p in params.items() if n != "self"
                  and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
            break
    return names


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_learning_rates(recipe, source):
    compile_cfg = recipe["compile"]
    specs = dict(compile_cfg.get("optimizers") or {})
    if compile_cfg.get("optimizer"):
        specs["optimizer"] = compile_cfg["optimizer"]
    for player, spec in specs.items():
        if not isinstance(spec, dict):
            raise RecipeError(f"{source}: compile.optimizers.{player} must be a mapping "
                              f"{{class_name, config}}, got {spec!r}.")
        rate = (spec.get("config") or {}).get("learning_rate")
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, numbers.Real)
                                 or not rate > 0):
            raise RecipeError(f"{source}: the learning_rate of {player!r} must be a positive "
                              f"number, got {rate!r}.")


def validate_for_family(recipe, family, source=None):
    """Checks `recipe` against `family`'s schema; raises `RecipeError`
    naming the section, the key and what was expected."""
    source = source or recipe.get("name", "<recipe>")
    schema = family.schema
    allowed = {} if schema is None else {
        section: set(COMMON.get(section, ())) | set(schema.get(section, ()))
        for section in set(COMMON) | set(schema)}
    if family.model is not None:
        allowed["model"] = constructor_arguments(family.model)
    if family.eval_options or "evaluate" in allowed:
        allowed["evaluate"] = allowed.get("evaluate", set()) | set(family.eval_options) | {"seed"}
    for section, keys in allowed.items():
        unknown = sorted(set(recipe.get(section) or {}) - keys)
        for key in unknown:
            close = difflib.get_close_matches(key, sorted(keys), n=3, cutoff=0.6)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise RecipeError(f"{source}: {section}.{key} is not a setting of the "
                              f"{family.name!r} family.{hint} Allowed in {section}: "
                              f"{', '.join(sorted(keys))}.")
    train = recipe.get("train") or {}
    for key in ("epochs", "batch_size"):
        if key in train and (not _is_int(train[key]) or train[key] < 1):
            raise RecipeError(f"{source}: train.{key} must be a positive integer, got "
                              f"{train[key]!r}.")
    if "seed" in train and not _is_int(train["seed"]):
        raise RecipeError(f"{source}: train.seed must be an integer, got {train['seed']!r}.")
    _check_learning_rates(recipe, source)
    return recipe
