// SPDX-License-Identifier: MIT
//
// rcls's own geometric + colour augmentation for `rcls train` (not LeRobot's ImageTransforms; kept
// in rcls's own files, never in files LeRobot parses). Measured in
// ../shared/docs/reward_quality_notes.md: augmentation that moves the image decided held-out
// quality without pretrained weights. Per sample: a random resized crop (area and aspect ranges)
// plus a random translation, sampled with one affine grid (bilinear, reflection padding), then
// brightness, contrast and saturation factors in [1 - x, 1 + x] and a per-channel gain in
// [1 - gain, 1 + gain].
#pragma once

namespace rcls::config {

/// rcls's geometric augmentation (`augment` in rcls's own train settings).
struct GeometricAugmentConfig {
    bool enable = false;
    double crop_area_min = 0.75;  ///< Smallest crop, as a fraction of the image area.
    double crop_area_max = 1.0;   ///< Largest crop, as a fraction of the image area.
    double aspect_min = 0.9;      ///< Smallest crop aspect ratio (width / height).
    double aspect_max = 1.1;      ///< Largest crop aspect ratio (width / height).
    double translate = 0.04;      ///< Largest shift, as a fraction of the width / height.
    double brightness = 0.3;      ///< Brightness factor drawn in [1 - x, 1 + x].
    double contrast = 0.3;        ///< Contrast factor drawn in [1 - x, 1 + x].
    double saturation = 0.3;      ///< Saturation factor drawn in [1 - x, 1 + x].
    double gain = 0.10;           ///< Per-channel gain drawn in [1 - x, 1 + x].

    template <class V>
    void visit(V& v) {
        v.field("enable", enable, "Apply rcls's geometric + colour augmentation while training");
        v.field("crop_area_min", crop_area_min, "Smallest random crop, fraction of the area");
        v.field("crop_area_max", crop_area_max, "Largest random crop, fraction of the area");
        v.field("aspect_min", aspect_min, "Smallest crop aspect ratio (width / height)");
        v.field("aspect_max", aspect_max, "Largest crop aspect ratio (width / height)");
        v.field("translate", translate, "Largest random shift, fraction of width / height");
        v.field("brightness", brightness, "Brightness factor range 1 +- x");
        v.field("contrast", contrast, "Contrast factor range 1 +- x");
        v.field("saturation", saturation, "Saturation factor range 1 +- x");
        v.field("gain", gain, "Per-channel gain range 1 +- x");
        // Written so that NaN fails every check (comparisons with NaN are false).
        v.require("crop_area_min", crop_area_min > 0.0 && crop_area_min <= 1.0,
                  "must be in (0, 1]");
        v.require("crop_area_max", crop_area_max >= crop_area_min && crop_area_max <= 1.0,
                  "must be in [crop_area_min, 1]");
        v.require("aspect_min", aspect_min >= 0.25 && aspect_min <= 4.0, "must be in [0.25, 4]");
        v.require("aspect_max", aspect_max >= aspect_min && aspect_max <= 4.0,
                  "must be in [aspect_min, 4]");
        v.require("translate", translate >= 0.0 && translate <= 0.5, "must be in [0, 0.5]");
        v.require("brightness", brightness >= 0.0 && brightness < 1.0, "must be in [0, 1)");
        v.require("contrast", contrast >= 0.0 && contrast < 1.0, "must be in [0, 1)");
        v.require("saturation", saturation >= 0.0 && saturation < 1.0, "must be in [0, 1)");
        v.require("gain", gain >= 0.0 && gain < 1.0, "must be in [0, 1)");
    }
};

}  // namespace rcls::config
