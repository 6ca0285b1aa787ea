"""Fuzzing the whole API with schemathesis (GraphQL mode): every query field and every mutation, with documents and
argument values generated from the schema the live server introspects, sent over real HTTP to uvicorn serving the
test's throwaway database (the demo world), as the district admin, as a resident of 观远里 and anonymously.

Generated ids are mostly swapped for real ones of the kind the argument names (an `orderId` gets an order of the
world as it is at that moment), so mutations get past NOT_FOUND into their rules, and every mutation also asks for
its payload's `errors`, so business refusals and their messages are looked at too. Any refusal is a fine answer:
payload `errors`, top-level UNAUTHENTICATED / FORBIDDEN / NOT_FOUND / INVALID, GraphQL validation of a generated
value, QUERY_TOO_COMPLEX, RATE_LIMITED or HTTP 429, a request TIMEOUT. A server error never is: no HTTP 5xx (but a
timeout's 503), no `INTERNAL`, no error without a code, no exception text (a traceback, a Python exception's name, a
source path, a driver's name, SQL) in an error or a non-JSON body.

Deterministic for CI: hypothesis is derandomized (a fixed seed for each operation), with a bounded number of examples
per operation and identity (EXAMPLES; JINLIN_FUZZ_EXAMPLES=N sets every identity's to N for a deeper run by hand).
The per-address and per-user request rates are off for these apps: the fuzzer is one client sending as fast as it can.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from random import Random
from typing import Any

import graphql
import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st

from jinlin import db
from jinlin.settings import Settings
from schema.relay import to_global_id
from tests.conftest import Api, make_settings
from tests.live_server import serving

ADMIN0, RESIDENT = "13800000000", "13800000006"  # the district admin; 林居民, living in 观远里小区
IDENTITIES = {"district-admin": ADMIN0, "resident": RESIDENT, "anonymous": None}
# Examples per operation (79 of them) for each identity; anonymous calls mostly end at UNAUTHENTICATED.
EXAMPLES = {"district-admin": 12, "resident": 12, "anonymous": 4}
if os.environ.get("JINLIN_FUZZ_EXAMPLES"):
    EXAMPLES = dict.fromkeys(EXAMPLES, int(os.environ["JINLIN_FUZZ_EXAMPLES"]))
OPERATIONS = 79  # query fields and mutations of schema.graphql (subscriptions are websocket-only)
REAL_ID_CHANCE = 0.85  # how often a generated id literal is replaced by a real id

# Where the rows behind each kind of global id live.
TABLES = {"Org": "org", "Compound": "compound", "User": "app_user", "Registration": "registration",
          "Project": "project", "Claim": "claim", "Notification": "notification", "Resource": "resource",
          "Booking": "booking", "Alliance": "alliance", "Meeting": "meeting", "Resolution": "resolution",
          "DutyShift": "duty_shift", "ServiceOffering": "service_offering", "Order": "resident_order",
          "Opinion": "opinion", "Household": "household", "Poll": "poll", "PollOption": "poll_option"}
ORG_ARGUMENTS = {"branchId", "centreOrgId", "communityId", "convenerOrgId", "forOrgId", "inviteeOrgIds", "leadOrgId",
                 "onBehalfOfOrgId", "orgId", "ownerId", "ownerOrgId", "parentId", "partnerUnitId", "providerId",
                 "providerOrgId", "requestableBy"}
# The kind of object each ID-typed argument or input field of the schema names (`id`, `ids`: any kind).
ID_KINDS: dict[str, str | None] = {
    **dict.fromkeys(ORG_ARGUMENTS, "Org"),
    "allianceId": "Alliance", "bookingId": "Booking", "claimId": "Claim", "compoundId": "Compound",
    "householdId": "Household", "meetingId": "Meeting", "offeringId": "ServiceOffering", "opinionId": "Opinion",
    "optionId": "PollOption", "orderId": "Order", "pollId": "Poll", "projectId": "Project",
    "registrationId": "Registration", "resolutionId": "Resolution", "resourceId": "Resource", "shiftId": "DutyShift",
    "withShiftId": "DutyShift", "userId": "User", "id": None, "ids": None,
}

FAULT_CODES = {"INTERNAL", "INTERNAL_SERVER_ERROR"}
EXCEPTION_TEXT = re.compile("|".join([
    r"Traceback \(most recent call last\)",
    r'File "[^"]*", line \d+',
    r"\b\w+\.py\b",
    r"site-packages",
    r"\b(?:[A-Z][a-z]+)+(?:Error|Exception)\b",  # ValueError, IntegrityError, OperationalError, KeyError, ...
    r"\bDoesNotExist\b|\bMultipleObjectsReturned\b",
    r"(?i:\b(?:tortoise|asyncpg|aiosqlite|sqlite3?|psycopg2?|pypika|uvicorn|starlette)\b)",
    r"\b(?:SELECT|INSERT|UPDATE|DELETE)\b.*\b(?:FROM|INTO|SET|WHERE)\b",
]))
# A request cut off by the server's time limit (jinlin.timeouts: 503, code TIMEOUT) is a refusal, not a fault.
TIMEOUT_CODES = {"TIMEOUT"}
# What every mutation asks for besides the generated selection (aliased: the generated one may select `errors`).
ERRORS_ALIAS = "fuzzErrors"
ERRORS_SELECTION = graphql.parse(f"{{ {ERRORS_ALIAS}: errors {{ field code message }} }}").definitions[0] \
    .selection_set.selections[0]  # type: ignore[attr-defined]


@pytest.fixture
def settings() -> Settings:
    """The test app without the per-address and per-user request rates (the fuzzer is one client sending hundreds
    of requests a second); the per-account limit on logging in stays, its refusal is an answer like any other."""
    names = {f.name for f in dataclasses.fields(Settings)}
    return make_settings(**{name: None for name in ("rate_ip", "rate_user") if name in names})


# --- the generated documents, made to reach the resolvers' rules --------------------------------------------------


async def add_bookings() -> None:
    """The demo has no bookings: two requests for its shared venue (莲花北社区活动室, by its branch 观远里 and by the
    paired partner unit 捷安), one of them approved, for approve/reject/cancelBooking to act on."""
    from models import resource as resource_model
    from models.org import Org
    from models.resource import Resource
    from models.user import User

    venue = await Resource.get(name="莲花北社区活动室")
    start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    for hours, org, phone in ((0, "观远里小区党支部", "13800000003"), (1, "厦门市捷安集团党支部", "13800000005")):
        booking = await resource_model.request(
            resource_id=venue.id, for_org_id=(await Org.get(name=org)).id,
            requested_by=(await User.get(phone=phone)).id, starts_at=start + timedelta(hours=hours),
            ends_at=start + timedelta(hours=hours + 2), quantity=1, purpose="fuzz", project_id=None)
    assert await resource_model.approve(booking_id=booking.id, decided_by=(await User.get(phone="13800000002")).id)



async def id_pool() -> dict[str, list[str]]:
    """Global ids of every row of every kind, as the world is now."""
    pool: dict[str, list[str]] = {}
    for type_name, table in TABLES.items():
        rows = await db.fetch(f"SELECT id FROM {table} ORDER BY id")
        pool[type_name] = [to_global_id(type_name, row["id"]) for row in rows]
    return pool


def _real_id(kind: str | None, pool: dict[str, list[str]], rnd: Random) -> str | None:
    if kind is None or rnd.random() < 0.1:  # now and then a real id of another kind
        kind = rnd.choice(sorted(k for k, ids in pool.items() if ids))
    ids = pool.get(kind) or []
    return rnd.choice(ids) if ids else None


def prepared(document: str, pool: dict[str, list[str]], rnd: Random) -> str:
    """The generated document with most of its ID literals replaced by real ids, and a mutation also asking for
    its payload's errors (every payload has them) with their codes and messages."""

    def swap(name: str, value: graphql.ValueNode) -> graphql.ValueNode:
        if isinstance(value, graphql.ListValueNode):
            return graphql.ListValueNode(values=tuple(swap(name, item) for item in value.values))
        if isinstance(value, (graphql.StringValueNode, graphql.IntValueNode)) and rnd.random() < REAL_ID_CHANCE:
            real = _real_id(ID_KINDS[name], pool, rnd)
            if real is not None:
                return graphql.StringValueNode(value=real)
        return value

    class Rewriter(graphql.Visitor):
        def enter_argument(self, node: graphql.ArgumentNode, *_: object) -> graphql.ArgumentNode | None:
            if node.name.value in ID_KINDS:
                return graphql.ArgumentNode(name=node.name, value=swap(node.name.value, node.value))
            return None

        def enter_object_field(self, node: graphql.ObjectFieldNode, *_: object) -> graphql.ObjectFieldNode | None:
            if node.name.value in ID_KINDS:
                return graphql.ObjectFieldNode(name=node.name, value=swap(node.name.value, node.value))
            return None

        def enter_operation_definition(self, node: graphql.OperationDefinitionNode, *_: object) -> object:
            if node.operation is not graphql.OperationType.MUTATION:
                return None
            roots = tuple(
                graphql.FieldNode(alias=root.alias, name=root.name, arguments=root.arguments,
                                  directives=root.directives, selection_set=graphql.SelectionSetNode(
                                      selections=(*root.selection_set.selections, ERRORS_SELECTION)))
                for root in node.selection_set.selections)  # type: ignore[union-attr]
            return graphql.OperationDefinitionNode(
                operation=node.operation, name=node.name, variable_definitions=node.variable_definitions,
                directives=node.directives, selection_set=graphql.SelectionSetNode(selections=roots))

    return graphql.print_ast(graphql.visit(graphql.parse(document), Rewriter()))


