#!/usr/bin/env python3
"""Compare shapeflow's network latency with PyTorch's, in the same run.

Each case is a bundled example graph (examples/*.sfg) with one input
binding. graph-dump gives the graph with every shape inferred; this script
turns it into a PyTorch module (random parameters of the inferred shapes,
one torch op per node) and times three systems on the same shapes:

  shapeflow    graph-run --bench R --threads T (its own median of R runs)
  eager        the module under torch.inference_mode()
  torchscript  torch.jit.trace + torch.jit.freeze (optionally also
               torch.jit.optimize_for_inference)

Rounds of the three are interleaved, so a noisy shared machine slows all
of them alike. The table reports eager/shapeflow and torchscript/shapeflow:
a ratio above 1 means shapeflow is faster.

Usage (from the repository root):

  python3 bench/torch_compare.py                  # every case, threads 1,2
  python3 bench/torch_compare.py --quick          # a short subset
  python3 bench/torch_compare.py --filter resnet  # cases matching a regex
  python3 bench/torch_compare.py --check          # check shapes, numbers

Without PyTorch the script re-executes itself under /usr/bin/python3 when
that interpreter has it (Debian's python3-torch), installs it with apt-get
when given --install as root, and otherwise says it skipped and exits 0.
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYSTEM_PYTHON = "/usr/bin/python3"
REEXEC_ENV = "SHAPEFLOW_TORCH_COMPARE_REEXEC"
APT_PACKAGES = ["python3-torch", "libopenblas0-pthread"]

# The MLP leaves its input width open (%x: f32[?, ?]); the benchmarks bind
# it to 784 features (MNIST), making it the MLP 784-256-10 that
# bench/NetworkBench.cpp also runs.
MLP_WIDTH = 784


class Case:
    """One network at one input binding."""

    def __init__(self, name, graph, bindings, quick=False):
        self.name = name
        self.file = os.path.join("examples", graph + ".sfg")
        self.bindings = bindings  # ["%x=f32[1,20]", ...]
        self.quick = quick


CASES = [
    Case("mlp/b1", "mlp", ["%%x=f32[1,%d]" % MLP_WIDTH]),
    Case("mlp/b64", "mlp", ["%%x=f32[64,%d]" % MLP_WIDTH], quick=True),
    Case("lenet/b1", "lenet", ["%x=f32[1,1,28,28]"], quick=True),
    Case("lenet/b64", "lenet", ["%x=f32[64,1,28,28]"]),
    Case("resnet18/b1", "resnet18", ["%x=f32[1,3,224,224]"], quick=True),
    Case("resnet18/b16", "resnet18", ["%x=f32[16,3,224,224]"]),
    Case("mobilenet_v1/b1", "mobilenet_v1", ["%x=f32[1,3,224,224]"]),
    Case("transformer_encoder/s128", "transformer_encoder",
         ["%ids=i64[1,128]"], quick=True),
]


def fail(message):
    """Reports an error the user must fix and exits with code 1."""
    sys.stderr.write("torch_compare: error: %s\n" % message)
    sys.exit(1)


def say(message):
    """Progress goes to stderr so stdout carries only the table."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


# ---------------------------------------------------------------------------
# Finding PyTorch
# ---------------------------------------------------------------------------

def try_import_torch():
    """Returns (torch, None) or (None, why it failed)."""
    try:
        import torch
        return torch, None
    except Exception as error:  # also OSError for a missing shared library
        return None, "%s: %s" % (type(error).__name__, error)


def system_python_has_torch():
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import torch"],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    return probe.returncode == 0


def reexec_under_system_python():
    """Replaces this process by the same command under /usr/bin/python3."""
    say("torch_compare: re-running under %s, which has PyTorch"
        % SYSTEM_PYTHON)
    env = dict(os.environ, **{REEXEC_ENV: "1"})
    argv = [SYSTEM_PYTHON, os.path.abspath(__file__)] + sys.argv[1:]
    sys.stdout.flush()
    os.execve(SYSTEM_PYTHON, argv, env)


