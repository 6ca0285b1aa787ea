"""The committed artefacts stay current: `schema.graphql` and the migrations match the code, and the tests' copied
SQLite databases are exactly what the migrations make."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector

from jinlin import db
from jinlin.db import tortoise_config
from schema.root import build_schema
from tests import conftest as harness

ROOT = Path(__file__).resolve().parent.parent


def test_exported_schema_is_current() -> None:
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == build_schema().as_str() + "\n", "run: jinlin export-schema -o schema.graphql"


async def test_migrations_match_models() -> None:
    config = tortoise_config("sqlite://:memory:")
    async with tortoise_cli_context(config) as ctx:
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    assert writers == [], "run: tortoise makemigrations (and commit the new migration)"


def test_contract_names_are_present() -> None:
    """A few names the mobile apps are written against (the whole SDL is pinned by the export test)."""
    sdl = build_schema().as_str()
    for name in ("node(id: ID!): Node", "nodes(ids: [ID!]!): [Node]!", "viewer: User",
                 "orgs(filter: OrgFilter = null, first: Int = null, after: String = null): OrgConnection!",
                 "signUp(input: SignUpInput!): AuthPayload!", "pairPartner(input: PairPartnerInput!)",
                 "unpairPartner(input: UnpairPartnerInput!): PairPartnerPayload!",
                 "coverageRate: Float!", "viewerRole: MemberRole", "field: [String!]", "code: ErrorCode!"):
        assert name in sdl, name


def test_model_docstrings_have_no_semicolons() -> None:
    """tortoise's SQLite migration runner splits on `;`, and model docstrings become table comments."""
    from tortoise import Tortoise

    Tortoise.init_models(["models." + m.split(".")[1] for m in __import__("models").MODEL_MODULES], "jinlin")
    for model in Tortoise.apps["jinlin"].values():
        assert ";" not in (model._meta.table_description or ""), model.__name__


async def _sqlite_state() -> dict[str, Any]:
    """Everything of the current SQLite database that migrations decide: sqlite_master row by row (with each
    statement's text and root page), the migration records, sequences, row counts and the header's pragmas."""
    master = await db.fetch("SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master ORDER BY rowid")
    tables = [row["name"] for row in master if row["type"] == "table"]
    state: dict[str, Any] = {
        "master": master,
        "migrations": await db.fetch("SELECT id, app, name FROM tortoise_migrations ORDER BY id"),
        "rows": {t: (await db.fetch(f'SELECT COUNT(*) AS n FROM "{t}"'))[0]["n"]  # nosec: names from sqlite_master
                 for t in tables if t != "tortoise_migrations"},
    }
    if "sqlite_sequence" in tables:
        state["sequences"] = await db.fetch("SELECT name, seq FROM sqlite_sequence ORDER BY name")
    # Not schema_version: a counter SQLite bumps on every schema change (a copy counts as one), not content.
    for pragma in ("user_version", "application_id", "foreign_keys", "journal_mode", "integrity_check"):
        state[pragma] = list((await db.fetch(f"PRAGMA {pragma}"))[0].values())[0]
    return state


@pytest.mark.skipif(harness.TEST_DB_URL is not None, reason="only in-memory SQLite tests get copied databases")
async def test_copied_sqlite_database_equals_real_migrations() -> None:
    """Tests on SQLite get a copy of one real migration (for speed): it must be the schema the migrations make."""
    settings = harness.make_settings()
    await harness._fresh_database(settings)  # the session's one real migration, unless an earlier test ran it
    await Tortoise.close_connections()
    assert harness._sqlite_migrated is not None
    await harness._fresh_database(settings)  # now certainly a copy
    try:
        copied = await _sqlite_state()
    finally:
        await Tortoise.close_connections()

    config = tortoise_config(settings.db_url)
    await Tortoise.init(config=config, _enable_global_fallback=True)
    try:
        await harness._migrate(config)  # from scratch, the way every test did before the copies
        migrated = await _sqlite_state()
    finally:
        await Tortoise.close_connections()

    assert len(copied["migrations"]) >= 5 and {"org", "project", "booking"} <= set(copied["rows"])
    assert (copied["foreign_keys"], copied["integrity_check"]) == (1, "ok")
    assert copied == migrated
