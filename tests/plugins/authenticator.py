"""A software WebAuthn authenticator, so the API tests can play browser and passkey at once.

``SoftAuthenticator`` answers the options py_webauthn gives (``options_to_json``, parsed) with
the JSON a browser's ``PublicKeyCredential.toJSON()`` gives: a platform authenticator with
resident (discoverable) credentials, ES256 (P-256) keys and attestation "none". Keyword
overrides make the bad answers of attack tests: another origin, rp id or challenge, UV off, a
sign count going backwards, another user handle, a credential id of any length (WebAuthn's
limit is 1023 bytes; nothing in the format stops a longer one). ``clone()`` copies keys and
counts, as a cloned authenticator would.

Errors are named after the browser's DOMExceptions: ``InvalidStateError`` for an excluded
credential, ``NotAllowedError`` when no credential can answer, ``NotSupportedError`` when the
options allow no ES256 key.
"""

import hashlib
import json
import secrets
from dataclasses import dataclass, replace

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

ES256 = -7
FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_AT = 0x40
AAGUID = bytes(16)


class InvalidStateError(Exception):
    """The creation options exclude a credential this authenticator holds."""


class NotAllowedError(Exception):
    """No credential of this authenticator can answer the options."""


class NotSupportedError(Exception):
    """The creation options allow no algorithm this authenticator has (ES256)."""


@dataclass
class Credential:
    id: bytes
    private_key: ec.EllipticCurvePrivateKey
    user_handle: bytes
    rp_id: str
    sign_count: int = 0


def _encode(value):
    """Bytes as base64url; a str is taken as already encoded."""
    return value if isinstance(value, str) else bytes_to_base64url(value)


def _client_data(kind, challenge, origin):
    data = {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
    return json.dumps(data, separators=(",", ":")).encode()


def _auth_data(rp_id, flags, sign_count, attested=b""):
    rp_id_hash = hashlib.sha256(rp_id.encode()).digest()
    return rp_id_hash + bytes([flags]) + sign_count.to_bytes(4, "big") + attested


def _cose_key(private_key):
    numbers = private_key.public_key().public_numbers()
    x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
    return cbor2.dumps({1: 2, 3: ES256, -1: 1, -2: x, -3: y})


class SoftAuthenticator:
    """A platform authenticator with resident (discoverable) credentials, in software.

    ES256 (P-256) keys, attestation "none".
    """

    def __init__(self, origin="http://localhost", rp_id="localhost", user_verified=True):
        self.origin = origin
        self.rp_id = rp_id
        self.user_verified = user_verified
        self._credentials: list[Credential] = []

    def credential_ids(self) -> list[str]:
        """The base64url ids of the credentials held, oldest first."""
        return [bytes_to_base64url(credential.id) for credential in self._credentials]

    def clone(self) -> "SoftAuthenticator":
        """A copy holding the same keys and sign counts; the two count apart from then on."""
        copy = SoftAuthenticator(self.origin, self.rp_id, self.user_verified)
        copy._credentials = [replace(credential) for credential in self._credentials]
        return copy

    def _flags(self, user_verified):
        verified = self.user_verified if user_verified is None else user_verified
        return FLAG_UP | (FLAG_UV if verified else 0)

    def create(
        self,
        options,
        *,
        origin=None,
        rp_id=None,
        challenge=None,
        user_verified=None,
        credential_id_length=None,
    ):
        """Answer creation options with a RegistrationResponseJSON dict, keeping the credential.

        The credential belongs to the options' rp (``rp.id``, else this authenticator's); the
        ``rp_id`` override only changes the hash in the authenticator data. ``challenge`` is
        bytes or a base64url str. Its id is 16 to 32 random bytes, or ``credential_id_length``.
        """
        options_rp_id = options.get("rp", {}).get("id") or self.rp_id
        algorithms = [param.get("alg") for param in options.get("pubKeyCredParams", [])]
        if algorithms and ES256 not in algorithms:
            raise NotSupportedError(f"no ES256 among the algorithms {algorithms}")
        excluded = {
            base64url_to_bytes(item["id"]) for item in options.get("excludeCredentials", [])
        }
        for credential in self._credentials:
            if credential.rp_id == options_rp_id and credential.id in excluded:
                raise InvalidStateError(f"credential {bytes_to_base64url(credential.id)} excluded")

        credential = Credential(
            id=secrets.token_bytes(credential_id_length or 16 + secrets.randbelow(17)),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            user_handle=base64url_to_bytes(options["user"]["id"]),
            rp_id=options_rp_id,
        )
        attested = (
            AAGUID
            + len(credential.id).to_bytes(2, "big")
            + credential.id
            + _cose_key(credential.private_key)
        )
        auth_data = _auth_data(
            rp_id or options_rp_id,
            self._flags(user_verified) | FLAG_AT,
            credential.sign_count,
            attested,
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = _client_data(
            "webauthn.create",
            options["challenge"] if challenge is None else _encode(challenge),
            origin or self.origin,
        )
        self._credentials.append(credential)
        credential_id = bytes_to_base64url(credential.id)
        return {
            "id": credential_id,
            "rawId": credential_id,
            "type": "public-key",
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "attestationObject": bytes_to_base64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def _pick(self, options, credential_id, rp_id):
        if credential_id is not None:
            wanted = [base64url_to_bytes(credential_id)]
        else:
            allowed = [
                base64url_to_bytes(item["id"]) for item in options.get("allowCredentials", [])
            ]
            held = [credential.id for credential in self._credentials if credential.rp_id == rp_id]
            wanted = [id_ for id_ in allowed if id_ in held] + held
        for id_ in wanted:
            for credential in self._credentials:
                if credential.id == id_:
                    return credential
        raise NotAllowedError(f"no credential for {credential_id or rp_id!r}")

    def get(
        self,
        options,
        *,
        credential_id=None,
        origin=None,
        rp_id=None,
        challenge=None,
        user_verified=None,
        sign_count=None,
        user_handle=...,
    ):
        """Answer request options with an AuthenticationResponseJSON dict.

        Signs with ``credential_id`` (base64url) if given, else the first of
        ``allowCredentials`` held, else the first credential held for the options' rp
        (``rpId``, else this authenticator's). The stored sign count goes up by 1 and is used,
        unless ``sign_count`` is given: that value is sent and the stored count left alone.
        ``user_handle`` (bytes or base64url str) replaces the credential's; None leaves it out.
        """
        options_rp_id = options.get("rpId") or self.rp_id
        credential = self._pick(options, credential_id, options_rp_id)
        if sign_count is None:
            credential.sign_count += 1
            sign_count = credential.sign_count
        auth_data = _auth_data(rp_id or credential.rp_id, self._flags(user_verified), sign_count)
        client_data = _client_data(
            "webauthn.get",
            options["challenge"] if challenge is None else _encode(challenge),
            origin or self.origin,
        )
        signature = credential.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        if user_handle is ...:
            user_handle = credential.user_handle
        response = {
            "clientDataJSON": bytes_to_base64url(client_data),
            "authenticatorData": bytes_to_base64url(auth_data),
            "signature": bytes_to_base64url(signature),
        }
        if user_handle is not None:
            response["userHandle"] = _encode(user_handle)
        credential_id = bytes_to_base64url(credential.id)
        return {
            "id": credential_id,
            "rawId": credential_id,
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }
