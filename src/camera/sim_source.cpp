// SPDX-License-Identifier: MIT
#include <cmath>

#include "rcls/sim/world.hpp"

#include "sources.hpp"

namespace rcls::camera::detail {
namespace {

/// Episodes of a camera's own world: the attempt, then a short pause with the next cube.
constexpr double kEpisodeS = 9.0;

class SimSource final : public FrameSource {
public:
    SimSource(const config::CameraConfig& config, Clock& clock, SimSceneSource scene)
        : clock_(clock),
          scene_(std::move(scene)),
          renderer_(config.width, config.height),
          view_(config.view == "wrist" ? sim::View::kWrist : sim::View::kFront),
          fps_(config.fps),
          start_(clock.now()),
          next_(start_) {
        if (!scene_.scene) {
            world_ = std::make_unique<sim::ReachGraspWorld>(
                sim::WorldOptions{.seed = static_cast<std::uint64_t>(config.seed),
                                  .appearance = sim::parse_appearance_mode(config.appearance)
                                                    .value_or(sim::AppearanceMode::kSession)});
        }
    }

    bool grab(cv::Mat& image, image::ChannelOrder& order) override {
        if (clock_.sleeps_in_real_time()) {
            const auto now = clock_.now();
            if (next_ < now - seconds_to_duration(1.0 / fps_)) next_ = now;  // fell behind
            clock_.sleep_until(next_);
            next_ += seconds_to_duration(1.0 / fps_);
        }
        sim::SceneSnapshot snapshot;
        sim::Appearance look;
        if (world_) {
            const double t = seconds_between(start_, clock_.now());
            const auto episode = static_cast<std::int64_t>(std::floor(t / kEpisodeS));
            if (episode != world_->episode()) {
                world_->start_episode(episode);
                renderer_.prepare(world_->scene().snapshot(), world_->appearance(), view_);
            }
            world_->advance_to(t - static_cast<double>(episode) * kEpisodeS);
            snapshot = world_->scene().snapshot();
            look = world_->appearance();
        } else {
            snapshot = scene_.scene();
            look = scene_.appearance ? scene_.appearance() : sim::random_appearance(0);
        }
        renderer_.render(snapshot, look, view_, ++frames_, image);
        order = image::ChannelOrder::kRgb;
        return true;
    }

    std::string describe() const override {
        return std::string("simulated scene, ") + (view_ == sim::View::kWrist ? "wrist" : "front") +
               " view";
    }
    std::string what_to_check() const override {
        return "the simulated scene renders on this machine's CPU; check that it is not "
               "overloaded";
    }
    double fps() const override { return fps_; }

private:
    Clock& clock_;
    SimSceneSource scene_;
    std::unique_ptr<sim::ReachGraspWorld> world_;
    sim::Renderer renderer_;
    sim::View view_;
    double fps_;
    Clock::time_point start_;
    Clock::time_point next_;
    std::uint64_t frames_ = 0;
};

}  // namespace

std::unique_ptr<FrameSource> make_sim_source(const config::CameraConfig& config,
                                             Clock& clock,
                                             const SimSceneSource& scene) {
    return std::make_unique<SimSource>(config, clock, scene);
}

}  // namespace rcls::camera::detail
