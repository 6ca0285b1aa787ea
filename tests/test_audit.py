"""The audit log: one append-only row per mutation call (actor, org, action, object, outcome), whatever the outcome,
never a secret in it; and `org.auditLog` for the managers of a subtree, newest first."""

from __future__ import annotations

from datetime import datetime

import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType

from jinlin import db
from models import audit as audit_model
from models import registration as registration_model
from models.audit import AuditEntry as AuditRow
from models.audit import AuditLogAppendOnly
from models.org import Org as OrgRow
from models.project import Project as ProjectRow
from models.user import User as UserRow
from schema.root import build_schema
from tests.conftest import Api, gid, make_settings, org_id

UPDATE_ORG = """
mutation($input: UpdateOrgInput!) { updateOrg(input: $input) { org { id name } errors { field code } } }"""

LOGIN = """
mutation($input: LoginInput!) { login(input: $input) { accessToken refreshToken user { id } errors { code } } }"""

AUDIT_LOG = """
query($id: ID!, $first: Int, $after: String) {
  org(id: $id) { auditLog(first: $first, after: $after) {
    totalCount nodes { action objectId outcome actor { displayName } org { name } }
    pageInfo { hasNextPage endCursor } } }
}"""

BRANCH = "观远里小区党支部"


async def _rows() -> list[tuple]:
    """Every audit row as (action, actor phone, org name, object id, outcome), oldest first."""
    rows = await AuditRow.all().order_by("id").prefetch_related("actor", "org")
    return [(r.action, r.actor.phone if r.actor else None, r.org.name if r.org else None, r.object_id, r.outcome)
            for r in rows]


class Audit:
    """Rows written since the last `new()`."""

    def __init__(self) -> None:
        self.seen = 0

    async def new(self) -> list[tuple]:
        rows = await _rows()
        fresh, self.seen = rows[self.seen:], len(rows)
        return fresh


@pytest.fixture
async def audit(demo: Api) -> Audit:
    log = Audit()
    await log.new()
    return log


# --- every mutation writes one row ----------------------------------------------------------------------------------


def _placeholder(gql_type: object) -> object:
    """A well-typed but meaningless value for a required input field."""
    if isinstance(gql_type, GraphQLNonNull):
        return _placeholder(gql_type.of_type)
    if isinstance(gql_type, GraphQLList):
        return []
    if isinstance(gql_type, GraphQLEnumType):
        return next(iter(gql_type.values))
    if isinstance(gql_type, GraphQLInputObjectType):
        return {name: _placeholder(f.type) for name, f in gql_type.fields.items() if isinstance(f.type, GraphQLNonNull)}
    assert isinstance(gql_type, GraphQLScalarType)
    return {"ID": gid("Nothing", 99999), "String": "x", "Int": 1, "Float": 1.0, "Boolean": True,
            "DateTime": "2030-01-01T08:00:00+08:00", "Date": "2030-01-01"}[gql_type.name]


def _every_mutation() -> list[tuple[str, str, dict]]:
    """(name, document, variables) for each mutation of the schema, with placeholder input."""
    schema = build_schema(make_settings())._schema
    calls = []
    for name, field in schema.mutation_type.fields.items():
        input_type = field.args["input"].type
        calls.append((name, f"mutation($input: {input_type}) {{ {name}(input: $input) {{ __typename }} }}",
                      {"input": _placeholder(input_type)}))
    return calls


# What each mutation answers to placeholder input: anonymous, and as a plain resident.
ANONYMOUS = {"signUp": "INVALID", "login": "WRONG_CREDENTIALS", "refreshToken": "UNAUTHENTICATED",
             "logout": "UNAUTHENTICATED"}
RESIDENT = {**ANONYMOUS, "createOrg": "FORBIDDEN", "createCompound": "NOT_FOUND", "createProject": "NOT_FOUND",
            "markNotificationsRead": "OK"}
