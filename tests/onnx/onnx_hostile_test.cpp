// Hostile and broken files: each must end in an fb::Error that says what is wrong, never a crash, an abort
// or an unbounded allocation. The cases are built here; the same files live in tests/onnx/corpus/ (with
// fuzzer finds) and are replayed from disk by OnnxHostile.Corpus.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>

#include <gtest/gtest.h>

#include "onnx/onnx_io.h"
#include "onnx_test_util.h"
#include "../corpus_list.h"

namespace fb {
namespace {

namespace fs = std::filesystem;
using onnx_test::ModelWriter;

// input [1,2,4,4] -> Conv(3 filters, 1x1) -> Relu -> output.
ModelWriter base(int opset = 13) {
  ModelWriter w(opset);
  w.input("x", {1, 2, 4, 4});
  w.init("w", {3, 2, 1, 1}, {1, 2, 3, 4, 5, 6});
  w.node("Conv", {"x", "w"}, {"c"}, "conv");
  w.node("Relu", {"c"}, {"y"}, "relu");
  w.output("y");
  return w;
}

onnx::TensorProto* find_init(ModelWriter& w, const std::string& name) {
  for (auto& t : *w.g->mutable_initializer())
    if (t.name() == name) return &t;
  return nullptr;
}

void set_input_dims(ModelWriter& w, const std::vector<int64_t>& dims, int symbolic_at = -1) {
  auto* s = w.g->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  s->clear_dim();
  for (size_t i = 0; i < dims.size(); ++i) {
    if (static_cast<int>(i) == symbolic_at) s->add_dim()->set_dim_param("height");
    else s->add_dim()->set_dim_value(dims[i]);
  }
}

void external(ModelWriter& w, const std::string& location) {
  auto* t = find_init(w, "w");
  t->clear_raw_data();
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = t->add_external_data();
  kv->set_key("location");
  kv->set_value(location);
}

struct Case {
  std::string name;      // file name in the corpus
  std::string expected;  // a piece of the error message
  std::function<std::string()> bytes;
};

std::string with(const std::function<void(ModelWriter&)>& f, int opset = 13) {
  ModelWriter w = base(opset);
  f(w);
  return w.bytes();
}

std::vector<Case> cases() {
  constexpr int64_t huge = int64_t{1} << 40;
  return {
      {"truncated.onnx", "truncated or corrupt", [] { std::string b = base().bytes(); return b.substr(0, b.size() / 2); }},
      {"garbage.onnx", "truncated or corrupt", [] { return std::string("this is not an ONNX model, just text\n"); }},
      {"empty.onnx", "has no graph", [] { return std::string(); }},
      {"no_opset.onnx", "no ai.onnx opset", [] { return with([](ModelWriter& w) { w.m.clear_opset_import(); }); }},
      {"opset_99.onnx", "opset 99 is not supported", [] { return with([](ModelWriter& w) { w.m.mutable_opset_import(0)->set_version(99); }); }},
      {"overflow_dims.onnx", "limit", [] {
         return with([](ModelWriter& w) {
           auto* t = find_init(w, "w");
           t->clear_dims();
           for (int64_t d : {huge, huge, int64_t{1}, int64_t{1}}) t->add_dims(d);
         });
       }},
      {"negative_dim.onnx", "negative dimension", [] {
         return with([](ModelWriter& w) { find_init(w, "w")->set_dims(0, -3); });
       }},
      {"input_zero_dim.onnx", "must be positive", [] { return with([](ModelWriter& w) { set_input_dims(w, {1, 0, 4, 4}); }); }},
      {"input_negative_dim.onnx", "must be positive", [] { return with([](ModelWriter& w) { set_input_dims(w, {1, 2, -4, 4}); }); }},
      {"input_huge.onnx", "limit", [] { return with([](ModelWriter& w) { set_input_dims(w, {1, 2, huge, huge}); }); }},
      {"input_symbolic_height.onnx", "symbolic", [] { return with([](ModelWriter& w) { set_input_dims(w, {1, 2, 4, 4}, 2); }); }},
      {"raw_size_mismatch.onnx", "raw data has 20 bytes but shape 3x2x1x1 needs 24", [] {
         return with([](ModelWriter& w) { find_init(w, "w")->mutable_raw_data()->resize(20); });
       }},
      {"typed_count_mismatch.onnx", "has 5 values but shape", [] {
         return with([](ModelWriter& w) {
           auto* t = find_init(w, "w");
           t->clear_raw_data();
           for (int i = 0; i < 5; ++i) t->add_float_data(1.0f);
         });
       }},
      {"claims_big_tensor.onnx", "has 0 values but shape 134217728 needs", [] {  // refused before allocating
         return with([](ModelWriter& w) {
           auto* t = w.g->add_initializer();
           t->set_name("big");
           t->set_data_type(onnx::TensorProto::FLOAT);
           t->add_dims(int64_t{1} << 27);
         });
       }},
      {"raw_and_typed.onnx", "both in raw_data", [] {
         return with([](ModelWriter& w) { find_init(w, "w")->add_float_data(1.0f); });
       }},
      {"weight_shape_mismatch.onnx", "but the op needs 3x2x1x1", [] {
         return with([](ModelWriter& w) {
           auto* t = find_init(w, "w");
           t->set_dims(1, 1);
           t->mutable_raw_data()->resize(12);
         });
       }},
      {"string_weights.onnx", "data type STRING is not supported", [] {
         return with([](ModelWriter& w) {
           auto* t = find_init(w, "w");
           t->clear_raw_data();
           t->set_data_type(onnx::TensorProto::STRING);
         });
       }},
      {"dangling.onnx", "which no node, initializer or graph input defines", [] {
         return with([](ModelWriter& w) { w.g->mutable_node(1)->set_input(0, "nowhere"); });
       }},
      {"cycle.onnx", "cycle", [] {
         return with([](ModelWriter& w) {
           *w.g->mutable_node(0)->mutable_input(0) = std::string(1, 'y');  // conv reads relu's output
         });
       }},
      {"written_twice.onnx", "written by two nodes", [] {
         return with([](ModelWriter& w) { w.node("Relu", {"x"}, {"c"}, "again"); });
       }},
      {"output_never_computed.onnx", "never computed", [] { return with([](ModelWriter& w) { w.output("ghost"); }); }},
      {"external_escape.onnx", "escapes the model's folder", [] { return with([](ModelWriter& w) { external(w, "../../etc/passwd"); }); }},
      {"external_absolute.onnx", "is absolute", [] { return with([](ModelWriter& w) { external(w, "/etc/passwd"); }); }},
      {"external_missing.onnx", "does not exist", [] { return with([](ModelWriter& w) { external(w, "weights.bin"); }); }},
      {"unsupported_ops.onnx", "unsupported operators: LSTM (2 nodes, e.g. 'lstm_a'), Resize (1 node, e.g. 'up')", [] {
         return with([](ModelWriter& w) {
           w.node("LSTM", {"y"}, {"l1"}, "lstm_a");
           w.node("LSTM", {"l1"}, {"l2"}, "lstm_b");
           w.node("Resize", {"l2"}, {"r"}, "up");
         });
       }},
      {"wrong_attr_type.onnx", "attribute 'group' has type FLOAT but INT is expected", [] {
         return with([](ModelWriter& w) { ModelWriter::attr_f(w.g->mutable_node(0), "group", 1.0f); });
       }},
      {"bad_pads.onnx", "pads must have 4 values", [] {
         return with([](ModelWriter& w) { ModelWriter::attr_ints(w.g->mutable_node(0), "pads", {1, 1, 1}); });
       }},
      {"zero_stride.onnx", "must be positive", [] {
         return with([](ModelWriter& w) { ModelWriter::attr_ints(w.g->mutable_node(0), "strides", {0, 1}); });
       }},
      {"zero_group.onnx", "groups must be positive", [] {
         return with([](ModelWriter& w) { ModelWriter::attr_i(w.g->mutable_node(0), "group", 0); });
       }},
      {"kernel_too_large.onnx", "larger than the padded input", [] {
         return with([](ModelWriter& w) {
           auto* t = find_init(w, "w");
           t->set_dims(2, 9);
           t->mutable_raw_data()->assign(3 * 2 * 9 * 4, '\0');
         });
       }},
      {"constant_of_huge_shape.onnx", "limit", [] {
         return with([](ModelWriter& w) {
           w.constant_ints("big_shape", {huge, huge});
           w.node("ConstantOfShape", {"big_shape"}, {"zeros"});
           w.node("Reshape", {"y", "zeros"}, {"z"});
         });
       }},
      {"gather_out_of_range.onnx", "out of range", [] {
         return with([](ModelWriter& w) {
           w.node("Shape", {"y"}, {"s"});
           w.constant_ints("idx", {7}, true);
           w.node("Gather", {"s", "idx"}, {"g"});
           w.node("Reshape", {"y", "g"}, {"z"});
         });
       }},
      {"int_overflow.onnx", "integer overflow", [] {
         return with([](ModelWriter& w) {
           w.constant_ints("a", {int64_t{1} << 62});
           w.node("Mul", {"a", "a"}, {"m"});
           w.node("Reshape", {"y", "m"}, {"z"});
         });
       }},
      {"bad_reshape.onnx", "cannot reshape", [] {
         return with([](ModelWriter& w) {
           w.init_ints("shape", {5, 7});
           w.node("Reshape", {"y", "shape"}, {"z"});
           w.output("z");
         });
       }},
      {"split_mismatch.onnx", "split sizes add up to 5", [] {
         return with([](ModelWriter& w) {
           w.init_ints("sizes", {2, 3});
           ModelWriter::attr_i(w.node("Split", {"y", "sizes"}, {"a", "b"}), "axis", 1);
           w.output("a");
         });
       }},
      // Fuzzer find: auto_pad read H and W of the input before anything had checked its rank.
      {"fuzz_conv_rank3_same_upper.onnx", "node 'conv' (Conv): expects a rank-4 NCHW input, got 'x' of shape 1x2x4", [] {
         return with([](ModelWriter& w) {
           set_input_dims(w, {1, 2, 4});
           ModelWriter::attr_s(w.g->mutable_node(0), "auto_pad", "SAME_UPPER");
           ModelWriter::attr_ints(w.g->mutable_node(0), "strides", {2, 2});
         });
       }},
      {"slice_rank1.onnx", "node 'cut' (Slice): expects a rank-2+ N,C,... input, got 'x' of shape 5", [] {
         ModelWriter w(13);
         w.input("x", {5});
         w.init_ints("starts", {0});
         w.init_ints("ends", {2});
         w.node("Slice", {"x", "starts", "ends"}, {"y"}, "cut");
         w.output("y");
         return w.bytes();
       }},
  };
}

void expect_error(const std::function<void()>& f, const std::string& expected, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << what << ": imported without an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << what << ": " << e.what();
  }
}

TEST(OnnxHostile, Cases) {
  const fs::path dir = fs::temp_directory_path() / "formbench_onnx_hostile" / "model";
  fs::create_directories(dir);
  OnnxImportOptions opt;
  opt.base_dir = dir.string();  // external data resolves here, as for a file in this folder
  for (const Case& c : cases())
    expect_error([&] { import_onnx_bytes(c.bytes(), opt, c.name); }, c.expected, c.name);
  // Sanity: the unmutated base model imports.
  EXPECT_NO_THROW(import_onnx_bytes(base().bytes(), opt, "base.onnx"));
}

TEST(OnnxHostile, ExternalDataInsideTheFolderIsRead) {
  const fs::path dir = fs::temp_directory_path() / "formbench_onnx_external";
  fs::create_directories(dir / "data");
  const std::vector<float> w{1, 2, 3, 4, 5, 6};
  std::ofstream(dir / "data" / "w.bin", std::ios::binary).write(reinterpret_cast<const char*>(w.data()), 24);
  std::ofstream(dir / "m.onnx", std::ios::binary) << with([](ModelWriter& m) { external(m, "data/w.bin"); });
  Graph g = import_onnx_file((dir / "m.onnx").string());
  EXPECT_EQ(g.nodes.at(0).param("weight")[5], 6.0f);
  // A symbolic link inside the folder that points outside it is refused too.
  fs::remove(dir / "data" / "link.bin");
  fs::create_symlink("/etc/hostname", dir / "data" / "link.bin");
  std::ofstream(dir / "l.onnx", std::ios::binary) << with([](ModelWriter& m) { external(m, "data/link.bin"); });
  expect_error([&] { import_onnx_file((dir / "l.onnx").string()); }, "resolves outside", "symlink");
  // Data bytes are not read from an external file when the model comes from memory.
  expect_error([&] { import_onnx_bytes(with([](ModelWriter& m) { external(m, "data/w.bin"); }), {}, "mem"); },
               "only read when importing from a file", "no folder");
}

TEST(OnnxHostile, LimitsAreExplicitAndOverridable) {
  const std::string bytes = base().bytes();
  OnnxImportOptions small;
  small.max_bytes = 16;
  expect_error([&] { import_onnx_bytes(bytes, small, "m"); }, "limit of 16", "max_bytes");
  small = {};
  small.max_tensor_elements = 5;  // the weight has 6
  expect_error([&] { import_onnx_bytes(bytes, small, "m"); }, "limit of 5 elements", "max_tensor_elements");
  small = {};
  small.max_total_elements = 5;
  expect_error([&] { import_onnx_bytes(bytes, small, "m"); }, "limit of 5 elements in total", "max_total_elements");
  small = {};
  small.max_nodes = 1;
  expect_error([&] { import_onnx_bytes(bytes, small, "m"); }, "more than the limit of 1", "max_nodes");
  // Files are refused by size before they are read; the limit is a model-reference parameter too.
  const fs::path file = fs::temp_directory_path() / "formbench_onnx_limit.onnx";
  std::ofstream(file, std::ios::binary) << bytes;
  OnnxImportOptions tiny;
  tiny.max_bytes = 10;
  expect_error([&] { import_onnx_file(file.string(), tiny); }, "more than the limit of 10", "file");
  expect_error([&] { load_model(file.string() + "?max_bytes=10"); }, "more than the limit of 10", "ref");
  expect_error([&] { load_model(file.string() + "?max_bites=10"); }, "unknown parameter 'max_bites'", "typo");
  EXPECT_EQ(load_model(file.string()).nodes.size(), 2u);
}

// Names are untrusted too: 20000 nodes that share one name import (named a, a_1, a_2, ...) in linear time.
TEST(OnnxHostile, ManyNodesWithOneName) {
  ModelWriter w(13);
  w.input("x", {1, 2, 2, 2});
  std::string prev = "x";
  for (int i = 0; i < 20000; ++i) {
    const std::string out = fmt::format("t{}", i);
    w.node("Relu", {prev}, {out}, "a");
    prev = out;
  }
  w.output(prev);
  Graph g = import_onnx_bytes(w.bytes(), {}, "same_names.onnx");
  ASSERT_EQ(g.nodes.size(), 20000u);
  EXPECT_EQ(g.nodes[0].name, "a");
  EXPECT_EQ(g.nodes[19999].name, "a_19999");
}

// Every file in tests/onnx/corpus/ fails with the message listed in expected.txt ("file<TAB>text").
TEST(OnnxHostile, Corpus) {
  const fs::path dir = fs::path(FORMBENCH_SOURCE_DIR) / "tests" / "onnx" / "corpus";
  if (const char* out = std::getenv("FORMBENCH_ONNX_WRITE_CORPUS")) {  // regenerates the built cases
    std::ofstream list(fs::path(out) / "expected.txt", std::ios::app);
    for (const Case& c : cases()) {
      std::ofstream(fs::path(out) / c.name, std::ios::binary) << c.bytes();
      list << c.name << '\t' << c.expected << '\n';
    }
  }
  for (const testing::CorpusEntry& c : testing::corpus_entries(dir, ".onnx"))
    expect_error([&] { import_onnx_file((dir / c.name).string()); }, c.expected, c.name);
}

}  // namespace
}  // namespace fb
