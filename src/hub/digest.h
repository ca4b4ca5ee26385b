// Streaming SHA-256 (OpenSSL's libcrypto), to check a downloaded LFS file against its etag.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace gemma3::hub {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t size);
  std::string hex_digest();  // lower-case hex; ends this digest (call reset() to start another)
  void reset();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace gemma3::hub
