--[[
  Gives Redis back what viewers were shown, from a snapshot a broadcaster or an aggregator still holds after Redis
  lost it (a failover to a replica that lagged, a restart without persistence, a restored backup). Anyone may call it:
  it only ever raises the mark, seq and the last good snapshot, and never touches a later epoch.

  KEYS[1]  meta key     sc:{<campaign>}:meta     (see publish-snapshot-3.lua)
  KEYS[2]  latest key   sc:{<campaign>}:latest
  ARGV[1]  epoch        the held snapshot's epoch
  ARGV[2]  seq          its seq
  ARGV[3]  json         the snapshot, as published (not degraded)
  ARGV[4..7]            its gross (total + refunded), count, refunded, refunds (canonical decimals)

  Returns
   1  restored: Redis had no epoch, or an earlier one (a backup from before a rebuild): the held epoch, mark, seq
      and snapshot are Redis's again
   2  raised: same epoch, and Redis knew less (a lower mark or seq)
   0  unchanged: Redis already knows at least as much
  -1  Redis holds a later epoch: the held snapshot is from before a rebuild; nothing changes
]]
--- @include "includes/published-mark"

local metaKey = KEYS[1]
local latestKey = KEYS[2]
local epoch = ARGV[1]
local seq = ARGV[2]
local json = ARGV[3]
local values = { ARGV[4], ARGV[5], ARGV[6], ARGV[7] }

local storedSeq = redis.call("HGET", metaKey, "seq") or "0"
local latestIsOlder = compareDecimals(storedSeq, seq) < 0
local current = redis.call("HGET", metaKey, "epoch")
if current and current ~= epoch and compareBytes(current, epoch) > 0 then
  return -1
end

if not current or current ~= epoch then
  redis.call("HDEL", metaKey, "rebuilding", markFields[1], markFields[2], markFields[3], markFields[4])
  redis.call("HSET", metaKey, "epoch", epoch, "good", json, "goodSeq", seq)
  raiseMark(metaKey, values)
  if latestIsOlder then
    redis.call("HSET", metaKey, "seq", seq)
  end
  -- An earlier epoch's latest, or none: the held snapshot is what viewers saw last.
  if current or latestIsOlder or redis.call("EXISTS", latestKey) == 0 then
    redis.call("SET", latestKey, json)
  end
  return 1
end

local changed = raiseMark(metaKey, values)
if compareDecimals(redis.call("HGET", metaKey, "goodSeq") or "0", seq) < 0 then
  redis.call("HSET", metaKey, "good", json, "goodSeq", seq)
  changed = true
end
if latestIsOlder then
  redis.call("HSET", metaKey, "seq", seq)
  changed = true
end
if latestIsOlder or redis.call("EXISTS", latestKey) == 0 then
  redis.call("SET", latestKey, json)
  changed = true
end
return changed and 2 or 0
