// SPDX-License-Identifier: MIT
#include "rcls/sim/renderer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <random>

namespace rcls::sim {
namespace {

// The table top (z = 0) and the wall behind the arm.
constexpr double kTableMinX = -0.45, kTableMaxX = 0.45;
constexpr double kTableMinY = -0.70, kTableMaxY = 0.30;
constexpr double kWallY = 0.30;
constexpr std::size_t kNoiseSize = 1u << 20;

Rgb mix(const Rgb& a, const Rgb& b, double t) {
    return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}

std::uint8_t to_level(double v) {
    return static_cast<std::uint8_t>(std::clamp(v * 255.0, 0.0, 255.0) + 0.0);
}

double hash01(std::int64_t x, std::int64_t y) {
    std::uint64_t h = static_cast<std::uint64_t>(x) * 0x9E3779B97F4A7C15ULL ^
                      static_cast<std::uint64_t>(y) * 0xC2B2AE3D27D4EB4FULL;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 32;
    return static_cast<double>(h & 0xFFFFFF) / static_cast<double>(0xFFFFFF);
}

Mat3 look_at(const Vec3& eye, const Vec3& target) {
    const Vec3 f = normalized(target - eye);
    const Vec3 right = normalized(cross(f, {0, 0, 1}));
    const Vec3 down = cross(f, right);
    Mat3 r;
    r.m = {{{right.x, down.x, f.x}, {right.y, down.y, f.y}, {right.z, down.z, f.z}}};
    return r;
}

}  // namespace

struct Renderer::Triangle {
    std::array<Vec3, 3> v;
    Rgb color;                 ///< Unlit colour.
    float texture = 0.0f;      ///< Stripe strength (0: plain).
    std::array<float, 3> u{};  ///< Texture coordinate per vertex (stripes along u).
    bool casts_shadow = true;
};

namespace {

using Tri = std::vector<Renderer::Triangle>;

}  // namespace

Appearance random_appearance(std::uint64_t seed) {
    Appearance a;
    a.seed = seed;
    if (seed == 0) return a;
    std::mt19937_64 rng(seed * 0xD1B54A32D192ED03ULL + 0xA99E);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    auto uni = [&](double lo, double hi) { return lo + (hi - lo) * u(rng); };
    const double light_yaw = uni(-std::numbers::pi, std::numbers::pi);
    const double light_elev = uni(0.6, 1.3);  // above the horizon
    a.light_direction = {-std::cos(light_elev) * std::cos(light_yaw),
                         -std::cos(light_elev) * std::sin(light_yaw), -std::sin(light_elev)};
    a.light_intensity = uni(0.55, 1.0);
    a.ambient = uni(0.25, 0.45);
    const double wood = uni(0.0, 1.0);
    a.table_a = mix({0.62, 0.48, 0.34}, {0.45, 0.45, 0.47}, wood);
    a.table_a = {a.table_a.r * uni(0.8, 1.15), a.table_a.g * uni(0.8, 1.15),
                 a.table_a.b * uni(0.8, 1.15)};
    const double contrast = uni(0.75, 0.95);
    a.table_b = {a.table_a.r * contrast, a.table_a.g * contrast, a.table_a.b * contrast};
    a.table_texture = static_cast<int>(rng() % 3);
    a.table_texture_scale_m = uni(0.02, 0.08);
    a.wall = {uni(0.6, 0.85), uni(0.6, 0.85), uni(0.6, 0.85)};
    // Cubes are strongly coloured (red, green, blue, yellow or orange families).
    static constexpr std::array<Rgb, 5> kCubeColours = {{{0.85, 0.12, 0.10},
                                                         {0.15, 0.65, 0.20},
                                                         {0.12, 0.30, 0.85},
                                                         {0.90, 0.80, 0.10},
                                                         {0.95, 0.45, 0.08}}};
    const Rgb base = kCubeColours[rng() % kCubeColours.size()];
    a.cube = {std::clamp(base.r * uni(0.8, 1.1), 0.0, 1.0),
              std::clamp(base.g * uni(0.8, 1.1), 0.0, 1.0),
              std::clamp(base.b * uni(0.8, 1.1), 0.0, 1.0)};
    a.cube_texture = uni(0.0, 0.25);
    a.arm = mix({0.93, 0.92, 0.88}, {0.95, 0.85, 0.35}, u(rng) < 0.3 ? uni(0.5, 1.0) : 0.0);
    a.camera_offset_m = {uni(-0.004, 0.004), uni(-0.004, 0.004), uni(-0.004, 0.004)};
    const double deg = std::numbers::pi / 180.0;
    a.camera_turn_rad = {uni(-1.0, 1.0) * deg, uni(-1.0, 1.0) * deg, uni(-1.0, 1.0) * deg};
    a.exposure = uni(0.8, 1.25);
    a.noise_sigma = uni(1.5, 5.0);
    return a;
}

std::string to_string(AppearanceMode mode) {
    return mode == AppearanceMode::kSession ? "session" : "per_episode";
}

std::optional<AppearanceMode> parse_appearance_mode(std::string_view name) {
    if (name == "session") return AppearanceMode::kSession;
    if (name == "per_episode") return AppearanceMode::kPerEpisode;
    return std::nullopt;
}

Appearance session_appearance(std::uint64_t session_seed, std::uint64_t episode_seed) {
    // The session's look: its own seed stream, so that it is not episode 0's per-episode look.
    Appearance a = random_appearance(session_seed * 0x9E3779B97F4A7C15ULL + 0x5E5510);
    std::mt19937_64 rng(episode_seed * 0xBF58476D1CE4E5B9ULL + 0x5E55);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    auto uni = [&](double lo, double hi) { return lo + (hi - lo) * u(rng); };
    const double deg = std::numbers::pi / 180.0;
    // Lighting drift: the light turns by up to ~4 degrees and changes by up to 5%.
    const Vec3 d = normalized(a.light_direction);
    const double yaw = std::atan2(d.y, d.x) + uni(-4.0, 4.0) * deg;
    const double elev = std::asin(std::clamp(-d.z, -1.0, 1.0)) + uni(-3.0, 3.0) * deg;
    a.light_direction = {std::cos(elev) * std::cos(yaw), std::cos(elev) * std::sin(yaw),
                         -std::sin(elev)};
    a.light_intensity *= uni(0.95, 1.05);
    a.ambient *= uni(0.95, 1.05);
    a.exposure *= uni(0.96, 1.04);
    a.noise_sigma *= uni(0.8, 1.2);
    // Camera shake: the mount is bumped by a millimetre and a fifth of a degree at most.
    a.camera_offset_m =
        a.camera_offset_m + Vec3{uni(-0.001, 0.001), uni(-0.001, 0.001), uni(-0.001, 0.001)};
    a.camera_turn_rad =
        a.camera_turn_rad + Vec3{uni(-0.2, 0.2) * deg, uni(-0.2, 0.2) * deg, uni(-0.2, 0.2) * deg};
    a.seed = (session_seed * 0xC2B2AE3D27D4EB4FULL) ^ (episode_seed + 0x9E3779B97F4A7C15ULL);
    return a;
}

Appearance episode_appearance(AppearanceMode mode,
                              std::uint64_t session_seed,
                              std::uint64_t episode_seed) {
    return mode == AppearanceMode::kSession ? session_appearance(session_seed, episode_seed)
                                            : random_appearance(episode_seed);
}

std::optional<std::array<double, 2>> CameraModel::project(const Vec3& world) const {
    const Vec3 c = world_from_camera.inverse() * world;
    if (c.z <= 1e-6) return std::nullopt;
    return std::array<double, 2>{fx * c.x / c.z + cx, fy * c.y / c.z + cy};
}

CameraModel camera_for(
    View view, const Appearance& appearance, const SceneSnapshot& scene, int width, int height) {
    CameraModel cam;
    cam.width = width;
    cam.height = height;
    const double scale = width / 640.0;
    cam.cx = width / 2.0;
    cam.cy = height / 2.0;
    const Mat3 jitter = rot_x(appearance.camera_turn_rad.x) * rot_y(appearance.camera_turn_rad.y) *
                        rot_z(appearance.camera_turn_rad.z);
    if (view == View::kFront) {
        cam.fx = cam.fy = 560.0 * scale;
        const Vec3 eye = Vec3{0.03, -0.62, 0.33} + appearance.camera_offset_m;
        cam.world_from_camera = {look_at(eye, {0.02, -0.17, 0.04}) * jitter, eye};
    } else {
        cam.fx = cam.fy = 330.0 * scale;
        // On the gripper's back, looking along the jaws (the gripper points along its -z axis),
        // tilted toward them.
        Mat3 mount;
        mount.m = {{{1, 0, 0}, {0, -1, 0}, {0, 0, -1}}};
        const Pose in_gripper = {mount * rot_x(-0.35) * jitter,
                                 Vec3{-0.005, 0.045, -0.02} + appearance.camera_offset_m};
        cam.world_from_camera = scene.arm.links[4] * in_gripper;
    }
    return cam;
}

Renderer::Renderer(int width, int height) : width_(width), height_(height) {
    const std::size_t n = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
    background_rgb_.resize(n * 3);
    background_inv_depth_.resize(n);
    rgb_.resize(n * 3);
    inv_depth_.resize(n);
    shadow_mask_.assign(n, 0);
    is_table_.assign(n, 0);
    noise_.resize(kNoiseSize + n * 3);
    std::mt19937 rng(12345);
    std::normal_distribution<double> gauss(0.0, 1.0);
    for (auto& v : noise_) {
        v = static_cast<std::int8_t>(std::clamp(std::lround(gauss(rng) * 16.0), -127L, 127L));
    }
    triangles_.reserve(1024);
}

Renderer::~Renderer() = default;

void Renderer::build_background(const CameraModel& cam, const Appearance& a) {
    const Vec3 light = normalized(a.light_direction);
    const double table_k = a.ambient + a.light_intensity * std::max(0.0, -light.z);
    const double wall_k = a.ambient + a.light_intensity * std::max(0.0, light.y);
    const Mat3& r = cam.world_from_camera.R;
    const Vec3 o = cam.world_from_camera.t;
    for (int y = 0; y < height_; ++y) {
        for (int x = 0; x < width_; ++x) {
            const Vec3 dc = {(x + 0.5 - cam.cx) / cam.fx, (y + 0.5 - cam.cy) / cam.fy, 1.0};
            const Vec3 d = r * dc;
            const std::size_t i = static_cast<std::size_t>(y) * width_ + x;
            Rgb c{0.18, 0.18, 0.2};
            double depth = 50.0;
            bool table = false;
            if (d.z < 0) {
                const double t = -o.z / d.z;
                const Vec3 p = o + d * t;
                if (p.x >= kTableMinX && p.x <= kTableMaxX && p.y >= kTableMinY &&
                    p.y <= kTableMaxY) {
                    double f = 0;
                    const double s = a.table_texture_scale_m;
                    if (a.table_texture == 0) {
                        f = 0.5 +
                            0.5 * std::sin((p.x * 0.9 + p.y * 0.2) / s * 2 * std::numbers::pi +
                                           1.5 * std::sin(p.y * 23.0));
                    } else if (a.table_texture == 1) {
                        f = ((static_cast<std::int64_t>(std::floor(p.x / s)) +
                              static_cast<std::int64_t>(std::floor(p.y / s))) &
                             1)
                                ? 1.0
                                : 0.0;
                    } else {
                        f = hash01(static_cast<std::int64_t>(std::floor(p.x / 0.004)),
                                   static_cast<std::int64_t>(std::floor(p.y / 0.004)));
                    }
                    const Rgb t_c = mix(a.table_a, a.table_b, f);
                    c = {t_c.r * table_k, t_c.g * table_k, t_c.b * table_k};
                    depth = t;
                    table = true;
                }
            }
            if (!table && d.y > 0) {
                const double t = (kWallY - o.y) / d.y;
                const Vec3 p = o + d * t;
                if (p.z >= -0.01 && p.z <= 1.5 && t < depth) {
                    c = {a.wall.r * wall_k, a.wall.g * wall_k, a.wall.b * wall_k};
                    depth = t;
                }
            }
            background_rgb_[i * 3 + 0] = to_level(c.r);
            background_rgb_[i * 3 + 1] = to_level(c.g);
            background_rgb_[i * 3 + 2] = to_level(c.b);
            background_inv_depth_[i] = static_cast<float>(1.0 / depth);
            is_table_[i] = table ? 1 : 0;
        }
    }
}

namespace {

struct Projected {
    float x, y, iz;
};

bool project_vertex(const Pose& camera_from_world,
                    const CameraModel& cam,
                    const Vec3& v,
                    Projected& out) {
    const Vec3 c = camera_from_world * v;
    if (c.z < 0.02) return false;
    const double iz = 1.0 / c.z;
    out = {static_cast<float>(cam.fx * c.x * iz + cam.cx),
           static_cast<float>(cam.fy * c.y * iz + cam.cy), static_cast<float>(iz)};
    return true;
}

/// Calls fill(index, w0, w1, w2, iz) for every pixel centre inside the triangle.
template <class Fill>
void scan_triangle(const Projected& a,
                   const Projected& b,
                   const Projected& c,
                   int width,
                   int height,
                   Fill&& fill) {
    const float area = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
    if (std::abs(area) < 1e-8f) return;
    const int x0 = std::max(0, static_cast<int>(std::floor(std::min({a.x, b.x, c.x}))));
    const int x1 = std::min(width - 1, static_cast<int>(std::ceil(std::max({a.x, b.x, c.x}))));
    const int y0 = std::max(0, static_cast<int>(std::floor(std::min({a.y, b.y, c.y}))));
    const int y1 = std::min(height - 1, static_cast<int>(std::ceil(std::max({a.y, b.y, c.y}))));
    if (x0 > x1 || y0 > y1) return;
    const float inv = 1.0f / area;
    // Edge functions, normalised to barycentric weights.
    const float e0dx = (b.y - c.y) * inv, e0dy = (c.x - b.x) * inv;
    const float e1dx = (c.y - a.y) * inv, e1dy = (a.x - c.x) * inv;
    const float px0 = static_cast<float>(x0) + 0.5f;
    for (int y = y0; y <= y1; ++y) {
        const float py = static_cast<float>(y) + 0.5f;
        float w0 = ((b.x - px0) * (c.y - py) - (b.y - py) * (c.x - px0)) * inv;
        float w1 = ((c.x - px0) * (a.y - py) - (c.y - py) * (a.x - px0)) * inv;
        // d/dx of the edge functions.
        const std::size_t row = static_cast<std::size_t>(y) * static_cast<std::size_t>(width);
        for (int x = x0; x <= x1; ++x) {
            const float w2 = 1.0f - w0 - w1;
            if (w0 >= 0.0f && w1 >= 0.0f && w2 >= 0.0f) {
                fill(row + static_cast<std::size_t>(x), w0, w1, w2);
            }
            w0 += e0dx;
            w1 += e1dx;
        }
        (void)e0dy;
        (void)e1dy;
    }
}

void add_box(Tri& out,
             const Pose& frame,
             const Vec3& lo,
             const Vec3& hi,
             const Rgb& colour,
             float texture = 0.0f,
             bool casts_shadow = true) {
    std::array<Vec3, 8> p;
    for (int i = 0; i < 8; ++i) {
        const Vec3 local = {(i & 1) ? hi.x : lo.x, (i & 2) ? hi.y : lo.y, (i & 4) ? hi.z : lo.z};
        p[i] = frame * local;
    }
    static constexpr int kFaces[6][4] = {{0, 1, 3, 2}, {4, 6, 7, 5}, {0, 4, 5, 1},
                                         {2, 3, 7, 6}, {0, 2, 6, 4}, {1, 5, 7, 3}};
    for (const auto& f : kFaces) {
        Renderer::Triangle t1{
            {p[f[0]], p[f[1]], p[f[2]]}, colour, texture, {0, 1, 1}, casts_shadow};
        Renderer::Triangle t2{
            {p[f[0]], p[f[2]], p[f[3]]}, colour, texture, {0, 1, 0}, casts_shadow};
        out.push_back(t1);
        out.push_back(t2);
    }
}

/// A box along the segment a -> b (its length), `w` wide along `side` and `d` deep.
void add_bar(Tri& out,
             const Vec3& a,
             const Vec3& b,
             const Vec3& side,
             double w,
             double d,
             const Rgb& colour) {
    const Vec3 axis = b - a;
    const double length = norm(axis);
    if (length < 1e-6) return;
    const Vec3 z = axis * (1.0 / length);
    Vec3 x = normalized(side - z * dot(side, z));
    if (norm(x) < 0.5) x = normalized(cross(z, {0.0, 0.0, 1.0}));
    const Vec3 y = cross(z, x);
    Pose frame;
    frame.R.m = {{{x.x, y.x, z.x}, {x.y, y.y, z.y}, {x.z, y.z, z.z}}};
    frame.t = a;
    add_box(out, frame, {-w / 2, -d / 2, 0.0}, {w / 2, d / 2, length}, colour);
}

void add_cylinder(Tri& out,
                  const Pose& frame,
                  double radius,
                  double z0,
                  double z1,
                  const Rgb& colour,
                  int segments = 16) {
    for (int i = 0; i < segments; ++i) {
        const double a0 = 2 * std::numbers::pi * i / segments;
        const double a1 = 2 * std::numbers::pi * (i + 1) / segments;
        const Vec3 p0 = {radius * std::cos(a0), radius * std::sin(a0), 0};
        const Vec3 p1 = {radius * std::cos(a1), radius * std::sin(a1), 0};
        const Vec3 b0 = frame * Vec3{p0.x, p0.y, z0}, b1 = frame * Vec3{p1.x, p1.y, z0};
        const Vec3 t0 = frame * Vec3{p0.x, p0.y, z1}, t1 = frame * Vec3{p1.x, p1.y, z1};
        out.push_back({{b0, b1, t1}, colour});
        out.push_back({{b0, t1, t0}, colour});
        out.push_back({{frame * Vec3{0, 0, z1}, t0, t1}, colour});
    }
}

void build_scene(Tri& out, const SceneSnapshot& s, const Appearance& a) {
    const Rgb servo{0.12, 0.12, 0.13};
    const ArmPose& arm = s.arm;
    // Base: a cylinder around the pan axis, then the links as bars between joint origins, a
    // servo at each joint.
    const Vec3 pan = {0.0207909, -0.0230745, 0.0};
    add_cylinder(out, {Mat3{}, pan}, 0.045, 0.0, 0.055, a.arm);
    add_box(out, {Mat3{}, pan}, {-0.02, -0.035, 0.03}, {0.02, 0.02, 0.09}, servo);
    const Vec3 pan_top = {pan.x, pan.y, 0.0948817};
    add_bar(out, pan_top, arm.links[1].t, arm.links[1].R.column(2), 0.045, 0.035, a.arm);
    for (int i = 1; i <= 3; ++i) {
        add_bar(out, arm.links[i].t, arm.links[i + 1].t, arm.links[i].R.column(2), 0.032, 0.026,
                a.arm);
        add_box(out, arm.links[i], {-0.012, -0.02, -0.018}, {0.012, 0.02, 0.018}, servo);
    }
    // Gripper: its body and the fixed jaw in the gripper link's frame, then the moving jaw.
    const Pose& g = arm.links[4];
    add_box(out, g, {-0.0324, -0.02, -0.045}, {0.032, 0.02, 0.0}, a.arm);
    add_box(out, g, {-0.006, -0.016, -0.040}, {0.026, 0.016, -0.008}, servo);
    add_box(out, g, {kFixedJawInnerX - 0.009, -0.01, -0.106}, {kFixedJawInnerX, 0.01, -0.045},
            a.arm);
    const double phi = std::max(0.0, s.q[5] - kJawTouchAngle);
    const Mat3 turn = rot_y(-phi);
    const Vec3 hinge = {kMovingJawHinge.x, 0.0, kMovingJawHinge.z};
    // The moving jaw: an arm from the hinge to the finger, and the finger, turning together.
    auto jaw_point = [&](double x, double z) {
        return g * (hinge + turn * Vec3{x - hinge.x, 0.0, z - hinge.z});
    };
    const Vec3 top = jaw_point(0.006, -0.035);
    const Vec3 tip = jaw_point(kFixedJawInnerX + 0.0045, -0.106);
    add_bar(out, jaw_point(0.02, -0.03), top, g.R.column(1), 0.02, 0.012, a.arm);
    add_bar(out, top, tip, g.R.column(1), 0.02, 0.009, a.arm);
    // The cube.
    const double h = s.cube_size_m / 2;
    add_box(out, s.cube, {-h, -h, -h}, {h, h, h}, a.cube, static_cast<float>(a.cube_texture));
}

}  // namespace

void Renderer::rasterize_shadows(const CameraModel& cam,
                                 const std::vector<Triangle>& tris,
                                 const Appearance& a) {
    const Vec3 light = normalized(a.light_direction);
    if (light.z > -0.05) return;
    const Pose cfw = cam.world_from_camera.inverse();
    int bx0 = width_, by0 = height_, bx1 = -1, by1 = -1;
    for (const Triangle& t : tris) {
        if (!t.casts_shadow) continue;
        std::array<Projected, 3> p;
        bool ok = true;
        for (int k = 0; k < 3 && ok; ++k) {
            const Vec3& v = t.v[k];
            const Vec3 on_table = v - light * (v.z / light.z);
            ok = project_vertex(cfw, cam, {on_table.x, on_table.y, 0.0}, p[k]);
        }
        if (!ok) continue;
        bx0 = std::min(bx0, static_cast<int>(std::min({p[0].x, p[1].x, p[2].x})));
        by0 = std::min(by0, static_cast<int>(std::min({p[0].y, p[1].y, p[2].y})));
        bx1 = std::max(bx1, static_cast<int>(std::max({p[0].x, p[1].x, p[2].x})) + 1);
        by1 = std::max(by1, static_cast<int>(std::max({p[0].y, p[1].y, p[2].y})) + 1);
        scan_triangle(p[0], p[1], p[2], width_, height_,
                      [&](std::size_t i, float, float, float) { shadow_mask_[i] = 1; });
    }
    bx0 = std::max(bx0, 0);
    by0 = std::max(by0, 0);
    bx1 = std::min(bx1, width_ - 1);
    by1 = std::min(by1, height_ - 1);
    const double lit = a.ambient + a.light_intensity * (-light.z);
    const int factor = static_cast<int>(256.0 * a.ambient / lit);
    for (int y = by0; y <= by1; ++y) {
        for (int x = bx0; x <= bx1; ++x) {
            const std::size_t i = static_cast<std::size_t>(y) * width_ + x;
            if (shadow_mask_[i] == 0) continue;
            shadow_mask_[i] = 0;
            if (is_table_[i] == 0) continue;
            for (int ch = 0; ch < 3; ++ch) {
                rgb_[i * 3 + ch] = static_cast<std::uint8_t>((rgb_[i * 3 + ch] * factor) >> 8);
            }
        }
    }
}

void Renderer::rasterize(const CameraModel& cam, const std::vector<Triangle>& tris) {
    const Pose cfw = cam.world_from_camera.inverse();
    const Vec3 eye = cam.world_from_camera.t;
    (void)eye;
    for (const Triangle& t : tris) {
        std::array<Projected, 3> p;
        if (!project_vertex(cfw, cam, t.v[0], p[0]) || !project_vertex(cfw, cam, t.v[1], p[1]) ||
            !project_vertex(cfw, cam, t.v[2], p[2])) {
            continue;
        }
        Vec3 n = normalized(cross(t.v[1] - t.v[0], t.v[2] - t.v[0]));
        if (dot(n, eye - t.v[0]) < 0) n = -n;  // two-sided: the face the camera sees
        const double k = light_ambient_ + light_intensity_ * std::max(0.0, -dot(n, light_));
        const float cr = static_cast<float>(std::min(255.0, t.color.r * k * 255.0));
        const float cg = static_cast<float>(std::min(255.0, t.color.g * k * 255.0));
        const float cb = static_cast<float>(std::min(255.0, t.color.b * k * 255.0));
        const float tex = t.texture;
        const std::array<float, 3> u = t.u;
        scan_triangle(p[0], p[1], p[2], width_, height_,
                      [&](std::size_t i, float w0, float w1, float w2) {
                          const float iz = w0 * p[0].iz + w1 * p[1].iz + w2 * p[2].iz;
                          if (iz <= inv_depth_[i]) return;
                          inv_depth_[i] = iz;
                          float f = 1.0f;
                          if (tex > 0.0f) {
                              const float uu = w0 * u[0] + w1 * u[1] + w2 * u[2];
                              f = (static_cast<int>(uu * 6.0f) & 1) ? 1.0f - tex : 1.0f;
                          }
                          rgb_[i * 3 + 0] = static_cast<std::uint8_t>(cr * f);
                          rgb_[i * 3 + 1] = static_cast<std::uint8_t>(cg * f);
                          rgb_[i * 3 + 2] = static_cast<std::uint8_t>(cb * f);
                      });
    }
}

void Renderer::prepare(const SceneSnapshot& scene, const Appearance& a, View view) {
    const CameraModel cam = camera_for(view, a, scene, width_, height_);
    const bool same_pose =
        std::memcmp(&cam.world_from_camera, &background_pose_, sizeof(Pose)) == 0;
    if (!background_valid_ || !same_pose || background_key_ != a.seed + 1) {
        build_background(cam, a);
        background_valid_ = true;
        background_pose_ = cam.world_from_camera;
        background_key_ = a.seed + 1;
    }
}

void Renderer::render(const SceneSnapshot& scene,
                      const Appearance& a,
                      View view,
                      std::uint64_t frame_seed,
                      cv::Mat& out) {
    const CameraModel cam = camera_for(view, a, scene, width_, height_);
    prepare(scene, a, view);
    std::memcpy(rgb_.data(), background_rgb_.data(), rgb_.size());
    std::memcpy(inv_depth_.data(), background_inv_depth_.data(), inv_depth_.size() * sizeof(float));
    light_ = normalized(a.light_direction);
    light_ambient_ = a.ambient;
    light_intensity_ = a.light_intensity;

    triangles_.clear();
    build_scene(triangles_, scene, a);
    rasterize_shadows(cam, triangles_, a);
    rasterize(cam, triangles_);

    // The sensor: exposure (a gain curve) and noise.
    std::array<std::uint8_t, 256> lut{};
    for (int v = 0; v < 256; ++v) {
        lut[v] = static_cast<std::uint8_t>(std::clamp(std::lround(v * a.exposure), 0L, 255L));
    }
    out.create(height_, width_, CV_8UC3);
    const int sigma_q8 = static_cast<int>(std::lround(a.noise_sigma / 16.0 * 256.0));
    const std::size_t offset =
        static_cast<std::size_t>((frame_seed * 0x9E3779B97F4A7C15ULL) >> 44) % kNoiseSize;
    const std::int8_t* noise = noise_.data() + offset;
    const std::size_t n = rgb_.size();
    for (int y = 0; y < height_; ++y) {
        std::uint8_t* dst = out.ptr<std::uint8_t>(y);
        const std::size_t base = static_cast<std::size_t>(y) * width_ * 3;
        for (std::size_t x = 0; x < static_cast<std::size_t>(width_) * 3; ++x) {
            const int v = lut[rgb_[base + x]] + ((noise[base + x] * sigma_q8) >> 8);
            dst[x] = static_cast<std::uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
        }
    }
    (void)n;
}

}  // namespace rcls::sim
