// SPDX-License-Identifier: MIT
//
// What each encoder accepts, checked before any encoding (issue 10 item 7): a bad crf, gop,
// preset or frame size is a config error (exit 3) up front, not a late "cannot open the encoder".
#pragma once

#include <optional>

#include <opencv2/core/types.hpp>

#include "rcls/video/video_writer.hpp"

namespace rcls::video {

/// Checks `settings` against what its codec accepts, before any encoding: crf range per codec
/// (h264 0-51, av1 0-63, mpeg4 quantiser 1-31), gop 1-100000, the codec's preset names, and, when
/// `size` is given, the frame size per codec (h264 2-16384, av1 64-16384, mpeg4 2-8190 a side;
/// even for yuv420p). Throws ConfigError (exit 3) naming the setting and what is valid.
void check_encoder_settings(const EncoderSettings& settings, std::optional<cv::Size> size);

}  // namespace rcls::video
