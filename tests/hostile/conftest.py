"""Fixtures of the hostile tests that consume events."""
import pytest

from bihuan_shared.testing.infra import create_vhost, delete_vhost


@pytest.fixture(scope="module")
def vhost_url(request, infra, run_id):
    """A vhost of the module's own: the e2e system's workers share the run's vhost and would take its events."""
    vhost = f"bihuan_test_{run_id}_{request.module.__name__.rsplit('.', 1)[-1]}"
    create_vhost(infra, vhost)
    yield infra.vhost_url(vhost)
    delete_vhost(infra, vhost)
