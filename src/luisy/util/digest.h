#pragma once
// XXH3-128 digests: file contents, task keys. xxHash itself stays behind this wrapper.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace luisy::util {

struct Digest {
  uint64_t high = 0;
  uint64_t low = 0;
  bool operator==(const Digest&) const = default;
  bool is_zero() const { return high == 0 && low == 0; }
};

// 32 lowercase hex digits, high word first (the canonical XXH3-128 form).
std::string to_hex(const Digest& digest);
std::optional<Digest> digest_from_hex(std::string_view hex);

Digest digest_of(const void* data, size_t size);
inline Digest digest_of(std::string_view text) { return digest_of(text.data(), text.size()); }

// 64-bit XXH3 for checksums of our own records.
uint64_t checksum64(const void* data, size_t size);

// Streaming XXH3-128.
class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void update(const void* data, size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  Digest finish() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace luisy::util
