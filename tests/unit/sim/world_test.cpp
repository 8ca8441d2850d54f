// SPDX-License-Identifier: MIT
#include "rcls/sim/world.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <numbers>
#include <numeric>
#include <random>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "rcls/arm/sim_bus.hpp"
#include "rcls/core/error.hpp"

#include "temp_dir.hpp"

namespace rcls::sim {
namespace {

constexpr double kFps = 10.0;
constexpr std::int64_t kFrames = 80;

/// A flat look: no light direction, no noise, no jitter; each surface has one colour.
Appearance flat_look() {
    Appearance a = random_appearance(0);
    a.ambient = 1.0;
    a.light_intensity = 0.0;
    a.noise_sigma = 0.0;
    a.cube_texture = 0.0;
    return a;
}

TEST(Renderer, CubeLandsWhereTheCameraProjectsIt) {
    Scene scene({.seed = 11});
    scene.step(inverse_kinematics({{0.0, -0.12, 0.09}, 0.0}, {0.0, -0.5, 0.9, 1.2, 0.0, 0.0}),
               0.01);
    const SceneSnapshot s = scene.snapshot();
    const Appearance look = flat_look();
    Renderer renderer;
    cv::Mat frame;
    renderer.render(s, look, View::kFront, 1, frame);
    ASSERT_EQ(frame.rows, 480);
    ASSERT_EQ(frame.cols, 640);
    // The cube is the only strongly red thing: its pixels' centroid is the projected centre of
    // its visible faces, within a few pixels of the projected cube centre.
    double sx = 0, sy = 0, n = 0;
    for (int y = 0; y < frame.rows; ++y) {
        for (int x = 0; x < frame.cols; ++x) {
            const auto p = frame.at<cv::Vec3b>(y, x);
            if (p[0] > 180 && p[1] < 80 && p[2] < 80) {
                sx += x + 0.5;
                sy += y + 0.5;
                ++n;
            }
        }
    }
    ASSERT_GT(n, 200);
    const auto projected = camera_for(View::kFront, look, s).project(s.cube.t);
    ASSERT_TRUE(projected);
    EXPECT_NEAR(sx / n, (*projected)[0], 4.0);
    EXPECT_NEAR(sy / n, (*projected)[1], 4.0);
}

TEST(Renderer, GripperLandsWhereTheCameraProjectsIt) {
    Scene scene({.seed = 12});
    const JointAngles q =
        inverse_kinematics({{0.03, -0.2, 0.08}, 0.0}, {0.0, -0.5, 0.9, 1.2, 0.0, 0.0});
    scene.step(q, 0.01);
    const SceneSnapshot s = scene.snapshot();
    const Appearance look = flat_look();
    Renderer renderer;
    cv::Mat frame;
    renderer.render(s, look, View::kFront, 1, frame);
    const CameraModel camera = camera_for(View::kFront, look, s);
    // The middle of the fixed jaw's finger shows the arm's colour (the brightest surface); a
    // point 7 cm beside it, along the closing direction, does not.
    const Vec3 finger = s.arm.links[4] * Vec3{kFixedJawInnerX - 0.0045, 0.0, -0.08};
    const auto p = camera.project(finger);
    ASSERT_TRUE(p);
    int arm_pixels = 0;
    for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
            const auto v =
                frame.at<cv::Vec3b>(static_cast<int>((*p)[1]) + dy, static_cast<int>((*p)[0]) + dx);
            if (v[0] > 200 && v[1] > 200 && v[2] > 195) ++arm_pixels;
        }
    }
    EXPECT_GE(arm_pixels, 7);
    const auto beside = camera.project(s.arm.links[4] * Vec3{0.07, 0.0, -0.08});
    ASSERT_TRUE(beside);
    const auto v =
        frame.at<cv::Vec3b>(static_cast<int>((*beside)[1]), static_cast<int>((*beside)[0]));
    EXPECT_FALSE(v[0] > 200 && v[1] > 200 && v[2] > 195);
}

