// SPDX-License-Identifier: MIT
//
// Cross-checks rcls's Parquet reader and writer against two independent implementations:
// arrow-rs (the parquet-wasm package) and hyparquet. Run by scripts/crosscheck_parquet.sh.
//   1. files rcls wrote (every codec) are read by both and compared with the values rcls was given;
//      their Arrow schema (from ARROW:schema) is checked too;
//   2. arrow-rs rewrites them with data pages v1/v2, dictionary on/off, ZSTD/GZIP/Snappy/none,
//      and rcls reads those back (parquet_tool dump);
//   3. a v3.0 dataset rcls wrote is read by both;
//   4. every Parquet file of ../shared/realdata is read by arrow-rs and by rcls and compared.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import * as arrow from "apache-arrow";
import * as pw from "parquet-wasm";
import { parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";

const [tool, dir, realdata, rclsDataset] = process.argv.slice(2);
let failures = 0;
let checks = 0;

function norm(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  if (ArrayBuffer.isView(v)) return Array.from(v, norm);
  if (Array.isArray(v)) return v.map(norm);
  if (typeof v.toArray === "function") return Array.from(v.toArray(), norm);
  if (typeof v[Symbol.iterator] === "function") return Array.from(v, norm);
  const out = {};
  for (const [k, x] of Object.entries(v)) out[k] = norm(x);
  return out;
}

function same(a, b) {
  if (typeof a === "number" && typeof b === "number") return Object.is(a, b) || a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => same(a[k], b[k]));
  }
  return a === b;
}

function compare(label, got, want) {
  ++checks;
  if (got.length !== want.length) {
    console.log(`FAIL ${label}: ${got.length} rows, expected ${want.length}`);
    ++failures;
    return;
  }
  for (let i = 0; i < want.length; ++i) {
    if (!same(got[i], want[i])) {
      console.log(`FAIL ${label}: row ${i} differs\n  got  ${JSON.stringify(got[i]).slice(0, 400)}\n  want ${JSON.stringify(want[i]).slice(0, 400)}`);
      ++failures;
      return;
    }
  }
  console.log(`ok   ${label}: ${want.length} rows equal`);
}

function arrowRows(table) {
  const rows = [];
  for (let i = 0; i < table.numRows; ++i) {
    const row = {};
    for (const field of table.schema.fields) row[field.name] = norm(table.getChild(field.name).get(i));
    rows.push(row);
  }
  return rows;
}

function readWithArrowRs(file) {
  const wasmTable = pw.readParquet(new Uint8Array(fs.readFileSync(file)));
  return arrow.tableFromIPC(wasmTable.intoIPCStream());
}

async function readWithHyparquet(file) {
  const buf = fs.readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return norm(await parquetReadObjects({ file: ab, compressors }));
}

function rclsRows(file) {
  return JSON.parse(execFileSync(tool, ["dump", file], { maxBuffer: 1 << 28 }).toString());
}

// 1. rcls writes, arrow-rs and hyparquet read.
const expected = JSON.parse(fs.readFileSync(path.join(dir, "expected.json")));
for (const codec of ["snappy", "zstd", "gzip", "none"]) {
  const file = path.join(dir, `rcls_${codec}.parquet`);
  const table = readWithArrowRs(file);
  compare(`arrow-rs reads rcls_${codec}.parquet`, arrowRows(table), expected);
  compare(`hyparquet reads rcls_${codec}.parquet`, await readWithHyparquet(file), expected);
  if (codec === "snappy") {
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
    const want = {
      index: "Int64", small: "Int32", "next.reward": "Float32", x: "Float64", "next.done": "Bool",
      task: "Utf8", "observation.state": "FixedSizeList[6]<Float32>", tasks: "List<Utf8>", counts: "List<Int64>",
    };
    ++checks;
    if (same(types, want)) {
      console.log(`ok   Arrow schema of rcls files: ${JSON.stringify(types)}`);
    } else {
      console.log(`FAIL Arrow schema: got ${JSON.stringify(types)}`);
      ++failures;
    }
    ++checks;
    const hf = table.schema.metadata.get("huggingface");
    if (hf === '{"info": {"features": {}}}') {
      console.log("ok   Arrow schema metadata carries the huggingface key");
    } else {
      console.log(`FAIL huggingface metadata: ${hf}`);
      ++failures;
    }
  }
}

