#pragma once
// CRC-64/NVME, the checksum Azure Blob Storage accepts as `x-ms-content-crc64`
// (reflected polynomial 0x9A6C9329AC4BC9B5, init and xorout all ones).
#include <cstddef>
#include <cstdint>
#include <string>

namespace luisy::cache::remote {

// Continues a running CRC: start with crc64_nvme(0, ...) and feed the result back in.
uint64_t crc64_nvme(uint64_t crc, const void* data, size_t size);

// The header value: the 8 bytes little-endian, Base64 ("Hello World" -> "YeJLfssylmU=").
std::string crc64_header_value(uint64_t crc);

}  // namespace luisy::cache::remote
