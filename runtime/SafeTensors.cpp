//===- SafeTensors.cpp - Reading and writing .safetensors files -----------===//

#include "shapeflow/Runtime/SafeTensors.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>

using namespace shapeflow;

namespace {

/// A header larger than this is refused before it is parsed.
constexpr uint64_t kMaxHeaderBytes = 100 << 20;
/// llvm::json::parse recurses once per nesting level; a valid header nests
/// three deep, so anything past this is refused before parsing.
constexpr unsigned kMaxHeaderDepth = 16;

/// The deepest nesting of [ and { outside strings.
unsigned nestingDepth(llvm::StringRef json) {
  unsigned depth = 0, deepest = 0;
  bool inString = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"')
      inString = true;
    else if (c == '[' || c == '{')
      deepest = std::max(deepest, ++depth);
    else if ((c == ']' || c == '}') && depth)
      --depth;
  }
  return deepest;
}

llvm::Error fileError(llvm::StringRef source, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 (source + ": " + message).str());
}

std::optional<DType> dtypeFromName(llvm::StringRef name) {
  if (name == "F32")
    return DType::F32;
  if (name == "I64")
    return DType::I64;
  return std::nullopt;
}

const char *nameOfDType(DType dtype) {
  return dtype == DType::F32 ? "F32" : "I64";
}

/// One header entry, checked against the data section's size.
struct Entry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

llvm::Expected<Entry> parseEntry(llvm::StringRef source, llvm::StringRef name,
                                 const llvm::json::Value &value,
                                 uint64_t dataSize) {
  auto bad = [&](const llvm::Twine &why) {
    return fileError(source, "tensor '" + name + "': " + why);
  };
  const llvm::json::Object *obj = value.getAsObject();
  if (!obj)
    return bad("its header entry is not an object");
  llvm::Optional<llvm::StringRef> dtypeName = obj->getString("dtype");
  if (!dtypeName)
    return bad("missing \"dtype\"");
  std::optional<DType> dtype = dtypeFromName(*dtypeName);
  if (!dtype)
    return bad("dtype " + *dtypeName + " is not supported (F32 and I64 are)");

  Entry entry{name.str(), *dtype, {}, 0, 0};
  const llvm::json::Array *shape = obj->getArray("shape");
  if (!shape)
    return bad("missing \"shape\"");
  for (const llvm::json::Value &d : *shape) {
    llvm::Optional<int64_t> dim = d.getAsInteger();
    if (!dim || *dim < 0)
      return bad("\"shape\" must hold non-negative integers");
    entry.shape.push_back(*dim);
  }
  const llvm::json::Array *offsets = obj->getArray("data_offsets");
  if (!offsets || offsets->size() != 2)
    return bad("\"data_offsets\" must be [begin, end]");
  llvm::Optional<int64_t> begin = (*offsets)[0].getAsInteger();
  llvm::Optional<int64_t> end = (*offsets)[1].getAsInteger();
  if (!begin || !end || *begin < 0 || *end < *begin ||
      uint64_t(*end) > dataSize)
    return bad(llvm::formatv("data_offsets must satisfy 0 <= begin <= end "
                             "<= {0} (the data section's size)",
                             dataSize));
  entry.begin = *begin;
  entry.end = *end;

  auto bytes = Tensor::checkedByteSize(*dtype, entry.shape);
  if (!bytes)
    return bad(llvm::toString(bytes.takeError()));
  if (uint64_t(*bytes) != entry.end - entry.begin)
    return bad(llvm::formatv("shape {0} needs {1} bytes, but data_offsets "
                             "span {2}",
                             formatShape(entry.shape), *bytes,
                             entry.end - entry.begin));
  return entry;
}

/// Tensors may not overlap, and the data section may have no holes.
llvm::Error checkLayout(llvm::StringRef source, std::vector<Entry> &entries,
                        uint64_t dataSize) {
  std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t cursor = 0;
  for (const Entry &e : entries) {
    if (e.begin < cursor)
      return fileError(source,
                       "tensor '" + e.name + "' overlaps the tensor before it");
    if (e.begin > cursor)
      return fileError(source, llvm::formatv("bytes {0} to {1} of the data "
                                             "belong to no tensor",
                                             cursor, e.begin));
    cursor = e.end;
  }
  if (cursor != dataSize)
    return fileError(source, llvm::formatv("bytes {0} to {1} of the data "
                                           "belong to no tensor",
                                           cursor, dataSize));
  return llvm::Error::success();
}

} // namespace

