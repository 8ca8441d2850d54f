// SPDX-License-Identifier: MIT
#include "rcls/core/json_struct.hpp"

#include <gtest/gtest.h>

#include "temp_dir.hpp"

namespace rcls::json_struct {
namespace {

struct Inner {
    int count = 3;
    std::optional<std::string> label;

    template <class V>
    void visit(V& v) {
        v.field("count", count, "How many");
        v.field("label", label, "A label");
        v.require("count", count >= 0, "must not be negative");
    }
};

struct Outer {
    double rate = 1.5;
    std::string mode = "fast";
    std::vector<std::string> names;
    std::optional<std::array<int, 2>> size;
    Dict<Inner> parts = {{"a", Inner{}}};
    std::variant<int, std::string> index_or_path = 0;
    Inner inner;

    template <class V>
    void visit(V& v) {
        v.alias("old_inner", "inner");
        v.field("rate", rate, "Rate");
        v.field("mode", mode, "Mode", {"fast", "slow"});
        v.field("names", names, "Names");
        v.field("size", size, "Size");
        v.field("parts", parts, "Parts");
        v.field("index_or_path", index_or_path, "Index or path");
        v.field("inner", inner, "Inner");
    }
};

struct FloatField {
    float gain = 1.0f;
    template <class V>
    void visit(V& v) {
        v.field("gain", gain);
    }
};

Outer read(const std::string& text) {
    Outer out;
    read_into(parse_text(text, "test.json"), out, {"test.json", ""});
    return out;
}

std::string error_of(const std::string& text) {
    try {
        read(text);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

TEST(JsonStructRead, MissingKeysKeepDefaults) {
    const Outer out = read("{}");
    EXPECT_EQ(out.rate, 1.5);
    EXPECT_EQ(out.mode, "fast");
    EXPECT_EQ(out.inner.count, 3);
    ASSERT_EQ(out.parts.size(), 1u);
    EXPECT_EQ(out.parts[0].first, "a");
}

TEST(JsonStructRead, ReadsEveryKindOfField) {
    const Outer out = read(R"({"rate": 2, "mode": "slow", "names": ["x", "y"], "size": [128, 96],
        "parts": {"b": {"count": 7}, "c": {"label": "z"}}, "index_or_path": "/dev/video2",
        "inner": {"count": 0, "label": null}})");
    EXPECT_EQ(out.rate, 2.0);
    EXPECT_EQ(out.mode, "slow");
    EXPECT_EQ(out.names, (std::vector<std::string>{"x", "y"}));
    ASSERT_TRUE(out.size.has_value());
    EXPECT_EQ((*out.size)[1], 96);
    ASSERT_EQ(out.parts.size(), 2u);
    EXPECT_EQ(out.parts[0].first, "b");
    EXPECT_EQ(out.parts[0].second.count, 7);
    EXPECT_EQ(out.parts[1].second.label.value_or(""), "z");
    EXPECT_EQ(std::get<std::string>(out.index_or_path), "/dev/video2");
    EXPECT_EQ(out.inner.count, 0);
    EXPECT_FALSE(out.inner.label.has_value());
}

TEST(JsonStructRead, UnknownKeyNamesPointerAndNearestKey) {
    EXPECT_EQ(error_of(R"({"inner": {"cuont": 1}})"),
              "test.json: /inner/cuont: unknown key \"cuont\" (did you mean \"count\"?)");
}

TEST(JsonStructRead, UnknownKeyWithoutNearMatchListsValidKeys) {
    EXPECT_EQ(error_of(R"({"inner": {"zzzzzzz": 1}})"),
              "test.json: /inner/zzzzzzz: unknown key \"zzzzzzz\" (valid keys: count, label)");
}

TEST(JsonStructRead, WrongTypeNamesPointerAndExpectedType) {
    EXPECT_EQ(error_of(R"({"rate": "fast"})"),
              "test.json: /rate: expected number, got string \"fast\"");
    EXPECT_EQ(error_of(R"({"parts": {"b": {"count": 1.5}}})"),
              "test.json: /parts/b/count: expected integer, got number 1.5");
    EXPECT_EQ(error_of(R"({"names": ["x", 3]})"),
              "test.json: /names/1: expected string, got integer 3");
    EXPECT_EQ(error_of(R"({"size": [1, 2, 3]})"),
              "test.json: /size: expected list of 2 integer, got a list of 3");
    EXPECT_EQ(error_of(R"({"index_or_path": true})"),
              "test.json: /index_or_path: expected integer or string, got boolean true");
}

TEST(JsonStructRead, ChoicesAndRequirementsAreChecked) {
    EXPECT_EQ(error_of(R"({"mode": "slwo"})"),
              "test.json: /mode: \"slwo\" is not one of fast, slow (did you mean \"slow\"?)");
    EXPECT_EQ(error_of(R"({"inner": {"count": -1}})"),
              "test.json: /inner/count: must not be negative");
}

TEST(JsonStructRead, IntegerRangeIsChecked) {
    EXPECT_EQ(error_of(R"({"inner": {"count": 4294967296}})"),
              "test.json: /inner/count: integer 4294967296 is out of range");
}

TEST(JsonStructRead, OldNameOfASectionIsAccepted) {
    EXPECT_EQ(read(R"({"old_inner": {"count": 9}})").inner.count, 9);
    EXPECT_EQ(error_of(R"({"old_inner": {}, "inner": {}})"),
              "test.json: both \"inner\" and its old name \"old_inner\" are set; keep one");
}

TEST(JsonStructRead, ANullOldNameBesideTheNewOneStandsForNothing) {
    // LeRobot's train_config.json writes "policy": null beside "reward_model".
    EXPECT_EQ(read(R"({"old_inner": null, "inner": {"count": 4}})").inner.count, 4);
    EXPECT_EQ(read(R"({"old_inner": {"count": 5}, "inner": null})").inner.count, 5);
}

TEST(JsonStructRead, ForeignKeysAreCollectedAndOtherUnknownKeysStayErrors) {
    ForeignKeys foreign{{"/wandb", "/parts/*/weight", "/inner/extra"}, {}};
    const Context context("test.json", "", ErrorKind::kConfig, Mode::kStrict, &foreign);
    Outer out;
    read_into(parse_text(R"({"wandb": {"enable": true}, "rate": 2.0,
                             "parts": {"a": {"count": 1, "weight": 0.5}},
                             "inner": {"extra": null, "count": 7}})",
                         "test.json"),
              out, context);
    EXPECT_EQ(out.rate, 2.0);
    EXPECT_EQ(out.inner.count, 7);
    EXPECT_EQ(foreign.describe_ignored(), "parts.a.weight, inner.extra, wandb");  // inner first
    Outer again;
    try {
        read_into(parse_text(R"({"wandb": {}, "inner": {"cuont": 1}})", "test.json"), again,
                  context);
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "test.json: /inner/cuont: unknown key \"cuont\" (did you mean \"count\"?)");
    }
}

