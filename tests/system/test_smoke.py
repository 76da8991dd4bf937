import json
import urllib.request


def test_signup_login_logout(auth, client):
    assert auth.signup().status_code == 201
    assert client.get("/api/auth/verify_auth").status_code == 200
    assert auth.logout().status_code == 200
    assert client.get("/api/auth/verify_auth").status_code == 401
    assert auth.login().status_code == 200
    assert auth.logout().status_code == 200


def test_live_server_answers(live_server):
    with urllib.request.urlopen(live_server.url + "/api/auth/csrf") as response:
        assert json.load(response)["success"] is True