// 2. arrow-rs writes (v1/v2 pages, dictionary on/off, every codec), rcls reads.
const source = readWithArrowRs(path.join(dir, "rcls_snappy.parquet"));
const variants = [
  ["v2_zstd_dict", pw.WriterVersion.V2, pw.Compression.ZSTD, true],
  ["v1_gzip_dict", pw.WriterVersion.V1, pw.Compression.GZIP, true],
  ["v1_snappy_plain", pw.WriterVersion.V1, pw.Compression.SNAPPY, false],
  ["v2_none_plain", pw.WriterVersion.V2, pw.Compression.UNCOMPRESSED, false],
  ["v2_snappy_dict", pw.WriterVersion.V2, pw.Compression.SNAPPY, true],
];
for (const [name, version, compression, dictionary] of variants) {
  const props = new pw.WriterPropertiesBuilder()
    .setWriterVersion(version)
    .setCompression(compression)
    .setDictionaryEnabled(dictionary)
    .setDataPageSizeLimit(256)
    .build();
  const bytes = pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(source, "stream")), props);
  const file = path.join(dir, `arrowrs_${name}.parquet`);
  fs.writeFileSync(file, bytes);
  compare(`rcls reads arrowrs_${name}.parquet`, rclsRows(file), expected);
}

// 3. A LeRobot v3.0 dataset rcls wrote (data, episode metadata, tasks): both readers agree with
//    rcls, and the Arrow types are what Hugging Face datasets expects.
if (rclsDataset && fs.existsSync(rclsDataset)) {
  const files = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && !e.name.startsWith(".")) walk(p);
      else if (e.name.endsWith(".parquet")) files.push(p);
    }
  };
  walk(rclsDataset);
  for (const file of files.sort()) {
    const want = rclsRows(file);
    const label = path.relative(rclsDataset, file);
    const table = readWithArrowRs(file);
    compare(`arrow-rs reads rcls dataset ${label}`, arrowRows(table), want);
    compare(`hyparquet reads rcls dataset ${label}`, await readWithHyparquet(file), want);
    const stateField = table.schema.fields.find((f) => f.name === "observation.state");
    if (label.startsWith("data/") && stateField) {
      const state = String(stateField.type);
      ++checks;
      if (state === "FixedSizeList[6]<Float32>") {
        console.log(`ok   ${label}: observation.state is ${state}`);
      } else {
        console.log(`FAIL ${label}: observation.state is ${state}`);
        ++failures;
      }
    }
  }
}

// 4. Real LeRobot files (pyarrow 21-24): arrow-rs and rcls agree on every value.
if (realdata && fs.existsSync(realdata)) {
  const files = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".parquet")) files.push(p);
    }
  };
  walk(realdata);
  let agreed = 0;
  for (const file of files.sort()) {
    const want = arrowRows(readWithArrowRs(file));
    const before = failures;
    const got = rclsRows(file);
    if (got.length !== want.length || !got.every((r, i) => same(r, want[i]))) {
      compare(`rcls vs arrow-rs on ${path.relative(realdata, file)}`, got, want);
    }
    if (failures === before) ++agreed;
  }
  ++checks;
  console.log(`${agreed === files.length ? "ok  " : "FAIL"} rcls and arrow-rs agree on ${agreed} of ${files.length} real LeRobot Parquet files`);
  if (agreed !== files.length) ++failures;
}

console.log(`crosscheck: ${checks - failures} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
