-- ARGV[3]: the summary; "" clears it.
if ARGV[3] == '' then
  redis.call('HDEL', meta, 'summary')
else
  redis.call('HSET', meta, 'summary', ARGV[3])
end
stamp()
touch()
return 1
