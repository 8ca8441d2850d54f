// SPDX-License-Identifier: MIT
//
// Labels and datasets: reading the current labels, the columns a LabelSet gives, writing them
// (in place for v3.0, as a copy with --output), contact sheets, and the labelling page's routes.
#include "rcls/label/apply.hpp"

#include <algorithm>
#include <chrono>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/dataset/dataset.hpp"
#include "rcls/dataset/frame_reader.hpp"
#include "rcls/label/contact_sheet.hpp"
#include "rcls/label/http.hpp"
#include "rcls/label/server.hpp"
#include "rcls/video/image_file.hpp"

#include "label_fixtures.hpp"
#include "temp_dir.hpp"

namespace rcls::label {
namespace {
namespace fs = std::filesystem;
using testing::kReferenceLengths;
using testing::kReferenceStarts;

/// next.reward and next.done of episode `e` as stored.
std::pair<std::vector<float>, std::vector<std::uint8_t>> stored(const fs::path& root,
                                                                std::int64_t e) {
    const dataset::Dataset d = dataset::Dataset::open(root);
    const parquet::Table t = d.read_episode(e);
    return {t.column("next.reward").as<float>(), t.column("next.done").as<std::uint8_t>()};
}

TEST(LabelApply, CurrentLabelsReadTheRewardColumn) {
    testing::TempDir dir;
    auto writer = dataset::DatasetWriter::create(dir / "ds", testing::synthetic_spec());
    testing::write_synthetic_episodes(writer, 0, 3);
    const LabelSummary s = current_labels(dataset::Dataset::open(dir / "ds"));
    ASSERT_EQ(s.episodes.size(), 3u);
    for (std::int64_t e = 0; e < 3; ++e) {
        const EpisodeResult& r = s.episodes[static_cast<std::size_t>(e)];
        ASSERT_TRUE(r.label.has_value());
        EXPECT_EQ(*r.label, (EpisodeLabel::span(testing::synthetic_length(e) / 2)));
        EXPECT_EQ(r.success, testing::synthetic_length(e) - testing::synthetic_length(e) / 2);
    }
}

TEST(LabelApply, ColumnsFromLabelsAndKeptRewards) {
    LabelSet set = parse_set_option("0=2");
    const LabelColumns c = label_columns(set, {{0, 4}, {1, 3}, {2, 2}}, {{1, {0.0f, 1.0f, 1.0f}}});
    EXPECT_EQ(c.reward.at(0), (std::vector<float>{0, 0, 1, 1}));
    EXPECT_EQ(c.reward.at(1), (std::vector<float>{0, 1, 1}));  // kept
    EXPECT_EQ(c.reward.at(2), (std::vector<float>{0, 0}));     // nothing to keep: zeros
    EXPECT_EQ(c.done.at(0), (std::vector<bool>{false, false, false, true}));
    EXPECT_EQ(c.done.at(2), (std::vector<bool>{false, true}));
}

TEST(LabelApply, ReferenceDatasetInPlace) {
    testing::TempDir dir;
    const fs::path root = dir / "ref";
    testing::write_reference_dataset(root);
    const LabelSet labels = parse_labels(testing::kReferenceTable, "notes");
    const auto start = std::chrono::steady_clock::now();
    const ApplyResult result = apply_labels(root, labels, {});
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_FALSE(result.copied);
    EXPECT_EQ(result.summary.frames, 1932);
    EXPECT_EQ(result.summary.success, 869);
    EXPECT_EQ(result.summary.failure, 1063);
    std::printf("relabelling 20 episodes, 1932 frames: %.3f s\n", seconds);
    for (std::size_t e = 0; e < 20; ++e) {
        const auto [reward, done] = stored(root, static_cast<std::int64_t>(e));
        ASSERT_EQ(reward.size(), static_cast<std::size_t>(kReferenceLengths[e]));
        for (std::size_t t = 0; t < reward.size(); ++t) {
            ASSERT_EQ(reward[t], static_cast<std::int64_t>(t) >= kReferenceStarts[e] ? 1.0f : 0.0f)
                << "episode " << e << " frame " << t;
            ASSERT_EQ(done[t], t + 1 == reward.size() ? 1 : 0);
        }
    }
    // What the dataset now says is what was written.
    const LabelSummary now = current_labels(dataset::Dataset::open(root));
    EXPECT_EQ(now.success, 869);
    EXPECT_EQ(to_table(now), to_table(result.summary));
    // stats.json follows the new rewards: mean = 869 / 1932.
    const auto stats = nlohmann::json::parse(read_file(root / "meta/stats.json"));
    EXPECT_NEAR(stats["next.reward"]["mean"][0].get<double>(), 869.0 / 1932.0, 1e-6);
}

TEST(LabelApply, OutputWritesALabelledCopyAndLeavesTheSource) {
    testing::TempDir dir;
    const fs::path root = dir / "ref";
    testing::write_reference_dataset(root, false, 3);
    LabelSet labels = parse_set_option("0=119");
    labels.merge(parse_set_option("1=never"));
    labels.merge(parse_set_option("2=10-20"));
    ApplyOptions options;
    options.output = dir / "copy";
    const ApplyResult result = apply_labels(root, labels, options);
    EXPECT_TRUE(result.copied);
    EXPECT_EQ(result.root, dir / "copy");
    EXPECT_EQ(result.summary.success, 31 + 0 + 11);
    EXPECT_EQ(stored(root, 0).first[149], 0.0f);  // the source keeps its labels
    EXPECT_EQ(stored(dir / "copy", 0).first[149], 1.0f);
    EXPECT_EQ(stored(dir / "copy", 2).first[20], 1.0f);
    EXPECT_EQ(stored(dir / "copy", 2).first[21], 0.0f);
    // An existing, non-empty output is refused.
    EXPECT_THROW(apply_labels(root, labels, options), DataError);
}

TEST(LabelApply, InvalidLabelsWriteNothing) {
    testing::TempDir dir;
    const fs::path root = dir / "ref";
    testing::write_reference_dataset(root, false, 2);
    const std::string before = read_file(root / "data/chunk-000/file-000.parquet");
    EXPECT_THROW(apply_labels(root, parse_set_option("0=5"), {}), ConfigError);  // 1 unlabelled
    ApplyOptions allow;
    allow.allow_unlabelled = true;
    EXPECT_THROW(apply_labels(root, parse_set_option("5=5"), allow), ConfigError);
    EXPECT_EQ(read_file(root / "data/chunk-000/file-000.parquet"), before);
}

TEST(LabelContactSheet, OnePngPerEpisodeWithEveryNthFrame) {
    EXPECT_EQ(sheet_frames(25, 10), (std::vector<std::int64_t>{0, 10, 20, 24}));
    EXPECT_EQ(sheet_frames(21, 10), (std::vector<std::int64_t>{0, 10, 20}));
    testing::TempDir dir;
    testing::write_reference_dataset(dir / "cam", true, 2);
    const dataset::Dataset d = dataset::Dataset::open(dir / "cam");
    ContactSheetOptions options;
    options.every = 10;
    options.columns = 5;
    options.thumb_width = 64;
    const std::vector<fs::path> files = write_contact_sheets(d, dir / "sheets", options);
    ASSERT_EQ(files.size(), 2u);
    EXPECT_EQ(files[0].filename(), "episode_000000.png");
    const cv::Mat sheet = video::read_image(files[1], image::ChannelOrder::kRgb);
    // Episode 1: 88 frames, every 10 -> 0..80 and 87: 10 thumbnails, 2 rows of 5.
    EXPECT_EQ(sheet.cols, 5 * (64 + 4) + 4);
    EXPECT_EQ(sheet.rows, 24 + 2 * (64 + 4) + 4);
    options.camera = "observation.images.wrist";
    EXPECT_THROW(write_contact_sheets(d, dir / "sheets2", options), ConfigError);
}

TEST(LabelHttp, ParsesRequestsAndBoundsThem) {
    HttpRequest r;
    ASSERT_TRUE(parse_request_head(
        "GET /api/frame?episode=3&frame=42&x=a%20b+c HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n",
        r));
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, "/api/frame");
    EXPECT_EQ(r.query.at("episode"), "3");
    EXPECT_EQ(r.query.at("x"), "a b c");
    EXPECT_EQ(r.headers.at("content-length"), "0");
    HttpRequest bad;
    EXPECT_FALSE(parse_request_head("GARBAGE\r\n", bad));
    EXPECT_FALSE(parse_request_head("GET nohost HTTP/1.1\r\n", bad));
    EXPECT_EQ(url_decode("%2Fa%zz"), "/a%zz");
    const std::string response = format_response({200, "text/plain", "hi"});
    EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
    EXPECT_NE(response.find("Content-Length: 2\r\n"), std::string::npos);
}

TEST(LabelPageRoutes, EpisodesFramesAndSave) {
    testing::TempDir dir;
    testing::write_reference_dataset(dir / "cam", true, 2);
    ServerOptions options;
    options.root = dir / "cam";
    LabelPage page(options);
    auto get = [&](const std::string& path, std::map<std::string, std::string> query = {}) {
        HttpRequest r;
        r.method = "GET";
        r.path = path;
        r.query = std::move(query);
        return page.handle(r);
    };
    const HttpResponse html = get("/");
    EXPECT_EQ(html.status, 200);
    EXPECT_NE(html.body.find("<title>rcls label</title>"), std::string::npos);
    EXPECT_EQ(html.body.find("http://"), std::string::npos);  // no external assets
    EXPECT_EQ(html.body.find("https://"), std::string::npos);
    const auto episodes = nlohmann::json::parse(get("/api/episodes").body);
    ASSERT_EQ(episodes["episodes"].size(), 2u);
    EXPECT_EQ(episodes["episodes"][1]["length"], 88);
    EXPECT_TRUE(episodes["episodes"][0]["label"]["never"]);  // recorded rewards are all 0
    const HttpResponse frame = get("/api/frame", {{"episode", "1"}, {"frame", "87"}});
    ASSERT_EQ(frame.status, 200) << frame.body;
    EXPECT_EQ(frame.content_type, "image/jpeg");
    const cv::Mat image = video::decode_image(
        std::span(reinterpret_cast<const std::uint8_t*>(frame.body.data()), frame.body.size()),
        image::ChannelOrder::kRgb, "frame");
    EXPECT_EQ(image.cols, 64);
    EXPECT_LT(testing::mean_abs_diff(image, testing::synthetic_image(1, 87)), 12.0);
    EXPECT_EQ(get("/api/frame", {{"episode", "1"}, {"frame", "88"}}).status, 404);
    EXPECT_EQ(get("/api/frame", {{"episode", "9"}, {"frame", "0"}}).status, 422);
    EXPECT_EQ(get("/api/probabilities", {{"episode", "0"}}).status, 404);  // no checkpoint
    EXPECT_EQ(get("/nothing").status, 404);

    HttpRequest save;
    save.method = "POST";
    save.path = "/api/save";
    save.body = R"({"episodes": {"0": 119, "1": "40-50"}})";
    const HttpResponse saved = page.handle(save);
    ASSERT_EQ(saved.status, 200) << saved.body;
    EXPECT_EQ(stored(dir / "cam", 0).first[119], 1.0f);
    EXPECT_EQ(stored(dir / "cam", 1).first[50], 1.0f);
    EXPECT_EQ(stored(dir / "cam", 1).first[51], 0.0f);
    save.body = R"({"episodes": {"1": "50-40"}})";
    const HttpResponse refused = page.handle(save);
    EXPECT_EQ(refused.status, 400);
    EXPECT_NE(refused.body.find("episode 1: success end 40 is before its start 50"),
              std::string::npos);
    // Frames still come after saves.
    EXPECT_EQ(get("/api/frame", {{"episode", "0"}, {"frame", "3"}}).status, 200);
}

}  // namespace
}  // namespace rcls::label

