"""The zoo's networks written in plain PyTorch, layer for layer, as the speed reference.

Same shapes, same layers, same parameter counts as cnn1d's Keras builders (checked by the speed
harness); only the framework differs.
"""

from __future__ import annotations

import inspect

import numpy as np
import torch
from torch import nn


class ConvBN(nn.Sequential):
    def __init__(self, cin, cout, k, relu=True, dilation=1, groups=1):
        layers = [nn.Conv1d(cin, cout, k, padding="same", bias=False, dilation=dilation, groups=groups),
                  nn.BatchNorm1d(cout, momentum=0.1)]
        if relu:
            layers.append(nn.ReLU())
        super().__init__(*layers)


class FCN(nn.Module):
    def __init__(self, channels, n_classes):
        super().__init__()
        self.body = nn.Sequential(ConvBN(channels, 128, 8), ConvBN(128, 256, 5), ConvBN(256, 128, 3))
        self.head = nn.Linear(128, n_classes)

    def forward(self, x):  # x: (batch, channels, steps)
        return self.head(self.body(x).mean(-1))


class ResidualStack(nn.Module):
    """Blocks with shortcuts (``relu(block(x) + shortcut(x))`` each), then global average pooling and a linear head."""

    def forward(self, x):
        for block, shortcut in zip(self.blocks, self.shortcuts):
            x = torch.relu(block(x) + shortcut(x))
        return self.head(x.mean(-1))


class ResNet(ResidualStack):
    def __init__(self, channels, n_classes, filters=(64, 128, 128)):
        super().__init__()
        self.blocks = nn.ModuleList()
        self.shortcuts = nn.ModuleList()
        cin = channels
        for f in filters:
            self.blocks.append(nn.Sequential(ConvBN(cin, f, 8), ConvBN(f, f, 5), ConvBN(f, f, 3, relu=False)))
            self.shortcuts.append(nn.Sequential(nn.Conv1d(cin, f, 1, bias=False), nn.BatchNorm1d(f)) if cin != f
                                  else nn.BatchNorm1d(f))
            cin = f
        self.head = nn.Linear(cin, n_classes)


class InceptionModule(nn.Module):
    def __init__(self, cin, filters=32, bottleneck=32, kernels=(40, 20, 10)):
        super().__init__()
        self.bottleneck = nn.Conv1d(cin, bottleneck, 1, bias=False) if cin > 1 else nn.Identity()
        width = bottleneck if cin > 1 else cin
        self.convs = nn.ModuleList(nn.Conv1d(width, filters, k, padding="same", bias=False) for k in kernels)
        self.pool = nn.MaxPool1d(3, stride=1, padding=1)
        self.pool_conv = nn.Conv1d(cin, filters, 1, bias=False)
        self.bn = nn.BatchNorm1d(4 * filters)

    def forward(self, x):
        z = self.bottleneck(x)
        out = [c(z) for c in self.convs] + [self.pool_conv(self.pool(x))]
        return torch.relu(self.bn(torch.cat(out, 1)))


