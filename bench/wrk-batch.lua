-- wrk script for bench/ingest.ts: POSTs a 20-event batch per request, each with fresh
-- time-ordered (UUIDv7-shaped) ids, as the SDK sends them. Environment, read by init():
--   BENCH_TOKENS_FILE  one token per line (empty: no Authorization header)
--   BENCH_TOKEN_CHURN  a new token every N requests (0: the first token throughout)
--   BENCH_EVENTS       events per batch
local tokens, churn, events = {}, 0, 20
local sent, counter = 0, 0
local t0 = os.time() * 1000

function init(args)
  local file = os.getenv("BENCH_TOKENS_FILE")
  if file and file ~= "" then
    for line in io.lines(file) do if line ~= "" then tokens[#tokens + 1] = line end end
  end
  churn = tonumber(os.getenv("BENCH_TOKEN_CHURN") or "0") or 0
  events = tonumber(os.getenv("BENCH_EVENTS") or "20") or 20
  math.randomseed(os.time())
end

-- 48 bits of milliseconds, then 12 bits of sequence (version 7), random rest: ids keep their
-- order, as an SDK's do. The clock part advances one millisecond per 1,000 ids from this wrk's
-- start, so it stays behind the real clock: the next round's wrk starts after this round's ids
-- instead of inserting among them.
local function uuidv7()
  counter = counter + 1
  local ms = t0 + math.floor(counter / 1000)
  return string.format("%08x-%04x-7%03x-%04x-%04x%08x",
    math.floor(ms / 65536), ms % 65536, counter % 1000,
    32768 + math.random(0, 16383), math.random(0, 65535), math.random(0, 4294967295))
end

function request()
  local now = "2026-12-02T04:00:00.000Z"
  local parts = {}
  for i = 1, events do
    parts[i] = string.format(
      '{"id":"%s","type":"track","name":"Product viewed","timestamp":"%s","properties":{"sku":"SKU-%d","price":19.99,"currency":"EUR"}}',
      uuidv7(), now, i - 1)
  end
  local body = string.format(
    '{"batchId":"%s","sentAt":"%s","sdk":{"name":"bench","version":"1"},"user":{"id":"user-1"},"events":[%s]}',
    uuidv7(), now, table.concat(parts, ","))
  local headers = { ["Content-Type"] = "application/json" }
  if #tokens > 0 then
    local index = 1
    if churn > 0 then index = (math.floor(sent / churn) % #tokens) + 1 end
    headers["Authorization"] = "Bearer " .. tokens[index]
  end
  sent = sent + 1
  return wrk.format("POST", nil, headers, body)
end