# --- the checks (schemathesis custom checks: ctx, response, case) ----------------------------------------------------


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _top_level_errors(body: Any) -> list:
    errors = body.get("errors") if isinstance(body, dict) else None
    return errors if isinstance(errors, list) else []


def _payload_errors(body: Any) -> list:
    """The mutation payload's errors (business refusals as data)."""
    data = body.get("data") if isinstance(body, dict) else None
    out: list = []
    for payload in (data or {}).values() if isinstance(data, dict) else ():
        if isinstance(payload, dict):
            out += payload.get(ERRORS_ALIAS) or payload.get("errors") or []
    return out


def _code(error: Any) -> object:
    return (error.get("extensions") or {}).get("code") if isinstance(error, dict) else None


def not_a_server_error(ctx: Any, response: Any, case: Any) -> None:
    """HTTP status below 500, but for a request cut off by the time limit (503 TIMEOUT)."""
    if response.status_code < 500:
        return
    codes = {_code(e) for e in _top_level_errors(_json(response))}
    if response.status_code == 503 and codes and codes <= TIMEOUT_CODES:
        return
    raise AssertionError(f"HTTP {response.status_code}: {response.text[:500]}")


def no_internal_error(ctx: Any, response: Any, case: Any) -> None:
    """No `INTERNAL` (a fault the error policy masked), no error without a code (one that went around it)."""
    for error in _top_level_errors(_json(response)):
        code = _code(error)
        if not isinstance(code, str) or code in FAULT_CODES:
            raise AssertionError(f"error {code or 'without a code'}: {error}")


