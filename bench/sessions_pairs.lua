-- wrk: staff sessions with think time, over pairs "TOKEN<TAB>PATH[<TAB>EXPECT]" (PAIRS,
-- grouped by token: a token's lines are the paths its user may see, in the realistic mix).
-- Env: PAIRS (file), SESSIONS (how many tokens to use, default: all; pass the connection
-- count), THREADS (wrk's -t, to split the sessions between threads), THINK_MS (mean think
-- time, default 10000; each pause uniform in [0.5, 1.5] x THINK_MS, as floor/sessions.lua).
--
-- What wrk can and cannot do: wrk 4 calls request() and delay() per thread, without
-- telling the script which connection asks (src/wrk.c: script_request(thread->L, ...)), so
-- no script can pin a token to a connection. This one does the next best thing: each
-- thread owns as many sessions as it has connections and hands them out in turn, so every
-- session sends one request per think time (never a burst of one token), each with a path
-- of that token's own lines; the TCP connection that carries a session's request changes.
-- For one token pinned to one connection for its whole life, use the harness's
-- `--client python` (bench/http_bench.py sessions).
local toks, own = {}, {}
local queue, head = {}, 1
local think = tonumber(os.getenv("THINK_MS") or "10000")
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
  local nthreads = tonumber(os.getenv("THREADS") or "1")
  local me = (tid or 1) - 1
  local index = {}
  local n = 0
  for l in io.lines(os.getenv("PAIRS")) do
    local tok, path = l:match("^([^\t]+)\t([^\t]+)")
    if tok then
      local i = index[tok]
      if i == nil then
        n = n + 1
        index[tok] = n
        i = n
      end
      if (limit == 0 or i <= limit) and (i - 1) % nthreads == me then
        if own[tok] == nil then
          own[tok] = {}
          toks[#toks + 1] = tok
        end
        local t = own[tok]
        t[#t + 1] = path
      end
    end
  end
  assert(#toks > 0, "no sessions for this thread in " .. tostring(os.getenv("PAIRS")))
  math.randomseed(os.time() + (tid or 0) * 7919)
  for i = #toks, 2, -1 do  -- a shuffled turn order
    local j = math.random(i)
    toks[i], toks[j] = toks[j], toks[i]
  end
  for i, t in ipairs(toks) do queue[i] = t end
end

function request()
  sent = sent + 1
  local tok = queue[head]
  head = head % #queue + 1
  local ps = own[tok]
  return wrk.format("GET", ps[math.random(#ps)], { ["Authorization"] = "Bearer " .. tok })
end

function delay()
  return math.floor(think * (0.5 + math.random()))
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
