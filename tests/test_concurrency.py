"""Capacity under concurrency (项目认领): simultaneous claims through the ASGI app on the test database (SQLite or
PostgreSQL), and real HTTP claims against several server processes sharing one SQLite file."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from tortoise import Tortoise

from auth import tokens
from auth.tokens import TokenType
from jinlin import settings as settings_module
from jinlin.db import tortoise_config
from jinlin.settings import Settings
from models import project as project_model
from models import registration as registration_model
from models.enums import ClaimStatus, MemberType, ProjectCategory, ProjectStatus
from models.org import Org as OrgRow
from models.project import Claim as ClaimRow
from models.project import Project as ProjectRow
from models.user import User as UserRow
from tests.conftest import SECRET, TEST_DB_URL, Api, gid
from tests.test_cli import clean_env, free_port

BRANCH = "观远里小区党支部"
CAPACITY = 5

CLAIM = """
mutation($input: ClaimProjectInput!) {
  claimProject(input: $input) { claim { id status } project { claimedCount remaining } errors { code } }
}"""

WITHDRAW = """
mutation($input: WithdrawClaimInput!) {
  withdrawClaim(input: $input) { claim { id status } errors { code } }
}"""


async def _members(count: int, *, prefix: str = "1370000") -> list[int]:
    """`count` party members registered at 观远里 (a MEMBER membership each), made through the model layer."""
    branch = await OrgRow.get(name=BRANCH)
    ids = []
    for i in range(count):
        user = await UserRow.create(phone=f"{prefix}{i:04d}", display_name=f"并发党员{i:02d}", password_hash="x")
        await registration_model.register(user_id=user.id, branch_id=branch.id, member_type=MemberType.RETIRED,
                                          work_unit=None)
        ids.append(user.id)
    return ids


async def _open_project(capacity: int = CAPACITY) -> ProjectRow:
    """An OPEN members-only project of 观远里 with the given capacity."""
    branch = await OrgRow.get(name=BRANCH)
    admin = await UserRow.get(phone="13800000003")
    project = await project_model.create(
        org_id=branch.id, created_by=admin.id, title="并发认领测试", description="", category=ProjectCategory.OTHER,
        capacity=capacity, claimant_kinds=["MEMBER"], starts_at=None, ends_at=None, location=None, compound_id=None)
    assert await project_model.transition(project_id=project.id, to=ProjectStatus.OPEN,
                                          allowed_from=(ProjectStatus.DRAFT,))
    return project


def _token(settings: Settings, user_id: int) -> str:
    return tokens.issue(settings, user_id=user_id, typ=TokenType.ACCESS)[0]


def _codes(bodies: list[dict], field: str = "claimProject") -> Counter:
    """How the calls ended: OK, or their error codes (top-level errors would fail the test)."""
    outcomes: Counter = Counter()
    for body in bodies:
        assert "errors" not in body, body
        payload = body["data"][field]
        outcomes["+".join(e["code"] for e in payload["errors"]) or "OK"] += 1
    return outcomes


async def _assert_invariant(project_id: int) -> int:
    """`claimedCount` equals the live (ACTIVE/DONE/VERIFIED) claims and never exceeds capacity; returns it."""
    project = await ProjectRow.get(id=project_id)
    live = await ClaimRow.filter(project_id=project_id, status__in=list(project_model.LIVE_CLAIM)).count()
    holding_key = await ClaimRow.filter(project_id=project_id, active_key__not_isnull=True).count()
    assert project.claimed_count == live == holding_key
    assert 0 <= project.claimed_count <= project.capacity
    return project.claimed_count


async def test_fifty_members_race_for_five_places(demo: Api) -> None:
    members = await _members(50)
    project = await _open_project()
    variables = {"input": {"projectId": gid("Project", project.id)}}
    bodies = await asyncio.gather(*(demo(CLAIM, variables, token=_token(demo.settings, uid)) for uid in members))
    assert _codes(bodies) == {"OK": 5, "CAPACITY_FULL": 45}
    winners = [b["data"]["claimProject"] for b in bodies if not b["data"]["claimProject"]["errors"]]
    assert all(w["claim"]["status"] == "ACTIVE" for w in winners)
    assert len({w["claim"]["id"] for w in winners}) == 5
    losers = [b["data"]["claimProject"] for b in bodies if b["data"]["claimProject"]["errors"]]
    assert all(loser == {"claim": None, "project": None, "errors": [{"code": "CAPACITY_FULL"}]} for loser in losers)
    assert await _assert_invariant(project.id) == 5
    assert await ClaimRow.filter(project_id=project.id).count() == 5  # the losers left no row behind
    claimants = {c.user_id for c in await ClaimRow.filter(project_id=project.id)}
    assert len(claimants) == 5 and claimants <= set(members)
    # The project reads full through the API too.
    seen = await demo.ok("query($id: ID!) { node(id: $id) { ... on Project { claimedCount remaining } } }",
                         {"id": gid("Project", project.id)}, as_="13800000003")
    assert seen == {"node": {"claimedCount": 5, "remaining": 0}}


async def test_one_member_claiming_ten_times_at_once_gets_one_claim(demo: Api) -> None:
    [member] = await _members(1)
    project = await _open_project()
    token = _token(demo.settings, member)
    variables = {"input": {"projectId": gid("Project", project.id)}}
    bodies = await asyncio.gather(*(demo(CLAIM, variables, token=token) for _ in range(10)))
    assert _codes(bodies) == {"OK": 1, "ALREADY_CLAIMED": 9}
    assert await _assert_invariant(project.id) == 1
    rows = await ClaimRow.filter(project_id=project.id)
    assert [(c.user_id, c.status, c.active_key) for c in rows] == [
        (member, ClaimStatus.ACTIVE, project_model.member_key(member))]


async def test_withdrawals_racing_new_claims_keep_the_count(demo: Api) -> None:
    holders, newcomers = await _members(CAPACITY), await _members(10, prefix="1371000")
    project = await _open_project()
    project_gid = gid("Project", project.id)
    first = await asyncio.gather(*(demo(CLAIM, {"input": {"projectId": project_gid}},
                                        token=_token(demo.settings, uid)) for uid in holders))
    assert _codes(first) == {"OK": CAPACITY}
    claim_ids = [b["data"]["claimProject"]["claim"]["id"] for b in first]
    # Every holder gives the place back (each withdrawal sent twice) while ten others try to claim.
    withdrawals = [demo(WITHDRAW, {"input": {"claimId": cid}}, token=_token(demo.settings, uid))
                   for uid, cid in zip(holders, claim_ids) for _ in range(2)]
    claims = [demo(CLAIM, {"input": {"projectId": project_gid}}, token=_token(demo.settings, uid))
              for uid in newcomers]
    mixed = [call for pair in zip(withdrawals, claims) for call in pair]
    bodies = await asyncio.gather(*mixed)
    withdrawn = _codes([b for b in bodies if "withdrawClaim" in (b.get("data") or {})], "withdrawClaim")
    assert withdrawn == {"OK": CAPACITY, "INVALID_STATE": CAPACITY}  # each claim is withdrawn exactly once
    claimed = _codes([b for b in bodies if "claimProject" in (b.get("data") or {})])
    assert set(claimed) <= {"OK", "CAPACITY_FULL"} and sum(claimed.values()) == 10
    assert await _assert_invariant(project.id) == claimed["OK"]
    assert claimed["OK"] <= CAPACITY
    assert await ClaimRow.filter(project_id=project.id, status=ClaimStatus.WITHDRAWN).count() == CAPACITY
    # With the holders gone the remaining places are free for the newcomers who lost the race.
    losers = [uid for uid in newcomers
              if not await ClaimRow.exists(project_id=project.id, user_id=uid, status=ClaimStatus.ACTIVE)]
    again = await asyncio.gather(*(demo(CLAIM, {"input": {"projectId": project_gid}},
                                        token=_token(demo.settings, uid)) for uid in losers))
    free = CAPACITY - claimed["OK"]
    assert _codes(again) == +Counter({"OK": free, "CAPACITY_FULL": len(losers) - free})
    assert await _assert_invariant(project.id) == CAPACITY


async def test_member_withdrawing_and_reclaiming_at_once(demo: Api) -> None:
    """A withdrawal and a new claim by the same member, racing: whichever order, one live claim at most."""
    [member] = await _members(1)
    project = await _open_project(capacity=1)
    token, project_gid = _token(demo.settings, member), gid("Project", project.id)
    for _ in range(5):
        live = await ClaimRow.get_or_none(project_id=project.id, user_id=member, status=ClaimStatus.ACTIVE)
        if live is None:
            assert _codes([await demo(CLAIM, {"input": {"projectId": project_gid}}, token=token)]) == {"OK": 1}
            live = await ClaimRow.get(project_id=project.id, user_id=member, status=ClaimStatus.ACTIVE)
        withdraw, claim = await asyncio.gather(
            demo(WITHDRAW, {"input": {"claimId": gid("Claim", live.id)}}, token=token),
            demo(CLAIM, {"input": {"projectId": project_gid}}, token=token))
        assert _codes([withdraw], "withdrawClaim") == {"OK": 1}
        assert set(_codes([claim])) <= {"OK", "ALREADY_CLAIMED", "CAPACITY_FULL"}
        assert await _assert_invariant(project.id) <= 1


# --- several server processes on one SQLite file -------------------------------------------------------------------

SERVER_START = 20  # seconds for `jinlin serve` to answer /healthz (it takes one or two)


def _wait_healthy(proc: subprocess.Popen, base: str) -> bool:
    """Poll /healthz; False when the server exits or stays silent for SERVER_START seconds."""
    deadline = time.monotonic() + SERVER_START
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


def _stop(proc: subprocess.Popen) -> tuple[str, str]:
    """Stop the server and its workers (SIGTERM to the supervisor; SIGKILL to its process group if it hangs)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        return proc.communicate(timeout=5)


