-- Returns the session's version (0: never changed).
touch()
return current_version()
