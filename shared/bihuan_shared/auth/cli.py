"""Mint a development token: `make token ROLE=unit_reporter UNIT=U01` or
`python -m bihuan_shared.auth.cli --role target_office --scope xuhui`."""
import argparse

from bihuan_shared.auth.principal import Role
from bihuan_shared.auth.tokens import mint_token
from bihuan_shared.settings import ServiceSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Mint a Bihuan development bearer token (HS256, dev secret).")
    parser.add_argument("--role", action="append", required=True, choices=[r.value for r in Role],
                        help="repeat for several roles")
    parser.add_argument("--unit", help="unit code the caller belongs to")
    parser.add_argument("--scope", default="demo", help="district / tenant code (default: demo)")
    parser.add_argument("--user", default=None, help="user id (default: <role>@<unit or scope>)")
    parser.add_argument("--name", default=None, help="display name")
    parser.add_argument("--hours", type=float, default=12)
    args = parser.parse_args(argv)
    user = args.user or f"{args.role[0]}@{args.unit or args.scope}"
    print(mint_token(ServiceSettings(), user=user, roles=args.role, unit=args.unit, scope=args.scope,
                     name=args.name, ttl_seconds=int(args.hours * 3600)))


if __name__ == "__main__":
    main()
