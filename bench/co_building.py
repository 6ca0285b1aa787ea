"""Benchmark the co-building screens at Siming scale: the district dashboard's stats, a community's duty roster,
and planning a street's rotation, in-process over ASGI on a freshly seeded database.

Run: `python bench/co_building.py [--db URL] [--rounds N]` (default: a temporary SQLite file). Prints one line per
screen with median and p95 milliseconds and the SQL statements per request; nothing is asserted here (tests assert
behaviour, this measures speed).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
from tortoise import Tortoise

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from auth import tokens  # noqa: E402
from auth.tokens import TokenType  # noqa: E402
from jinlin.cli import apply_migrations  # noqa: E402
from jinlin.db import tortoise_config  # noqa: E402
from jinlin.seed import seed  # noqa: E402
from jinlin.settings import Settings, normalise_db_url  # noqa: E402
from models import duty as duty_model  # noqa: E402
from models.enums import MemberRole, OrgKind  # noqa: E402
from models.org import Org  # noqa: E402
from models.user import Membership  # noqa: E402
from schema.relay import to_global_id  # noqa: E402

SECRET = "bench-secret-key-that-is-long-enough-0123456789"

DASHBOARD = """
query($id: ID!) {
  org(id: $id) {
    name stats { compoundCount coverageRate partnerUnitCount registeredMemberCount projectCount resourceCount
                 approvedBookingCount meetingCount openResolutionCount convertedResolutionCount
                 servedDutyShiftCount commissionerCount }
    children(first: 20) { nodes { name stats { partnerUnitCount servedDutyShiftCount commissionerCount } } }
  }
}"""

ROSTER = """
query($org: ID!, $from: Date, $to: Date) {
  dutyShifts(filter: {orgId: $org, from: $from, to: $to}, first: 20) {
    totalCount nodes { date checkedIn centre { name } unit { name } swapOffers { id } viewerCanCheckIn }
  }
}"""

GENERATE = """
mutation($input: GenerateDutyRosterInput!) {
  generateDutyRoster(input: $input) { createdCount unitCount shortDays errors { code field } }
}"""


class _Counter(logging.Handler):
    """Counts the SQL statements tortoise logs."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.n = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.n += 1


async def _measure(name: str, rounds: int, call: object) -> None:
    """Time `rounds` calls of an async callable and print median, p95 and statements per call."""
    counter = _Counter()
    db_log = logging.getLogger("tortoise.db_client")
    db_log.setLevel(logging.DEBUG)
    db_log.addHandler(counter)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await call()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    db_log.removeHandler(counter)
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"{name:<40} median {statistics.median(times):8.1f} ms   p95 {p95:8.1f} ms   "
          f"{counter.n / rounds:5.1f} statements/request")


async def main() -> None:
    """Seed Siming, then measure each screen."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="jinlin-bench-")
    url = normalise_db_url(args.db or f"sqlite://{workdir}/siming.sqlite3")
    settings = Settings(db_url=url, secret_key=SECRET)
    await apply_migrations(settings)
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    try:
        started = time.perf_counter()
        counts = await seed(scale="siming")
        print(f"seeded siming in {time.perf_counter() - started:.1f} s: {counts}")
        district = await Org.get(kind=OrgKind.DISTRICT)
        street = await Org.get(name="嘉莲街道")
        community = await Org.filter(parent_id=street.id).order_by("id").first()
        admin = await Membership.get(org_id=district.id, role=MemberRole.ADMIN)
        token = tokens.issue(settings, user_id=admin.user_id, typ=TokenType.ACCESS)[0]
        app = create_app(settings, init_db=False)
        headers = {"authorization": f"Bearer {token}"}
        today = duty_model.local_today()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:

            async def post(query: str, variables: dict) -> None:
                response = await http.post("/graphql", json={"query": query, "variables": variables},
                                           headers=headers)
                body = response.json()
                assert "errors" not in body and all(not v.get("errors") for v in body["data"].values()
                                                     if isinstance(v, dict)), body

            await _measure("district dashboard (stats + 10 streets)", args.rounds,
                           lambda: post(DASHBOARD, {"id": to_global_id("Org", district.id)}))
            await _measure("community roster, first 20", args.rounds,
                           lambda: post(ROSTER, {"org": to_global_id("Org", community.id),
                                                 "from": today.isoformat()}))
            await _measure("street roster (subtree), first 20", args.rounds,
                           lambda: post(ROSTER, {"org": to_global_id("Org", street.id)}))
            start = today + timedelta(days=60)
            await _measure("generateDutyRoster: street, 31 days, 3/day", max(3, args.rounds // 4),
                           lambda: post(GENERATE, {"input": {
                               "centreOrgId": to_global_id("Org", street.id), "from": start.isoformat(),
                               "to": (start + timedelta(days=30)).isoformat(), "unitsPerDay": 3}}))
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main())
