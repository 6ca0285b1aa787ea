"""Org statistics from counters (issue 8): `org_stat` holds every org's subtree totals, kept exact by row triggers in
the transaction of every write, so `org.stats` reads one row per org instead of scanning the subtree.

How the counters stay right, whoever writes (the ORM, raw SQL, the seed's bulk inserts):
- A row of a counted table (compound, registration, project, claim, resource, booking, meeting, resolution,
  duty_shift) adds its counts to the `org_stat` rows of its anchor org's ancestors-or-self (`org_closure`). An UPDATE
  that keeps the anchor adds the difference; one that moves the row takes the old counts away and adds the new ones,
  with the counts of child rows that move along (a project's verified claim hours, a resource's approved bookings).
- The invariant is defined over `org_closure`: an org's totals are the own rows of every org it has a closure row
  for. So a closure row inserted (deleted) adds (removes) its descendant's own rows, and the counters are right
  whichever comes first, closure rows or data rows (the seed inserts closure rows first; moving an org would delete
  and insert them).
- Distinct counts keep multiplicities. `org_stat_partner` (org, partner unit) counts the pairings of the unit with
  orgs in the subtree (`pairs`), plus `own` for a partner unit itself: `partner_unit_count` is its rows with pairs > 0.
  `org_stat_commissioner` (org, user) counts at how many of those units the user is a COMMISSIONER:
  `commissioner_count` is its rows. Rows go at zero, so removals stay exact.
- Duty shifts: `centre_shift_count` is a subtree total; `unit_shift_count` is an org's own count of shifts it served as
  the unit at centres outside its subtree (served_duty_shift_count is the sum: each shift counted once).
- `meeting_total` counts every meeting; `stats` subtracts the few that have not begun (index on starts_at).
- PostgreSQL: a trigger first locks the counter rows it changes in org id order (an ancestor's id is below its
  descendants'), so writers queue on the root instead of deadlocking. Pairing changes and commissioner changes of a
  partner unit read what the other writes: both first take a transaction-level advisory lock on the unit
  (UNIT_LOCK), then lock the counter rows they found. SQLite has one writer at a time.
- Bulk loads (the seed) switch the triggers off inside their transaction and then rebuild every counter set-wise
  (BULK_ON, BACKFILL): on PostgreSQL, updating one counter row thousands of times in one transaction is quadratic.
- Not followed (no code does it): an UPDATE of an `org_closure` row (moves delete and insert rows) or of an org's
  `kind` (branch_count and a unit's own source follow the kind an org was created with).
- TRUNCATE fires no row triggers (the tests truncate every table, these included). `jinlin restore` copies pages
  (SQLite) or loads rows before it creates triggers (pg_restore), counters included: a restore is as exact as its
  backup. The backfill at the end fills the counters of an existing database (models.org.rebuild_stats repeats it).
"""

from dataclasses import dataclass, field

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

COUNTERS = ("compound_count", "covered_compound_count", "red_committee_count", "branch_count", "partner_unit_count",
            "registered_member_count", "project_count", "claimed_project_count", "verified_hours", "resource_count",
            "approved_booking_count", "meeting_total", "open_resolution_count", "converted_resolution_count",
            "centre_shift_count", "unit_shift_count", "commissioner_count")


def _flag(condition: str) -> str:
    return f"(CASE WHEN {condition} THEN 1 ELSE 0 END)"


@dataclass(frozen=True)
class Counted:
    """Rows of `table` add `counts` (counter -> SQL over the row `{r}`) to the ancestors-or-self of `anchor` (to the
    anchor alone unless `subtree`). `carried` counts of child rows move with the anchor and leave on DELETE (taken
    BEFORE it, while the children are still there)."""

    name: str
    table: str
    anchor: str
    anchor_columns: tuple[str, ...]
    counts: dict[str, str]
    columns: tuple[str, ...]
    carried: dict[str, str] = field(default_factory=dict)
    subtree: bool = True
    relevant: str | None = None  # a condition over {r} without subqueries that holds whenever a count is not 0


