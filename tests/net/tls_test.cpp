// TLS paths of the clients against an in-process TLS server on 127.0.0.1
// with a certificate generated at run time (no files, no network).
#include "musicbot/net/http_client.hpp"
#include "musicbot/net/websocket_client.hpp"

#include "test_util.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;
using namespace musicbot_net_test;
namespace net = musicbot::net;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

namespace {

struct pem_pair {
  std::string cert;
  std::string key;
};

std::string bio_to_string(BIO* bio) {
  std::string out(BIO_ctrl_pending(bio), '\0');
  const int n = BIO_read(bio, out.data(), static_cast<int>(out.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

// A self-signed P-256 certificate for `san` (e.g. "DNS:localhost").
pem_pair make_certificate(const char* san) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
                                                          &EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  if (!key || !cert) throw std::runtime_error("openssl allocation failed");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("musicbot test"), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san);
  X509_EXTENSION* ca = X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, "critical,CA:TRUE");
  if (ext == nullptr || ca == nullptr) throw std::runtime_error("openssl extension failed");
  X509_add_ext(cert.get(), ext, -1);
  X509_add_ext(cert.get(), ca, -1);
  X509_EXTENSION_free(ext);
  X509_EXTENSION_free(ca);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) throw std::runtime_error("openssl sign failed");

  pem_pair out;
  std::unique_ptr<BIO, decltype(&BIO_free)> cb(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_X509(cb.get(), cert.get());
  out.cert = bio_to_string(cb.get());
  std::unique_ptr<BIO, decltype(&BIO_free)> kb(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  out.key = bio_to_string(kb.get());
  return out;
}

// Accepts TLS connections, answers every request with a fixed response and
// records the SNI name the client sent.
class tls_test_server {
 public:
  tls_test_server(asio::io_context& io, const pem_pair& pem)
      : ctx_(ssl::context::tls_server), acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}) {
    ctx_.use_certificate_chain(asio::buffer(pem.cert));
    ctx_.use_private_key(asio::buffer(pem.key), ssl::context::pem);
    asio::co_spawn(io, accept_loop(), [](std::exception_ptr) {});
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }
  std::string last_sni;
  int handshakes = 0;

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) co_return;
      asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), [](std::exception_ptr) {});
    }
  }
  asio::awaitable<void> serve(tcp::socket socket) {
    ssl::stream<tcp::socket> stream(std::move(socket), ctx_);
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
    if (hec) co_return;
    ++handshakes;
    if (const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) last_sni = sni;
    std::string request;
    auto [rec, n] = co_await asio::async_read_until(stream, asio::dynamic_buffer(request, 64 * 1024), "\r\n\r\n",
                                                    use_tuple);
    if (rec) co_return;
    static constexpr std::string_view answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    co_await asio::async_write(stream, asio::buffer(answer), use_tuple);
    co_await stream.async_shutdown(use_tuple);
  }

  ssl::context ctx_;
  tcp::acceptor acceptor_;
};

net::http_client_options https_options(std::uint16_t port, const char* host) {
  net::http_client_options o;
  o.base_url = std::string("https://") + host + ":" + std::to_string(port);
  o.default_timeout = 5s;
  return o;
}

net::http_request get_root() {
  net::http_request r;
  r.target = "/";
  return r;
}

}  // namespace

TEST(tls, https_verifies_the_peer_against_a_given_ca_and_sends_sni) {
  const auto pem = make_certificate("DNS:localhost");
  run_async([&pem](asio::io_context& io) -> asio::awaitable<void> {
    tls_test_server server(io, pem);
    auto o = https_options(server.port(), "localhost");
    o.tls.ca_pem = pem.cert;
    net::http_client client(io.get_executor(), o);
    auto [ec, res] = co_await client.async_request(get_root(), use_tuple);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(res.status, 200u);
    EXPECT_EQ(res.body, "ok");
    EXPECT_EQ(server.last_sni, "localhost");
    server.stop();
  });
}

TEST(tls, untrusted_certificate_is_a_tls_error) {
  const auto pem = make_certificate("DNS:localhost");
  run_async([&pem](asio::io_context& io) -> asio::awaitable<void> {
    tls_test_server server(io, pem);
    net::http_client client(io.get_executor(), https_options(server.port(), "localhost"));  // system CAs only
    auto [ec, res] = co_await client.async_request(get_root(), use_tuple);
    EXPECT_EQ(ec, net::error::tls_error) << ec.message();
    server.stop();
  });
}

TEST(tls, host_name_mismatch_is_a_tls_error) {
  const auto pem = make_certificate("DNS:example.invalid");
  run_async([&pem](asio::io_context& io) -> asio::awaitable<void> {
    tls_test_server server(io, pem);
    auto o = https_options(server.port(), "localhost");
    o.tls.ca_pem = pem.cert;
    net::http_client client(io.get_executor(), o);
    auto [ec, res] = co_await client.async_request(get_root(), use_tuple);
    EXPECT_EQ(ec, net::error::tls_error) << ec.message();
    server.stop();
  });
}

TEST(tls, verification_can_be_disabled_for_tests) {
  const auto pem = make_certificate("DNS:example.invalid");
  run_async([&pem](asio::io_context& io) -> asio::awaitable<void> {
    tls_test_server server(io, pem);
    auto o = https_options(server.port(), "127.0.0.1");
    o.tls.verify_peer = false;
    net::http_client client(io.get_executor(), o);
    auto [ec, res] = co_await client.async_request(get_root(), use_tuple);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(res.body, "ok");
    EXPECT_EQ(server.last_sni, "");  // no SNI for IP literals
    server.stop();
  });
}

TEST(tls, https_client_against_plain_http_port_fails_cleanly) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    // A plain TCP server that answers garbage to the ClientHello.
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    asio::co_spawn(
        io,
        [&acceptor]() -> asio::awaitable<void> {
          auto [ec, s] = co_await acceptor.async_accept(use_tuple);
          if (ec) co_return;
          static constexpr std::string_view answer = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
          co_await asio::async_write(s, asio::buffer(answer), use_tuple);
        },
        [](std::exception_ptr) {});
    net::http_client client(io.get_executor(), https_options(acceptor.local_endpoint().port(), "127.0.0.1"));
    auto [ec, res] = co_await client.async_request(get_root(), use_tuple);
    EXPECT_TRUE(ec == net::error::tls_error || ec == net::error::connection_closed) << ec.message();
  });
}

TEST(tls, wss_runs_the_upgrade_over_tls) {
  const auto pem = make_certificate("DNS:localhost");
  run_async([&pem](asio::io_context& io) -> asio::awaitable<void> {
    tls_test_server server(io, pem);  // answers 200 instead of 101
    net::websocket_options o;
    o.tls.ca_pem = pem.cert;
    o.handshake_timeout = 5s;
    net::websocket_client client(io.get_executor(), o);
    auto [ec, hs] = co_await client.async_connect("wss://localhost:" + std::to_string(server.port()) + "/ws", {},
                                                  use_tuple);
    EXPECT_EQ(ec, net::error::handshake_failed) << ec.message();
    EXPECT_EQ(hs.status, 200u);
    EXPECT_EQ(server.handshakes, 1);
    EXPECT_EQ(server.last_sni, "localhost");
    server.stop();
  });
}
