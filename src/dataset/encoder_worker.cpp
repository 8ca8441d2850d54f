// SPDX-License-Identifier: MIT
#include "encoder_worker.hpp"

#include <exception>
#include <filesystem>
#include <utility>

#include "rcls/core/error.hpp"
#include "rcls/core/parallel.hpp"

namespace rcls::dataset {

EncoderWorker::EncoderWorker(Factory open, std::size_t capacity, std::string where)
    : open_(std::move(open)), capacity_(capacity < 1 ? 1 : capacity), where_(std::move(where)) {
    thread_ = std::thread([this] { run(); });
}

EncoderWorker::~EncoderWorker() {
    {
        std::lock_guard lock(mutex_);
        abort_ = true;
    }
    changed_.notify_all();
    stop();
}

void EncoderWorker::stop() {
    if (thread_.joinable()) thread_.join();
}

void EncoderWorker::fail(const std::string& what) {
    std::lock_guard lock(mutex_);
    if (error_.empty()) error_ = where_ + ": " + what;
    queue_.clear();
    abort_ = true;
    changed_.notify_all();
}

void EncoderWorker::run() {
    // Encoding is background work: a recording's control loop gets the CPU first (the encoder's
    // own threads, started from here, inherit this).
    make_this_thread_background();
    // The encoder lives on this thread from start to end (libsvtav1 hangs when freed elsewhere
    // without its end of stream).
    try {
        writer_ = open_();
    } catch (const std::exception& e) {
        fail(std::string("cannot start the video encoder: ") + e.what());
        return;
    }
    bool finish = false;
    while (true) {
        cv::Mat image;
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [&] { return abort_ || closing_ || !queue_.empty(); });
            if (abort_) break;
            if (queue_.empty() && closing_) {
                finish = true;
                break;
            }
            image = std::move(queue_.front());
            queue_.pop_front();
        }
        changed_.notify_all();  // room in the queue
        try {
            writer_->write(image);
            stats_.add(image.data, image.rows, image.cols, image.step);
        } catch (const std::exception& e) {
            fail(std::string("video encoding failed: ") + e.what());
            break;
        }
    }
    cv::Size size;
    {
        std::lock_guard lock(mutex_);
        size = first_size_;
    }
    try {
        if (!finish && writer_->frames_written() == 0 && !size.empty()) {
            // libsvtav1 hangs on an end of stream without frames: give it one, then drop it all.
            writer_->write(cv::Mat(cv::Mat::zeros(size, CV_8UC3)));
        }
        writer_->finish();  // also on abort: the encoder needs its end of stream
        if (!finish) {
            std::error_code ignored;
            std::filesystem::remove(writer_->target(), ignored);
        }
    } catch (const std::exception& e) {
        if (finish) fail(std::string("video encoding failed: ") + e.what());
    }
    writer_.reset();
}

void EncoderWorker::check() const {
    std::lock_guard lock(mutex_);
    if (!error_.empty()) throw DataError(error_);
}

void EncoderWorker::push(cv::Mat image) {
    {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return !error_.empty() || abort_ || queue_.size() < capacity_; });
        if (!error_.empty()) throw DataError(error_);
        if (abort_) throw DataError(where_ + ": the video encoder has stopped");
        if (first_size_.empty()) first_size_ = image.size();
        queue_.push_back(std::move(image));
    }
    changed_.notify_all();
}

FeatureStats EncoderWorker::finish() {
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
    }
    changed_.notify_all();
    stop();
    check();
    return stats_.stats();
}

}  // namespace rcls::dataset
