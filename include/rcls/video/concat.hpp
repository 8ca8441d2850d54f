// SPDX-License-Identifier: MIT
//
// Joins video files into one by copying their compressed packets (no decoding, no re-encoding),
// as LeRobot v3.0 keeps many episodes in one mp4 per camera (rcls::dataset's writer uses it). Each
// segment keeps its packets in decode order, shifted so that it starts where the previous one ended
// (later when a decoder's reordering delay needs room for increasing decode timestamps). A segment
// can be cut: it then ends before its first keyframe at or after the cut, so that every frame kept
// still decodes.
#pragma once

#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace rcls::video {

/// One input file and how much of it to keep.
struct VideoSegment {
    std::filesystem::path path;
    /// Keep frames presented before this many seconds after the segment's first frame.
    double keep_s = std::numeric_limits<double>::infinity();
};

/// Where a segment landed in the output.
struct SegmentSpan {
    double start_s = 0.0;  ///< Presentation time of its first frame in the output.
    double end_s = 0.0;    ///< Presentation time just after its last frame.
    long frames = 0;       ///< Packets (frames) copied.
};

/// What a video file's (first) video stream holds, read from the container without decoding.
struct VideoProbe {
    std::string codec;         ///< FFmpeg's codec name: "av1", "h264", "mpeg4", ...
    std::string pixel_format;  ///< e.g. "yuv420p".
    int width = 0;
    int height = 0;
    double fps = 0.0;
    double end_s = 0.0;  ///< Presentation time just after the last frame.
    long frames = 0;     ///< Packets of the stream.
};

/// Probes `path` by reading its packets. Throws DataError naming the file when it is missing,
/// unreadable or has no video stream.
VideoProbe probe_video(const std::filesystem::path& path);

/// Writes `segments` one after another into a new file `output` (its extension picks the
/// container). All segments must hold one video stream of the same codec and size. Throws
/// DataError naming the file on unreadable input, mismatched streams or write errors.
std::vector<SegmentSpan> concatenate_videos(const std::vector<VideoSegment>& segments,
                                            const std::filesystem::path& output);

}  // namespace rcls::video
