"""Org statistics from counters (issue 8): after every kind of write the counters equal the live recount (SQLite and
PostgreSQL), concurrent writers leave them exact, bulk loads and restores keep them right, and the dashboard and the
org page read them in one statement."""

from __future__ import annotations

import asyncio
import random
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.transactions import in_transaction

from bench.screens import DISTRICT_DASHBOARD, ORG_PAGE
from jinlin import backup, db
from jinlin.db import tortoise_config
from models import compound as compound_model
from models import duty as duty_model
from models import meeting as meeting_model
from models import org as org_model
from models import project as project_model
from models import registration as registration_model
from models import resource as resource_model
from models import user as user_model
from models.duty import DutyShift
from models.enums import MemberRole, MemberType, OrgKind, ProjectCategory, ProjectStatus, PropertyManagement
from models.org import Org
from models.project import Claim
from models.registration import Registration
from models.resource import BookingStatus, ResourceKind, ShareScope
from models.user import User
from tests.conftest import TEST_DB_URL, Api, count_sql, gid

NOW = datetime.now(timezone.utc)


async def exact(step: str) -> None:
    """Every org's counters equal the live computation over its subtree."""
    mismatches = await org_model.stats_mismatches()
    shown = {org_id: {f: (getattr(have, f), getattr(want, f)) for f in have.__dataclass_fields__
                      if getattr(have, f) != getattr(want, f)} for org_id, (have, want) in mismatches.items()}
    assert shown == {}, f"after {step}: (counter, recount) {shown}"


async def org(name: str) -> Org:
    return await Org.get(name=name)


async def user(phone: str) -> User:
    return await User.create(phone=phone, display_name=phone, password_hash="-")


async def open_project(org_id: int, title: str, capacity: int = 5) -> int:
    project = await project_model.create(
        org_id=org_id, created_by=(await User.get(phone="13800000003")).id, title=title, description="",
        category=ProjectCategory.OTHER, capacity=capacity, claimant_kinds=["MEMBER"], starts_at=None, ends_at=None,
        location=None, compound_id=None)
    assert await project_model.transition(project_id=project.id, to=ProjectStatus.OPEN,
                                          allowed_from=(ProjectStatus.DRAFT,))
    return project.id


async def test_orgs_pairings_and_commissioners(demo: Api) -> None:
    await exact("the demo seed")
    lianhua, jialian, police = await org("莲花北社区"), await org("嘉莲街道"), await org("鹭江派出所")
    branch = await org_model.create(name="莲花北第二支部", kind=OrgKind.COMPOUND_BRANCH, parent=lianhua)
    await org_model.create(name="第二支部帮帮团", kind=OrgKind.VOLUNTEER_TEAM, parent=branch)
    unit = await org_model.create(name="新共建单位", kind=OrgKind.PARTNER_UNIT, parent=None)
    await exact("orgs created")
    assert (await org_model.stats(org_ids=[jialian.id]))[jialian.id].branch_count == 2
    # A unit paired twice in one subtree counts once there.
    assert await org_model.pair(partner=unit, org=lianhua) and await org_model.pair(partner=unit, org=jialian)
    assert await org_model.pair(partner=police, org=lianhua)
    await exact("pairings")
    assert await org_model.unpair(partner=unit, org=lianhua)
    await exact("one of two pairings dissolved")
    c1, c2, c3 = await user("13900000001"), await user("13900000002"), await user("13900000003")
    jiean = await org("厦门市捷安集团党支部")
    assert await user_model.assign_commissioner(user=c1, org=unit)
    assert await user_model.assign_commissioner(user=c1, org=jiean)  # one person at two units: counted once above
    assert await user_model.assign_commissioner(user=c2, org=unit)
    await exact("commissioners appointed")
    district = (await org_model.stats(org_ids=[(await org("思明区")).id]))
    assert next(iter(district.values())).commissioner_count == 2
    assert (await org_model.stats(org_ids=[unit.id]))[unit.id].commissioner_count == 2  # a unit: its own
    await user_model.upsert_membership(user=c2, org=unit, role=MemberRole.STAFF)
    await exact("a commissioner became staff")
    await user_model.upsert_membership(user=c2, org=unit, role=MemberRole.COMMISSIONER)
    await user_model.upsert_membership(user=c3, org=police, role=MemberRole.COMMISSIONER)
    await exact("staff and a newcomer became commissioners")
    await user_model.delete_membership(membership=await user_model.get_membership(user_id=c1.id, org_id=jiean.id))
    await exact("a commissioner removed")
    assert await org_model.unpair(partner=unit, org=jialian)
    await exact("the unit's last pairing dissolved")
    await db.execute("UPDATE membership SET org_id = ? WHERE user_id = ? AND org_id = ?", [jiean.id, c2.id, unit.id])
    await db.execute("UPDATE partnership SET org_id = ? WHERE partner_id = ? AND org_id = ?",
                     [jialian.id, police.id, lianhua.id])
    await exact("a membership and a pairing changed in place")


