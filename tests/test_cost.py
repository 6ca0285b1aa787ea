"""The query cost limit (schema.cost): exact estimates for the shapes apps send, variables, fragments, the refusal
before any resolver runs, the setting; and the document shape limits checked before validation."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from graphql import parse, validate

from app import create_app
from jinlin import settings as settings_module
from jinlin.settings import SettingsError
from models import audit as audit_model
from models.org import Org as OrgRow
from schema import cost
from schema.root import build_schema
from tests.asgi_ws import WsClient
from tests.conftest import Api, count_sql, make_settings, org_id

SCHEMA = build_schema()._schema
NESTED = "{ orgs(first: 100) { nodes { children(first: 100) { nodes { members(first: 100) { nodes { role } } } } } } }"
NESTED_COST = 100 + 100 * 100 + 100 * 100 * 100


def estimate(query: str, variables: dict[str, Any] | None = None, operation: str | None = None) -> int | None:
    document = parse(query)
    assert validate(SCHEMA, document) == []
    return cost.estimate(SCHEMA, document, operation, variables)


def too_complex(estimate_: int, limit: int = 10_000, lang: str | None = None) -> dict:
    text = (f"The query is too complex: about {estimate_} objects, at most {limit}; ask for smaller pages" if lang
            else f"查询过于复杂：预计返回 {estimate_} 个对象，上限 {limit} 个；请减小 first 或分页查询")
    return {"data": None, "errors": [{"message": text, "extensions": {
        "code": "QUERY_TOO_COMPLEX", "cost": estimate_, "maxCost": limit}}]}


# --- estimates ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    # A connection counts its page; fields below it count once per row of every page above them.
    (NESTED, NESTED_COST),
    ("{ orgs(first: 7) { nodes { name kind } } }", 7),
    # `first` left out: the default page of schema.relay.
    ("{ orgs { nodes { name } } }", 20),
    ("{ orgs { nodes { children { nodes { name } } } } }", 20 + 20 * 20),
    # Scalars, single objects, pageInfo and totalCount are free; only totalCount reads no rows at all.
    ('{ org(id: "x") { name parent { name parent { name } } stats { compoundCount } } }', 0),
    ("{ orgs(first: 100) { totalCount } }", 0),
    ("{ orgs(first: 100) { nodes { children { totalCount } } } }", 100),
    ("{ orgs(first: 5) { totalCount pageInfo { hasNextPage endCursor } } }", 5),
    ("{ orgs(first: 0) { nodes { children(first: 100) { nodes { name } } } } }", 0),
    # edges and nodes are one page; what hangs below each is walked (and counted) separately.
    ("{ orgs(first: 5) { edges { cursor node { children(first: 3) { nodes { id } } } } "
     "nodes { children(first: 2) { nodes { id } } } } }", 5 + 5 * 3 + 5 * 2),
    # Each alias runs, so each counts; the same field twice under one key runs once.
    ("{ a: orgs(first: 10) { nodes { id } } b: orgs(first: 10) { nodes { id } } }", 20),
    ("{ orgs(first: 10) { nodes { id } } orgs(first: 10) { nodes { name } } }", 10),
    # Lists without `first`: ancestors at most 4, photos at most 6, any other a page.
    ("{ orgs(first: 10) { nodes { ancestors { name } } } }", 10 + 10 * 4),
    ("{ orders(first: 10) { nodes { photos { url } events { status } } } }", 10 + 10 * 6 + 10 * 20),
    ("{ orgs(first: 10) { nodes { ancestors { children(first: 3) { nodes { id } } } } } }", 10 + 10 * 4 * (1 + 3)),
    # Introspection and __typename cost nothing (graphql-core bounds introspection's depth; production refuses it).
    ("{ __typename __schema { types { name fields { name } } } }", 0),
    # Mutations: their payloads are priced the same way.
    ('mutation { updateOrg(input: {orgId: "x", name: "y"}) { org { children(first: 50) { nodes { name } } } } }', 50),
])
def test_estimates(query: str, expected: int) -> None:
    assert estimate(query) == expected


def test_fragments_count_where_they_are_spread() -> None:
    named = """{ orgs(first: 10) { nodes { ...Tree } } }
        fragment Tree on Org { children(first: 3) { nodes { ...Leaf } } }
        fragment Leaf on Org { partners(first: 2) { nodes { name } } }"""
    assert estimate(named) == 10 + 10 * 3 + 10 * 3 * 2
    inline = "{ orgs(first: 10) { nodes { ... on Org { children(first: 3) { nodes { id } } } } } }"
    assert estimate(inline) == 10 + 10 * 3
    # Spread twice into one selection: the executor merges it, so it counts once.
    twice = ("{ orgs(first: 10) { nodes { ...Kids ...Kids } } } "
             "fragment Kids on Org { children(first: 3) { nodes { id } } }")
    assert estimate(twice) == 10 + 10 * 3
    # Two fragments selecting the same connection under one key: one execution, one count.
    merged = """{ orgs(first: 10) { nodes { ...A ...B } } }
        fragment A on Org { children(first: 3) { nodes { id } } }
        fragment B on Org { children(first: 3) { nodes { name } } }"""
    assert estimate(merged) == 10 + 10 * 3


def test_interface_items_cost_what_their_dearest_type_selects() -> None:
    query = """query($ids: [ID!]!) { nodes(ids: $ids) { id
        ... on Org { children(first: 10) { nodes { id } } }
        ... on Compound { branch { name } } } }"""
    assert estimate(query, {"ids": ["a", "b", "c"]}) == 3 * (1 + 10)
    assert estimate(query, {"ids": []}) == 0
    assert estimate('{ node(id: "x") { ... on Org { children(first: 10) { nodes { id } } } } }') == 10


def test_variables_and_their_defaults() -> None:
    query = "query($n: Int, $m: Int = 9) { a: orgs(first: $n) { nodes { id } } b: orgs(first: $m) { nodes { id } } }"
    assert estimate(query, {"n": 70, "m": 3}) == 70 + 3
    assert estimate(query, {}) == 20 + 9  # $n unset: the default page; $m its default
    assert estimate(query, {"n": None, "m": None}) == 20 + 20  # explicit nulls: the default page
    assert estimate(NESTED.replace("first: 100", "first: $n").replace("{ orgs", "query($n: Int) { orgs", 1),
                    {"n": 100}) == NESTED_COST
    # Variables that do not coerce: graphql-core refuses them before any resolver, nothing to price.
    assert estimate(query, {"n": "seventy"}) is None
    # Operations by name.
    two = "query Small { orgs(first: 1) { nodes { id } } } query Big { orgs(first: 99) { nodes { id } } }"
    assert estimate(two, operation="Small") == 1 and estimate(two, operation="Big") == 99
    assert estimate(two, operation="Missing") is None


def test_skip_and_include_are_honoured() -> None:
    query = """query($heavy: Boolean!) { orgs(first: 10) { nodes {
        children(first: 50) @include(if: $heavy) { nodes { id } }
        partners(first: 50) @skip(if: $heavy) { nodes { id } } } } }"""
    assert estimate(query, {"heavy": True}) == 10 + 10 * 50
    assert estimate(query, {"heavy": False}) == 10 + 10 * 50
    assert estimate("{ orgs(first: 10) @skip(if: true) { nodes { id } } }") == 0
    spread = "query($x: Boolean!) { orgs(first: 10) { nodes { ...K @include(if: $x) } } } " \
             "fragment K on Org { children(first: 5) { nodes { id } } }"
    assert estimate(spread, {"x": False}) == 10 and estimate(spread, {"x": True}) == 10 + 10 * 5


def test_fragment_bombs_are_priced_quickly_and_saturate() -> None:
    """Each level spreads the next twice under different fields: 2^60 paths, one walk per fragment."""
    levels = 60
    fragments = "".join(f"fragment F{i} on Org {{ parent {{ ...F{i + 1} }} ancestors {{ ...F{i + 1} }} }}\n"
                        for i in range(levels))
    query = '{ org(id: "x") { ...F0 } }\n' + fragments + f"fragment F{levels} on Org {{ id }}"
    started = time.perf_counter()
    assert estimate(query) == cost.SATURATED == 2**53 - 1
    assert time.perf_counter() - started < 1


def test_the_list_sizes_follow_the_domain() -> None:
    from models.enums import PARENT_KINDS, OrgKind
    from models.photo import MAX_PHOTOS

    def depth(kind: OrgKind | None) -> int:
        return 0 if kind is None else 1 + max(depth(parent) for parent in PARENT_KINDS[kind])

    assert cost.LIST_SIZES["Org.ancestors"] == max(depth(kind) for kind in OrgKind) - 1
    assert cost.LIST_SIZES["Order.photos"] == cost.LIST_SIZES["Opinion.photos"] == MAX_PHOTOS


# --- over HTTP ------------------------------------------------------------------------------------------------------

async def test_a_costly_query_is_refused_before_any_resolver(api: Api) -> None:
    with count_sql() as sql:
        response = await api.post(NESTED)
    assert response.status_code == 200
    assert response.json() == too_complex(NESTED_COST)
    assert sql.count == 0
    english = await api.post(NESTED, lang="en")
    assert english.json() == too_complex(NESTED_COST, lang="en")


async def test_the_limit_is_inclusive_and_configurable(database: None) -> None:
    app = create_app(make_settings(max_query_cost=100), init_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        query = "query($n: Int) { orgs(first: $n) { nodes { ancestors { name } } } }"
        at_limit = await http.post("/graphql", json={"query": query, "variables": {"n": 20}})
        assert at_limit.json() == {"data": {"orgs": {"nodes": []}}}  # 20 + 20 * 4 = 100
        over = await http.post("/graphql", json={"query": query, "variables": {"n": 21}})
        assert over.json() == too_complex(105, limit=100)


async def test_the_limit_applies_in_production_too(database: None) -> None:
    app = create_app(make_settings(env="production"), init_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        response = await http.post("/graphql", json={"query": NESTED})
    assert response.json() == too_complex(NESTED_COST)


async def test_a_refused_mutation_changes_nothing(demo: Api) -> None:
    lianhua = await org_id("莲花北社区")
    audit_rows = await audit_model.AuditEntry.all().count()
    mutation = """mutation($input: UpdateOrgInput!) { updateOrg(input: $input) { org { name
        children(first: 100) { nodes { children(first: 100) { nodes { name } } } } } errors { code } } }"""
    with count_sql() as sql:
        body = await demo(mutation, {"input": {"orgId": lianhua, "name": "改名"}}, as_="13800000002")
    assert body == too_complex(100 + 100 * 100 + 20)  # `errors` is a list without `first`: a page
    assert sql.count == 0
    assert await OrgRow.filter(name="改名").count() == 0
    assert await audit_model.AuditEntry.all().count() == audit_rows  # the mutation never ran, so nothing to audit


async def test_screens_stay_far_below_the_limit(demo: Api) -> None:
    """The README's organisation tree and a paged list with nested pages at the maximum page size."""
    tree = """{ orgs(filter: {kind: DISTRICT}) { nodes { id name children(first: 20) { totalCount
        pageInfo { hasNextPage endCursor } nodes { id name kind children { totalCount nodes { name kind } } } } } } }"""
    assert estimate(tree) == 20 + 20 * 20 + 20 * 20 * 20
    assert (await demo.ok(tree))["orgs"]["nodes"][0]["name"] == "思明区"
    assert estimate("{ projects(first: 100) { nodes { title claims(first: 20) { nodes { status } } } } }") == 2100


