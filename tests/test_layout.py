"""The layout's rules, read from the source: only ``app/api/`` speaks HTTP's envelope, no
module grows past 250 lines, and only flows end a transaction (docs/architecture.md)."""

import ast

import pytest

from tests.helpers import ROOT

APP = ROOT / "app"
MODULES = sorted(APP.rglob("*.py"))
MAX_LINES = 250

# The modules whose functions are flows: each says where its transactions end.
FLOWS = {
    "app/accounts/addresses.py",
    "app/accounts/deletion.py",
    "app/accounts/logins.py",
    "app/accounts/reauthentication.py",
    "app/accounts/recovery.py",
    "app/accounts/password.py",
    "app/accounts/signup.py",
    "app/accounts/sessions.py",
    "app/admin/actions.py",
    "app/mfa/flows.py",
    "app/mfa/login.py",
    "app/passkeys/flows.py",
    "app/passkeys/uses.py",
    "app/personal_tokens/flows.py",
    # The mail sender's round: a claim commits before the message goes, each outcome after.
    "app/mail/sender.py",
    # The operator's commands.
    "app/commands.py",
    "app/mfa/commands.py",
}
# Below no flow, each for its reason (docs/architecture.md, "Transactions").
OWN_TRANSACTIONS = {
    # The rollback of a transaction whose connection is lost, before the 503.
    "app/api/errors.py",
    # A purge deletes in batches, each committed, so that no lock is held for long.
    "app/database.py",
    # The session's last-seen time, written while the cookie is resolved, before the view.
    "app/sessions/cookie.py",
    # A token's last use, written when the bearer request is checked, before the view.
    "app/personal_tokens/guard.py",
    # ``User.authenticate``, the tutorial's one call for a shell.
    "app/users/models.py",
}


def name_of(path) -> str:
    return path.relative_to(ROOT).as_posix()


def tree_of(path):
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported(tree) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def ends_a_transaction(tree) -> bool:
    """True when the module calls ``….commit()`` or ``….rollback()`` of a session."""
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"commit", "rollback"}
        and not node.args
        for node in ast.walk(tree)
    )


@pytest.mark.parametrize("path", MODULES, ids=name_of)
def test_only_app_api_imports_app_api(path):
    """Flows raise ``app.common.refusals``; only the API turns them into answers. The factory
    (``app/__init__.py``) is the one other importer: it registers the blueprints."""
    name = name_of(path)
    if name.startswith("app/api/") or name == "app/__init__.py":
        return
    uses = {module for module in imported(tree_of(path)) if module.split(".")[:2] == ["app", "api"]}
    assert not uses, f"{name} imports {sorted(uses)}"


@pytest.mark.parametrize("path", MODULES, ids=name_of)
def test_no_module_is_over_the_line_limit(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name_of(path)} has {lines} lines"


@pytest.mark.parametrize("path", MODULES, ids=name_of)
def test_only_flows_end_a_transaction(path):
    """A helper below a flow neither commits nor rolls back: the flow says where its
    transaction ends."""
    name = name_of(path)
    if name in FLOWS or name in OWN_TRANSACTIONS:
        return
    assert not ends_a_transaction(tree_of(path)), f"{name} commits or rolls back"


def test_every_named_flow_module_still_ends_its_transactions():
    """The lists above name modules that exist and do end transactions: a stale entry would
    let a helper of that name commit unseen."""
    for name in FLOWS | OWN_TRANSACTIONS:
        assert ends_a_transaction(tree_of(ROOT / name)), name
