// SPDX-License-Identifier: MIT
#include "rcls/model/image_transforms.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "rcls/core/error.hpp"

namespace rcls::model {

namespace {

using Kind = ImageTransforms::Op::Kind;

/// A per-sample factor [B] as [B, 1, 1, 1], in the image's dtype.
torch::Tensor per_sample(const torch::Tensor& factor, const torch::Tensor& img) {
    return factor.to(img.dtype()).view({-1, 1, 1, 1});
}

/// torchvision's _blend for float images: (f·a + (1 - f)·b) clamped to [0, 1]. Written as
/// addcmul on a's shape: a broadcast add of b over the channel dimension takes libtorch's slow
/// path.
torch::Tensor blend(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& f) {
    return torch::addcmul(b * (1.0 - f), a, f).clamp_(0.0, 1.0);
}

/// `n` values uniform in [lo, hi) drawn from `gen`.
torch::Tensor uniform(std::int64_t n, double lo, double hi, torch::Generator& gen) {
    return torch::empty({n}, torch::kFloat64).uniform_(lo, hi, gen);
}

const char* kind_name(Kind kind) {
    switch (kind) {
        case Kind::Brightness:
            return "brightness";
        case Kind::Contrast:
            return "contrast";
        case Kind::Saturation:
            return "saturation";
        case Kind::Hue:
            return "hue";
        case Kind::Sharpness:
            return "sharpness";
        case Kind::Affine:
            return "affine degrees";
    }
    return "?";
}

torch::Tensor apply_kind(Kind kind, const torch::Tensor& img, const torch::Tensor& factor) {
    switch (kind) {
        case Kind::Brightness:
            return color::adjust_brightness(img, factor);
        case Kind::Contrast:
            return color::adjust_contrast(img, factor);
        case Kind::Saturation:
            return color::adjust_saturation(img, factor);
        case Kind::Hue:
            return color::adjust_hue(img, factor);
        case Kind::Sharpness:
            return color::adjust_sharpness(img, factor);
        case Kind::Affine:
            break;  // its parameters are drawn and applied in apply_op
    }
    return img;
}

std::string where(const std::string& name) {
    return "dataset.image_transforms.tfs." + name;
}

/// Resolves one `tfs` entry as torchvision's ColorJitter / LeRobot's SharpnessJitter check it.
ImageTransforms::Op resolve(const std::string& name, const config::ImageTransformConfig& tf) {
    ImageTransforms::Op op;
    op.name = name;
    op.weight = tf.weight;
    auto range_of = [&](const std::string& key) -> const std::vector<double>* {
        const auto* r = dict_find(tf.kwargs, key);
        if (r != nullptr && (r->size() != 2 || !((*r)[0] <= (*r)[1]))) {
            throw ConfigError(where(name) + ".kwargs." + key +
                              ": must be a [min, max] range with min <= max");
        }
        return r;
    };
    if (tf.type == "ColorJitter") {
        for (const auto& [key, value] : tf.kwargs) {
            if (key != "brightness" && key != "contrast" && key != "saturation" && key != "hue") {
                throw ConfigError(where(name) + ".kwargs." + key +
                                  ": ColorJitter takes brightness, contrast, saturation and hue");
            }
            (void)value;
        }
        // torchvision's order (fn_idx indexes brightness, contrast, saturation, hue).
        const std::pair<const char*, Kind> keys[] = {{"brightness", Kind::Brightness},
                                                     {"contrast", Kind::Contrast},
                                                     {"saturation", Kind::Saturation},
                                                     {"hue", Kind::Hue}};
        for (const auto& [key, kind] : keys) {
            const auto* r = range_of(key);
            if (r == nullptr) continue;
            const double lo = (*r)[0], hi = (*r)[1];
            if (kind == Kind::Hue) {
                if (!(lo >= -0.5 && hi <= 0.5)) {
                    throw ConfigError(where(name) + ".kwargs.hue: must lie within [-0.5, 0.5]");
                }
                if (lo == 0.0 && hi == 0.0) continue;  // torchvision: None, never applied
            } else {
                if (!(lo >= 0.0 && std::isfinite(hi))) {
                    throw ConfigError(where(name) + ".kwargs." + key +
                                      ": factors must be finite and not negative");
                }
                if (lo == 1.0 && hi == 1.0) continue;  // torchvision: None, never applied
            }
            op.kinds.push_back(kind);
            op.ranges.emplace_back(lo, hi);
        }
    } else if (tf.type == "SharpnessJitter") {
        for (const auto& [key, value] : tf.kwargs) {
            if (key != "sharpness") {
                throw ConfigError(where(name) + ".kwargs." + key +
                                  ": SharpnessJitter takes only sharpness");
            }
            (void)value;
        }
        const auto* r = range_of("sharpness");
        if (r == nullptr) {
            throw ConfigError(where(name) + ".kwargs: SharpnessJitter needs sharpness: [min, max]");
        }
        if (!((*r)[0] >= 0.0 && std::isfinite((*r)[1]))) {
            throw ConfigError(where(name) +
                              ".kwargs.sharpness: factors must be finite and not negative");
        }
        op.kinds.push_back(Kind::Sharpness);
        op.ranges.emplace_back((*r)[0], (*r)[1]);
    } else if (tf.type == "RandomAffine") {
        for (const auto& [key, value] : tf.kwargs) {
            if (key != "degrees" && key != "translate" && key != "scale") {
                throw ConfigError(where(name) + ".kwargs." + key +
                                  ": rcls's RandomAffine takes degrees, translate and scale");
            }
            (void)value;
        }
        const auto* degrees = range_of("degrees");
        if (degrees == nullptr) {
            throw ConfigError(where(name) + ".kwargs: RandomAffine needs degrees: [min, max]");
        }
        if (!(std::isfinite((*degrees)[0]) && std::isfinite((*degrees)[1]))) {
            throw ConfigError(where(name) + ".kwargs.degrees: must be finite");
        }
        op.kinds.push_back(Kind::Affine);
        op.ranges.emplace_back((*degrees)[0], (*degrees)[1]);
        // translate is (max x fraction, max y fraction), not a range (torchvision).
        if (const auto* t = dict_find(tf.kwargs, "translate"); t != nullptr) {
            if (t->size() != 2 ||
                !((*t)[0] >= 0.0 && (*t)[0] <= 1.0 && (*t)[1] >= 0.0 && (*t)[1] <= 1.0)) {
                throw ConfigError(where(name) +
                                  ".kwargs.translate: must be [x, y] fractions in [0, 1]");
            }
            op.translate = {(*t)[0], (*t)[1]};
        }
        if (const auto* sc = range_of("scale"); sc != nullptr) {
            if (!((*sc)[0] > 0.0 && std::isfinite((*sc)[1]))) {
                throw ConfigError(where(name) + ".kwargs.scale: must be positive and finite");
            }
            op.scale = {(*sc)[0], (*sc)[1]};
        }
    } else {
        throw ConfigError(where(name) + ".type: unknown transform '" + tf.type +
                          "' (ColorJitter or SharpnessJitter)");
    }
    return op;
}

/// Applies `op` to the samples `idx` of `x` (in place on x), drawing their factors from `gen`.
void apply_op(const ImageTransforms::Op& op,
              torch::Tensor& x,
              const torch::Tensor& idx,
              torch::Generator& gen) {
    const std::int64_t n = idx.size(0);
    if (n == 0 || op.kinds.empty()) return;
    auto sub = x.index_select(0, idx);
    // torchvision's ColorJitter draws the order, then each factor.
    torch::Tensor order;
    if (op.kinds.size() > 1) {
        order = torch::rand({n, static_cast<std::int64_t>(op.kinds.size())}, gen)
                    .argsort(/*dim=*/static_cast<std::int64_t>(1), /*descending=*/false);
    }
    std::vector<torch::Tensor> factors;
    for (const auto& [lo, hi] : op.ranges)
        factors.push_back(uniform(n, lo, hi, gen));
    if (op.kinds[0] == Kind::Affine) {
        // torchvision's RandomAffine draws angle, then translation (rounded to whole pixels),
        // then scale.
        const double max_dx = op.translate.first * static_cast<double>(x.size(3));
        const double max_dy = op.translate.second * static_cast<double>(x.size(2));
        auto tx = uniform(n, -max_dx, max_dx, gen).round();
        auto ty = uniform(n, -max_dy, max_dy, gen).round();
        auto scale = uniform(n, op.scale.first, op.scale.second, gen);
        sub = affine_nearest(sub, factors[0], tx, ty, scale);
    } else if (op.kinds.size() == 1) {
        sub = apply_kind(op.kinds[0], sub, factors[0]);
    } else {
        for (std::int64_t pos = 0; pos < static_cast<std::int64_t>(op.kinds.size()); ++pos) {
            auto at_pos = order.select(1, pos);
            for (std::size_t k = 0; k < op.kinds.size(); ++k) {
                auto rows = (at_pos == static_cast<std::int64_t>(k)).nonzero().flatten();
                if (rows.size(0) == 0) continue;
                auto part = apply_kind(op.kinds[k], sub.index_select(0, rows),
                                       factors[k].index_select(0, rows));
                sub.index_copy_(0, rows, part);
            }
        }
    }
    x.index_copy_(0, idx, sub);
}

}  // namespace

namespace color {

torch::Tensor rgb_to_grayscale(const torch::Tensor& img) {
    auto r = img.select(-3, 0), g = img.select(-3, 1), b = img.select(-3, 2);
    return (r * 0.2989 + g * 0.587 + b * 0.114).unsqueeze(-3);
}

torch::Tensor adjust_brightness(const torch::Tensor& img, const torch::Tensor& factor) {
    return (img * per_sample(factor, img)).clamp_(0.0, 1.0);
}

torch::Tensor adjust_contrast(const torch::Tensor& img, const torch::Tensor& factor) {
    auto mean = rgb_to_grayscale(img).mean({-3, -2, -1}, /*keepdim=*/true);
    return blend(img, mean, per_sample(factor, img));
}

torch::Tensor adjust_saturation(const torch::Tensor& img, const torch::Tensor& factor) {
    return blend(img, rgb_to_grayscale(img), per_sample(factor, img));
}

torch::Tensor adjust_hue(const torch::Tensor& img, const torch::Tensor& factor) {
    // torchvision's _rgb2hsv, on [B, H, W] planes.
    auto r = img.select(1, 0), g = img.select(1, 1), b = img.select(1, 2);
    auto maxc = torch::maximum(torch::maximum(r, g), b);
    auto minc = torch::minimum(torch::minimum(r, g), b);
    auto eqc = maxc == minc;
    auto cr = maxc - minc;
    auto ones = torch::ones_like(maxc);
    auto s = cr / torch::where(eqc, ones, maxc);
    auto cr_divisor = torch::where(eqc, ones, cr);
    auto rc = (maxc - r) / cr_divisor;
    auto gc = (maxc - g) / cr_divisor;
    auto bc = (maxc - b) / cr_divisor;
    auto is_r = maxc == r;
    auto is_g = (maxc == g).logical_and_(is_r.logical_not());
    // hr for max = r, hg for max = g (not r), hb otherwise: exactly one term is non-zero.
    auto h = torch::where(is_r, bc - gc, torch::where(is_g, 2.0 + rc - bc, 4.0 + gc - rc));
    // fmod(h / 6 + 1, 1) with h / 6 + 1 in [5/6, 11/6], then Python's (h + hue_factor) % 1.0 with
    // the sum in [-0.5, 1.5): the same values by subtracting or adding 1 (exact in float), without
    // libtorch's scalar fmod / remainder loops.
    h = h.div_(6.0).add_(1.0);
    h.sub_(h.ge(1.0).to(h.dtype()));
    h.add_(factor.to(img.dtype()).view({-1, 1, 1}));
    h.add_(h.lt(0.0).to(h.dtype())).sub_(h.ge(1.0).to(h.dtype()));
    // torchvision's _hsv2rgb picks v, q, p, p, t, v (red), t, v, v, q, p, p (green) and
    // p, p, t, v, v, q (blue) by sector floor(6h); the same piecewise-linear function per channel
    // n (5 red, 3 green, 1 blue) is v·(1 - s·clamp(min(k, 4 - k), 0, 1)), k = (6h + n) mod 6.
    const auto& v = maxc;
    auto h6 = h * 6.0;
    auto vs = v * s;
    auto channel = [&](double n) {
        auto k = h6 + n;  // in [1, 12): mod 6 by subtracting 6 once
        k.sub_(k.ge(6.0).to(k.dtype()), 6.0);
        auto w = torch::minimum(k, 4.0 - k).clamp_(0.0, 1.0);
        return (v - vs * w).clamp_(0.0, 1.0);
    };
    return torch::stack({channel(5.0), channel(3.0), channel(1.0)}, 1);
}

torch::Tensor adjust_sharpness(const torch::Tensor& img, const torch::Tensor& factor) {
    const auto h = img.size(-2), w = img.size(-1);
    if (img.numel() == 0 || h <= 2 || w <= 2) return img;
    // torchvision's 3x3 kernel (1 around, 5 in the middle, over 13) on the interior, as a
    // separable 3x3 box sum plus 4 x the centre: a grouped conv2d is ten times slower here.
    auto rows = img.narrow(-1, 0, w - 2) + img.narrow(-1, 1, w - 2) + img.narrow(-1, 2, w - 2);
    auto box = rows.narrow(-2, 0, h - 2) + rows.narrow(-2, 1, h - 2) + rows.narrow(-2, 2, h - 2);
    auto out = img.clone();
    auto view = out.narrow(-2, 1, h - 2).narrow(-1, 1, w - 2);
    auto blurred = box.add_(view, 4.0).div_(13.0);
    // x + (1 - f)·(blur - x), as torchvision's adjust_sharpness.
    view.addcmul_(blurred.sub_(view), 1.0 - per_sample(factor, img));
    return out.clamp_(0.0, 1.0);
}

}  // namespace color

torch::Tensor affine_nearest(const torch::Tensor& img,
                             const torch::Tensor& angle,
                             const torch::Tensor& tx,
                             const torch::Tensor& ty,
                             const torch::Tensor& scale) {
    const auto n = img.size(0), h = img.size(2), w = img.size(3);
    // torchvision's _get_inverse_affine_matrix (centre 0, shear 0) with -angle, as F.affine passes
    // it for tensors: [d, -b, 0, -c, a, 0] / scale with a = d = cos, b = -sin, c = sin, then the
    // inverse translation.
    constexpr double kPi = 3.14159265358979323846;
    auto rot = -angle.to(torch::kFloat64) * (kPi / 180.0);
    auto s = scale.to(torch::kFloat64);
    auto m0 = rot.cos() / s, m1 = rot.sin() / s;
    auto m3 = -rot.sin() / s, m4 = rot.cos() / s;
    auto dx = -tx.to(torch::kFloat64), dy = -ty.to(torch::kFloat64);
    auto m2 = m0 * dx + m1 * dy;
    auto m5 = m3 * dx + m4 * dy;
    auto theta = torch::stack({m0, m1, m2, m3, m4, m5}, 1).to(torch::kFloat32).view({n, 2, 3});
    // torchvision's _gen_affine_grid: pixel centres relative to the image centre, times
    // theta^T / (w / 2, h / 2).
    auto base = torch::empty({1, h, w, 3}, torch::kFloat32);
    base.select(3, 0).copy_(torch::linspace(-static_cast<double>(w) * 0.5 + 0.5,
                                            static_cast<double>(w) * 0.5 + 0.5 - 1, w,
                                            torch::kFloat32));
    base.select(3, 1).copy_(torch::linspace(-static_cast<double>(h) * 0.5 + 0.5,
                                            static_cast<double>(h) * 0.5 + 0.5 - 1, h,
                                            torch::kFloat32)
                                .unsqueeze(-1));
    base.select(3, 2).fill_(1.0);
    auto rescaled = theta.transpose(1, 2) /
                    torch::tensor({0.5f * static_cast<float>(w), 0.5f * static_cast<float>(h)});
    auto grid = base.view({1, h * w, 3}).expand({n, h * w, 3}).bmm(rescaled).view({n, h, w, 2});
    // interpolation 1: nearest; padding 0: zeros (torchvision's fill 0).
    return torch::grid_sampler(img.to(torch::kFloat32), grid, 1, 0, /*align_corners=*/false);
}

torch::Tensor affine_crop(const torch::Tensor& img,
                          const torch::Tensor& scale_x,
                          const torch::Tensor& scale_y,
                          const torch::Tensor& shift_x,
                          const torch::Tensor& shift_y) {
    const auto n = img.size(0), h = img.size(2), w = img.size(3);
    auto opts = img.options();
    // affine_grid's grid for a diagonal theta, built per axis (affine_grid's batched matmul over
    // every pixel costs more than the sampling): pixel centres of the output in [-1, 1]
    // (align_corners false), scaled and shifted per sample.
    auto centres = [&](std::int64_t size) {
        const double step = 2.0 / static_cast<double>(size);
        return torch::arange(size, opts).mul_(step).add_(step / 2.0 - 1.0);
    };
    auto gx = scale_x.to(opts).view({n, 1}) * centres(w).view({1, w}) +
              2.0 * shift_x.to(opts).view({n, 1});  // [n, w]
    auto gy = scale_y.to(opts).view({n, 1}) * centres(h).view({1, h}) +
              2.0 * shift_y.to(opts).view({n, 1});  // [n, h]
    auto grid = torch::stack(
        {gx.view({n, 1, w}).expand({n, h, w}), gy.view({n, h, 1}).expand({n, h, w})}, 3);
    // interpolation 0: bilinear; padding 2: reflection.
    return torch::grid_sampler(img, grid, 0, 2, /*align_corners=*/false).clamp_(0.0, 1.0);
}

ImageTransforms::ImageTransforms(const config::ImageTransformsConfig& lerobot,
                                 const config::GeometricAugmentConfig& geometric)
    : lerobot_enable_(lerobot.enable),
      max_num_transforms_(lerobot.max_num_transforms),
      random_order_(lerobot.random_order),
      geometric_(geometric) {
    if (lerobot.max_num_transforms < 1) {
        throw ConfigError("dataset.image_transforms.max_num_transforms: must be at least 1");
    }
    for (const auto& [name, tf] : lerobot.tfs) {
        if (!(tf.weight >= 0.0) || !std::isfinite(tf.weight)) {
            throw ConfigError(where(name) + ".weight: must be a finite number >= 0");
        }
        if (tf.weight <= 0.0) continue;  // LeRobot skips these before anything else
        ops_.push_back(resolve(name, tf));
    }
    active_ = config::augments(lerobot, geometric);
}

bool ImageTransforms::active() const {
    return active_;
}

std::string ImageTransforms::describe() const {
    std::ostringstream out;
    bool any = false;
    if (geometric_.enable) {
        const auto& g = geometric_;
        out << "geometric crop area " << g.crop_area_min << "-" << g.crop_area_max << " aspect "
            << g.aspect_min << "-" << g.aspect_max << " translate +-" << g.translate
            << " (bilinear, reflection), brightness/contrast/saturation +-" << g.brightness << "/"
            << g.contrast << "/" << g.saturation << ", gain +-" << g.gain;
        any = true;
    }
    if (lerobot_enable_ && !ops_.empty()) {
        if (any) out << " + ";
        out << "LeRobot ImageTransforms: "
            << std::min<std::size_t>(ops_.size(), max_num_transforms_) << " of " << ops_.size()
            << " by weight, " << (random_order_ ? "random order" : "config order") << " [";
        for (std::size_t i = 0; i < ops_.size(); ++i) {
            const auto& op = ops_[i];
            out << (i ? ", " : "") << op.name << " w" << op.weight;
            for (std::size_t k = 0; k < op.kinds.size(); ++k) {
                out << " " << kind_name(op.kinds[k]) << " " << op.ranges[k].first << ".."
                    << op.ranges[k].second;
                if (op.kinds[k] == Kind::Affine) {
                    out << " translate " << op.translate.first << "," << op.translate.second
                        << " scale " << op.scale.first << ".." << op.scale.second;
                }
            }
        }
        out << "]";
        any = true;
    }
    if (!any) out << "no augmentation";
    return out.str();
}

torch::Tensor ImageTransforms::operator()(const torch::Tensor& images,
                                          torch::Generator& gen) const {
    if (images.dim() != 4 || images.size(1) != 3 || !images.is_floating_point()) {
        std::ostringstream got;
        got << images.sizes() << " " << images.dtype();
        throw ModelError("ImageTransforms: expected float images [B, 3, H, W] in [0, 1], got " +
                         got.str() + " (convert uint8 frames with / 255 first)");
    }
    if (!active() || images.size(0) == 0) return images;
    auto x = images.to(torch::kFloat32);
    if (geometric_.enable) x = apply_geometric(x, gen);
    if (lerobot_enable_ && !ops_.empty()) x = apply_lerobot(x, gen);
    return x;
}

torch::Tensor ImageTransforms::apply_geometric(const torch::Tensor& x,
                                               torch::Generator& gen) const {
    const auto& g = geometric_;
    const auto n = x.size(0);
    // Random resized crop: area uniform, aspect log-uniform (as torchvision's RandomResizedCrop).
    auto area = uniform(n, g.crop_area_min, g.crop_area_max, gen);
    auto aspect = uniform(n, std::log(g.aspect_min), std::log(g.aspect_max), gen).exp();
    auto sx = (area * aspect).sqrt().clamp_max(1.0);
    auto sy = (area / aspect).sqrt().clamp_max(1.0);
    // Crop centre anywhere the crop fits inside the image, as a fraction from the centre.
    auto cx = (uniform(n, 0.0, 1.0, gen) - 0.5) * (1.0 - sx);
    auto cy = (uniform(n, 0.0, 1.0, gen) - 0.5) * (1.0 - sy);
    // Translation of the content (positive: right / down) moves the sampling point the other way.
    auto tx = uniform(n, -g.translate, g.translate, gen);
    auto ty = uniform(n, -g.translate, g.translate, gen);
    auto out = affine_crop(x, sx, sy, cx - tx, cy - ty);
    auto brightness = uniform(n, 1.0 - g.brightness, 1.0 + g.brightness, gen);
    auto contrast = uniform(n, 1.0 - g.contrast, 1.0 + g.contrast, gen);
    auto saturation = uniform(n, 1.0 - g.saturation, 1.0 + g.saturation, gen);
    auto gain = torch::empty({n, 3}, torch::kFloat64).uniform_(1.0 - g.gain, 1.0 + g.gain, gen);
    out = color::adjust_brightness(out, brightness);
    out = color::adjust_contrast(out, contrast);
    out = color::adjust_saturation(out, saturation);
    return (out * gain.to(out.dtype()).view({n, 3, 1, 1})).clamp_(0.0, 1.0);
}

torch::Tensor ImageTransforms::apply_lerobot(torch::Tensor x, torch::Generator& gen) const {
    const auto n = x.size(0);
    const auto k = static_cast<std::int64_t>(ops_.size());
    const auto n_subset = std::min<std::int64_t>(k, max_num_transforms_);
    std::vector<double> weights;
    for (const auto& op : ops_)
        weights.push_back(op.weight);
    auto p = torch::tensor(weights, torch::kFloat64);
    p = (p / p.sum()).unsqueeze(0).expand({n, k}).contiguous();
    // Each sample: n_subset transforms by weight without replacement (RandomSubsetApply).
    auto selected = torch::multinomial(p, n_subset, /*replacement=*/false, gen);  // [n, n_subset]
    x = x.clone();
    if (!random_order_) {
        // Sorted indices: the drawn transforms run in config order.
        auto chosen = torch::zeros({n, k}, torch::kBool);
        chosen.scatter_(1, selected, true);
        for (std::int64_t op = 0; op < k; ++op) {
            auto idx = chosen.select(1, op).nonzero().flatten();
            apply_op(ops_[static_cast<std::size_t>(op)], x, idx, gen);
        }
    } else {
        // In the order drawn.
        for (std::int64_t pos = 0; pos < n_subset; ++pos) {
            auto at_pos = selected.select(1, pos);
            for (std::int64_t op = 0; op < k; ++op) {
                auto idx = (at_pos == op).nonzero().flatten();
                apply_op(ops_[static_cast<std::size_t>(op)], x, idx, gen);
            }
        }
    }
    return x;
}

}  // namespace rcls::model
