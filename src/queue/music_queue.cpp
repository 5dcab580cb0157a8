#include <musicbot/queue/music_queue.hpp>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <string>

namespace musicbot::queue {

core::result<void> validate(const queue_limits& limits) {
  if (limits.max_length == 0 || limits.max_length > queue_limits::hard_max_length) return error::invalid_limit;
  if (limits.max_per_user > queue_limits::hard_max_length) return error::invalid_limit;
  if (limits.max_history > queue_limits::hard_max_length) return error::invalid_limit;
  return {};
}

namespace {

std::uint64_t random_seed() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32U) ^ device();
}

using diff_t = std::deque<track>::difference_type;

// Hash of track::dedup_key() without building the string.
std::uint64_t key_hash(const track& t) {
  const std::hash<std::string_view> h;
  if (!t.encoded.empty()) return h(t.encoded);
  if (!t.uri.empty()) return h(t.uri);
  return h(t.source) * 31U + h(t.identifier) + 0x9e3779b97f4a7c15ULL;
}

// track::dedup_key() equality without building strings.
bool same_key(const track& a, const track& b) {
  if (!a.encoded.empty() || !b.encoded.empty()) return a.encoded == b.encoded;
  if (!a.uri.empty() || !b.uri.empty()) return a.uri == b.uri;
  return a.source == b.source && a.identifier == b.identifier;
}

diff_t as_diff(std::size_t n) { return static_cast<diff_t>(n); }

}  // namespace

music_queue::music_queue() : music_queue(queue_limits{}, random_seed()) {}

music_queue::music_queue(queue_limits limits, std::uint64_t seed) : limits_(limits), rng_state_(seed) {
  if (!validate(limits_)) throw std::invalid_argument("musicbot::queue::music_queue: invalid queue_limits");
}

std::size_t music_queue::count_for(std::uint64_t user_id) const noexcept {
  return static_cast<std::size_t>(
      std::count_if(upcoming_.begin(), upcoming_.end(), [&](const track& t) { return t.requester_id == user_id; }));
}

std::chrono::milliseconds music_queue::remaining_duration(std::chrono::milliseconds position) const noexcept {
  std::chrono::milliseconds total{0};
  if (current_ && !current_->is_stream && current_->length > position) {
    total += current_->length - std::max(position, std::chrono::milliseconds{0});
  }
  for (const auto& t : upcoming_) {
    if (!t.is_stream) total += t.length;
  }
  return total;
}

core::result<void> music_queue::set_limits(const queue_limits& limits) {
  if (auto ok = validate(limits); !ok) return ok;
  limits_ = limits;
  while (history_.size() > limits_.max_history) history_.pop_front();
  rebuild_index();
  return {};
}

core::result<void> music_queue::check_can_add(const std::vector<const track*>& batch) const {
  if (batch.size() > limits_.max_length || upcoming_.size() > limits_.max_length - batch.size()) {
    return error::queue_full;
  }
  if (limits_.max_per_user != 0) {
    // Count per requester within the batch, then add what is already queued.
    std::vector<std::pair<std::uint64_t, std::size_t>> per_user;
    for (const track* t : batch) {
      if (t->requester_id == 0) continue;  // autoplay / system tracks are not a user's
      auto it = std::find_if(per_user.begin(), per_user.end(), [&](const auto& p) { return p.first == t->requester_id; });
      if (it == per_user.end()) {
        per_user.emplace_back(t->requester_id, count_for(t->requester_id) + 1);
      } else {
        ++it->second;
      }
    }
    for (const auto& [user, count] : per_user) {
      if (count > limits_.max_per_user) return error::user_limit_reached;
    }
  }
  if (limits_.deduplicate) {
    std::unordered_map<std::uint64_t, const track*> batch_keys;
    for (const track* t : batch) {
      if (is_queued(*t)) return error::duplicate;
      auto [it, inserted] = batch_keys.emplace(key_hash(*t), t);
      if (!inserted && same_key(*it->second, *t)) return error::duplicate;
    }
  }
  return {};
}

void music_queue::index_add(const track& t) {
  if (limits_.deduplicate) ++keys_[key_hash(t)];
}