COUNTED = (
    Counted("compound", "compound", "COALESCE({r}.branch_id, {r}.community_id)", ("branch_id", "community_id"),
            {"compound_count": "1", "covered_compound_count": _flag("{r}.branch_id IS NOT NULL"),
             "red_committee_count": _flag("{r}.has_red_committee")},
            ("branch_id", "community_id", "has_red_committee")),
    Counted("registration", "registration", "{r}.branch_id", ("branch_id",),
            {"registered_member_count": _flag("{r}.active_user_id IS NOT NULL")}, ("branch_id", "active_user_id")),
    Counted("project", "project", "{r}.org_id", ("org_id",),
            {"project_count": _flag("{r}.published_at IS NOT NULL"),
             "claimed_project_count": _flag("{r}.claimed_count > 0")},
            ("org_id", "published_at", "claimed_count"),
            carried={"verified_hours": "(SELECT COALESCE(SUM(c.verified_hours), 0) FROM claim c "
                                       "WHERE c.project_id = {r}.id AND c.status = 'VERIFIED')"}),
    Counted("claim", "claim", "(SELECT p.org_id FROM project p WHERE p.id = {r}.project_id)", ("project_id",),
            {"verified_hours": "(CASE WHEN {r}.status = 'VERIFIED' THEN COALESCE({r}.verified_hours, 0) ELSE 0 END)"},
            ("project_id", "status", "verified_hours")),
    Counted("resource", "resource", "{r}.owner_id", ("owner_id",),
            {"resource_count": _flag("{r}.retired_at IS NULL")}, ("owner_id", "retired_at"),
            carried={"approved_booking_count": "(SELECT COUNT(*) FROM booking b WHERE b.resource_id = {r}.id "
                                               "AND b.status = 'APPROVED')"}),
    Counted("booking", "booking", "(SELECT rs.owner_id FROM resource rs WHERE rs.id = {r}.resource_id)",
            ("resource_id",), {"approved_booking_count": _flag("{r}.status = 'APPROVED'")}, ("resource_id", "status")),
    Counted("meeting", "meeting", "{r}.convener_id", ("convener_id",), {"meeting_total": "1"}, ("convener_id",)),
    Counted("resolution", "resolution", "{r}.owner_id", ("owner_id",),
            {"open_resolution_count": _flag("{r}.project_id IS NULL"),
             "converted_resolution_count": _flag("{r}.project_id IS NOT NULL")}, ("owner_id", "project_id")),
    Counted("shift_centre", "duty_shift", "{r}.centre_id", ("centre_id",),
            {"centre_shift_count": _flag("{r}.checked_in_at IS NOT NULL")}, ("centre_id", "checked_in_at")),
    Counted("shift_unit", "duty_shift", "{r}.unit_id", ("unit_id",),
            {"unit_shift_count": _flag("{r}.checked_in_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM org_closure uc "
                                       "WHERE uc.ancestor_id = {r}.unit_id AND uc.descendant_id = {r}.centre_id)")},
            ("unit_id", "centre_id", "checked_in_at"), subtree=False, relevant="{r}.checked_in_at IS NOT NULL"),
)


@dataclass(frozen=True)
class Trigger:
    """One row trigger written once for both dialects: `when` and `body` use NEW and OLD. PostgreSQL only: `units`
    are partner units whose transaction-level advisory lock is taken first (pairings and commissioners of a unit
    read each other), then `lock`, a condition on org_stat, chooses the counter rows to lock in id order."""

    name: str
    table: str
    event: str  # INSERT, DELETE, or UPDATE OF ...
    body: list[str]
    when: str | None = None
    lock: str | None = None
    before: bool = False
    units: tuple[str, ...] = ()


UNIT_LOCK = 7411  # pg_advisory_xact_lock(UNIT_LOCK, partner unit id): the first key names the org_stat unit locks


def _ancestors(org: str) -> str:
    return f"SELECT ancestor_id FROM org_closure WHERE descendant_id = {org}"


def _changed(columns: tuple[str, ...], dialect: str) -> str:
    op = "IS DISTINCT FROM" if dialect == "postgres" else "IS NOT"
    return "(" + " OR ".join(f"OLD.{c} {op} NEW.{c}" for c in columns) + ")"


