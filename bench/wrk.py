"""`wrk` as the load generator of `jinlin bench`: one Lua script per run, generated from a LoadSpec. Reads are
wrk's static request (built once); in a mix, every `every`-th request is a mutation built in Lua with its own
Idempotency-Key. `response()` checks every answer (200, and no `errors` in a read, `"errors":[]` in a write) and
`done()` prints one JSON line: requests, duration, socket and status errors, latency percentiles, checks."""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path

from bench.load import LoadResult, LoadSpec, WriteSpec, run_process

MARK = "BENCHJSON "


def available() -> bool:
    """Whether wrk is on PATH."""
    return shutil.which("wrk") is not None


def lua_string(text: str) -> str:
    """A Lua string literal (UTF-8 bytes pass through; quotes, backslashes and controls are escaped)."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 32:
            out.append(f"\\{ord(char):03d}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _lua_table(items: list[str]) -> str:
    return "{" + ",\n".join(lua_string(item) for item in items) + "}"


_CHECKS = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end

function init(args)
  bad, bad_writes, ok_writes, writes, exhausted, first_bad = 0, 0, 0, 0, 0, ""
end

local function note(text)
  if first_bad == "" then first_bad = text:sub(1, 300) end
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    note(status .. " " .. body)
    return
  end
  local head = body:sub(1, 40)
  if head:find('"claimProject"', 1, true) or head:find('"placeOrder"', 1, true) then
    if body:find('"errors":[]', 1, true) then ok_writes = ok_writes + 1 else bad_writes = bad_writes + 1; note(body) end
  elseif body:find('"errors"', 1, true) then
    bad = bad + 1
    note(body)
  end
end

function done(summary, latency, requests)
  local t = {bad = 0, bad_writes = 0, ok_writes = 0, writes = 0, exhausted = 0}
  local first = ""
  for _, thread in ipairs(threads) do
    for key, _ in pairs(t) do t[key] = t[key] + (thread:get(key) or 0) end
    if first == "" then first = thread:get("first_bad") or "" end
  end
  first = (first:gsub('[%c"\\]', ' '))
  local e = summary.errors
  io.write(string.format('BENCHJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"bad":%d,"bad_writes":%d,"ok_writes":%d,"writes":%d,"exhausted":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"first_bad":"%s"}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, t.bad, t.bad_writes,
    t.ok_writes, t.writes, t.exhausted, math.floor(latency:percentile(50)), math.floor(latency:percentile(95)),
    math.floor(latency:percentile(99)), first))
end
"""


def _writes_lua(write: WriteSpec, accept: str) -> str:
    """request(): the static read, or every `every`-th time the next write."""
    if write.kind == "claim":
        target = (f"local TOKENS = {_lua_table(write.tokens)}\nlocal PROJECTS = {_lua_table(write.projects)}\n"
                  f"local CAPACITY = {write.capacity}\n"
                  "local function pair(k)\n"
                  "  local project = PROJECTS[(k % #PROJECTS) + 1]\n"
                  "  return TOKENS[math.floor(k / #PROJECTS) + 1], '{\"id\":\"' .. project .. '\"}'\n"
                  "end\n")
    else:
        variables = json.dumps({"input": write.order_input}, ensure_ascii=False, separators=(",", ":"))
        target = (f"local TOKEN, VARIABLES = {lua_string(write.tokens[0])}, {lua_string(variables)}\n"
                  "local CAPACITY = math.huge\n"
                  "local function pair(k) return TOKEN, VARIABLES end\n")
    head = json.dumps({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": write.sha256}}},
                      separators=(",", ":"))[:-1] + ',"variables":'
    return target + f"""
local EVERY, START, RUN = {write.every}, {write.start}, {lua_string(write.run_id)}
local HEAD, ACCEPT = {lua_string(head)}, {lua_string(accept)}
local sent, read_request = 0, nil

function request()
  if read_request == nil then read_request = wrk.format() end
  sent = sent + 1
  if sent % EVERY ~= 0 then return read_request end
  local k = START + writes
  if k >= CAPACITY then
    exhausted = exhausted + 1
    return read_request
  end
  local token, variables = pair(k)
  local headers = {{["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json",
                   ["Accept"] = ACCEPT, ["Idempotency-Key"] = RUN .. "-" .. writes}}
  writes = writes + 1
  return wrk.format("POST", "/graphql", headers, HEAD .. variables .. "}}")
end
"""


def script(spec: LoadSpec) -> str:
    """The Lua script of one run."""
    read = spec.read
    lines = [f"-- jinlin bench: {spec.label}", f"wrk.method = {lua_string(read.method)}",
             f"wrk.path = {lua_string(read.path)}"]
    lines += [f"wrk.headers[{lua_string(name)}] = {lua_string(value)}" for name, value in read.headers.items()]
    if read.body is not None:
        lines.append(f"wrk.body = {lua_string(read.body)}")
    text = "\n".join(lines) + "\n" + _CHECKS
    if spec.write is not None:
        text += _writes_lua(spec.write, read.headers.get("Accept", "application/json"))
    return text


def parse(output: str, *, label: str) -> LoadResult:
    """The result line `done()` printed."""
    line = next((line for line in output.splitlines() if line.startswith(MARK)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result for {label}: {output[-2000:]}")
    data = json.loads(line[len(MARK):])
    return LoadResult(
        requests=data["requests"], duration_s=data["duration_us"] / 1e6, p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000, p99_ms=data["p99_us"] / 1000,
        socket_errors=data["connect"] + data["read"] + data["write"], status_errors=data["status"],
        timeouts=data["timeout"], bad=data["bad"], bad_writes=data["bad_writes"], writes=data["writes"],
        ok_writes=data["ok_writes"], exhausted=data["exhausted"], first_bad=data["first_bad"])


def run(spec: LoadSpec, *, workdir: Path) -> LoadResult:
    """Run wrk (one thread, the spec's connections) with the spec's script and return what it measured."""
    script_file = Path(tempfile.mkstemp(dir=workdir, prefix="wrk-", suffix=".lua")[1])
    script_file.write_text(script(spec), encoding="utf-8")
    seconds = max(1, math.ceil(spec.duration))
    code, output, cpu = run_process(
        ["wrk", "-t1", f"-c{spec.connections}", f"-d{seconds}s", "--timeout", "30s", "-s", str(script_file),
         f"http://{spec.host}:{spec.port}"], output=script_file.with_suffix(".out"))
    if code != 0:
        raise RuntimeError(f"wrk failed on {spec.label} (exit {code}): {output[-2000:]}")
    result = parse(output, label=spec.label)
    return LoadResult(**{**result.__dict__, "cpu_s": cpu})
