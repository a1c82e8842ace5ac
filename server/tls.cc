#include "server/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <strings.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <sstream>

namespace runnel::server {
namespace {

// OpenSSL's queued errors as one line; the queue is left empty.
std::string OpenSslErrors() {
  std::string out;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no detail from OpenSSL" : out;
}

// Sets *error to `what` and OpenSSL's reasons; returns false, for `return Fail(...)`.
bool Fail(std::string* error, const std::string& what) {
  *error = what + ": " + OpenSslErrors();
  return false;
}

// tls-protocols as the OpenSSL options that turn off every version not listed; "" means TLS 1.2
// and 1.3, as in Redis.
bool ProtocolOptions(const std::string& text, uint64_t* options, std::string* error) {
  struct Version {
    const char* name;
    uint64_t off;
  };
  static constexpr Version kVersions[] = {{"TLSv1", SSL_OP_NO_TLSv1},
                                          {"TLSv1.1", SSL_OP_NO_TLSv1_1},
                                          {"TLSv1.2", SSL_OP_NO_TLSv1_2},
                                          {"TLSv1.3", SSL_OP_NO_TLSv1_3}};
  bool listed[4] = {false, false, true, true};
  std::istringstream words(text);
  std::string word;
  bool first = true;
  while (words >> word) {
    if (first) std::fill(std::begin(listed), std::end(listed), false);
    first = false;
    auto known = std::find_if(std::begin(kVersions), std::end(kVersions),
                              [&](const Version& v) { return strcasecmp(v.name, word.c_str()) == 0; });
    if (known == std::end(kVersions)) {
      *error = "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', "
               "'TLSv1.2' and 'TLSv1.3'.";
      return false;
    }
    listed[known - std::begin(kVersions)] = true;
  }
  *options = 0;
  for (size_t i = 0; i < 4; ++i) {
    if (!listed[i]) *options |= kVersions[i].off;
  }
  return true;
}

// Hands OpenSSL tls-key-file-pass (the userdata). Set even when there is no passphrase, so an
// encrypted key fails to load instead of OpenSSL prompting on the terminal.
int PassphraseCallback(char* buf, int size, int, void* userdata) {
  const auto* pass = static_cast<const std::string*>(userdata);
  const int n = std::min(size, static_cast<int>(pass->size()));
  std::memcpy(buf, pass->data(), static_cast<size_t>(n));
  return n;
}

bool LoadCertificateAndKey(SSL_CTX* ctx, const config::Config& c, std::string* error) {
  std::string pass = c.tls_key_file_pass;
  SSL_CTX_set_default_passwd_cb(ctx, PassphraseCallback);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, &pass);
  bool ok = true;
  if (SSL_CTX_use_certificate_chain_file(ctx, c.tls_cert_file.c_str()) <= 0) {
    ok = Fail(error, "Failed to load certificate " + c.tls_cert_file);
  } else if (SSL_CTX_use_PrivateKey_file(ctx, c.tls_key_file.c_str(), SSL_FILETYPE_PEM) <= 0) {
    ok = Fail(error, "Failed to load private key " + c.tls_key_file);
  } else if (SSL_CTX_check_private_key(ctx) != 1) {
    ok = Fail(error, "The private key does not match the certificate");
  }
  SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);  // `pass` ends here
  return ok;
}

bool LoadDhParams(SSL_CTX* ctx, const std::string& file, std::string* error) {
  if (file.empty()) return SSL_CTX_set_dh_auto(ctx, 1) == 1 || Fail(error, "SSL_CTX_set_dh_auto");
  BIO* bio = BIO_new_file(file.c_str(), "r");
  EVP_PKEY* params = bio != nullptr ? PEM_read_bio_Parameters(bio, nullptr) : nullptr;
  BIO_free(bio);
  if (params == nullptr || SSL_CTX_set0_tmp_dh_pkey(ctx, params) != 1) {
    EVP_PKEY_free(params);  // the context took it only on success
    return Fail(error, "Failed to load DH parameters " + file);
  }
  return true;
}

void SetSessionCaching(SSL_CTX* ctx, const config::Config& c) {
  if (!c.tls_session_caching) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    return;
  }
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  SSL_CTX_sess_set_cache_size(ctx, c.tls_session_cache_size);
  SSL_CTX_set_timeout(ctx, c.tls_session_cache_timeout);
  // Resuming a session whose client was verified needs a context to match it against.
  static constexpr unsigned char kId[] = "runnel";
  SSL_CTX_set_session_id_context(ctx, kId, sizeof(kId) - 1);
}

}  // namespace

