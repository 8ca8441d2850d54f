// SPDX-License-Identifier: MIT
#include "rcls/camera/tools.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "rcls/camera/camera.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/core/stats.hpp"
#include "rcls/video/image_file.hpp"

namespace rcls::camera {

std::vector<std::filesystem::path> snapshot_cameras(const CameraList& cameras,
                                                    const std::filesystem::path& output_dir,
                                                    Clock& clock) {
    std::vector<std::filesystem::path> written;
    for (const auto& [name, config] : cameras) {
        auto camera = open_camera(name, config, clock);
        camera->start();
        const Frame frame = camera->latest();
        camera->stop();
        const std::filesystem::path path = output_dir / (name + ".png");
        video::write_image(path, frame.image, frame.order);
        written.push_back(path);
    }
    return written;
}

std::vector<StreamReport> stream_cameras(const CameraList& cameras, double seconds, Clock& clock) {
    struct Open {
        std::unique_ptr<Camera> camera;
        StreamReport report;
        std::vector<double> ages_ms;
        std::uint64_t last_sequence = 0;
        Clock::time_point next{};
        Clock::duration period{};
    };
    std::vector<Open> open;
    for (const auto& [name, config] : cameras) {
        Open o;
        o.camera = open_camera(name, config, clock);
        o.camera->start();
        o.report.name = name;
        o.report.source = o.camera->label();
        o.report.requested_fps = config.fps;
        o.period = seconds_to_duration(1.0 / std::max(1, config.fps));
        open.push_back(std::move(o));
    }
    const auto start = clock.now();
    const auto end = start + seconds_to_duration(seconds);
    for (Open& o : open)
        o.next = start;
    while (clock.now() < end) {
        throw_if_interrupted();
        Open* due = &open.front();
        for (Open& o : open) {
            if (o.next < due->next) due = &o;
        }
        clock.sleep_until(due->next);
        due->next += due->period;
        const Frame f = due->camera->latest();
        if (f.sequence != due->last_sequence) {
            due->last_sequence = f.sequence;
            ++due->report.frames;
            due->ages_ms.push_back(seconds_between(f.captured, clock.now()) * 1000.0);
        }
    }
    const double elapsed = std::max(1e-9, seconds_between(start, clock.now()));
    std::vector<StreamReport> reports;
    for (Open& o : open) {
        o.camera->stop();
        o.report.achieved_fps = static_cast<double>(o.report.frames) / elapsed;
        if (!o.ages_ms.empty()) {
            o.report.age_p50_ms = percentile(o.ages_ms, 50);
            o.report.age_p99_ms = percentile(o.ages_ms, 99);
        }
        o.report.dropped = o.camera->stats().dropped;
        reports.push_back(o.report);
    }
    return reports;
}

std::string format_stream_reports(const std::vector<StreamReport>& reports) {
    std::string s;
    for (const StreamReport& r : reports) {
        char line[512];
        std::snprintf(line, sizeof line,
                      "%s: %.1f fps achieved (asked %.0f), frame age p50 %.1f ms, p99 %.1f ms, "
                      "%llu frames, %llu dropped  [%s]\n",
                      r.name.c_str(), r.achieved_fps, r.requested_fps, r.age_p50_ms, r.age_p99_ms,
                      static_cast<unsigned long long>(r.frames),
                      static_cast<unsigned long long>(r.dropped), r.source.c_str());
        s += line;
    }
    return s;
}

std::string stream_reports_to_json(const std::vector<StreamReport>& reports) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const StreamReport& r : reports) {
        list.push_back({{"name", r.name},
                        {"source", r.source},
                        {"requested_fps", r.requested_fps},
                        {"achieved_fps", r.achieved_fps},
                        {"age_p50_ms", r.age_p50_ms},
                        {"age_p99_ms", r.age_p99_ms},
                        {"frames", r.frames},
                        {"dropped", r.dropped}});
    }
    return list.dump(2) + "\n";
}

}  // namespace rcls::camera
