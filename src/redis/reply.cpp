// RESP replies: error category, conversions, and the hiredis-backed parser.
#include <musicbot/redis/reply.hpp>
#include <musicbot/redis/reply_parser.hpp>

#include <hiredis/read.h>

#include <charconv>
#include <climits>
#include <new>
#include <string>

namespace musicbot::redis {

namespace {

// boost::system::error_category has a protected non-virtual destructor by
// design; the category object is never deleted through a base pointer.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "musicbot.redis"; }
  std::string message(int value) const override {
    switch (static_cast<error>(value)) {
      case error::ok: return "success";
      case error::invalid_url: return "invalid Redis URL (expected redis://[[user]:password@]host[:port][/db] or rediss://...)";
      case error::unsupported_scheme: return "unsupported URL scheme (use redis:// or rediss:// for TLS)";
      case error::invalid_host: return "invalid or missing host in Redis URL";
      case error::invalid_port: return "invalid port in Redis URL (expected 1..65535)";
      case error::invalid_database: return "invalid database in Redis URL (expected /<number>)";
      case error::invalid_option: return "unknown or malformed option in Redis URL query";
      case error::not_connected: return "not connected to Redis";
      case error::connection_closed: return "connection to Redis closed before the reply arrived";
      case error::timeout: return "Redis did not answer in time";
      case error::circuit_open: return "Redis circuit breaker is open (recent failures); failing fast";
      case error::too_many_in_flight: return "too many Redis commands in flight";
      case error::closed: return "Redis client closed";
      case error::protocol_error: return "malformed RESP data from Redis";
      case error::reply_too_large: return "Redis reply exceeds the configured size limit";
      case error::unexpected_reply: return "Redis reply has an unexpected type";
      case error::server_error: return "Redis returned an error";
      case error::auth_failed: return "Redis authentication failed (wrong or missing password/user)";
      case error::noscript: return "script not in Redis' script cache (NOSCRIPT)";
      case error::wrong_type: return "Redis key holds the wrong type (WRONGTYPE)";
      case error::select_failed: return "Redis SELECT of the configured database failed";
      case error::tls_failed: return "TLS handshake with Redis failed";
    }
    return "unknown musicbot.redis error";
  }
};
#pragma GCC diagnostic pop

bool starts_with(std::string_view s, std::string_view prefix) noexcept { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

const boost::system::error_category& redis_category() noexcept {
  static const category instance;
  return instance;
}

boost::system::error_code classify_server_error(std::string_view message) noexcept {
  if (starts_with(message, "NOSCRIPT")) return error::noscript;
  if (starts_with(message, "WRONGPASS") || starts_with(message, "NOAUTH") ||
      message.find("invalid password") != std::string_view::npos ||
      message.find("invalid username-password") != std::string_view::npos ||
      message.find("without any password configured") != std::string_view::npos)
    return error::auth_failed;
  if (starts_with(message, "WRONGTYPE")) return error::wrong_type;
  return error::server_error;
}

boost::system::error_code reply_error(const reply& r) noexcept {
  return r.is_error() ? classify_server_error(r.text()) : boost::system::error_code{};
}

boost::system::result<std::int64_t> to_integer(const reply& r) {
  if (auto ec = reply_error(r)) return ec;
  if (r.type() == reply_type::integer) return r.integer();
  if (r.type() == reply_type::string || r.type() == reply_type::status) {
    std::int64_t v = 0;
    const auto& t = r.text();
    const auto res = std::from_chars(t.data(), t.data() + t.size(), v);
    if (res.ec == std::errc{} && res.ptr == t.data() + t.size() && !t.empty()) return v;
  }
  return error::unexpected_reply;
}

boost::system::result<std::string> to_string(const reply& r) {
  if (auto ec = reply_error(r)) return ec;
  if (r.type() == reply_type::string || r.type() == reply_type::status) return r.text();
  return error::unexpected_reply;
}

boost::system::result<std::optional<std::string>> to_optional_string(const reply& r) {
  if (r.is_nil()) return std::optional<std::string>{};
  auto s = to_string(r);
  if (!s) return s.error();
  return std::optional<std::string>(std::move(*s));
}

boost::system::result<void> to_ok(const reply& r) {
  if (auto ec = reply_error(r)) return ec;
  if (r.type() == reply_type::status) return {};
  return error::unexpected_reply;
}

boost::system::result<std::vector<std::int64_t>> to_integers(const reply& r) {
  if (auto ec = reply_error(r)) return ec;
  if (!r.is_array()) return error::unexpected_reply;
  std::vector<std::int64_t> out;
  out.reserve(r.elements().size());
  for (const auto& e : r.elements()) {
    auto v = to_integer(e);
    if (!v) return v.error();
    out.push_back(*v);
  }
  return out;
}

namespace {

void append_debug(std::string& out, const reply& r, int depth) {
  switch (r.type()) {
    case reply_type::nil: out += "(nil)"; return;
    case reply_type::integer: out += "(integer) " + std::to_string(r.integer()); return;
    case reply_type::status: out += r.text(); return;
    case reply_type::error: out += "(error) " + r.text(); return;
    case reply_type::string:
      out += '"';
      for (char c : r.text()) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
          static constexpr char hex[] = "0123456789abcdef";
          out += "\\x";
          out += hex[u >> 4U];
          out += hex[u & 0xfU];
        } else {
          out += c;
        }
      }
      out += '"';
      return;
    case reply_type::array:
      out += '[';
      for (std::size_t i = 0; i < r.elements().size(); ++i) {
        if (i != 0) out += ", ";
        if (depth > 16) {
          out += "...";
          break;
        }
        append_debug(out, r.elements()[i], depth + 1);
      }
      out += ']';
      return;
  }
}

}  // namespace

