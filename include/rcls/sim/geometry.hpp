// SPDX-License-Identifier: MIT
//
// The small amount of 3-D geometry the simulated scene needs: vectors, rotation matrices and rigid
// poses, in metres and radians, header-only.
#pragma once

#include <array>
#include <cmath>

namespace rcls::sim {

struct Vec3 {
    double x = 0, y = 0, z = 0;

    Vec3 operator+(const Vec3& o) const { return {x + o.x, y + o.y, z + o.z}; }
    Vec3 operator-(const Vec3& o) const { return {x - o.x, y - o.y, z - o.z}; }
    Vec3 operator*(double s) const { return {x * s, y * s, z * s}; }
    Vec3 operator-() const { return {-x, -y, -z}; }
};

inline double dot(const Vec3& a, const Vec3& b) {
    return a.x * b.x + a.y * b.y + a.z * b.z;
}
inline Vec3 cross(const Vec3& a, const Vec3& b) {
    return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
inline double norm(const Vec3& a) {
    return std::sqrt(dot(a, a));
}
inline Vec3 normalized(const Vec3& a) {
    const double n = norm(a);
    return n > 0 ? a * (1.0 / n) : a;
}

/// A 3x3 rotation, row-major: m[row][col].
struct Mat3 {
    std::array<std::array<double, 3>, 3> m{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};

    Vec3 operator*(const Vec3& v) const {
        return {m[0][0] * v.x + m[0][1] * v.y + m[0][2] * v.z,
                m[1][0] * v.x + m[1][1] * v.y + m[1][2] * v.z,
                m[2][0] * v.x + m[2][1] * v.y + m[2][2] * v.z};
    }
    Mat3 operator*(const Mat3& o) const {
        Mat3 r;
        for (int i = 0; i < 3; ++i) {
            for (int j = 0; j < 3; ++j) {
                r.m[i][j] = m[i][0] * o.m[0][j] + m[i][1] * o.m[1][j] + m[i][2] * o.m[2][j];
            }
        }
        return r;
    }
    Mat3 transposed() const {
        Mat3 r;
        for (int i = 0; i < 3; ++i) {
            for (int j = 0; j < 3; ++j)
                r.m[i][j] = m[j][i];
        }
        return r;
    }
    Vec3 column(int j) const { return {m[0][j], m[1][j], m[2][j]}; }
};

inline Mat3 rot_x(double a) {
    const double c = std::cos(a), s = std::sin(a);
    Mat3 r;
    r.m = {{{1, 0, 0}, {0, c, -s}, {0, s, c}}};
    return r;
}
inline Mat3 rot_y(double a) {
    const double c = std::cos(a), s = std::sin(a);
    Mat3 r;
    r.m = {{{c, 0, s}, {0, 1, 0}, {-s, 0, c}}};
    return r;
}
inline Mat3 rot_z(double a) {
    const double c = std::cos(a), s = std::sin(a);
    Mat3 r;
    r.m = {{{c, -s, 0}, {s, c, 0}, {0, 0, 1}}};
    return r;
}
/// URDF's rpy: fixed-axis roll about x, then pitch about y, then yaw about z: Rz(y)·Ry(p)·Rx(r).
inline Mat3 rot_rpy(double roll, double pitch, double yaw) {
    return rot_z(yaw) * rot_y(pitch) * rot_x(roll);
}

/// A rigid transform: p_parent = R * p_child + t.
struct Pose {
    Mat3 R;
    Vec3 t;

    Vec3 operator*(const Vec3& p) const { return R * p + t; }
    Pose operator*(const Pose& o) const { return {R * o.R, R * o.t + t}; }
    Pose inverse() const {
        const Mat3 rt = R.transposed();
        return {rt, -(rt * t)};
    }
};

}  // namespace rcls::sim