async def test_a_costly_subscription_is_refused(demo: Api) -> None:
    query = """subscription($id: ID!) { claimUpdated(projectId: $id) { project {
        claims(first: 100) { nodes { project { claims(first: 100) { nodes { id } } } } } } } }"""
    app = demo.http._transport.app  # type: ignore[attr-defined]
    async with WsClient(app) as ws:
        assert await ws.init({"Authorization": f"Bearer {demo.token('13800000004')}"}) == {"type": "connection_ack"}
        await ws.subscribe("1", query, {"id": "UHJvamVjdDox"})
        assert await ws.receive() == {"id": "1", "type": "next", "payload": too_complex(100 + 100 * 100)}
        assert await ws.receive() == {"id": "1", "type": "complete"}


# --- the setting ----------------------------------------------------------------------------------------------------

def test_the_setting(tmp_path: Any) -> None:
    base = {"JINLIN_DB_URL": f"sqlite://{tmp_path}/x.sqlite3"}
    assert settings_module.load(base).max_query_cost == cost.DEFAULT_MAX_COST == 10_000
    assert settings_module.load({**base, "JINLIN_MAX_QUERY_COST": " 2500 "}).max_query_cost == 2500
    assert settings_module.load({**base, "JINLIN_MAX_QUERY_COST": ""}).max_query_cost == 10_000
    for bad in ("0", "-5", "1e4", "10_000", "²", "ten", "1000000001"):
        with pytest.raises(SettingsError, match="JINLIN_MAX_QUERY_COST must be a whole number of objects from 1"):
            settings_module.load({**base, "JINLIN_MAX_QUERY_COST": bad})