std::unique_ptr<TlsContext> TlsContext::Create(const config::Config& c, std::string* error) {
  if (c.tls_cert_file.empty() || c.tls_key_file.empty()) {
    *error = "tls-cert-file and tls-key-file must be set to serve TLS";
    return nullptr;
  }
  const bool verify = c.tls_auth_clients != "no";
  if (verify && c.tls_ca_cert_file.empty() && c.tls_ca_cert_dir.empty()) {
    *error = "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when "
             "tls-auth-clients is enabled!";
    return nullptr;
  }
  uint64_t versions_off = 0;
  if (!ProtocolOptions(c.tls_protocols, &versions_off, error)) return nullptr;

  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) {
    Fail(error, "Failed to create a TLS context");
    return nullptr;
  }
  std::unique_ptr<TlsContext> context(new TlsContext(ctx));
  SSL_CTX_set_options(ctx, SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_COMPRESSION |
                               SSL_OP_NO_RENEGOTIATION | versions_off);
  if (c.tls_prefer_server_ciphers) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  // An idle connection keeps no 34 KB of record buffers: with thousands of clients that counts.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SetSessionCaching(ctx, c);
  if (!LoadCertificateAndKey(ctx, c, error)) return nullptr;
  if (verify) {
    const char* file = c.tls_ca_cert_file.empty() ? nullptr : c.tls_ca_cert_file.c_str();
    const char* dir = c.tls_ca_cert_dir.empty() ? nullptr : c.tls_ca_cert_dir.c_str();
    if (SSL_CTX_load_verify_locations(ctx, file, dir) != 1) {
      Fail(error, "Failed to configure CA certificate(s) file/directory");
      return nullptr;
    }
  }
  if (!LoadDhParams(ctx, c.tls_dh_params_file, error)) return nullptr;
  if (!c.tls_ciphers.empty() && SSL_CTX_set_cipher_list(ctx, c.tls_ciphers.c_str()) != 1) {
    Fail(error, "Failed to configure ciphers " + c.tls_ciphers);
    return nullptr;
  }
  if (!c.tls_ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(ctx, c.tls_ciphersuites.c_str()) != 1) {
    Fail(error, "Failed to configure ciphersuites " + c.tls_ciphersuites);
    return nullptr;
  }
  const int mode = c.tls_auth_clients == "yes" ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                   : verify                     ? SSL_VERIFY_PEER
                                                : SSL_VERIFY_NONE;
  SSL_CTX_set_verify(ctx, mode, nullptr);
  return context;
}

TlsSession::TlsSession(const TlsContext& context) : ssl_(SSL_new(context.get()), SSL_free) {
  if (!ssl_) {
    error_ = OpenSslErrors();
    return;
  }
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(in_, -1);  // empty means "wait for more", not end of stream
  SSL_set_bio(ssl_.get(), in_, out_);
  SSL_set_accept_state(ssl_.get());
}

TlsSession::Status TlsSession::Receive(std::string_view cipher, std::string* plain) {
  if (!ssl_ || in_ == nullptr || out_ == nullptr) return Status::kFailed;
  while (!cipher.empty()) {
    const int n = BIO_write(in_, cipher.data(), static_cast<int>(std::min<size_t>(cipher.size(), INT_MAX)));
    if (n <= 0) {
      error_ = "out of memory for TLS input";
      return Status::kFailed;
    }
    cipher.remove_prefix(static_cast<size_t>(n));
  }
  char buf[16 * 1024];  // one TLS record's plaintext at most
  for (;;) {
    ERR_clear_error();
    const int n = SSL_read(ssl_.get(), buf, sizeof(buf));
    if (n > 0) {
      plain->append(buf, static_cast<size_t>(n));
      continue;
    }
    const int err = SSL_get_error(ssl_.get(), n);
    if (err == SSL_ERROR_WANT_READ) return Status::kOk;
    if (err == SSL_ERROR_ZERO_RETURN) return Status::kClosed;
    error_ = err == SSL_ERROR_SSL ? OpenSslErrors() : "TLS error " + std::to_string(err);
    return Status::kFailed;
  }
}

bool TlsSession::Send(std::string_view plain) {
  if (!ssl_) return false;
  while (!plain.empty()) {
    ERR_clear_error();
    const int n = SSL_write(ssl_.get(), plain.data(), static_cast<int>(std::min<size_t>(plain.size(), INT_MAX)));
    if (n <= 0) {
      error_ = OpenSslErrors();
      return false;
    }
    plain.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void TlsSession::TakeOutput(std::string* wire) {
  if (out_ == nullptr) return;
  char* data = nullptr;
  const long n = BIO_get_mem_data(out_, &data);
  if (n <= 0) return;
  wire->append(data, static_cast<size_t>(n));
  (void)BIO_reset(out_);  // a read-write memory BIO discards its data on reset
}

void TlsSession::Shutdown() {
  if (ssl_ && handshake_done()) SSL_shutdown(ssl_.get());  // queues close_notify in out_
}

}  // namespace runnel::server
