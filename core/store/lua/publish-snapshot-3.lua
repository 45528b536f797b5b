--[[
  Publishes a snapshot if the caller still holds the aggregator lease, the epoch is current and, for new figures, they
  reach the published mark. Assigns the next seq, stores the snapshot as the latest and PUBLISHes it, in one atomic
  step: a deposed leader can never publish, seq never goes backwards, and no total below what viewers were shown goes
  out in the same epoch, whichever aggregator folds.

  KEYS[1]  leader key   sc:{<campaign>}:leader   lease owner token (STRING)
  KEYS[2]  meta key     sc:{<campaign>}:meta     HASH: epoch, seq, the mark (includes/published-mark), good, goodSeq,
                                                 rebuilding (set while reconcile --rebuild replays the export)
  KEYS[3]  latest key   sc:{<campaign>}:latest   latest snapshot JSON (STRING)

  ARGV[1]  owner        lease token of the caller
  ARGV[2]  epoch        epoch the snapshot was built for
  ARGV[3]  head         snapshot JSON up to and including `"seq":`
  ARGV[4]  tail         snapshot JSON after the seq value
  ARGV[5]  channel      pub/sub channel for snapshots
  ARGV[6]  atMs         when the fold ran, ms since 1970 (seq is at least this)
  ARGV[7]  kind         "good": new figures, checked against the mark; they become the mark and `good` (the last good
                        snapshot JSON). "degraded": the last good snapshot's figures republished while the counters
                        are below the mark: not checked, the mark and `good` stay.
  ARGV[8..11]           the snapshot's gross (total + refunded), count, refunded, refunds (canonical decimals)

  Returns
  {1, seq}                          published
  {-1}                              the caller does not hold the lease
  {-2, epoch or false}              the epoch in Redis differs (or is gone), with the one Redis has
  {-3, field, mark, good or false}  the figures are below the mark: the field, the mark's value, the last good snapshot
  {-4, good or false}               a rebuild is replaying the export: only degraded snapshots go out until it ends
]]
--- @include "includes/holds-lease"
--- @include "includes/published-mark"

local leaderKey = KEYS[1]
local metaKey = KEYS[2]
local latestKey = KEYS[3]
local owner = ARGV[1]
local epoch = ARGV[2]
local head = ARGV[3]
local tail = ARGV[4]
local channel = ARGV[5]
local atMs = ARGV[6]
local good = ARGV[7] == "good"
local values = { ARGV[8], ARGV[9], ARGV[10], ARGV[11] }

if not holdsLease(leaderKey, owner) then
  return { -1 }
end
local current = redis.call("HGET", metaKey, "epoch")
if current ~= epoch then
  return { -2, current }
end
if good then
  if redis.call("HEXISTS", metaKey, "rebuilding") == 1 then
    return { -4, redis.call("HGET", metaKey, "good") }
  end
  local field, mark = markShortfall(metaKey, values)
  if field then
    return { -3, field, mark, redis.call("HGET", metaKey, "good") }
  end
end
local seq, seqText = nextSeq(metaKey, atMs)
local snapshot = head .. seqText .. tail
if good then
  raiseMark(metaKey, values)
  redis.call("HSET", metaKey, "good", snapshot, "goodSeq", seqText)
end
redis.call("SET", latestKey, snapshot)
redis.call("PUBLISH", channel, snapshot)
return { 1, seq }