TEST(JsonStructParse, SyntaxErrorNamesLineAndColumn) {
    try {
        parse_text("{\n  \"rate\": 1,\n}\n", "bad.json");
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()).rfind("bad.json:3:1: invalid JSON: ", 0), 0u) << e.what();
    }
}

// Issue 10 item 6: a number past a double was an "internal error" without file or pointer.
TEST(JsonStructParse, ANumberPastADoubleNamesFileLineAndPointer) {
    EXPECT_EQ(
        error_of("{\n  \"rate\": 1,\n  \"parts\": {\"a\": {\"count\": 1}, \"b\": [1, 1e400]}\n}"),
        "test.json:3: /parts/b/1: number overflow parsing '1e400' (out of the range of a "
        "double)");
    EXPECT_EQ(
        error_of("{\"rate\": -1e999}"),
        "test.json:1: /rate: number overflow parsing '-1e999' (out of the range of a double)");
}

// Issue 10 item 7: nlohmann takes a NUL byte for the end of the text; what followed was ignored.
TEST(JsonStructParse, ANulByteIsInvalidJson) {
    using namespace std::string_literals;
    EXPECT_EQ(error_of("{\"rate\": 2}\0{\"mode\": 7}"s),
              "test.json:1:12: invalid JSON: a NUL byte (the file is binary or corrupt)");
}

// Issue 10 item 5: a float field took 1e300 as infinity.
TEST(JsonStructRead, AFloatFieldRefusesANumberItCannotHold) {
    FloatField f;
    try {
        read_into(parse_text(R"({"gain": 1e300})", "f.json"), f, {"f.json", ""});
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()), "f.json: /gain: number 1e+300 is out of range");
    }
    read_into(parse_text(R"({"gain": 2.5})", "f.json"), f, {"f.json", ""});
    EXPECT_EQ(f.gain, 2.5f);
}