async def test_compounds_and_registrations(demo: Api) -> None:
    lianhua, xunsiding = await org("莲花北社区"), await org("巡司顶社区")
    branch = await org_model.create(name="莲花北第二支部", kind=OrgKind.COMPOUND_BRANCH, parent=lianhua)
    compound = await compound_model.create(name="新村", community=lianhua, branch=None, address=None, households=10,
                                           has_red_committee=False, property_management=PropertyManagement.NONE)
    await exact("an uncovered compound")
    compound = await compound_model.update(compound=compound, changes={"branch": branch})
    await exact("covered by a branch")
    compound = await compound_model.update(compound=compound, changes={"has_red_committee": True, "households": 12})
    await exact("a red committee")
    compound = await compound_model.update(compound=compound, changes={"branch": None})
    await exact("uncovered again")
    await db.execute("UPDATE compound SET community_id = ? WHERE id = ?", [xunsiding.id, compound.id])
    await exact("moved to another community")
    guanyuanli = await org("观远里小区党支部")
    m1, m2 = await user("13900000011"), await user("13900000012")
    for member, at in ((m1, guanyuanli), (m2, branch)):
        await registration_model.register(user_id=member.id, branch_id=at.id, member_type=MemberType.RETIRED,
                                          work_unit=None)
    await exact("two registrations")
    await registration_model.register(user_id=m1.id, branch_id=branch.id, member_type=MemberType.IN_SERVICE,
                                      work_unit="x")
    await exact("a member registered elsewhere")
    await registration_model.register(user_id=m1.id, branch_id=branch.id, member_type=MemberType.FLOATING,
                                      work_unit=None)
    await exact("registered again at the same branch")
    assert await registration_model.end(registration=await Registration.get(active_user_id=m2.id))
    await exact("a registration ended")
    await registration_model.register(user_id=m2.id, branch_id=guanyuanli.id, member_type=MemberType.RETIRED,
                                      work_unit=None)
    await registration_model.end_for_membership(user_id=m2.id, org_id=guanyuanli.id)
    await exact("ended with the membership")
    await db.execute("DELETE FROM compound WHERE id = ?", [compound.id])
    await db.execute("DELETE FROM registration WHERE active_user_id = ?", [m1.id])
    await exact("rows deleted")


async def test_projects_and_claims(demo: Api) -> None:
    guanyuanli, lianhua = await org("观远里小区党支部"), await org("莲花北社区")
    members = [await user(f"1390000002{i}") for i in range(3)]
    draft = await project_model.create(
        org_id=guanyuanli.id, created_by=members[0].id, title="草稿", description="", category=ProjectCategory.OTHER,
        capacity=3, claimant_kinds=["MEMBER"], starts_at=None, ends_at=None, location=None, compound_id=None)
    await exact("a draft (not counted)")
    assert await project_model.transition(project_id=draft.id, to=ProjectStatus.OPEN,
                                          allowed_from=(ProjectStatus.DRAFT,))
    await exact("published")
    first = await project_model.claim(project_id=draft.id, claimed_by=members[0].id, user_id=members[0].id,
                                      org_id=None)
    second = await project_model.claim(project_id=draft.id, claimed_by=members[1].id, user_id=members[1].id,
                                       org_id=None)
    await exact("claimed twice")
    assert await project_model.withdraw(claim=second)
    assert await project_model.report_done(claim=first, hours=2.5, note=None)
    assert await project_model.verify(claim=await Claim.get(id=first.id), approved=True, hours=2.25, comment=None)
    await exact("withdrawn, then done and verified")
    other = await open_project(lianhua.id, "另一个")
    rejected = await project_model.claim(project_id=other, claimed_by=members[2].id, user_id=members[2].id,
                                         org_id=None)
    assert await project_model.report_done(claim=rejected, hours=3, note=None)
    assert await project_model.verify(claim=await Claim.get(id=rejected.id), approved=False, hours=None, comment="x")
    await exact("rejected: the slot is free again")
    cancelled = await open_project(guanyuanli.id, "取消")
    for member in members:
        await project_model.claim(project_id=cancelled, claimed_by=member.id, user_id=member.id, org_id=None)
    assert await project_model.cancel(project_id=cancelled, allowed_from=(ProjectStatus.OPEN,))
    await exact("cancelled with its claims")
    assert await project_model.transition(project_id=draft.id, to=ProjectStatus.COMPLETED,
                                          allowed_from=(ProjectStatus.OPEN,))
    await db.execute("UPDATE claim SET verified_hours = 1.75 WHERE id = ?", [first.id])
    await db.execute("UPDATE project SET org_id = ? WHERE id = ?", [lianhua.id, draft.id])
    await exact("hours corrected, the project moved to another org with its hours")
    await db.execute("DELETE FROM claim WHERE id = ?", [second.id])
    await db.execute("DELETE FROM project WHERE id = ?", [draft.id])
    await exact("a project deleted with its verified claims")


