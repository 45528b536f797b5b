#!lua flags=no-writes,allow-cross-slot-keys
--[[
  Sums shard counter hashes inside Redis, so a fold's reply is one short string whatever the shard count.

  KEYS[1..k]  counters keys  sc:{<campaign>:<shard>}:c  (HASH)
  ARGV[1..m]  more counters keys, read the same way
  Standalone Redis: every key in KEYS. Redis Cluster: the keys one node serves, the first in KEYS (it routes
  the call to that node) and the rest in ARGV; allow-cross-slot-keys lets the script read their other slots.
  A key the node does not serve (a slot moved) makes the call fail, and the caller reads shard by shard.

  Returns the summed fields joined by "\n" ("field\nvalue\n..."), "" when no hash exists, or nil when the sum
  cannot be done exactly here: a value that is not an integer of at most 15 digits, or a sum reaching 2^53
  (Lua numbers are doubles). The caller then reads every shard and sums with BigInt, which also reports a
  corrupt counter by key and field. Every field is summed: the caller keeps the ones it knows.
]]
local limit = 9007199254740991 -- 2^53 - 1: every integer up to here is exact in a double
local sums = {}
local order = {}

local function add(key)
  local flat = redis.call("HGETALL", key)
  for i = 1, #flat, 2 do
    local field = flat[i]
    local raw = flat[i + 1]
    if #raw > 16 or not string.find(raw, "^%-?%d+$") or (#raw == 16 and string.byte(raw, 1) ~= 45) then
      return false -- not an integer, or more than 15 digits (45 is "-")
    end
    local previous = sums[field]
    if previous == nil then
      previous = 0
      order[#order + 1] = field
    end
    local sum = previous + tonumber(raw)
    if sum > limit or sum < -limit then
      return false
    end
    sums[field] = sum
  end
  return true
end

for i = 1, #KEYS do
  if not add(KEYS[i]) then
    return false
  end
end
for i = 1, #ARGV do
  if not add(ARGV[i]) then
    return false
  end
end

local out = {}
for i, field in ipairs(order) do
  out[2 * i - 1] = field
  out[2 * i] = string.format("%.0f", sums[field])
end
return table.concat(out, "\n")
