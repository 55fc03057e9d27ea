-- Which pub/sub the hubs use: _lib.lua's PL_PUBLISH ('SPUBLISH' on Redis 7, 'PUBLISH' before), so
-- that the hubs subscribe the way the scripts publish (engine.pubsub.publish_command).
-- No KEYS, no ARGV.
return PL_PUBLISH
