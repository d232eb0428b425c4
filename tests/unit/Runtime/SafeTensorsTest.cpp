//===- SafeTensorsTest.cpp - Reading and writing .safetensors -------------===//
//
// Round trips through memory and files, then one test per way a file can be
// malformed: each must be an error whose message says what is wrong, with
// nothing allocated from an untrusted size. A small fuzz loop mutates a
// valid file and only asks that parsing returns.
//
//===----------------------------------------------------------------------===//

#include "shapeflow/Runtime/SafeTensors.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstring>
#include <random>

using namespace shapeflow;
using ::testing::HasSubstr;

namespace {

/// A file: 8-byte little-endian header length, the header, then `data`.
std::string makeFile(llvm::StringRef header, llvm::StringRef data = "") {
  std::string out(8, '\0');
  llvm::support::endian::write64le(out.data(), header.size());
  return out + header.str() + data.str();
}

/// A file whose header length field says `length`, whatever follows.
std::string withLength(uint64_t length, llvm::StringRef rest) {
  std::string out(8, '\0');
  llvm::support::endian::write64le(out.data(), length);
  return out + rest.str();
}

std::string parseError(llvm::StringRef bytes) {
  auto tensors = parseSafeTensors(bytes, "model.safetensors");
  if (tensors)
    return "<parsed " + std::to_string(tensors->size()) + " tensors>";
  return llvm::toString(tensors.takeError());
}

Tensor i64Tensor(std::vector<int64_t> shape, std::vector<int64_t> values) {
  Tensor t = llvm::cantFail(Tensor::zeros(DType::I64, shape));
  std::copy(values.begin(), values.end(), t.i64());
  return t;
}

/// Same name, dtype, shape and bytes.
void expectSameTensors(llvm::ArrayRef<NamedTensor> got,
                       llvm::ArrayRef<NamedTensor> want) {
  ASSERT_EQ(got.size(), want.size());
  for (const NamedTensor &w : want) {
    auto it = llvm::find_if(
        got, [&](const NamedTensor &g) { return g.first == w.first; });
    ASSERT_NE(it, got.end()) << "missing " << w.first;
    const Tensor &g = it->second;
    EXPECT_EQ(g.getDType(), w.second.getDType()) << w.first;
    EXPECT_EQ(g.getShape(), w.second.getShape()) << w.first;
    ASSERT_EQ(g.getByteSize(), w.second.getByteSize()) << w.first;
    EXPECT_EQ(std::memcmp(g.raw(), w.second.raw(), g.getByteSize()), 0)
        << w.first;
  }
}

std::vector<NamedTensor> sampleTensors() {
  std::vector<NamedTensor> tensors;
  tensors.emplace_back("dense0.weight", Tensor::uniform({3, 4}, 1));
  tensors.emplace_back("ids", i64Tensor({2, 2}, {0, -1, INT64_MAX, INT64_MIN}));
  tensors.emplace_back("scalar", Tensor::fromVector({}, {2.5f}));
  tensors.emplace_back("empty",
                       llvm::cantFail(Tensor::zeros(DType::F32, {0, 5})));
  tensors.emplace_back("bias", Tensor::fromVector({2}, {-0.0f, 1e-30f}));
  return tensors;
}

/// A temporary path, removed when the test ends.
class TempPath {
public:
  TempPath() {
    llvm::SmallString<128> p;
    std::error_code ec =
        llvm::sys::fs::createTemporaryFile("sf-test", "safetensors", p);
    EXPECT_FALSE(ec) << ec.message();
    path = std::string(p);
  }
  ~TempPath() { llvm::sys::fs::remove(path); }
  std::string path;
};

//===----------------------------------------------------------------------===//
// Round trips
//===----------------------------------------------------------------------===//

TEST(SafeTensorsTest, RoundTripsThroughMemory) {
  std::vector<NamedTensor> tensors = sampleTensors();
  auto bytes = serializeSafeTensors(tensors);
  ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
  auto back = parseSafeTensors(*bytes, "mem");
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  expectSameTensors(*back, tensors);
}

TEST(SafeTensorsTest, RoundTripKeepsOrderOfNonEmptyTensors) {
  std::vector<NamedTensor> tensors;
  tensors.emplace_back("z", Tensor::fromVector({1}, {1}));
  tensors.emplace_back("a", Tensor::fromVector({2}, {2, 3}));
  tensors.emplace_back("m", i64Tensor({1}, {4}));
  auto back =
      parseSafeTensors(llvm::cantFail(serializeSafeTensors(tensors)), "mem");
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ((*back)[0].first, "z");
  EXPECT_EQ((*back)[1].first, "a");
  EXPECT_EQ((*back)[2].first, "m");
}

TEST(SafeTensorsTest, RoundTripsThroughAFile) {
  TempPath file;
  std::vector<NamedTensor> tensors = sampleTensors();
  llvm::Error err = saveSafeTensors(file.path, tensors);
  ASSERT_FALSE(err) << llvm::toString(std::move(err));
  auto back = loadSafeTensors(file.path);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  expectSameTensors(*back, tensors);
}

TEST(SafeTensorsTest, NoTensorsRoundTrip) {
  auto bytes = serializeSafeTensors({});
  ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
  auto back = parseSafeTensors(*bytes, "mem");
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_TRUE(back->empty());
}

TEST(SafeTensorsTest, ReadsAHandWrittenFileWithMetadata) {
  // [2] f32 {1, 2}, then [1] i64 {7}.
  std::string data(16, '\0');
  float f[2] = {1, 2};
  int64_t i = 7;
  std::memcpy(data.data(), f, 8);
  std::memcpy(data.data() + 8, &i, 8);
  std::string file =
      makeFile(R"({"__metadata__":{"format":"pt"},)"
               R"("b":{"dtype":"I64","shape":[1],"data_offsets":[8,16]},)"
               R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
               data);
  auto tensors = parseSafeTensors(file, "hand");
  ASSERT_TRUE(bool(tensors)) << llvm::toString(tensors.takeError());
  ASSERT_EQ(tensors->size(), 2u);
  EXPECT_EQ((*tensors)[0].first, "a");
  EXPECT_EQ((*tensors)[0].second.f32()[1], 2.0f);
  EXPECT_EQ((*tensors)[1].first, "b");
  EXPECT_EQ((*tensors)[1].second.i64()[0], 7);
}

TEST(SafeTensorsTest, NamesNeedingJSONEscapesRoundTrip) {
  std::vector<NamedTensor> tensors;
  tensors.emplace_back("quote\"back\\slash", Tensor::fromVector({1}, {1}));
  tensors.emplace_back("tab\tnewline\n", Tensor::fromVector({1}, {2}));
  tensors.emplace_back("caf\xc3\xa9.w", Tensor::fromVector({1}, {3}));
  auto back =
      parseSafeTensors(llvm::cantFail(serializeSafeTensors(tensors)), "mem");
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  expectSameTensors(*back, tensors);
}

TEST(SafeTensorsTest, WhatSerializeWritesParsesBack) {
  // "__metadata__" is the format's reserved key: a tensor of that name must
  // be refused when writing, or the file it gives must still read back.
  std::vector<NamedTensor> tensors;
  tensors.emplace_back("__metadata__", Tensor::fromVector({1}, {1}));
  tensors.emplace_back("w", Tensor::fromVector({1}, {2}));
  auto bytes = serializeSafeTensors(tensors);
  if (!bytes) {
    EXPECT_THAT(llvm::toString(bytes.takeError()), HasSubstr("__metadata__"));
    return;
  }
  auto back = parseSafeTensors(*bytes, "mem");
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  expectSameTensors(*back, tensors);
}

TEST(SafeTensorsTest, SerializeRejectsDuplicateNames) {
  std::vector<NamedTensor> tensors;
  tensors.emplace_back("w", Tensor::fromVector({1}, {1}));
  tensors.emplace_back("w", Tensor::fromVector({1}, {2}));
  auto bytes = serializeSafeTensors(tensors);
  ASSERT_FALSE(bool(bytes));
  EXPECT_EQ(llvm::toString(bytes.takeError()), "tensor name 'w' appears twice");
}

TEST(SafeTensorsTest, LoadOfMissingFileNamesIt) {
  auto tensors = loadSafeTensors("/nonexistent-dir/params.safetensors");
  ASSERT_FALSE(bool(tensors));
  std::string err = llvm::toString(tensors.takeError());
  EXPECT_THAT(err, HasSubstr("cannot open '/nonexistent-dir/params."
                             "safetensors'"));
  EXPECT_THAT(err, HasSubstr("No such file or directory"));
}

TEST(SafeTensorsTest, SaveIntoMissingDirectoryNamesIt) {
  llvm::Error err =
      saveSafeTensors("/nonexistent-dir/out.safetensors", sampleTensors());
  ASSERT_TRUE(bool(err));
  EXPECT_THAT(llvm::toString(std::move(err)),
              HasSubstr("cannot write '/nonexistent-dir/out.safetensors'"));
}

TEST(SafeTensorsTest, ErrorsFromAFileNameThePath) {
  TempPath file;
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(file.path, ec);
    os << "abc";
  }
  auto tensors = loadSafeTensors(file.path);
  ASSERT_FALSE(bool(tensors));
  EXPECT_THAT(llvm::toString(tensors.takeError()),
              HasSubstr(file.path + ": too short"));
}

