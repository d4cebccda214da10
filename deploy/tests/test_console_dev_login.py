"""Issue 12 #6: the console's dev login mints any role for anyone, so it exists only in development (404 otherwise),
only on a loopback console unless asked for, and only for a concrete scope code (never a wildcard), registered or not."""
import httpx
import jwt
import pytest

from bihuan_local.console_server import create_app
from bihuan_shared.settings import ServiceSettings


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()), base_url="http://console")


async def login(body: dict) -> httpx.Response:
    async with client() as http:
        return await http.post("/auth/dev-login", json=body)


@pytest.mark.parametrize("env", [None, "production", "staging"])
async def test_dev_login_is_not_found_outside_development(monkeypatch, env):
    if env is None:
        monkeypatch.delenv("BIHUAN_ENV", raising=False)
    else:
        monkeypatch.setenv("BIHUAN_ENV", env)
    r = await login({"role": "target_office", "scope": "demo"})
    async with client() as http:
        config = (await http.get("/auth/config")).json()
    assert r.status_code == 404 and config["dev_login"] is False


async def test_dev_login_is_off_on_a_public_address_unless_asked(monkeypatch):
    monkeypatch.setenv("BIHUAN_CONSOLE_HTTP_HOST", "0.0.0.0")
    assert (await login({"role": "target_office", "scope": "demo"})).status_code == 404
    monkeypatch.setenv("BIHUAN_CONSOLE_DEV_LOGIN", "true")
    assert (await login({"role": "target_office", "scope": "demo"})).status_code == 200


@pytest.mark.parametrize("scope", ["*", "", "demo/*", "a" * 65, "城市"])
async def test_dev_login_never_mints_a_wildcard_or_malformed_scope(scope):
    r = await login({"role": "target_office", "scope": scope})
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "scope"


@pytest.mark.parametrize("field", ["unit", "leader"])
async def test_unit_and_leader_are_codes(field):
    r = await login({"role": "leader", "scope": "demo", field: "*"})
    assert r.status_code == 422 and r.json()["details"][0]["field"] == field


async def test_an_unregistered_scope_code_still_logs_in():
    r = await login({"role": "target_office", "scope": "new-office_2026.x"})
    assert r.status_code == 200, r.text
    s = ServiceSettings()
    claims = jwt.decode(r.json()["token"], s.jwt_secret, algorithms=["HS256"], audience=s.jwt_audience)
    assert claims["scope"] == "new-office_2026.x"
