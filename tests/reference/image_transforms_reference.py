# SPDX-License-Identifier: MIT
"""Independent reference for rcls's colour augmentation, in plain PyTorch (Debian's python3-torch).

Usage: image_transforms_reference.py IN.bin B H W OUT_DIR FACTORS_JSON

IN.bin holds float32 images [B, 3, H, W] in [0, 1] (little endian, C order). FACTORS_JSON maps an
op name (brightness, contrast, saturation, hue, sharpness) to B factors, or "affine" to B
[angle, tx, ty, scale] lists (torchvision's F.affine: _get_inverse_affine_matrix, _gen_affine_grid,
nearest, fill 0). For each op, every image
is transformed on its own with its scalar factor, following torchvision's functional code on float
tensors (torchvision/transforms/_functional_tensor.py: adjust_brightness, adjust_contrast,
adjust_saturation, adjust_hue with _rgb2hsv/_hsv2rgb, adjust_sharpness with _blurred_degenerate_image,
_blend; v2's functional ops compute the same). Writes OUT_DIR/<op>.bin, float32 [B, 3, H, W].
"""
import json
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F


def _blend(img1, img2, ratio):
    ratio = float(ratio)
    bound = 1.0
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def rgb_to_grayscale(img):
    r, g, b = img.unbind(dim=-3)
    l_img = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype)
    return l_img.unsqueeze(dim=-3)


def adjust_brightness(img, brightness_factor):
    if brightness_factor < 0:
        raise ValueError("brightness_factor is not non-negative")
    return _blend(img, torch.zeros_like(img), brightness_factor)


def adjust_contrast(img, contrast_factor):
    if contrast_factor < 0:
        raise ValueError("contrast_factor is not non-negative")
    mean = torch.mean(rgb_to_grayscale(img).to(torch.float32), dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img, saturation_factor):
    if saturation_factor < 0:
        raise ValueError("saturation_factor is not non-negative")
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb2hsv(img):
    r, g, b = img.unbind(dim=-3)
    maxc = torch.max(img, dim=-3).values
    minc = torch.min(img, dim=-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    cr_divisor = torch.where(eqc, ones, cr)
    rc = (maxc - r) / cr_divisor
    gc = (maxc - g) / cr_divisor
    bc = (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = hr + hg + hb
    h = torch.fmod((h / 6.0 + 1.0), 1.0)
    return torch.stack((h, s, maxc), dim=-3)


def _hsv2rgb(img):
    h, s, v = img.unbind(dim=-3)
    i = torch.floor(h * 6.0)
    f = (h * 6.0) - i
    i = i.to(dtype=torch.int32)
    p = torch.clamp((v * (1.0 - s)), 0.0, 1.0)
    q = torch.clamp((v * (1.0 - s * f)), 0.0, 1.0)
    t = torch.clamp((v * (1.0 - s * (1.0 - f))), 0.0, 1.0)
    i = i % 6
    mask = i.unsqueeze(dim=-3) == torch.arange(6, device=i.device).view(-1, 1, 1)
    a1 = torch.stack((v, q, p, p, t, v), dim=-3)
    a2 = torch.stack((t, v, v, q, p, p), dim=-3)
    a3 = torch.stack((p, p, t, v, v, q), dim=-3)
    a4 = torch.stack((a1, a2, a3), dim=-4)
    return torch.einsum("...ijk, ...xijk -> ...xjk", mask.to(dtype=img.dtype), a4)


def adjust_hue(img, hue_factor):
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    img = _rgb2hsv(img)
    h, s, v = img.unbind(dim=-3)
    h = (h + hue_factor) % 1.0
    img = torch.stack((h, s, v), dim=-3)
    return _hsv2rgb(img)


def _blurred_degenerate_image(img):
    dtype = img.dtype
    kernel = torch.ones((3, 3), dtype=dtype, device=img.device)
    kernel[1, 1] = 5.0
    kernel /= kernel.sum()
    kernel = kernel.expand(img.shape[-3], 1, kernel.shape[0], kernel.shape[1])
    result_tmp = F.conv2d(img.unsqueeze(0), kernel, groups=img.shape[-3]).squeeze(0)
    result = img.clone()
    result[..., 1:-1, 1:-1] = result_tmp
    return result


def adjust_sharpness(img, sharpness_factor):
    if sharpness_factor < 0:
        raise ValueError("sharpness_factor is not non-negative")
    if img.size(-1) <= 2 or img.size(-2) <= 2:
        return img
    return _blend(img, _blurred_degenerate_image(img), sharpness_factor)


def _get_inverse_affine_matrix(center, angle, translate, scale, shear):
    rot = math.radians(angle)
    sx = math.radians(shear[0])
    sy = math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    matrix = [d, -b, 0.0, -c, a, 0.0]
    matrix = [x / scale for x in matrix]
    matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
    matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
    matrix[2] += cx
    matrix[5] += cy
    return matrix


def _gen_affine_grid(theta, w, h, ow, oh):
    d = 0.5
    base_grid = torch.empty(1, oh, ow, 3, dtype=theta.dtype, device=theta.device)
    x_grid = torch.linspace(-ow * 0.5 + d, ow * 0.5 + d - 1, steps=ow, device=theta.device)
    base_grid[..., 0].copy_(x_grid)
    y_grid = torch.linspace(-oh * 0.5 + d, oh * 0.5 + d - 1, steps=oh, device=theta.device).unsqueeze_(-1)
    base_grid[..., 1].copy_(y_grid)
    base_grid[..., 2].fill_(1)
    rescaled_theta = theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h], dtype=theta.dtype, device=theta.device)
    output_grid = base_grid.view(1, oh * ow, 3).bmm(rescaled_theta)
    return output_grid.view(1, oh, ow, 2)


