# lit configuration for shapeflow's tool tests. Each test is a .sfg graph
# or a .test script whose RUN lines drive a tool and pipe into FileCheck.
import os

import lit.formats

config.name = "shapeflow"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".sfg", ".test"]
config.excludes = ["Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = config.shapeflow_obj_root

# Our tools first, then FileCheck and not from LLVM.
tool_dirs = [
    os.path.join(config.shapeflow_tools_dir, name)
    for name in sorted(os.listdir(config.shapeflow_tools_dir))
    if os.path.isdir(os.path.join(config.shapeflow_tools_dir, name))
]
path = os.pathsep.join(tool_dirs + [config.shapeflow_examples_bin,
                                    config.llvm_tools_dir,
                                    config.environment.get("PATH", "")])
config.environment["PATH"] = path
config.environment["PATH"] += os.pathsep + os.environ.get("PATH", "")

config.substitutions.append(("%examples", config.shapeflow_examples_dir))
