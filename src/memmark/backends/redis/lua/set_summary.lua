-- ARGV[5]: the summary; "" clears it.
if ARGV[5] == '' then
  redis.call('HDEL', meta, 'summary')
else
  register()
  redis.call('HSET', meta, 'summary', ARGV[5])
end
stamp()
touch()
return 1
