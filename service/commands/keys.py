"""`riftcast keys create|revoke|list`: API keys from the shell; a secret is printed once."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from signals.roles import ROLES

if TYPE_CHECKING:
    from signals.config import Settings


def register(sub: Any) -> None:
    keys = sub.add_parser("keys", help="API keys (stored hashed; a key is shown once)")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="create a key and print it once")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--name", required=True, help="recorded on every write the key makes")
    create.set_defaults(func=cmd_create)
    revoke = keys_sub.add_parser("revoke", help="revoke a key by id or prefix")
    revoke.add_argument("key", metavar="ID_OR_PREFIX")
    revoke.set_defaults(func=cmd_revoke)
    listing = keys_sub.add_parser("list", help="list keys (never their secrets)")
    listing.set_defaults(func=cmd_list)


def cmd_create(args: argparse.Namespace, settings: Settings) -> int:
    from signals import access
    from signals.db import Database

    with Database(settings) as db, db.write() as session:
        row, secret = access.create_key(session, args.name, args.role)
    print(f"created {row.role} key {row.id} ({row.name}); it is shown only this once:")
    print(secret)
    return 0


def cmd_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from signals import access
    from signals.db import Database

    with Database(settings) as db, db.write() as session:
        row = access.revoke_key(session, args.key)
    print(f"revoked key {row.id} ({row.name}, {row.role})")
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from signals import access
    from signals.db import Database

    with Database(settings) as db, db.read() as session:
        rows = access.list_keys(session)
    if rows:
        print(f"{'id':<26}  {'prefix':<12} {'role':<8} {'name':<30} state")
    for row in rows:
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        print(f"{row.id}  {row.prefix}…  {row.role:<8} {row.name:<30} {state}")
    if not rows:
        print("no keys; create one with `riftcast keys create --role admin --name NAME`")
    return 0
