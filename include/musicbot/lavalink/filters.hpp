#pragma once
/// @file
/// Audio filters of a Lavalink player. A player update carrying `filters`
/// replaces every filter at once; absent members are sent absent (disabled).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace musicbot::lavalink {

/// One of the 15 equalizer bands (0..14, 25 Hz to 16 kHz).
struct equalizer_band {
  int band = 0;       ///< band index, 0..14
  double gain = 0.0;  ///< gain multiplier, -0.25..1.0 (0 = unchanged)
  /// Field-wise equality.
  friend bool operator==(const equalizer_band&, const equalizer_band&) = default;
};

/// Vocal elimination by band filtering.
struct karaoke_filter {
  std::optional<double> level;         ///< effect level, 0..1
  std::optional<double> mono_level;    ///< mono level, 0..1
  std::optional<double> filter_band;   ///< filter band in Hz
  std::optional<double> filter_width;  ///< filter width
  /// Field-wise equality.
  friend bool operator==(const karaoke_filter&, const karaoke_filter&) = default;
};

/// Speed, pitch and rate changes.
struct timescale_filter {
  std::optional<double> speed;  ///< playback speed, >= 0
  std::optional<double> pitch;  ///< pitch, >= 0
  std::optional<double> rate;   ///< rate, >= 0
  /// Field-wise equality.
  friend bool operator==(const timescale_filter&, const timescale_filter&) = default;
};

/// Volume oscillation (tremolo) or pitch oscillation (vibrato).
struct oscillation_filter {
  std::optional<double> frequency;  ///< oscillation frequency in Hz, > 0
  std::optional<double> depth;      ///< depth, 0 < depth <= 1
  /// Field-wise equality.
  friend bool operator==(const oscillation_filter&, const oscillation_filter&) = default;
};

/// Audio panning around the listener.
struct rotation_filter {
  std::optional<double> rotation_hz;  ///< rotation frequency in Hz
  /// Field-wise equality.
  friend bool operator==(const rotation_filter&, const rotation_filter&) = default;
};

/// Distortion by trigonometric functions.
struct distortion_filter {
  std::optional<double> sin_offset;  ///< sine offset
  std::optional<double> sin_scale;   ///< sine scale
  std::optional<double> cos_offset;  ///< cosine offset
  std::optional<double> cos_scale;   ///< cosine scale
  std::optional<double> tan_offset;  ///< tangent offset
  std::optional<double> tan_scale;   ///< tangent scale
  std::optional<double> offset;      ///< offset
  std::optional<double> scale;       ///< scale
  /// Field-wise equality.
  friend bool operator==(const distortion_filter&, const distortion_filter&) = default;
};

/// Mixes the left and right channels.
struct channel_mix_filter {
  std::optional<double> left_to_left;    ///< left into left, 0..1
  std::optional<double> left_to_right;   ///< left into right, 0..1
  std::optional<double> right_to_left;   ///< right into left, 0..1
  std::optional<double> right_to_right;  ///< right into right, 0..1
  /// Field-wise equality.
  friend bool operator==(const channel_mix_filter&, const channel_mix_filter&) = default;
};

/// Suppresses high frequencies.
struct low_pass_filter {
  std::optional<double> smoothing;  ///< smoothing, > 1 to take effect
  /// Field-wise equality.
  friend bool operator==(const low_pass_filter&, const low_pass_filter&) = default;
};

/// The complete filter set of a player. Sending it replaces every filter.
struct filters {
  std::optional<double> volume;                        ///< filter volume, 0..5 (1 = unchanged)
  std::optional<std::vector<equalizer_band>> equalizer; ///< equalizer bands
  std::optional<karaoke_filter> karaoke;               ///< karaoke
  std::optional<timescale_filter> timescale;           ///< timescale
  std::optional<oscillation_filter> tremolo;           ///< tremolo
  std::optional<oscillation_filter> vibrato;           ///< vibrato
  std::optional<rotation_filter> rotation;             ///< rotation
  std::optional<distortion_filter> distortion;         ///< distortion
  std::optional<channel_mix_filter> channel_mix;       ///< channel mix
  std::optional<low_pass_filter> low_pass;             ///< low pass
  /// Plugin filters as raw JSON object text keyed by plugin name; empty = none.
  std::string plugin_filters;
  /// Field-wise equality.
  friend bool operator==(const filters&, const filters&) = default;
};

}  // namespace musicbot::lavalink
