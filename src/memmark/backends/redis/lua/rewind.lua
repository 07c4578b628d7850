-- ARGV[6]: message id; removes it and every later message. Returns how many.
local first = redis.call('ZSCORE', seq, ARGV[6])
local removed = 0
if first then
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', seq, first, '+inf')) do
    removed = removed + remove(id)
  end
  stamp()
end
touch()
return removed
