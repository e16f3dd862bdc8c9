"""onnxruntime's side of the DeepConvNet benchmark (benchmarks/cnn.py), run with a Python that has onnx and
onnxruntime (never the tool's own dependencies).

    python onnx_deep_convnet.py build WEIGHTS.npz MODEL.onnx     # the book's DeepConvNet as an ONNX graph
    python onnx_deep_convnet.py run MODEL.onnx IMAGES.gz LABELS.gz  # the whole process: what is timed

``run`` is the least a script does to print the accuracy: gunzip the test set, one session on two threads,
batches of 100 (its fastest batch here), argmax.
"""

import gzip
import sys

import numpy as np

PADS = (1, 1, 1, 2, 1, 1)  # the book's conv_param_1..6


def build(weights_path: str, out: str) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    params = np.load(weights_path)
    nodes, inits, x = [], [], "input"
    for name in [f"{kind}{i}" for i in range(1, 9) for kind in "Wb"]:
        inits.append(numpy_helper.from_array(params[name].astype(np.float32), name))
    inits.append(numpy_helper.from_array(np.array(0.5, np.float32), "half"))
    for i, pad in enumerate(PADS, start=1):
        nodes += [
            helper.make_node("Conv", [x, f"W{i}", f"b{i}"], [f"c{i}"], kernel_shape=[3, 3], pads=[pad] * 4),
            helper.make_node("Relu", [f"c{i}"], [f"r{i}"]),
        ]
        x = f"r{i}"
        if i % 2 == 0:
            nodes.append(helper.make_node("MaxPool", [x], [f"p{i}"], kernel_shape=[2, 2], strides=[2, 2]))
            x = f"p{i}"
    nodes += [  # the book's Dropout at test time multiplies by 0.5, after fc7's ReLU and after fc8
        helper.make_node("Flatten", [x], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "W7", "b7"], ["fc7"]),
        helper.make_node("Relu", ["fc7"], ["r7"]),
        helper.make_node("Mul", ["r7", "half"], ["d7"]),
        helper.make_node("Gemm", ["d7", "W8", "b8"], ["fc8"]),
        helper.make_node("Mul", ["fc8", "half"], ["scores"]),
        helper.make_node("Softmax", ["scores"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "deep_convnet",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 10])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, out)


def run(model: str, images_path: str, labels_path: str) -> None:
    import onnxruntime as ort

    with gzip.open(images_path) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / np.float32(255)
    with gzip.open(labels_path) as f:
        t = np.frombuffer(f.read(), np.uint8, offset=8)
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 2, 1
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    y = np.concatenate([session.run(None, {"input": x[i : i + 100]})[0] for i in range(0, len(x), 100)])
    print("Accuracy:" + str(float(np.mean(y.argmax(axis=1) == t))))


if __name__ == "__main__":
    {"build": build, "run": run}[sys.argv[1]](*sys.argv[2:])
