"""The vendored jQuery and Bootstrap: versioned paths, licences, and nothing from elsewhere."""

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "app" / "static"
VENDOR = STATIC / "vendor"
TEMPLATE = STATIC.parent / "templates" / "app.html"
SOURCE_MAP = re.compile(r"[#@] sourceMappingURL=(\S+?)\s*(?:\*/)?\s*$", re.MULTILINE)
VENDORED = {
    "jquery": re.compile(r"3\.7\.\d+"),
    "bootstrap": re.compile(r"5\.\d+\.\d+"),
}


def vendor_dirs():
    return sorted(path for path in VENDOR.iterdir() if path.is_dir())


def test_each_library_is_vendored_once_with_its_version_in_the_path():
    names = {}
    for path in vendor_dirs():
        name, _, version = path.name.rpartition("-")
        assert name in VENDORED, path
        assert VENDORED[name].fullmatch(version), path
        names.setdefault(name, []).append(version)
    assert {name: len(versions) for name, versions in names.items()} == dict.fromkeys(VENDORED, 1)


@pytest.mark.parametrize("path", vendor_dirs(), ids=lambda path: path.name)
def test_licence_and_minified_files_sit_together(path):
    assert [p.name for p in path.iterdir() if p.name.upper().startswith("LICENSE")]
    minified = [p for p in path.iterdir() if re.search(r"\.min\.(js|css)$", p.name)]
    assert minified
    for file in minified:
        version = path.name.rpartition("-")[2]
        assert version in file.read_text()[:500], f"{file} does not name {version}"


@pytest.mark.parametrize("path", sorted(VENDOR.rglob("*.min.*")), ids=lambda path: path.name)
def test_source_maps_named_by_a_file_are_shipped(path):
    """A dangling sourceMappingURL makes Chromium's developer tools log a 404."""
    for target in SOURCE_MAP.findall(path.read_text()):
        assert (path.parent / target).is_file(), f"{path.name} names missing {target}"


def test_page_loads_the_vendored_files_from_this_host():
    template = TEMPLATE.read_text()
    assert not re.search(r"(src|href)=\"(https?:)?//", template)
    referenced = set(re.findall(r"filename='(vendor/[^']+)'", template))
    assert referenced
    for name in referenced:
        assert (STATIC / name).is_file(), name