async def test_resources_meetings_and_duty(demo: Api) -> None:
    lianhua, guanyuanli, police = await org("莲花北社区"), await org("观远里小区党支部"), await org("鹭江派出所")
    jialian, admin = await org("嘉莲街道"), await User.get(phone="13800000002")
    resource = await resource_model.create(owner_id=guanyuanli.id, name="活动室", kind=ResourceKind.VENUE, quantity=2,
                                           share_scope=ShareScope.DISTRICT, description=None, location=None)
    await exact("a resource")
    bookings = [await resource_model.request(
        resource_id=resource.id, for_org_id=lianhua.id, requested_by=admin.id, starts_at=NOW + timedelta(days=i + 1),
        ends_at=NOW + timedelta(days=i + 1, hours=2), quantity=1, purpose=None, project_id=None) for i in range(3)]
    for booking in bookings:
        assert await resource_model.approve(booking_id=booking.id, decided_by=admin.id)
    assert await resource_model.decide(booking_id=bookings[0].id, to=BookingStatus.CANCELLED,
                                       allowed_from=(BookingStatus.APPROVED,), decided_by=admin.id, reason=None)
    await resource_model.update(resource=resource, changes={"quantity": 3, "name": "大活动室"})
    await exact("bookings approved and one cancelled")
    assert await resource_model.retire(resource=resource)
    await exact("the resource retired (its approved bookings still count)")
    await db.execute("UPDATE resource SET owner_id = ? WHERE id = ?", [lianhua.id, resource.id])
    await exact("the resource moved with its bookings")
    past = await meeting_model.schedule(convener_id=lianhua.id, title="过去", agenda="",
                                        starts_at=NOW - timedelta(hours=1), location=None, created_by=admin.id,
                                        invitee_ids=[guanyuanli.id])
    future = await meeting_model.schedule(convener_id=guanyuanli.id, title="将来", agenda="",
                                          starts_at=NOW + timedelta(days=7), location=None, created_by=admin.id,
                                          invitee_ids=[])
    await exact("a meeting held and one to come")
    resolution = await meeting_model.record_resolution(meeting_id=past.id, text="办", owner_id=guanyuanli.id,
                                                       due_at=None)
    await meeting_model.record_resolution(meeting_id=past.id, text="再办", owner_id=lianhua.id, due_at=None)
    await exact("resolutions")
    assert await meeting_model.convert_to_project(resolution=resolution, created_by=admin.id, title="决议项目",
                                                  capacity=2, category=ProjectCategory.OTHER,
                                                  claimant_kinds=["MEMBER"])
    await exact("a resolution became a project")
    await db.execute("UPDATE meeting SET starts_at = ? WHERE id = ?",
                     [meeting_model.Meeting._meta.fields_map["starts_at"].to_db_value(
                         NOW - timedelta(minutes=5), meeting_model.Meeting), future.id])
    await exact("a meeting moved into the past (no write to the counters: it counts from now on)")
    await db.execute("DELETE FROM meeting WHERE id = ?", [past.id])
    await exact("a meeting deleted with its resolutions")
    today = duty_model.local_today()
    jiean = await org("厦门市捷安集团党支部")
    assert await org_model.pair(partner=police, org=jialian)
    result = await duty_model.generate(centre_id=jialian.id, units=[jiean.id, police.id], start=today,
                                       end=today + timedelta(days=3), per_day=1)
    assert result.created >= 2
    await exact("a roster")
    shift = await DutyShift.filter(centre_id=jialian.id, duty_date=today, checked_in_at=None).first()
    if shift is not None:
        assert await duty_model.check_in(shift_id=shift.id, unit_id=shift.unit_id, user_id=admin.id, today=today)
    unserved = await DutyShift.filter(centre_id=jialian.id, checked_in_at=None).order_by("duty_date")
    if len(unserved) >= 2 and unserved[0].unit_id != unserved[1].unit_id:
        await duty_model.swap(shift=unserved[0], other=unserved[1], need_consent=False)
    await exact("checked in and swapped")
    # A unit serving at a centre inside its own subtree (a street's own centre) is counted once there.
    await DutyShift.create(centre_id=lianhua.id, unit_id=jialian.id, duty_date=today + timedelta(days=40),
                           checked_in_at=NOW)
    await DutyShift.create(centre_id=lianhua.id, unit_id=police.id, duty_date=today + timedelta(days=41),
                           checked_in_at=NOW)
    await exact("shifts served by a unit inside and outside its subtree")
    await db.execute("UPDATE duty_shift SET centre_id = ? WHERE unit_id = ? AND duty_date = ?",
                     [guanyuanli.id, police.id, duty_model._db_date(today + timedelta(days=41))])
    await db.execute("DELETE FROM duty_shift WHERE unit_id = ?", [jialian.id])
    await db.execute("DELETE FROM resource WHERE id = ?", [resource.id])
    await exact("a shift moved, shifts and a resource deleted")


