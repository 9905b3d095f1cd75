#include "luisy/util/digest.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <fmt/format.h>

namespace luisy::util {

// On the hot path of every key (inputs are serialised with their digests): no fmt here.
std::string to_hex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[static_cast<size_t>(15 - i)] = kHex[(digest.high >> (4 * i)) & 0xf];
    out[static_cast<size_t>(31 - i)] = kHex[(digest.low >> (4 * i)) & 0xf];
  }
  return out;
}

std::optional<Digest> digest_from_hex(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  Digest d;
  for (size_t i = 0; i < 32; ++i) {
    char c = hex[i];
    uint64_t v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else
      return std::nullopt;
    uint64_t& word = i < 16 ? d.high : d.low;
    word = (word << 4) | v;
  }
  return d;
}

Digest digest_of(const void* data, size_t size) {
  XXH128_hash_t h = XXH3_128bits(data, size);
  return Digest{h.high64, h.low64};
}

uint64_t checksum64(const void* data, size_t size) { return XXH3_64bits(data, size); }

struct Hasher::State {
  XXH3_state_t xxh;
};

Hasher::Hasher() : state_(std::make_unique<State>()) { XXH3_128bits_reset(&state_->xxh); }
Hasher::~Hasher() = default;

void Hasher::update(const void* data, size_t size) { XXH3_128bits_update(&state_->xxh, data, size); }

Digest Hasher::finish() const {
  XXH128_hash_t h = XXH3_128bits_digest(&state_->xxh);
  return Digest{h.high64, h.low64};
}

}  // namespace luisy::util
