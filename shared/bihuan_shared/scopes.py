"""The scope tree (city → districts) as every consuming service learns it from planning's events.

Planning owns the scopes; execution, supervision and assessment keep this small copy so that a city token's read
reach over its districts (`Principal.reads`) is decided from the service's own records, never from the token and
never by asking planning at request time. Services include SCOPE_TREE_METADATA in their migrations, SCOPE_HANDLERS in
a consumer, and `install_scope_tree` in their app's startup."""
from fastapi import FastAPI
from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlalchemy.dialects.postgresql import insert

from bihuan_shared.auth.scope_tree import ScopeTree
from bihuan_shared.bus.consumer import HandlerContext, PermanentFailure
from bihuan_shared.bus.scope_guard import require_same_scope
from bihuan_shared.contracts.planning import ScopeRegistered, ScopeUpdated

SCOPE_TREE_METADATA = MetaData()

scope_tree = Table(
    "scope_tree",
    SCOPE_TREE_METADATA,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("parent", String(64), index=True),
    Column("event_seq", Integer, nullable=False),
)


async def on_scope_saved(ctx: HandlerContext, event: ScopeRegistered | ScopeUpdated) -> None:
    # Planning labels a district's event with its city: an event claiming another scope is not to be believed,
    # since a wrong parent here would widen a city's reach.
    if ctx.envelope.scope != (event.parent or event.code):
        raise PermanentFailure(f"scope event for {event.code} labelled {ctx.envelope.scope!r}, "
                               f"expected {event.parent or event.code!r}")
    # A known scope keeps the city it was registered under: an event naming another one (and labelled with it)
    # is about a scope that does not exist here.
    stored = (await ctx.session.execute(select(scope_tree.c.parent).where(scope_tree.c.code == event.code))).first()
    if stored is not None:
        require_same_scope(ctx.envelope, stored.parent or event.code, f"scope {event.code}")
    row = {"code": event.code, "name": event.name, "kind": event.kind, "parent": event.parent,
           "event_seq": ctx.envelope.sequence}
    stmt = insert(scope_tree).values(row)
    # Kind and city are fixed at registration (planning refuses to change them), so an update renames only.
    await ctx.session.execute(stmt.on_conflict_do_update(
        index_elements=[scope_tree.c.code], set_={"name": stmt.excluded.name, "event_seq": stmt.excluded.event_seq},
        where=scope_tree.c.event_seq < stmt.excluded.event_seq))


SCOPE_HANDLERS = {"planning.scope.registered": on_scope_saved, "planning.scope.updated": on_scope_saved}


async def install_scope_tree(app: FastAPI) -> None:
    """Startup hook: city tokens get their districts from this service's copy of the tree."""
    async def load(city: str) -> frozenset[str]:
        async with app.state.sessionmaker() as session:
            return frozenset(await session.scalars(
                select(scope_tree.c.code).where(scope_tree.c.parent == city, scope_tree.c.kind == "district")))

    app.state.scope_tree = ScopeTree(load)


def create_scope_tree_table() -> None:
    """Alembic upgrade step shared by the consuming services' migrations (revision 1 of the table; a change to it
    is a new function, never an edit of this one)."""
    from alembic import op
    import sqlalchemy as sa

    op.create_table("scope_tree",
                    sa.Column("code", sa.String(length=64), nullable=False),
                    sa.Column("name", sa.String(length=200), nullable=False),
                    sa.Column("kind", sa.String(length=16), nullable=False),
                    sa.Column("parent", sa.String(length=64), nullable=True),
                    sa.Column("event_seq", sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint("code"))
    op.create_index(op.f("ix_scope_tree_parent"), "scope_tree", ["parent"], unique=False)


def drop_scope_tree_table() -> None:
    from alembic import op

    op.drop_index(op.f("ix_scope_tree_parent"), table_name="scope_tree")
    op.drop_table("scope_tree")
