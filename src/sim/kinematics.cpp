// SPDX-License-Identifier: MIT
#include "rcls/sim/kinematics.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace rcls::sim {
namespace {

struct JointOrigin {
    Vec3 xyz;
    Vec3 rpy;
};

// so101_new_calib.urdf: the joint origins of shoulder_pan .. wrist_roll, then gripper.
constexpr std::array<JointOrigin, 6> kOrigins = {{
    {{0.0207909, -0.0230745, 0.0948817}, {-3.14159, 6.03684e-16, 1.5708}},
    {{-0.0303992, -0.0182778, -0.0542}, {-1.5708, -1.5708, 0}},
    {{-0.11257, -0.028, 2.46331e-16}, {-1.22818e-15, 5.75928e-16, 1.5708}},
    {{-0.1349, 0.0052, 1.65232e-16}, {3.2474e-15, 2.86219e-15, -1.5708}},
    {{0, -0.0611, 0.0181}, {1.5708, -9.38083e-08, 3.14159}},
    {{0.0202, 0.0188, -0.0234}, {1.5708, -5.14108e-17, -1.38655e-14}},
}};
constexpr JointOrigin kGripperFrame = {{-0.0079, -0.000218121, -0.0981274},
                                       {1.5708, 1.22465e-16, 1.5708}};

Pose origin_pose(const JointOrigin& o) {
    return {rot_rpy(o.rpy.x, o.rpy.y, o.rpy.z), o.xyz};
}

Pose joint_pose(const JointOrigin& o, double q) {
    Pose p = origin_pose(o);
    p.R = p.R * rot_z(q);
    return p;
}

constexpr double kTwoPi = 2.0 * std::numbers::pi;
constexpr double kGripperSpan = 1.74533 + 0.174533;

// The moving jaw's inner point at the tool depth, relative to the hinge, when the jaws touch.
constexpr double kInnerDx = kFixedJawInnerX - 0.0202;  // -0.0406
constexpr double kInnerDz = -0.0981274 - (-0.0234);    // -0.0747

}  // namespace

double steps_to_radians(double steps) {
    return (steps - kZeroSteps) * kTwoPi / 4096.0;
}
double radians_to_steps(double radians) {
    return radians * 4096.0 / kTwoPi + kZeroSteps;
}

JointAngles from_lerobot(const std::array<double, kNumJoints>& values) {
    JointAngles q{};
    for (std::size_t i = 0; i + 1 < kNumJoints; ++i)
        q[i] = values[i] * std::numbers::pi / 180.0;
    q[5] = kJointLower[5] + std::clamp(values[5], 0.0, 100.0) / 100.0 * kGripperSpan;
    return q;
}

std::array<double, kNumJoints> to_lerobot(const JointAngles& q) {
    std::array<double, kNumJoints> v{};
    for (std::size_t i = 0; i + 1 < kNumJoints; ++i)
        v[i] = q[i] * 180.0 / std::numbers::pi;
    v[5] = (q[5] - kJointLower[5]) / kGripperSpan * 100.0;
    return v;
}

ArmPose forward_kinematics(const JointAngles& q) {
    ArmPose out;
    Pose t;  // identity: the base frame
    for (std::size_t i = 0; i < 5; ++i) {
        t = t * joint_pose(kOrigins[i], q[i]);
        out.links[i] = t;
    }
    out.tool = t * origin_pose(kGripperFrame);
    out.jaw_hinge = t * joint_pose(kOrigins[5], q[5]);
    return out;
}

double jaw_gap(double q_gripper) {
    const double phi = std::clamp(q_gripper - kJawTouchAngle, 0.0, 2.0);
    // The inner point turns about the hinge (the gripper's y axis) by -phi.
    const double x = kInnerDx * std::cos(phi) - kInnerDz * std::sin(phi);
    return x - kInnerDx;
}