async def test_moving_an_org_moves_its_counts(demo: Api) -> None:
    """No API moves an org, but the counters follow `org_closure` whatever writes it (here: raw SQL)."""
    branch, xunsiding = await org("观远里小区党支部"), await org("巡司顶社区")
    await open_project(branch.id, "跟着走")
    await db.execute("DELETE FROM org_closure WHERE descendant_id IN (SELECT descendant_id FROM org_closure "
                     "WHERE ancestor_id = ?) AND ancestor_id NOT IN (SELECT descendant_id FROM org_closure "
                     "WHERE ancestor_id = ?)", [branch.id, branch.id])
    await db.execute("INSERT INTO org_closure (ancestor_id, descendant_id, depth) SELECT a.ancestor_id, "
                     "d.descendant_id, a.depth + d.depth + 1 FROM org_closure a CROSS JOIN org_closure d "
                     "WHERE a.descendant_id = ? AND d.ancestor_id = ?", [xunsiding.id, branch.id])
    await db.execute("UPDATE org SET parent_id = ? WHERE id = ?", [xunsiding.id, branch.id])
    await exact("a branch moved to another community")
    assert (await org_model.stats(org_ids=[xunsiding.id]))[xunsiding.id].registered_member_count == 1


async def test_rebuild_repairs_counters(demo: Api) -> None:
    """What the migration's backfill does for an existing database, and `jinlin stats-check --repair` after writes
    that bypassed the triggers."""
    await db.execute("UPDATE org_stat SET compound_count = compound_count + 7, commissioner_count = 0")
    await db.execute("UPDATE org_stat_partner SET pairs = pairs + 1")
    assert await org_model.stats_mismatches()
    await org_model.rebuild_stats()
    await exact("the rebuild")
    await registration_model.register(user_id=(await user("13900000031")).id,
                                      branch_id=(await org("海龙小区党支部")).id, member_type=MemberType.RETIRED,
                                      work_unit=None)
    await exact("a write after the rebuild (the triggers are on again)")


async def test_seed_at_siming_scale(database: None) -> None:
    """The seed loads with the triggers off and rebuilds the counters once."""
    from jinlin.seed import seed

    await seed(scale="siming")
    if db.is_postgres():
        await db.execute("ANALYZE")  # the live recount over thousands of fresh rows
    await exact("the siming seed")


