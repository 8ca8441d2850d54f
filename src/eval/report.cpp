// SPDX-License-Identifier: MIT
#include "rcls/eval/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/strings.hpp"
#include "rcls/core/version.hpp"
#include "rcls/dataset/dataset.hpp"
#include "rcls/dataset/frame_reader.hpp"
#include "rcls/image/pipeline.hpp"
#include "rcls/model/checkpoint.hpp"
#include "rcls/video/image_file.hpp"

namespace rcls::eval {
namespace fs = std::filesystem;

std::string base64(const std::vector<std::uint8_t>& bytes) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const std::uint32_t v =
            (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (i + 1 == bytes.size()) {
        const std::uint32_t v = std::uint32_t{bytes[i]} << 16;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == bytes.size()) {
        const std::uint32_t v =
            (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::optional<std::vector<TrainingPoint>> read_training_curves(const fs::path& pretrained_dir) {
    // <run>/checkpoints/<step>/pretrained_model
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(pretrained_dir, ec);
    const fs::path step_dir = (ec ? pretrained_dir : canonical).parent_path();
    if (step_dir.parent_path().filename() != model::kCheckpointsDir) return std::nullopt;
    const fs::path path = step_dir.parent_path().parent_path() / "metrics.jsonl";
    if (!fs::is_regular_file(path, ec)) return std::nullopt;
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::vector<TrainingPoint> out;
    std::size_t skipped = 0;
    for (std::string line; std::getline(in, line);) {
        if (trim(line).empty()) continue;
        const auto doc = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (!doc.is_object() || !doc.contains("step") || !doc["step"].is_number()) {
            ++skipped;
            continue;
        }
        TrainingPoint p;
        p.step = doc["step"].get<double>();
        if (doc.contains("loss") && doc["loss"].is_number()) p.loss = doc["loss"].get<double>();
        if (doc.contains("accuracy") && doc["accuracy"].is_number()) {
            p.accuracy = doc["accuracy"].get<double>();
        }
        out.push_back(p);
    }
    if (skipped > 0) spdlog::warn("{}: skipped {} unreadable lines", path.string(), skipped);
    return out;
}

namespace {

std::string escape(const std::string& text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string num(double v, int digits = 3) {
    if (std::isnan(v)) return "n/a";
    if (std::isinf(v)) return v > 0 ? "never" : "-inf";
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
    return buffer;
}

/// Coordinates with 1 decimal, for compact SVG.
std::string c1(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f", v);
    return buffer;
}

/// A rectangular plot area mapping data to SVG coordinates.
struct Plot {
    double width = 320, height = 260;
    double left = 46, right = 12, top = 14, bottom = 36;
    double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    std::ostringstream svg;

    double px(double x) const {
        return left + (x - x0) / (x1 - x0 == 0 ? 1 : x1 - x0) * (width - left - right);
    }
    double py(double y) const {
        return height - bottom - (y - y0) / (y1 - y0 == 0 ? 1 : y1 - y0) * (height - top - bottom);
    }
    void axes(const std::string& xlabel,
              const std::string& ylabel,
              int xticks = 5,
              int yticks = 5,
              int xdigits = 1) {
        svg << "<rect x='" << c1(left) << "' y='" << c1(top) << "' width='"
            << c1(width - left - right) << "' height='" << c1(height - top - bottom)
            << "' class='frame'/>";
        for (int i = 0; i <= xticks; ++i) {
            const double x = x0 + (x1 - x0) * i / xticks;
            svg << "<line x1='" << c1(px(x)) << "' x2='" << c1(px(x)) << "' y1='" << c1(py(y0))
                << "' y2='" << c1(py(y0) + 4) << "' class='tick'/><text x='" << c1(px(x)) << "' y='"
                << c1(py(y0) + 15) << "' class='tl' text-anchor='middle'>" << num(x, xdigits)
                << "</text>";
        }
        for (int i = 0; i <= yticks; ++i) {
            const double y = y0 + (y1 - y0) * i / yticks;
            svg << "<line x1='" << c1(px(x0) - 4) << "' x2='" << c1(px(x0)) << "' y1='" << c1(py(y))
                << "' y2='" << c1(py(y)) << "' class='tick'/><text x='" << c1(px(x0) - 6) << "' y='"
                << c1(py(y) + 3) << "' class='tl' text-anchor='end'>" << num(y, 1) << "</text>";
        }
        svg << "<text x='" << c1((left + width - right) / 2) << "' y='" << c1(height - 4)
            << "' class='al' text-anchor='middle'>" << escape(xlabel) << "</text>";
        svg << "<text transform='translate(11," << c1((top + height - bottom) / 2)
            << ") rotate(-90)' class='al' text-anchor='middle'>" << escape(ylabel) << "</text>";
    }
    void polyline(const std::vector<std::pair<double, double>>& points,
                  const std::string& cls,
                  bool step = false) {
        if (points.empty()) return;
        svg << "<polyline class='" << cls << "' points='";
        for (std::size_t i = 0; i < points.size(); ++i) {
            if (step && i > 0) {
                svg << c1(px(points[i].first)) << ',' << c1(py(points[i - 1].second)) << ' ';
            }
            svg << c1(px(points[i].first)) << ',' << c1(py(points[i].second)) << ' ';
        }
        svg << "'/>";
    }
    std::string done(const std::string& id, const std::string& title) {
        std::ostringstream out;
        out << "<svg id='" << id << "' xmlns='http://www.w3.org/2000/svg' width='" << width
            << "' height='" << height << "' viewBox='0 0 " << width << ' ' << height
            << "' role='img' aria-label='" << escape(title) << "'><title>" << escape(title)
            << "</title>" << svg.str() << "</svg>";
        return out.str();
    }
};

std::string heading(const EvalResult& result, const std::string& title) {
    return result.status == TrainingStatus::kTrainingSet
               ? "<span class='trainset'>TRAINING-SET</span> " + escape(title)
               : escape(title);
}

/// Thumbnails of frames of the scored camera, as PNG data URIs, read once per frame.
class Thumbnails {
public:
    Thumbnails(const EvalResult& result, int size)
        : data_(dataset::Dataset::open(result.dataset_root)),
          reader_(data_, image::ChannelOrder::kBgr, 0),
          key_(result.cameras.empty() ? std::string() : result.cameras.front()),
          size_(size) {}

    /// An <img> of frame t of episode e (empty when the dataset has no camera).
    std::string img(std::int64_t e, std::int64_t t, const std::string& caption) {
        if (key_.empty()) return "";
        std::string& uri = cache_[{e, t}];
        if (uri.empty()) {
            const cv::Mat frame = reader_.frame(e, key_, t);
            if (!prepared_ || prepared_->input_size() != frame.size()) {
                image::Pipeline pipeline;
                pipeline.size = cv::Size(size_, size_);
                prepared_.emplace(pipeline, frame.size(), "thumbnail");
            }
            cv::Mat small;
            prepared_->apply(frame, small);
            uri = "data:image/png;base64," +
                  base64(video::encode_image(small, image::ChannelOrder::kBgr,
                                             video::ImageFormat::kPng, "thumbnail"));
        }
        return "<figure class='thumb'><img src='" + uri + "' width='" + std::to_string(size_) +
               "' height='" + std::to_string(size_) + "' alt='" + escape(caption) +
               "'><figcaption>" + escape(caption) + "</figcaption></figure>";
    }

private:
    dataset::Dataset data_;
    dataset::FrameReader reader_;
    std::string key_;
    int size_;
    std::optional<image::PreparedPipeline> prepared_;
    std::map<std::pair<std::int64_t, std::int64_t>, std::string> cache_;
};

constexpr const char* kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0 auto;max-width:1080px;padding:16px 24px;color:#1d232a;background:#fff}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin:1.4em 0 .5em;border-bottom:1px solid #d6dbe0;padding-bottom:3px}
.meta{color:#56606b;font-size:.9em;word-break:break-all}
.verdict{font-size:1.1em;padding:10px 14px;border-radius:6px;margin:10px 0}
.ok{background:#e6f4ea;border:1px solid #8cc59a}.bad{background:#fdecea;border:1px solid #e0928a}
.trainset{background:#c62828;color:#fff;padding:0 6px;border-radius:3px;font-weight:700}
.warn{background:#fff4e0;border:1px solid #e6b35c;padding:6px 10px;border-radius:4px}
table{border-collapse:collapse;font-size:.9em;margin:6px 0}td,th{border:1px solid #d6dbe0;padding:3px 8px;text-align:right}
th{background:#f2f4f6}td.l,th.l{text-align:left}tr.rec td{background:#e6f4ea;font-weight:600}
.figs{display:flex;flex-wrap:wrap;gap:18px}figure{margin:0}figcaption{font-size:.85em;color:#56606b}
.timeline{border:1px solid #e3e7eb;border-radius:6px;padding:6px 8px;margin:8px 0}
.thumbs{display:flex;flex-wrap:wrap;gap:8px;margin-top:4px}.thumb figcaption{max-width:120px}
.thumb img{image-rendering:auto;border:1px solid #c9d0d6;display:block}
svg text{font-family:inherit}.tl{font-size:10px;fill:#56606b}.al{font-size:11px;fill:#1d232a}
.frame{fill:#fbfcfd;stroke:#c9d0d6}.tick{stroke:#8a949e}
.curve{fill:none;stroke:#1f6fb2;stroke-width:1.8}.curve2{fill:none;stroke:#d9822b;stroke-width:1.8}
.curve3{fill:none;stroke:#3b9b5a;stroke-width:1.8}.diag{fill:none;stroke:#a0a8b0;stroke-dasharray:4 3}
.prob{fill:none;stroke:#1f6fb2;stroke-width:1.5}.span{fill:#3b9b5a;fill-opacity:.16}
.thr{stroke:#d9822b;stroke-dasharray:5 3}.onset{stroke:#3b9b5a;stroke-width:2}
.ponset{stroke:#1f6fb2;stroke-width:2;stroke-dasharray:2 2}.fp{fill:#c62828}
.legend{font-size:.82em;color:#56606b}
)";

std::string verdict(const EvalResult& result) {
    const Recommendation& r = result.recommendation;
    std::ostringstream s;
    if (r.found) {
        const GridPoint& g = r.point;
        s << "<p class='verdict ok' id='verdict'>Usable as a reward at <b>threshold "
          << num(g.threshold, 2) << ", k " << g.k << "</b> (reward once " << g.k
          << " consecutive frame" << (g.k == 1 ? " has" : "s have")
          << " p &ge; threshold): on these episodes it never fires before the labelled success, "
             "fires a median <b>"
          << num(*g.median_onset_error_frames, 1) << " frames ("
          << num(*g.median_onset_error_frames / result.fps, 2)
          << " s)</b> after it, and detects <b>" << g.detected_success_episodes << " of "
          << g.success_episodes << "</b> success episodes.</p>";
    } else {
        s << "<p class='verdict bad' id='verdict'>Not safe to use as a reward as it is: "
          << escape(r.reason) << ".</p>";
    }
    return s.str();
}

std::string key_numbers(const EvalResult& result) {
    const ThresholdMetrics& m = result.at_threshold;
    const GridPoint& g = result.summary;
    std::ostringstream s;
    s << "<table id='key-numbers'><tr><th class='l'>at threshold " << num(result.threshold, 2)
      << ", k " << result.k << "</th><th>value</th></tr>";
    const auto row = [&](const std::string& name, const std::string& value) {
        s << "<tr><td class='l'>" << name << "</td><td>" << value << "</td></tr>";
    };
    row("frame accuracy", num(m.accuracy));
    row("precision / recall / F1", num(m.precision) + " / " + num(m.recall) + " / " + num(m.f1));
    row("ROC-AUC / PR-AUC", num(result.roc_auc) + " / " + num(result.average_precision));
    row("log-loss / Brier / ECE",
        num(result.log_loss) + " / " + num(result.brier) + " / " + num(result.ece));
    row("episodes with a false positive before the onset",
        std::to_string(g.episodes_with_false_positives) + " (" +
            std::to_string(g.false_positive_frames) + " frames)");
    row("success episodes never detected",
        std::to_string(g.missed_success_episodes) + " of " + std::to_string(g.success_episodes));
    row("failure episodes wrongly detected",
        std::to_string(g.false_alarm_episodes) + " of " + std::to_string(g.failure_episodes));
    row("median onset error",
        g.median_onset_error_frames ? num(*g.median_onset_error_frames, 1) + " frames" : "n/a");
    s << "</table>";
    return s.str();
}

std::string timeline_svg(const EvalResult& result,
                         const EpisodeScores& e,
                         const EpisodeOutcome& o) {
    Plot p;
    p.width = 1000;
    p.height = 130;
    p.left = 40;
    p.bottom = 28;
    p.top = 8;
    const auto n = static_cast<double>(e.probability.size());
    // Whole-frame ticks: at most 10 of them, the axis ending on the last tick.
    const auto last = static_cast<std::int64_t>(std::max(1.0, n - 1));
    const std::int64_t tick_step = (last + 9) / 10;
    const int ticks = static_cast<int>((last + tick_step - 1) / tick_step);
    p.x0 = 0;
    p.x1 = static_cast<double>(ticks * tick_step);
    p.axes("frame", "p", ticks, 2, 0);
    if (o.labelled_onset) {
        p.svg << "<rect class='span' x='" << c1(p.px(static_cast<double>(*o.labelled_onset)))
              << "' y='" << c1(p.top) << "' width='"
              << c1(p.px(std::max(1.0, n - 1)) - p.px(static_cast<double>(*o.labelled_onset)))
              << "' height='" << c1(p.height - p.top - p.bottom)
              << "'><title>labelled success from frame " << *o.labelled_onset << "</title></rect>";
    }
    p.svg << "<line class='thr' x1='" << c1(p.px(0)) << "' x2='" << c1(p.px(p.x1)) << "' y1='"
          << c1(p.py(result.threshold)) << "' y2='" << c1(p.py(result.threshold))
          << "'><title>threshold " << num(result.threshold, 2) << "</title></line>";
    std::vector<std::pair<double, double>> points;
    for (std::size_t t = 0; t < e.probability.size(); ++t) {
        points.emplace_back(static_cast<double>(t), e.probability[t]);
    }
    p.polyline(points, "prob");
    if (o.labelled_onset) {
        const double x = p.px(static_cast<double>(*o.labelled_onset));
        p.svg << "<line class='onset' x1='" << c1(x) << "' x2='" << c1(x) << "' y1='" << c1(p.top)
              << "' y2='" << c1(p.py(0)) << "'><title>labelled onset, frame " << *o.labelled_onset
              << "</title></line>";
    }
    if (o.predicted_onset) {
        const double x = p.px(static_cast<double>(*o.predicted_onset));
        p.svg << "<line class='ponset' x1='" << c1(x) << "' x2='" << c1(x) << "' y1='" << c1(p.top)
              << "' y2='" << c1(p.py(0)) << "'><title>predicted onset, frame " << *o.predicted_onset
              << "</title></line>";
    }
    const std::vector<bool> on = detector_states(e.probability, result.threshold, result.k);
    const std::int64_t onset = o.labelled_onset.value_or(static_cast<std::int64_t>(n));
    for (std::int64_t t = 0; t < onset; ++t) {
        if (!on[static_cast<std::size_t>(t)]) continue;
        p.svg << "<circle class='fp' cx='" << c1(p.px(static_cast<double>(t))) << "' cy='"
              << c1(p.py(e.probability[static_cast<std::size_t>(t)])) << "' r='3'><title>false "
              << "positive, frame " << t << "</title></circle>";
    }
    return p.done("timeline-svg-" + std::to_string(e.episode_index),
                  "episode " + std::to_string(e.episode_index) + " probability over time");
}

std::string roc_svg(const EvalResult& result) {
    Plot p;
    p.axes("false positive rate", "true positive rate");
    p.polyline({{0, 0}, {1, 1}}, "diag");
    std::vector<std::pair<double, double>> pts;
    for (const CurvePoint& c : result.roc)
        pts.emplace_back(c.x, c.y);
    p.polyline(pts, "curve");
    if (pts.empty()) {
        p.svg << "<text x='160' y='120' class='al' text-anchor='middle'>needs both classes</text>";
    }
    return p.done("roc-svg", "ROC curve, AUC " + num(result.roc_auc));
}

std::string pr_svg(const EvalResult& result) {
    Plot p;
    p.axes("recall", "precision");
    std::vector<std::pair<double, double>> pts;
    for (const CurvePoint& c : result.pr)
        pts.emplace_back(c.x, c.y);
    p.polyline(pts, "curve", /*step=*/true);
    if (pts.empty()) {
        p.svg
            << "<text x='160' y='120' class='al' text-anchor='middle'>needs success frames</text>";
    }
    return p.done("pr-svg",
                  "precision-recall curve, average precision " + num(result.average_precision));
}

std::string reliability_svg(const EvalResult& result) {
    Plot p;
    p.axes("mean predicted probability", "fraction labelled success");
    p.polyline({{0, 0}, {1, 1}}, "diag");
    std::vector<std::pair<double, double>> pts;
    for (const ReliabilityBin& b : result.reliability) {
        const double w = p.px(b.upper) - p.px(b.lower);
        if (b.count == 0) continue;
        p.svg << "<rect x='" << c1(p.px(b.lower) + 1) << "' y='" << c1(p.py(b.fraction_positive))
              << "' width='" << c1(w - 2) << "' height='" << c1(p.py(0) - p.py(b.fraction_positive))
              << "' fill='#1f6fb2' fill-opacity='.25'><title>" << num(b.lower, 1) << "-"
              << num(b.upper, 1) << ": " << b.count << " frames, mean p " << num(b.mean_probability)
              << ", fraction success " << num(b.fraction_positive) << "</title></rect>";
        pts.emplace_back(b.mean_probability, b.fraction_positive);
    }
    p.polyline(pts, "curve");
    for (const auto& [x, y] : pts) {
        p.svg << "<circle cx='" << c1(p.px(x)) << "' cy='" << c1(p.py(y))
              << "' r='3' fill='#1f6fb2'/>";
    }
    return p.done("reliability-svg", "reliability diagram, ECE " + num(result.ece));
}

std::string sweep_svg(const EvalResult& result) {
    Plot p;
    p.width = 420;
    p.axes("threshold", "value", 5, 5, 1);
    std::vector<std::pair<double, double>> precision, recall, f1;
    for (const ThresholdMetrics& m : result.sweep) {
        if (!std::isnan(m.precision)) precision.emplace_back(m.threshold, m.precision);
        if (!std::isnan(m.recall)) recall.emplace_back(m.threshold, m.recall);
        if (!std::isnan(m.f1)) f1.emplace_back(m.threshold, m.f1);
    }
    p.polyline(precision, "curve");
    p.polyline(recall, "curve2");
    p.polyline(f1, "curve3");
    p.svg << "<text x='60' y='30' class='tl' fill='#1f6fb2'>precision</text>"
          << "<text x='130' y='30' class='tl'>recall (orange)</text>"
          << "<text x='230' y='30' class='tl'>F1 (green)</text>";
    return p.done("sweep-svg", "precision, recall and F1 against the threshold");
}

std::string confusion_table(const EvalResult& result) {
    const Confusion& c = result.at_threshold.confusion;
    std::ostringstream s;
    s << "<table id='confusion-table'><tr><th></th><th>predicted failure</th><th>predicted "
         "success</th></tr><tr><th class='l'>labelled failure</th><td>"
      << c.tn << " (true negative)</td><td>" << c.fp
      << " (false positive)</td></tr><tr><th class='l'>labelled success</th><td>" << c.fn
      << " (false negative)</td><td>" << c.tp << " (true positive)</td></tr></table>";
    return s.str();
}

std::string training_svg(const std::vector<TrainingPoint>& points) {
    Plot p;
    p.width = 520;
    double max_step = 1, max_loss = 0;
    for (const TrainingPoint& t : points) {
        max_step = std::max(max_step, t.step);
        if (t.loss && std::isfinite(*t.loss)) max_loss = std::max(max_loss, *t.loss);
    }
    p.x1 = max_step;
    p.y1 = std::max(1.0, std::ceil(max_loss * 10) / 10);
    p.axes("step", "loss (blue), accuracy (orange)", 5, 5, 0);
    std::vector<std::pair<double, double>> loss, acc;
    for (const TrainingPoint& t : points) {
        if (t.loss && std::isfinite(*t.loss)) loss.emplace_back(t.step, *t.loss);
        if (t.accuracy && std::isfinite(*t.accuracy)) acc.emplace_back(t.step, *t.accuracy);
    }
    p.polyline(loss, "curve");
    p.polyline(acc, "curve2");
    return p.done("training-svg", "training loss and accuracy by step");
}

}  // namespace

std::string render_report(const EvalResult& result, const ReportOptions& options) {
    Thumbnails thumbs(result, options.thumbnail_size);
    std::ostringstream h;
    h << "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
      << "<meta name='viewport' content='width=device-width, initial-scale=1'>"
      << "<title>rcls eval: " << escape(result.checkpoint.string()) << "</title><style>" << kStyle
      << "</style></head><body>";
    h << "<h1>Reward classifier evaluation</h1><p class='meta'>checkpoint "
      << escape(result.checkpoint.string()) << "<br>dataset "
      << escape(result.dataset_root.string()) << " (" << escape(join(result.cameras, ", ")) << ", "
      << num(result.fps, 0) << " fps)</p>";

    h << "<section id='summary'><h2>" << heading(result, "Summary") << "</h2>";
    if (result.status == TrainingStatus::kTrainingSet) {
        h << "<p class='warn'><b>TRAINING-SET:</b> " << escape(result.status_note)
          << ". The model was trained on these frames, so every figure below flatters it.</p>";
    }
    h << verdict(result) << "<p id='based-on'>" << escape(data_sentence(result)) << "</p>"
      << key_numbers(result) << "</section>";

    h << "<section id='recommendation'><h2>" << heading(result, "Recommendation") << "</h2>";
    const Recommendation& r = result.recommendation;
    if (r.found) {
        const GridPoint& g = r.point;
        h << "<p>Searched thresholds 0.05 to 0.95 and k 1 to 5 for the setting with no false "
             "positive before the labelled onset in any episode (nor any detection in a failure "
             "episode) and the smallest median onset delay.</p><table id='recommendation-table'>"
          << "<tr><th class='l'>threshold</th><td>" << num(g.threshold, 2) << "</td></tr>"
          << "<tr><th class='l'>k (consecutive frames)</th><td>" << g.k << "</td></tr>"
          << "<tr><th class='l'>median onset delay</th><td>" << num(*g.median_onset_error_frames, 1)
          << " frames (" << num(*g.median_onset_error_frames / result.fps, 2) << " s)</td></tr>"
          << "<tr><th class='l'>episode recall</th><td>" << num(*g.episode_recall) << " ("
          << g.detected_success_episodes << " of " << g.success_episodes << ")</td></tr>"
          << "<tr><th class='l'>frame recall at this threshold</th><td>"
          << (result.recommendation_frame_recall ? num(*result.recommendation_frame_recall)
                                                 : std::string("n/a"))
          << "</td></tr></table>";
    } else {
        h << "<p>No threshold and k on the grid (0.05 to 0.95, k 1 to 5) qualifies: "
          << escape(r.reason) << ".</p>";
    }
    h << "</section>";

    h << "<section id='timelines'><h2>" << heading(result, "Episodes") << "</h2><p class='legend'>"
      << "Blue line: probability; green band: labelled success; solid green line: labelled onset; "
         "dotted blue line: predicted onset (threshold "
      << num(result.threshold, 2) << ", k " << result.k
      << "); orange dashes: threshold; red dots: false positives before the onset.</p>";
    for (std::size_t i = 0; i < result.episodes.size(); ++i) {
        const EpisodeScores& e = result.episodes[i];
        const EpisodeOutcome& o = result.outcomes[i];
        h << "<figure class='timeline' id='episode-" << e.episode_index << "'><figcaption>"
          << heading(result, "Episode " + std::to_string(e.episode_index)) << ": "
          << e.probability.size() << " frames; labelled onset "
          << (o.labelled_onset ? std::to_string(*o.labelled_onset) : std::string("none"))
          << ", predicted onset "
          << (o.predicted_onset ? std::to_string(*o.predicted_onset) : std::string("never"));
        if (o.onset_error_frames) {
            h << " (" << (*o.onset_error_frames >= 0 ? "+" : "") << *o.onset_error_frames
              << " frames, " << num(*o.onset_error_s, 2) << " s)";
        }
        h << "; " << o.false_positives_before_onset << " false positive frames before the onset"
          << "; flicker " << o.flicker_after_onset << "</figcaption>" << timeline_svg(result, e, o)
          << "<div class='thumbs'>";
        if (o.labelled_onset) {
            h << thumbs.img(e.episode_index, *o.labelled_onset,
                            "labelled onset, frame " + std::to_string(*o.labelled_onset) + ", p " +
                                num(e.probability[static_cast<std::size_t>(*o.labelled_onset)]));
        }
        if (o.predicted_onset) {
            h << thumbs.img(e.episode_index, *o.predicted_onset,
                            "predicted onset, frame " + std::to_string(*o.predicted_onset) +
                                ", p " +
                                num(e.probability[static_cast<std::size_t>(*o.predicted_onset)]));
        }
        const std::vector<bool> on = detector_states(e.probability, result.threshold, result.k);
        const std::int64_t onset =
            o.labelled_onset.value_or(static_cast<std::int64_t>(e.probability.size()));
        int shown = 0;
        for (std::int64_t t = 0; t < onset; ++t) {
            if (!on[static_cast<std::size_t>(t)]) continue;
            if (shown == options.false_positive_thumbnails) {
                h << "<p class='legend'>and " << (o.false_positives_before_onset - shown)
                  << " more false positive frames</p>";
                break;
            }
            h << thumbs.img(e.episode_index, t,
                            "false positive, frame " + std::to_string(t) + ", p " +
                                num(e.probability[static_cast<std::size_t>(t)]));
            ++shown;
        }
        h << "</div></figure>";
    }
    h << "</section>";

    h << "<section id='curves'><h2>" << heading(result, "Frame-level curves") << "</h2>"
      << "<div class='figs'><figure id='roc'>" << roc_svg(result) << "<figcaption>"
      << heading(result, "ROC curve") << ", AUC " << num(result.roc_auc) << "</figcaption></figure>"
      << "<figure id='pr'>" << pr_svg(result) << "<figcaption>"
      << heading(result, "Precision-recall curve") << ", average precision "
      << num(result.average_precision) << "</figcaption></figure>"
      << "<figure id='reliability'>" << reliability_svg(result) << "<figcaption>"
      << heading(result, "Reliability diagram") << ", expected calibration error "
      << num(result.ece) << " (10 bins)</figcaption></figure>"
      << "<figure id='confusion'>" << confusion_table(result) << "<figcaption>"
      << heading(result, "Confusion matrix") << " at threshold " << num(result.threshold, 2) << " ("
      << result.frames << " frames)</figcaption></figure></div></section>";

    h << "<section id='sweep'><h2>" << heading(result, "Threshold sweep")
      << "</h2><div class='figs'>"
      << "<figure>" << sweep_svg(result)
      << "</figure><table id='sweep-table'><tr><th>threshold</th>"
      << "<th>accuracy</th><th>precision</th><th>recall</th><th>F1</th><th>false positive "
         "frames</th><th>episodes with false positives (k 1)</th></tr>";
    for (const ThresholdMetrics& m : result.sweep) {
        const GridPoint g = summarise(result.episodes, m.threshold, 1);
        const bool rec = r.found && std::abs(r.point.threshold - m.threshold) < 1e-9;
        h << "<tr" << (rec ? " class='rec'" : "") << "><td>" << num(m.threshold, 2) << "</td><td>"
          << num(m.accuracy) << "</td><td>" << num(m.precision) << "</td><td>" << num(m.recall)
          << "</td><td>" << num(m.f1) << "</td><td>" << m.confusion.fp << "</td><td>"
          << g.episodes_with_false_positives << "</td></tr>";
    }
    h << "</table></div></section>";

    h << "<section id='worst-frames'><h2>" << heading(result, "Worst frames")
      << "</h2><p class='legend'>The frames with the highest loss (the model most confidently "
         "wrong), worst first.</p><div class='thumbs'>";
    for (const auto& [ei, t] :
         worst_frames(result, static_cast<std::size_t>(options.worst_frames))) {
        const EpisodeScores& e = result.episodes[ei];
        const auto i = static_cast<std::size_t>(t);
        h << thumbs.img(e.episode_index, t,
                        "episode " + std::to_string(e.episode_index) + " frame " +
                            std::to_string(t) + ": p " + num(e.probability[i]) + ", label " +
                            std::to_string(e.label[i]));
    }
    h << "</div></section>";

    h << "<section id='training-curves'><h2>Training curves</h2>";
    const auto curves = read_training_curves(result.checkpoint);
    if (curves && !curves->empty()) {
        h << "<figure>" << training_svg(*curves) << "<figcaption>From the run's metrics.jsonl ("
          << curves->size() << " points).</figcaption></figure>";
    } else {
        h << "<p class='legend'>No training curves: the checkpoint's run folder has no "
             "metrics.jsonl.</p>";
    }
    h << "</section><footer class='meta'><p>rcls " << kVersion << "</p></footer></body></html>\n";
    return h.str();
}

void write_report(const EvalResult& result, const fs::path& path, const ReportOptions& options) {
    write_file_atomic(path, render_report(result, options));
}

}  // namespace rcls::eval
