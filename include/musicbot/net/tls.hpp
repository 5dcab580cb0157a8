#pragma once
/// @file
/// TLS settings shared by the HTTP and WebSocket clients.

#include <string>

namespace musicbot::net {

/// How a client verifies the server it talks TLS to.
///
/// By default the peer certificate is verified against the system CA store
/// and the host name (SNI is always sent for host names).
struct tls_options {
  /// Verify the certificate chain and host name. Turn off only in tests.
  bool verify_peer = true;
  /// Extra trusted CA certificates in PEM (e.g. a test CA); added to the system store.
  std::string ca_pem;
};

}  // namespace musicbot::net