TEST(Renderer, IsDeterministicAndNoiseDependsOnTheFrameSeed) {
    ReachGraspWorld world({.seed = 2});
    world.advance_to(2.0);
    Renderer renderer;
    cv::Mat a, b, c;
    renderer.render(world.scene().snapshot(), world.appearance(), View::kFront, 5, a);
    renderer.render(world.scene().snapshot(), world.appearance(), View::kFront, 5, b);
    renderer.render(world.scene().snapshot(), world.appearance(), View::kFront, 6, c);
    EXPECT_EQ(cv::norm(a, b, cv::NORM_L1), 0.0);
    EXPECT_GT(cv::norm(a, c, cv::NORM_L1), 0.0);
    cv::Mat wrist;
    renderer.render(world.scene().snapshot(), world.appearance(), View::kWrist, 5, wrist);
    EXPECT_GT(cv::norm(a, wrist, cv::NORM_L1), 1e6);
}

// A success and a drop of the same seed (same cube, looks, noise and arm motion; the grasp slips in
// one of them) differ only near the cube and the gripper.
TEST(Renderer, SuccessAndDropDifferOnlyNearCubeAndGripper) {
    WorldOptions hit;
    hit.seed = 21;
    hit.person.miss_probability = 0.0;
    hit.scene.slip_probability = 0.0;
    WorldOptions drop = hit;
    drop.scene.slip_probability = 1.0;
    ReachGraspWorld a(hit), b(drop);
    const EpisodeTruth ta = run_episode(a, 0, kFps, kFrames);
    const EpisodeTruth tb = run_episode(b, 0, kFps, kFrames);
    ASSERT_EQ(ta.outcome, Outcome::kSuccess);
    ASSERT_EQ(tb.outcome, Outcome::kDrop);
    Renderer renderer;
    cv::Mat fa, fb;
    renderer.render(a.scene().snapshot(), a.appearance(), View::kFront, 79, fa);
    renderer.render(b.scene().snapshot(), b.appearance(), View::kFront, 79, fb);
    const CameraModel camera = camera_for(View::kFront, a.appearance(), a.scene().snapshot());
    const auto cube_a = camera.project(a.scene().cube().t);
    const auto cube_b = camera.project(b.scene().cube().t);
    ASSERT_TRUE(cube_a && cube_b);
    // Every differing pixel lies in the box spanned by the two cube positions, widened by the
    // size of the jaws and the cube's shadow on screen (about 3 cube widths).
    const double x0 = std::min((*cube_a)[0], (*cube_b)[0]) - 80;
    const double x1 = std::max((*cube_a)[0], (*cube_b)[0]) + 80;
    const double y0 = std::min((*cube_a)[1], (*cube_b)[1]) - 80;
    const double y1 = std::max((*cube_a)[1], (*cube_b)[1]) + 80;
    int differing = 0, outside = 0;
    for (int y = 0; y < fa.rows; ++y) {
        for (int x = 0; x < fa.cols; ++x) {
            const auto pa = fa.at<cv::Vec3b>(y, x);
            const auto pb = fb.at<cv::Vec3b>(y, x);
            const int d =
                std::abs(pa[0] - pb[0]) + std::abs(pa[1] - pb[1]) + std::abs(pa[2] - pb[2]);
            if (d == 0) continue;
            ++differing;
            if (x < x0 || x > x1 || y < y0 || y > y1) ++outside;
        }
    }
    EXPECT_GT(differing, 300);
    EXPECT_EQ(outside, 0);
    EXPECT_LT(differing, 640 * 480 / 20);
    std::printf("%d pixels differ, %d outside the box\n", differing, outside);
}

TEST(World, FollowerFollowsTheLeaderDrivenByTheOperator) {
    ReachGraspWorld world({.seed = 4});
    world.advance_to(1.5);
    const JointAngles q = world.person().at(1.5);
    for (std::uint8_t id = 1; id <= 6; ++id) {
        EXPECT_NEAR(world.leader().actual_position(id), radians_to_steps(q[id - 1]), 1.0);
        EXPECT_NEAR(world.follower().actual_position(id), world.leader().actual_position(id), 1e-9);
    }
}

