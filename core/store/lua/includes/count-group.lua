--[[
  Include: the counting body shared by count-payments-n.lua (a batch) and reference/count-payment-2.lua (one event).

  countGroup(results, counters, ttl, seenKeys, seenOffset, values, valueOffset, amounts, first, n) counts events
  first .. first+n-1 of one shard counters hash exactly once, reading them where they are (no table per event),
  and sets results[i] to the outcome of event i:
    counters             the shard counters key  sc:{<campaign>:<shard>}:c  (HASH)
    ttl                  dedupe TTL in seconds (decimal string)
    seenKeys[seenOffset + i]            the dedupe key of event i
    values[valueOffset + 3 * (i - 1) + 1..3]
                         its mark, channel ("" for none), category ("" for none). The mark is the signed amount as
                         sent ("-700" for a refund), optionally followed by ":<attempt>": a token unique to this
                         event in this caller's request ("129000:Qm3x9LkA.1f.2"), so a retry of the same attempt
                         after a lost reply learns that it was this attempt that counted the event.
    amounts[i]           its signed amount as a number
  Per event: SET NX EX of the dedupe mark; then, per field, one HINCRBY with the group's sum.
  Outcomes:
     1  counted
     2  counted before by this same attempt (the mark holds its token): a retry after a lost reply; nothing changes
     0  duplicate: counted before with the same signed amount; nothing changes
    -1  conflict: counted before with a different amount or kind; nothing changes
  An id repeated inside the group is a duplicate (or conflict) of its first occurrence: its attempt token differs.

  Counter fields: net (payments minus refunds), gross, count (payments), refunded, refunds (count), dups, and per
  dimension ch:<name>:a / ch:<name>:n, cat:<name>:a / cat:<name>:n (amounts are net). The caller names the
  dimension: a name beyond the campaign's cap arrives here already replaced by the other bucket "(other)".
  Sums are exact: Lua numbers are doubles, exact up to 2^53, and a group adds at most 4096 amounts of at most 10^12.

  fenceRefusal(counters, pass) is nil when the shard may be counted into by this caller: the field "fence" of the
  counters hash is absent and pass is "" (ingest), or the fence equals pass (the rebuild that set it, replaying the
  export). Otherwise it is the error reply the caller returns before writing anything: "REBUILDING ...".
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

-- The signed amount of a mark: everything before ":" (a mark written before attempt tokens has no ":").
local function markAmount(mark)
  local colon = string.find(mark, ":", 1, true)
  if colon then
    return string.sub(mark, 1, colon - 1), true
  end
  return mark, false
end

local function fenceRefusal(counters, pass)
  local fence = redis.call("HGET", counters, "fence") or ""
  if fence == pass then
    return nil
  end
  if fence == "" then
    return redis.error_reply("REBUILDING the rebuild that replays into " .. counters .. " no longer holds its fence")
  end
  return redis.error_reply("REBUILDING " .. counters .. " is being rebuilt from the payments export (reconcile --rebuild); retry later")
end

local function countGroup(results, counters, ttl, seenKeys, seenOffset, values, valueOffset, amounts, first, n)
  local net, gross, count, refunded, refunds, dups = 0, 0, 0, 0, 0, 0
  local channelAmount, channelCount, categoryAmount, categoryCount
  for i = first, first + n - 1 do
    local seen = seenKeys[seenOffset + i]
    local at = valueOffset + 3 * (i - 1)
    local mark = values[at + 1]
    if redis.call("SET", seen, mark, "NX", "EX", ttl) then
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
      local stored = redis.call("GET", seen)
      local sent, hasAttempt = markAmount(mark)
      if hasAttempt and stored == mark then
        results[i] = 2
      else
        dups = dups + 1
        if markAmount(stored) ~= sent then
          results[i] = -1
        else
          results[i] = 0
        end
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