//===----------------------------------------------------------------------===//
// Malformed files: the framing
//===----------------------------------------------------------------------===//

TEST(SafeTensorsTest, RejectsFileShorterThanTheLengthField) {
  EXPECT_EQ(parseError("abc"), "model.safetensors: too short to be a "
                               "safetensors file (3 bytes)");
  EXPECT_THAT(parseError(""), HasSubstr("(0 bytes)"));
}

TEST(SafeTensorsTest, RejectsHeaderLengthPastTheEnd) {
  EXPECT_EQ(parseError(withLength(100, "{}")),
            "model.safetensors: header length 100 exceeds the file "
            "(10 bytes)");
  EXPECT_THAT(parseError(withLength(3, "{}")),
              HasSubstr("header length 3 exceeds"));
}

TEST(SafeTensorsTest, RejectsHeaderLengthTwoToTheSixtyThird) {
  EXPECT_THAT(parseError(withLength(uint64_t(1) << 63, "{}")),
              HasSubstr("header length 9223372036854775808 exceeds the "
                        "file (10 bytes)"));
  EXPECT_THAT(parseError(withLength(UINT64_MAX, "{}")),
              HasSubstr("header length 18446744073709551615 exceeds"));
}

TEST(SafeTensorsTest, RejectsInvalidJSON) {
  EXPECT_THAT(parseError(makeFile("{\"a\":")),
              HasSubstr("model.safetensors: invalid JSON header"));
  EXPECT_THAT(parseError(makeFile("")), HasSubstr("invalid JSON header"));
}

