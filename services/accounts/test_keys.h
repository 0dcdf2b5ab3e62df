#pragma once

// A 2048-bit RSA signing key for the accounts tests, generated once per test binary.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>

namespace firegrid::accounts::testing {

inline std::string NewRsaPrivatePem() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), &EVP_PKEY_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

inline const std::string& TestRsaPrivatePem() {
  static const std::string* pem = new std::string(NewRsaPrivatePem());
  return *pem;
}

}  // namespace firegrid::accounts::testing