def _counted_triggers(spec: Counted, dialect: str) -> list[Trigger]:
    def counts(r: str, *, carried: bool = False) -> dict[str, str]:
        out = {col: expr.format(r=r) for col, expr in spec.counts.items()}
        for col, expr in (spec.carried.items() if carried else ()):
            out[col] = f"{out[col]} + {expr.format(r=r)}" if col in out else expr.format(r=r)
        return out

    def nonzero(r: str) -> str:
        if spec.relevant:
            return f"({spec.relevant.format(r=r)})"
        return "(" + " OR ".join(f"{expr} <> 0" for expr in counts(r).values()) + ")"

    def targets(r: str) -> str:
        anchor = spec.anchor.format(r=r)
        return f"org_id IN ({_ancestors(anchor)})" if spec.subtree else f"org_id = {anchor}"

    def bump(r: str, deltas: dict[str, str], sign: str = "+") -> str:
        sets = ", ".join(f"{col} = {col} {sign} ({delta})" for col, delta in deltas.items())
        return f"UPDATE org_stat SET {sets} WHERE {targets(r)}"

    def lock(*rows: str) -> str | None:  # one counter row needs no ordering
        return " OR ".join(f"({targets(r)})" for r in rows) if spec.subtree else None

    name = f"org_stat_{spec.name}"
    moved = _changed(spec.anchor_columns, dialect)
    triggers = [
        Trigger(f"{name}_ins", spec.table, "INSERT", [bump("NEW", counts("NEW"))], when=nonzero("NEW"),
                lock=lock("NEW")),
        Trigger(f"{name}_del", spec.table, "DELETE", [bump("OLD", counts("OLD", carried=True), "-")],
                when=None if spec.carried else nonzero("OLD"), lock=lock("OLD"), before=bool(spec.carried)),
        Trigger(f"{name}_mov", spec.table, f"UPDATE OF {', '.join(spec.anchor_columns)}",
                [bump("OLD", counts("OLD", carried=True), "-"), bump("NEW", counts("NEW", carried=True))],
                when=moved, lock=lock("OLD", "NEW")),
    ]
    others = tuple(c for c in spec.columns if c not in spec.anchor_columns)
    if others:
        if spec.relevant:  # counts with subqueries: any change of a column while the row counts or counted
            differs = f"({nonzero('OLD')} OR {nonzero('NEW')}) AND {_changed(others, dialect)}"
        else:  # exactly when a count changes (a project's claimed_count moving from 3 to 4 fires nothing)
            differs = " OR ".join(f"{n} <> {o}" for n, o in zip(counts("NEW").values(), counts("OLD").values()))
        deltas = {col: f"{n} - {o}" for (col, n), o in zip(counts("NEW").items(), counts("OLD").values())}
        triggers.append(Trigger(f"{name}_upd", spec.table, f"UPDATE OF {', '.join(others)}", [bump("NEW", deltas)],
                                when=f"NOT {moved} AND ({differs})", lock=lock("NEW")))
    return triggers


def _own(d: str, a: str) -> dict[str, str]:
    """What org `d`'s own rows add to ancestor `a` (closure rows inserted or deleted); partner units via the pairs."""
    at = f"(c.branch_id = {d} OR (c.branch_id IS NULL AND c.community_id = {d}))"
    return {
        "compound_count": f"(SELECT COUNT(*) FROM compound c WHERE {at})",
        "covered_compound_count": f"(SELECT COUNT(*) FROM compound c WHERE c.branch_id = {d})",
        "red_committee_count": f"(SELECT COUNT(*) FROM compound c WHERE {at} AND c.has_red_committee)",
        "branch_count": f"(SELECT COUNT(*) FROM org o WHERE o.id = {d} AND o.kind = 'COMPOUND_BRANCH')",
        "registered_member_count": f"(SELECT COUNT(*) FROM registration g WHERE g.branch_id = {d} "
                                   "AND g.active_user_id IS NOT NULL)",
        "project_count": f"(SELECT COUNT(*) FROM project p WHERE p.org_id = {d} AND p.published_at IS NOT NULL)",
        "claimed_project_count": f"(SELECT COUNT(*) FROM project p WHERE p.org_id = {d} AND p.claimed_count > 0)",
        "verified_hours": f"(SELECT COALESCE(SUM(c.verified_hours), 0) FROM project p JOIN claim c "
                          f"ON c.project_id = p.id WHERE p.org_id = {d} AND c.status = 'VERIFIED')",
        "resource_count": f"(SELECT COUNT(*) FROM resource rs WHERE rs.owner_id = {d} AND rs.retired_at IS NULL)",
        "approved_booking_count": f"(SELECT COUNT(*) FROM resource rs JOIN booking b ON b.resource_id = rs.id "
                                  f"WHERE rs.owner_id = {d} AND b.status = 'APPROVED')",
        "meeting_total": f"(SELECT COUNT(*) FROM meeting m WHERE m.convener_id = {d})",
        "open_resolution_count": f"(SELECT COUNT(*) FROM resolution rl WHERE rl.owner_id = {d} "
                                 "AND rl.project_id IS NULL)",
        "converted_resolution_count": f"(SELECT COUNT(*) FROM resolution rl WHERE rl.owner_id = {d} "
                                      "AND rl.project_id IS NOT NULL)",
        "centre_shift_count": f"(SELECT COUNT(*) FROM duty_shift s WHERE s.centre_id = {d} "
                              "AND s.checked_in_at IS NOT NULL)",
        # shifts unit `a` served at centre `d`, now inside a's subtree: counted there, no longer on their own
        "unit_shift_count": f"-(SELECT COUNT(*) FROM duty_shift s WHERE s.unit_id = {a} AND s.centre_id = {d} "
                            "AND s.checked_in_at IS NOT NULL)",
    }