# Whole audit rows (org, object, outcome) where the placeholder input succeeds: the resident's opinion goes to the
# community of the compound they live in.
RESIDENT_ROWS = {"submitOpinion": ("莲花北社区", gid("Opinion", 5), "OK")}


async def test_every_mutation_writes_exactly_one_row(demo: Api, audit: Audit) -> None:
    calls = _every_mutation()
    assert len(calls) >= 24
    for name, document, variables in calls:
        await demo(document, variables)
        assert await audit.new() == [(name, None, None, None, ANONYMOUS.get(name, "UNAUTHENTICATED"))], name
    for name, document, variables in calls:
        await demo(document, variables, as_="13800000006")
        row = RESIDENT_ROWS.get(name) or (None, None, RESIDENT.get(name, "NOT_FOUND"))
        assert await audit.new() == [(name, "13800000006", *row)], name


async def test_two_mutations_in_one_request_write_two_rows(demo: Api, audit: Audit) -> None:
    lianhua, xunsiding = await org_id("莲花北社区"), await org_id("巡司顶社区")
    body = await demo("""mutation($a: UpdateOrgInput!, $b: UpdateOrgInput!) {
        a: updateOrg(input: $a) { errors { code } }  b: updateOrg(input: $b) { errors { code } } }""",
                      {"a": {"orgId": lianhua, "name": "莲花北社区大党委"}, "b": {"orgId": xunsiding, "name": "x"}},
                      as_="13800000002")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Each row names its own org: what the first call noted does not leak into the second.
    assert await audit.new() == [("updateOrg", "13800000002", "莲花北社区大党委", lianhua, "OK"),
                                 ("updateOrg", "13800000002", "巡司顶社区", None, "FORBIDDEN")]


# --- outcomes -------------------------------------------------------------------------------------------------------


async def test_successful_mutations(demo: Api, audit: Audit) -> None:
    lianhua, branch = await org_id("莲花北社区"), await org_id(BRANCH)
    await demo.ok(UPDATE_ORG, {"input": {"orgId": lianhua, "name": "莲花北社区大党委"}}, as_="13800000002")
    assert await audit.new() == [("updateOrg", "13800000002", "莲花北社区大党委", lianhua, "OK")]

    created = await demo.ok("""mutation($input: CreateProjectInput!) {
        createProject(input: $input) { project { id } errors { code } } }""",
                            {"input": {"orgId": branch, "title": "楼道清洁", "category": "ENVIRONMENT",
                                       "capacity": 3}}, as_="13800000003")
    project = created["createProject"]["project"]["id"]
    assert await audit.new() == [("createProject", "13800000003", BRANCH, project, "OK")]

    sorting = await ProjectRow.get(title="三红垃圾分类督导")
    claimed = await demo.ok("""mutation($input: ClaimProjectInput!) {
        claimProject(input: $input) { claim { id } errors { code } } }""",
                            {"input": {"projectId": gid("Project", sorting.id)}}, as_="13800000004")
    assert await audit.new() == [("claimProject", "13800000004", BRANCH, claimed["claimProject"]["claim"]["id"], "OK")]

    registered = await demo.ok("""mutation($input: RegisterAtBranchInput!) {
        registerAtBranch(input: $input) { registration { id } errors { code } } }""",
                               {"input": {"branchId": branch, "memberType": "RETIRED"}}, as_="13800000006")
    registration = registered["registerAtBranch"]["registration"]["id"]
    assert await audit.new() == [("registerAtBranch", "13800000006", BRANCH, registration, "OK")]

    # A new org is created in its parent's subtree: the row belongs to the parent, the object is the new org.
    community = await demo.ok("""mutation($input: CreateOrgInput!) { createOrg(input: $input) { org { id } } }""",
                              {"input": {"name": "莲花南社区", "kind": "COMMUNITY_COMMITTEE",
                                         "parentId": await org_id("嘉莲街道")}}, as_="13800000001")
    assert await audit.new() == [("createOrg", "13800000001", "嘉莲街道", community["createOrg"]["org"]["id"], "OK")]


