#ifndef C_METER_CRC32C_H
#define C_METER_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has a CRC32C instruction this file can use (x86-64 SSE4.2), else 0.
int meter_crc32c_hardware_available(void);

/// Continues a CRC32C over `count` bytes with the CPU's CRC32C instruction. `crc` is the
/// running value WITHOUT the final inversion (start with 0xFFFFFFFF, invert at the end).
/// Only call it when `meter_crc32c_hardware_available()` returned 1.
uint32_t meter_crc32c_hardware(uint32_t crc, const void *bytes, size_t count);

#endif
