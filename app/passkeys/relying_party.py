"""The relying party: options for the browser, and checks of its answers, with py_webauthn.

The RP ID and the origin come from ``PUBLIC_URL`` (or ``PASSKEY_RP_ID``), never from the
request's ``Host``: a forged Host cannot make the server accept an answer meant for another
site. Every way an answer can fail (its shape, its origin, its RP ID, its challenge, its
signature, its counter) comes out as one ``Refused``.

py_webauthn is imported inside the functions that call it: it costs a worker megabytes
that a worker serving no passkey ceremony never needs to hold.
"""

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

from app.common.base64url import base64url_to_bytes, bytes_to_base64url
from app.passkeys.models import MAX_CREDENTIAL_ID_BYTES

TIMEOUT_MS = 300_000
# AuthenticatorTransport's values, which the tests hold to py_webauthn's own list.
KNOWN_TRANSPORTS = frozenset({"ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"})


class Refused(Exception):
    """The browser's answer is not good, whatever the reason."""


@dataclass(frozen=True)
class NewCredential:
    credential_id: str
    public_key: bytes
    sign_count: int
    backed_up: bool
    transports: str


def rp_id() -> str:
    return (
        current_app.config["PASSKEY_RP_ID"] or urlsplit(current_app.config["PUBLIC_URL"]).hostname
    )


def origin() -> str:
    parts = urlsplit(current_app.config["PUBLIC_URL"])
    return f"{parts.scheme}://{parts.netloc}"


def _descriptors(passkeys):
    from webauthn.helpers.structs import AuthenticatorTransport, PublicKeyCredentialDescriptor

    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(passkey.credential_id),
            transports=[AuthenticatorTransport(t) for t in passkey.transports.split()],
        )
        for passkey in passkeys
    ]


def creation_options(user, handle: bytes, challenge: bytes, existing) -> dict:
    """The options of a new passkey for ``user``: discoverable if the authenticator can,
    user verification if it can, none of ``existing`` again."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    options = generate_registration_options(
        rp_id=rp_id(),
        rp_name=current_app.config["PASSKEY_RP_NAME"],
        user_id=handle,
        user_name=user.user_name,
        user_display_name=f"{user.first_name} {user.last_name}",
        challenge=challenge,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(existing),
    )
    return json.loads(options_to_json(options))


def request_options(challenge: bytes, passkeys=(), verification_required=False) -> dict:
    """The options of a sign-in: with ``passkeys`` those allowed, else any discoverable one."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers.structs import UserVerificationRequirement

    options = generate_authentication_options(
        rp_id=rp_id(),
        challenge=challenge,
        timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(passkeys),
        user_verification=UserVerificationRequirement.REQUIRED
        if verification_required
        else UserVerificationRequirement.PREFERRED,
    )
    return json.loads(options_to_json(options))


def _transports_of(credential) -> str:
    reported = (credential.get("response") or {}).get("transports") or []
    if not isinstance(reported, list):
        return ""
    return " ".join(sorted({t for t in reported if t in KNOWN_TRANSPORTS}))


def verify_new(credential, challenge: bytes) -> NewCredential:
    """The credential of a registration answer, checked; ``Refused`` if it is not good."""
    from webauthn import verify_registration_response
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=origin(),
        )
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise Refused from exc
    # py_webauthn takes an id of any length: one over WebAuthn's could never be stored.
    if len(verified.credential_id) > MAX_CREDENTIAL_ID_BYTES:
        raise Refused
    return NewCredential(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        backed_up=verified.credential_backed_up,
        transports=_transports_of(credential),
    )


def credential_id_of(credential) -> str:
    """The credential id an answer names, as stored (unpadded base64url of at most 1023
    bytes); ``Refused`` when it names none, or one of any other shape or length."""
    raw = credential.get("rawId") if isinstance(credential, dict) else None
    if not isinstance(raw, str):
        raise Refused
    try:
        decoded = base64url_to_bytes(raw)
    except ValueError as exc:
        raise Refused from exc
    if not decoded or len(decoded) > MAX_CREDENTIAL_ID_BYTES or bytes_to_base64url(decoded) != raw:
        raise Refused
    return raw


def user_handle_of(credential) -> str | None:
    response = credential.get("response")
    handle = response.get("userHandle") if isinstance(response, dict) else None
    return handle if isinstance(handle, str) and handle else None


def verify_use(credential, challenge: bytes, passkey, verification_required=False) -> int:
    """The new sign count of a sign-in answer with ``passkey``, checked; ``Refused`` if it is
    not good, a counter that did not move forward (a cloned authenticator) included."""
    from webauthn import verify_authentication_response
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=origin(),
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=verification_required,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise Refused from exc
    return verified.new_sign_count