TEST(JsonStructOverride, ANumberPastADoubleIsAConfigError) {
    try {
        parse_override<double>("1e400", "--rate");
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()), "option --rate: \"1e400\" is out of range");
    }
    EXPECT_THROW(parse_override<double>("nan", "--rate"), ConfigError);
}

TEST(JsonStructParse, CommentsAreAllowed) {
    EXPECT_EQ(read("{ // a comment\n \"rate\": 4 /* another */ }").rate, 4.0);
}

TEST(JsonStructWrite, WritesFieldsInVisitOrder) {
    Outer out;
    out.size = std::array<int, 2>{3, 4};
    EXPECT_EQ(
        to_json(out).dump(),
        R"({"rate":1.5,"mode":"fast","names":[],"size":[3,4],"parts":{"a":{"count":3,"label":null}},)"
        R"("index_or_path":0,"inner":{"count":3,"label":null}})");
}

TEST(JsonStructWrite, RoundTripsThroughRead) {
    const Outer original = read(R"({"rate": 0.25, "names": ["q"], "index_or_path": 3})");
    Outer copy;
    read_into(to_json(original), copy, {"copy", ""});
    EXPECT_EQ(to_json(copy), to_json(original));
}

TEST(JsonStructOverride, StringsStayText) {
    EXPECT_EQ(parse_override<std::string>("123", "--id"), Json("123"));
    EXPECT_EQ(parse_override<std::optional<std::string>>("null", "--p"), Json(nullptr));
}

TEST(JsonStructOverride, ListsOfStringsTakeCommas) {
    EXPECT_EQ(parse_override<std::vector<std::string>>("a,b", "--l"), Json({"a", "b"}));
    EXPECT_EQ(parse_override<std::vector<std::string>>("[\"c\"]", "--l"), Json({"c"}));
    EXPECT_EQ(parse_override<std::vector<std::string>>("", "--l"), Json::array());
}

TEST(JsonStructOverride, OtherTypesAreJson) {
    EXPECT_EQ(parse_override<int>("5", "--n"), Json(5));
    using Size = std::optional<std::array<int, 2>>;
    EXPECT_EQ(parse_override<Size>("[1,2]", "--s"), Json({1, 2}));
    EXPECT_THROW(parse_override<int>("five", "--n"), ConfigError);
}

TEST(JsonStructKeys, ListsTopLevelKeys) {
    EXPECT_EQ(field_names<Inner>(), (std::vector<std::string>{"count", "label"}));
}

// ---- one reader for every JSON file: required fields, lenient mode, the error kind ------------

/// A file layout that is not rcls's own: "steps" must be there, the rest may be anything.
struct Pipeline {
    std::vector<std::int64_t> steps;
    std::string name = "default";
    std::optional<std::string> note = "kept";
    int level = 1;

    template <class V>
    void visit(V& v) {
        v.required("steps", steps, "Steps");
        v.field("name", name, "Name");
        v.field("note", note, "Note");
        v.field("level", level, "Level");
    }
};

template <class E>
std::string error_of_kind(const std::string& text, ErrorKind kind, Mode mode) {
    try {
        Pipeline out;
        read_into(parse_text(text, "p.json", kind), out, Context("p.json", "", kind, mode));
    } catch (const E& e) {
        return e.what();
    }
    return "no error of the expected kind";
}

TEST(JsonStructRequired, MissingRequiredFieldIsNamedAtItsObject) {
    EXPECT_EQ(error_of_kind<ConfigError>(R"({"name": "x"})", ErrorKind::kConfig, Mode::kStrict),
              "p.json: missing \"steps\"");
    EXPECT_EQ(error_of_kind<ConfigError>(R"({"inner": {"steps": [1]}, "outer": 1})",
                                         ErrorKind::kConfig, Mode::kStrict),
              "p.json: missing \"steps\"");
    Pipeline out;
    read_into(parse_text(R"({"steps": [3, 4]})", "p.json"), out, {"p.json", ""});
    EXPECT_EQ(out.steps, (std::vector<std::int64_t>{3, 4}));
    EXPECT_EQ(field_names<Pipeline>(),
              (std::vector<std::string>{"steps", "name", "note", "level"}));
    EXPECT_EQ(to_json(out).dump(), R"({"steps":[3,4],"name":"default","note":"kept","level":1})");
}