# --- document shape -------------------------------------------------------------------------------------------------

def shape(query: str, lang: str = "en") -> list[str]:
    return [error.message for error in cost.shape_errors(parse(query), lang)]


def test_directives_per_place() -> None:
    assert shape("{ __typename @include(if: true) @skip(if: false) @aa }") == []
    assert shape("{ __typename @aa @aa @aa @aa }") == ["Too many directives at one place (4; at most 3)"]
    assert shape("query @a @b @c @d { __typename }") == ["Too many directives at one place (4; at most 3)"]
    assert shape("{ ...F @a @b @c @d } fragment F on Query { __typename }") == [
        "Too many directives at one place (4; at most 3)"]
    # One error however many places overflow, in the request's language.
    assert shape("{ a: __typename @x @x @x @x b: __typename @y @y @y @y }", "zh") == [
        "同一位置的指令过多（4 个，上限 3 个）"]


def test_repeated_fields() -> None:
    limit = cost.MAX_REPEATED_FIELDS
    assert shape("{ " + "__typename " * (limit + 1) + "}") == []
    assert shape("{ " + "__typename " * (limit + 2) + "}") == [
        f"Too many repeated fields in the query ({limit + 1}; at most {limit})"]
    # Repeats add up over the document; aliases are other keys; inline fragments share their set's keys.
    half = "__typename " * 17
    assert shape(f"{{ orgs {{ nodes {{ {half} }} }} org(id: \"x\") {{ {half} }} }}") == [
        "Too many repeated fields in the query (32; at most 30)"]
    assert shape("{ " + " ".join(f"a{i}: __typename" for i in range(200)) + " }") == []
    inline = "{ " + " ".join("... on Query { __typename }" for _ in range(limit + 2)) + " }"
    assert shape(inline) == [f"Too many repeated fields in the query ({limit + 1}; at most {limit})"]
    # Distinct fragments selecting one key repeat it where they are spread; one fragment spread twice does not.
    fragments = "".join(f"fragment F{i} on Query {{ orgs {{ totalCount }} }} " for i in range(limit + 2))
    spreads = " ".join(f"...F{i}" for i in range(limit + 2))
    assert shape(f"{{ {spreads} }} {fragments}") == [
        f"Too many repeated fields in the query ({limit + 1}; at most {limit})"]
    assert shape("{ " + "...F " * 100 + "} fragment F on Query { orgs { totalCount } }") == []
    # A fragment's own repeats are counted once, where it is defined, however often it is spread.
    inner = "fragment F on Org { " + "name " * 11 + "}"
    assert shape("{ a: org(id: \"1\") { ...F } b: org(id: \"2\") { ...F } c: org(id: \"3\") { ...F } } " + inner) == []


