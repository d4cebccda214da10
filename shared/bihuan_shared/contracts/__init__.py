"""Event contracts by producing service. Importing this package registers every contract in REGISTRY.

Rules: a contract is immutable once released; add optional fields freely, anything else is a new version."""
from bihuan_shared.contracts import assessment, execution, planning, supervision  # noqa: F401