double gripper_angle_for_gap(double gap) {
    double lo = 0.0, hi = 2.0;
    for (int i = 0; i < 50; ++i) {
        const double mid = 0.5 * (lo + hi);
        (jaw_gap(kJawTouchAngle + mid) < gap ? lo : hi) = mid;
    }
    return kJawTouchAngle + 0.5 * (lo + hi);
}

Vec3 grasp_point_in_gripper(double cube_size) {
    return {kFixedJawInnerX + 0.5 * cube_size, kGripperFrame.xyz.y, kGripperFrame.xyz.z};
}

JointAngles inverse_kinematics(const ToolTarget& target, const JointAngles& seed, double* error_m) {
    constexpr int kResiduals = 7;
    constexpr int kUnknowns = 5;
    constexpr double kOrientationWeight = 0.05;  // metres per unit of direction error
    const Vec3 across = {-std::sin(target.yaw), std::cos(target.yaw), 0.0};
    auto residuals = [&](const JointAngles& q) {
        const ArmPose pose = forward_kinematics(q);
        const Vec3 p = pose.tool.t;
        // The gripper points along its link's -z axis; its jaws close along its x axis.
        const Vec3 pointing = -pose.links[4].R.column(2);
        const Vec3 closing = pose.links[4].R.column(0);
        std::array<double, kResiduals> r{};
        r[0] = p.x - target.position.x;
        r[1] = p.y - target.position.y;
        r[2] = p.z - target.position.z;
        r[3] = kOrientationWeight * pointing.x;
        r[4] = kOrientationWeight * pointing.y;
        r[5] = kOrientationWeight * (pointing.z + 1.0);
        r[6] = kOrientationWeight * dot(closing, across);
        return r;
    };
    JointAngles q = seed;
    for (int iteration = 0; iteration < 60; ++iteration) {
        const auto r0 = residuals(q);
        std::array<std::array<double, kUnknowns>, kResiduals> jac{};
        constexpr double h = 1e-6;
        for (int j = 0; j < kUnknowns; ++j) {
            JointAngles qh = q;
            qh[j] += h;
            const auto rh = residuals(qh);
            for (int i = 0; i < kResiduals; ++i)
                jac[i][j] = (rh[i] - r0[i]) / h;
        }
        // (J^T J + lambda I) dq = -J^T r, by Gaussian elimination.
        std::array<std::array<double, kUnknowns + 1>, kUnknowns> a{};
        for (int row = 0; row < kUnknowns; ++row) {
            for (int col = 0; col < kUnknowns; ++col) {
                double s = 0;
                for (int i = 0; i < kResiduals; ++i)
                    s += jac[i][row] * jac[i][col];
                a[row][col] = s + (row == col ? 1e-6 : 0.0);
            }
            double s = 0;
            for (int i = 0; i < kResiduals; ++i)
                s += jac[i][row] * r0[i];
            a[row][kUnknowns] = -s;
        }
        for (int c = 0; c < kUnknowns; ++c) {
            int pivot = c;
            for (int row = c + 1; row < kUnknowns; ++row) {
                if (std::abs(a[row][c]) > std::abs(a[pivot][c])) pivot = row;
            }
            std::swap(a[c], a[pivot]);
            if (std::abs(a[c][c]) < 1e-15) continue;
            for (int row = 0; row < kUnknowns; ++row) {
                if (row == c) continue;
                const double f = a[row][c] / a[c][c];
                for (int k = c; k <= kUnknowns; ++k)
                    a[row][k] -= f * a[c][k];
            }
        }
        double step = 0;
        for (int j = 0; j < kUnknowns; ++j) {
            double dq = std::abs(a[j][j]) < 1e-15 ? 0.0 : a[j][kUnknowns] / a[j][j];
            dq = std::clamp(dq, -0.3, 0.3);
            q[j] = std::clamp(q[j] + dq, kJointLower[j], kJointUpper[j]);
            step = std::max(step, std::abs(dq));
        }
        if (step < 1e-9) break;
    }
    if (error_m != nullptr) {
        const auto r = residuals(q);
        *error_m = std::sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
    }
    return q;
}

}  // namespace rcls::sim