def test_fragment_expansion() -> None:
    """Spreads expanded as the production limiters walk them: each one replaced by its fragment, every time."""
    def fan_out(levels: int) -> str:
        return "{ ...F0 } " + "".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }} "
                                      for i in range(levels)) + f"fragment F{levels} on Query {{ __typename }}"

    assert cost.check_shape(parse(fan_out(13)), "en") == ([], True)  # 2^13 fields
    errors, sound = cost.check_shape(parse(fan_out(14)), "en")
    assert sound and [e.message for e in errors] == [
        "Too many fields in the query (16384, a fragment's wherever it is spread; at most 10000)"]
    # Fields written out count once each (a cap on size where no token limit applies: development); a fragment counts
    # its fields wherever it is spread.
    assert shape("{ " + " ".join(f"a{i}: __typename" for i in range(10_000)) + " }") == []
    assert shape("{ " + " ".join(f"a{i}: __typename" for i in range(10_001)) + " }") == [
        "Too many fields in the query (10001, a fragment's wherever it is spread; at most 10000)"]
    fields = " ".join(f"a{i}: __typename" for i in range(2_000))
    assert shape(f"{{ ...F o1: org(id: 1) {{ ...F }} }} fragment F on Query {{ {fields} }}") == []
    assert shape(f"{{ ...F ...G ...H ...I ...J ...K }} fragment F on Query {{ {fields} }} "
                 + " ".join(f"fragment {g} on Query {{ ...F }}" for g in "GHIJK")) == [
        "Too many fields in the query (12000, a fragment's wherever it is spread; at most 10000)"]
    # Unsound fragments are left to graphql-core's rules (which report them); nothing to size.
    assert cost.check_shape(parse("{ ...Nope }"), "en") == ([], False)
    assert cost.check_shape(parse("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"), "en") == (
        [], False)
    assert cost.check_shape(parse(fan_out(60).replace("fragment F60 on Query { __typename }",
                                                      "fragment F60 on Query { ...F0 }")), "en") == ([], False)
