"""Per-request dependencies shared by every service."""
from typing import Annotated, AsyncIterator

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def dependency_calls(dependant):
    """Every callable a route depends on, however deep (read for the roles and budgets a route declares)."""
    for sub in dependant.dependencies:
        yield sub.call
        yield from dependency_calls(sub)