TEST(World, GroundTruthMarksTheFirstFrameHeldTwoCentimetresUp) {
    WorldOptions options{.seed = 8};
    options.person.miss_probability = 0.0;
    options.scene.slip_probability = 0.0;
    ReachGraspWorld world(options);
    std::vector<double> heights;
    std::vector<bool> held;
    const EpisodeTruth truth =
        run_episode(world, 3, kFps, kFrames, [&](std::int64_t, const ReachGraspWorld& w) {
            heights.push_back(w.scene().cube_height_m());
            held.push_back(w.scene().cube_mode() == CubeMode::kHeld);
        });
    ASSERT_EQ(truth.outcome, Outcome::kSuccess);
    ASSERT_TRUE(truth.first_success_frame);
    const std::int64_t f = *truth.first_success_frame;
    EXPECT_TRUE(held[f]);
    EXPECT_GE(heights[f], kLiftThresholdM);
    for (std::int64_t i = 0; i < f; ++i)
        EXPECT_FALSE(held[i] && heights[i] >= kLiftThresholdM);
}

TEST(World, GroundTruthFileRoundTrips) {
    testing::TempDir dir;
    std::vector<EpisodeTruth> episodes(2);
    episodes[0] = {0, 17, 80, 41, Outcome::kSuccess};
    episodes[1] = {1, 18, 75, std::nullopt, Outcome::kMiss};
    write_ground_truth(dir.path(), episodes, 10.0);
    const auto path = ground_truth_path(dir.path());
    EXPECT_EQ(path, dir.path() / "rcls" / "sim_ground_truth.json");
    const auto back = read_ground_truth(path);
    ASSERT_EQ(back.size(), 2u);
    ASSERT_TRUE(back[0].first_success_frame);
    EXPECT_EQ(*back[0].first_success_frame, 41);
    EXPECT_EQ(back[0].seed, 17u);
    EXPECT_EQ(back[1].outcome, Outcome::kMiss);
    EXPECT_FALSE(back[1].first_success_frame);
    EXPECT_THROW(read_ground_truth(dir.path() / "missing.json"), DataError);
}

TEST(World, GroundTruthKeepsTheLastHeldFrameOfADrop) {
    testing::TempDir dir;
    std::vector<EpisodeTruth> episodes(2);
    episodes[0] = {0, 17, 80, 41, Outcome::kDrop, 47};
    episodes[1] = {1, 18, 80, 40, Outcome::kSuccess};
    write_ground_truth(dir.path(), episodes, 10.0);
    const auto back = read_ground_truth(ground_truth_path(dir.path()));
    ASSERT_EQ(back.size(), 2u);
    ASSERT_TRUE(back[0].last_success_frame);
    EXPECT_EQ(*back[0].last_success_frame, 47);
    EXPECT_FALSE(back[1].last_success_frame);
}

// Episodes whose grasp slips after the lift: success only while the cube was held up, and the
// frames after it show the cube down.
TEST(World, GroundTruthOfADropEndsWhenTheCubeFalls) {
    WorldOptions options{.seed = 5};
    options.person.miss_probability = 0.0;
    options.scene.slip_probability = 1.0;
    ReachGraspWorld world(options);
    int drops_after_lift = 0;
    for (std::int64_t e = 0; e < 12; ++e) {
        std::vector<bool> up;
        const EpisodeTruth t =
            run_episode(world, e, kFps, kFrames, [&](std::int64_t, const ReachGraspWorld& w) {
                up.push_back(w.scene().held_above(kLiftThresholdM));
            });
        if (!t.first_success_frame) {
            EXPECT_FALSE(t.last_success_frame) << e;
            continue;
        }
        ASSERT_NE(t.outcome, Outcome::kSuccess) << e;
        ASSERT_TRUE(t.last_success_frame) << e;
        ++drops_after_lift;
        EXPECT_GE(*t.last_success_frame, *t.first_success_frame) << e;
        EXPECT_TRUE(up[*t.last_success_frame]) << e;
        for (std::int64_t f = *t.last_success_frame + 1; f < kFrames; ++f)
            EXPECT_FALSE(up[f]) << e << " frame " << f;
    }
    EXPECT_GE(drops_after_lift, 2);
}