void music_queue::index_remove(const track& t) {
  if (!limits_.deduplicate) return;
  auto it = keys_.find(key_hash(t));
  if (it != keys_.end() && --it->second == 0) keys_.erase(it);
}

void music_queue::rebuild_index() {
  keys_.clear();
  if (!limits_.deduplicate) return;
  if (current_) index_add(*current_);
  for (const auto& t : upcoming_) index_add(t);
}

bool music_queue::is_queued(const track& t) const {
  if (!keys_.contains(key_hash(t))) return false;
  // A hash hit: confirm (a collision must not refuse a distinct track).
  if (current_ && same_key(*current_, t)) return true;
  return std::any_of(upcoming_.begin(), upcoming_.end(), [&](const track& u) { return same_key(u, t); });
}

core::result<std::size_t> music_queue::add(track t) {
  if (auto ok = check_can_add({&t}); !ok) return ok.error();
  index_add(t);
  upcoming_.push_back(std::move(t));
  return upcoming_.size() - 1;
}

core::result<std::size_t> music_queue::add_all(std::vector<track> tracks) {
  if (tracks.empty()) return upcoming_.size();
  std::vector<const track*> batch;
  batch.reserve(tracks.size());
  for (const auto& t : tracks) batch.push_back(&t);
  if (auto ok = check_can_add(batch); !ok) return ok.error();
  const std::size_t first = upcoming_.size();
  for (auto& t : tracks) {
    index_add(t);
    upcoming_.push_back(std::move(t));
  }
  return first;
}

core::result<void> music_queue::insert(std::size_t position, track t) {
  if (position > upcoming_.size()) return error::out_of_range;
  if (auto ok = check_can_add({&t}); !ok) return ok;
  index_add(t);
  upcoming_.insert(upcoming_.begin() + as_diff(position), std::move(t));
  return {};
}

core::result<track> music_queue::remove(std::size_t position) {
  if (position >= upcoming_.size()) return error::out_of_range;
  track removed = std::move(upcoming_[position]);
  upcoming_.erase(upcoming_.begin() + as_diff(position));
  index_remove(removed);
  return removed;
}

core::result<std::vector<track>> music_queue::remove_range(std::size_t first, std::size_t last) {
  if (first >= last || last > upcoming_.size()) return error::out_of_range;
  std::vector<track> removed(std::make_move_iterator(upcoming_.begin() + as_diff(first)),
                             std::make_move_iterator(upcoming_.begin() + as_diff(last)));
  upcoming_.erase(upcoming_.begin() + as_diff(first), upcoming_.begin() + as_diff(last));
  for (const auto& t : removed) index_remove(t);
  return removed;
}

std::size_t music_queue::remove_by(std::uint64_t user_id) {
  const auto before = upcoming_.size();
  std::erase_if(upcoming_, [&](const track& t) { return t.requester_id == user_id; });
  rebuild_index();
  return before - upcoming_.size();
}

core::result<void> music_queue::move(std::size_t from, std::size_t to) {
  if (from >= upcoming_.size() || to >= upcoming_.size()) return error::out_of_range;
  if (from < to) {
    std::rotate(upcoming_.begin() + as_diff(from), upcoming_.begin() + as_diff(from + 1),
                upcoming_.begin() + as_diff(to + 1));
  } else if (to < from) {
    std::rotate(upcoming_.begin() + as_diff(to), upcoming_.begin() + as_diff(from),
                upcoming_.begin() + as_diff(from + 1));
  }
  return {};
}

std::size_t music_queue::clear() noexcept {
  const auto n = upcoming_.size();
  upcoming_.clear();
  keys_.clear();
  if (limits_.deduplicate && current_) keys_[key_hash(*current_)] = 1;
  return n;
}