TEST(SafeTensorsTest, RejectsDeeplyNestedHeaderWithoutCrashing) {
  // 100 KB of '[' is a legal header length. Parsed in a child process so
  // that a stack overflow fails this test instead of ending the run.
  std::string file = makeFile(std::string(100000, '['));
  EXPECT_EXIT(
      {
        auto tensors = parseSafeTensors(file, "deep.safetensors");
        if (tensors)
          std::exit(2);
        llvm::errs() << llvm::toString(tensors.takeError()) << '\n';
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "deep.safetensors: ");
}

TEST(SafeTensorsTest, RejectsHeaderThatIsNotAnObject) {
  EXPECT_EQ(parseError(makeFile("[1, 2]")),
            "model.safetensors: the header is not a JSON object");
  EXPECT_THAT(parseError(makeFile("42")), HasSubstr("not a JSON object"));
}

//===----------------------------------------------------------------------===//
// Malformed files: one entry
//===----------------------------------------------------------------------===//

TEST(SafeTensorsTest, RejectsEntryThatIsNotAnObject) {
  EXPECT_EQ(parseError(makeFile(R"({"w": 3})")),
            "model.safetensors: tensor 'w': its header entry is not an "
            "object");
}

TEST(SafeTensorsTest, RejectsMissingDType) {
  EXPECT_EQ(parseError(makeFile(R"({"w":{"shape":[1],"data_offsets":[0,4]}})",
                                std::string(4, '\0'))),
            "model.safetensors: tensor 'w': missing \"dtype\"");
}

TEST(SafeTensorsTest, RejectsMissingShape) {
  EXPECT_EQ(parseError(makeFile(R"({"w":{"dtype":"F32","data_offsets":[0,4]}})",
                                std::string(4, '\0'))),
            "model.safetensors: tensor 'w': missing \"shape\"");
}

TEST(SafeTensorsTest, RejectsMissingOrMalformedDataOffsets) {
  EXPECT_EQ(parseError(makeFile(R"({"w":{"dtype":"F32","shape":[1]}})",
                                std::string(4, '\0'))),
            "model.safetensors: tensor 'w': \"data_offsets\" must be "
            "[begin, end]");
  EXPECT_THAT(parseError(makeFile(
                  R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})",
                  std::string(4, '\0'))),
              HasSubstr("\"data_offsets\" must be [begin, end]"));
  EXPECT_THAT(
      parseError(makeFile(
          R"({"w":{"dtype":"F32","shape":[1],"data_offsets":["0","4"]}})",
          std::string(4, '\0'))),
      HasSubstr("data_offsets must satisfy"));
}

