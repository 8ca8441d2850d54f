// SPDX-License-Identifier: MIT
#include "rcls/image/resample.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <optional>

#include "rcls/core/error.hpp"
#include "rcls/core/strings.hpp"

#include "simd.hpp"

namespace rcls::image {
namespace {

// ---- weight tables ------------------------------------------------------------------------------

/// Raw (unnormalised) weights of one output sample, indexed from `first` (may lie outside the
/// input; fold_and_pack() moves those onto the edge pixels).
struct RawTaps {
    std::int64_t first = 0;
    std::vector<double> weights;
};

/// swscale's initFilter() for SWS_LANCZOS with the default parameter 3 (FFmpeg 5.1,
/// libswscale/utils.c), pixel centres aligned (srcPos = dstPos = 128, i.e. the pixel centre). The
/// positions are computed in the same fixed point so that tap windows and distances are identical;
/// the coefficients stay in double instead of being quantised to 14 bits.
std::vector<RawTaps> lanczos_taps(int in_size, int out_size) {
    constexpr double kA = 3.0;      // Lanczos parameter a: SWS_PARAM_DEFAULT
    constexpr int kSizeFactor = 6;  // ceil(2 * a)
    const std::int64_t x_inc =
        ((static_cast<std::int64_t>(in_size) << 16) + (out_size >> 1)) / out_size;
    const bool downscale = x_inc > (1 << 16);
    const int filter_size =
        downscale ? 1 + (kSizeFactor * in_size + out_size - 1) / out_size : 1 + kSizeFactor;
    // Output pixel i sits at input position x_dst_in_src / 2^17 = (i + 0.5) * x_inc / 2^16 - 0.5.
    std::int64_t x_dst_in_src = x_inc - (1 << 16);
    std::vector<RawTaps> taps(static_cast<std::size_t>(out_size));
    for (RawTaps& out : taps) {
        // C division truncates toward zero, as in swscale.
        std::int64_t xx =
            (x_dst_in_src - static_cast<std::int64_t>(filter_size - 2) * (1 << 16)) / (1 << 17);
        out.first = xx;
        out.weights.resize(static_cast<std::size_t>(filter_size));
        for (double& coeff : out.weights) {
            std::int64_t d = std::abs(xx * (1 << 17) - x_dst_in_src) << 13;
            if (downscale) d = d * out_size / in_size;
            const double distance = static_cast<double>(d) * (1.0 / (1 << 30));
            if (d == 0) {
                coeff = 1.0;
            } else if (distance > kA) {
                coeff = 0.0;
            } else {
                const double x = distance * std::numbers::pi;
                coeff = std::sin(x) * std::sin(x / kA) / (x * x / kA);
            }
            ++xx;
        }
        x_dst_in_src += 2 * x_inc;
    }
    return taps;
}

/// torchvision's antialiased bilinear (ATen's _compute_indices_weights_aa, PIL's triangle filter):
/// support scaled by the downscale factor, window clipped to the image and renormalised.
std::vector<RawTaps> bilinear_taps(int in_size, int out_size) {
    const double scale = static_cast<double>(in_size) / out_size;
    const double support = scale >= 1.0 ? scale : 1.0;
    const double inv_scale = scale >= 1.0 ? 1.0 / scale : 1.0;
    std::vector<RawTaps> taps(static_cast<std::size_t>(out_size));
    for (int i = 0; i < out_size; ++i) {
        const double center = scale * (i + 0.5);
        // The reference truncates (x + 0.5) toward zero; rounding here would move the windows.
        // NOLINTBEGIN(bugprone-incorrect-roundings)
        const auto lo = static_cast<std::int64_t>(center - support + 0.5);
        const auto hi = static_cast<std::int64_t>(center + support + 0.5);
        // NOLINTEND(bugprone-incorrect-roundings)
        const auto xmin = std::max<std::int64_t>(lo, 0);
        const auto xmax = std::min<std::int64_t>(hi, in_size);
        RawTaps& out = taps[static_cast<std::size_t>(i)];
        out.first = xmin;
        for (std::int64_t x = xmin; x < xmax; ++x) {
            const double t = std::abs((static_cast<double>(x) - center + 0.5) * inv_scale);
            out.weights.push_back(t < 1.0 ? 1.0 - t : 0.0);
        }
    }
    return taps;
}

/// Box filter: each input pixel [x, x+1) weighted by its overlap with the output pixel's
/// footprint [i * scale, (i + 1) * scale).
std::vector<RawTaps> area_taps(int in_size, int out_size) {
    const double scale = static_cast<double>(in_size) / out_size;
    std::vector<RawTaps> taps(static_cast<std::size_t>(out_size));
    for (int i = 0; i < out_size; ++i) {
        const double lo = i * scale;
        const double hi = std::min<double>((i + 1) * scale, in_size);
        const auto first = static_cast<std::int64_t>(std::floor(lo));
        const auto last = std::min<std::int64_t>(static_cast<std::int64_t>(std::ceil(hi)), in_size);
        RawTaps& out = taps[static_cast<std::size_t>(i)];
        out.first = first;
        for (std::int64_t x = first; x < last; ++x) {
            const double overlap = std::min<double>(hi, static_cast<double>(x + 1)) -
                                   std::max<double>(lo, static_cast<double>(x));
            out.weights.push_back(std::max(overlap, 0.0));
        }
    }
    return taps;
}

/// Moves weights outside [0, in_size) onto the nearest edge pixel (swscale's border handling;
/// a no-op for the other filters, whose windows are clipped already), normalises each output's
/// weights to sum 1, and packs them into windows of one common width that lie inside the image.
AxisWeights fold_and_pack(int in_size, int out_size, const std::vector<RawTaps>& raw) {
    std::vector<std::pair<int, std::vector<double>>> windows;
    windows.reserve(raw.size());
    int taps = 1;
    for (const RawTaps& r : raw) {
        const auto count = static_cast<std::int64_t>(r.weights.size());
        const auto clamp = [&](std::int64_t x) {
            return static_cast<int>(std::clamp<std::int64_t>(x, 0, in_size - 1));
        };
        int lo = clamp(r.first);
        const int hi = clamp(r.first + std::max<std::int64_t>(count, 1) - 1);
        std::vector<double> window(static_cast<std::size_t>(hi - lo + 1), 0.0);
        double sum = 0.0;
        for (std::int64_t k = 0; k < count; ++k) {
            const double weight = r.weights[static_cast<std::size_t>(k)];
            window[static_cast<std::size_t>(clamp(r.first + k) - lo)] += weight;
            sum += weight;
        }
        if (sum == 0.0) {  // cannot happen for these filters; keep the output defined anyway
            window.assign(1, 1.0);
            sum = 1.0;
        }
        // Drop zero weights at both ends (Lanczos windows carry some beyond its support).
        std::size_t first = 0;
        std::size_t last = window.size() - 1;
        while (first < last && window[first] == 0.0) {
            ++first;
        }
        while (last > first && window[last] == 0.0) {
            --last;
        }
        std::vector<double> trimmed(window.begin() + static_cast<std::ptrdiff_t>(first),
                                    window.begin() + static_cast<std::ptrdiff_t>(last) + 1);
        for (double& w : trimmed) {
            w /= sum;
        }
        taps = std::max(taps, static_cast<int>(trimmed.size()));
        windows.emplace_back(lo + static_cast<int>(first), std::move(trimmed));
    }
    AxisWeights out;
    out.in_size = in_size;
    out.out_size = out_size;
    out.taps = taps;
    out.start.resize(static_cast<std::size_t>(out_size));
    out.weights.assign(static_cast<std::size_t>(out_size) * static_cast<std::size_t>(taps), 0.0f);
    for (std::size_t i = 0; i < windows.size(); ++i) {
        const auto& [lo, window] = windows[i];
        // Shift the window left where it would run past the end; the extra taps weigh 0.
        const int start = std::min(lo, in_size - taps);
        out.start[i] = start;
        for (std::size_t k = 0; k < window.size(); ++k) {
            out.weights[i * static_cast<std::size_t>(taps) + static_cast<std::size_t>(lo - start) +
                        k] = static_cast<float>(window[k]);
        }
    }
    return out;
}

AxisWeights identity_weights(int size) {
    AxisWeights out;
    out.in_size = out.out_size = size;
    out.taps = 1;
    out.start.resize(static_cast<std::size_t>(size));
    for (int i = 0; i < size; ++i) {
        out.start[static_cast<std::size_t>(i)] = i;
    }
    out.weights.assign(static_cast<std::size_t>(size), 1.0f);
    return out;
}

// ---- passes
// ---------------------------------------------------------------------------------------

/// Row y of an image with `step` bytes per row.
template <class T>
T* row_at(T* base, std::size_t step, int y) {
    using Byte = std::conditional_t<std::is_const_v<T>, const std::uint8_t, std::uint8_t>;
    return reinterpret_cast<T*>(reinterpret_cast<Byte*>(base) + static_cast<std::size_t>(y) * step);
}

/// Fills `acc` with output row y of the vertical pass over `src` (rows of `count` values).
template <class In>
void vertical_row(const In* src,
                  std::size_t step,
                  int count,
                  const AxisWeights& w,
                  int y,
                  std::vector<const In*>& rows,
                  float* acc) {
    const int start = w.start[static_cast<std::size_t>(y)];
    rows.resize(static_cast<std::size_t>(w.taps));
    for (int k = 0; k < w.taps; ++k) {
        rows[static_cast<std::size_t>(k)] = row_at(src, step, start + k);
    }
    simd::accumulate_rows(rows.data(), &w.weights[static_cast<std::size_t>(y) * w.taps], w.taps,
                          count, acc);
}

/// Input rows converted to float once each, kept in a ring as big as the vertical window: the
/// windows of successive output rows only move forward, so every row is converted once instead
/// of once per output row that uses it (about taps x out / in times).
class RowCache {
public:
    /// Whether caching `taps` rows of `count` values stays within a modest memory budget.
    static bool worthwhile(int taps, int count) {
        constexpr std::size_t kBudgetBytes = std::size_t{8} << 20;
        return static_cast<std::size_t>(taps) * static_cast<std::size_t>(count) * sizeof(float) <=
               kBudgetBytes;
    }