@pytest.mark.skipif(TEST_DB_URL is not None, reason="a restore of an SQLite file")
async def test_restore_brings_its_counters(demo: Api, tmp_path: Path) -> None:
    """A restore copies the database's pages, counters included: they match the restored rows, not the rows the
    database held before."""
    source = tmp_path / "source.sqlite3"
    await _copy_memory_database(source)
    await registration_model.register(user_id=(await user("13900000041")).id, branch_id=(await org("海龙小区党支部")).id,
                                      member_type=MemberType.RETIRED, work_unit=None)
    copy = tmp_path / "backup.sqlite3"
    backup.backup_sqlite(str(source), copy)
    target = tmp_path / "target.sqlite3"
    await _copy_memory_database(target)  # holds a registration more than the backup
    backup.restore_sqlite(copy, str(target), force=True)
    await _reconnect(f"sqlite://{target}")
    await exact("a restore over a database with other rows")
    assert await Registration.filter(active_user_id__not_isnull=True).count() == 1


@pytest.mark.skipif(not (TEST_DB_URL or "").startswith("postgres") or shutil.which("pg_restore") is None,
                    reason="a pg_dump archive restored into PostgreSQL")
async def test_pg_restore_brings_its_counters(demo: Api, tmp_path: Path) -> None:
    """pg_restore loads the rows, the counters among them, before it creates the triggers: nothing is counted twice,
    and the triggers work on afterwards."""
    from tests.test_backup import scratch_pg_database

    archive = tmp_path / "demo.pgdump"
    await asyncio.to_thread(backup.backup_postgres, TEST_DB_URL or "", archive)
    async with scratch_pg_database("stats") as url:
        await asyncio.to_thread(backup.restore_postgres, archive, url, force=False)  # it runs its own event loop
        await _reconnect(url)
        await exact("a restore")
        await registration_model.register(user_id=(await user("13900000042")).id,
                                          branch_id=(await org("海龙小区党支部")).id, member_type=MemberType.RETIRED,
                                          work_unit=None)
        await exact("a write after the restore")
        await Tortoise.close_connections()


async def _reconnect(url: str) -> None:
    """Point tortoise at the restored database (statements cached for the old connection dropped)."""
    await Tortoise.close_connections()
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)


async def _copy_memory_database(path: Path) -> None:
    import sqlite3

    connection = db.client()._connection  # type: ignore[attr-defined]
    out = sqlite3.connect(path)
    try:
        await connection.backup(out)
    finally:
        out.close()


# --- concurrency (PostgreSQL: many connections at once; SQLite: one writer after another) --------------------------


async def test_concurrent_claims_withdrawals_and_verifications(demo: Api) -> None:
    branches = [await org("观远里小区党支部"), await org("海龙小区党支部")]
    members = [await user(f"1390001{i:04d}") for i in range(8)]
    for i, member in enumerate(members):
        await registration_model.register(user_id=member.id, branch_id=branches[i % 2].id,
                                          member_type=MemberType.RETIRED, work_unit=None)
    projects = [await open_project(branches[i % 2].id, f"并发{i}", capacity=2) for i in range(6)]
    rng = random.Random(8)

    async def member_work(member: User) -> None:
        for project_id in rng.sample(projects, len(projects)):
            try:
                claim = await project_model.claim(project_id=project_id, claimed_by=member.id, user_id=member.id,
                                                  org_id=None)
            except (project_model.ClaimRefused, project_model.AlreadyClaimed):
                continue
            if rng.random() < 0.5:
                await project_model.withdraw(claim=claim)
            elif await project_model.report_done(claim=claim, hours=1.5, note=None):
                await project_model.verify(claim=await Claim.get(id=claim.id), approved=rng.random() < 0.7,
                                           hours=rng.choice([0.5, 1.0, 1.25]), comment=None)

    async def mover(member: User) -> None:
        for i in range(4):
            await registration_model.register(user_id=member.id, branch_id=branches[i % 2].id,
                                              member_type=MemberType.RETIRED, work_unit=None)

    await asyncio.gather(*(member_work(m) for m in members), *(mover(m) for m in members[:3]))
    await exact("concurrent claims, withdrawals, verifications and registrations")


