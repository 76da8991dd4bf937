"""The documentation says what the code does: the configuration table, the links, CI's pointer."""

import json
import re
from datetime import timedelta

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
LINK = re.compile(r"\]\(([^)#:]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_link_to_a_file_of_the_repository_leads_to_one(document):
    for target in LINK.findall(document.read_text()):
        assert (document.parent / target).exists(), f"{document.name} links to missing {target}"


def test_nothing_points_outside_the_repository():
    for document in DOCUMENTS:
        assert "shared/reference" not in document.read_text(), document.name


def test_the_readme_is_a_newcomers_length():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 150


def test_ci_names_a_section_of_the_readme_that_exists():
    (section,) = re.findall(r'README, "([^"]+)"', (ROOT / ".ci" / "run").read_text())
    assert f"## {section}\n" in (ROOT / "README.md").read_text()
