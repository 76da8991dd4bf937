"""The scope table: which routes a token may call, with which scope, as the code, the contract
and this table say alike; and every route asked with every scope."""

import re

import pytest

from app.common import messages
from app.personal_tokens import scopes
from app.personal_tokens.scopes import (
    ACCOUNT_READ,
    ADMIN_READ,
    ADMIN_WRITE,
    SCOPES,
    SESSIONS_READ,
    SESSIONS_WRITE,
)
from app.users.constants import ROLE_BY_NAME
from tests.contract import OPERATIONS
from tests.helpers import assert_error
from tests.plugins.accounts import add_token, add_user, bearer

# (method, the contract's path): the scope a token needs. Every other operation is for a
# session only.
TABLE = {
    ("GET", "/api/auth/verify_auth"): ACCOUNT_READ,
    ("GET", "/api/auth/forward"): ACCOUNT_READ,
    ("GET", "/api/auth/mfa"): ACCOUNT_READ,
    ("GET", "/api/auth/passkeys"): ACCOUNT_READ,
    ("GET", "/api/auth/tokens"): ACCOUNT_READ,
    ("GET", "/api/auth/sessions"): SESSIONS_READ,
    ("DELETE", "/api/auth/sessions/{public_id}"): SESSIONS_WRITE,
    ("POST", "/api/auth/logout_all"): SESSIONS_WRITE,
    ("DELETE", "/api/auth/tokens/{public_id}"): SESSIONS_WRITE,
    ("GET", "/api/admin/users"): ADMIN_READ,
    ("GET", "/api/admin/users/{user_id}"): ADMIN_READ,
    ("POST", "/api/admin/users/{user_id}/disable"): ADMIN_WRITE,
    ("POST", "/api/admin/users/{user_id}/enable"): ADMIN_WRITE,
    ("POST", "/api/admin/users/{user_id}/logout"): ADMIN_WRITE,
}
SESSION_ONLY = sorted(
    (method.upper(), path)
    for method, path, _operation in OPERATIONS
    if (method.upper(), path) not in TABLE
)
FLASK_PARAMETER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def code_table(app) -> dict:
    """The table as the views' ``@bearer`` decorators make it."""
    table = {}
    for rule in app.url_map.iter_rules():
        scope = scopes.needed(app.view_functions[rule.endpoint])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if scope is not None:
                table[(method, FLASK_PARAMETER.sub(r"{\1}", rule.rule))] = scope
    return table


def contract_table() -> dict:
    """The table as ``openapi.yaml``'s ``security`` entries make it: ``bearer: [scope]``."""
    table = {}
    for method, path, operation in OPERATIONS:
        for requirement in operation.get("security", []):
            if "bearer" in requirement:
                (scope,) = requirement["bearer"]
                table[(method.upper(), path)] = scope
    return table


def test_the_code_and_the_contract_hold_the_same_table(app):
    assert code_table(app) == TABLE
    assert contract_table() == TABLE


def test_no_scope_reaches_a_sensitive_action():
    sensitive = {
        ("POST", "/api/auth/change_password"),
        ("POST", "/api/auth/change_email"),
        ("POST", "/api/auth/mfa/totp/setup"),
        ("POST", "/api/auth/mfa/totp/disable"),
        ("POST", "/api/auth/mfa/recovery_codes"),
        ("POST", "/api/auth/passkeys/register/begin"),
        ("DELETE", "/api/auth/passkeys/{public_id}"),
        ("POST", "/api/auth/tokens"),
        ("POST", "/api/auth/delete_account"),
        ("GET", "/api/auth/account/export"),
        ("POST", "/api/admin/users/{user_id}/role"),
        ("DELETE", "/api/admin/users/{user_id}"),
    }
    assert sensitive <= set(SESSION_ONLY)


@pytest.mark.parametrize(
    ("role", "grantable"),
    [
        ("admin", set(SCOPES)),
        ("staff", {ACCOUNT_READ, SESSIONS_READ, SESSIONS_WRITE, ADMIN_READ}),
        ("user", {ACCOUNT_READ, SESSIONS_READ, SESSIONS_WRITE}),
        ("test", {ACCOUNT_READ, SESSIONS_READ, SESSIONS_WRITE}),
    ],
)
def test_a_role_bounds_the_scopes(role, grantable):
    assert scopes.grantable(ROLE_BY_NAME[role]) == grantable


def _concrete(path, target_id):
    return path.replace("{public_id}", "no-such-id").replace("{user_id}", str(target_id))


@pytest.mark.parametrize(("method", "path"), sorted(TABLE), ids=" ".join)
def test_each_route_takes_its_scope_and_no_other(app, client, method, path):
    """An admin's token with one scope at a time: the route's own scope gets past the guard
    (whatever the view then says), every other one is a 403 naming the scope needed."""
    admin = add_user(app, "root", role="admin", confirmed=True)
    target = add_user(app, "bob", confirmed=True)
    needed = TABLE[(method, path)]
    for scope in SCOPES:
        token = add_token(app, admin, scopes=[scope])
        response = client.open(_concrete(path, target.id), method=method, headers=bearer(token))
        if scope == needed:
            assert response.status_code in {200, 204, 404}, (scope, response.get_json())
        else:
            message = messages.INSUFFICIENT_SCOPE.format(scope=needed)
            assert_error(response, 403, message, error_type=messages.INSUFFICIENT_SCOPE_TYPE)


def test_every_other_route_is_for_a_session_only(app, client):
    """A token with every scope is refused each session-only operation before its view runs:
    nothing in the body, not even a missing CSRF token, is looked at."""
    admin = add_user(app, "root", role="admin", confirmed=True)
    token = add_token(app, admin, scopes=SCOPES)
    for method, path in SESSION_ONLY:
        response = client.open(_concrete(path, admin.id), method=method, headers=bearer(token))
        assert_error(
            response, 403, messages.SESSION_ONLY, error_type=messages.INSUFFICIENT_SCOPE_TYPE
        )
        assert "Set-Cookie" not in response.headers, (method, path)


@pytest.mark.parametrize("role", ["staff", "user"])
def test_a_token_is_bounded_by_its_owners_role_now(app, client, role):
    """An admin's admin:write token, its owner since made staff (or a user): the role of now
    bounds it, so the admin write is a 403 and nothing changes."""
    owner = add_user(app, "root", role=role, confirmed=True)
    target = add_user(app, "bob", confirmed=True)
    token = add_token(app, owner, scopes=[ADMIN_READ, ADMIN_WRITE])
    response = client.post(f"/api/admin/users/{target.id}/disable", headers=bearer(token))
    message = messages.INSUFFICIENT_SCOPE.format(scope=ADMIN_WRITE)
    assert_error(response, 403, message, error_type=messages.INSUFFICIENT_SCOPE_TYPE)
    verify = client.get("/api/admin/users", headers=bearer(token))
    assert verify.status_code == (200 if role == "staff" else 403)
