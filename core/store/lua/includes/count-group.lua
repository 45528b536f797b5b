--[[
  Include: the counting body shared by count-payments-n.lua (a batch) and reference/count-payment-2.lua (one event).

  countGroup(results, counters, ttl, seenKeys, seenOffset, values, valueOffset, amounts, first, n) counts events
  first .. first+n-1 of one shard counters hash exactly once, reading them where they are (no table per event),
  and sets results[i] to the outcome of event i:
    counters             the shard counters key  sc:{<campaign>:<shard>}:c  (HASH)
    ttl                  dedupe TTL in seconds (decimal string)
    seenKeys[seenOffset + i]            the dedupe key of event i
    values[valueOffset + 3 * (i - 1) + 1..3]
                         its signed amount as sent ("-700" for a refund), channel ("" for none), category ("" for none)
    amounts[i]           its signed amount as a number
  Per event: SET NX EX of the dedupe mark (value = signed amount); then, per field, one HINCRBY with the group's sum.
  Outcomes:
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

local function addDimension(key, prefix, suffix, sums)
  if sums then
    for name, sum in pairs(sums) do
      addToField(key, prefix .. name .. suffix, sum)
    end
  end
end

local function countGroup(results, counters, ttl, seenKeys, seenOffset, values, valueOffset, amounts, first, n)
  local net, gross, count, refunded, refunds, dups = 0, 0, 0, 0, 0, 0
  local channelAmount, channelCount, categoryAmount, categoryCount
  for i = first, first + n - 1 do
    local seen = seenKeys[seenOffset + i]
    local at = valueOffset + 3 * (i - 1)
    local signed = values[at + 1]
    if redis.call("SET", seen, signed, "NX", "EX", ttl) then
      local a = amounts[i]
      local isRefund = a < 0
      net = net + a
      if isRefund then
        refunded = refunded - a
        refunds = refunds + 1
      else
        gross = gross + a
        count = count + 1
      end
      -- The dimension tables are made on first use: many groups carry none.
      local channel = values[at + 2]
      if channel ~= "" then
        if not channelAmount then
          channelAmount, channelCount = {}, {}
        end
        channelAmount[channel] = (channelAmount[channel] or 0) + a
        if not isRefund then
          channelCount[channel] = (channelCount[channel] or 0) + 1
        end
      end
      local category = values[at + 3]
      if category ~= "" then
        if not categoryAmount then
          categoryAmount, categoryCount = {}, {}
        end
        categoryAmount[category] = (categoryAmount[category] or 0) + a
        if not isRefund then
          categoryCount[category] = (categoryCount[category] or 0) + 1
        end
      end
      results[i] = 1
    else
      dups = dups + 1
      if redis.call("GET", seen) ~= signed then
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
  addDimension(counters, "ch:", ":a", channelAmount)
  addDimension(counters, "ch:", ":n", channelCount)
  addDimension(counters, "cat:", ":a", categoryAmount)
  addDimension(counters, "cat:", ":n", categoryCount)
end
