-- wrk, closed loop (no think time): every request is a random line of PAIRS,
-- "TOKEN<TAB>PATH[<TAB>EXPECT]" (bench/http_bench.py prepare writes them: each path is one
-- its token's user may see; EXPECT is for the harness's own checks and ignored here).
-- Env: PAIRS (file); SESSIONS (optional: only the lines of the first SESSIONS distinct
-- tokens, e.g. one per connection for "20 busy clients"). done() prints what
-- bench/http_bench.py parses, like the floor's c_lookup.lua, plus the count of each status.
--   PAIRS=/tmp/crm_http_bench/pairs_exact.txt wrk -t2 -c20 -d30s -s bench/pairs.lua http://127.0.0.1:8791
local toks, paths = {}, {}
local counter, threads = 0, {}
status = {}
sent = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  threads[#threads + 1] = thread
end

function init(args)
  local limit = tonumber(os.getenv("SESSIONS") or "0")
  local seen, n = {}, 0
  for l in io.lines(os.getenv("PAIRS")) do
    local tok, path = l:match("^([^\t]+)\t([^\t]+)")
    if tok then
      if not seen[tok] then n = n + 1; seen[tok] = n end
      if limit == 0 or seen[tok] <= limit then toks[#toks + 1] = tok; paths[#paths + 1] = path end
    end
  end
  assert(#toks > 0, "no TOKEN<TAB>PATH lines in " .. tostring(os.getenv("PAIRS")))
  math.randomseed(os.time() + (tid or 0) * 7919)
end

function request()
  sent = sent + 1
  local i = math.random(#toks)
  return wrk.format("GET", paths[i], { ["Authorization"] = "Bearer " .. toks[i] })
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