llvm::Expected<std::vector<NamedTensor>>
shapeflow::parseSafeTensors(llvm::StringRef bytes, llvm::StringRef source) {
  if (bytes.size() < 8)
    return fileError(source, "too short to be a safetensors file (" +
                                 llvm::Twine(bytes.size()) + " bytes)");
  uint64_t headerSize = llvm::support::endian::read64le(bytes.data());
  if (headerSize > bytes.size() - 8 || headerSize > kMaxHeaderBytes)
    return fileError(source, llvm::formatv("header length {0} exceeds the "
                                           "file ({1} bytes)",
                                           headerSize, bytes.size()));
  llvm::StringRef header = bytes.substr(8, headerSize);
  llvm::StringRef data = bytes.drop_front(8 + headerSize);

  if (nestingDepth(header) > kMaxHeaderDepth)
    return fileError(source, "the header nests deeper than " +
                                 llvm::Twine(kMaxHeaderDepth) + " levels");
  auto json = llvm::json::parse(header);
  if (!json)
    return fileError(source, "invalid JSON header: " +
                                 llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return fileError(source, "the header is not a JSON object");

  std::vector<Entry> entries;
  for (const auto &[key, value] : *root) {
    if (key == "__metadata__")
      continue;
    auto entry = parseEntry(source, key, value, data.size());
    if (!entry)
      return entry.takeError();
    entries.push_back(std::move(*entry));
  }
  if (llvm::Error err = checkLayout(source, entries, data.size()))
    return err;

  std::vector<NamedTensor> tensors;
  for (const Entry &e : entries) {
    auto tensor = Tensor::zeros(e.dtype, e.shape);
    if (!tensor)
      return fileError(source, "tensor '" + e.name +
                                   "': " + llvm::toString(tensor.takeError()));
    std::memcpy(tensor->raw(), data.data() + e.begin, e.end - e.begin);
    tensors.emplace_back(e.name, std::move(*tensor));
  }
  return tensors;
}

llvm::Expected<std::vector<NamedTensor>>
shapeflow::loadSafeTensors(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError(buffer.getError(), "cannot open '%s': %s",
                                   path.str().c_str(),
                                   buffer.getError().message().c_str());
  return parseSafeTensors((*buffer)->getBuffer(), path);
}

llvm::Expected<std::string>
shapeflow::serializeSafeTensors(llvm::ArrayRef<NamedTensor> tensors) {
  llvm::json::Object header;
  llvm::StringSet<> names;
  uint64_t offset = 0;
  for (const auto &[name, tensor] : tensors) {
    if (!names.insert(name).second)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "tensor name '%s' appears twice",
                                     name.c_str());
    if (name == "__metadata__")
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "'__metadata__' is reserved by the "
                                     "format and cannot name a tensor");
    llvm::json::Array shape;
    for (int64_t d : tensor.getShape())
      shape.push_back(d);
    uint64_t end = offset + tensor.getByteSize();
    header[name] = llvm::json::Object{
        {"dtype", nameOfDType(tensor.getDType())},
        {"shape", std::move(shape)},
        {"data_offsets", llvm::json::Array{int64_t(offset), int64_t(end)}}};
    offset = end;
  }

  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(std::move(header));
  os.flush();
  // Pad with spaces so the data section starts 8-byte aligned.
  text.append((8 - text.size() % 8) % 8, ' ');

  std::string out(8, '\0');
  llvm::support::endian::write64le(out.data(), text.size());
  out += text;
  for (const auto &named : tensors)
    out.append(static_cast<const char *>(named.second.raw()),
               named.second.getByteSize());
  return out;
}

llvm::Error shapeflow::saveSafeTensors(llvm::StringRef path,
                                       llvm::ArrayRef<NamedTensor> tensors) {
  auto bytes = serializeSafeTensors(tensors);
  if (!bytes)
    return bytes.takeError();
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return llvm::createStringError(ec, "cannot write '%s': %s",
                                   path.str().c_str(), ec.message().c_str());
  os << *bytes;
  os.close();
  if (os.has_error())
    return llvm::createStringError(os.error(), "cannot write '%s': %s",
                                   path.str().c_str(),
                                   os.error().message().c_str());
  return llvm::Error::success();
}
