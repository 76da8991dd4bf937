"""The vendored jQuery, Bootstrap, Swagger UI and @simplewebauthn/browser: versioned paths,
licences, nothing from elsewhere."""

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "app" / "static"
VENDOR = STATIC / "vendor"
TEMPLATES = sorted((STATIC.parent / "templates").glob("*.html"))
SOURCE_MAP = re.compile(r"[#@] sourceMappingURL=(\S+?)\s*(?:\*/)?\s*$", re.MULTILINE)
# Each library: its version's shape, and the file that names that version.
VENDORED = {
    "jquery": (re.compile(r"3\.7\.\d+"), "jquery.min.js"),
    "bootstrap": (re.compile(r"5\.\d+\.\d+"), "bootstrap.bundle.min.js"),
    "swagger-ui": (re.compile(r"5\.\d+\.\d+"), "swagger-ui-bundle.js"),
    "simplewebauthn-browser": (re.compile(r"1[34]\.\d+\.\d+"), "index.umd.min.js"),
}


def vendor_dirs():
    return sorted(path for path in VENDOR.iterdir() if path.is_dir())


def test_each_library_is_vendored_once_with_its_version_in_the_path():
    names = {}
    for path in vendor_dirs():
        name, _, version = path.name.rpartition("-")
        assert name in VENDORED, path
        assert VENDORED[name][0].fullmatch(version), path
        names.setdefault(name, []).append(version)
    assert {name: len(versions) for name, versions in names.items()} == dict.fromkeys(VENDORED, 1)


@pytest.mark.parametrize("path", vendor_dirs(), ids=lambda path: path.name)
def test_licence_and_files_sit_together(path):
    assert [p.name for p in path.iterdir() if p.name.upper().startswith("LICENSE")]
    name, _, version = path.name.rpartition("-")
    named = path / VENDORED[name][1]
    assert version in named.read_text(), f"{named} does not name {version}"


@pytest.mark.parametrize(
    "path",
    sorted(p for p in VENDOR.rglob("*") if p.suffix in {".js", ".css"}),
    ids=lambda path: path.name,
)
def test_source_maps_named_by_a_file_are_shipped(path):
    """A dangling sourceMappingURL makes Chromium's developer tools log a 404."""
    for target in SOURCE_MAP.findall(path.read_text()):
        assert (path.parent / target).is_file(), f"{path.name} names missing {target}"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_pages_load_the_vendored_files_from_this_host(template):
    text = template.read_text()
    assert not re.search(r"(src|href)=\"(https?:)?//", text)
    referenced = set(re.findall(r"filename='(vendor/[^']+)'", text))
    assert referenced
    for name in referenced:
        assert (STATIC / name).is_file(), name


def test_each_script_of_ours_is_loaded_by_a_page_that_names_only_scripts_that_exist():
    """A module left out of app.html would be dead code; one named but missing, a 404."""
    named = set()
    for template in TEMPLATES:
        named |= set(re.findall(r"filename='(js/[^']+)'", template.read_text()))
    ours = {f"js/{path.name}" for path in (STATIC / "js").glob("*.js")}
    assert named == ours
