# SPDX-License-Identifier: MIT
"""Independent reference for rcls's reward classifier, in plain PyTorch (Debian's python3-torch).

Usage: classifier_reference.py PRETRAINED_DIR INPUTS.safetensors

Builds LeRobot's Classifier module tree (lerobot_formats.md §1.3, §1.4, §2.2) from its own
definitions, reads the checkpoint written by rcls with a hand-written safetensors parser (json +
struct, no safetensors package), checks that the files are what LeRobot writes and reads:

  * model.safetensors holds exactly the names safetensors.torch.save_model keeps for this module
    tree (shared tensors once, under the lexicographically smallest name), every dropped alias is
    in "__metadata__" pointing at the kept name, tensors are ordered by (dtype descending, name),
    offsets tile the data block, the header is padded with spaces to 8 bytes;
  * the state dict loads with load_state_dict(strict=True) once the aliases are expanded;
  * config.json has LeRobot's keys in LeRobot's order;
  * the normaliser state file named by classifier_preprocessor.json holds "<camera>.mean/std";

then runs the forward pass on the uint8 RGB images in INPUTS (one [B, 3, H, W] U8 tensor per
camera key) exactly as LeRobot trains: x / 255, (x - mean) / (std + 1e-8), eval mode. Prints
{"logits": [...], "probabilities": [...]} as JSON. Any mismatch exits with status 1 and a message.
"""
import json
import math
import struct
import sys

import torch
from torch import nn
import torch.nn.functional as F

DTYPES = {"F32": (torch.float32, 4), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2),
          "F64": (torch.float64, 8), "I64": (torch.int64, 8), "I32": (torch.int32, 4),
          "U8": (torch.uint8, 1), "I8": (torch.int8, 1), "BOOL": (torch.bool, 1)}
DTYPE_ORDER = ["BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0",
               "F8_E4M3FNUZ", "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64",
               "F64", "I64", "U64"]


def fail(message):
    print("reference: " + message, file=sys.stderr)
    sys.exit(1)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header_bytes = data[8:8 + n]
    if n % 8 != 0:
        fail(f"{path}: header length {n} is not a multiple of 8")
    text = header_bytes.decode("utf-8")
    if not text.rstrip(" ").endswith("}"):
        fail(f"{path}: the header is not a JSON object padded with spaces")
    header = json.loads(text)
    metadata = header.pop("__metadata__", {})
    entries = list(header.items())  # JSON object order = the writer's order
    expected_order = sorted(entries, key=lambda kv: (-DTYPE_ORDER.index(kv[1]["dtype"]), kv[0]))
    if [k for k, _ in entries] != [k for k, _ in expected_order]:
        fail(f"{path}: tensors not ordered by (dtype descending, name)")
    body = data[8 + n:]
    offset = 0
    tensors = {}
    for name, info in entries:
        begin, end = info["data_offsets"]
        if begin != offset:
            fail(f"{path}: {name} does not start where the previous tensor ended")
        dtype, size = DTYPES[info["dtype"]]
        count = math.prod(info["shape"])
        if end - begin != count * size:
            fail(f"{path}: {name} has {end - begin} bytes for shape {info['shape']}")
        tensors[name] = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype).reshape(info["shape"]).clone()
        offset = end
    if offset != len(body):
        fail(f"{path}: data block has {len(body)} bytes, tensors cover {offset}")
    return tensors, metadata


# ---- helper2424/resnet10 ----------------------------------------------------------------------

def same_padding(size, kernel, stride):
    total = max(0, (math.ceil(size / stride) - 1) * stride + kernel - size)
    return total // 2, total - total // 2


class MaxPool2dJax(nn.Module):
    def forward(self, x):
        top, bottom = same_padding(x.shape[2], 3, 2)
        left, right = same_padding(x.shape[3], 3, 2)
        return F.max_pool2d(F.pad(x, (left, right, top, bottom), value=-float("inf")), 3, 2)


class Conv2dJax(nn.Module):
    def __init__(self, cin, cout, kernel, stride):
        super().__init__()
        self.kernel, self.stride = kernel, stride
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding=0, bias=False)

    def forward(self, x):
        top, bottom = same_padding(x.shape[2], self.kernel, self.stride)
        left, right = same_padding(x.shape[3], self.kernel, self.stride)
        return self.conv(F.pad(x, (left, right, top, bottom)))


class MyGroupNorm(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.group_norm = nn.GroupNorm(4, channels, eps=1e-5)

    def forward(self, x):
        return self.group_norm(x)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = Conv2dJax(cin, cout, 3, stride)
        self.norm1 = MyGroupNorm(cout)
        self.act1 = nn.ReLU()
        self.act2 = nn.ReLU()
        self.conv2 = Conv2dJax(cout, cout, 3, 1)
        self.norm2 = MyGroupNorm(cout)
        self.shortcut = None
        if cin != cout:
            self.shortcut = nn.Sequential(Conv2dJax(cin, cout, 1, stride), MyGroupNorm(cout))

    def forward(self, x):
        out = self.norm2(self.conv2(self.act1(self.norm1(self.conv1(x)))))
        identity = self.shortcut(x) if self.shortcut is not None else x
        return self.act2(out + identity)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        sizes = [64, 128, 256, 512]
        self.stages = nn.ModuleList(
            [BasicBlock(64 if i == 0 else sizes[i - 1], size, 1 if i == 0 else 2) for i, size in enumerate(sizes)])

    def forward(self, x):
        for stage in self.stages:
            x = stage(x)
        return x


class ResNet10(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedder = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), MyGroupNorm(64), nn.ReLU(),
                                      MaxPool2dJax())
        self.encoder = Encoder()

    def forward(self, x):
        return self.encoder(self.embedder(x))


