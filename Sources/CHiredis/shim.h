// hiredis 0.14.1 on Debian 12: no redisConnectWithOptions, no RESP3, no TLS.
// Swift cannot call the variadic redisCommand/redisAppendCommand: use the Argv variants.
#include <hiredis/hiredis.h>