def install_torch():
    """apt-get installs PyTorch; returns False when it is not allowed."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return False
    say("torch_compare: installing %s with apt-get" % " ".join(APT_PACKAGES))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update"],
                    ["apt-get", "install", "-y"] + APT_PACKAGES):
        if subprocess.run(command, env=env).returncode != 0:
            fail("'%s' failed" % " ".join(command))
    return True


def require_torch(args):
    """Imports torch, re-executing or installing as allowed; else exits 0."""
    torch, why = try_import_torch()
    if torch is not None:
        return torch

    # A pyenv or venv python3 cannot see Debian's dist-packages.
    running_system = os.path.realpath(sys.executable) == \
        os.path.realpath(SYSTEM_PYTHON)
    if not os.environ.get(REEXEC_ENV):
        if not running_system and system_python_has_torch():
            reexec_under_system_python()
        if args.install and install_torch():
            reexec_under_system_python()

    hint = "run as root with --install to apt-get install %s" \
        % " ".join(APT_PACKAGES)
    if args.install:
        hint = "--install needs root and apt-get"
    elsewhere = "" if running_system else "; %s has none either" \
        % SYSTEM_PYTHON
    if not running_system and system_python_has_torch():
        elsewhere = "; %s has it: run the script with that" % SYSTEM_PYTHON
    print("torch_compare: skipped: PyTorch is not installed (import torch "
          "under %s failed with %s%s; %s)"
          % (sys.executable, why, elsewhere, hint))
    sys.exit(0)


# ---------------------------------------------------------------------------
# Reading graph-dump's output
# ---------------------------------------------------------------------------
#
# The JSON format carries names, dtypes and shapes but no ops, operands or
# attributes, so the structure comes from graph-dump's text output: the
# canonical .sfg form, one statement per line in dependency order, with
# every type written. The two are cross-checked by name.

TOKEN = re.compile(r"""\s*(?:
    (?P<value>%[A-Za-z0-9_.]+)
  | (?P<number>-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>//|[-()\[\]{},=:?*+%])
)""", re.VERBOSE)


class Name(str):
    """A bare identifier as an attribute value (`zeros`)."""


class Call:
    """An attribute value such as `constant(value=0.125)`."""

    def __init__(self, name, args):
        self.name = name
        self.args = args

    def __repr__(self):
        return "%s(%s)" % (self.name, self.args)


class Node:
    """One statement: `%name = op(%operands..., attrs...)`."""

    def __init__(self, name, op, operands, attrs):
        self.name = name
        self.op = op
        self.operands = operands
        self.attrs = attrs
        self.shape = None  # from the JSON
        self.dtype = None


def tokenize(line):
    tokens, pos = [], 0
    while pos < len(line):
        if line[pos:].strip() == "":
            break
        match = TOKEN.match(line, pos)
        if not match:
            raise ValueError("cannot read %r at column %d" % (line, pos + 1))
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        pos = match.end()
    return tokens


class StatementParser:
    """Reads the tokens of one statement; the type after `:` is skipped."""

    def __init__(self, line):
        self.line = line
        self.tokens = tokenize(line)
        self.pos = 0

    def peek(self):
        if self.pos < len(self.tokens):
            return self.tokens[self.pos]
        return (None, None)

    def take(self, kind=None, text=None):
        token = self.peek()
        if (kind and token[0] != kind) or (text and token[1] != text):
            raise ValueError("expected %s in %r" % (text or kind, self.line))
        self.pos += 1
        return token[1]

    def parse(self):
        name = self.take("value")[1:]
        self.take("punct", "=")
        op = self.take("ident")
        operands, attrs = [], {}
        if self.peek() == ("punct", "("):
            self.take()
            while self.peek() != ("punct", ")"):
                if self.peek()[0] == "value":
                    operands.append(self.take()[1:])
                else:
                    key = self.take("ident")
                    self.take("punct", "=")
                    attrs[key] = self.attr_value()
                if self.peek() == ("punct", ","):
                    self.take()
            self.take("punct", ")")
        return Node(name, op, operands, attrs)

    def attr_value(self):
        kind, text = self.peek()
        self.take()
        if kind == "number":
            return float(text) if re.search(r"[.eE]", text) else int(text)
        if kind == "string":
            return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(
                m.group(1), m.group(1)), text[1:-1])
        if kind == "punct" and text == "[":
            return self.sequence("]", self.attr_value)
        if kind != "ident":
            raise ValueError("bad attribute value in %r" % self.line)
        if text in ("true", "false"):
            return text == "true"
        if self.peek() != ("punct", "("):
            return Name(text)
        self.take()
        args = dict(self.sequence(")", self.call_arg))
        return Call(text, args)

    def call_arg(self):
        key = self.take("ident")
        self.take("punct", "=")
        return (key, self.attr_value())

    def sequence(self, close, item):
        items = []
        while self.peek() != ("punct", close):
            items.append(item())
            if self.peek() == ("punct", ","):
                self.take()
        self.take("punct", close)
        return items


def run_graph_dump(tool, case, extra):
    command = [tool, case.file] + ["--bind=" + b for b in case.bindings]
    done = subprocess.run(command + extra, cwd=REPO, capture_output=True,
                          text=True)
    if done.returncode != 0:
        fail("%s failed on %s:\n%s" % (" ".join(command + extra), case.name,
                                       done.stderr.strip()))
    return done.stdout


def parse_first_graph(text):
    """Returns (nodes, return names) of the first graph of a dump."""
    nodes, returns = [], None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("graph "):
            continue
        if line == "}":
            break
        if line.startswith("return "):
            returns = [v.strip()[1:] for v in line[7:].split(",")]
            continue
        nodes.append(StatementParser(line).parse())
    if returns is None:
        raise ValueError("no return statement in graph-dump's output")
    return nodes, returns


class LoadedGraph:
    """A graph's inputs, nodes and outputs, with the inferred shapes."""

    def __init__(self, json_graph, nodes, returns):
        self.name = json_graph["name"]
        self.inputs = json_graph["inputs"]
        self.nodes = nodes
        self.outputs = returns
        self.shapes = {}
        for kind in ("inputs", "params", "values"):
            for value in json_graph[kind]:
                self.shapes[value["name"]] = value["shape"]
        self.check_against_json(json_graph)

    def check_against_json(self, json_graph):
        params = [n.name for n in self.nodes if n.op == "param"]
        values = [n.name for n in self.nodes if n.op != "param"]
        if sorted(params) != sorted(v["name"] for v in json_graph["params"]) \
                or values != [v["name"] for v in json_graph["values"]]:
            raise ValueError("graph-dump's text and JSON list different "
                             "values for graph '%s'" % self.name)
        for name, shape in self.shapes.items():
            if shape is None or not all(isinstance(d, int) for d in shape):
                raise ValueError("value '%%%s' has shape %s; bind every "
                                 "input dim to a number" % (name, shape))
        by_name = {v["name"]: v for v in json_graph["params"] +
                   json_graph["values"]}
        for node in self.nodes:
            node.shape = by_name[node.name]["shape"]
            node.dtype = by_name[node.name]["dtype"]


def load_graph(tool, case):
    """Runs graph-dump twice (text for structure, JSON for shapes)."""
    text = run_graph_dump(tool, case, [])
    dump = json.loads(run_graph_dump(tool, case, ["--format=json"]))
    try:
        nodes, returns = parse_first_graph(text)
        return LoadedGraph(dump["graphs"][0], nodes, returns)
    except ValueError as error:
        fail("%s: %s" % (case.name, error))


# ---------------------------------------------------------------------------
# The graph as a PyTorch module
# ---------------------------------------------------------------------------

def pair(value):
    return tuple(value) if isinstance(value, list) else (value, value)


def build_ops(torch):
    """Maps each op name to fn(operands, attrs, node, graph) -> tensor.

    Attribute defaults are those of docs/text-format.md. Where shapeflow
    and PyTorch differ in meaning, the function says how it bridges it.
    """
    F = torch.nn.functional

    def unary(fn):
        return lambda xs, a, n, g: fn(xs[0])

    def binary(fn):
        return lambda xs, a, n, g: fn(xs[0], xs[1])

    def conv2d(xs, a, n, g):
        bias = xs[2] if len(xs) > 2 else None
        return F.conv2d(xs[0], xs[1], bias, pair(a.get("stride", 1)),
                        pair(a.get("padding", 0)), pair(a.get("dilation", 1)),
                        a.get("groups", 1))

    def max_pool2d(xs, a, n, g):
        kernel = pair(a["kernel"])
        return F.max_pool2d(xs[0], kernel, pair(a.get("stride", kernel)),
                            pair(a.get("padding", 0)),
                            ceil_mode=a.get("ceil_mode", False))

    def avg_pool2d(xs, a, n, g):
        kernel = pair(a["kernel"])
        return F.avg_pool2d(xs[0], kernel, pair(a.get("stride", kernel)),
                            pair(a.get("padding", 0)),
                            ceil_mode=a.get("ceil_mode", False),
                            count_include_pad=a.get("count_include_pad",
                                                    True))

    def dense(xs, a, n, g):
        # flatten=true (the default) is MXNet's Dense: [N, d1..dk] ->
        # [N, d1*..*dk] first. F.linear alone would act on the last dim
        # only, which is what flatten=false means.
        x = xs[0]
        if a.get("flatten", True):
            x = torch.flatten(x, 1) if x.dim() > 2 else x
        return F.linear(x, xs[1], xs[2] if len(xs) > 2 else None)

    def batch_norm(xs, a, n, g):
        # F.batch_norm normalizes dim 1; another axis is moved there.
        x, axis = xs[0], a.get("axis", 1) % xs[0].dim()
        x = x.movedim(axis, 1) if axis != 1 else x
        y = F.batch_norm(x, xs[3], xs[4], xs[1], xs[2], training=False,
                         eps=a.get("eps", 1e-5))
        return y.movedim(1, axis) if axis != 1 else y

    def layer_norm(xs, a, n, g):
        # F.layer_norm normalizes the trailing dims; one axis is moved last.
        x, last = xs[0], xs[0].dim() - 1
        axis = a.get("axis", -1) % xs[0].dim()
        x = x.movedim(axis, last) if axis != last else x
        y = F.layer_norm(x, (x.shape[-1],), xs[1], xs[2],
                         eps=a.get("eps", 1e-5))
        return y.movedim(last, axis) if axis != last else y

    def flatten(xs, a, n, g):
        x = xs[0]
        return x.reshape(x.shape[0], 1) if x.dim() == 1 else \
            torch.flatten(x, 1)

    def reshape(xs, a, n, g):
        # 0 copies the input's dim at that position (MXNet); to torch, 0
        # is a size. The input's shape is fixed per binding, so the copy
        # is resolved when the module is built, as in shapeflow's plan.
        in_shape = g.shapes[n.operands[0]]
        target = [in_shape[i] if d == 0 else d
                  for i, d in enumerate(a["shape"])]
        return xs[0].reshape(target)

    def transpose(xs, a, n, g):
        perm = a.get("perm") or list(reversed(range(xs[0].dim())))
        return xs[0].permute(perm)

    def softmax(fn):
        return lambda xs, a, n, g: fn(xs[0], dim=a.get("axis", -1))

    def embedding(xs, a, n, g):
        return F.embedding(xs[0], xs[1])

    def concat(xs, a, n, g):
        return torch.cat(list(xs), dim=a.get("axis", 1))

    identity = unary(lambda x: x)
    return {
        "relu": unary(F.relu), "sigmoid": unary(torch.sigmoid),
        "tanh": unary(torch.tanh), "gelu": unary(F.gelu),
        "identity": identity, "dropout": identity,  # inference
        "softmax": softmax(F.softmax), "log_softmax": softmax(F.log_softmax),
        "add": binary(torch.add), "sub": binary(torch.sub),
        "mul": binary(torch.mul), "div": binary(torch.div),
        "matmul": binary(torch.matmul), "dense": dense, "conv2d": conv2d,
        "max_pool2d": max_pool2d, "avg_pool2d": avg_pool2d,
        "global_avg_pool2d": unary(
            lambda x: F.adaptive_avg_pool2d(x, 1)),
        "batch_norm": batch_norm, "layer_norm": layer_norm,
        "embedding": embedding, "flatten": flatten, "reshape": reshape,
        "transpose": transpose, "concat": concat,
    }


def check_torch_limits(node):
    """Rejects attributes PyTorch would read differently from shapeflow."""
    if node.op in ("max_pool2d", "avg_pool2d"):
        kernel, padding = pair(node.attrs["kernel"]), \
            pair(node.attrs.get("padding", 0))
        if any(p > k // 2 for p, k in zip(padding, kernel)):
            return "padding %s is more than half the kernel %s, which " \
                "PyTorch does not allow" % (padding, kernel)
    return None


def initial_value(torch, node, generator):
    """A parameter tensor: the init= attribute when it is a constant,
    otherwise random. Weights get He scaling, sqrt(2 / fan_in), so that
    activations keep their size through deep networks instead of decaying
    into denormals, which would slow some kernels and void the check."""
    shape, init = node.shape, node.attrs.get("init")
    if node.dtype == "i64":
        return torch.randint(0, 2, shape, generator=generator)
    name = init.name if isinstance(init, Call) else init
    if name == "zeros":
        return torch.zeros(shape)
    if name == "ones":
        return torch.ones(shape)
    if name == "constant":
        return torch.full(shape, float(init.args.get("value", 0.0)))
    values = torch.randn(shape, generator=generator)
    if len(shape) < 2:
        return values * 0.05
    fan_in = 1
    for dim in shape[1:]:  # [out, in, kh, kw] or [out, in]
        fan_in *= dim
    return values * (2.0 / max(fan_in, 1)) ** 0.5


def make_module_class(torch):
    class GraphModule(torch.nn.Module):
        """Runs a LoadedGraph's nodes in order; parameters are frozen."""

        def __init__(self, graph, ops, seed=0):
            super().__init__()
            self.graph = graph
            self.ops = ops
            self.attr_of = {}
            generator = torch.Generator().manual_seed(seed)
            for node in graph.nodes:
                if node.op == "param":
                    self.add_param(node, generator)
                elif node.op not in ops:
                    raise KeyError(node.op)
            self.make_variances_positive()

        def add_param(self, node, generator):
            attr = "p_" + re.sub(r"[^A-Za-z0-9_]", "_", node.name)
            attr += "_%d" % len(self.attr_of)  # names stay unique
            value = initial_value(torch, node, generator)
            self.register_parameter(
                attr, torch.nn.Parameter(value, requires_grad=False))
            self.attr_of[node.name] = attr

        def make_variances_positive(self):
            # batch_norm divides by sqrt(running_var + eps).
            for node in self.graph.nodes:
                if node.op != "batch_norm" or len(node.operands) < 5:
                    continue
                var = self.attr_of.get(node.operands[4])
                if var is not None and (getattr(self, var) <= 0).any():
                    getattr(self, var).data.uniform_(0.5, 1.5)

        def evaluate(self, inputs):
            """Returns every value by name, inputs and params included."""
            env = {spec["name"]: x
                   for spec, x in zip(self.graph.inputs, inputs)}
            for name, attr in self.attr_of.items():
                env[name] = getattr(self, attr)
            for node in self.graph.nodes:
                if node.op == "param":
                    continue
                operands = [env[o] for o in node.operands]
                env[node.name] = self.ops[node.op](operands, node.attrs,
                                                   node, self.graph)
            return env

        def forward(self, *inputs):
            env = self.evaluate(inputs)
            outputs = tuple(env[o] for o in self.graph.outputs)
            return outputs[0] if len(outputs) == 1 else outputs

    return GraphModule


def id_bound(graph, input_name):
    """Random ids stay below the smallest embedding table they index."""
    bounds = [n.attrs["input_dim"] for n in graph.nodes
              if n.op == "embedding" and n.operands[:1] == [input_name]]
    return min(bounds) if bounds else 2


def make_inputs(torch, graph, seed=1):
    generator = torch.Generator().manual_seed(seed)
    inputs = []
    for spec in graph.inputs:
        if spec["dtype"] == "i64":
            inputs.append(torch.randint(0, id_bound(graph, spec["name"]),
                                        spec["shape"], generator=generator))
        else:
            inputs.append(torch.randn(spec["shape"], generator=generator))
    return inputs


def build_module(torch, graph, case):
    """The module for a graph, failing loudly on ops without a mapping."""
    ops = build_ops(torch)
    unknown = sorted({n.op for n in graph.nodes
                      if n.op != "param" and n.op not in ops})
    if unknown:
        fail("%s (%s): no PyTorch mapping for op%s %s; add %s to build_ops"
             % (case.name, case.file, "s" if len(unknown) > 1 else "",
                ", ".join(unknown), "them" if len(unknown) > 1 else "it"))
    for node in graph.nodes:
        problem = node.op in ops and check_torch_limits(node)
        if problem:
            fail("%s: %s '%%%s': %s" % (case.name, node.op, node.name,
                                        problem))
    return make_module_class(torch)(graph, ops).eval()


def check_shapes(torch, module, graph, inputs, case):
    """Every node's torch result must have the shape graph-dump inferred."""
    with torch.inference_mode():
        env = module.evaluate(inputs)
    wrong = ["%%%s (%s): torch %s, inferred %s"
             % (n.name, n.op, list(env[n.name].shape), n.shape)
             for n in graph.nodes if list(env[n.name].shape) != n.shape]
    if wrong:
        fail("%s: shapes differ from graph-dump's:\n  %s"
             % (case.name, "\n  ".join(wrong)))
    return sum(1 for n in graph.nodes if n.op != "param")


def check_outputs(torch, scripted, graph, inputs, case):
    with torch.inference_mode():
        outputs = scripted(*inputs)
    if not isinstance(outputs, tuple):
        outputs = (outputs,)
    got = [list(o.shape) for o in outputs]
    want = [graph.shapes[o] for o in graph.outputs]
    if got != want:
        fail("%s: TorchScript outputs have shapes %s, inferred %s"
             % (case.name, got, want))


def write_safetensors(path, tensors):
    """Writes {name: tensor} in the safetensors layout graph-run reads."""
    header, chunks, offset = {}, [], 0
    for name, tensor in tensors.items():
        data = tensor.detach().contiguous().numpy().tobytes()
        dtype = "F32" if tensor.dtype.is_floating_point else "I64"
        header[name] = {"dtype": dtype, "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as out:
        out.write(len(text).to_bytes(8, "little") + text + b"".join(chunks))


def read_safetensors(torch, path):
    with open(path, "rb") as source:
        blob = source.read()
    size = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + size])
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = torch.int64 if info["dtype"] == "I64" else torch.float32
        data = bytearray(blob[8 + size + begin:8 + size + end])
        tensors[name] = torch.frombuffer(data, dtype=dtype).reshape(
            info["shape"])
    return tensors


def save_case_tensors(directory, module, graph, inputs):
    """Writes the module's parameters and the inputs for graph-run, so
    both sides compute with the same numbers; returns its options."""
    params = {name: getattr(module, attr)
              for name, attr in module.attr_of.items()}
    named_inputs = {s["name"]: x for s, x in zip(graph.inputs, inputs)}
    params_path = os.path.join(directory, "params.safetensors")
    inputs_path = os.path.join(directory, "inputs.safetensors")
    write_safetensors(params_path, params)
    write_safetensors(inputs_path, named_inputs)
    return ["--params=" + params_path, "--inputs=" + inputs_path]


def check_numbers(torch, args, case, module, graph, inputs, tensor_options):
    """Runs graph-run on the module's parameters and inputs; returns the
    largest output difference relative to the output's largest value."""
    outputs_path = tensor_options[0].split("=", 1)[1] + ".out"
    command = [args.graph_run, case.file, "--outputs=" + outputs_path]
    command += tensor_options + ["--bind=" + b for b in case.bindings]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        fail("%s failed:\n%s" % (" ".join(command), done.stderr))
    theirs = read_safetensors(torch, outputs_path)

    with torch.inference_mode():
        env = module.evaluate(inputs)
    worst = 0.0
    for name in graph.outputs:
        ours = env[name].float()
        scale = ours.abs().max().item()
        if scale < 1e-3:
            fail("%s: output '%%%s' is nearly zero (%g), so comparing it "
                 "says nothing" % (case.name, name, scale))
        worst = max(worst, (ours - theirs[name]).abs().max().item() / scale)
    return worst


def script_module(torch, module, inputs, optimize):
    """trace + freeze (+ optimize_for_inference); returns (module, how)."""
    with torch.no_grad():
        traced = torch.jit.trace(module, tuple(inputs), check_trace=False)
    frozen = torch.jit.freeze(traced.eval())
    if optimize and hasattr(torch.jit, "optimize_for_inference"):
        return torch.jit.optimize_for_inference(frozen), \
            "trace+freeze+optimize_for_inference"
    return frozen, "trace+freeze"


# ---------------------------------------------------------------------------
# Threads
# ---------------------------------------------------------------------------

def loaded_blas_libraries():
    """Shared BLAS/LAPACK libraries mapped into this process."""
    found = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if re.search(r"blas|lapack|mkl", os.path.basename(path)) \
                    and path not in found:
                found.append(path)
    return found


def openblas_setter():
    """openblas_set_num_threads of the loaded OpenBLAS, or None.

    Debian's torch is built with BLAS_INFO=generic, so torch.set_num_threads
    does not reach OpenBLAS's own thread pool, which F.linear and matmul
    use; without this, "1 thread" would still run BLAS on every core.
    """
    import ctypes
    for path in loaded_blas_libraries():
        if "openblas" not in os.path.basename(path):
            continue
        try:
            return ctypes.CDLL(path).openblas_set_num_threads
        except (OSError, AttributeError):
            continue
    return None


def set_threads(torch, threads, blas_setter):
    torch.set_num_threads(threads)
    if blas_setter is not None:
        blas_setter(threads)


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------

def time_torch(torch, fn, inputs, runs):
    """Milliseconds of each of `runs` calls."""
    samples = []
    with torch.inference_mode():
        for _ in range(runs):
            start = time.perf_counter()
            fn(*inputs)
            samples.append((time.perf_counter() - start) * 1e3)
    return samples


RUN_LINE = re.compile(r"runs (\d+)\s+median ([0-9.]+) ms\s+min ([0-9.]+) ms"
                      r"\s+threads (\d+)")


def time_shapeflow(args, case, runs, threads, tensor_options):
    """graph-run's median and minimum of `runs` runs, in ms, on the
    parameters and inputs the torch module uses."""
    command = [args.graph_run, case.file, "--bench=%d" % runs,
               "--threads=%d" % threads] + tensor_options
    command += ["--bind=" + b for b in case.bindings]

    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    match = RUN_LINE.search(done.stdout)
    if done.returncode != 0 or not match:
        fail("%s failed on %s (exit %d):\n%s%s"
             % (" ".join(command), case.name, done.returncode, done.stdout,
                done.stderr))
    return float(match.group(2)), float(match.group(3))


def runs_for(estimate_ms, budget_s, quick):
    """Runs per system per round so a round takes about budget_s."""
    runs = int(budget_s * 1e3 / max(estimate_ms, 1e-3))
    return max(2 if quick else 3, min(runs, 50 if quick else 200))


def measure(torch, args, case, systems, threads, blas_setter):
    """Interleaved rounds of every system at one thread count."""
    set_threads(torch, threads, blas_setter)
    eager, scripted, inputs, tensor_options = systems

    # Warm-up: the profiling executor specializes TorchScript on its
    # first calls; the eager minimum sets how many runs fit the budget.
    time_torch(torch, scripted, inputs, 3)
    estimate = min(time_torch(torch, eager, inputs, 3))
    runs = runs_for(estimate, args.budget, args.quick)

    samples = {"eager": [], "torchscript": []}
    rounds = []
    order = ["eager", "torchscript", "shapeflow"]
    for round_index in range(args.rounds):
        # Rotate the order so no system always runs first after a pause.
        shift = round_index % len(order)
        for system in order[shift:] + order[:shift]:
            # Let the previous system's spinning worker threads go idle.
            time.sleep(0.05)
            if system == "shapeflow":
                rounds.append(time_shapeflow(args, case, runs, threads,
                                             tensor_options))
                continue
            fn = eager if system == "eager" else scripted
            samples[system] += time_torch(torch, fn, inputs, runs)
    result = summarize(case, threads, runs, args.rounds, samples, rounds)
    result["load_average"] = os.getloadavg()
    return result


def summarize(case, threads, runs, rounds, samples, shapeflow_rounds):
    # graph-run reports one median per round, not its samples; its figure
    # is the median of those round medians.
    sf = statistics.median(m for m, _ in shapeflow_rounds)
    result = {
        "case": case.name, "file": case.file, "bindings": case.bindings,
        "threads": threads, "runs_per_round": runs, "rounds": rounds,
        "shapeflow": {"median_ms": sf,
                      "round_medians_ms": [m for m, _ in shapeflow_rounds],
                      "min_ms": min(m for _, m in shapeflow_rounds)},
    }
    for system, values in samples.items():
        result[system] = {"median_ms": statistics.median(values),
                          "min_ms": min(values), "samples_ms": values}
        result[system + "_over_shapeflow"] = \
            statistics.median(values) / sf if sf > 0 else None
    return result


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

COLUMNS = [("case", "%-26s", "case"), ("thr", "%3s", "threads"),
           ("shapeflow ms", "%12s", None), ("eager ms", "%10s", None),
           ("torchscript ms", "%14s", None), ("eager/sf", "%8s", None),
           ("ts/sf", "%6s", None)]


def table_row(result):
    def ms(value):
        return "%.3f" % value if value < 10 else "%.2f" % value

    def ratio(value):
        return "-" if value is None else "%.2f" % value

    cells = [result["case"], str(result["threads"]),
             ms(result["shapeflow"]["median_ms"]),
             ms(result["eager"]["median_ms"]),
             ms(result["torchscript"]["median_ms"]),
             ratio(result["eager_over_shapeflow"]),
             ratio(result["torchscript_over_shapeflow"])]
    return "  ".join(fmt % c for (_, fmt, _), c in zip(COLUMNS, cells))


def print_header(torch, args, ts_mode):
    print("shapeflow vs PyTorch %s (%s), TorchScript: %s; median ms; "
          "ratio > 1: shapeflow faster"
          % (torch.__version__, "quick" if args.quick else "full", ts_mode))
    print("  ".join(fmt % title for title, fmt, _ in COLUMNS))
    sys.stdout.flush()


def environment(torch, args, ts_mode, blas_setter):
    return {
        "torch_version": torch.__version__,
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "torch_parallel_info": torch.__config__.parallel_info(),
        "torch_config": torch.__config__.show(),
        "blas_libraries": loaded_blas_libraries(),
        "openblas_threads_set": blas_setter is not None,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "torchscript_mode": ts_mode,
        "graph_dump": args.graph_dump, "graph_run": args.graph_run,
        "machine": platform.machine(), "cpus": os.cpu_count(),
        "load_average_start": os.getloadavg(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "quick": args.quick, "rounds": args.rounds,
        "budget_s_per_round": args.budget,
    }


def write_json(path, report):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as out:
        json.dump(report, out, indent=2)
        out.write("\n")
    say("torch_compare: wrote %s" % path)


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

def parse_args():
    parser = argparse.ArgumentParser(
        description="Time shapeflow's graph-run against PyTorch eager and "
        "TorchScript on the example networks, in the same run.")
    parser.add_argument("--graph-dump", default=os.path.join(
        REPO, "build-bench/tools/graph-dump/graph-dump"))
    parser.add_argument("--graph-run", default=os.path.join(
        REPO, "build-bench/tools/graph-run/graph-run"))
    parser.add_argument("--json", default=os.path.join(
        REPO, "build-bench/torch_compare.json"),
        help="where to write the results (default: %(default)s)")
    parser.add_argument("--threads", default="1,2",
                        help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--filter", help="regex on case names")
    parser.add_argument("--quick", action="store_true",
                        help="four cases, two short rounds")
    parser.add_argument("--check", action="store_true",
                        help="only check that the torch modules produce "
                        "the inferred shapes; time nothing")
    parser.add_argument("--rounds", type=int, help="interleaved rounds "
                        "(default 3, 2 with --quick)")
    parser.add_argument("--budget", type=float, help="seconds per system "
                        "per round (default 0.5, 0.15 with --quick)")
    parser.add_argument("--optimize-for-inference", action="store_true",
                        help="also apply torch.jit.optimize_for_inference")
    parser.add_argument("--install", action="store_true",
                        help="as root, apt-get install PyTorch if missing")
    parser.add_argument("--list", action="store_true",
                        help="list the cases and exit")
    args = parser.parse_args()

    # Tools run with the repository as their working directory.
    args.graph_dump = os.path.abspath(args.graph_dump)
    args.graph_run = os.path.abspath(args.graph_run)
    args.rounds = args.rounds or (2 if args.quick else 3)
    args.budget = args.budget or (0.15 if args.quick else 0.5)
    try:
        args.thread_counts = [int(t) for t in args.threads.split(",")]
    except ValueError:
        parser.error("--threads wants numbers such as 1,2")
    return args


def selected_cases(args):
    cases = [c for c in CASES if c.quick or not args.quick]
    if args.filter:
        try:
            pattern = re.compile(args.filter)
        except re.error as error:
            fail("bad --filter regex: %s" % error)
        cases = [c for c in cases if pattern.search(c.name)]
    if not cases:
        fail("no case matches --filter %r" % args.filter)
    return cases


def check_tools(args):
    tools = [args.graph_dump] + ([] if args.check else [args.graph_run])
    for tool in tools:
        if not os.access(tool, os.X_OK):
            fail("%s is not an executable; build it (see bench/README.md) "
                 "or pass --graph-dump/--graph-run" % tool)


NUMBER_TOLERANCE = 1e-3


def report_numbers(torch, args, case, module, graph, inputs,
                   tensor_options, quiet=False):
    """Fails when graph-run and the torch module disagree on the outputs;
    says how closely they agree unless `quiet`."""
    error = check_numbers(torch, args, case, module, graph, inputs,
                          tensor_options)
    if not quiet:
        print("%-26s ok: outputs agree with graph-run to %.1e of their range"
              % ("", error))
    if error > NUMBER_TOLERANCE:
        fail("%s: graph-run and PyTorch outputs differ by %.3g relative "
             "(tolerance %g)" % (case.name, error, NUMBER_TOLERANCE))


def run_case(torch, args, case, ts_mode_box, blas_setter):
    """Checks one case and, unless --check, times it at each thread count."""
    graph = load_graph(args.graph_dump, case)
    module = build_module(torch, graph, case)
    inputs = make_inputs(torch, graph)
    count = check_shapes(torch, module, graph, inputs, case)

    set_threads(torch, args.thread_counts[0], blas_setter)
    scripted, ts_mode_box[0] = script_module(torch, module, inputs,
                                             args.optimize_for_inference)
    check_outputs(torch, scripted, graph, inputs, case)
    if args.check:
        print("%-26s ok: %d nodes, shapes match graph-dump (eager and %s)"
              % (case.name, count, ts_mode_box[0]))
    if args.check and not os.access(args.graph_run, os.X_OK):
        return []

    with tempfile.TemporaryDirectory(prefix="torch_compare.") as tmp:
        tensor_options = save_case_tensors(tmp, module, graph, inputs)
        # Timing a wrong answer would be meaningless: the outputs are
        # compared first in every mode.
        report_numbers(torch, args, case, module, graph, inputs,
                       tensor_options, quiet=not args.check)
        if args.check:
            return []
        return [measure_and_print(torch, args, case, blas_setter,
                                  (module, scripted, inputs, tensor_options),
                                  threads)
                for threads in args.thread_counts]


def measure_and_print(torch, args, case, blas_setter, systems, threads):
    result = measure(torch, args, case, systems, threads, blas_setter)
    print(table_row(result))
    sys.stdout.flush()
    return result


def main():
    args = parse_args()
    if args.list:
        for case in selected_cases(args):
            print("%-26s %s %s" % (case.name, case.file,
                                   " ".join(case.bindings)))
        return
    torch = require_torch(args)
    check_tools(args)
    cases = selected_cases(args)

    blas_setter = openblas_setter()
    ts_mode = "trace+freeze" + ("+optimize_for_inference"
                                if args.optimize_for_inference else "")
    if not args.check:
        print_header(torch, args, ts_mode)
    report = {"environment": environment(torch, args, ts_mode, blas_setter),
              "results": []}
    box = [ts_mode]
    for case in cases:
        report["results"] += run_case(torch, args, case, box, blas_setter)
    if args.check:
        return
    report["environment"]["torchscript_mode"] = box[0]
    report["environment"]["load_average_end"] = os.getloadavg()
    write_json(args.json, report)


if __name__ == "__main__":
    main()
