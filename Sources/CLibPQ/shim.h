#ifndef METERD_CLIBPQ_SHIM_H
#define METERD_CLIBPQ_SHIM_H
// libpq, the PostgreSQL C client library (Debian: libpq-dev, header in /usr/include/postgresql,
// found through pkg-config's libpq.pc).
#include <libpq-fe.h>
#endif