def no_exception_text(ctx: Any, response: Any, case: Any) -> None:
    """No traceback, exception name, source path, driver or SQL in the errors (top-level or the payload's) or in a
    body that is not JSON. `data` echoes the generated input and is not looked at."""
    body = _json(response)
    texts = [response.text] if body is None else [str(e) for e in _top_level_errors(body) + _payload_errors(body)]
    for text in texts:
        found = EXCEPTION_TEXT.search(text)
        if found:
            raise AssertionError(f"exception text {found.group(0)!r} in {text[:500]}")


CHECKS = [not_a_server_error, no_internal_error, no_exception_text]


# --- the run -----------------------------------------------------------------------------------------------------


@dataclass
class Report:
    """How the answers ended, per operation, and the failures (each operation's first, shrunk by hypothesis)."""

    outcomes: dict[str, Counter] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    waited: float = 0.0  # seconds spent waiting for the server

    def record(self, label: str, response: requests.Response) -> None:
        body = _json(response)
        errors, refusals = _top_level_errors(body), _payload_errors(body)
        if response.status_code == 429:
            kind = "HTTP 429"
        elif errors:
            kind = str(_code(errors[0]))
        elif refusals:
            kind = f"payload {refusals[0].get('code') if isinstance(refusals[0], dict) else '?'}"
        else:
            kind = "OK"
        self.outcomes.setdefault(label, Counter())[kind] += 1

    def summary(self) -> Counter:
        total: Counter = Counter()
        for counts in self.outcomes.values():
            total.update(counts)
        return total


