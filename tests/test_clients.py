"""A third-party client against a real server: the Python `gql` library logs in over HTTP, lists the projects it may
claim, subscribes over graphql-transport-ws and hears its own claim."""

from __future__ import annotations

import asyncio

from gql import Client, GraphQLRequest, gql
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

from jinlin.seed import DEMO_PASSWORD
from tests.conftest import Api
from tests.live_server import serving

MEMBER = "13800000004"

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken user { displayName } errors { code } }
}"""

CLAIMABLE = """
query Claimable {
  projects(filter: {claimable: true}, first: 20) { totalCount nodes { id title remaining } }
}"""

CLAIM = """
mutation Claim($input: ClaimProjectInput!) {
  claimProject(input: $input) { claim { id status } project { remaining } errors { code } }
}"""

CLAIM_UPDATED = """
subscription ClaimUpdated($projectId: ID!) {
  claimUpdated(projectId: $projectId) { id status claimant { ... on User { displayName } } project { title } }
}"""


def request(document: str, **variables: object) -> GraphQLRequest:
    """A gql request with its variables (gql 4's way)."""
    req = gql(document)
    req.variable_values = variables
    return req


async def test_gql_over_http_and_websockets(demo: Api) -> None:
    """The whole phone flow through gql's own transports; the HTTP client also checks every document against the
    schema it introspects from the server."""
    app = demo.http._transport.app  # type: ignore[attr-defined]
    async with serving(app) as host:
        async with Client(transport=HTTPXAsyncTransport(url=f"http://{host}/graphql"),
                          fetch_schema_from_transport=True) as anonymous:
            login = await anonymous.execute(request(LOGIN, input={"phone": MEMBER, "password": DEMO_PASSWORD}))
        assert login["login"]["errors"] == [] and login["login"]["user"] == {"displayName": "陈党员"}
        bearer = f"Bearer {login['login']['accessToken']}"

        http = HTTPXAsyncTransport(url=f"http://{host}/graphql", headers={"Authorization": bearer})
        ws = WebsocketsTransport(url=f"ws://{host}/graphql", init_payload={"Authorization": bearer},
                                 subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL])
        async with Client(transport=http, fetch_schema_from_transport=True) as session, \
                Client(transport=ws) as live:
            projects = (await session.execute(request(CLAIMABLE)))["projects"]
            assert projects["totalCount"] >= 1
            project = projects["nodes"][0]

            received: asyncio.Queue[dict] = asyncio.Queue()

            async def listen() -> None:
                async for result in live.subscribe(request(CLAIM_UPDATED, projectId=project["id"])):
                    await received.put(result)

            listener = asyncio.create_task(listen())
            view = next(route.endpoint for route in app.routes if getattr(route, "path", "") == "/graphql")
            for _ in range(200):  # until the server holds the subscription (no event may be published before)
                if view.bus.subscriber_count():
                    break
                await asyncio.sleep(0.01)
            assert view.bus.subscriber_count() == 1

            claimed = await session.execute(request(CLAIM, input={"projectId": project["id"]}))
            assert claimed["claimProject"]["errors"] == []
            assert claimed["claimProject"]["project"] == {"remaining": project["remaining"] - 1}
            event = await asyncio.wait_for(received.get(), timeout=5)
            assert event == {"claimUpdated": {"id": claimed["claimProject"]["claim"]["id"], "status": "ACTIVE",
                                              "claimant": {"displayName": "陈党员"},
                                              "project": {"title": project["title"]}}}
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
