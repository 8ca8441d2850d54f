// SPDX-License-Identifier: MIT
//
// The labelling page: `rcls label DATASET --serve` serves one page on 127.0.0.1 showing one
// episode at a time (the frame large, a scrubber with the labelled span, thumbnails every N
// frames) and saves the labels through apply_labels(), the command line's crash-safe path. All
// assets come from rcls itself.
//
// Routes: GET / (the page), GET /api/episodes (dataset, episodes, current labels),
// GET /api/frame?episode=E&frame=T[&width=W] (a JPEG decoded by dataset::FrameReader),
// GET /api/probabilities?episode=E (with a checkpoint: the classifier's success probability per
// frame and its predicted onset), POST /api/save (body {"labels": {"0": "42", "3": "never"}}).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "rcls/label/http.hpp"

namespace rcls::label {

/// What the page serves.
struct ServerOptions {
    std::filesystem::path root;        ///< The dataset.
    int port = 8765;                   ///< 0: any free port.
    int every = 10;                    ///< Frames between thumbnails.
    std::string camera;                ///< Empty: the first camera.
    std::filesystem::path checkpoint;  ///< Optional reward classifier.
    std::filesystem::path output;      ///< As ApplyOptions::output (v2.x datasets get a copy).
    /// Called once listening, with the page's URL.
    std::function<void(const std::string& url)> on_listening;
    /// Stops serving when it returns true (default: Ctrl-C).
    std::function<bool()> stop;
};

/// The page's request handler, apart from the socket (tests call it directly).
class LabelPage {
public:
    /// Opens the dataset (DataError) and the checkpoint (ModelError).
    explicit LabelPage(const ServerOptions& options);
    ~LabelPage();
    LabelPage(const LabelPage&) = delete;
    LabelPage& operator=(const LabelPage&) = delete;

    HttpResponse handle(const HttpRequest& request);

    /// The dataset the page shows and saves to (a v2.x dataset's copy after the first save).
    const std::filesystem::path& root() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

/// Serves the page until options.stop() (or Ctrl-C). Throws ConfigError when the port cannot be
/// bound, DataError when the dataset cannot be opened.
void serve_labelling_page(const ServerOptions& options);

}  // namespace rcls::label
