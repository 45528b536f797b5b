#!lua flags=no-writes,allow-cross-slot-keys
--[[
  Reads every shard counter hash of a campaign in one call (standalone Redis only: the keys are in
  different slots, which a cluster cannot serve from one script).

  KEYS[1..n]  counters keys  sc:{<campaign>:<shard>}:c  (HASH)
  No ARGV.

  Returns one string per key, in key order: the hash's fields and values joined by "\n"
  (field names never contain "\n": ingest validates channel and category names). An empty string for a
  missing hash. One bulk string per shard instead of two per field keeps the client's reply parsing cheap:
  that parsing, not Redis, was most of a fold's cost.
]]
local out = {}
for i = 1, #KEYS do
  out[i] = table.concat(redis.call("HGETALL", KEYS[i]), "\n")
end
return out