TEST(SafeTensorsTest, RejectsUnsupportedDType) {
  EXPECT_EQ(parseError(makeFile(
                R"({"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})",
                std::string(4, '\0'))),
            "model.safetensors: tensor 'w': dtype BF16 is not supported "
            "(F32 and I64 are)");
}

TEST(SafeTensorsTest, RejectsNegativeDim) {
  EXPECT_EQ(parseError(makeFile(
                R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})",
                std::string(4, '\0'))),
            "model.safetensors: tensor 'w': \"shape\" must hold "
            "non-negative integers");
  EXPECT_THAT(parseError(makeFile(
                  R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})",
                  std::string(4, '\0'))),
              HasSubstr("non-negative integers"));
}

TEST(SafeTensorsTest, RejectsShapeWhoseByteSizeOverflows) {
  // 2^40 * 2^40 * 4 bytes does not fit in 63 bits.
  std::string err = parseError(
      makeFile(R"({"w":{"dtype":"F32","shape":[1099511627776,1099511627776],)"
               R"("data_offsets":[0,0]}})"));
  EXPECT_THAT(err, HasSubstr("tensor 'w'"));
  EXPECT_THAT(err, HasSubstr("too large"));
}

TEST(SafeTensorsTest, RejectsHugeShapeWithoutAllocatingIt) {
  // 2^50 elements (4 PiB) claimed over 8 bytes of data.
  EXPECT_EQ(
      parseError(makeFile(R"({"w":{"dtype":"F32","shape":[1073741824,1048576],)"
                          R"("data_offsets":[0,8]}})",
                          std::string(8, '\0'))),
      "model.safetensors: tensor 'w': shape [1073741824, 1048576] "
      "needs 4503599627370496 bytes, but data_offsets span 8");
}

TEST(SafeTensorsTest, RejectsOffsetsPastTheData) {
  EXPECT_EQ(parseError(makeFile(
                R"({"w":{"dtype":"F32","shape":[25],"data_offsets":[0,100]}})",
                std::string(8, '\0'))),
            "model.safetensors: tensor 'w': data_offsets must satisfy 0 <= "
            "begin <= end <= 8 (the data section's size)");
  // Larger than any int64.
  EXPECT_THAT(
      parseError(makeFile(R"({"w":{"dtype":"F32","shape":[1],)"
                          R"("data_offsets":[0,18446744073709551615]}})",
                          std::string(4, '\0'))),
      HasSubstr("data_offsets must satisfy"));
  EXPECT_THAT(parseError(makeFile(R"({"w":{"dtype":"F32","shape":[0],)"
                                  R"("data_offsets":[-4,0]}})")),
              HasSubstr("data_offsets must satisfy"));
}

TEST(SafeTensorsTest, RejectsEndBeforeBegin) {
  EXPECT_THAT(parseError(makeFile(
                  R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})",
                  std::string(8, '\0'))),
              HasSubstr("tensor 'w': data_offsets must satisfy 0 <= begin "
                        "<= end"));
}

TEST(SafeTensorsTest, RejectsByteCountNotMatchingShape) {
  EXPECT_EQ(parseError(makeFile(
                R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                std::string(8, '\0'))),
            "model.safetensors: tensor 'w': shape [3] needs 12 bytes, but "
            "data_offsets span 8");
  // I64 is 8 bytes an element.
  EXPECT_THAT(parseError(makeFile(
                  R"({"w":{"dtype":"I64","shape":[2],"data_offsets":[0,8]}})",
                  std::string(8, '\0'))),
              HasSubstr("shape [2] needs 16 bytes, but data_offsets span 8"));
}

