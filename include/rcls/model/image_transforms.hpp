// SPDX-License-Identifier: MIT
//
// Training-time image augmentation on whole batches:
// - LeRobot's ImageTransforms (lerobot_formats.md §3.4; lerobot/datasets/transforms.py): per
//   sample, min(#tfs, max_num_transforms) transforms drawn by weight without replacement, run in
//   config order unless random_order; ColorJitter (brightness, contrast, saturation, hue) and
//   SharpnessJitter with torchvision v2's functional semantics on float images (adjust_brightness,
//   adjust_contrast with the grayscale mean per image, adjust_saturation, adjust_hue through HSV,
//   adjust_sharpness with the 3x3 smoothing kernel), each result clamped to [0, 1]; RandomAffine
//   (degrees, translate, scale) as torchvision's: angle and scale uniform, whole-pixel
//   translation, nearest interpolation, fill 0.
// - rcls's geometric augmentation (config::GeometricAugmentConfig), applied first when enabled:
//   random resized crop + translation as one affine grid_sample over the batch (bilinear,
//   reflection padding), then brightness, contrast, saturation and a per-channel gain.
// Every op runs on the whole batch with per-sample parameter tensors; every sample draws its own
// parameters from the generator it is given.
//
// This header includes libtorch: only the model, train and eval modules may include it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include "rcls/config/augment_config.hpp"
#include "rcls/config/train_config.hpp"

namespace rcls::model {

/// rcls's geometric part (when enabled) followed by LeRobot's ImageTransforms (when enabled).
class ImageTransforms {
public:
    /// Checks and keeps both configs. Throws ConfigError for a transform type or argument it does
    /// not implement (RandomAffine's shear, an unknown ColorJitter argument, hue outside [-0.5,
    /// 0.5], a negative factor).
    ImageTransforms(const config::ImageTransformsConfig& lerobot,
                    const config::GeometricAugmentConfig& geometric);

    /// images: float32 [B, 3, H, W] in [0, 1] (before ImageNet normalisation). Returns the same
    /// shape, values in [0, 1]. Every sample draws its own parameters from `gen`; deterministic
    /// given gen's state; const, so one instance may serve several threads (each with its own
    /// generator).
    torch::Tensor operator()(const torch::Tensor& images, torch::Generator& gen) const;

    /// False when nothing would change the images (both parts disabled or without transforms).
    bool active() const;

    /// One line for the log, e.g. "LeRobot ColorJitter x4 (max 3, weighted) + geometric crop ...".
    std::string describe() const;

    /// One LeRobot transform, resolved from its config entry.
    struct Op {
        enum class Kind { Brightness, Contrast, Saturation, Hue, Sharpness, Affine };
        std::string name;     ///< The key in `tfs`.
        double weight = 1.0;  ///< Relative chance of being drawn.
        /// ColorJitter arguments present in the entry (one entry may carry several), in
        /// torchvision's order brightness, contrast, saturation, hue; each with its [min, max].
        std::vector<Kind> kinds;
        std::vector<std::pair<double, double>> ranges;  ///< Affine: degrees.
        std::pair<double, double> translate{0.0, 0.0};  ///< Affine: max shift fractions (x, y).
        std::pair<double, double> scale{1.0, 1.0};      ///< Affine: scale range.
    };

private:
    torch::Tensor apply_lerobot(torch::Tensor x, torch::Generator& gen) const;
    torch::Tensor apply_geometric(const torch::Tensor& x, torch::Generator& gen) const;

    bool lerobot_enable_ = false;
    int max_num_transforms_ = 3;
    bool random_order_ = false;
    std::vector<Op> ops_;  ///< In `tfs` order.
    config::GeometricAugmentConfig geometric_;
    bool active_ = false;  ///< config::augments() of the configs.
};

/// torchvision's functional colour ops on float [B, 3, H, W] images in [0, 1], with one factor
/// per sample (`factor`: float [B]). Exposed for the tests against torchvision's formulas.
namespace color {
torch::Tensor adjust_brightness(const torch::Tensor& img, const torch::Tensor& factor);
torch::Tensor adjust_contrast(const torch::Tensor& img, const torch::Tensor& factor);
torch::Tensor adjust_saturation(const torch::Tensor& img, const torch::Tensor& factor);
torch::Tensor adjust_hue(const torch::Tensor& img, const torch::Tensor& factor);
torch::Tensor adjust_sharpness(const torch::Tensor& img, const torch::Tensor& factor);
/// torchvision's rgb_to_grayscale (0.2989 R + 0.587 G + 0.114 B), [B, 1, H, W].
torch::Tensor rgb_to_grayscale(const torch::Tensor& img);
}  // namespace color

/// torchvision's affine on float images for per-sample parameters (float [B] each): rotation by
/// `angle` degrees about the centre, whole-pixel translation (tx, ty), `scale`; nearest
/// interpolation, outside filled with 0 (torchvision's F.affine on tensors). For RandomAffine.
torch::Tensor affine_nearest(const torch::Tensor& img,
                             const torch::Tensor& angle,
                             const torch::Tensor& tx,
                             const torch::Tensor& ty,
                             const torch::Tensor& scale);

/// The geometric crop + translation for given per-sample parameters (float [B] each), as one
/// affine grid_sample (bilinear, reflection padding, align_corners false): output pixel (u, v)
/// in normalised [-1, 1] coordinates samples the input at (scale_x·u + 2·shift_x,
/// scale_y·v + 2·shift_y). scale_*: crop width / height as fractions of the image; shift_*: where
/// the output's centre samples the input, as a fraction of the width / height from the centre
/// (content moves left / up for positive shifts). scale 1 and shift 0 give the input back.
torch::Tensor affine_crop(const torch::Tensor& img,
                          const torch::Tensor& scale_x,
                          const torch::Tensor& scale_y,
                          const torch::Tensor& shift_x,
                          const torch::Tensor& shift_y);

}  // namespace rcls::model
