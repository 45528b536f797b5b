--[[
  The rebuild fence of one shard: while the field "fence" of its counters hash holds a rebuild's token, the
  counting scripts refuse every call that does not carry that token (see fenceRefusal in includes/count-group.lua),
  so nothing is counted into a shard while reconcile --rebuild clears and replays it.

  KEYS[1]  counters key  sc:{<campaign>:<shard>}:c  (HASH)
  ARGV[1]  mode          "fence": set the fence to the token (a newer rebuild takes over a dead one's fence)
                         "reset": delete the shard's counters and keep the fence, in one step, only if the token
                                  holds the fence (nothing can be counted between the delete and the fence)
                         "lift":  remove the fence, only if the token holds it
  ARGV[2]  token         the rebuild's token

  Returns 1 when done, 0 when the token does not hold the fence (another rebuild took over).
]]
local counters = KEYS[1]
local mode = ARGV[1]
local token = ARGV[2]

if mode == "fence" then
  redis.call("HSET", counters, "fence", token)
  return 1
end
if redis.call("HGET", counters, "fence") ~= token then
  return 0
end
if mode == "reset" then
  redis.call("UNLINK", counters)
  redis.call("HSET", counters, "fence", token)
  return 1
end
if mode == "lift" then
  redis.call("HDEL", counters, "fence")
  return 1
end
return redis.error_reply("ERR rebuild-fence: unknown mode " .. tostring(mode))
