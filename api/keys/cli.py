"""`claimtrack keys create|list|revoke`, and the local admin key of a first embedded `serve`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import asyncpg
import msgspec

from api.embedded import ensure_database
from api.keys import service
from api.logging import add_verbosity
from api.settings import Settings, asyncpg_dsn
from schemas.keys import KeyCreate

LOCAL_ADMIN = "local-admin"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a key and print its token (last line)")
    create.add_argument("--name", required=True, help="the key's name, recorded as the actor of its changes")
    scopes = create.add_mutually_exclusive_group(required=True)
    scopes.add_argument(
        "--scope",
        action="append",
        choices=service.ALL_SCOPES,
        help="a scope to grant; repeat for several (admin alone manages keys and webhooks, it reads nothing)",
    )
    scopes.add_argument(
        "--all-scopes",
        action="store_const",
        const=list(service.ALL_SCOPES),
        dest="scope",
        help="every scope: " + ", ".join(service.ALL_SCOPES) + " (a first key, to make the others with)",
    )
    listing = actions.add_parser("list", help="list keys (never their tokens)")
    revoke = actions.add_parser("revoke", help="revoke a key by name")
    revoke.add_argument("name")
    for action in (create, listing, revoke):
        add_verbosity(action)


async def _with_connection(url: str, work: Any) -> Any:
    conn = await asyncpg.connect(asyncpg_dsn(url), server_settings={"timezone": "UTC"})
    try:
        return await work(conn)
    finally:
        await conn.close()


def run(args: argparse.Namespace, settings: Settings) -> int:
    from api.errors import ApplicationError
    from api.migrate import upgrade

    url = ensure_database(settings)
    upgrade(url)
    try:
        if args.action == "create":
            try:
                data = msgspec.convert({"name": args.name, "scopes": args.scope}, KeyCreate)
            except msgspec.ValidationError as exc:
                print(f"invalid key: {exc}", file=sys.stderr)
                return 2
            created = asyncio.run(_with_connection(url, lambda c: service.create(c, data, "cli")))
            print(f"created key {created.key.name} with scopes {', '.join(created.key.scopes)}")
            print("the token is shown once; keep it secret:")
            print(created.token)
        elif args.action == "list":
            page = asyncio.run(_with_connection(url, lambda c: service.list_page(c, None, 500)))
            for key in page.items:
                state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
                used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
                print(f"{key.name}\t{','.join(key.scopes)}\t{key.token_prefix}…\t{state}\tlast used {used}")
        else:
            asyncio.run(_with_connection(url, lambda c: service.revoke(c, args.name)))
            print(f"revoked key {args.name}")
    except ApplicationError as exc:
        print(exc.detail, file=sys.stderr)
        return 1
    return 0


def ensure_local_admin(url: str) -> str | None:
    """On a database without any key, create one with every scope; its token, else None."""

    async def work(conn: asyncpg.Connection) -> str | None:
        async with conn.transaction():
            # One serve at a time decides; a second process waits and then sees the key.
            await conn.execute("LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE MODE")
            if await service.count(conn):
                return None
            data = KeyCreate(name=LOCAL_ADMIN, scopes=list(service.ALL_SCOPES))  # type: ignore[arg-type]
            return (await service.create(conn, data, "serve")).token

    result: str | None = asyncio.run(_with_connection(url, work))
    return result
