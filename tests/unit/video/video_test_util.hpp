// SPDX-License-Identifier: MIT
//
// Synthetic frames for the video tests: smooth gradients and a moving soft disc, so that lossy
// codecs reach a predictable quality.
#pragma once

#include <opencv2/core/mat.hpp>

namespace rcls::video {

/// Frame `index` of a small synthetic clip, RGB.
cv::Mat synthetic_frame(int width, int height, int index);

}  // namespace rcls::video
