--[[
  Include: the counting body shared by count-payments-n.lua (a batch) and count-payment-2.lua (one event).

  countGroup(counters, ttl, events) counts the events of one shard counters hash exactly once:
    counters  the shard counters key  sc:{<campaign>:<shard>}:c  (HASH)
    ttl       dedupe TTL in seconds (decimal string)
    events    array of { seen = dedupe key, signed = signed amount as sent (decimal string, "-700" for a refund),
              amount = the same as a number, channel = "" or name, category = "" or name }
  Per event: SET NX EX of the dedupe mark (value = signed amount); then, per field, one HINCRBY with the group's sum.
  Returns one integer per event:
     1  counted
     0  duplicate: counted before with the same signed amount; nothing changes
    -1  conflict: counted before with a different amount or kind; nothing changes
  An id repeated inside the group is a duplicate (or conflict) of its first occurrence.

  Counter fields: net (payments minus refunds), gross, count (payments), refunded, refunds (count), dups, and per
  dimension ch:<name>:a / ch:<name>:n, cat:<name>:a / cat:<name>:n (amounts are net).
  Sums are exact: Lua numbers are doubles, exact up to 2^53, and a group adds at most 4096 amounts of at most 10^12.
]]

-- Whole numbers below 2^53 print exactly with %.0f; a zero sum adds nothing (and "-0" is no integer to HINCRBY).
local function addToField(key, field, sum)
  if sum ~= 0 then
    redis.call("HINCRBY", key, field, string.format("%.0f", sum))
  end
end

local function countGroup(counters, ttl, events)
  local results = {}
  local net, gross, count, refunded, refunds, dups = 0, 0, 0, 0, 0, 0
  local channelAmount, channelCount, categoryAmount, categoryCount = {}, {}, {}, {}
  for i, event in ipairs(events) do
    if redis.call("SET", event.seen, event.signed, "NX", "EX", ttl) then
      local a = event.amount
      local isRefund = a < 0
      net = net + a
      if isRefund then
        refunded = refunded - a
        refunds = refunds + 1
      else
        gross = gross + a
        count = count + 1
      end
      if event.channel ~= "" then
        channelAmount[event.channel] = (channelAmount[event.channel] or 0) + a
        if not isRefund then
          channelCount[event.channel] = (channelCount[event.channel] or 0) + 1
        end
      end
      if event.category ~= "" then
        categoryAmount[event.category] = (categoryAmount[event.category] or 0) + a
        if not isRefund then
          categoryCount[event.category] = (categoryCount[event.category] or 0) + 1
        end
      end
      results[i] = 1
    else
      dups = dups + 1
      if redis.call("GET", event.seen) ~= event.signed then
        results[i] = -1
      else
        results[i] = 0
      end
    end
  end
  addToField(counters, "net", net)
  addToField(counters, "gross", gross)
  addToField(counters, "count", count)
  addToField(counters, "refunded", refunded)
  addToField(counters, "refunds", refunds)
  addToField(counters, "dups", dups)
  for name, sum in pairs(channelAmount) do
    addToField(counters, "ch:" .. name .. ":a", sum)
  end
  for name, sum in pairs(channelCount) do
    addToField(counters, "ch:" .. name .. ":n", sum)
  end
  for name, sum in pairs(categoryAmount) do
    addToField(counters, "cat:" .. name .. ":a", sum)
  end
  for name, sum in pairs(categoryCount) do
    addToField(counters, "cat:" .. name .. ":n", sum)
  end
  return results
end
