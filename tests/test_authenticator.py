"""The software authenticator of the API tests (``tests/plugins/authenticator.py``).

Held to py_webauthn directly, with no app: its good answers verify, and each bad answer it
can be told to give makes the verification fail.
"""

import json

import pytest
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import PublicKeyCredentialDescriptor

from tests.plugins.authenticator import InvalidStateError, SoftAuthenticator

ORIGIN, RP_ID, USER_ID = "http://localhost", "localhost", b"user-1234"
BAD_ANSWERS = [  # an override, and what py_webauthn says of it
    pytest.param({"origin": "http://evil.example"}, "origin", id="origin"),
    pytest.param({"rp_id": "evil.example"}, "RP ID hash", id="rp_id"),
    pytest.param({"challenge": b"another challenge"}, "challenge", id="challenge"),
]


def creation_options(exclude=()):
    options = generate_registration_options(
        rp_id=RP_ID,
        rp_name="Auth service",
        user_name="alice",
        user_id=USER_ID,
        exclude_credentials=[PublicKeyCredentialDescriptor(id=id_) for id_ in exclude],
    )
    return options, json.loads(options_to_json(options))


def register(authenticator, require_user_verification=False, **overrides):
    options, options_json = creation_options()
    return verify_registration_response(
        credential=authenticator.create(options_json, **overrides),
        expected_challenge=options.challenge,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        require_user_verification=require_user_verification,
    )


def authenticate(authenticator, registration, current_sign_count=0, allow=True, **overrides):
    allowed = [PublicKeyCredentialDescriptor(id=registration.credential_id)] if allow else []
    options = generate_authentication_options(rp_id=RP_ID, allow_credentials=allowed)
    answer = authenticator.get(json.loads(options_to_json(options)), **overrides)
    verified = verify_authentication_response(
        credential=answer,
        expected_challenge=options.challenge,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        credential_public_key=registration.credential_public_key,
        credential_current_sign_count=current_sign_count,
        require_user_verification=True,
    )
    return answer, verified


def test_a_registration_verifies_with_user_verification():
    authenticator = SoftAuthenticator()
    registration = register(authenticator, require_user_verification=True)
    assert registration.user_verified
    assert registration.fmt == "none"
    assert authenticator.credential_ids() == [bytes_to_base64url(registration.credential_id)]


def test_authentications_verify_and_count_up():
    authenticator = SoftAuthenticator()
    registration = register(authenticator)
    _, first = authenticate(authenticator, registration)
    _, second = authenticate(authenticator, registration, current_sign_count=first.new_sign_count)
    assert (first.new_sign_count, second.new_sign_count) == (1, 2)


@pytest.mark.parametrize(("overrides", "message"), BAD_ANSWERS)
def test_a_bad_registration_answer_fails(overrides, message):
    with pytest.raises(InvalidRegistrationResponse, match=message):
        register(SoftAuthenticator(), **overrides)


@pytest.mark.parametrize(("overrides", "message"), BAD_ANSWERS)
def test_a_bad_authentication_answer_fails(overrides, message):
    authenticator = SoftAuthenticator()
    registration = register(authenticator)
    with pytest.raises(InvalidAuthenticationResponse, match=message):
        authenticate(authenticator, registration, **overrides)


def test_a_sign_count_going_backwards_fails():
    authenticator = SoftAuthenticator()
    registration = register(authenticator)
    _, verified = authenticate(authenticator, registration)
    with pytest.raises(InvalidAuthenticationResponse, match="sign count"):
        authenticate(authenticator, registration, verified.new_sign_count, sign_count=0)


def test_a_discoverable_get_answers_with_the_resident_credential_and_user_handle():
    authenticator = SoftAuthenticator()
    registration = register(authenticator)
    register(authenticator)  # a second credential: the first one held answers
    answer, _ = authenticate(authenticator, registration, allow=False)
    assert base64url_to_bytes(answer["id"]) == registration.credential_id
    assert base64url_to_bytes(answer["response"]["userHandle"]) == USER_ID


def test_a_clone_shares_the_credential_and_its_count():
    authenticator = SoftAuthenticator()
    registration = register(authenticator)
    clone = authenticator.clone()
    assert clone.credential_ids() == authenticator.credential_ids()
    _, cloned = authenticate(clone, registration)  # the clone signs with the same key
    with pytest.raises(InvalidAuthenticationResponse, match="sign count"):
        # The original's count lags behind the clone's: the server sees a cloned authenticator.
        authenticate(authenticator, registration, current_sign_count=cloned.new_sign_count)


def test_create_refuses_an_excluded_credential():
    authenticator = SoftAuthenticator()
    registration = register(authenticator)
    _, options_json = creation_options(exclude=[registration.credential_id])
    with pytest.raises(InvalidStateError):
        authenticator.create(options_json)
    assert len(authenticator.credential_ids()) == 1


def test_user_verification_off_fails_when_required():
    with pytest.raises(InvalidRegistrationResponse, match="verif"):
        register(SoftAuthenticator(user_verified=False), require_user_verification=True)
    authenticator = SoftAuthenticator()
    registration = register(authenticator)
    with pytest.raises(InvalidAuthenticationResponse, match="verif"):
        authenticate(authenticator, registration, user_verified=False)


@pytest.mark.parametrize("length", [1, 1023, 1100])
def test_a_credential_id_of_any_length_verifies_as_py_webauthn_takes_it(length):
    """py_webauthn caps no id: the app must refuse one over WebAuthn's 1023 bytes itself."""
    authenticator = SoftAuthenticator()
    registration = register(authenticator, credential_id_length=length)
    assert len(registration.credential_id) == length
    answer, _ = authenticate(authenticator, registration)
    assert base64url_to_bytes(answer["rawId"]) == registration.credential_id
