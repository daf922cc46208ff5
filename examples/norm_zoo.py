"""One small CNN that uses every common normalisation layer, for comparing their parameter
counts: BatchNorm2d, LayerNorm over [C, H, W], InstanceNorm2d with affine weights, GroupNorm."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class NormZoo(nn.Module):
    def __init__(self, in_channels=3, num_classes=10, image_size=32):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 16, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(16)

        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1)
        size = image_size // 2
        self.ln = nn.LayerNorm([32, size, size])

        self.conv3 = nn.Conv2d(32, 32, kernel_size=3, padding=1)
        self.inorm = nn.InstanceNorm2d(32, affine=True)

        self.conv4 = nn.Conv2d(32, 64, kernel_size=3, stride=2, padding=1)
        self.gn = nn.GroupNorm(num_groups=8, num_channels=64)

        self.proj = nn.Conv2d(64, num_classes, kernel_size=1)

    def forward(self, x):  # x: [1, 3, 32, 32]
        x = F.relu(self.bn(self.conv1(x)))
        x = F.relu(self.ln(self.conv2(x)))
        x = F.relu(self.inorm(self.conv3(x)))
        x = F.relu(self.gn(self.conv4(x)))
        x = self.proj(x)
        return x.mean(dim=(2, 3))
