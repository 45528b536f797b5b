--[[
  Include: reads chosen fields of a hash at a cost bounded by how many are asked for, whatever the hash holds.

  wantedSet(fields) turns an array of field names into a set (field -> true), built once per call.
  readFields(key, fields, wanted, visit) calls visit(field, value) for each asked-for field the hash has. A small hash
  (at most twice as many fields as asked for; Redis keeps it as a listpack, where each HMGET lookup is a scan) is read
  whole with HGETALL and filtered; a large one (a hashtable: each lookup O(1)) with HMGET, so fields nobody asks for
  (dimension names past the cap, or written by an older version) cost nothing.
]]
local function wantedSet(fields)
  local wanted = {}
  for i = 1, #fields do
    wanted[fields[i]] = true
  end
  return wanted
end

local function readFields(key, fields, wanted, visit)
  local size = redis.call("HLEN", key)
  if size == 0 then
    return
  end
  if size <= 2 * #fields then
    local flat = redis.call("HGETALL", key)
    for i = 1, #flat, 2 do
      if wanted[flat[i]] then
        visit(flat[i], flat[i + 1])
      end
    end
    return
  end
  local values = redis.call("HMGET", key, unpack(fields))
  for i = 1, #fields do
    if values[i] then
      visit(fields[i], values[i])
    end
  end
end
