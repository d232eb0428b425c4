//===- deferred_init.cpp - Deferred initialization, step by step ----------===//
//
// The classic walk-through of deferred initialization, in shapeflow: a
// network is declared without its input size, initialize() only records
// the initializer, the first batch decides every shape and initializes each
// waiting weight once, and declaring the input sizes up front initializes
// everything at once. A custom initializer prints each call, so the output
// shows exactly when initialization happens.
//
//===----------------------------------------------------------------------===//

#include "shapeflow/NN.h"
#include "shapeflow/Runtime/Random.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

using namespace shapeflow;

int main() {
  llvm::ExitOnError check("deferred_init: error: ");
  llvm::raw_ostream &out = llvm::outs();

  nn::Sequential net;
  net.add(nn::Dense(256, {.activation = "relu"}));
  net.add(nn::Dense(10));
  out << "== A network of two Dense layers; no input size is given\n"
      << net.describe() << "\n"
      << net.collectParams();

  // Prints its name and shape each time it fills a parameter.
  InitPtr myInit = init::callback(
      [&out](const InitRequest &r, llvm::MutableArrayRef<float> data) {
        out << "Init " << r.name << ' ' << formatShape(r.shape) << '\n';
        RandomStream rng(r.seed, r.name);
        for (float &x : data)
          x = rng.uniform(-0.1f, 0.1f);
        return llvm::Error::success();
      },
      "my_init");

  out << "\n== initialize(my_init): the weights wait for their shapes, so "
         "nothing is printed\n";
  InitSummary summary = check(net.initialize(myInit));
  out << "initialized " << summary.initialized << ", deferred "
      << summary.deferred << "\n";

  out << "\n== Reading a waiting weight is an error that says why\n";
  if (auto w = net.param("0.weight").data(); !w)
    out << llvm::toString(w.takeError()) << '\n';

  out << "\n== The first batch, x: f32[2, 20], decides every shape\n";
  Tensor x = Tensor::uniform({2, 20}, /*seed=*/0);
  Tensor y = check(net(x));
  out << "y: " << y.shapeStr() << "\n" << net.describe() << "\n";

  out << "\n== A second batch initializes nothing\n";
  check(net(x).takeError());
  out << "== A batch of another size reuses the parameters\n";
  y = check(net(Tensor::uniform({5, 20}, 1)));
  out << "y: " << y.shapeStr() << "\n";

  out << "\n== A forced re-initialization runs at once\n";
  InitOptions force;
  force.forceReinit = true;
  check(net.initialize(myInit, force).takeError());

  out << "\n== Declaring inUnits up front initializes at once\n";
  nn::Sequential declared;
  declared.add(nn::Dense(256, {.activation = "relu", .inUnits = 20}));
  declared.add(nn::Dense(10, {.inUnits = 256}));
  check(declared.initialize(myInit).takeError());
  out << declared.describe() << "\n";
  return 0;
}
