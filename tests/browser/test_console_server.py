"""The console server without a browser: dev login validation and claims, the single-page fallback, unknown
services. In-process; the proxy itself is exercised by the browser tests against the real services."""
import httpx
import jwt

from bihuan_local.console_server import create_app
from bihuan_shared.settings import ServiceSettings


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()), base_url="http://console")


async def test_dev_login_mints_a_token_with_role_unit_and_scope():
    async with client() as http:
        r = await http.post("/auth/dev-login", json={"role": "unit_reporter", "unit": "U-HM", "scope": "demo"})
    assert r.status_code == 200, r.text
    s = ServiceSettings()
    claims = jwt.decode(r.json()["token"], s.jwt_secret, algorithms=["HS256"], audience=s.jwt_audience)
    assert (claims["roles"], claims["unit"], claims["scope"]) == (["unit_reporter"], "U-HM", "demo")


async def test_a_leader_acts_as_the_leader_code():
    async with client() as http:
        r = await http.post("/auth/dev-login", json={"role": "leader", "leader": "L-LI", "scope": "demo"})
    assert r.json()["user"] == "L-LI"


async def test_dev_login_names_the_field_that_is_wrong():
    async with client() as http:
        missing_unit = await http.post("/auth/dev-login", json={"role": "unit_reporter", "scope": "demo"})
        bad_role = await http.post("/auth/dev-login", json={"role": "mayor"})
    assert missing_unit.status_code == 422 and missing_unit.json()["details"][0]["field"] == "unit"
    assert bad_role.status_code == 422 and bad_role.json()["details"][0]["field"] == "role"


async def test_dev_login_is_off_when_an_identity_provider_is_configured(monkeypatch):
    monkeypatch.setenv("BIHUAN_OIDC_AUTHORIZE_URL", "https://idp.example/authorize")
    async with client() as http:
        r = await http.post("/auth/dev-login", json={"role": "target_office"})
        config = (await http.get("/auth/config")).json()
    assert r.status_code == 404 and config["dev_login"] is False


async def test_client_routes_get_the_app_and_unknown_services_a_clear_404(tmp_path, monkeypatch):
    (tmp_path / "index.html").write_text("<div id=app></div>")
    monkeypatch.setattr("bihuan_local.console_server.DIST", tmp_path)
    async with client() as http:
        page = await http.get("/targets/abc")
        unknown = await http.get("/api/payroll/anything")
        escape = await http.get("/../../etc/passwd")
    assert page.status_code == 200 and "app" in page.text
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_service"
    assert escape.status_code == 200 and "root:" not in escape.text