TEST(JsonStructLenient, UnknownKeysAreIgnoredAndNullKeepsNonNumericDefaults) {
    Pipeline out;
    read_into(parse_text(R"({"steps": [], "name": null, "note": null, "extra": {"a": 1}})", "p"),
              out, Context("p", "", ErrorKind::kModel, Mode::kLenient));
    EXPECT_EQ(out.name, "default");
    EXPECT_EQ(out.note.value_or(""), "kept");
    // A number stays strict: null is not a level.
    EXPECT_EQ(error_of_kind<ModelError>(R"({"steps": [], "level": null})", ErrorKind::kModel,
                                        Mode::kLenient),
              "p.json: /level: expected integer, got null");
    // The same unknown key in strict mode is an error.
    EXPECT_EQ(error_of_kind<ConfigError>(R"({"steps": [], "extra": 1})", ErrorKind::kConfig,
                                         Mode::kStrict),
              "p.json: /extra: unknown key \"extra\" (valid keys: steps, name, note, level)");
}

TEST(JsonStructErrorKind, TheCallerChoosesTheErrorAndItNamesFileAndPointer) {
    EXPECT_EQ(error_of_kind<ModelError>(R"({"steps": ["a"]})", ErrorKind::kModel, Mode::kLenient),
              "p.json: /steps/0: expected integer, got string \"a\"");
    EXPECT_EQ(error_of_kind<DataError>(R"({"steps": 1})", ErrorKind::kData, Mode::kStrict),
              "p.json: /steps: expected list of integer, got integer 1");
    const std::string syntax = error_of_kind<ModelError>("{", ErrorKind::kModel, Mode::kStrict);
    EXPECT_EQ(syntax.rfind("p.json:1:", 0), 0u) << syntax;
    EXPECT_NE(syntax.find(": invalid JSON: "), std::string::npos) << syntax;
    // Nested structs, lists and maps keep the kind and the mode.
    Outer outer;
    EXPECT_THROW(read_into(parse_text(R"({"parts": {"a": {"count": "x"}}})", "o"), outer,
                           Context("o", "", ErrorKind::kData)),
                 DataError);
    read_into(parse_text(R"({"parts": {"a": {"count": 2, "new": 1}}, "new": 2})", "o"), outer,
              Context("o", "", ErrorKind::kData, Mode::kLenient));
    EXPECT_EQ(outer.parts.at(0).second.count, 2);
}

TEST(JsonStructErrorKind, ParseFileNamesTheFileInTheChosenKind) {
    testing::TempDir dir;
    try {
        (void)parse_file(dir / "absent.json", ErrorKind::kModel, "config.json");
        FAIL() << "no error";
    } catch (const ModelError& e) {
        EXPECT_EQ(std::string(e.what()),
                  (dir / "absent.json").string() + ": config.json not found");
    }
    try {
        (void)parse_file(dir.path());
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()),
                  dir.path().string() + ": is a directory, expected a JSON config file");
    }
    EXPECT_THROW((void)read_text(dir / "absent.json", ErrorKind::kData), DataError);
    testing::write_text(dir / "bad.json", "[1,");
    EXPECT_THROW((void)parse_file(dir / "bad.json", ErrorKind::kData), DataError);
    testing::write_text(dir / "good.json", R"({"steps": [7]})");
    EXPECT_EQ(parse_file(dir / "good.json", ErrorKind::kData).at("steps").at(0), 7);
}

TEST(JsonStructReader, FieldByFieldWithoutAStruct) {
    const Json json = parse_text(R"({"id": 3, "lr": 0.5, "other": true, "x": null})", "f");
    Reader reader(json, Context("f", "/0", ErrorKind::kModel, Mode::kLenient));
    int id = 0;
    double lr = 0;
    Json other;
    reader.required("id", id);
    reader.required("lr", lr);
    reader.field("other", other);
    EXPECT_EQ(id, 3);
    EXPECT_EQ(lr, 0.5);
    EXPECT_EQ(other, Json(true));
    EXPECT_EQ(reader.unread_keys(), (std::vector<std::string>{"x"}));
    reader.finish();  // lenient: the unread key is fine
    double eps = 0;
    try {
        reader.required("eps", eps);
        FAIL() << "no error";
    } catch (const ModelError& e) {
        EXPECT_STREQ(e.what(), "f: /0: missing \"eps\"");
    }
}

}  // namespace
}  // namespace rcls::json_struct