// A session: one look for every episode (the same table, cube, walls and arm colours) with
// small variation of light, exposure, noise and camera; per_episode: a new look each time.
TEST(World, SessionAppearanceVariesOnlyALittleBetweenEpisodes) {
    EXPECT_EQ(parse_appearance_mode("session"), AppearanceMode::kSession);
    EXPECT_EQ(parse_appearance_mode("per_episode"), AppearanceMode::kPerEpisode);
    EXPECT_FALSE(parse_appearance_mode("episode"));
    EXPECT_EQ(to_string(AppearanceMode::kPerEpisode), "per_episode");
    const Appearance a = session_appearance(3, episode_seed(3, 0));
    const Appearance b = session_appearance(3, episode_seed(3, 1));
    const Appearance other = session_appearance(4, episode_seed(4, 0));
    EXPECT_NE(a.seed, b.seed);  // renderers rebuild the background per episode
    EXPECT_EQ(a.table_texture, b.table_texture);
    EXPECT_DOUBLE_EQ(a.table_a.r, b.table_a.r);
    EXPECT_DOUBLE_EQ(a.cube.g, b.cube.g);
    EXPECT_DOUBLE_EQ(a.arm.b, b.arm.b);
    EXPECT_DOUBLE_EQ(a.wall.r, b.wall.r);
    EXPECT_NE(a.light_intensity, b.light_intensity);
    EXPECT_NEAR(a.light_intensity, b.light_intensity, 0.1 * a.light_intensity);
    EXPECT_NEAR(a.exposure, b.exposure, 0.08 * a.exposure);
    EXPECT_GT(dot(normalized(a.light_direction), normalized(b.light_direction)),
              std::cos(12.0 * std::numbers::pi / 180.0));
    EXPECT_LT(norm(a.camera_offset_m - b.camera_offset_m), 0.0035);
    EXPECT_NE(a.table_a.r, other.table_a.r);  // another session, another room
    const Appearance p0 = episode_appearance(AppearanceMode::kPerEpisode, 3, episode_seed(3, 0));
    const Appearance p1 = episode_appearance(AppearanceMode::kPerEpisode, 3, episode_seed(3, 1));
    EXPECT_NE(p0.table_a.r, p1.table_a.r);

    // Rendered: the wall (the top of the frame) has nearly the same mean colour in two episodes
    // of a session, not in two per-episode looks.
    WorldOptions options{.seed = 3, .appearance = AppearanceMode::kSession};
    ReachGraspWorld session(options);
    options.appearance = AppearanceMode::kPerEpisode;
    ReachGraspWorld rooms(options);
    Renderer renderer;
    auto wall_colour_change = [&](ReachGraspWorld& world) {
        cv::Mat f0, f1;
        world.start_episode(0);
        renderer.render(world.scene().snapshot(), world.appearance(), View::kFront, 1, f0);
        world.start_episode(1);
        renderer.render(world.scene().snapshot(), world.appearance(), View::kFront, 1, f1);
        const cv::Rect top(0, 0, f0.cols, f0.rows / 8);
        const cv::Scalar m0 = cv::mean(f0(top)), m1 = cv::mean(f1(top));
        double change = 0;
        for (int c = 0; c < 3; ++c)
            change = std::max(change, std::abs(m0[c] - m1[c]));
        return change;
    };
    const double same_room = wall_colour_change(session);
    const double new_room = wall_colour_change(rooms);
    std::printf(
        "largest change of the wall's mean colour between two episodes: session %.1f, "
        "per_episode %.1f levels\n",
        same_room, new_room);
    EXPECT_LT(same_room, 12.0);
    EXPECT_GT(new_room, 2.0 * same_room);
}

// 100 seeded episodes: mostly successes, some misses, some drops; the ground truth agrees.
TEST(World, OperatorOutcomeMixOverOneHundredEpisodes) {
    ReachGraspWorld world({.seed = 1});
    std::map<Outcome, int> counts;
    for (std::int64_t e = 0; e < 100; ++e) {
        const EpisodeTruth t = run_episode(world, e, kFps, kFrames);
        ++counts[t.outcome];
        if (t.outcome == Outcome::kSuccess) {
            EXPECT_TRUE(t.first_success_frame) << e;
        }
        if (t.outcome == Outcome::kMiss) {
            EXPECT_FALSE(t.first_success_frame) << e;
        }
    }
    std::printf("outcomes over 100 episodes: %d success, %d miss, %d drop\n",
                counts[Outcome::kSuccess], counts[Outcome::kMiss], counts[Outcome::kDrop]);
    EXPECT_GE(counts[Outcome::kSuccess], 55);
    EXPECT_GE(counts[Outcome::kMiss], 4);
    EXPECT_GE(counts[Outcome::kDrop], 4);
    EXPECT_LE(counts[Outcome::kMiss], 30);
    EXPECT_LE(counts[Outcome::kDrop], 30);
}