def _pair(select: str) -> str:
    """One pairing more for each (org, partner) the SELECT yields."""
    return (f"INSERT INTO org_stat_partner (org_id, partner_id, pairs, own) {select} "
            "ON CONFLICT (org_id, partner_id) DO UPDATE SET pairs = org_stat_partner.pairs + 1")


def _unpair(where: str) -> list[str]:
    """One pairing fewer for each org_stat_partner row matching `where`; a source gone at zero."""
    return [f"UPDATE org_stat_partner SET pairs = pairs - 1 WHERE {where}",
            f"DELETE FROM org_stat_partner WHERE {where} AND pairs = 0 AND own = 0"]


def _commission(select: str) -> str:
    """One source more for each (org, user) the SELECT yields."""
    return (f"INSERT INTO org_stat_commissioner (org_id, user_id, sources) {select} "
            "ON CONFLICT (org_id, user_id) DO UPDATE SET sources = org_stat_commissioner.sources + 1")


def _uncommission(where: str) -> list[str]:
    """One source fewer for each org_stat_commissioner row matching `where`; the row gone at zero."""
    return [f"UPDATE org_stat_commissioner SET sources = sources - 1 WHERE {where}",
            f"DELETE FROM org_stat_commissioner WHERE {where} AND sources = 0"]


_SOURCES_OF = "SELECT sp.org_id FROM org_stat_partner sp WHERE sp.partner_id = {unit}"
_COMMISSIONERS_OF = "SELECT m.user_id FROM membership m WHERE m.org_id = {unit} AND m.role = 'COMMISSIONER'"


# The ancestors-or-self of a new pairing's org, each gaining one pairing with its partner unit.
_PAIRED_NEW = "SELECT cl.ancestor_id, NEW.partner_id, 1, 0 FROM org_closure cl WHERE cl.descendant_id = NEW.org_id"


