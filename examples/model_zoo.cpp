//===- model_zoo.cpp - Classic networks, every input size inferred --------===//
//
// Builds each network of ModelZoo.h, runs one random batch and prints the
// output shape and parameter count: no layer was told its input size.
//
//===----------------------------------------------------------------------===//

#include "ModelZoo.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace shapeflow;

static void report(llvm::StringRef name, nn::Block &net, const Tensor &x) {
  llvm::ExitOnError check(("model_zoo: " + name + ": ").str());
  check(net.initialize(init::xavier()).takeError());
  Tensor y = check(net(x));
  int64_t count = 0;
  for (const auto &p : net.getParams())
    count += check(p->data()).getNumElements();
  llvm::outs() << llvm::formatv("{0,-20} {1,-18} -> {2,-14} {3} parameters\n",
                                name, formatShape(x.getShape()), y.shapeStr(),
                                count);
}

int main() {
  Tensor image = Tensor::uniform({1, 3, 64, 64}, 0);
  nn::Sequential lenet = zoo::lenet(), vgg = zoo::vgg11(),
                 r18 = zoo::resnet18(), r50 = zoo::resnet50(),
                 mobile = zoo::mobilenetV1(),
                 encoder = zoo::transformerEncoder();
  report("LeNet", lenet, Tensor::uniform({2, 1, 28, 28}, 0));
  report("VGG-11", vgg, image);
  report("ResNet-18", r18, image);
  report("ResNet-50", r50, image);
  report("MobileNet-v1", mobile, image);
  Tensor ids = llvm::cantFail(Tensor::zeros(DType::I64, {2, 16}));
  for (int64_t i = 0; i < ids.getNumElements(); ++i)
    ids.i64()[i] = (i * 977) % 30000;
  report("Transformer encoder", encoder, ids);
  return 0;
}
