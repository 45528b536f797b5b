#!lua flags=no-writes,allow-cross-slot-keys
--[[
  Reads chosen fields of every shard counter hash of a campaign in one call (standalone Redis only: the keys are in
  different slots, which a cluster cannot serve from one script), at a cost bounded by the fields asked for.

  KEYS[1..n]  counters keys  sc:{<campaign>:<shard>}:c  (HASH)
  ARGV[1..]   the fields to read (the totals and the registered dimension names)

  Returns one string per key, in key order: the asked-for fields it has and their values joined by "\n"
  (field names never contain "\n": ingest validates channel and category names). An empty string for a
  missing hash. One bulk string per shard instead of two per field keeps the client's reply parsing cheap:
  that parsing, not Redis, was most of a fold's cost.
]]
--- @include "includes/read-fields"

local fields = ARGV
local wanted = wantedSet(fields)
local out = {}
for i = 1, #KEYS do
  local parts = {}
  readFields(KEYS[i], fields, wanted, function(field, value)
    parts[#parts + 1] = field
    parts[#parts + 1] = value
  end)
  out[i] = table.concat(parts, "\n")
end
return out