async def test_concurrent_pairings_and_appointments(demo: Api) -> None:
    """Pairing a unit reads its commissioners, appointing one reads the unit's pairings: racing, neither may miss
    the other (the unit's counter row serialises them)."""
    lianhua, xunsiding = await org("莲花北社区"), await org("巡司顶社区")
    unit = await org_model.create(name="赛跑单位", kind=OrgKind.PARTNER_UNIT, parent=None)
    people = [await user(f"1390002{i:04d}") for i in range(6)]
    for person in people:
        await asyncio.gather(org_model.pair(partner=unit, org=lianhua), org_model.pair(partner=unit, org=xunsiding),
                             user_model.assign_commissioner(user=person, org=unit))
        await exact("pairing and appointing at once")
        membership = await user_model.get_membership(user_id=person.id, org_id=unit.id)
        await asyncio.gather(org_model.unpair(partner=unit, org=lianhua), org_model.unpair(partner=unit, org=xunsiding),
                             user_model.delete_membership(membership=membership))
        await exact("unpairing and removing at once")
        await user_model.assign_commissioner(user=person, org=unit)


async def test_bulk_transaction_with_triggers_on(demo: Api) -> None:
    """A transaction of many writes keeps the counters exact without the bulk switch too (just slower on
    PostgreSQL)."""
    branch = await org("观远里小区党支部")
    async with in_transaction():
        for i in range(60):
            member = await User.create(phone=f"1390003{i:04d}", display_name="x", password_hash="-")
            await Registration.create(user_id=member.id, branch_id=branch.id, member_type=MemberType.RETIRED,
                                      active_user_id=member.id)
    await exact("sixty registrations in one transaction")


# --- reading ----------------------------------------------------------------------------------------------------------


async def test_dashboard_and_org_page_read_stats_in_one_statement(demo: Api) -> None:
    district = await org("思明区")
    for i in range(18):  # the street has 1 community: make it 19, so that a page of 20 is nearly full
        await org_model.create(name=f"新社区{i}", kind=OrgKind.COMMUNITY_COMMITTEE, parent=await org("嘉莲街道"))
    with count_sql() as sql:
        body = await demo.ok(DISTRICT_DASHBOARD.query, {"id": gid("Org", district.id)}, as_="13800000000")
    stats_reads = [s for s in sql.statements if "org_stat" in s]
    assert len(stats_reads) == 1, sql.statements
    scans = re.compile(r"(FROM|JOIN) (registration|claim|project|compound|duty_shift|membership)\b")
    assert not any(scans.search(s) for s in sql.statements), sql.statements  # no row of the subtree is read
    assert body["org"]["stats"]["registeredMemberCount"] == 1 and body["org"]["stats"]["meetingCount"] == 1
    counts = []
    for first in (2, 20):
        with count_sql() as sql:
            page = await demo.ok(ORG_PAGE.query, {"id": gid("Org", (await org("嘉莲街道")).id), "first": first},
                                 as_="13800000001")
        assert len([s for s in sql.statements if "org_stat" in s]) == 1, sql.statements
        counts.append(sql.count)
    assert len(page["org"]["children"]["nodes"]) == 19
    assert counts[0] == counts[1], counts


async def test_the_counters_name_every_table_they_count(demo: Api) -> None:
    """The statement that reads the counters names the tables their triggers watch (the response cache keeps an
    answer while the tables its statements name are unwritten)."""
    if db.is_postgres():
        rows = await db.fetch("SELECT DISTINCT c.relname AS t FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
                              "WHERE g.tgname LIKE 'org_stat%'")
    else:
        rows = await db.fetch("SELECT DISTINCT tbl_name AS t FROM sqlite_master WHERE type = 'trigger' "
                              "AND name LIKE 'org_stat%'")
    watched = {row["t"] for row in rows} - {"org_stat_partner", "org_stat_commissioner"}
    assert watched == set(org_model.STATS_SOURCES)
    from jinlin.response_cache import tables_in

    assert tables_in(org_model._STATS_SQL) == set(org_model.STATS_SOURCES)


async def test_meetings_count_from_when_they_begin(demo: Api) -> None:
    lianhua, admin = await org("莲花北社区"), await User.get(phone="13800000002")
    await meeting_model.schedule(convener_id=lianhua.id, title="马上", agenda="", location=None, created_by=admin.id,
                                 starts_at=datetime.now(timezone.utc) + timedelta(seconds=1.5), invitee_ids=[])
    before = (await org_model.stats(org_ids=[lianhua.id]))[lianhua.id].meeting_count
    await asyncio.sleep(1.6)
    assert (await org_model.stats(org_ids=[lianhua.id]))[lianhua.id].meeting_count == before + 1
    await exact("a meeting that began meanwhile")
