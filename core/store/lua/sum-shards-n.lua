#!lua flags=no-writes,allow-cross-slot-keys
--[[
  Sums chosen fields of shard counter hashes inside Redis, so a fold's reply is one short string whatever the shard
  count, and its cost is bounded by the fields asked for (the totals and the registered dimension names), not by how
  many fields the hashes hold.

  KEYS[1..k]      counters keys  sc:{<campaign>:<shard>}:c  (HASH)
  ARGV[1]         m, how many more counters keys follow
  ARGV[2..m+1]    more counters keys, read the same way
  ARGV[m+2..]     the fields to sum
  Standalone Redis: every key in KEYS. Redis Cluster: the keys one node serves, the first in KEYS (it routes
  the call to that node) and the rest in ARGV; allow-cross-slot-keys lets the script read their other slots.
  A key the node does not serve (a slot moved) makes the call fail, and the caller reads shard by shard.

  Returns the summed fields joined by "\n" ("field\nvalue\n..."), "" when no asked-for field exists, or nil when the
  sum cannot be done exactly here: a value that is not an integer of at most 15 digits, or a sum reaching 2^53
  (Lua numbers are doubles). The caller then reads every shard and sums with BigInt, which also reports a
  corrupt counter by key and field.
]]
--- @include "includes/read-fields"

local limit = 9007199254740991 -- 2^53 - 1: every integer up to here is exact in a double
local more = tonumber(ARGV[1])
if not more or more < 0 or more + 1 > #ARGV then
  return redis.error_reply("ERR sum-shards: bad key count " .. tostring(ARGV[1]))
end
local fields = {}
for i = more + 2, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
local wanted = wantedSet(fields)
local sums = {}
local order = {}
local exact = true

local function add(field, raw)
  if not exact then
    return
  end
  if #raw > 16 or not string.find(raw, "^%-?%d+$") or (#raw == 16 and string.byte(raw, 1) ~= 45) then
    exact = false -- not an integer, or more than 15 digits (45 is "-")
    return
  end
  local previous = sums[field]
  if previous == nil then
    previous = 0
    order[#order + 1] = field
  end
  local sum = previous + tonumber(raw)
  if sum > limit or sum < -limit then
    exact = false
    return
  end
  sums[field] = sum
end

for i = 1, #KEYS do
  readFields(KEYS[i], fields, wanted, add)
end
for i = 2, more + 1 do
  readFields(ARGV[i], fields, wanted, add)
end
if not exact then
  return false
end

local out = {}
for i, field in ipairs(order) do
  out[2 * i - 1] = field
  out[2 * i] = string.format("%.0f", sums[field])
end
return table.concat(out, "\n")
