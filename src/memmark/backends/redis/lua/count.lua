local count = redis.call('ZCARD', seq)
touch()
return count
