# SPDX-License-Identifier: MIT
"""LeRobot's reward-classifier training loop in plain PyTorch (Debian's python3-torch): the baseline
of scripts/bench_train.sh and an independent check of rcls's model.

Follows LeRobot's module structure (lerobot_formats.md §1.3-§1.7, §3.3, §3.4), with the modules of
tests/reference/classifier_reference.py (helper2424/resnet10, SpatialLearnedEmbeddings, the
classifier head):
  * per step: a shuffled batch of uint8 RGB frames -> /255 -> LeRobot's ImageTransforms per frame
    (ColorJitter brightness 0.8-1.2, contrast 0.8-1.2, saturation 0.5-1.5, hue +-0.05; 3 of 4 by
    weight without replacement, config order; torchvision's formulas from
    image_transforms_reference.py) -> ImageNet normalisation (x - mean) / (std + 1e-8);
  * model.train(); BCE with logits on the 2-class labels; backward; clip_grad_norm_(all params,
    grad_clip_norm); AdamW(lr, betas (0.9, 0.999), eps 1e-8, weight_decay); zero_grad;
  * --mode head: exactly LeRobot, the per-camera encoder Sequential (ResNet10, spatial embedding,
    dropout, Linear, LayerNorm, Tanh) runs under torch.no_grad(), so only classifier_head learns;
    --mode full: everything learns (the encoder unfrozen);
  * the spatial embedding takes the encoder's output size, as LeRobot's hard-coded 4x4 does for
    97-128 px frames; smaller frames (64x64: 2x2) run here, where LeRobot itself would fail.

Usage:
  lerobot_train_reference.py --data FRAMES.npz|FOLDER [--steps N] [--batch 32] [--mode head|full]
      [--threads 2] [--lr 1e-4] [--weight_decay 0.01] [--dropout 0.2] [--grad_clip 1.0]
      [--jitter on|off] [--seed 1000] [--encoder DIR_OR_FILE] [--warmup 3]
  lerobot_train_reference.py --synthetic N --size 128 ...   (random frames, for timing only)
  lerobot_train_reference.py --logits PRETRAINED_DIR INPUTS.safetensors
      (no training: load rcls's checkpoint, print {"logits": [...]} for the uint8 [B, 3, H, W]
      tensors in INPUTS, one per camera key, in eval mode)

FRAMES.npz: "images" uint8 [N, H, W, 3] (or [N, 3, H, W]) RGB and "labels" [N] (0/1).
FOLDER: PNG files and labels.csv with lines "file,label" (a header line is allowed).
Prints one JSON line: {"mode", "steps", "batch", "threads", "ms_per_step", "data_ms",
"update_ms", "final_loss", "train_accuracy"}; ms figures are means over the steps after --warmup.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from classifier_reference import (ResNet10, SpatialLearnedEmbeddings, read_safetensors,  # noqa: E402
                                  expected_save_model)
import image_transforms_reference as tv  # noqa: E402

IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


# ---- LeRobot's Classifier (modeling_classifier.py), with a switch for full training -----------

class Classifier(nn.Module):
    def __init__(self, config, image_size, train_encoder=False):
        super().__init__()
        self.config = config
        self.train_encoder = train_encoder
        self.encoder = ResNet10()
        for p in self.encoder.parameters():  # LeRobot's _freeze_encoder
            p.requires_grad_(train_encoder)
        with torch.no_grad():
            _, _, fh, fw = self.encoder(torch.zeros(1, 3, image_size, image_size)).shape
        self.image_keys = [k.replace(".", "_") for k in config["input_features"]
                           if k.startswith("observation.image")]
        self.encoders = nn.ModuleDict()
        for key in self.image_keys:
            self.encoders[key] = nn.Sequential(
                self.encoder,
                SpatialLearnedEmbeddings(fh, fw, 512, config["image_embedding_pooling_dim"]),
                nn.Dropout(config["dropout_rate"]),
                nn.Linear(512 * config["image_embedding_pooling_dim"], config["latent_dim"]),
                nn.LayerNorm(config["latent_dim"]),
                nn.Tanh(),
            )
            nn.init.kaiming_normal_(self.encoders[key][1].kernel, mode="fan_in", nonlinearity="linear")
        outputs = 1 if config["num_classes"] == 2 else config["num_classes"]
        self.classifier_head = nn.Sequential(
            nn.Linear(config["latent_dim"] * len(self.image_keys), config["hidden_dim"]),
            nn.Dropout(config["dropout_rate"]),
            nn.LayerNorm(config["hidden_dim"]),
            nn.ReLU(),
            nn.Linear(config["hidden_dim"], outputs),
        )

    def _get_encoder_output(self, x, key):
        if self.train_encoder:
            return self.encoders[key](x)
        with torch.no_grad():  # LeRobot: the whole per-camera Sequential, so only the head learns
            return self.encoders[key](x)

    def forward(self, images):
        embeddings = torch.hstack([self._get_encoder_output(x, k) for k, x in zip(self.image_keys, images)])
        logits = self.classifier_head(embeddings)
        return logits.squeeze(-1) if self.config["num_classes"] == 2 else logits


def init_resnet10(encoder):
    """helper2424/resnet10's _init_weights: convs kaiming_normal(fan_out, relu), GroupNorm 1 / 0."""
    for m in encoder.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.GroupNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def load_encoder(encoder, path):
    if os.path.isdir(path):
        path = os.path.join(path, "model.safetensors")
    tensors, _ = read_safetensors(path)
    prefix = next((p for p in ("", "encoder.", "resnet.") if p + "embedder.0.weight" in tensors), None)
    if prefix is None:
        raise SystemExit(f"reference: {path}: not helper2424/resnet10 weights")
    state = {}
    for name, _ in encoder.state_dict().items():
        older = name.replace(".group_norm.", ".")
        key = prefix + name if prefix + name in tensors else prefix + older
        state[name] = tensors[key].float()
    encoder.load_state_dict(state, strict=True)