namespace rcls::label {
namespace {

/// Episodes 1 and 2 of the real v2.1 Unitree recording (AV1 640x480, 30 fps, no next.reward), as
/// a dataset of their own: metadata rewritten, data and videos linked.
fs::path make_v21_subset(const fs::path& at) {
    const fs::path real = testing::realdata_dir() / "unitree_g1_pick_bottle_YifanTian07";
    auto info = nlohmann::json::parse(read_file(real / "meta/info.json"));
    info["total_episodes"] = 3;
    info["total_frames"] = 393 + 343;
    info["total_videos"] = 2;
    info["splits"] = {{"train", "0:3"}};
    write_file_atomic(at / "meta/info.json", info.dump(4));
    write_file_atomic(at / "meta/tasks.jsonl", read_file(real / "meta/tasks.jsonl"));
    std::string episodes, stats;
    std::istringstream lines(read_file(real / "meta/episodes.jsonl"));
    for (std::string line; std::getline(lines, line);) {
        const auto j = nlohmann::json::parse(line);
        if (j["episode_index"] == 1 || j["episode_index"] == 2) episodes += line + "\n";
    }
    write_file_atomic(at / "meta/episodes.jsonl", episodes);
    for (const char* name :
         {"data/chunk-000/episode_000001.parquet", "data/chunk-000/episode_000002.parquet",
          "videos/chunk-000/observation.images.cam_high/episode_000001.mp4",
          "videos/chunk-000/observation.images.cam_high/episode_000002.mp4"}) {
        fs::create_directories((at / name).parent_path());
        fs::create_symlink(real / name, at / name);
    }
    return at;
}

TEST(LabelApplyRealdata, V21DatasetGivesALabelledV30CopyWithVideosCopied) {
    if (testing::realdata_dir().empty()) GTEST_SKIP() << "no ../shared/realdata";
    testing::TempDir dir;
    const fs::path source = make_v21_subset(dir / "unitree");
    LabelSet labels = parse_set_option("1=200");
    labels.merge(parse_set_option("2=never"));
    const ApplyResult result = apply_labels(source, labels, {});
    EXPECT_TRUE(result.copied);
    EXPECT_EQ(result.root, dir / "unitree_labelled");
    EXPECT_EQ(result.summary.frames, 393 + 343);
    EXPECT_EQ(result.summary.success, 193);
    const dataset::Dataset copy = dataset::Dataset::open(result.root);
    EXPECT_TRUE(copy.info().is_v3());
    ASSERT_EQ(copy.meta().episodes.size(), 2u);
    const dataset::Feature* camera = copy.info().feature("observation.images.cam_high");
    ASSERT_NE(camera, nullptr);
    ASSERT_TRUE(camera->video.has_value());
    EXPECT_EQ(camera->video->codec, copy.video_codecs().at("observation.images.cam_high"));
    const auto r0 = copy.read_episode(0).column("next.reward").as<float>();
    ASSERT_EQ(r0.size(), 393u);
    EXPECT_EQ(r0[199], 0.0f);
    EXPECT_EQ(r0[200], 1.0f);
    // The copy's frames are the source's, not re-encoded: same bytes decode to the same image.
    const dataset::Dataset original = dataset::Dataset::open(source);
    dataset::FrameReader a(original), b(copy);
    for (const std::int64_t t : {0, 100, 342}) {
        const cv::Mat x = a.frame(2, "observation.images.cam_high", t);
        const cv::Mat y = b.frame(1, "observation.images.cam_high", t);
        EXPECT_EQ(testing::mean_abs_diff(x, y), 0.0) << "frame " << t;
    }
    // LeRobot's done flag: the last frame of each episode only.
    const auto done = copy.read_episode(1).column("next.done").as<std::uint8_t>();
    EXPECT_EQ(std::count(done.begin(), done.end(), 1), 1);
    EXPECT_EQ(done.back(), 1);
}

}  // namespace
}  // namespace rcls::label
