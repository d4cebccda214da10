"""A value the database cannot take (an integer beyond its column, text with a NUL character, a malformed date) is the
client's mistake, not the server's: answer 422 with the database's reason instead of a 500.

PostgreSQL reports these as SQLSTATE class 22 (data exception); asyncpg refuses some before sending (its DataError,
e.g. 'value out of int32 range'). Any other database error stays a 500."""
from sqlalchemy.exc import DBAPIError


def data_exception_reason(exc: BaseException) -> str | None:
    """The reason when exc (or what it wraps) is a data exception, else None."""
    import asyncpg

    seen = exc.orig if isinstance(exc, DBAPIError) else exc
    while seen is not None:
        if isinstance(seen, asyncpg.exceptions.DataError):
            return str(seen)
        state = getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None)
        if isinstance(state, str) and state.startswith("22"):
            return str(seen).splitlines()[0]
        seen = seen.__cause__
    return None
