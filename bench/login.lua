-- wrk, closed loop: a morning's login rush. Every request logs a random member of staff
-- in (POST /api/v1/auth/login), USERS: one "USERNAME<TAB>PASSWORD" a line (bench/http_bench.py
-- throughput --kind login writes it). done() prints what bench/http_bench.py parses.
--   USERS=/tmp/crm_http_bench/users.txt wrk -t2 -c20 -d30s -s bench/login.lua http://127.0.0.1:8791
local users, pws = {}, {}
local counter, threads = 0, {}
status = {}
sent = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  threads[#threads + 1] = thread
end

function init(args)
  for l in io.lines(os.getenv("USERS")) do
    local u, p = l:match("^([^\t]+)\t([^\t]+)")
    if u then users[#users + 1] = u; pws[#pws + 1] = p end
  end
  assert(#users > 0, "no USERNAME<TAB>PASSWORD lines in " .. tostring(os.getenv("USERS")))
  math.randomseed(os.time() + (tid or 0) * 7919)
end

function request()
  sent = sent + 1
  local i = math.random(#users)
  local body = string.format('{"username":"%s","password":"%s"}', users[i], pws[i])
  return wrk.format("POST", "/api/v1/auth/login", { ["Content-Type"] = "application/json" }, body)
end

function response(s, headers, body)
  status[s] = (status[s] or 0) + 1
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "requests %d  non2xx %d  connect_err %d  read_err %d  write_err %d  timeouts %d\n",
    summary.requests, e.status, e.connect, e.read, e.write, e.timeout))
  local all, nsent = {}, 0
  for _, t in ipairs(threads) do
    for s, n in pairs(t:get("status") or {}) do all[s] = (all[s] or 0) + n end
    nsent = nsent + (t:get("sent") or 0)
  end
  io.write(string.format("sent %d (requests asked for; the ones without an answer were still waiting)\n", nsent))
  local keys = {}
  for s in pairs(all) do keys[#keys + 1] = s end
  table.sort(keys)
  local parts = {}
  for _, s in ipairs(keys) do parts[#parts + 1] = string.format("%d=%d", s, all[s]) end
  io.write("status " .. table.concat(parts, " ") .. "\n")
  for _, p in ipairs({ 50, 90, 95, 99 }) do
    io.write(string.format("p%d %.2f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("max %.1f ms  rps %.1f\n", latency.max / 1000,
    summary.requests / (summary.duration / 1e6)))
end