def _other_triggers(dialect: str) -> list[Trigger]:
    own_new, own_old = _own("NEW.descendant_id", "NEW.ancestor_id"), _own("OLD.descendant_id", "OLD.ancestor_id")
    zeros = ", ".join("0" for _ in COUNTERS)
    return [
        # Every org has its counter row from the start; a partner unit is a source of its own commissioners.
        Trigger("org_stat_org_ins", "org", "INSERT", [
            f"INSERT INTO org_stat (org_id, {', '.join(COUNTERS)}) VALUES (NEW.id, {zeros}) "
            "ON CONFLICT (org_id) DO NOTHING",
            "INSERT INTO org_stat_partner (org_id, partner_id, pairs, own) SELECT NEW.id, NEW.id, 0, 1 "
            "WHERE NEW.kind = 'PARTNER_UNIT' ON CONFLICT (org_id, partner_id) DO UPDATE SET own = 1",
        ]),
        Trigger("org_stat_closure_ins", "org_closure", "INSERT", [
            "UPDATE org_stat SET " + ", ".join(f"{c} = {c} + {e}" for c, e in own_new.items())
            + " WHERE org_id = NEW.ancestor_id",
            _pair("SELECT NEW.ancestor_id, p.partner_id, 1, 0 FROM partnership p WHERE p.org_id = NEW.descendant_id"),
        ]),
        Trigger("org_stat_closure_del", "org_closure", "DELETE", [
            "UPDATE org_stat SET " + ", ".join(f"{c} = {c} - {e}" for c, e in own_old.items())
            + " WHERE org_id = OLD.ancestor_id",
            *_unpair("org_id = OLD.ancestor_id AND partner_id IN "
                     "(SELECT p.partner_id FROM partnership p WHERE p.org_id = OLD.descendant_id)"),
        ]),
        Trigger("org_stat_partnership_ins", "partnership", "INSERT", [
            _pair(_PAIRED_NEW),
        ], lock=f"org_id IN ({_ancestors('NEW.org_id')})", units=("NEW.partner_id",)),
        Trigger("org_stat_partnership_del", "partnership", "DELETE",
                _unpair(f"partner_id = OLD.partner_id AND org_id IN ({_ancestors('OLD.org_id')})"),
                lock=f"org_id IN ({_ancestors('OLD.org_id')})", units=("OLD.partner_id",)),
        Trigger("org_stat_partnership_upd", "partnership", "UPDATE OF partner_id, org_id", [
            *_unpair(f"partner_id = OLD.partner_id AND org_id IN ({_ancestors('OLD.org_id')})"),
            _pair(_PAIRED_NEW),
        ], when=_changed(("partner_id", "org_id"), dialect),
            lock=f"org_id IN ({_ancestors('OLD.org_id')}) OR org_id IN ({_ancestors('NEW.org_id')})",
            units=("OLD.partner_id", "NEW.partner_id")),
        # An org gains or loses a source (partner unit): its distinct partner units, and the unit's commissioners.
        Trigger("org_stat_source_ins", "org_stat_partner", "INSERT", [
            "UPDATE org_stat SET partner_unit_count = partner_unit_count + 1 WHERE org_id = NEW.org_id "
            "AND NEW.pairs > 0",
            _commission("SELECT NEW.org_id, m.user_id, 1 FROM membership m WHERE m.org_id = NEW.partner_id "
                        "AND m.role = 'COMMISSIONER'"),
        ], units=("NEW.partner_id",)),
        Trigger("org_stat_source_upd", "org_stat_partner", "UPDATE OF pairs", [
            "UPDATE org_stat SET partner_unit_count = partner_unit_count + (CASE WHEN NEW.pairs > 0 THEN 1 ELSE -1 END)"
            " WHERE org_id = NEW.org_id",
        ], when="(OLD.pairs > 0) <> (NEW.pairs > 0)"),
        Trigger("org_stat_source_del", "org_stat_partner", "DELETE", [
            "UPDATE org_stat SET partner_unit_count = partner_unit_count - 1 WHERE org_id = OLD.org_id "
            "AND OLD.pairs > 0",
            *_uncommission(f"org_id = OLD.org_id AND user_id IN ({_COMMISSIONERS_OF.format(unit='OLD.partner_id')})"),
        ], units=("OLD.partner_id",)),
        Trigger("org_stat_commissioner_ins", "org_stat_commissioner", "INSERT", [
            "UPDATE org_stat SET commissioner_count = commissioner_count + 1 WHERE org_id = NEW.org_id"]),
        Trigger("org_stat_commissioner_del", "org_stat_commissioner", "DELETE", [
            "UPDATE org_stat SET commissioner_count = commissioner_count - 1 WHERE org_id = OLD.org_id"]),
        # A commissioner appointed or removed at a partner unit: every org the unit is a source of.
        Trigger("org_stat_membership_ins", "membership", "INSERT", [
            _commission("SELECT sp.org_id, NEW.user_id, 1 FROM org_stat_partner sp WHERE sp.partner_id = NEW.org_id"),
        ], when="NEW.role = 'COMMISSIONER'",
            lock=f"org_id IN ({_SOURCES_OF.format(unit='NEW.org_id')})", units=("NEW.org_id",)),
        Trigger("org_stat_membership_del", "membership", "DELETE",
                _uncommission(f"user_id = OLD.user_id AND org_id IN ({_SOURCES_OF.format(unit='OLD.org_id')})"),
                when="OLD.role = 'COMMISSIONER'",
                lock=f"org_id IN ({_SOURCES_OF.format(unit='OLD.org_id')})", units=("OLD.org_id",)),
        Trigger("org_stat_membership_upd", "membership", "UPDATE OF role, org_id, user_id", [
            *_uncommission(f"OLD.role = 'COMMISSIONER' AND user_id = OLD.user_id "
                           f"AND org_id IN ({_SOURCES_OF.format(unit='OLD.org_id')})"),
            _commission("SELECT sp.org_id, NEW.user_id, 1 FROM org_stat_partner sp WHERE sp.partner_id = NEW.org_id "
                        "AND NEW.role = 'COMMISSIONER'"),
        ], when="(OLD.role = 'COMMISSIONER' OR NEW.role = 'COMMISSIONER') AND "
                + _changed(("role", "org_id", "user_id"), dialect),
            lock=f"org_id IN ({_SOURCES_OF.format(unit='OLD.org_id')}) "
                 f"OR org_id IN ({_SOURCES_OF.format(unit='NEW.org_id')})", units=("OLD.org_id", "NEW.org_id")),
    ]


