// SPDX-License-Identifier: MIT
#include "format.hpp"

#include "thrift_compact.hpp"

namespace rcls::parquet::format {
namespace {

using thrift::Reader;

int read_int_field(Reader& in, std::uint8_t type) {
    if (type != thrift::kI32 && type != thrift::kI16 && type != thrift::kByte) {
        in.fail("expected an integer field");
    }
    if (type == thrift::kByte) return in.read_byte();
    return in.read_i32();
}

std::int64_t read_i64_field(Reader& in, std::uint8_t type) {
    if (type == thrift::kI64) return in.read_i64();
    return read_int_field(in, type);
}

std::string read_string_field(Reader& in, std::uint8_t type) {
    if (type != thrift::kBinary) in.fail("expected a string field");
    return in.read_binary();
}

void expect(Reader& in, std::uint8_t type, std::uint8_t wanted) {
    if (type != wanted) {
        in.fail("field of type " + std::to_string(type) + ", expected " + std::to_string(wanted));
    }
}

void read_logical(Reader& in, SchemaElement& element) {
    in.read_struct([&](std::int16_t id, std::uint8_t type) {
        if (type != thrift::kStruct) return in.skip(type);
        element.logical = id;
        if (id == kLogicalInteger) {
            in.read_struct([&](std::int16_t sub, std::uint8_t sub_type) {
                if (sub == 1) {
                    expect(in, sub_type, thrift::kByte);
                    element.int_bit_width = read_int_field(in, sub_type);
                } else if (sub == 2) {
                    element.int_signed = in.read_bool(sub_type);
                } else {
                    in.skip(sub_type);
                }
            });
        } else {
            in.skip(type);
        }
    });
}

SchemaElement read_schema_element(Reader& in) {
    SchemaElement e;
    in.read_struct([&](std::int16_t id, std::uint8_t type) {
        switch (id) {
            case 1:
                e.type = read_int_field(in, type);
                break;
            case 2:
                e.type_length = read_int_field(in, type);
                break;
            case 3:
                e.repetition = read_int_field(in, type);
                break;
            case 4:
                e.name = read_string_field(in, type);
                break;
            case 5:
                e.num_children = read_int_field(in, type);
                break;
            case 6:
                e.converted_type = read_int_field(in, type);
                break;
            case 10:
                expect(in, type, thrift::kStruct);
                read_logical(in, e);
                break;
            default:
                in.skip(type);
        }
    });
    return e;
}

ColumnMeta read_column_meta(Reader& in) {
    ColumnMeta m;
    in.read_struct([&](std::int16_t id, std::uint8_t type) {
        switch (id) {
            case 1:
                m.type = read_int_field(in, type);
                break;
            case 2:
                expect(in, type, thrift::kList);
                in.read_list([&](std::uint8_t t) { m.encodings.push_back(read_int_field(in, t)); });
                break;
            case 3:
                expect(in, type, thrift::kList);
                in.read_list([&](std::uint8_t t) { m.path.push_back(read_string_field(in, t)); });
                break;
            case 4:
                m.codec = read_int_field(in, type);
                break;
            case 5:
                m.num_values = read_i64_field(in, type);
                break;
            case 6:
                m.total_uncompressed_size = read_i64_field(in, type);
                break;
            case 7:
                m.total_compressed_size = read_i64_field(in, type);
                break;
            case 9:
                m.data_page_offset = read_i64_field(in, type);
                break;
            case 11:
                m.dictionary_page_offset = read_i64_field(in, type);
                break;
            default:
                in.skip(type);
        }
    });
    return m;
}

RowGroup read_row_group(Reader& in) {
    RowGroup g;
    in.read_struct([&](std::int16_t id, std::uint8_t type) {
        switch (id) {
            case 1:
                expect(in, type, thrift::kList);
                in.read_list([&](std::uint8_t t) {
                    expect(in, t, thrift::kStruct);
                    ColumnMeta meta;
                    bool has_meta = false;
                    in.read_struct([&](std::int16_t cid, std::uint8_t ctype) {
                        if (cid == 1) {
                            // file_path: the column lives in another file, which rcls does not
                            // follow.
                            read_string_field(in, ctype);
                            in.fail("column chunk stored in an external file");
                        } else if (cid == 3) {
                            expect(in, ctype, thrift::kStruct);
                            meta = read_column_meta(in);
                            has_meta = true;
                        } else {
                            in.skip(ctype);
                        }
                    });
                    if (!has_meta) in.fail("column chunk without metadata");
                    g.columns.push_back(std::move(meta));
                });
                break;
            case 2:
                g.total_byte_size = read_i64_field(in, type);
                break;
            case 3:
                g.num_rows = read_i64_field(in, type);
                break;
            default:
                in.skip(type);
        }
    });
    return g;
}

}  // namespace

FileMetaData parse_file_metadata(std::string_view bytes, const std::string& context) {
    Reader in(bytes, context);
    FileMetaData meta;
    in.read_struct([&](std::int16_t id, std::uint8_t type) {
        switch (id) {
            case 1:
                meta.version = read_int_field(in, type);
                break;
            case 2:
                expect(in, type, thrift::kList);
                in.read_list([&](std::uint8_t t) {
                    expect(in, t, thrift::kStruct);
                    meta.schema.push_back(read_schema_element(in));
                });
                break;
            case 3:
                meta.num_rows = read_i64_field(in, type);
                break;
            case 4:
                expect(in, type, thrift::kList);
                in.read_list([&](std::uint8_t t) {
                    expect(in, t, thrift::kStruct);
                    meta.row_groups.push_back(read_row_group(in));
                });
                break;
            case 5:
                expect(in, type, thrift::kList);
                in.read_list([&](std::uint8_t t) {
                    expect(in, t, thrift::kStruct);
                    std::pair<std::string, std::string> kv;
                    in.read_struct([&](std::int16_t kid, std::uint8_t ktype) {
                        if (kid == 1) {
                            kv.first = read_string_field(in, ktype);
                        } else if (kid == 2) {
                            kv.second = read_string_field(in, ktype);
                        } else {
                            in.skip(ktype);
                        }
                    });
                    meta.key_value.push_back(std::move(kv));
                });
                break;
            case 6:
                meta.created_by = read_string_field(in, type);
                break;
            default:
                in.skip(type);
        }
    });
    return meta;
}

std::string serialize_file_metadata(const FileMetaData& meta) {
    thrift::Writer out;
    out.field_i32(1, meta.version);
    out.begin_list(2, thrift::kStruct, meta.schema.size());
    for (const SchemaElement& e : meta.schema) {
        out.begin_list_struct();
        if (e.type) out.field_i32(1, *e.type);
        if (e.repetition) out.field_i32(3, *e.repetition);
        out.field_binary(4, e.name);
        if (!e.type) out.field_i32(5, e.num_children);
        if (e.converted_type) out.field_i32(6, *e.converted_type);
        if (e.logical != kNoLogical) {
            out.begin_struct(10);
            out.begin_struct(static_cast<std::int16_t>(e.logical));
            out.end_struct();
            out.end_struct();
        }
        out.end_struct();
    }
    out.field_i64(3, meta.num_rows);
    out.begin_list(4, thrift::kStruct, meta.row_groups.size());
    for (const RowGroup& g : meta.row_groups) {
        out.begin_list_struct();
        out.begin_list(1, thrift::kStruct, g.columns.size());
        for (const ColumnMeta& c : g.columns) {
            out.begin_list_struct();
            out.field_i64(2, c.dictionary_page_offset.value_or(c.data_page_offset));
            out.begin_struct(3);
            out.field_i32(1, c.type);
            out.begin_list(2, thrift::kI32, c.encodings.size());
            for (int e : c.encodings) {
                out.list_i32(e);
            }
            out.begin_list(3, thrift::kBinary, c.path.size());
            for (const std::string& p : c.path) {
                out.list_binary(p);
            }
            out.field_i32(4, c.codec);
            out.field_i64(5, c.num_values);
            out.field_i64(6, c.total_uncompressed_size);
            out.field_i64(7, c.total_compressed_size);
            out.field_i64(9, c.data_page_offset);
            if (c.dictionary_page_offset) out.field_i64(11, *c.dictionary_page_offset);
            out.end_struct();
            out.end_struct();
        }
        out.field_i64(2, g.total_byte_size);
        out.field_i64(3, g.num_rows);
        out.end_struct();
    }
    if (!meta.key_value.empty()) {
        out.begin_list(5, thrift::kStruct, meta.key_value.size());
        for (const auto& [key, value] : meta.key_value) {
            out.begin_list_struct();
            out.field_binary(1, key);
            out.field_binary(2, value);
            out.end_struct();
        }
    }
    out.field_binary(6, meta.created_by);
    out.end_struct();
    return out.bytes();
}

PageHeader parse_page_header(std::string_view bytes,
                             const std::string& context,
                             std::size_t& header_size) {
    Reader in(bytes, context);
    PageHeader h;
    in.read_struct([&](std::int16_t id, std::uint8_t type) {
        switch (id) {
            case 1:
                h.type = read_int_field(in, type);
                break;
            case 2:
                h.uncompressed_size = read_int_field(in, type);
                break;
            case 3:
                h.compressed_size = read_int_field(in, type);
                break;
            case 5:
                expect(in, type, thrift::kStruct);
                in.read_struct([&](std::int16_t f, std::uint8_t t) {
                    switch (f) {
                        case 1:
                            h.num_values = read_int_field(in, t);
                            break;
                        case 2:
                            h.encoding = read_int_field(in, t);
                            break;
                        case 3:
                            h.def_encoding = read_int_field(in, t);
                            break;
                        case 4:
                            h.rep_encoding = read_int_field(in, t);
                            break;
                        default:
                            in.skip(t);
                    }
                });
                break;
            case 7:
                expect(in, type, thrift::kStruct);
                in.read_struct([&](std::int16_t f, std::uint8_t t) {
                    switch (f) {
                        case 1:
                            h.num_values = read_int_field(in, t);
                            break;
                        case 2:
                            h.encoding = read_int_field(in, t);
                            break;
                        default:
                            in.skip(t);
                    }
                });
                break;
            case 8:
                expect(in, type, thrift::kStruct);
                in.read_struct([&](std::int16_t f, std::uint8_t t) {
                    switch (f) {
                        case 1:
                            h.num_values = read_int_field(in, t);
                            break;
                        case 2:
                            h.num_nulls = read_int_field(in, t);
                            break;
                        case 3:
                            h.num_rows = read_int_field(in, t);
                            break;
                        case 4:
                            h.encoding = read_int_field(in, t);
                            break;
                        case 5:
                            h.def_levels_size = read_int_field(in, t);
                            break;
                        case 6:
                            h.rep_levels_size = read_int_field(in, t);
                            break;
                        case 7:
                            h.is_compressed = in.read_bool(t);
                            break;
                        default:
                            in.skip(t);
                    }
                });
                break;
            default:
                in.skip(type);
        }
    });
    header_size = in.position();
    return h;
}

std::string serialize_page_header(const PageHeader& h) {
    thrift::Writer out;
    out.field_i32(1, h.type);
    out.field_i32(2, h.uncompressed_size);
    out.field_i32(3, h.compressed_size);
    if (h.type == kDictionaryPage) {
        out.begin_struct(7);
        out.field_i32(1, h.num_values);
        out.field_i32(2, h.encoding);
        out.end_struct();
    } else {
        out.begin_struct(5);
        out.field_i32(1, h.num_values);
        out.field_i32(2, h.encoding);
        out.field_i32(3, h.def_encoding);
        out.field_i32(4, h.rep_encoding);
        out.end_struct();
    }
    out.end_struct();
    return out.bytes();
}

}  // namespace rcls::parquet::format
