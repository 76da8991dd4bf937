-- wrk: POST /api/auth/login as bench0000001, bench0000002, ... in turn, every request with
-- the same pre-login cookie and its CSRF token (the anonymous token stays valid: no time limit).
-- Arguments (after --): cookie header, CSRF token, number of users, password.
-- done() prints "non-2xx: N" and, if N > 0, which statuses came.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  cookie, token, users, password = args[1], args[2], tonumber(args[3]), args[4]
  -- Threads start at different users; each steps through all of them.
  counter = id * 7919
  bad = 0
  statuses = ""
end

function request()
  counter = counter + 1
  local name = string.format("bench%07d", counter % users + 1)
  local body = string.format('{"login": "%s", "password": "%s"}', name, password)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["Cookie"] = cookie,
    ["X-CSRFToken"] = token,
  }
  return wrk.format("POST", "/api/auth/login", headers, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    local seen = " " .. status .. ","
    if not string.find(statuses, seen, 1, true) then
      statuses = statuses .. seen
    end
  end
end

function done(summary, latency, requests)
  local total, seen = 0, ""
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
    seen = seen .. thread:get("statuses")
  end
  io.write(string.format("non-2xx: %d%s\n", total, total > 0 and (" (statuses:" .. seen .. ")") or ""))
end
