"""The committed artefacts stay current: `schema.graphql` and the migrations match the code."""

from __future__ import annotations

from pathlib import Path

from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector

from jinlin.db import tortoise_config
from schema.root import build_schema

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
