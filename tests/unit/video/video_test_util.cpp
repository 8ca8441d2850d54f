// SPDX-License-Identifier: MIT
#include "video_test_util.hpp"

#include <opencv2/imgproc.hpp>

namespace rcls::video {

cv::Mat synthetic_frame(int width, int height, int index) {
    cv::Mat frame(height, width, CV_8UC3);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            frame.at<cv::Vec3b>(y, x) =
                cv::Vec3b(cv::saturate_cast<std::uint8_t>(x + index * 3),
                          cv::saturate_cast<std::uint8_t>(40 + y),
                          cv::saturate_cast<std::uint8_t>(200 - x / 2 - y / 2));
        }
    }
    cv::circle(frame, cv::Point(20 + index * 3, height / 2), 12, cv::Scalar(250, 220, 30), -1,
               cv::LINE_AA);
    cv::GaussianBlur(frame, frame, cv::Size(5, 5), 1.2);
    return frame;
}

}  // namespace rcls::video