@pytest.mark.skipif(TEST_DB_URL is not None, reason="several processes on one SQLite file")
async def test_several_server_processes_share_one_sqlite_file(tmp_path: Path) -> None:
    db_file = tmp_path / "shared.sqlite3"
    db_url = f"sqlite://{db_file}"
    env = clean_env(JINLIN_SECRET_KEY=SECRET)
    seeded = subprocess.run([sys.executable, "-m", "jinlin.cli", "seed", "--scale", "demo", "--db", db_url],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=20)
    assert seeded.returncode == 0, seeded.stderr
    settings = settings_module.load(env, db_url=db_url)  # what every worker will load

    await Tortoise.init(config=tortoise_config(settings.db_url), _enable_global_fallback=True)
    try:
        members = await _members(50)
        project_id = (await _open_project()).id
    finally:
        await Tortoise.close_connections()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "jinlin.cli", "serve", "--workers", "3", "--port", str(port),
                             "--db", db_url], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    responses: list[httpx.Response] = []
    try:
        started = _wait_healthy(proc, base)
        if started:
            variables = {"input": {"projectId": gid("Project", project_id)}}
            limits = httpx.Limits(max_connections=50, max_keepalive_connections=0)
            async with httpx.AsyncClient(base_url=base, timeout=20, limits=limits) as http:
                responses = await asyncio.wait_for(asyncio.gather(*(
                    http.post("/graphql", json={"query": CLAIM, "variables": variables},
                              headers={"Authorization": f"Bearer {_token(settings, uid)}"})
                    for uid in members)), timeout=20)
    finally:
        out, err = _stop(proc)
    assert started, f"the server did not come up within {SERVER_START} s:\n{out}\n{err}"
    assert "Traceback" not in err, err
    assert err.count("Started server process") == 3, err  # three workers really served
    assert [r.status_code for r in responses] == [200] * 50
    assert _codes([r.json() for r in responses]) == {"OK": 5, "CAPACITY_FULL": 45}

    with sqlite3.connect(db_file) as conn:
        claimed, capacity = conn.execute("SELECT claimed_count, capacity FROM project WHERE id = ?",
                                         [project_id]).fetchone()
        live = conn.execute("SELECT COUNT(*) FROM claim WHERE project_id = ? AND status IN ('ACTIVE', 'DONE', "
                            "'VERIFIED')", [project_id]).fetchone()[0]
        rows = conn.execute("SELECT COUNT(*) FROM claim WHERE project_id = ?", [project_id]).fetchone()[0]
        audited = conn.execute("SELECT outcome, COUNT(*) FROM audit_entry WHERE action = 'claimProject' "
                               "GROUP BY outcome").fetchall()
    assert (claimed, live, rows, capacity) == (5, 5, 5, 5)
    assert dict(audited) == {"OK": 5, "CAPACITY_FULL": 45}
