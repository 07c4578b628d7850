-- ARGV[6]: the summary; "" clears it.
local stored = redis.call('HGET', meta, 'summary') or ''
if ARGV[6] ~= stored then
  if ARGV[6] == '' then
    redis.call('HDEL', meta, 'summary')
  else
    register()
    redis.call('HSET', meta, 'summary', ARGV[6])
  end
  stamp()
end
touch()
return 1