/// Logistic regression by gradient descent on standardised features; returns the balanced
/// accuracy on the test rows.
double logistic_balanced_accuracy(const std::vector<std::array<double, 4>>& x,
                                  const std::vector<int>& y,
                                  const std::vector<bool>& train) {
    std::array<double, 4> mean{}, sd{};
    int n_train = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (!train[i]) continue;
        ++n_train;
        for (int k = 0; k < 4; ++k)
            mean[k] += x[i][k];
    }
    for (int k = 0; k < 4; ++k)
        mean[k] /= n_train;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (!train[i]) continue;
        for (int k = 0; k < 4; ++k)
            sd[k] += (x[i][k] - mean[k]) * (x[i][k] - mean[k]);
    }
    for (int k = 0; k < 4; ++k)
        sd[k] = std::sqrt(sd[k] / n_train) + 1e-9;
    std::array<double, 5> w{};
    for (int it = 0; it < 3000; ++it) {
        std::array<double, 5> grad{};
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (!train[i]) continue;
            double z = w[4];
            for (int k = 0; k < 4; ++k)
                z += w[k] * (x[i][k] - mean[k]) / sd[k];
            const double p = 1.0 / (1.0 + std::exp(-z));
            const double e = p - y[i];
            for (int k = 0; k < 4; ++k)
                grad[k] += e * (x[i][k] - mean[k]) / sd[k];
            grad[4] += e;
        }
        for (int k = 0; k < 5; ++k)
            w[k] -= 0.5 * grad[k] / n_train;
    }
    int tp = 0, pos = 0, tn = 0, neg = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (train[i]) continue;
        double z = w[4];
        for (int k = 0; k < 4; ++k)
            z += w[k] * (x[i][k] - mean[k]) / sd[k];
        const int predicted = z > 0 ? 1 : 0;
        if (y[i] == 1) {
            ++pos;
            tp += predicted;
        } else {
            ++neg;
            tn += 1 - predicted;
        }
    }
    return 0.5 * (static_cast<double>(tp) / std::max(pos, 1) +
                  static_cast<double>(tn) / std::max(neg, 1));
}

// The scene's honesty: the global mean colour and brightness of a frame cannot tell a held,
// lifted cube from a miss or a drop. Frames: the last frame of 120 episodes, labelled by the
// ground truth (held at least 2 cm up); features: mean R, G, B and brightness; logistic
// regression, trained on half and tested on the other half (both ways): balanced accuracy near
// chance (0.5).
TEST(World, GlobalMeanColourCannotTellSuccessFromFailure) {
    WorldOptions options{.seed = 31};
    options.person.miss_probability = 0.3;  // enough failures for balanced classes
    options.scene.slip_probability = 0.25;
    ReachGraspWorld world(options);
    Renderer renderer;
    std::vector<std::array<double, 4>> features;
    std::vector<int> labels;
    cv::Mat frame;
    for (std::int64_t e = 0; e < 120; ++e) {
        run_episode(world, e, kFps, kFrames);
        renderer.render(world.scene().snapshot(), world.appearance(), View::kFront,
                        static_cast<std::uint64_t>(e), frame);
        const cv::Scalar m = cv::mean(frame);
        features.push_back({m[0], m[1], m[2], (m[0] + m[1] + m[2]) / 3});
        labels.push_back(world.scene().held_above(kLiftThresholdM) ? 1 : 0);
    }
    const int positives = std::accumulate(labels.begin(), labels.end(), 0);
    ASSERT_GE(positives, 25);
    ASSERT_GE(static_cast<int>(labels.size()) - positives, 25);
    std::vector<bool> even(labels.size()), odd(labels.size());
    for (std::size_t i = 0; i < labels.size(); ++i) {
        even[i] = i % 2 == 0;
        odd[i] = !even[i];
    }
    const double accuracy = 0.5 * (logistic_balanced_accuracy(features, labels, even) +
                                   logistic_balanced_accuracy(features, labels, odd));
    std::printf("balanced accuracy of logistic regression on global means: %.3f\n", accuracy);
    EXPECT_LT(accuracy, 0.65);
}

}  // namespace
}  // namespace rcls::sim