async def test_payload_errors_are_the_outcome(demo: Api, audit: Audit) -> None:
    lianhua, branch = await org_id("莲花北社区"), await org_id(BRANCH)
    await demo.ok(UPDATE_ORG, {"input": {"orgId": lianhua, "name": " "}}, as_="13800000002")
    assert await audit.new() == [("updateOrg", "13800000002", "莲花北社区", None, "INVALID")]
    # Several codes, each once, in the order the errors came.
    body = await demo.ok("""mutation($input: CreateProjectInput!) { createProject(input: $input) { errors { code } } }""",
                         {"input": {"orgId": branch, "title": "", "category": "OTHER", "capacity": 0,
                                    "compoundId": gid("Compound", 9999)}}, as_="13800000003")
    assert [e["code"] for e in body["createProject"]["errors"]] == ["INVALID", "INVALID", "NOT_FOUND"]
    assert await audit.new() == [("createProject", "13800000003", BRANCH, None, "INVALID,NOT_FOUND")]
    elderly = gid("Project", (await ProjectRow.get(title="独居老人助餐探访")).id)
    await demo.ok("""mutation($input: ClaimProjectInput!) { claimProject(input: $input) { errors { code } } }""",
                  {"input": {"projectId": elderly}}, as_="13800000004")
    assert await audit.new() == [("claimProject", "13800000004", BRANCH, elderly, "ALREADY_CLAIMED")]


async def test_top_level_refusals(demo: Api, audit: Audit) -> None:
    xunsiding = await org_id("巡司顶社区")
    forbidden = await demo(UPDATE_ORG, {"input": {"orgId": xunsiding, "name": "x"}}, as_="13800000002")
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await audit.new() == [("updateOrg", "13800000002", "巡司顶社区", None, "FORBIDDEN")]
    anonymous = await demo(UPDATE_ORG, {"input": {"orgId": xunsiding, "name": "x"}})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await audit.new() == [("updateOrg", None, None, None, "UNAUTHENTICATED")]
    assert (await OrgRow.get(name="巡司顶社区")).name == "巡司顶社区"


async def test_logins_and_no_secrets(demo: Api, audit: Audit) -> None:
    wrong = await demo.ok(LOGIN, {"input": {"phone": "13800000004", "password": "not-my-password"}})
    assert wrong["login"]["errors"] == [{"code": "WRONG_CREDENTIALS"}]
    assert await audit.new() == [("login", None, None, None, "WRONG_CREDENTIALS")]
    right = (await demo.ok(LOGIN, {"input": {"phone": "13800000004", "password": "jinlin-demo"}}))["login"]
    member = gid("User", demo.users["13800000004"])
    assert await audit.new() == [("login", "13800000004", None, member, "OK")]
    signed_up = (await demo.ok("""mutation($input: SignUpInput!) {
        signUp(input: $input) { accessToken refreshToken user { id } errors { code } } }""",
                               {"input": {"phone": "13900009999", "password": "a-new-secret",
                                          "displayName": "新居民"}}))["signUp"]
    assert await audit.new() == [("signUp", "13900009999", None, signed_up["user"]["id"], "OK")]
    refreshed = (await demo.ok("""mutation($input: RefreshTokenInput!) {
        refreshToken(input: $input) { accessToken refreshToken errors { code } } }""",
                               {"input": {"refreshToken": right["refreshToken"]}}))["refreshToken"]
    assert await audit.new() == [("refreshToken", "13800000004", None, member, "OK")]
    await demo.ok("""mutation($input: LogoutInput!) { logout(input: $input) { ok } }""",
                  {"input": {"refreshToken": refreshed["refreshToken"]}})
    assert await audit.new() == [("logout", "13800000004", None, None, "OK")]
    # A spent refresh token is refused (and revokes the family): audited, still without the token.
    reused = await demo("""mutation($input: RefreshTokenInput!) { refreshToken(input: $input) { accessToken } }""",
                        {"input": {"refreshToken": right["refreshToken"]}})
    assert reused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await audit.new() == [("refreshToken", None, None, None, "UNAUTHENTICATED")]

    secrets = ["not-my-password", "jinlin-demo", "a-new-secret", right["accessToken"], right["refreshToken"],
               signed_up["accessToken"], signed_up["refreshToken"], refreshed["accessToken"],
               refreshed["refreshToken"]]
    for row in await AuditRow.all():
        text = repr([getattr(row, f) for f in AuditRow._meta.db_fields])
        assert not any(secret in text for secret in secrets), text


