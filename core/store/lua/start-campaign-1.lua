--[[
  Starts a campaign: writes its first epoch, only if it never had one. Called by `npm run reconcile --
  --start-campaign` (and, with CAMPAIGN_AUTOSTART=1 on a development stack, by an aggregator). A campaign whose meta
  still holds a mark or a good snapshot without an epoch lost part of its state: that is for a rebuild, not a start.

  KEYS[1]  meta key     sc:{<campaign>}:meta
  ARGV[1]  epoch        the new epoch id

  Returns {1, epoch} started; {0, epoch} already started (the epoch it has); {-1} state without an epoch: rebuild.
]]
local metaKey = KEYS[1]
local current = redis.call("HGET", metaKey, "epoch")
if current then
  return { 0, current }
end
if redis.call("HEXISTS", metaKey, "good") == 1 or redis.call("HEXISTS", metaKey, "markCount") == 1 then
  return { -1 }
end
redis.call("HSET", metaKey, "epoch", ARGV[1])
return { 1, ARGV[1] }
