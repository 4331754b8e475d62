-- wrk, closed loop: POST /api/v1/customers, a new personal customer per request, with a
-- fresh valid resident ID (GB 11643-1999: area, birth date, sequence whose parity is the
-- gender, ISO 7064 MOD 11-2 check character) and an Idempotency-Key, as the desktop client
-- sends. Env: CREATORS (file, "TOKEN<TAB>ORG_ID" a line: a teller or account manager and
-- the sub-branch it may create in). Area codes 440101-440199 are never in the peer's
-- generator, so a created ID cannot collide with a loaded one (bench/http_bench.py deletes
-- them afterwards: id_number LIKE '4401%').
local toks, orgs = {}, {}
local counter, threads = 0, {}
local W = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 }
local CHECK = "10X98765432"
local SURNAMES = { "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡" }
local GIVEN = { "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
                "明", "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "萍", "红", "建", "文", "辉" }
status = {}
sent = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  threads[#threads + 1] = thread
end

function init(args)
  for l in io.lines(os.getenv("CREATORS")) do
    local tok, org = l:match("^([^\t]+)\t(%d+)")
    if tok then toks[#toks + 1] = tok; orgs[#orgs + 1] = org end
  end
  assert(#toks > 0, "no TOKEN<TAB>ORG_ID lines in " .. tostring(os.getenv("CREATORS")))
  math.randomseed(os.time() + (tid or 0) * 7919)
end

local function resident_id()
  local y, m, d = math.random(1950, 2004), math.random(1, 12), math.random(1, 28)
  local seq = math.random(1, 999)
  local first17 = string.format("4401%02d%04d%02d%02d%03d", math.random(1, 99), y, m, d, seq)
  local sum = 0
  for i = 1, 17 do sum = sum + tonumber(first17:sub(i, i)) * W[i] end
  local c = sum % 11 + 1
  return first17 .. CHECK:sub(c, c), (seq % 2 == 1) and "male" or "female",
    string.format("%04d-%02d-%02d", y, m, d)
end

local function hex(n)
  local t = {}
  for i = 1, n do t[i] = string.format("%x", math.random(0, 15)) end
  return table.concat(t)
end

function request()
  sent = sent + 1
  local i = math.random(#toks)
  local id, gender, born = resident_id()
  local name = SURNAMES[math.random(#SURNAMES)] .. GIVEN[math.random(#GIVEN)] .. GIVEN[math.random(#GIVEN)]
  local body = string.format(
    '{"name":"%s","gender":"%s","birth_date":"%s","id_number":"%s","phone":"199%08d","org_id":%s}',
    name, gender, born, id, math.random(0, 99999999), orgs[i])
  return wrk.format("POST", "/api/v1/customers", {
    ["Authorization"] = "Bearer " .. toks[i],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = hex(32),
  }, body)
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
