--[[
  Include: the published mark and seq in the campaign's meta hash.

  The mark is the highest figures published in the current epoch: markGross (payments, i.e. total + refunded),
  markCount, markRefunded, markRefunds, as canonical decimal strings. Each only ever grows while nothing is lost, so a
  fold below any of them read counters that lost writes viewers were already shown.
  values is the list {gross, count, refunded, refunds} in that order.

  markShortfall(metaKey, values)  nil when values reach the mark, else the field below it and the mark's value
  raiseMark(metaKey, values)      sets each field to the larger of the two; true when one rose
  nextSeq(metaKey, atMs)          stores and returns the next seq: above the stored one, and at least Redis's TIME and
                                  the caller's clock in ms, so a seq rolled back with Redis is never handed out again
]]
--- @include "includes/ordering"

local markFields = { "markGross", "markCount", "markRefunded", "markRefunds" }

local function markShortfall(metaKey, values)
  local mark = redis.call("HMGET", metaKey, markFields[1], markFields[2], markFields[3], markFields[4])
  for i = 1, 4 do
    if mark[i] and compareDecimals(values[i], mark[i]) < 0 then
      return markFields[i], mark[i]
    end
  end
  return nil
end

local function raiseMark(metaKey, values)
  local mark = redis.call("HMGET", metaKey, markFields[1], markFields[2], markFields[3], markFields[4])
  local raised = false
  for i = 1, 4 do
    if not mark[i] or compareDecimals(values[i], mark[i]) > 0 then
      redis.call("HSET", metaKey, markFields[i], values[i])
      raised = true
    end
  end
  return raised
end

local function nextSeq(metaKey, atMs)
  local stored = tonumber(redis.call("HGET", metaKey, "seq") or "0") or 0
  local now = redis.call("TIME")
  local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  local seq = math.max(stored + 1, nowMs, tonumber(atMs) or 0)
  local text = string.format("%.0f", seq)
  redis.call("HSET", metaKey, "seq", text)
  return seq, text
end