# ---- LeRobot's Classifier -----------------------------------------------------------------------

class SpatialLearnedEmbeddings(nn.Module):
    def __init__(self, height, width, channel, num_features):
        super().__init__()
        self.kernel = nn.Parameter(torch.empty(channel, height, width, num_features))

    def forward(self, features):
        output = (features.unsqueeze(-1) * self.kernel.unsqueeze(0)).sum(dim=(2, 3))
        return output.view(output.size(0), -1)


class Classifier(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.encoder = ResNet10()
        self.image_keys = [k.replace(".", "_") for k in config["input_features"] if k.startswith("observation.image")]
        self.encoders = nn.ModuleDict()
        for key in self.image_keys:
            self.encoders[key] = nn.Sequential(
                self.encoder,
                SpatialLearnedEmbeddings(4, 4, 512, config["image_embedding_pooling_dim"]),
                nn.Dropout(config["dropout_rate"]),
                nn.Linear(512 * config["image_embedding_pooling_dim"], config["latent_dim"]),
                nn.LayerNorm(config["latent_dim"]),
                nn.Tanh(),
            )
        outputs = 1 if config["num_classes"] == 2 else config["num_classes"]
        self.classifier_head = nn.Sequential(
            nn.Linear(config["latent_dim"] * config["num_cameras"], config["hidden_dim"]),
            nn.Dropout(config["dropout_rate"]),
            nn.LayerNorm(config["hidden_dim"]),
            nn.ReLU(),
            nn.Linear(config["hidden_dim"], outputs),
        )

    def forward(self, images):
        with torch.no_grad():
            embeddings = torch.hstack([self.encoders[key](x) for key, x in zip(self.image_keys, images)])
        logits = self.classifier_head(embeddings)
        if self.config["num_classes"] == 2:
            logits = logits.squeeze(-1)
            return logits, torch.sigmoid(logits)
        return logits, torch.softmax(logits, dim=-1)


CONFIG_KEYS = ["type", "input_features", "output_features", "device", "pretrained_path", "pretrained_revision",
               "push_to_hub", "repo_id", "license", "tags", "private", "name", "num_classes", "hidden_dim",
               "latent_dim", "image_embedding_pooling_dim", "dropout_rate", "model_name", "model_type",
               "num_cameras", "learning_rate", "weight_decay", "grad_clip_norm", "normalization_mapping"]


def expected_save_model(model):
    """What safetensors.torch.save_model keeps and records for `model` (its _remove_duplicate_names)."""
    state = model.state_dict()
    groups = {}
    for name, tensor in state.items():
        groups.setdefault(tensor.data_ptr(), []).append(name)
    kept, aliases = set(), {}
    for names in groups.values():
        keep = sorted(names)[0]
        kept.add(keep)
        for name in names:
            if name != keep:
                aliases[name] = keep
    return kept, aliases


def main():
    pretrained, inputs_path = sys.argv[1], sys.argv[2]
    with open(f"{pretrained}/config.json") as f:
        config_text = f.read()
    config = json.loads(config_text)
    if list(config.keys()) != CONFIG_KEYS:
        fail(f"config.json keys {list(config.keys())} are not LeRobot's {CONFIG_KEYS}")
    if config["type"] != "reward_classifier":
        fail("config.json type is not reward_classifier")

    model = Classifier(config).eval()
    tensors, metadata = read_safetensors(f"{pretrained}/model.safetensors")
    kept, aliases = expected_save_model(model)
    if set(tensors) != kept:
        fail(f"model.safetensors names differ from save_model's: extra {sorted(set(tensors) - kept)[:3]}, "
             f"missing {sorted(kept - set(tensors))[:3]}")
    if metadata != aliases:
        fail(f"model.safetensors metadata is not save_model's alias map ({len(metadata)} vs {len(aliases)} entries)")
    full = dict(tensors)
    for alias, keep in metadata.items():
        full[alias] = tensors[keep]
    model.load_state_dict(full, strict=True)

    with open(f"{pretrained}/classifier_preprocessor.json") as f:
        pipeline = json.load(f)
    step = pipeline["steps"][0]
    if pipeline["name"] != "classifier_preprocessor" or step["registry_name"] != "normalizer_processor":
        fail("classifier_preprocessor.json is not LeRobot's classifier pipeline")
    stats, _ = read_safetensors(f"{pretrained}/{step['state_file']}")

    inputs, _ = read_safetensors(inputs_path)
    images = []
    for key in config["input_features"]:
        if not key.startswith("observation.image"):
            continue
        x = inputs[key].to(torch.float32) / 255.0
        images.append((x - stats[key + ".mean"]) / (stats[key + ".std"] + 1e-8))
    with torch.no_grad():
        logits, probabilities = model(images)
    print(json.dumps({"logits": logits.tolist(), "probabilities": probabilities.tolist()}))


if __name__ == "__main__":
    main()
