--[[
  Include: the orderings the publish, restore and start scripts share.
  compareBytes(a, b)     -1, 0 or 1, byte by byte (Lua's own < on strings follows the server's locale: not used).
                         Epoch ids are ordered this way (core/snapshot.ts compareEpochs does the same).
  compareDecimals(a, b)  -1, 0 or 1 for integers in canonical decimal ("-12", "0", "743000000000"), of any length,
                         so sums past 2^53 compare exactly.
]]
local function compareBytes(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      return x < y and -1 or 1
    end
  end
  if #a == #b then
    return 0
  end
  return #a < #b and -1 or 1
end

local function compareDecimals(a, b)
  local negativeA, negativeB = string.byte(a, 1) == 45, string.byte(b, 1) == 45 -- 45 is "-"
  if negativeA ~= negativeB then
    return negativeA and -1 or 1
  end
  local order
  if #a ~= #b then
    order = #a < #b and -1 or 1
  else
    order = compareBytes(a, b)
  end
  return negativeA and -order or order
end
