"""Live updates across workers: two server processes sharing PostgreSQL and Redis, a mutation on one, the event at
a subscriber of the other. Runs when JINLIN_TEST_DB_URL (PostgreSQL) and JINLIN_TEST_REDIS_URL are set, as .ci/run
does; the in-process bus is covered by test_subscription.py."""

from __future__ import annotations

import asyncio
import json
import os

import httpx
import pytest
import websockets

from models.project import Project as ProjectRow
from schema.relay import to_global_id as gid
from tests.conftest import SECRET, TEST_DB_URL, Api
from tests.live_server import processes

REDIS_URL = os.environ.get("JINLIN_TEST_REDIS_URL")
BRANCH_ADMIN, MEMBER, RESIDENT = "13800000003", "13800000004", "13800000006"

pytestmark = pytest.mark.skipif(
    not (REDIS_URL and TEST_DB_URL and TEST_DB_URL.startswith("postgres")),
    reason="needs PostgreSQL (JINLIN_TEST_DB_URL) and Redis (JINLIN_TEST_REDIS_URL) shared by two processes")

CLAIM_UPDATED = "subscription($id: ID!) { claimUpdated(projectId: $id) { id status project { title } } }"
NOTIFICATION_ADDED = "subscription { notificationAdded { kind } }"
CLAIM = "mutation($input: ClaimProjectInput!) { claimProject(input: $input) { claim { id } errors { code } } }"


async def connect(host: str, token: str) -> websockets.ClientConnection:
    """A graphql-transport-ws socket, acknowledged."""
    ws = await websockets.connect(f"ws://{host}/graphql", subprotocols=["graphql-transport-ws"])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "connection_ack"}
    return ws


async def next_data(ws: websockets.ClientConnection) -> dict:
    """The next `next` message's payload (skipping keep-alive pings)."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if message["type"] != "ping":
            return message


async def test_event_crosses_processes(demo: Api) -> None:
    """Subscribers on worker B hear a claim made on worker A: the publisher's admin gets the claim and a
    notification, a resident subscribed to their own notifications gets nothing."""
    project = await ProjectRow.filter(status="OPEN").exclude(title="独居老人助餐探访").order_by("id").first()
    env = {"JINLIN_DB_URL": TEST_DB_URL or "", "JINLIN_REDIS_URL": REDIS_URL or "", "JINLIN_SECRET_KEY": SECRET}
    with processes(2, env) as (worker_a, worker_b):
        admin = await connect(worker_b, demo.token(BRANCH_ADMIN))
        resident = await connect(worker_b, demo.token(RESIDENT))
        try:
            await admin.send(json.dumps({"id": "claims", "type": "subscribe", "payload": {
                "query": CLAIM_UPDATED, "variables": {"id": gid("Project", project.id)}}}))
            await admin.send(json.dumps({"id": "inbox", "type": "subscribe",
                                         "payload": {"query": NOTIFICATION_ADDED}}))
            await resident.send(json.dumps({"id": "inbox", "type": "subscribe",
                                            "payload": {"query": NOTIFICATION_ADDED}}))
            await asyncio.sleep(0.3)  # the subscribe messages are processed (no ack exists for them)

            async with httpx.AsyncClient(base_url=f"http://{worker_a}") as http:
                response = await http.post("/graphql", headers={"Authorization": f"Bearer {demo.token(MEMBER)}"},
                                           json={"query": CLAIM, "variables": {
                                               "input": {"projectId": gid("Project", project.id)}}})
            claim = response.json()["data"]["claimProject"]
            assert claim["errors"] == []

            received = {}
            for _ in range(2):
                message = await next_data(admin)
                received[message["id"]] = message
            assert received == {
                "claims": {"id": "claims", "type": "next", "payload": {"data": {"claimUpdated": {
                    "id": claim["claim"]["id"], "status": "ACTIVE", "project": {"title": project.title}}}}},
                "inbox": {"id": "inbox", "type": "next", "payload": {"data": {"notificationAdded": {
                    "kind": "CLAIM_CREATED"}}}},
            }
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(next_data(resident), 0.5)
        finally:
            await admin.close()
            await resident.close()
