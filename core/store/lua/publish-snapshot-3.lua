--[[
  Publishes a snapshot if the caller still holds the aggregator lease and the epoch is current.
  Assigns the next seq, stores the snapshot as the latest and PUBLISHes it, atomically, so seq
  never goes backwards and a deposed leader can never publish.

  KEYS[1]  leader key   sc:{<campaign>}:leader   lease owner token (STRING)
  KEYS[2]  meta key     sc:{<campaign>}:meta     HASH with epoch and seq
  KEYS[3]  latest key   sc:{<campaign>}:latest   latest snapshot JSON (STRING)

  ARGV[1]  owner        lease token of the caller
  ARGV[2]  epoch        epoch the snapshot was built for
  ARGV[3]  head         snapshot JSON up to and including `"seq":`
  ARGV[4]  tail         snapshot JSON after the seq value
  ARGV[5]  channel      pub/sub channel for snapshots

  Returns the new seq (>= 1), or
  -1  the caller does not hold the lease
  -2  the epoch in Redis differs (or is gone: counter state was lost)
]]
--- @include "includes/holds-lease"

local leaderKey = KEYS[1]
local metaKey = KEYS[2]
local latestKey = KEYS[3]
local owner = ARGV[1]
local epoch = ARGV[2]
local head = ARGV[3]
local tail = ARGV[4]
local channel = ARGV[5]

if not holdsLease(leaderKey, owner) then
  return -1
end
if redis.call("HGET", metaKey, "epoch") ~= epoch then
  return -2
end
local seq = redis.call("HINCRBY", metaKey, "seq", 1)
local snapshot = head .. seq .. tail
redis.call("SET", latestKey, snapshot)
redis.call("PUBLISH", channel, snapshot)
return seq