//===----------------------------------------------------------------------===//
// Malformed files: the layout
//===----------------------------------------------------------------------===//

TEST(SafeTensorsTest, RejectsOverlappingTensors) {
  EXPECT_EQ(parseError(makeFile(
                R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                std::string(12, '\0'))),
            "model.safetensors: tensor 'b' overlaps the tensor before it");
}

TEST(SafeTensorsTest, RejectsTwoTensorsOnTheSameBytes) {
  EXPECT_THAT(parseError(makeFile(
                  R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                  R"("b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                  std::string(4, '\0'))),
              HasSubstr("overlaps the tensor before it"));
}

TEST(SafeTensorsTest, RejectsHoleInTheData) {
  EXPECT_EQ(parseError(makeFile(
                R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                std::string(12, '\0'))),
            "model.safetensors: bytes 4 to 8 of the data belong to no "
            "tensor");
  EXPECT_THAT(parseError(makeFile(
                  R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                  std::string(8, '\0'))),
              HasSubstr("bytes 0 to 4 of the data belong to no tensor"));
}

TEST(SafeTensorsTest, RejectsTrailingBytes) {
  EXPECT_EQ(parseError(makeFile(
                R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                std::string(9, '\0'))),
            "model.safetensors: bytes 4 to 9 of the data belong to no "
            "tensor");
  EXPECT_THAT(parseError(makeFile("{}", "x")),
              HasSubstr("bytes 0 to 1 of the data belong to no tensor"));
}

TEST(SafeTensorsTest, AcceptsEmptyTensorsSharingAnOffset) {
  auto tensors = parseSafeTensors(
      makeFile(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},)"
               R"("b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
               R"("c":{"dtype":"I64","shape":[2,0],"data_offsets":[4,4]}})",
               std::string(4, '\0')),
      "mem");
  ASSERT_TRUE(bool(tensors)) << llvm::toString(tensors.takeError());
  EXPECT_EQ(tensors->size(), 3u);
}

//===----------------------------------------------------------------------===//
// Fuzzing
//===----------------------------------------------------------------------===//

/// Parses `bytes` and checks that whatever came back is consistent: an
/// error, or tensors that together hold no more bytes than the file.
/// Returns whether it parsed.
bool parseAndCheck(const std::string &bytes) {
  auto tensors = parseSafeTensors(bytes, "fuzz");
  if (!tensors) {
    EXPECT_FALSE(llvm::toString(tensors.takeError()).empty());
    return false;
  }
  int64_t total = 0;
  for (const NamedTensor &t : *tensors)
    total += t.second.getByteSize();
  EXPECT_LE(total, int64_t(bytes.size()));
  return true;
}

TEST(SafeTensorsTest, RandomMutationsNeverCrash) {
  std::string valid = llvm::cantFail(serializeSafeTensors(sampleTensors()));
  std::mt19937_64 rng(12345);
  unsigned parsedOk = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string bytes = valid;
    int edits = 1 + rng() % 4;
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % bytes.size();
      switch (rng() % 5) {
      case 0: // flip one bit
        bytes[at] ^= char(1u << (rng() % 8));
        break;
      case 1: // a random byte
        bytes[at] = char(rng());
        break;
      case 2: // a digit, to bend numbers in the header
        bytes[at] = char('0' + rng() % 10);
        break;
      case 3: // truncate
        bytes.resize(at);
        break;
      case 4: // insert a byte
        bytes.insert(bytes.begin() + at, char(rng()));
        break;
      }
      if (bytes.empty())
        break;
    }
    parsedOk += parseAndCheck(bytes);
  }
  // Some mutations only touch data bytes, so some files still parse; the
  // checks above are what matter.
  EXPECT_GT(parsedOk, 0u);
}

TEST(SafeTensorsTest, RandomHeaderLengthsNeverCrash) {
  std::string valid = llvm::cantFail(serializeSafeTensors(sampleTensors()));
  std::mt19937_64 rng(99);
  for (int iter = 0; iter < 500; ++iter) {
    std::string bytes = valid;
    uint64_t length = iter < 64 ? uint64_t(1) << iter : rng() % 512;
    llvm::support::endian::write64le(bytes.data(), length);
    parseAndCheck(bytes);
  }
}

} // namespace
