//===- Initializer.h - Gluon's parameter initializers -----------*- C++ -*-===//
//
// Initializers fill a parameter's data once its shape is complete. The set,
// defaults and formulas follow Gluon (mxnet.initializer): zeros, ones,
// constant, uniform(scale=0.07), normal(sigma=0.01), xavier(rnd_type=uniform,
// factor_type=avg, magnitude=3), msra_prelu(factor_type=avg, slope=0.25) and
// orthogonal(scale=1.414, rand_type=uniform). A user's own initializer is a
// subclass, or a callable wrapped by CallbackInit.
//
// Randomness comes from RandomStream keyed by the seed and the parameter's
// name, so the same seed gives the same parameters in any order and on any
// machine.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_RUNTIME_INITIALIZER_H
#define SHAPEFLOW_RUNTIME_INITIALIZER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace shapeflow {

/// What a parameter is for, which decides its default initializer when it
/// has none of its own: biases and betas start at zero, gammas at one,
/// running means at zero, running variances at one, and weights get the
/// initializer passed to initialize().
enum class ParamRole : uint8_t {
  Weight,
  Bias,
  Gamma,
  Beta,
  RunningMean,
  RunningVar,
};

llvm::StringRef roleName(ParamRole role);
/// Parses a role's name ("bias", "running_var", ...).
std::optional<ParamRole> parseRole(llvm::StringRef word);
/// The role a name implies by its last component (`conv1.bias` is a Bias,
/// `bn.running_var` a RunningVar); anything else is a Weight.
ParamRole roleFromName(llvm::StringRef name);

/// Everything an initializer is told about the parameter it fills.
struct InitRequest {
  llvm::StringRef name;
  ParamRole role;
  llvm::ArrayRef<int64_t> shape;
  uint64_t seed;
};

class Initializer {
public:
  virtual ~Initializer();
  /// Fills `data` (row-major, `shape`'s element count). Errors name the
  /// parameter (a rank-1 weight given xavier, say).
  virtual llvm::Error fill(const InitRequest &request,
                           llvm::MutableArrayRef<float> data) const = 0;
  /// How the initializer is written in the text format:
  /// `xavier(magnitude=2.24)`.
  virtual std::string describe() const = 0;
};

using InitPtr = std::shared_ptr<const Initializer>;

namespace init {

InitPtr zeros();
InitPtr ones();
InitPtr constant(float value);
/// U(-scale, scale).
InitPtr uniform(float scale = 0.07f);
/// N(0, sigma^2).
InitPtr normal(float sigma = 0.01f);

enum class RandType { Uniform, Gaussian };
enum class FactorType { Avg, In, Out };

/// scale = sqrt(magnitude / factor), factor the fan-in, fan-out or their
/// mean; fans are shape[1]*k and shape[0]*k with k the product of dims past
/// the second. Uniform draws U(-scale, scale); gaussian N(0, scale^2).
InitPtr xavier(RandType rand = RandType::Uniform,
               FactorType factor = FactorType::Avg, float magnitude = 3);
/// Xavier, gaussian, with magnitude 2 / (1 + slope^2).
InitPtr msraPrelu(FactorType factor = FactorType::Avg, float slope = 0.25f);
/// A random matrix [shape[0], product of the rest] made orthogonal by SVD,
/// times `scale`.
InitPtr orthogonal(float scale = 1.414f, RandType rand = RandType::Uniform);

/// A user's callable; it receives the name, role and shape.
using InitCallback = std::function<llvm::Error(
    const InitRequest &request, llvm::MutableArrayRef<float> data)>;
InitPtr callback(InitCallback fn, std::string description = "callback");

/// Parses an initializer as written in a graph: `zeros`, `constant(value=2)`,
/// `xavier(magnitude=2.24, factor_type=in)`. Unknown names and arguments
/// are errors that list what is accepted.
llvm::Expected<InitPtr> parse(llvm::StringRef spec);

} // namespace init

/// The fan-in and fan-out Gluon computes for a weight of rank 2 or more.
struct Fans {
  double in, out;
};
llvm::Expected<Fans> computeFans(llvm::StringRef name,
                                 llvm::ArrayRef<int64_t> shape);

} // namespace shapeflow

#endif // SHAPEFLOW_RUNTIME_INITIALIZER_H
