--[[
  Admits channel and category names into the campaign's registry of known names, up to a cap per kind, atomically:
  the registry is the one place that decides which names are counted under their own name and which go to the other
  bucket "(other)", and it lives in the campaign's hash tag, so two writers racing for the last free place cannot
  both take it (Redis Cluster runs this on the campaign's shard).

  KEYS[1]  channel names   sc:{<campaign>}:channels    (SET)
  KEYS[2]  category names  sc:{<campaign>}:categories  (SET)
  ARGV[1]  the cap on channel names
  ARGV[2]  the cap on category names
  ARGV[3..] pairs: kind ("ch" or "cat"), name

  Returns one integer per pair: 1 the name is registered (now or before), 0 refused (the set holds its cap).
]]
local caps = { ch = tonumber(ARGV[1]), cat = tonumber(ARGV[2]) }
local sets = { ch = KEYS[1], cat = KEYS[2] }
if not caps.ch or not caps.cat then
  return redis.error_reply("ERR admit-dimensions: bad caps " .. tostring(ARGV[1]) .. " " .. tostring(ARGV[2]))
end
-- Checked before anything is written: Redis does not roll back a script that fails half-way.
for i = 3, #ARGV, 2 do
  if not sets[ARGV[i]] or ARGV[i + 1] == nil then
    return redis.error_reply("ERR admit-dimensions: bad pair at " .. i .. ": " .. tostring(ARGV[i]))
  end
end
local out = {}
for i = 3, #ARGV - 1, 2 do
  local set = sets[ARGV[i]]
  local name = ARGV[i + 1]
  local admitted = 0
  if redis.call("SISMEMBER", set, name) == 1 then
    admitted = 1
  elseif redis.call("SCARD", set) < caps[ARGV[i]] then
    redis.call("SADD", set, name)
    admitted = 1
  end
  out[#out + 1] = admitted
end
return out
