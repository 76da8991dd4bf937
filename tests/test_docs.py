"""The documentation says what the code does: the configuration table, the paths it names, CI's
pointer."""

import json
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

from app.config import Config, ProductionConfig
from app.config_loading import ENVIRONMENT_KEYS
from tests.helpers import ROOT

CONFIGURATION = ROOT / "docs" / "configuration.md"
ROW = re.compile(r"^\| `([A-Z0-9_]+)` \| .* \| (.+) \|$", re.M)
DEFAULT = re.compile(r"\A`([^`]+)`(?: \(production: `([^`]+)`\))?\Z")
# Documented in their own table: the environment variables that are not settings.
ENVIRONMENT_ONLY = {"APP_CONFIG", "PORT", *ENVIRONMENT_KEYS}


def settings_table():
    """``{key: (default, production default)}`` of the settings table, parsed as JSON."""
    text = CONFIGURATION.read_text().split("## Settings", 1)[1]
    table = {}
    for key, cell in ROW.findall(text):
        default, production = DEFAULT.fullmatch(cell.strip()).groups()
        table[key] = (json.loads(default), json.loads(production) if production else None)
    return table


def as_setting(value):
    """A config value as ``FLASK_<KEY>`` would give it: durations in seconds."""
    return int(value.total_seconds()) if isinstance(value, timedelta) else value


def config_keys():
    return {name for name in dir(Config) if name.isupper()} - set(ENVIRONMENT_KEYS.values())


def test_every_setting_is_in_the_table_and_no_other():
    assert set(settings_table()) == config_keys()


@pytest.mark.parametrize("key", sorted(config_keys()))
def test_the_table_gives_each_settings_default(key):
    default, production = settings_table()[key]
    assert default == as_setting(getattr(Config, key))
    assert (production if production is not None else default) == as_setting(
        getattr(ProductionConfig, key)
    )


def test_the_environment_table_lists_the_variables_read_directly():
    text = CONFIGURATION.read_text().split("## Settings", 1)[0]
    assert set(re.findall(r"^\| `([A-Z_]+)` \|", text, re.M)) == ENVIRONMENT_ONLY


DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```$", re.M | re.S)
CODE = re.compile(r"`([^`]+)`")
LINK = re.compile(r"\]\(([^)#:]+)(?:#[^)]*)?\)")
# A word of code that names a path of the repository: a folder of the root and a slash, or a
# file of the root; either may end in ``::name``, a test or class in that file.
REPOSITORY_PATH = re.compile(
    r"(?:(?:app|tests|docs|devtools|scripts|bench|migrations|deploy|\.ci)/\S*"
    r"|(?:openapi\.yaml|manage\.py|run\.py|requirements[\w-]*\.txt|pyproject\.toml|README\.md)"
    r"(?:::\S+)?)"
)


def repository_paths(document):
    """The paths of the repository that ``document`` names, relative to the root.

    A path is named by a link (any target without a scheme, read from the document's folder)
    or by a word of code, inline or in a fenced block, that starts with a folder of the root and
    a slash (``app/``, ``tests/``, ``docs/``, ``devtools/``, ``scripts/``, ``bench/``,
    ``migrations/``, ``deploy/``, ``.ci/``) or is a file of the root (``openapi.yaml``,
    ``manage.py``, ``run.py``, ``requirements*.txt``, ``pyproject.toml``, ``README.md``), with
    what follows up to the next space: ``app/templates/mail/`` (a folder), ``docs/*.md`` (a glob),
    ``tests/api/test_limits.py::test_name`` (a test). A leading ``./``, quotes and closing
    punctuation are not part of it; a word with an angle bracket is a placeholder
    (``app/<package>/``) and is left out. Words outside code are prose, and are not read.
    """
    text = document.read_text()
    code = FENCE.findall(text) + CODE.findall(FENCE.sub("", text))
    words = (
        word.lstrip("\"'(").rstrip("\"'(),;:.").removeprefix("./")
        for span in code
        for word in span.split()
    )
    paths = {word for word in words if REPOSITORY_PATH.fullmatch(word) and "<" not in word}
    for target in LINK.findall(text):
        paths.add(Path(os.path.relpath(document.parent / target, ROOT)).as_posix())
    return sorted(paths)


def missing(path):
    """Whether ``path`` names nothing: no file or folder, a glob that matches no file, or a
    ``file::name`` whose file defines no function or class of that name (a parametrized id,
    ``name[case]``, counts as its function)."""
    path, _, name = path.partition("::")
    if any(character in path for character in "*?["):
        return not any(ROOT.glob(path))
    if not (ROOT / path).exists():
        return True
    definition = rf"^\s*(?:async\s+)?(?:def|class)\s+{re.escape(name.split('[')[0])}\b"
    return bool(name) and not re.search(definition, (ROOT / path).read_text(), re.M)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_path_of_the_repository_named_exists(document):
    stale = [path for path in repository_paths(document) if missing(path)]
    assert not stale, f"{document.name} names what the repository does not have: {stale}"


def test_nothing_points_outside_the_repository():
    for document in DOCUMENTS:
        assert "shared/reference" not in document.read_text(), document.name


def test_the_readme_is_a_newcomers_length():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 150


def test_ci_names_a_section_of_the_readme_that_exists():
    (section,) = re.findall(r'README, "([^"]+)"', (ROOT / ".ci" / "run").read_text())
    assert f"## {section}\n" in (ROOT / "README.md").read_text()