def triggers(dialect: str) -> list[Trigger]:
    return [t for spec in COUNTED for t in _counted_triggers(spec, dialect)] + _other_triggers(dialect)


# Bulk loads (the seed, the rebuild below) switch the triggers off inside their transaction and rebuild the counters
# set-wise at the end: on PostgreSQL a transaction updating one counter row thousands of times would make every
# update walk the chain of that row's versions (quadratic). PostgreSQL: a transaction-local setting
# (SET LOCAL jinlin.org_stat_bulk = 'on'); SQLite: a row in org_stat_bulk (inserted and deleted in the transaction).
BULK_SETTING = "jinlin.org_stat_bulk"
_ENABLED = {"postgres": f"current_setting('{BULK_SETTING}', true) IS DISTINCT FROM 'on'",
            "sqlite": "NOT EXISTS (SELECT 1 FROM org_stat_bulk)"}


def _sqlite_sql(t: Trigger) -> str:
    when = f" WHEN {_ENABLED['sqlite']}" + (f" AND ({t.when})" if t.when else "")
    return (f"CREATE TRIGGER IF NOT EXISTS {t.name} {'BEFORE' if t.before else 'AFTER'} {t.event} ON {t.table} "
            f"FOR EACH ROW{when} BEGIN {'; '.join(t.body)}; END")


def _postgres_sql(t: Trigger) -> list[str]:
    done = "OLD" if t.before else "NULL"
    lines = []
    when = t.when
    if when and "SELECT" in when:  # a trigger's WHEN may hold no subquery: test it in the function
        lines.append(f"IF NOT ({when}) THEN RETURN {done}; END IF;")
        when = None
    when = _ENABLED["postgres"] + (f" AND ({when})" if when else "")
    if len(t.units) == 1:
        lines.append(f"PERFORM pg_advisory_xact_lock({UNIT_LOCK}, {t.units[0]});")
    elif t.units:  # the smaller id first, as every other taker of two
        lines.append(f"PERFORM pg_advisory_xact_lock({UNIT_LOCK}, LEAST({', '.join(t.units)}));")
        lines.append(f"PERFORM pg_advisory_xact_lock({UNIT_LOCK}, GREATEST({', '.join(t.units)}));")
    if t.lock:  # a new statement: what it selects is read after the unit locks are held
        lines.append(f"PERFORM 1 FROM org_stat WHERE {t.lock} ORDER BY org_id FOR UPDATE;")
    lines += [f"{sql};" for sql in t.body]
    body = "\n    ".join(lines)
    return [
        f"CREATE OR REPLACE FUNCTION {t.name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    {body}\n"
        f"    RETURN {done};\nEND\n$$",
        f"DROP TRIGGER IF EXISTS {t.name} ON {t.table}",
        f"CREATE TRIGGER {t.name} {'BEFORE' if t.before else 'AFTER'} {t.event} ON {t.table} FOR EACH ROW"
        + f" WHEN ({when}) EXECUTE FUNCTION {t.name}()",
    ]


