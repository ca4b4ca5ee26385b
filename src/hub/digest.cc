#include "hub/digest.h"

#include <openssl/evp.h>

#include "util/check.h"

namespace gemma3::hub {

struct Sha256::State {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  state_->ctx = EVP_MD_CTX_new();
  G3_CHECK(state_->ctx != nullptr);
  reset();
}

Sha256::~Sha256() { EVP_MD_CTX_free(state_->ctx); }

void Sha256::reset() { G3_CHECK(EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr) == 1); }

void Sha256::update(const void* data, size_t size) {
  G3_CHECK(EVP_DigestUpdate(state_->ctx, data, size) == 1);
}

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  G3_CHECK(EVP_DigestFinal_ex(state_->ctx, digest, &n) == 1);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

}  // namespace gemma3::hub
