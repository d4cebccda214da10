"""The four services by name, and each one's settings class, found the same way by the migrate job, the health
check, the launcher and the tests (the kit cannot import the services at import time: they import the kit)."""
from importlib import import_module

from bihuan_shared.settings import ServiceSettings

SERVICES = ("planning", "execution", "supervision", "assessment")


def settings_class(service: str) -> type[ServiceSettings]:
    """The one ServiceSettings subclass in bihuan_<service>.settings."""
    module = import_module(f"bihuan_{service}.settings")
    classes = [v for v in vars(module).values()
               if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings]
    if len(classes) != 1:
        raise LookupError(f"bihuan_{service}.settings must define exactly one ServiceSettings subclass")
    return classes[0]
