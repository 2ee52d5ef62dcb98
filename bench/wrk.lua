-- wrk script of the benchmark kit: POSTs one GraphQL request (BENCH_BODY_FILE) and checks every
-- answer against the reference (BENCH_EXPECT_FILE), so that a fast wrong answer counts as an
-- error. With BENCH_WRITES_FILE it runs W1 instead: 90% reads (the bodies listed in
-- BENCH_READS_FILE, one per line, round robin) and 10% updateOrganization by organization
-- tokens, each thread writing to its own organizations and tracking their versions; with
-- BENCH_WRITE_EVERY=0 the same reads alone (R1).
-- done() prints one JSON line that bench/run reads.

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function lines(path)
  local out = {}
  for line in io.lines(path) do
    if line ~= "" then out[#out + 1] = line end
  end
  return out
end

-- With BENCH_DELAY_MS each connection waits that long after each answer before it asks again
-- (bench/run --rate: a steady load below saturation, for latencies rather than throughput).
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if pause then
  function delay()
    return pause
  end
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

-- An answer without its `extensions` (the cost report differs from request to request).
function answer_data(body)
  local cut = body:find(',"extensions":', 1, true)
  if cut then return body:sub(1, cut - 1) end
  return body:sub(1, -2)
end

function init(args)
  wrk.method = os.getenv("BENCH_METHOD") or "POST"
  wrk.headers["Content-Type"] = "application/json"
  mismatches = 0
  writes_ok = 0
  writes_failed = 0
  -- Refused as stale (CONFLICT): two connections of a thread wrote one organization at once
  -- with the same version (on SMALL, whose 20 organizations the writers share). Correct
  -- answers of optimistic locking, counted apart from failures.
  writes_conflicted = 0
  local token = os.getenv("BENCH_TOKEN")
  if token and token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
  local writes = os.getenv("BENCH_WRITES_FILE")
  if writes and writes ~= "" then
    mixed = true
    reads = lines(os.getenv("BENCH_READS_FILE"))
    -- Each line: slug <TAB> global id <TAB> token <TAB> current version. Thread i takes every n-th organization.
    orgs = {}
    local n = tonumber(os.getenv("BENCH_THREADS") or "2")
    for i, line in ipairs(lines(writes)) do
      if (i - 1) % n == index then
        local slug, id, token, version = line:match("^(%S+)\t(%S+)\t(%S+)\t(%d+)$")
        orgs[#orgs + 1] = { slug = slug, id = id, token = token, version = tonumber(version) }
      end
    end
    by_slug = {}
    for _, org in ipairs(orgs) do by_slug[org.slug] = org end
    step = 0
    next_org = 0
    mutation = slurp(os.getenv("BENCH_MUTATION_FILE"))
    -- Every n-th request writes (BENCH_WRITE_EVERY, 10 by default); 0: the reads alone (R1).
    every = tonumber(os.getenv("BENCH_WRITE_EVERY") or "10")
    -- The reads, each formatted once: the load generator shares the machine with the server,
    -- so its own work per request must be what it is in the read-only runs.
    formatted = {}
    for i, body in ipairs(reads) do formatted[i] = wrk.format("POST", nil, nil, body) end
  else
    wrk.body = slurp(os.getenv("BENCH_BODY_FILE"))
    local expect = os.getenv("BENCH_EXPECT_FILE")
    if expect and expect ~= "" then expected = slurp(expect) end
    -- For servers whose key order varies (before the fix): compare lengths only.
    by_length = os.getenv("BENCH_COMPARE") == "length"
  end
end

local function json_string(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('\n', '\\n') .. '"'
end

function request()
  if not mixed then
    return wrk.request()
  end
  step = step + 1
  if every > 0 and step % every == 0 and #orgs > 0 then
    next_org = next_org % #orgs + 1
    local org = orgs[next_org]
    local body = '{"query":' .. json_string(mutation) .. ',"variables":{"input":{"id":"'
      .. org.id .. '","version":' .. org.version .. ',"description":"Bijgewerkt in stap '
      .. step .. '."}}}'
    -- wrk.format takes these headers instead of wrk.headers: name them all.
    local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. org.token }
    return wrk.format("POST", nil, headers, body)
  end
  return formatted[step % #formatted + 1]
end

function response(status, headers, body)
  if mixed then
    -- A write's answer starts with its field (`data` first); a read's is only searched for
    -- errors, as cheaply as a read-only run compares its answer.
    local write = body:find('"updateOrganization"', 1, true)
    local slug, version
    if write and write < 24 then
      slug, version = body:match('"updateOrganization":{"organization":{"slug":"([^"]+)","version":(%d+)}')
    end
    if slug then
      by_slug[slug].version = tonumber(version)
      writes_ok = writes_ok + 1
    elseif body:find('"code":"CONFLICT"', 1, true) then
      writes_conflicted = writes_conflicted + 1
    elseif write then
      writes_failed = writes_failed + 1
    elseif status ~= 200 or body:find('"errors"', 1, true) then
      mismatches = mismatches + 1
    end
  elseif expected and by_length and #answer_data(body) ~= #expected then
    mismatches = mismatches + 1
  elseif expected and not by_length and answer_data(body) ~= expected then
    mismatches = mismatches + 1
  end
end

function done(summary, latency, requests)
  local m, ok, failed, conflicted = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    m = m + (t:get("mismatches") or 0)
    ok = ok + (t:get("writes_ok") or 0)
    failed = failed + (t:get("writes_failed") or 0)
    conflicted = conflicted + (t:get("writes_conflicted") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
      .. '"max_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,'
      .. '"mismatches":%d,"writes_ok":%d,"writes_failed":%d,"writes_conflicted":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, e.connect, e.read, e.write,
    e.status, e.timeout, m, ok, failed, conflicted))
end