std::string to_debug_string(const reply& r) {
  std::string out;
  append_debug(out, r, 0);
  return out;
}

// ---------------------------------------------------------------------------
// reply_parser: hiredis builds our `reply` objects through its object hooks.
// The root lives in the parser (one reply at a time is under construction,
// and next() moves it out at once: no allocation per reply); children are
// appended to their parent's element vector (hiredis delivers them in index order, and a parent only
// grows after the previous child is complete, so pointers held by hiredis
// stay valid).

namespace {

struct parse_budget {
  reply_limits limits;
  std::size_t elements = 0;
  std::size_t bytes = 0;
  bool too_large = false;
  reply root;  // the reply under construction (hiredis' root object)
};

parse_budget& budget_of(const redisReadTask* task) { return *static_cast<parse_budget*>(task->privdata); }

// Places a freshly made value: as the root (the parser's slot) or inside
// its parent.
void* place(const redisReadTask* task, reply&& value) {
  auto& budget = budget_of(task);
  if (++budget.elements > budget.limits.max_reply_elements) {
    budget.too_large = true;
    return nullptr;
  }
  if (task->parent == nullptr) {
    budget.root = std::move(value);
    return &budget.root;
  }
  auto* parent = static_cast<reply*>(task->parent->obj);
  auto& elements = parent->elements();
  if (task->idx < 0 || static_cast<std::size_t>(task->idx) != elements.size()) return nullptr;
  elements.push_back(std::move(value));
  return &elements.back();
}

void* create_string(const redisReadTask* task, char* str, size_t len) {
  auto& budget = budget_of(task);
  budget.bytes += len;
  if (budget.bytes > budget.limits.max_reply_bytes) {
    budget.too_large = true;
    return nullptr;
  }
  std::string text(str, len);
  switch (task->type) {
    case REDIS_REPLY_ERROR: return place(task, reply::make_error(std::move(text)));
    case REDIS_REPLY_STATUS: return place(task, reply::make_status(std::move(text)));
    default: return place(task, reply::make_string(std::move(text)));
  }
}

void* create_array(const redisReadTask* task, int elements) {
  if (elements < 0) return nullptr;  // hiredis 0.14 passes other negatives through
  auto& budget = budget_of(task);
  if (static_cast<std::size_t>(elements) > budget.limits.max_reply_elements) {
    budget.too_large = true;
    return nullptr;
  }
  std::vector<reply> children;
  children.reserve(std::min<std::size_t>(static_cast<std::size_t>(elements), 64));
  return place(task, reply::make_array(std::move(children)));
}

void* create_integer(const redisReadTask* task, long long value) {
  return place(task, reply::make_integer(static_cast<std::int64_t>(value)));
}

void* create_nil(const redisReadTask* task) { return place(task, reply{}); }

// hiredis frees only the root (a partial reply after an error, or one
// pending when the reader is freed); children live inside it. The root is
// the parser's slot: emptied, not deleted.
void free_object(void* obj) { *static_cast<reply*>(obj) = reply{}; }

redisReplyObjectFunctions reply_functions = {create_string, create_array, create_integer, create_nil, free_object};

}  // namespace

struct reply_parser::impl {
  explicit impl(reply_limits l) { budget.limits = l; open(); }
  ~impl() { close(); }
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  void open() {
    reader = redisReaderCreateWithFunctions(&reply_functions);
    if (reader == nullptr) throw std::bad_alloc();
    reader->privdata = &budget;
  }
  void close() {
    if (reader != nullptr) redisReaderFree(reader);
    reader = nullptr;
  }
  [[nodiscard]] std::size_t pending() const noexcept { return reader->len - reader->pos; }

  parse_budget budget;
  redisReader* reader = nullptr;
  boost::system::error_code failure;
};

reply_parser::reply_parser(reply_limits limits) : impl_(std::make_unique<impl>(limits)) {}
reply_parser::~reply_parser() = default;
reply_parser::reply_parser(reply_parser&& other) noexcept = default;
reply_parser& reply_parser::operator=(reply_parser&& other) noexcept = default;

boost::system::error_code reply_parser::feed(std::string_view bytes) {
  if (impl_->failure) return impl_->failure;
  if (bytes.empty()) return {};
  if (impl_->pending() + bytes.size() > impl_->budget.limits.max_reply_bytes + 64) {
    impl_->failure = error::reply_too_large;
    return impl_->failure;
  }
  if (redisReaderFeed(impl_->reader, bytes.data(), bytes.size()) != REDIS_OK) {
    impl_->failure = error::protocol_error;
  }
  return impl_->failure;
}

boost::system::result<std::optional<reply>> reply_parser::next() {
  if (impl_->failure) return impl_->failure;
  void* obj = nullptr;
  if (redisReaderGetReply(impl_->reader, &obj) != REDIS_OK) {
    impl_->failure = impl_->budget.too_large ? error::reply_too_large : error::protocol_error;
    return impl_->failure;
  }
  if (obj == nullptr) return std::optional<reply>{};
  // The budget counts one reply, which may have arrived over several feeds.
  impl_->budget.elements = 0;
  impl_->budget.bytes = 0;
  // `obj` is the parser's root slot: its value moves out.
  return std::optional<reply>(std::move(*static_cast<reply*>(obj)));
}

std::size_t reply_parser::buffered() const noexcept { return impl_->reader != nullptr ? impl_->pending() : 0; }

bool reply_parser::failed() const noexcept { return static_cast<bool>(impl_->failure); }

void reply_parser::reset() {
  impl_->close();
  impl_->failure = {};
  impl_->budget.elements = 0;
  impl_->budget.bytes = 0;
  impl_->budget.too_large = false;
  impl_->open();
}

}  // namespace musicbot::redis