# ---- LeRobot's ImageTransforms (datasets/transforms.py) with torchvision's formulas ------------

LEROBOT_TFS = [("brightness", 1.0, (0.8, 1.2)), ("contrast", 1.0, (0.8, 1.2)),
               ("saturation", 1.0, (0.5, 1.5)), ("hue", 1.0, (-0.05, 0.05))]


def lerobot_image_transforms(img, max_num_transforms=3, random_order=False):
    """RandomSubsetApply over LeRobot's default ColorJitter entries, for one [3, H, W] image."""
    p = torch.tensor([w for _, w, _ in LEROBOT_TFS])
    n_subset = min(len(LEROBOT_TFS), max_num_transforms)
    selected = torch.multinomial(p / p.sum(), n_subset)
    if not random_order:
        selected = selected.sort().values
    for i in selected.tolist():
        name, _, (lo, hi) = LEROBOT_TFS[i]
        factor = float(torch.empty(1).uniform_(lo, hi))
        img = tv.OPS[name](img, factor)
    return img


# ---- data -----------------------------------------------------------------------------------------

def load_frames(args):
    if args.synthetic:
        g = torch.Generator().manual_seed(args.seed)
        images = torch.randint(0, 256, (args.synthetic, 3, args.size, args.size), dtype=torch.uint8, generator=g)
        labels = (torch.rand(args.synthetic, generator=g) < 0.4).float()
        return images, labels
    if args.data is None:
        raise SystemExit("reference: give --data FRAMES.npz|FOLDER or --synthetic N")
    if os.path.isdir(args.data):
        from PIL import Image
        with open(os.path.join(args.data, "labels.csv")) as f:
            rows = [line.strip().split(",") for line in f if line.strip()]
        if rows and not rows[0][1].strip().lstrip("-").replace(".", "").isdigit():
            rows = rows[1:]
        images = np.stack([np.asarray(Image.open(os.path.join(args.data, r[0])).convert("RGB")) for r in rows])
        labels = np.array([float(r[1]) for r in rows])
    else:
        data = np.load(args.data)
        images, labels = data["images"], data["labels"]
    images = torch.from_numpy(np.ascontiguousarray(images))
    if images.dim() != 4:
        raise SystemExit(f"reference: images must be [N, H, W, 3] or [N, 3, H, W], got {list(images.shape)}")
    if images.shape[-1] == 3 and images.shape[1] != 3:
        images = images.permute(0, 3, 1, 2).contiguous()
    return images.to(torch.uint8), torch.as_tensor(labels, dtype=torch.float32).flatten()