class Inception(nn.Module):
    def __init__(self, channels, n_classes, depth=6):
        super().__init__()
        self.modules_ = nn.ModuleList()
        self.shortcuts = nn.ModuleList()
        cin, res_in = channels, channels
        for d in range(depth):
            self.modules_.append(InceptionModule(cin))
            cin = 128
            if d % 3 == 2:
                self.shortcuts.append(nn.Sequential(nn.Conv1d(res_in, 128, 1, bias=False), nn.BatchNorm1d(128)))
                res_in = 128
        self.head = nn.Linear(128, n_classes)

    def forward(self, x):
        shortcut = x
        for d, module in enumerate(self.modules_):
            x = module(x)
            if d % 3 == 2:
                x = torch.relu(x + self.shortcuts[d // 3](shortcut))
                shortcut = x
        return self.head(x.mean(-1))


class LITE(nn.Module):
    def __init__(self, channels, n_classes, filters=32, kernel_size=40):
        super().__init__()
        from cnn1d.models.lite import custom_filter_bank

        self.convs = nn.ModuleList(nn.Conv1d(channels, filters, kernel_size // 2**i, padding="same", bias=False)
                                   for i in range(3))
        bank = custom_filter_bank(channels)  # (K, channels, 17)
        self.custom = nn.Conv1d(channels, bank.shape[2], bank.shape[0], padding="same", bias=False)
        self.custom.weight.data = torch.from_numpy(np.ascontiguousarray(bank.transpose(2, 1, 0)))
        self.custom.weight.requires_grad_(False)
        width = 3 * filters + bank.shape[2]
        self.bn = nn.BatchNorm1d(width)
        layers = []
        for i in range(2):
            k, d = kernel_size // 2 // 2**i, 2 ** (i + 1)
            layers += [nn.Conv1d(width, width, k, padding="same", dilation=d, groups=width, bias=False),
                       nn.Conv1d(width, filters, 1, bias=False), nn.BatchNorm1d(filters), nn.ReLU()]
            width = filters
        self.separable = nn.Sequential(*layers)
        self.head = nn.Linear(filters, n_classes)

    def forward(self, x):
        z = torch.cat([c(x) for c in self.convs] + [torch.relu(self.custom(x))], 1)
        z = torch.relu(self.bn(z))
        return self.head(self.separable(z).mean(-1))


class ChannelsLastLayerNorm(nn.LayerNorm):
    """Keras's LayerNormalization over the channels of each step, on PyTorch's (batch, channels, steps)."""

    def forward(self, x):
        return super().forward(x.transpose(1, 2)).transpose(1, 2)


class CausalConv(nn.Conv1d):
    def __init__(self, cin, cout, k, dilation):
        super().__init__(cin, cout, k, dilation=dilation)
        self.left = (k - 1) * dilation

    def forward(self, x):
        return super().forward(nn.functional.pad(x, (self.left, 0)))


class TCN(ResidualStack):
    def __init__(self, channels, n_classes, filters=64, kernel_size=3, dilations=(1, 2, 4, 8, 16, 32), dropout=0.05):
        super().__init__()
        self.blocks, self.shortcuts = nn.ModuleList(), nn.ModuleList()
        cin = channels
        for d in dilations:
            layers = []
            for j in range(2):
                layers += [CausalConv(cin if j == 0 else filters, filters, kernel_size, d), ChannelsLastLayerNorm(filters, eps=1e-3),
                           nn.ReLU(), nn.Dropout1d(dropout)]
            self.blocks.append(nn.Sequential(*layers))
            self.shortcuts.append(nn.Conv1d(cin, filters, 1) if cin != filters else nn.Identity())
            cin = filters
        self.head = nn.Linear(filters, n_classes)


class CNN(nn.Sequential):
    """The ``cnn`` defaults: 2 x (Conv1D 32, kernel 3, relu, max-pool 2 'same'), flatten, Dense 128."""

    def __init__(self, channels, n_classes, steps=275, blocks=2, filters=32, kernel_size=3, dense=128):
        layers, cin = [], channels
        for _ in range(blocks):
            layers += [nn.Conv1d(cin, filters, kernel_size, padding="same"), nn.ReLU(), nn.MaxPool1d(2, ceil_mode=True)]
            cin, steps = filters, -(-steps // 2)
        super().__init__(*layers, nn.Flatten(), nn.Linear(cin * steps, dense), nn.ReLU(), nn.Linear(dense, n_classes))


class Seed(nn.Sequential):
    """The ``seed`` tutorial network: Conv1D(32, 3, 'valid') + ReLU, max-pool 2, flatten, Dense 128."""

    def __init__(self, channels, n_classes, steps=275):
        super().__init__(nn.Conv1d(channels, 32, 3), nn.ReLU(), nn.MaxPool1d(2), nn.Flatten(),
                         nn.Linear(32 * ((steps - 2) // 2), 128), nn.ReLU(), nn.Linear(128, n_classes))


class MLP(nn.Sequential):
    def __init__(self, channels, n_classes, steps=275, units=500, layers=3):
        body, width = [nn.Flatten(), nn.Dropout(0.1)], channels * steps
        for i in range(layers):
            body += [nn.Linear(width, units), nn.ReLU(), nn.Dropout(0.3 if i == layers - 1 else 0.2)]
            width = units
        super().__init__(*body, nn.Linear(units, n_classes))


NETWORKS = {"fcn": FCN, "resnet": ResNet, "inception": Inception, "lite": LITE, "tcn": TCN, "cnn": CNN, "mlp": MLP, "seed": Seed}


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters()) + sum(b.numel() for n, b in model.named_buffers()
                                                              if "running" in n)


def build(name: str, channels: int, n_classes: int, steps: int) -> nn.Module:
    """The reference network ``name``; the fixed-length ones (a flatten head) are built for ``steps``."""
    network = NETWORKS[name]
    fixed_length = "steps" in inspect.signature(network).parameters
    return network(channels, n_classes, steps=steps) if fixed_length else network(channels, n_classes)