    RowCache(
        std::vector<float>& storage, const std::uint8_t* src, std::size_t step, int count, int taps)
        : storage_(storage), src_(src), step_(step), count_(count), slots_(taps) {
        storage_.resize(static_cast<std::size_t>(slots_) * static_cast<std::size_t>(count_));
    }

    /// Pointers to input rows [start, start + taps) as float rows.
    void window(int start, int taps, std::vector<const float*>& rows) {
        next_ = std::max(next_, start);
        rows.resize(static_cast<std::size_t>(taps));
        for (int k = 0; k < taps; ++k) {
            const int r = start + k;
            while (next_ <= r) {
                simd::widen_to_float(row_at(src_, step_, next_), count_, slot(next_));
                ++next_;
            }
            rows[static_cast<std::size_t>(k)] = slot(r);
        }
    }

private:
    float* slot(int r) {
        return storage_.data() +
               static_cast<std::size_t>(r % slots_) * static_cast<std::size_t>(count_);
    }

    std::vector<float>& storage_;
    const std::uint8_t* src_;
    std::size_t step_;
    int count_;
    int slots_;
    int next_ = 0;  // the first row not converted yet
};

/// Fills `acc` with output row y of the vertical pass, reading 8-bit input rows through `cache`.
void vertical_row_cached(RowCache& cache,
                         int count,
                         const AxisWeights& w,
                         int y,
                         std::vector<const float*>& rows,
                         float* acc) {
    cache.window(w.start[static_cast<std::size_t>(y)], w.taps, rows);
    simd::accumulate_rows(rows.data(), &w.weights[static_cast<std::size_t>(y) * w.taps], w.taps,
                          count, acc);
}

/// `w`'s weights with every window padded with zero weights to a multiple of
/// simd::kSingleChannelTapAlign taps, for the single-channel horizontal pass.
std::vector<float> padded_weights(const AxisWeights& w, int& taps) {
    constexpr int kAlign = simd::kSingleChannelTapAlign;
    taps = (w.taps + kAlign - 1) / kAlign * kAlign;
    std::vector<float> out(static_cast<std::size_t>(w.out_size) * static_cast<std::size_t>(taps),
                           0.0f);
    for (int i = 0; i < w.out_size; ++i) {
        std::copy_n(&w.weights[static_cast<std::size_t>(i) * w.taps], w.taps,
                    &out[static_cast<std::size_t>(i) * taps]);
    }
    return out;
}

}  // namespace

// ---- public
// -----------------------------------------------------------------------------------------

std::string_view to_string(Filter filter) {
    switch (filter) {
        case Filter::kLanczos:
            return "lanczos";
        case Filter::kArea:
            return "area";
        case Filter::kBilinear:
            return "bilinear";
    }
    return "unknown";
}

const std::vector<std::string>& filter_names() {
    static const std::vector<std::string> kNames = {"lanczos", "area", "bilinear"};
    return kNames;
}

Filter parse_filter(std::string_view text) {
    const auto& names = filter_names();
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (text == names[i]) return static_cast<Filter>(i);
    }
    throw ConfigError("unknown filter \"" + std::string(text) + "\"" + did_you_mean(text, names) +
                      "; valid filters: " + join(names, ", "));
}