std::uint64_t music_queue::next_random() noexcept {
  // splitmix64: tiny, fast, and the same sequence everywhere.
  std::uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

void music_queue::shuffle() noexcept {
  for (std::size_t i = upcoming_.size(); i > 1; --i) {
    // Unbiased index in [0, i) by rejection sampling.
    const std::uint64_t bound = i;
    const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
    std::uint64_t r = next_random();
    while (r >= limit) r = next_random();
    const auto j = static_cast<std::size_t>(r % bound);
    using std::swap;
    swap(upcoming_[i - 1], upcoming_[j]);
  }
}

void music_queue::push_history(track t) {
  if (limits_.max_history == 0) return;
  if (history_.size() == limits_.max_history) history_.pop_front();
  history_.push_back(std::move(t));
}

core::result<bool> music_queue::play_or_add(track t) {
  if (!current_) {
    if (limits_.deduplicate && is_queued(t)) return error::duplicate;
    index_add(t);
    current_ = std::move(t);
    return true;
  }
  if (auto r = add(std::move(t)); !r) return r.error();
  return false;
}

const track* music_queue::advance() {
  if (loop_ == loop_mode::track && current_) return &*current_;
  if (current_) {
    if (loop_ == loop_mode::queue) {
      upcoming_.push_back(std::move(*current_));
    } else {
      index_remove(*current_);
      push_history(std::move(*current_));
    }
    current_.reset();
  }
  if (upcoming_.empty()) return nullptr;
  current_ = std::move(upcoming_.front());
  upcoming_.pop_front();
  return &*current_;
}

core::result<const track*> music_queue::skip() {
  if (!current_) return error::nothing_playing;
  const loop_mode saved = loop_;
  if (loop_ == loop_mode::track) loop_ = loop_mode::off;
  const track* next = advance();
  loop_ = saved;
  return next;
}

core::result<const track*> music_queue::skip_to(std::size_t position) {
  if (position >= upcoming_.size()) return error::out_of_range;
  // Skipped tracks: the current one, then upcoming [0, position).
  std::vector<track> skipped;
  skipped.reserve(position + 1);
  if (current_) skipped.push_back(std::move(*current_));
  for (std::size_t i = 0; i < position; ++i) skipped.push_back(std::move(upcoming_[i]));
  upcoming_.erase(upcoming_.begin(), upcoming_.begin() + as_diff(position));
  current_ = std::move(upcoming_.front());
  upcoming_.pop_front();
  for (auto& t : skipped) {
    if (loop_ == loop_mode::queue) {
      upcoming_.push_back(std::move(t));
    } else {
      index_remove(t);
      push_history(std::move(t));
    }
  }
  return &*current_;
}

core::result<const track*> music_queue::previous() {
  if (history_.empty()) return error::no_previous;
  if (current_) {
    if (upcoming_.size() >= limits_.max_length) return error::queue_full;
    upcoming_.push_front(std::move(*current_));
  }
  current_ = std::move(history_.back());
  history_.pop_back();
  index_add(*current_);
  return &*current_;
}

void music_queue::stop() noexcept {
  if (!current_) return;
  track t = std::move(*current_);
  current_.reset();
  try {
    index_remove(t);
    push_history(std::move(t));
  } catch (...) {  // allocation failure: the track is simply not remembered
  }
}

core::result<queue_page> music_queue::page(std::size_t page, std::size_t page_size) const {
  if (page_size == 0) return error::invalid_argument;
  queue_page out;
  out.total = upcoming_.size();
  out.page_count = std::max<std::size_t>(1, (out.total + page_size - 1) / page_size);
  if (page >= out.page_count) return error::out_of_range;
  out.page = page;
  out.first_position = page * page_size;
  const std::size_t end = std::min(out.total, out.first_position + page_size);
  out.items.assign(upcoming_.begin() + as_diff(out.first_position), upcoming_.begin() + as_diff(end));
  return out;
}

queue_state music_queue::state(std::chrono::milliseconds position) const {
  queue_state s;
  s.current = current_;
  s.position = current_ ? position : std::chrono::milliseconds{0};
  s.upcoming.assign(upcoming_.begin(), upcoming_.end());
  s.loop = loop_;
  return s;
}

core::result<void> music_queue::restore(queue_state s) {
  if (s.upcoming.size() > limits_.max_length) return error::queue_full;
  std::deque<track> upcoming(std::make_move_iterator(s.upcoming.begin()), std::make_move_iterator(s.upcoming.end()));
  current_ = std::move(s.current);
  upcoming_.swap(upcoming);
  history_.clear();
  loop_ = s.loop;
  rebuild_index();
  return {};
}

}  // namespace musicbot::queue