def fuzz(url: str, token: str | None, examples: int, refresh_pool: Callable[[], dict[str, list[str]]]) -> Report:
    """Every operation of the schema the server introspects, `examples` cases each (runs in a worker thread)."""
    schema = schemathesis.graphql.from_url(url, timeout=30)
    # The one scalar schemathesis has no strategy for: a plain string where an upload belongs (the server refuses).
    schemathesis.graphql.scalar("Upload", st.sampled_from(["photo.jpg", ""]).map(schemathesis.graphql.nodes.String))
    headers = {"Accept": "application/graphql-response+json, application/json"}  # what Apollo's clients send
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    report = Report()
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            pool = refresh_pool()

            @hypothesis.settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                                 phases=[Phase.explicit, Phase.generate, Phase.shrink],
                                 suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(), rnd=st.randoms(use_true_random=True))
            def run(case: Any, rnd: Random) -> None:
                case.body = prepared(case.body, pool, rnd)
                sent = time.monotonic()
                response = case.call(base_url=url, session=session, headers=headers, timeout=60)
                report.waited += time.monotonic() - sent
                report.record(operation.label, response)
                case.validate_response(response, checks=CHECKS, headers=headers)

            try:
                run()
            # schemathesis raises its check failures as a FailureGroup (a BaseExceptionGroup); every failing
            # operation is reported, not only the first.
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001
                report.failures[operation.label] = str(exc)[:4000]
    return report


@pytest.mark.parametrize("who", list(IDENTITIES))
async def test_no_operation_fails_the_server(demo: Api, who: str) -> None:
    phone = IDENTITIES[who]
    token = demo.token(phone) if phone else None
    app = demo.http._transport.app  # type: ignore[attr-defined]
    loop = asyncio.get_running_loop()
    await add_bookings()

    def refresh_pool() -> dict[str, list[str]]:
        return asyncio.run_coroutine_threadsafe(id_pool(), loop).result(timeout=60)

    async with serving(app) as host:
        started = time.monotonic()
        report = await asyncio.to_thread(fuzz, f"http://{host}/graphql", token, EXAMPLES[who], refresh_pool)
        elapsed = time.monotonic() - started
    seen = report.summary()
    print(f"\nfuzz as {who}: {len(report.outcomes)} operations, {sum(seen.values())} requests in {elapsed:.1f} s "
          f"({report.waited:.1f} s waiting for answers): {dict(seen.most_common())}")
    assert not report.failures, "\n\n".join(f"== {label}\n{text}" for label, text in report.failures.items())
    assert len(report.outcomes) == OPERATIONS, sorted(report.outcomes)  # every query field and mutation was tried
    if phone is not None:  # the generated calls got past the front door, many of them to an answer with data
        assert seen["OK"] + sum(n for kind, n in seen.items() if kind.startswith("payload")) > sum(seen.values()) / 2