AxisWeights compute_axis_weights(int in_size, int out_size, Filter filter) {
    if (in_size <= 0 || out_size <= 0) {
        throw ConfigError("resample: sizes must be positive (got " + std::to_string(in_size) +
                          " -> " + std::to_string(out_size) + ")");
    }
    if (in_size == out_size) return identity_weights(in_size);
    switch (filter) {
        case Filter::kLanczos:
            return fold_and_pack(in_size, out_size, lanczos_taps(in_size, out_size));
        case Filter::kArea:
            return fold_and_pack(in_size, out_size, area_taps(in_size, out_size));
        case Filter::kBilinear:
            return fold_and_pack(in_size, out_size, bilinear_taps(in_size, out_size));
    }
    throw ConfigError("resample: unknown filter");
}

Resampler::Resampler(cv::Size input, cv::Size output, Filter filter)
    : input_(input),
      output_(output),
      filter_(filter),
      horizontal_(compute_axis_weights(input.width, output.width, filter)),
      vertical_(compute_axis_weights(input.height, output.height, filter)),
      horizontal_single_(padded_weights(horizontal_, horizontal_single_taps_)) {}

void Resampler::horizontal_row(const float* row, int channels, float* out) const {
    if (channels == 1) {
        simd::weighted_columns_single(row, horizontal_.start.data(), horizontal_single_.data(),
                                      horizontal_single_taps_, horizontal_.out_size, out);
    } else {
        simd::weighted_columns(row, channels, horizontal_.start.data(), horizontal_.weights.data(),
                               horizontal_.taps, horizontal_.out_size, out);
    }
}