# The backfill (and `models.org.rebuild_stats`), set-wise with the triggers switched off: the partner sources with
# their pairings, the commissioners of those sources, then every org's totals from its descendants' own rows.
_OWN_ROWS = {  # rows of a table -> (the org they belong to, what they count)
    "compound c": ("COALESCE(c.branch_id, c.community_id)", {
        "compound_count": "1", "covered_compound_count": _flag("c.branch_id IS NOT NULL"),
        "red_committee_count": _flag("c.has_red_committee")}),
    "org o": ("o.id", {"branch_count": _flag("o.kind = 'COMPOUND_BRANCH'")}),
    "registration g WHERE g.active_user_id IS NOT NULL": ("g.branch_id", {"registered_member_count": "1"}),
    "project p": ("p.org_id", {"project_count": _flag("p.published_at IS NOT NULL"),
                               "claimed_project_count": _flag("p.claimed_count > 0")}),
    "claim c JOIN project p ON p.id = c.project_id WHERE c.status = 'VERIFIED'": (
        "p.org_id", {"verified_hours": "COALESCE(c.verified_hours, 0)"}),
    "resource rs": ("rs.owner_id", {"resource_count": _flag("rs.retired_at IS NULL")}),
    "booking b JOIN resource rs ON rs.id = b.resource_id WHERE b.status = 'APPROVED'": (
        "rs.owner_id", {"approved_booking_count": "1"}),
    "meeting m": ("m.convener_id", {"meeting_total": "1"}),
    "resolution rl": ("rl.owner_id", {"open_resolution_count": _flag("rl.project_id IS NULL"),
                                      "converted_resolution_count": _flag("rl.project_id IS NOT NULL")}),
    "duty_shift s WHERE s.checked_in_at IS NOT NULL": ("s.centre_id", {"centre_shift_count": "1"}),
}
_OWN_OF_ORG = {
    "partner_unit_count": "(SELECT COUNT(*) FROM org_stat_partner sp WHERE sp.org_id = o.id AND sp.pairs > 0)",
    "commissioner_count": "(SELECT COUNT(*) FROM org_stat_commissioner sc WHERE sc.org_id = o.id)",
    "unit_shift_count": "(SELECT COUNT(*) FROM duty_shift s WHERE s.unit_id = o.id AND s.checked_in_at IS NOT NULL "
                        "AND NOT EXISTS (SELECT 1 FROM org_closure uc WHERE uc.ancestor_id = s.unit_id "
                        "AND uc.descendant_id = s.centre_id))",
}
_SUMMED = [c for c in COUNTERS if c not in _OWN_OF_ORG]
_OWN_UNION = " UNION ALL ".join(
    f"SELECT {anchor} AS org_id, " + ", ".join(f"{counts.get(c, '0')} AS {c}" for c in _SUMMED) + f" FROM {rows}"
    for rows, (anchor, counts) in _OWN_ROWS.items())
BACKFILL = [
    "DELETE FROM org_stat_commissioner",
    "DELETE FROM org_stat_partner",
    "DELETE FROM org_stat",
    "INSERT INTO org_stat_partner (org_id, partner_id, pairs, own) SELECT x.org_id, x.partner_id, SUM(x.pairs), "
    "MAX(x.own) FROM (SELECT cl.ancestor_id AS org_id, p.partner_id AS partner_id, 1 AS pairs, 0 AS own "
    "FROM org_closure cl JOIN partnership p ON p.org_id = cl.descendant_id "
    "UNION ALL SELECT o.id, o.id, 0, 1 FROM org o WHERE o.kind = 'PARTNER_UNIT') x GROUP BY x.org_id, x.partner_id",
    "INSERT INTO org_stat_commissioner (org_id, user_id, sources) SELECT sp.org_id, m.user_id, COUNT(*) "
    "FROM org_stat_partner sp JOIN membership m ON m.org_id = sp.partner_id WHERE m.role = 'COMMISSIONER' "
    "GROUP BY sp.org_id, m.user_id",
    f"INSERT INTO org_stat (org_id, {', '.join(COUNTERS)}) SELECT o.id, "
    + ", ".join(_OWN_OF_ORG.get(c, f"COALESCE(t.{c}, 0)") for c in COUNTERS)
    + " FROM org o LEFT JOIN (SELECT cl.ancestor_id AS org_id, " + ", ".join(f"SUM(x.{c}) AS {c}" for c in _SUMMED)
    + f" FROM org_closure cl JOIN ({_OWN_UNION}) x ON x.org_id = cl.descendant_id GROUP BY cl.ancestor_id) t "
    "ON t.org_id = o.id",
]
# Statements that switch the triggers off and on again inside a transaction, per dialect.
BULK_ON = {"postgres": [f"SELECT set_config('{BULK_SETTING}', 'on', true)"],
           "sqlite": ["INSERT INTO org_stat_bulk (id) VALUES (1) ON CONFLICT (id) DO NOTHING"]}
BULK_OFF = {"postgres": [f"SELECT set_config('{BULK_SETTING}', 'off', true)"], "sqlite": ["DELETE FROM org_stat_bulk"]}


