// The listener's TLS (issue 13, item 1): an OpenSSL 3 server context built from PEM files, TLS 1.2 at least, with
// Mozilla's "intermediate" cipher list for TLS 1.2 (TLS 1.3 keeps OpenSSL's own suites, all of them AEAD), and
// optionally a client CA for mutual TLS. A context is immutable once built: a reload (SIGHUP) builds a new one
// and the server hands it to new connections, while open ones keep theirs.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/result.hpp>

namespace gg::gateway {

// Which connections must show a client certificate signed by the client CA.
enum class ClientCertificates {
  none,           // none is asked for
  notifications,  // asked for from every client; the notification endpoint refuses requests without one (403)
  all,            // the handshake fails without one
};

struct TlsFiles {
  std::string cert_file;       // the server's certificate chain (PEM), leaf first
  std::string key_file;        // its private key (PEM, unencrypted)
  std::string client_ca_file;  // CA certificates (PEM) that sign client certificates; with ClientCertificates
  ClientCertificates client_certificates = ClientCertificates::none;
};

using TlsContextResult = boost::system::result<std::shared_ptr<boost::asio::ssl::context>, std::string>;

// Reads the files and builds a server context, or says what is wrong with which file (never the key's content).
TlsContextResult make_server_tls_context(const TlsFiles& files);

// "Mozilla intermediate" (https://wiki.mozilla.org/Security/Server_Side_TLS, version 5.7) without its DHE suites:
// ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 only.
inline constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace gg::gateway
