-- wrk script of scripts/bench-submit: one POST /api/v1/surveys/{token}/response per token.
--   wrk -t T -c C -d D -s submit.lua URL -- TOKENS_FILE BODIES_FILE T DONE_FILE
-- Thread k of T submits the tokens on lines k+1, k+1+T, … of TOKENS_FILE (first column), with
-- the bodies of BODIES_FILE in turn. Once its tokens are used up, a thread sends nothing but an
-- occasional GET /health until every submission it sent has been answered; then it records its
-- counts and its first-send / last-answer times, appends a line to DONE_FILE (the caller stops
-- wrk when every thread has) and stops. So no submission is cut off by the end of the run:
-- the acknowledged count can be compared exactly with what the database stored.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } sipas_timespec;
  int clock_gettime(int clk, sipas_timespec *tp);
]]
local ts = ffi.new("sipas_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local tokens, bodies = {}, {}
local i, answered = 0, 0
sent = 0
local done_file
local finished = false

function init(args)
  local n = tonumber(args[3])
  local line_no = 0
  for line in io.lines(args[1]) do
    if line_no % n == id then
      tokens[#tokens + 1] = line:match("^[^\t]+")
    end
    line_no = line_no + 1
  end
  for line in io.lines(args[2]) do
    bodies[#bodies + 1] = line
  end
  done_file = args[4]
  created, repeated, failed, first_us, last_us = 0, 0, 0, 0, 0
  statuses = ""
  health = wrk.format("GET", "/health", {}, nil)
  wrk.headers["Content-Type"] = "application/json"
end


function delay()
  if i >= #tokens then
    return 200 -- drained: only the occasional /health until the last answers are in
  end
  return 0
end

local verified = false

function request()
  -- wrk calls request() of thread 0 once before the run, to check the request (pipelining):
  -- that call must not use up a token. (Were it ever sent, a /health is harmless.)
  if id == 0 and not verified then
    verified = true
    return health
  end
  if i >= #tokens then
    return health
  end
  i = i + 1
  sent = sent + 1
  if first_us == 0 then
    first_us = now_us()
  end
  local body = bodies[(i - 1) % #bodies + 1]
  return wrk.format("POST", "/api/v1/surveys/" .. tokens[i] .. "/response", nil, body)
end

local seen = {}

function response(status, headers, body)
  if status == 200 and body:find('"status":"ok"', 1, true) then
    -- a /health answer
  else
    answered = answered + 1
    last_us = now_us()
    if status == 201 then
      created = created + 1
    elseif status == 200 then
      repeated = repeated + 1
    else
      failed = failed + 1
      if not seen[status] then
        seen[status] = 0
      end
      seen[status] = seen[status] + 1
    end
  end
  if not finished and i >= #tokens and answered == sent then
    finished = true
    local parts = {}
    for s, c in pairs(seen) do
      parts[#parts + 1] = s .. "=" .. c
    end
    statuses = table.concat(parts, ",")
    local f = io.open(done_file, "a")
    f:write(id .. "\n")
    f:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local c, r, f, first, last, sent_total = 0, 0, 0, math.huge, 0, 0
  local other = {}
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    r = r + t:get("repeated")
    f = f + t:get("failed")
    sent_total = sent_total + t:get("sent")
    local s = t:get("statuses")
    if s ~= "" then
      other[#other + 1] = s
    end
    if t:get("first_us") > 0 and t:get("first_us") < first then
      first = t:get("first_us")
    end
    if t:get("last_us") > last then
      last = t:get("last_us")
    end
  end
  local secs = (last - first) / 1e6
  io.write(string.format(
    "RESULT sent=%d created=%d repeated=%d non_2xx=%d seconds=%.3f rate=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f socket_errors=%d other=%s\n",
    sent_total, c, r, f, secs, (c + r) / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(other, ",")))
end
