#include "gateway/http/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string_view>

namespace gg::gateway {
namespace {

namespace ssl = boost::asio::ssl;

// OpenSSL's reason for the last failure (its error queue), or the fallback.
std::string openssl_reason(std::string_view fallback) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return std::string(fallback);
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? std::string(reason) : std::string(fallback);
}

}  // namespace

TlsContextResult make_server_tls_context(const TlsFiles& files) {
  ERR_clear_error();
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                       ec);
  if (ec || SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return "cannot set up TLS: " + openssl_reason(ec ? ec.message() : "no cipher available");
  }
  // The server picks the cipher from its own order; no renegotiation started by a client.
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);

  if (context->use_certificate_chain_file(files.cert_file, ec); ec) {
    return "cannot read the certificate chain " + files.cert_file + ": " + openssl_reason(ec.message());
  }
  if (context->use_private_key_file(files.key_file, ssl::context::pem, ec); ec) {
    return "cannot read the private key " + files.key_file + ": " + openssl_reason(ec.message());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return "the private key " + files.key_file + " does not match the certificate " + files.cert_file;
  }

  if (files.client_certificates != ClientCertificates::none) {
    if (context->load_verify_file(files.client_ca_file, ec); ec) {
      return "cannot read the client CA " + files.client_ca_file + ": " + openssl_reason(ec.message());
    }
    // The CA names sent in the CertificateRequest, so that a client picks the right certificate.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.client_ca_file.c_str());
    if (names == nullptr) {
      return "the client CA " + files.client_ca_file + " holds no certificate";
    }
    SSL_CTX_set_client_CA_list(native, names);
    auto mode = ssl::verify_peer;
    if (files.client_certificates == ClientCertificates::all) mode |= ssl::verify_fail_if_no_peer_cert;
    context->set_verify_mode(mode);
    // Session resumption with client certificates needs a context id (OpenSSL's SSL_CTX_set_session_id_context).
    static constexpr unsigned char kSessionContext[] = "gradient-gateway";
    SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  }
  ERR_clear_error();
  return context;
}

}  // namespace gg::gateway
