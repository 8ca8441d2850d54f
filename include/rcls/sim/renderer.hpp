// SPDX-License-Identifier: MIT
//
// A small software rasterizer for the simulated scene: boxes and cylinders as triangle meshes,
// per-pixel depth (z-buffer), Lambert shading with one directional light, cast shadows on the
// table, and the sensor's exposure and noise. One 640x480 frame takes a few milliseconds on one
// core (bench/sim_bench.cpp).
//
// Domain randomisation by seed (Appearance): light direction and intensity, table and cube
// colours and textures, arm colour, camera pose jitter (a few mm and about a degree), exposure and
// sensor noise; so that frames of a held, lifted cube differ from a miss only where the cube and
// the gripper are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "rcls/sim/geometry.hpp"
#include "rcls/sim/scene.hpp"

namespace rcls::sim {

/// A linear RGB colour, components 0..1.
struct Rgb {
    double r = 0, g = 0, b = 0;
};

/// How one episode looks (seeded).
struct Appearance {
    std::uint64_t seed = 0;                 ///< The seed it was made from (renderers cache by it).
    Vec3 light_direction{0.3, -0.4, -1.0};  ///< Direction the light travels (world frame).
    double light_intensity = 0.8;
    double ambient = 0.35;
    Rgb table_a{0.55, 0.42, 0.30};  ///< Table colour and its texture's second colour.
    Rgb table_b{0.48, 0.36, 0.25};
    double table_texture_scale_m = 0.04;  ///< Period of the table's texture.
    int table_texture = 0;                ///< 0: stripes (wood grain), 1: checker, 2: speckle.
    Rgb wall{0.75, 0.75, 0.72};
    Rgb cube{0.85, 0.12, 0.10};
    double cube_texture = 0.15;  ///< Strength of the cube's stripes.
    Rgb arm{0.92, 0.90, 0.85};
    Vec3 camera_offset_m{};    ///< Jitter of the camera's position.
    Vec3 camera_turn_rad{};    ///< Jitter of its orientation (about its x, y and z axes).
    double exposure = 1.0;     ///< Gain of the sensor.
    double noise_sigma = 3.0;  ///< Sensor noise, standard deviation in 8-bit levels.
};

/// The appearance for `seed`; seed 0 gives the default (unjittered) look.
Appearance random_appearance(std::uint64_t seed);

/// How the looks of a recording's episodes relate to each other.
enum class AppearanceMode {
    /// One seeded look for the whole recording, as a real session has one room, table, cube and
    /// camera mount: each episode varies it only a little (lighting drift, exposure, sensor noise,
    /// a millimetre of camera shake). session_appearance().
    kSession,
    /// A new random look per episode (random_appearance() of the episode's seed): every episode
    /// in another room, for robustness tests and domain randomisation.
    kPerEpisode,
};

/// "session" or "per_episode".
std::string to_string(AppearanceMode mode);
/// The mode named "session" or "per_episode"; nullopt for any other name.
std::optional<AppearanceMode> parse_appearance_mode(std::string_view name);

/// One episode of a session: random_appearance(session_seed) with the small variation of one
/// recording session drawn from `episode_seed`: light direction within about 4 degrees, light
/// intensity and ambient within 5%, exposure within 4%, noise 80-120% of the session's, camera
/// position within 1 mm and orientation within 0.2 degree of the session's mount. The result's
/// `seed` is unique per (session, episode), so renderers rebuild their background per episode.
Appearance session_appearance(std::uint64_t session_seed, std::uint64_t episode_seed);

/// The look of the episode seeded `episode_seed` in a recording seeded `session_seed`.
Appearance episode_appearance(AppearanceMode mode,
                              std::uint64_t session_seed,
                              std::uint64_t episode_seed);

/// Which camera.
enum class View {
    kFront,  ///< Fixed in front of the arm, looking at the table and the arm.
    kWrist,  ///< On the gripper, looking along the jaws.
};

/// A pinhole camera: camera axes x right, y down, z forward.
struct CameraModel {
    Pose world_from_camera;
    double fx = 560, fy = 560, cx = 320, cy = 240;
    int width = 640, height = 480;

    /// Pixel position of a world point (continuous: pixel (i, j) covers [i, i+1) x [j, j+1)), or
    /// nullopt when it is behind the camera.
    std::optional<std::array<double, 2>> project(const Vec3& world) const;
};

/// The camera of `view` for a scene state and an appearance, at `width` x `height`.
CameraModel camera_for(View view,
                       const Appearance& appearance,
                       const SceneSnapshot& scene,
                       int width = 640,
                       int height = 480);

/// Renders frames. Keeps buffers and the static background between calls; not thread-safe.
class Renderer {
public:
    explicit Renderer(int width = 640, int height = 480);
    ~Renderer();
    Renderer(const Renderer&) = delete;
    Renderer& operator=(const Renderer&) = delete;

    /// Renders `scene` as seen from `view` into `rgb` (CV_8UC3, RGB order, reallocated if
    /// needed). `frame_seed` seeds the sensor noise of this frame.
    void render(const SceneSnapshot& scene,
                const Appearance& appearance,
                View view,
                std::uint64_t frame_seed,
                cv::Mat& rgb);

    /// Builds what stays the same for a fixed camera and one appearance (the table, the wall and
    /// their depths), so that the episode's first render() does not pay for it: call it when an
    /// episode starts. render() does it itself when needed.
    void prepare(const SceneSnapshot& scene, const Appearance& appearance, View view);

    int width() const { return width_; }
    int height() const { return height_; }

    struct Triangle;  ///< One shaded triangle of the scene (renderer.cpp).

private:
    void build_background(const CameraModel& camera, const Appearance& appearance);
    void rasterize(const CameraModel& camera, const std::vector<Triangle>& triangles);
    void rasterize_shadows(const CameraModel& camera,
                           const std::vector<Triangle>& triangles,
                           const Appearance& appearance);

    int width_;
    int height_;
    std::vector<std::uint8_t> background_rgb_;
    std::vector<float> background_inv_depth_;
    std::vector<std::uint8_t> rgb_;  ///< Colour being drawn, before exposure and noise.
    std::vector<float> inv_depth_;   ///< 1 / camera depth; 0: nothing.
    std::vector<std::uint8_t> shadow_mask_;
    std::vector<std::int8_t> noise_;
    std::vector<std::uint8_t> is_table_;
    std::vector<Triangle> triangles_;
    // The background is reused while the camera and appearance stay the same.
    bool background_valid_ = false;
    Pose background_pose_;
    std::uint64_t background_key_ = 0;
    Vec3 light_;
    double light_ambient_ = 0.3;
    double light_intensity_ = 0.8;
};

}  // namespace rcls::sim