def affine(img, params):
    """F.affine on a float tensor: angle, translate (whole pixels), scale; shear 0, nearest, fill 0."""
    angle, tx, ty, scale = params
    matrix = _get_inverse_affine_matrix([0.0, 0.0], -angle, [int(tx), int(ty)], scale, [0.0, 0.0])
    theta = torch.tensor(matrix, dtype=img.dtype).reshape(1, 2, 3)
    grid = _gen_affine_grid(theta, w=img.shape[-1], h=img.shape[-2], ow=img.shape[-1], oh=img.shape[-2])
    # _apply_grid_transform with fill 0: a ones mask channel, nearest, out-of-image pixels set to 0.
    x = img.unsqueeze(0)
    mask = torch.ones((1, 1, x.shape[2], x.shape[3]), dtype=x.dtype)
    x = torch.cat((x, mask), dim=1)
    x = F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)
    mask = x[:, -1:, :, :].expand(1, 3, x.shape[2], x.shape[3]) < 0.5
    x = x[:, :-1, :, :].clone()
    x[mask] = 0.0
    return x.squeeze(0)


OPS = {"brightness": adjust_brightness, "contrast": adjust_contrast,
       "saturation": adjust_saturation, "hue": adjust_hue, "sharpness": adjust_sharpness,
       "affine": affine}


def main():
    path, b, h, w, out_dir, factors_json = sys.argv[1:7]
    b, h, w = int(b), int(h), int(w)
    images = torch.from_numpy(np.fromfile(path, dtype="<f4").reshape(b, 3, h, w).copy())
    factors = json.loads(factors_json)
    for name, values in factors.items():
        if len(values) != b:
            raise SystemExit(f"reference: {name}: {len(values)} factors for {b} images")
        out = torch.stack([OPS[name](images[i], values[i] if name == "affine" else float(values[i]))
                           for i in range(b)])
        out.numpy().astype("<f4").tofile(f"{out_dir}/{name}.bin")


if __name__ == "__main__":
    main()