void Resampler::resize(const cv::Mat& in, cv::Mat& out) {
    if (in.depth() != CV_8U || in.channels() < 1 || in.channels() > 4 || in.dims != 2) {
        throw DataError("resize: expected an 8-bit image with 1 to 4 channels, got type " +
                        std::to_string(in.type()));
    }
    if (in.size() != input_) {
        throw DataError("resize: expected a " + std::to_string(input_.width) + "x" +
                        std::to_string(input_.height) + " image, got " + std::to_string(in.cols) +
                        "x" + std::to_string(in.rows));
    }
    const int channels = in.channels();
    out.create(output_, CV_MAKETYPE(CV_8U, channels));
    const bool h_identity = horizontal_.is_identity();
    const bool v_identity = vertical_.is_identity();
    if (h_identity && v_identity) {
        in.copyTo(out);
        return;
    }

    const std::uint8_t* src = in.ptr<std::uint8_t>();
    const int in_count = input_.width * channels;    // values per input row
    const int out_count = output_.width * channels;  // values per output row
    // Two float row buffers, padded so that 4-wide loads of a row's last pixel stay inside.
    const std::size_t row_stride =
        static_cast<std::size_t>(std::max(in_count, out_count)) + simd::kRowPadding;
    if (rows_.size() != 2 * row_stride) rows_.assign(2 * row_stride, 0.0f);
    float* row_a = rows_.data();
    float* row_b = rows_.data() + row_stride;
    std::vector<const std::uint8_t*> u8_rows;
    std::vector<const float*> float_rows;
    std::optional<RowCache> cache;
    if (!v_identity && RowCache::worthwhile(vertical_.taps, in_count)) {
        cache.emplace(row_cache_, src, in.step, in_count, vertical_.taps);
    }
    // Output row y of the vertical pass over the 8-bit input into `acc`.
    const auto vertical_from_input = [&](int y, float* acc) {
        if (cache) {
            vertical_row_cached(*cache, in_count, vertical_, y, float_rows, acc);
        } else {
            vertical_row(src, in.step, in_count, vertical_, y, u8_rows, acc);
        }
    };

    if (h_identity) {
        for (int y = 0; y < output_.height; ++y) {
            vertical_from_input(y, row_a);
            simd::round_to_u8(row_a, out_count, out.ptr<std::uint8_t>(y));
        }
        return;
    }
    if (v_identity) {
        for (int y = 0; y < output_.height; ++y) {
            simd::widen_to_float(in.ptr<std::uint8_t>(y), in_count, row_a);
            horizontal_row(row_a, channels, row_b);
            simd::round_to_u8(row_b, out_count, out.ptr<std::uint8_t>(y));
        }
        return;
    }

    // Both axes, in the cheaper order.
    const double cost_v_first =
        static_cast<double>(output_.height) * input_.width * vertical_.taps +
        static_cast<double>(output_.height) * output_.width * horizontal_.taps;
    const double cost_h_first =
        static_cast<double>(input_.height) * output_.width * horizontal_.taps +
        static_cast<double>(output_.height) * output_.width * vertical_.taps;
    if (cost_v_first <= cost_h_first) {
        // Row by row: each output row needs one vertical row of input width, then its columns.
        for (int y = 0; y < output_.height; ++y) {
            vertical_from_input(y, row_a);
            horizontal_row(row_a, channels, row_b);
            simd::round_to_u8(row_b, out_count, out.ptr<std::uint8_t>(y));
        }
    } else {
        const std::size_t stride = static_cast<std::size_t>(out_count);
        scratch_.resize(stride * static_cast<std::size_t>(input_.height));
        for (int y = 0; y < input_.height; ++y) {
            simd::widen_to_float(in.ptr<std::uint8_t>(y), in_count, row_a);
            horizontal_row(row_a, channels, scratch_.data() + static_cast<std::size_t>(y) * stride);
        }
        for (int y = 0; y < output_.height; ++y) {
            vertical_row(static_cast<const float*>(scratch_.data()), stride * sizeof(float),
                         out_count, vertical_, y, float_rows, row_b);
            simd::round_to_u8(row_b, out_count, out.ptr<std::uint8_t>(y));
        }
    }
}

cv::Mat resize(const cv::Mat& image, cv::Size size, Filter filter) {
    Resampler resampler(image.size(), size, filter);
    cv::Mat out;
    resampler.resize(image, out);
    return out;
}

}  // namespace rcls::image
