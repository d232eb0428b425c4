//===- EmbeddingKernelTest.cpp - embedding lookups and id errors ----------===//
//
// An embedding copies rows of its table, so outputs must match exactly
// (tolerance 0).
//
//===----------------------------------------------------------------------===//

#include "KernelTestUtil.h"

#include "gtest/gtest.h"

using namespace shapeflow;
using namespace shapeflow::test;

namespace {

HostTensor idTensor(std::vector<int64_t> shape, std::vector<int64_t> values) {
  HostTensor t;
  t.dtype = DType::I64;
  t.shape = std::move(shape);
  t.i64 = std::move(values);
  return t;
}

/// Random ids in [0, vocab) of `shape`.
HostTensor randomIds(std::mt19937 &rng, std::vector<int64_t> shape,
                     int64_t vocab) {
  HostTensor ids = idTensor(std::move(shape), {});
  for (int64_t i = 0; i < ids.numElements(); ++i)
    ids.i64.push_back(randomInt(rng, 0, vocab - 1));
  return ids;
}

void checkEmbedding(std::mt19937 &rng, std::vector<int64_t> idShape,
                    int64_t vocab, int64_t width, int numThreads = 1) {
  SCOPED_TRACE("ids " + shapeString(idShape) + " table [" +
               std::to_string(vocab) + ", " + std::to_string(width) + "]");
  HostTensor ids = randomIds(rng, idShape, vocab);
  HostTensor table = randomTensor(rng, {vocab, width});
  std::vector<int64_t> outShape = idShape;
  outShape.push_back(width);
  HostTensor out = zeros(outShape);
  expectOk(runKernel("embedding", {&ids, &table}, out, {}, numThreads));

  std::vector<float> expected;
  for (int64_t id : ids.i64)
    for (int64_t j = 0; j < width; ++j)
      expected.push_back(table.f32[id * width + j]);
  expectIdentical(out.f32, expected);
}

TEST(EmbeddingKernelTest, GathersRowsOfTheTable) {
  std::mt19937 rng(71);
  checkEmbedding(rng, {}, 5, 3); // one id: out [D]
  checkEmbedding(rng, {4}, 10, 6);
  checkEmbedding(rng, {2, 3}, 1, 4);
  checkEmbedding(rng, {0, 3}, 7, 4); // no ids
  checkEmbedding(rng, {2, 3}, 7, 0); // empty rows
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<int64_t> shape;
    for (int64_t i = randomInt(rng, 1, 3); i > 0; --i)
      shape.push_back(randomInt(rng, 1, 6));
    checkEmbedding(rng, shape, randomInt(rng, 1, 50), randomInt(rng, 1, 9));
  }
  checkEmbedding(rng, {16, 128}, 1000, 64, /*numThreads=*/2);
}

TEST(EmbeddingKernelTest, RejectsIdsOutOfRange) {
  HostTensor table = zeros({30000, 2});
  HostTensor ids = idTensor({2, 3}, {1, 2, 3, 4, 29999, 30001});
  HostTensor out = zeros({2, 3, 2});
  EXPECT_EQ(llvm::toString(runKernel("embedding", {&ids, &table}, out)),
            "embedding: id 30001 at position 5 is out of range [0, 30000)");

  HostTensor negative = idTensor({3}, {0, -1, 7});
  HostTensor out3 = zeros({3, 2});
  EXPECT_EQ(llvm::toString(runKernel("embedding", {&negative, &table}, out3)),
            "embedding: id -1 at position 1 is out of range [0, 30000)");

  // An empty table admits no id at all.
  HostTensor emptyTable = zeros({0, 2}), zero = idTensor({1}, {0});
  HostTensor out1 = zeros({1, 2});
  EXPECT_EQ(llvm::toString(runKernel("embedding", {&zero, &emptyTable}, out1)),
            "embedding: id 0 at position 0 is out of range [0, 0)");
}

} // namespace
