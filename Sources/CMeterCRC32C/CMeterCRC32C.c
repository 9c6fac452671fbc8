// CRC32C (Castagnoli) with the SSE4.2 `crc32` instruction, 8 bytes per instruction.
// Compiled for every x86-64 CPU; the function carries its own target attribute and the Swift
// side calls it only after the runtime check below. Other architectures get the software path.
#include "CMeterCRC32C.h"

#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>

int meter_crc32c_hardware_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

__attribute__((target("sse4.2")))
uint32_t meter_crc32c_hardware(uint32_t crc, const void *bytes, size_t count) {
    const unsigned char *p = bytes;
    uint64_t c = crc;
    while (count > 0 && ((uintptr_t)p & 7) != 0) {
        c = _mm_crc32_u8((uint32_t)c, *p++);
        count--;
    }
    while (count >= 32) {
        uint64_t w0, w1, w2, w3;
        memcpy(&w0, p, 8);
        memcpy(&w1, p + 8, 8);
        memcpy(&w2, p + 16, 8);
        memcpy(&w3, p + 24, 8);
        c = _mm_crc32_u64(c, w0);
        c = _mm_crc32_u64(c, w1);
        c = _mm_crc32_u64(c, w2);
        c = _mm_crc32_u64(c, w3);
        p += 32;
        count -= 32;
    }
    while (count >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
        p += 8;
        count -= 8;
    }
    while (count > 0) {
        c = _mm_crc32_u8((uint32_t)c, *p++);
        count--;
    }
    return (uint32_t)c;
}
#else
int meter_crc32c_hardware_available(void) { return 0; }

uint32_t meter_crc32c_hardware(uint32_t crc, const void *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return crc;
}
#endif
