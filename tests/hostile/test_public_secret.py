"""Issue 12 #5: the HS256 secret written in the repository lets anyone forge a token, so every API, every worker and
refuse to start with it (or any secret under 32 bytes) unless BIHUAN_ENV=development is set (`make up`, `make token`
and the test harness set it). A JWKS (RS256) configuration needs no secret."""
import asyncio
from importlib import import_module

import pytest

from bihuan_shared.testing.routes import SERVICES, create_app, settings_class

PUBLIC_DEV_SECRET = "bihuan-dev-secret-change-me-in-production-32b"  # as written in the repository
PRIVATE = "x" * 48
PUBLIC_DEV_AUDIT_KEY = "bihuan-dev-audit-key-change-me-in-production-32"  # as written in the repository


def production(service: str, **changes):
    # The test harness runs in development (plugin); these settings say production explicitly.
    return settings_class(service)(environment="production", **changes)


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("secret", [PUBLIC_DEV_SECRET, "short-but-private"])
async def test_api_and_worker_refuse_a_public_or_short_secret(service, secret):
    app = create_app(service, production(service, jwt_secret=secret))
    with pytest.raises(RuntimeError, match="JWT_SECRET.*BIHUAN_ENV=development"):
        async with app.router.lifespan_context(app):
            pass
    runtime = import_module(f"bihuan_{service}.worker").runtime(production(service, jwt_secret=secret))
    with pytest.raises(RuntimeError, match="JWT_SECRET"):
        await asyncio.wait_for(runtime.run(asyncio.Event()), timeout=10)


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("key", [PUBLIC_DEV_AUDIT_KEY, "short-but-private"])
async def test_api_and_worker_refuse_a_public_or_short_audit_key(service, key):
    """Issue 12 #9: with the public key anyone who can write the database could rewrite the audit chain."""
    for jwt in ({"jwt_secret": PRIVATE}, {"jwt_jwks_url": "https://idp.example/jwks"}):
        app = create_app(service, production(service, audit_key=key, **jwt))
        with pytest.raises(RuntimeError, match="AUDIT_KEY.*BIHUAN_ENV=development"):
            async with app.router.lifespan_context(app):
                pass
    runtime = import_module(f"bihuan_{service}.worker").runtime(production(service, jwt_secret=PRIVATE,
                                                                            audit_key=key))
    with pytest.raises(RuntimeError, match="AUDIT_KEY"):
        await asyncio.wait_for(runtime.run(asyncio.Event()), timeout=10)


@pytest.mark.parametrize("changes", [{"jwt_secret": PRIVATE}, {"jwt_jwks_url": "https://idp.example/jwks"},
                                     {"environment": "development"}])
async def test_a_private_secret_jwks_or_development_starts(changes):
    changes = {"audit_key": PRIVATE, **changes} if "environment" not in changes else changes
    app = create_app("planning", settings_class("planning")(**{"environment": "production", **changes}))
    async with app.router.lifespan_context(app):
        pass