async def test_unexpected_fault_is_audited_as_internal(demo: Api, audit: Audit,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    async def explode(**_kwargs: object) -> None:
        raise RuntimeError("database exploded: password=hunter2")

    monkeypatch.setattr(registration_model, "register", explode)
    body = await demo("""mutation($input: RegisterAtBranchInput!) {
        registerAtBranch(input: $input) { registration { id } } }""",
                      {"input": {"branchId": await org_id(BRANCH), "memberType": "RETIRED"}}, as_="13800000006")
    assert body["data"] is None
    assert [(e["extensions"], e["message"], e["path"]) for e in body["errors"]] == [
        ({"code": "INTERNAL"}, "服务器内部错误，请稍后再试", ["registerAtBranch"])]
    assert await audit.new() == [("registerAtBranch", "13800000006", BRANCH, None, "INTERNAL")]
    assert not await registration_model.Registration.exists(user_id=demo.users["13800000006"])


# --- org.auditLog ---------------------------------------------------------------------------------------------------


async def _some_history(demo: Api) -> None:
    """Four audited calls in 嘉莲街道's subtree, one in 厦港街道's, one anonymous (no org)."""
    lianhua, branch, xunsiding = await org_id("莲花北社区"), await org_id(BRANCH), await org_id("巡司顶社区")
    await demo.ok(UPDATE_ORG, {"input": {"orgId": lianhua, "name": "莲花北社区大党委"}}, as_="13800000002")
    await demo.ok(UPDATE_ORG, {"input": {"orgId": branch, "name": ""}}, as_="13800000003")
    await demo(UPDATE_ORG, {"input": {"orgId": branch, "name": "x"}}, as_="13800000004")
    await demo.ok(UPDATE_ORG, {"input": {"orgId": xunsiding, "name": "巡司顶社区大党委"}}, as_="13800000000")
    await demo(UPDATE_ORG, {"input": {"orgId": branch, "name": "x"}})
    await demo.ok(UPDATE_ORG, {"input": {"orgId": branch, "name": "观远里党支部"}}, as_="13800000001")


async def test_audit_log_newest_first_within_the_subtree(demo: Api) -> None:
    await _some_history(demo)
    lianhua, branch = await org_id("莲花北社区大党委"), await org_id("观远里党支部")
    body = await demo.ok(AUDIT_LOG, {"id": lianhua}, as_="13800000002")
    log = body["org"]["auditLog"]
    assert log["totalCount"] == 4
    assert log["nodes"] == [
        {"action": "updateOrg", "objectId": branch, "outcome": "OK", "actor": {"displayName": "嘉莲街道管理员"},
         "org": {"name": "观远里党支部"}},
        {"action": "updateOrg", "objectId": None, "outcome": "FORBIDDEN", "actor": {"displayName": "陈党员"},
         "org": {"name": "观远里党支部"}},
        {"action": "updateOrg", "objectId": None, "outcome": "INVALID", "actor": {"displayName": "观远里支部书记"},
         "org": {"name": "观远里党支部"}},
        {"action": "updateOrg", "objectId": lianhua, "outcome": "OK", "actor": {"displayName": "莲花北社区书记"},
         "org": {"name": "莲花北社区大党委"}},
    ]
    # The branch sees its own rows only; the district sees both streets' but not the anonymous call.
    assert (await demo.ok(AUDIT_LOG, {"id": branch}, as_="13800000003"))["org"]["auditLog"]["totalCount"] == 3
    district = await demo.ok(AUDIT_LOG, {"id": await org_id("思明区")}, as_="13800000000")
    assert district["org"]["auditLog"]["totalCount"] == 5
    assert district["org"]["auditLog"]["nodes"][1]["org"] == {"name": "巡司顶社区大党委"}
    # Each entry carries its time, with an offset.
    at = await demo.ok("query($id: ID!) { org(id: $id) { auditLog(first: 1) { nodes { at } } } }", {"id": branch},
                       as_="13800000003")
    assert datetime.fromisoformat(at["org"]["auditLog"]["nodes"][0]["at"]).utcoffset() is not None


async def test_audit_log_pages(demo: Api) -> None:
    await _some_history(demo)
    lianhua = await org_id("莲花北社区大党委")
    first = (await demo.ok(AUDIT_LOG, {"id": lianhua, "first": 2}, as_="13800000001"))["org"]["auditLog"]
    assert [n["outcome"] for n in first["nodes"]] == ["OK", "FORBIDDEN"]
    assert first["pageInfo"]["hasNextPage"] is True and first["totalCount"] == 4
    # A new row while paging does not shift the cursor (keyset): the next page goes on where the first stopped.
    await demo.ok(UPDATE_ORG, {"input": {"orgId": lianhua, "name": "莲花北"}}, as_="13800000002")
    rest = (await demo.ok(AUDIT_LOG, {"id": lianhua, "first": 2, "after": first["pageInfo"]["endCursor"]},
                          as_="13800000001"))["org"]["auditLog"]
    assert [(n["outcome"], n["actor"]["displayName"]) for n in rest["nodes"]] == [
        ("INVALID", "观远里支部书记"), ("OK", "莲花北社区书记")]
    assert rest["pageInfo"]["hasNextPage"] is False and rest["totalCount"] == 5
    newest = (await demo.ok(AUDIT_LOG, {"id": lianhua, "first": 1}, as_="13800000001"))["org"]["auditLog"]
    assert newest["nodes"] == [{"action": "updateOrg", "objectId": lianhua, "outcome": "OK",
                                "actor": {"displayName": "莲花北社区书记"}, "org": {"name": "莲花北"}}]


async def test_audit_log_for_managers_only(demo: Api) -> None:
    await _some_history(demo)
    branch, sibling = await org_id("观远里党支部"), await org_id("巡司顶社区大党委")
    # A community admin may not read a sibling community's log; members, residents and partner units none at all.
    for phone, target in (("13800000002", sibling), ("13800000004", branch), ("13800000006", branch),
                          ("13800000005", branch), ("13800000005", await org_id("厦门市捷安集团党支部"))):
        body = await demo(AUDIT_LOG, {"id": target}, as_=phone)
        if phone == "13800000005" and target != branch:
            assert "errors" not in body  # a partner unit's admin reads their own unit's log
            continue
        assert body["data"] == {"org": None}, phone
        assert [(e["extensions"]["code"], e["path"]) for e in body["errors"]] == [
            ("FORBIDDEN", ["org", "auditLog"])], phone
    anon = await demo(AUDIT_LOG, {"id": branch})
    assert [e["extensions"]["code"] for e in anon["errors"]] == ["UNAUTHENTICATED"]


# --- append-only ----------------------------------------------------------------------------------------------------


async def _stored_rows() -> list[tuple]:
    return [tuple(row) for row in await AuditRow.all().order_by("id").values_list(
        "id", "actor_id", "org_id", "action", "object_id", "outcome", "at")]


async def test_the_orm_refuses_to_change_or_remove_audit_rows(demo: Api, audit: Audit) -> None:
    await demo.ok(UPDATE_ORG, {"input": {"orgId": await org_id(BRANCH), "name": ""}}, as_="13800000003")
    before = await _stored_rows()
    row = await AuditRow.get(id=before[-1][0])
    row.outcome = "OK"
    refusals = {
        "save": lambda: row.save(),
        "save(update_fields)": lambda: row.save(update_fields=["outcome"]),
        "save(force_update)": lambda: row.save(force_update=True),
        "delete": lambda: row.delete(),
        "queryset update": lambda: AuditRow.filter(id=row.id).update(outcome="OK"),
        "queryset delete": lambda: AuditRow.filter(id=row.id).delete(),
        "all().delete": lambda: AuditRow.all().delete(),
        "bulk_update": lambda: AuditRow.bulk_update([row], fields=["outcome"]),
        "update_or_create": lambda: AuditRow.update_or_create(defaults={"outcome": "OK"}, id=row.id),
        "upsert": lambda: AuditRow.bulk_create([AuditRow(id=row.id, action="x", outcome="OK")],
                                               on_conflict=["id"], update_fields=["outcome"]),
    }
    for name, attempt in refusals.items():
        with pytest.raises(AuditLogAppendOnly, match="the audit log is append-only"):
            await attempt()
    assert await _stored_rows() == before, "nothing changed"
    # Appending and reading go on as before.
    await audit_model.record(actor_id=demo.users["13800000003"], org_id=None, action="test", object_id=None,
                             outcome="OK")
    await AuditRow.bulk_create([AuditRow(action="bulk", outcome="OK"), AuditRow(action="bulk", outcome="OK")])
    assert [(r[3], r[5]) for r in (await _stored_rows())[len(before):]] == [
        ("test", "OK"), ("bulk", "OK"), ("bulk", "OK")]
    assert await AuditRow.filter(action="bulk").count() == 2


@pytest.mark.parametrize("sql", [
    "UPDATE audit_entry SET outcome = 'OK' WHERE id = ?",
    "UPDATE audit_entry SET at = at WHERE id = ?",  # even an update that changes nothing
    "UPDATE audit_entry SET actor_id = NULL WHERE id = ?",  # the actor still exists: not the FK's SET NULL
    "UPDATE audit_entry SET org_id = NULL, outcome = 'OK' WHERE id = ?",
    "DELETE FROM audit_entry WHERE id = ?",
])
async def test_the_database_refuses_raw_updates_and_deletes(demo: Api, audit: Audit, sql: str) -> None:
    await demo.ok(UPDATE_ORG, {"input": {"orgId": await org_id(BRANCH), "name": ""}}, as_="13800000003")
    before = await _stored_rows()
    with pytest.raises(Exception, match="audit_entry is append-only"):
        await db.execute(sql, [before[-1][0]])
    with pytest.raises(Exception, match="audit_entry is append-only"):
        await db.execute(sql.replace(" WHERE id = ?", ""))  # every row at once
    assert await _stored_rows() == before
    # Raw inserts are fine.
    await db.execute("INSERT INTO audit_entry (action, outcome, at) VALUES ('raw', 'OK', ?)", [db.utc(datetime.now())])
    assert len(await _stored_rows()) == len(before) + 1


async def test_deleting_a_user_or_org_still_blanks_its_audit_rows(demo: Api) -> None:
    """The foreign keys' ON DELETE SET NULL is the one change the triggers let through."""
    user = await UserRow.create(phone="13900001234", display_name="临时", password_hash="x")
    org = await OrgRow.create(name="临时", kind=(await OrgRow.get(name=BRANCH)).kind)
    kept = await AuditRow.create(actor_id=user.id, org_id=org.id, action="updateOrg", object_id="x", outcome="OK")
    await user.delete()
    await org.delete()
    row = await AuditRow.get(id=kept.id)
    assert (row.actor_id, row.org_id, row.action, row.object_id, row.outcome, row.at) == (
        None, None, "updateOrg", "x", "OK", kept.at)