def default_config(dropout):
    return {"input_features": {"observation.image": {"type": "VISUAL", "shape": [3, 128, 128]}},
            "num_classes": 2, "hidden_dim": 256, "latent_dim": 256, "image_embedding_pooling_dim": 8,
            "dropout_rate": dropout}


# ---- the loop ------------------------------------------------------------------------------------

def train(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    images, labels = load_frames(args)
    n, _, h, w = images.shape
    if h != w:
        raise SystemExit(f"reference: frames must be square, got {h}x{w}")
    model = Classifier(default_config(args.dropout), h, train_encoder=args.mode == "full")
    init_resnet10(model.encoder)
    if args.encoder:
        load_encoder(model.encoder, args.encoder)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8,
                                  weight_decay=args.weight_decay)
    model.train()
    order, cursor = torch.randperm(n), 0
    data_s, update_s, total_s, last_loss, correct, seen = [], [], [], 0.0, 0, 0
    for step in range(args.steps):
        t0 = time.perf_counter()
        if cursor + args.batch > n:  # a new shuffled epoch (the short last batch is skipped)
            order, cursor = torch.randperm(n), 0
        idx = order[cursor:cursor + args.batch]
        cursor += args.batch
        x = images[idx].float() / 255.0
        if args.jitter == "on":
            x = torch.stack([lerobot_image_transforms(img) for img in x])
        x = (x - IMAGENET_MEAN) / (IMAGENET_STD + 1e-8)
        y = labels[idx]
        t1 = time.perf_counter()
        logits = model([x])
        loss = F.binary_cross_entropy_with_logits(logits, y)
        loss.backward()
        if args.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip, error_if_nonfinite=False)
        optimizer.step()
        optimizer.zero_grad()
        t2 = time.perf_counter()
        last_loss = float(loss)
        correct += int(((torch.sigmoid(logits) > 0.5).float() == y).sum())
        seen += len(y)
        if step >= args.warmup:
            data_s.append(t1 - t0)
            update_s.append(t2 - t1)
            total_s.append(t2 - t0)
    mean_ms = lambda xs: 1000.0 * sum(xs) / len(xs) if xs else float("nan")  # noqa: E731
    print(json.dumps({"mode": args.mode, "steps": args.steps, "batch": args.batch, "threads": args.threads,
                      "image_size": h, "frames": n, "jitter": args.jitter,
                      "ms_per_step": round(mean_ms(total_s), 2), "data_ms": round(mean_ms(data_s), 2),
                      "update_ms": round(mean_ms(update_s), 2), "final_loss": last_loss,
                      "train_accuracy": correct / max(seen, 1)}))


def logits(pretrained, inputs_path):
    """rcls's checkpoint into this module tree (strict), eval-mode logits on INPUTS."""
    with open(os.path.join(pretrained, "config.json")) as f:
        config = json.load(f)
    keys = [k for k in config["input_features"] if k.startswith("observation.image")]
    size = config["input_features"][keys[0]]["shape"][-1]
    model = Classifier(config, size).eval()
    tensors, metadata = read_safetensors(os.path.join(pretrained, "model.safetensors"))
    kept, aliases = expected_save_model(model)
    if set(tensors) != kept:
        raise SystemExit(f"reference: model.safetensors names differ: {sorted(set(tensors) ^ kept)[:4]}")
    full = dict(tensors)
    for alias, keep in metadata.items():
        full[alias] = tensors[keep]
    model.load_state_dict(full, strict=True)
    inputs, _ = read_safetensors(inputs_path)
    xs = [(inputs[k].float() / 255.0 - IMAGENET_MEAN) / (IMAGENET_STD + 1e-8) for k in keys]
    with torch.no_grad():
        out = model(xs)
    print(json.dumps({"logits": out.tolist()}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data")
    parser.add_argument("--synthetic", type=int, default=0)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--mode", choices=["head", "full"], default="head")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--weight_decay", type=float, default=0.01)
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--grad_clip", type=float, default=1.0)
    parser.add_argument("--jitter", choices=["on", "off"], default="on")
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--encoder")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--logits", nargs=2, metavar=("PRETRAINED_DIR", "INPUTS"))
    args = parser.parse_args()
    if args.logits:
        logits(*args.logits)
    else:
        if args.warmup >= args.steps:
            args.warmup = 0
        train(args)


if __name__ == "__main__":
    main()