def _statements(schema_editor, *, forward: bool) -> list[str]:
    dialect = schema_editor.client.capabilities.dialect
    if dialect not in ("postgres", "sqlite"):
        raise NotImplementedError(f"org statistics counters need triggers written for {dialect}")
    all_triggers = triggers(dialect)
    backfill = [*BULK_ON[dialect], *BACKFILL, *BULK_OFF[dialect]]
    if dialect == "postgres":
        if forward:
            return [sql for t in all_triggers for sql in _postgres_sql(t)] + backfill
        return [sql for t in all_triggers for sql in (f"DROP TRIGGER IF EXISTS {t.name} ON {t.table}",
                                                       f"DROP FUNCTION IF EXISTS {t.name}()")]
    if forward:
        return ["CREATE TABLE IF NOT EXISTS org_stat_bulk (id INTEGER NOT NULL PRIMARY KEY)",
                *(_sqlite_sql(t) for t in all_triggers), *backfill]
    return [f"DROP TRIGGER IF EXISTS {t.name}" for t in all_triggers] + ["DROP TABLE IF EXISTS org_stat_bulk"]


async def _run(schema_editor, statements: list[str]) -> None:
    """One statement at a time as written (the SQLite editor would split a trigger body at its semicolons)."""
    for sql in statements:
        if schema_editor.collect_sql:
            schema_editor.collected_sql.append(sql)
        else:
            await schema_editor.client.execute_query(sql)


async def create_counters(apps, schema_editor) -> None:
    await _run(schema_editor, _statements(schema_editor, forward=True))


async def drop_counters(apps, schema_editor) -> None:
    await _run(schema_editor, _statements(schema_editor, forward=False))


class Migration(migrations.Migration):
    dependencies = [('jinlin', '0013_data_versions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OrgStatCommissioner',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('org', fields.ForeignKeyField('jinlin.Org', source_field='org_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('jinlin.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('sources', fields.IntField(default=0)),
            ],
            options={'table': 'org_stat_commissioner', 'app': 'jinlin', 'unique_together': (('org_id', 'user_id'),), 'pk_attr': 'id', 'table_description': "A commissioner counted once in an org's stats: `sources` of its partner units they serve (row gone at 0)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrgStatCounter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('org', fields.OneToOneField('jinlin.Org', source_field='org_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('compound_count', fields.IntField(default=0)),
                ('covered_compound_count', fields.IntField(default=0)),
                ('red_committee_count', fields.IntField(default=0)),
                ('branch_count', fields.IntField(default=0)),
                ('partner_unit_count', fields.IntField(default=0)),
                ('registered_member_count', fields.IntField(default=0)),
                ('project_count', fields.IntField(default=0)),
                ('claimed_project_count', fields.IntField(default=0)),
                ('verified_hours', fields.FloatField(default=0)),
                ('resource_count', fields.IntField(default=0)),
                ('approved_booking_count', fields.IntField(default=0)),
                ('meeting_total', fields.IntField(default=0)),
                ('open_resolution_count', fields.IntField(default=0)),
                ('converted_resolution_count', fields.IntField(default=0)),
                ('centre_shift_count', fields.IntField(default=0)),
                ('unit_shift_count', fields.IntField(default=0)),
                ('commissioner_count', fields.IntField(default=0)),
            ],
            options={'table': 'org_stat', 'app': 'jinlin', 'pk_attr': 'id', 'table_description': "An org's subtree totals, kept by database triggers in every writing transaction: dashboards read, never scan."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrgStatPartner',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('org', fields.ForeignKeyField('jinlin.Org', source_field='org_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('partner', fields.ForeignKeyField('jinlin.Org', source_field='partner_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('pairs', fields.IntField(default=0)),
                ('own', fields.IntField(default=0)),
            ],
            options={'table': 'org_stat_partner', 'app': 'jinlin', 'unique_together': (('org_id', 'partner_id'),), 'indexes': [Index(fields=['partner_id', 'org_id'])], 'pk_attr': 'id', 'table_description': "A partner unit counted once in an org's stats: `pairs` pairings in the subtree, `own` 1 for the unit itself."},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='Meeting',
            index=Index(fields=['starts_at', 'convener_id']),
        ),
        ops.AddIndex(
            model_name='Resolution',
            index=Index(fields=['owner_id', 'id']),
        ),
        ops.RunPython(create_counters, drop_counters),
    ]
